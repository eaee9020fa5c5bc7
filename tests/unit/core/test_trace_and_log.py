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


# --- bounded trace and log -------------------------------------------------------------------------

def _junk(port: int, n: int) -> bytes:
    """A request the core answers 400 (Max-Forwards not a number), about 1.5 KB, answered to ``port``."""
    return (f"MESSAGE sip:mcptt-as@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKrot{n}\r\n"
            f"Max-Forwards: lots\r\nFrom: <sip:x@example.org>;tag=1\r\nTo: <sip:y@example.org>\r\n"
            f"Call-ID: rotation-{n}\r\nCSeq: 1 MESSAGE\r\nX-Pad: {'p' * 1400}\r\nContent-Length: 0\r\n\r\n").encode()


def _flood(core: CoreUnderTest, count: int) -> None:
    """``count`` requests, each answered before the next is sent (bounded by count, not by time)."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)  # only a core that stopped answering reaches it
        for n in range(count):
            sock.sendto(_junk(sock.getsockname()[1], n), core.sip1)
            assert sock.recv(65535).startswith(b"SIP/2.0 400 ")


def _files(path) -> list:
    from mcsec.fixtures.lab.follow import rotated
    return [*rotated(path), path]


def test_trace_and_log_rotate_at_the_configured_cap(loop: LoopThread, tmp_path) -> None:
    from tests.unit.core.harness import start_core, stop_core
    cap = 16 * 1024
    core = start_core(loop, tmp_path, rotation={"max_bytes": cap, "backups": 2})
    try:
        _flood(core, 120)  # about 2 x 120 trace lines of 2 KB: many times the cap
    finally:
        stop_core(loop, core)
    traces = _files(core.trace_path)
    assert [p.name for p in traces] == ["core-trace.jsonl.2", "core-trace.jsonl.1", "core-trace.jsonl"]
    assert all(p.stat().st_size <= cap for p in traces)
    last = json.loads(core.trace_path.read_bytes().splitlines()[-1])
    assert last["dir"] == "out" and "rotation-119" in last["call_id"]
    logs = _files(core.process.log_path)
    assert len(logs) == 3 and all(p.stat().st_size <= cap + 1024 for p in logs)
    assert "SIP-1 in udp" in core.process.log_path.read_text()


def test_the_fault_core_unbounded_trace_never_rotates(loop: LoopThread, tmp_path) -> None:
    from tests.unit.core.harness import start_core, stop_core
    cap = 16 * 1024
    core = start_core(loop, tmp_path, rotation={"max_bytes": cap, "backups": 2}, faults=["core_unbounded_trace"])
    try:
        _flood(core, 60)
    finally:
        stop_core(loop, core)
    assert _files(core.trace_path) == [core.trace_path]
    assert core.trace_path.stat().st_size > 4 * cap
