"""The core's message trace (exact bytes of everything it saw) and the hygiene of its log."""
from __future__ import annotations

import asyncio
import base64
import json

from mcsec.impl.sip import Request, Response, make_request, parse_message
from tests.unit.core.harness import AS_URI, CoreUnderTest, FakeAs, LoopThread, TestUa, impu

TRACE_KEYS = {"t", "role", "dir", "ref", "transport", "src", "dst", "first_line", "call_id", "cseq",
              "content_type", "raw_b64"}
SECRET_BODY = b"mcptt-id=sip:secret-user@example.org\r\n\x00\x01binary"
JUNK = (b"MESSAGE sip:mcptt-as@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKjunk\r\n"
        b"Max-Forwards: lots\r\nFrom: <sip:x@example.org>;tag=1\r\nTo: <sip:y@example.org>\r\n"
        b"Call-ID: junk\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n")


def read_trace(core: CoreUnderTest, offset: int) -> list[dict]:
    with open(core.trace_path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def test_trace_lines_hold_the_exact_bytes_of_every_message(loop: LoopThread, core: CoreUnderTest,
                                                           fake_as: FakeAs) -> None:
    offset = core.trace_path.stat().st_size

    async def scenario() -> tuple[Request, Response]:
        ua = await TestUa.start(core.sip1, "tcp", "dave")
        try:
            assert (await ua.register(core.passwords["dave"]))[1].status == 200
            message = ua.new_request("MESSAGE", body=SECRET_BODY, content_type="application/octet-stream")
            assert (await ua.send(message)).status == 200
            to_client = make_request("MESSAGE", impu("dave"), from_=f"<{AS_URI}>", to=f"<{impu('dave')}>",
                                     body=b"down", content_type="text/plain")
            answer = await fake_as.endpoint.send_request(to_client, core.sip2, timeout=5)
            await ua.endpoint.send_raw(JUNK, core.sip1, "udp")
            await asyncio.sleep(0.2)
            return message, answer
        finally:
            await ua.close()

    message, answer = loop.run(scenario())
    assert answer.status == 200
    lines = read_trace(core, offset)
    assert all(set(line) == TRACE_KEYS and line["role"] == "core" for line in lines)
    seen = {(line["ref"], line["dir"], line["transport"]) for line in lines}
    assert {("SIP-1", "in", "tcp"), ("SIP-1", "out", "tcp"), ("SIP-2", "in", "udp"),
            ("SIP-2", "out", "udp"), ("SIP-1", "in", "udp")} <= seen
    parsed = 0
    for line in lines:
        raw = base64.b64decode(line["raw_b64"])
        if raw == JUNK:
            continue
        msg = parse_message(raw, stream=line["transport"] == "tcp")
        parsed += 1
        assert msg.start_line() == line["first_line"]
        assert msg.call_id == line["call_id"]
        assert msg.headers.get("CSeq") == line["cseq"]
        assert (msg.headers.get("Content-Type") or "") == line["content_type"]
        host, _, port = line["src" if line["dir"] == "out" else "dst"].rpartition(":")
        own = {"SIP-1": core.sip1, "SIP-2": core.sip2}[line["ref"]]
        assert (host, int(port)) == own
    assert parsed >= 12
    raws = {(line["ref"], line["dir"]): [] for line in lines}
    for line in lines:
        raws[(line["ref"], line["dir"])].append(base64.b64decode(line["raw_b64"]))
    assert message.to_bytes() in raws[("SIP-1", "in")]  # exactly the bytes the client sent
    assert JUNK in raws[("SIP-1", "in")]
    forwarded = [parse_message(r) for r in raws[("SIP-2", "out")] if b"MESSAGE sip:mcptt-as" in r[:30]]
    assert [m.body for m in forwarded] == [SECRET_BODY]
    assert any(r.startswith(b"SIP/2.0 400") for r in raws[("SIP-1", "out")])  # the answer to the junk


def test_log_has_no_password_or_authorization_value(loop: LoopThread, core: CoreUnderTest,
                                                    fake_as: FakeAs) -> None:
    offset = core.trace_path.stat().st_size

    async def scenario() -> TestUa:
        ua = await TestUa.start(core.sip1, "udp", "erin")
        try:
            assert (await ua.register(core.passwords["erin"]))[1].status == 200
            await ua.register("wrong-" + core.passwords["erin"])  # a failed attempt is not logged either
            return ua
        finally:
            await ua.close()

    ua = loop.run(scenario())
    log_text = core.process.log_path.read_text(errors="replace")
    assert f"registered {impu('erin')}" in log_text  # the right log, written during this test
    digest_response = ua.last_authorization.split('response="')[1].split('"')[0]
    # the trace does hold the credentials the core received: the log must not
    trace = b"".join(base64.b64decode(line["raw_b64"]) for line in read_trace(core, offset))
    assert digest_response.encode() in trace
    for secret in (*core.passwords.values(), digest_response, "Authorization", "Digest username"):
        assert secret not in log_text
