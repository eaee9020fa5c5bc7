"""Bad input, retransmissions, configuration errors and shutdown of the core process."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mcsec.fixtures.lab.roleprocess import RoleProcess, RoleStartError
from mcsec.impl.sip import Response, parse_message
from mcsec.impl.sip.digest import Challenge, authorization
from tests.unit.core.harness import CoreUnderTest, FakeAs, LoopThread, TestUa, core_config, eventually


class RawUdp(asyncio.DatagramProtocol):
    """A bare UDP socket: sends bytes as given and collects what comes back."""

    def __init__(self) -> None:
        self.datagrams: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        self.datagrams.put_nowait(data)

    @classmethod
    async def open(cls) -> RawUdp:
        _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
            cls, local_addr=("127.0.0.1", 0))
        return protocol

    async def exchange(self, data: bytes, destination: tuple[str, int]) -> Response:
        assert self.transport is not None
        self.transport.sendto(data, destination)
        message = parse_message(await asyncio.wait_for(self.datagrams.get(), 3))
        assert isinstance(message, Response)
        return message

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def raw_request(port: int, *, branch: str, cseq_line: str = "CSeq: 1 MESSAGE",
                max_forwards_line: str = "Max-Forwards: 70", body: bytes = b"") -> bytes:
    lines = [
        "MESSAGE sip:mcptt-as@example.org SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport",
        max_forwards_line,
        "From: <sip:alice@ims.example.org>;tag=raw1",
        "To: <sip:mcptt-as@example.org>",
        "Call-ID: raw-call-" + branch,
        cseq_line,
        "Content-Type: text/plain",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize("garbage", [
    pytest.param({"max_forwards_line": "Max-Forwards: lots"}, id="bad-max-forwards"),
    pytest.param({"cseq_line": "CSeq: 1 INVITE"}, id="cseq-method-mismatch"),
])
def test_malformed_request_gets_400_and_the_core_keeps_serving(loop: LoopThread, core: CoreUnderTest,
                                                               garbage: dict[str, str]) -> None:
    async def scenario() -> tuple[Response, Response]:
        raw = await RawUdp.open()
        try:
            port = raw.transport.get_extra_info("sockname")[1]  # type: ignore[union-attr]
            bad = await raw.exchange(raw_request(port, branch="z9hG4bKbad1", **garbage), core.sip1)
            ua = await TestUa.start(core.sip1, "udp", "alice")
            try:
                good = await ua.send(ua.register_request(call_id="after-garbage", cseq=1))
            finally:
                await ua.close()
            return bad, good
        finally:
            raw.close()

    bad, good = loop.run(scenario())
    assert bad.status == 400
    assert good.status == 401  # still serving
    assert core.process.alive()


def test_garbage_and_oversized_datagrams_do_not_stop_the_core(loop: LoopThread, core: CoreUnderTest) -> None:
    async def scenario() -> Response:
        raw = await RawUdp.open()
        try:
            assert raw.transport is not None
            for junk in (b"\x00\xff\xfe not sip\r\n\r\n", b"INVITE\r\n\r\n", b"A" * 70000,
                         b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n"):
                raw.transport.sendto(junk[:65000], core.sip1)
                raw.transport.sendto(junk[:65000], core.sip2)
            reader, writer = await asyncio.open_connection(*core.sip1)
            writer.write(b"GARBAGE / SIP/2.0\r\nContent-Length: x\r\n\r\n")
            await asyncio.wait_for(reader.read(), 3)  # unframeable: the core closes the connection
            writer.close()
            ua = await TestUa.start(core.sip1, "tcp", "alice")
            try:
                return await ua.send(ua.register_request(call_id="after-junk", cseq=1))
            finally:
                await ua.close()
        finally:
            raw.close()

    assert loop.run(scenario()).status == 401
    assert core.process.alive()


def test_retransmitted_request_is_forwarded_once(loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def scenario() -> list[Response]:
        ua = await TestUa.start(core.sip1, "udp", "bob")
        try:
            assert (await ua.register(core.passwords["bob"]))[1].status == 200
            fake_as.reset()
            answers: list[Response] = []
            message = ua.new_request("MESSAGE", body=b"once", content_type="text/plain")
            message.headers.prepend("Via", f"SIP/2.0/UDP 127.0.0.1:{ua.endpoint.udp_address[1]}"
                                           ";branch=z9hG4bKretransmitted;rport")
            data = message.to_bytes()
            ua.endpoint.on_stray_response = lambda response, flow: answers.append(response)
            await ua.endpoint.send_raw(data, core.sip1, "udp")
            await eventually(lambda: len(answers) == 1)
            for _ in range(2):  # retransmissions: answered from the completed transaction
                await ua.endpoint.send_raw(data, core.sip1, "udp")
            await eventually(lambda: len(answers) == 3)
            return answers
        finally:
            await ua.close()

    answers = loop.run(scenario())
    assert {a.status for a in answers} == {200}
    assert len(fake_as.of_method("MESSAGE")) == 1


def test_bad_configuration_is_refused_naming_the_item(tmp_path: Path) -> None:
    config = core_config(tmp_path, 5070, {u: "pw" for u in ("alice", "bob", "carol", "dave", "erin")})
    config["as"]["transport"] = "sctp"
    with pytest.raises(RoleStartError, match="as.transport"):
        RoleProcess("core-bad", "mcsec.impl.core", config, tmp_path).start(timeout=15)
    del config["as"]
    with pytest.raises(RoleStartError, match="as: missing"):
        RoleProcess("core-bad2", "mcsec.impl.core", config, tmp_path).start(timeout=15)


def test_a_core_on_a_taken_port_says_it_is_in_use(tmp_path: Path) -> None:
    """As every role (impl/rolemain.py): a SIP-1 port taken between the lab choosing it and the core binding
    it is a not-ready line naming it "in use", so the lab chooses again, not an exit with status 1 (found
    in a clean-clone CI, with two e2e workers starting labs side by side)."""
    import socket

    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    try:
        config = core_config(tmp_path, 5070, {u: "pw" for u in ("alice", "bob", "carol", "dave", "erin")})
        config["sip1_port"] = holder.getsockname()[1]
        process = RoleProcess("core-taken", "mcsec.impl.core", config, tmp_path)
        with pytest.raises(RoleStartError, match=r"cannot serve: .*in use"):
            process.start(timeout=15)
        assert not process.alive()
    finally:
        holder.close()


def test_core_stops_by_itself_on_sigterm(loop: LoopThread, tmp_path: Path) -> None:
    """SIGTERM ends the core on its own (exit status 0), never by the SIGKILL a stop falls back to. The
    wait is a bound on a hang, not a measure of speed."""
    import signal
    import subprocess

    from tests.unit.core.harness import start_core, stop_core

    core = start_core(loop, tmp_path)
    proc = core.process._proc
    assert proc is not None and proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        status = None
    stop_core(loop, core)
    assert status == 0, f"the core did not end on SIGTERM by itself (status {status})"


# --- TCP connections that send part of a message and go quiet --------------------------------------

PARTIAL = b"MESSAGE sip:mcptt-as@example.org SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKquiet\r\nX-: "
GUARD_S = 30.0  # reached only by a core that never closes them


async def _held(address: tuple[str, int], count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """`count` connections each holding a partial request; (None, None) for one the core refused so fast
    that the connect itself saw the reset (a refusal over the cap, on a busy machine)."""
    held = []
    for _ in range(count):
        try:
            reader, writer = await asyncio.open_connection(*address)
        except ConnectionResetError:
            held.append((None, None))
            continue
        try:
            writer.write(PARTIAL)
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # refused: reset by the core
        held.append((reader, writer))
    return held


async def _closed(reader: asyncio.StreamReader | None) -> bool:
    if reader is None:
        return True
    try:
        while await asyncio.wait_for(reader.read(65536), GUARD_S):
            pass
    except asyncio.TimeoutError:
        return False
    except (ConnectionError, OSError):
        pass
    return True


def test_quiet_partial_tcp_connections_are_closed_capped_and_the_core_keeps_serving(loop: LoopThread, tmp_path):
    from tests.unit.core.harness import start_core, stop_core
    core = start_core(loop, tmp_path, tcp={"partial_timeout_s": 0.5, "max_connections_per_peer": 20,
                                           "max_connections": 200})

    async def scenario() -> list[bool]:
        held = await _held(core.sip1, 40)  # 20 accepted, 20 refused at once
        closed = await asyncio.gather(*(_closed(reader) for reader, _ in held))
        for _, writer in held:
            if writer is not None:
                writer.close()
        ua = await TestUa.start(core.sip1, "tcp", "dave")  # the core still serves, over TCP too
        try:
            assert (await ua.register(core.passwords["dave"]))[1].status == 200
        finally:
            await ua.close()
        return closed

    try:
        assert all(loop.run(scenario(), timeout=4 * GUARD_S))
    finally:
        stop_core(loop, core)
    log = core.process.log_path.read_text()
    assert "refusing TCP connections beyond the cap" in log
    assert log.count("still incomplete") == 20


def test_the_fault_core_keep_idle_tcp_keeps_them(loop: LoopThread, tmp_path):
    from tests.unit.core.harness import start_core, stop_core
    core = start_core(loop, tmp_path, tcp={"partial_timeout_s": 0.2, "idle_timeout_s": 0.2,
                                           "max_connections_per_peer": 5}, faults=["core_keep_idle_tcp"])

    async def scenario() -> bool:
        held = await _held(core.sip1, 10)
        await asyncio.sleep(1.0)  # five times both limits: still open, since the fault keeps them
        still_open = not any(reader.at_eof() for reader, _ in held if reader is not None)
        for _, writer in held:
            if writer is not None:
                writer.close()
        return still_open

    try:
        assert loop.run(scenario(), timeout=GUARD_S)
    finally:
        stop_core(loop, core)

def test_register_with_an_unsplittable_contact_list_is_400(loop: LoopThread, core: CoreUnderTest) -> None:
    """Found by fuzzing (tests/fuzz/sip_message.py): a Contact whose quotes do not close."""
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "alice")
        try:
            return (await ua.register(core.passwords["alice"], extra=[("Contact", '"unterminated <sip:x@y>')]))[1]
        finally:
            await ua.close()

    answer = loop.run(scenario())
    assert answer.status == 400
    assert core.process.alive()


def test_digest_response_with_non_ascii_characters_is_challenged_again(loop: LoopThread,
                                                                       core: CoreUnderTest) -> None:
    """Found by fuzzing (tests/fuzz/sip_header_values.py): a non-ASCII character in response="..."."""
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "bob")
        try:
            first = await ua.send(ua.register_request(call_id="non-ascii-digest", cseq=1))
            challenge = Challenge.parse(first.headers.get("WWW-Authenticate") or "")
            request = ua.register_request(call_id="non-ascii-digest", cseq=2)
            header = authorization(challenge, username="bob", password=core.passwords["bob"], method="REGISTER",
                                   uri=request.uri)
            request.headers.add("Authorization", header.replace('response="', 'response="\u00e9', 1))
            return await ua.send(request)
        finally:
            await ua.close()

    assert loop.run(scenario()).status == 401
    assert core.process.alive()
