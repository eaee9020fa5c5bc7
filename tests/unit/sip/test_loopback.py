"""Real exchanges over loopback UDP and TCP between endpoints (and raw sockets for malformed input).

Every wait is bounded: each test runs under ``asyncio.wait_for`` and uses scaled timers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mcsec.impl.sip import (
    Request,
    Response,
    TimerConfig,
    TransactionTimeout,
    TransportError,
    make_2xx_ack,
    make_request,
    parse_message,
)
from mcsec.impl.sip.aio import RequestContext, SipEndpoint

from .samples import MESSAGE_REQUEST, request

FAST = TimerConfig().scaled(0.01)  # T1 = 5 ms, 64*T1 = 0.32 s
TRANSPORTS = ["udp", "tcp"]


def run(test: Callable[[], Awaitable[None]], limit: float = 10.0) -> None:
    asyncio.run(asyncio.wait_for(test(), limit))


def new_message(body: bytes = b"hello") -> Request:
    return make_request("MESSAGE", "sip:server@127.0.0.1", from_="<sip:alice@127.0.0.1>",
                        to="<sip:server@127.0.0.1>", body=body, content_type="text/plain")


def new_invite() -> Request:
    return make_request("INVITE", "sip:server@127.0.0.1", from_="<sip:alice@127.0.0.1>",
                        to="<sip:server@127.0.0.1>", contact="<sip:alice@127.0.0.1>")


async def pair() -> tuple[SipEndpoint, SipEndpoint]:
    return await SipEndpoint.start(timers=FAST), await SipEndpoint.start(timers=FAST)


async def wait_for_condition(check: Callable[[], bool], limit: float = 2.0) -> None:
    for _ in range(int(limit / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


class RawUdp(asyncio.DatagramProtocol):
    """A bare UDP socket collecting what it receives."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        self.queue.put_nowait(data)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    async def receive(self, limit: float = 2.0) -> bytes:
        return await asyncio.wait_for(self.queue.get(), limit)


async def raw_udp() -> RawUdp:
    _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        RawUdp, local_addr=("127.0.0.1", 0))
    return protocol


def test_ports_bound_on_loopback() -> None:
    async def body() -> None:
        endpoint = await SipEndpoint.start(timers=FAST)
        try:
            for transport in TRANSPORTS:
                host, port = endpoint.address(transport)
                assert host == "127.0.0.1" and 0 < port < 65536
            assert endpoint.udp_address != ("", 0)
        finally:
            await endpoint.close()
    run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_message_exchange(transport: str) -> None:
    async def body() -> None:
        client, server = await pair()
        seen: list[tuple[Request, str]] = []

        def on_message(req: Request, ctx: RequestContext) -> Response:
            seen.append((req, ctx.transport))
            return ctx.response(200, body=b"ack:" + req.body, content_type="text/plain")

        server.on_request("MESSAGE", on_message)
        try:
            response = await client.send_request(new_message(b"payload\r\n\x00"), server.address(transport),
                                                 transport=transport, timeout=3)
            assert response.status == 200 and response.body == b"ack:payload\r\n\x00"
            assert response.to.tag
            req, via_transport = seen[0]
            assert via_transport == transport and req.body == b"payload\r\n\x00"
            top = req.top_via
            assert top.transport == transport.upper() and top.branch and top.branch.startswith("z9hG4bK")
            assert top.received == "127.0.0.1" and top.rport is not None  # stamped by the server
            assert len(seen) == 1
        finally:
            await client.close()
            await server.close()
    run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_invite_180_200_ack(transport: str) -> None:
    async def body() -> None:
        client, server = await pair()
        acked = asyncio.Event()
        acks: list[Request] = []

        async def on_invite(req: Request, ctx: RequestContext) -> Response:
            ctx.respond(ctx.response(180))
            await asyncio.sleep(0.01)
            contact = f"<sip:server@127.0.0.1:{server.address(transport)[1]}>"
            return ctx.response(200, headers=[("Contact", contact)])

        def on_ack(req: Request, ctx: RequestContext) -> None:
            acks.append(req)
            acked.set()

        server.on_request("INVITE", on_invite)
        server.on_request("ACK", on_ack)
        try:
            invite = new_invite()
            provisional: list[Response] = []
            response = await client.send_request(invite, server.address(transport), transport=transport,
                                                 timeout=3, on_provisional=provisional.append)
            assert response.status == 200
            assert [p.status for p in provisional] == [100, 180]
            assert provisional[1].to.tag == response.to.tag  # one To tag per transaction
            ack = make_2xx_ack(invite, response)
            await client.send_stateless(ack, server.address(transport), transport)
            await asyncio.wait_for(acked.wait(), 2)
            assert acks[0].method == "ACK" and acks[0].to.tag == response.to.tag
            assert acks[0].top_via.branch != invite.top_via.branch
        finally:
            await client.close()
            await server.close()
    run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_invite_rejected_ack_absorbed_by_transaction(transport: str) -> None:
    async def body() -> None:
        client, server = await pair()
        acks: list[Request] = []
        server.on_request("INVITE", lambda req, ctx: ctx.response(486))
        server.on_request("ACK", lambda req, ctx: acks.append(req))
        try:
            response = await client.send_request(new_invite(), server.address(transport),
                                                 transport=transport, timeout=3)
            assert response.status == 486
            await wait_for_condition(lambda: not server._servers)  # confirmed, then terminated
            assert acks == []  # the non-2xx ACK belongs to the transaction, not the TU
        finally:
            await client.close()
            await server.close()
    run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unhandled_method_and_failing_handler(transport: str) -> None:
    async def body() -> None:
        client, server = await pair()

        def broken(req: Request, ctx: RequestContext) -> Response:
            raise RuntimeError("boom")

        server.on_request("MESSAGE", broken)
        try:
            options = make_request("OPTIONS", "sip:server@127.0.0.1", from_="<sip:a@127.0.0.1>",
                                   to="<sip:server@127.0.0.1>")
            response = await client.send_request(options, server.address(transport), transport=transport,
                                                 timeout=3)
            assert response.status == 405 and response.headers.get("Allow") == "MESSAGE"
            response = await client.send_request(new_message(), server.address(transport),
                                                 transport=transport, timeout=3)
            assert response.status == 500 and server.stats.handler_errors == 1
        finally:
            await client.close()
            await server.close()
    run(body)


def test_udp_malformed_request_answered_and_garbage_dropped() -> None:
    async def body() -> None:
        server = await SipEndpoint.start(timers=FAST)
        raw = await raw_udp()
        try:
            assert raw.transport is not None
            bad = request(cseq=b"CSeq: 1 INVITE").replace(b"192.0.2.10", b"127.0.0.1;rport")
            raw.transport.sendto(bad, server.udp_address)
            answer = parse_message(await raw.receive())
            assert isinstance(answer, Response) and answer.status == 400
            assert "CSeq" in answer.reason and answer.top_via.branch == "z9hG4bKmand"
            raw.transport.sendto(b"\x00\x01garbage\r\n\r\n", server.udp_address)
            raw.transport.sendto(b"\r\n\r\n", server.udp_address)  # keep-alive: ignored
            await wait_for_condition(lambda: server.stats.malformed_dropped == 1)
            assert server.stats.malformed_answered == 1
            assert server.udp is not None and server.udp.stats.keepalives == 1
            assert raw.queue.empty()
        finally:
            assert raw.transport is not None
            raw.transport.close()
            await server.close()
    run(body)


def test_udp_request_retransmission_absorbed() -> None:
    async def body() -> None:
        server = await SipEndpoint.start(timers=FAST)
        calls: list[Request] = []
        server.on_request("MESSAGE", lambda req, ctx: (calls.append(req), ctx.response(200))[1])
        raw = await raw_udp()
        try:
            assert raw.transport is not None
            data = MESSAGE_REQUEST.replace(b"192.0.2.10:5060", b"127.0.0.1:%d" % raw.port)
            raw.transport.sendto(data, server.udp_address)
            first = parse_message(await raw.receive())
            raw.transport.sendto(data, server.udp_address)
            second = parse_message(await raw.receive())
            assert isinstance(first, Response) and isinstance(second, Response)
            assert first.status == second.status == 200 and first.to.tag == second.to.tag
            assert len(calls) == 1 and server.stats.request_retransmissions_absorbed == 1
        finally:
            assert raw.transport is not None
            raw.transport.close()
            await server.close()
    run(body)


async def tcp_exchange(port: int, data: bytes, *, expect_close: bool) -> tuple[list[bytes], bool]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    received = b""
    closed = False
    try:
        for _ in range(50):
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.5 if expect_close else 0.2)
            except asyncio.TimeoutError:
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        writer.close()
    pieces = [m.lstrip(b"\r\n") for m in received.split(b"\r\n\r\n")]  # CRLF pongs may precede
    messages = [m for m in pieces if m.startswith(b"SIP/2.0")]
    return messages, closed


def test_tcp_malformed_and_unframeable_input() -> None:
    async def body() -> None:
        server = await SipEndpoint.start(timers=FAST, max_message_size=2000)
        server.on_request("OPTIONS", lambda req, ctx: ctx.response(200))
        port = server.tcp_address[1]
        try:
            # parseable framing, bad content: answered, connection stays usable
            messages, closed = await tcp_exchange(
                port, request(cseq=b"CSeq: 1 BYE") + b"\r\n\r\n" + request(), expect_close=False)
            assert not closed
            assert [m.split(b"\r\n")[0][:16] for m in messages[:1]] == [b"SIP/2.0 400 Bad "]
            assert any(m.startswith(b"SIP/2.0 200 OK") for m in messages)
            # no Content-Length on a stream: answered, then the connection is closed
            messages, closed = await tcp_exchange(port, request(length=False), expect_close=True)
            assert closed and messages and messages[0].startswith(b"SIP/2.0 400 Bad Request (Content-Length")
            # over the size limit: 513, then closed
            big = request(b"MESSAGE sip:s@127.0.0.1 SIP/2.0", b"Content-Type: text/plain",
                          cseq=b"CSeq: 1 MESSAGE", body=b"x" * 5000)
            messages, closed = await tcp_exchange(port, big, expect_close=True)
            assert closed and messages[0].startswith(b"SIP/2.0 513 Message Too Large")
            # keep-alive ping gets a CRLF pong
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"\r\n\r\n")
            assert await asyncio.wait_for(reader.readexactly(2), 2) == b"\r\n"
            writer.close()
            assert server.stats.malformed_answered == 3
        finally:
            await server.close()
    run(body)


def test_udp_timeout_after_timer_f_counts_retransmissions() -> None:
    async def body() -> None:
        client = await SipEndpoint.start(timers=FAST, tcp_port=None)
        silent = await raw_udp()
        try:
            with pytest.raises(TransactionTimeout) as info:
                await client.send_request(new_message(), ("127.0.0.1", silent.port), timeout=5)
            assert info.value.timer == "F"
            retransmissions = client.stats.retransmissions_sent
            assert 1 <= retransmissions <= 10  # E doubles up to T2 within 64*T1: at most 10
            await wait_for_condition(lambda: silent.queue.qsize() == 1 + retransmissions)
            datagrams = [silent.queue.get_nowait() for _ in range(silent.queue.qsize())]
            assert len(set(datagrams)) == 1  # retransmissions are identical
            assert client._clients == {}
        finally:
            assert silent.transport is not None
            silent.transport.close()
            await client.close()
    run(body)


def test_tcp_invite_timeout_after_timer_b_without_retransmission() -> None:
    async def body() -> None:
        client, silent = await pair()  # silent: its INVITE handler never answers
        never = asyncio.Event()

        async def hold(req: Request, ctx: RequestContext) -> Response:
            await never.wait()
            return ctx.response(200)

        silent.on_request("INVITE", hold)
        silent_trying = TimerConfig().scaled(0.01)
        assert silent_trying.b == pytest.approx(0.32)
        try:
            # the 100 Trying moves the transaction to Proceeding, where Timer B no longer applies:
            # the caller's timeout ends the wait
            with pytest.raises(TransactionTimeout):
                await client.send_request(new_invite(), silent.tcp_address, transport="tcp", timeout=0.5)
            assert client.stats.retransmissions_sent == 0 and client._clients == {}
        finally:
            await client.close()
            await silent.close()
    run(body)


def test_invite_timer_b_over_udp_to_silent_socket() -> None:
    async def body() -> None:
        client = await SipEndpoint.start(timers=FAST, tcp_port=None)
        silent = await raw_udp()
        try:
            with pytest.raises(TransactionTimeout) as info:
                await client.send_request(new_invite(), ("127.0.0.1", silent.port), timeout=5)
            assert info.value.timer == "B"
            assert 1 <= client.stats.retransmissions_sent <= 6  # A doubles: 0.5,1,2,4,8,16 T1 within 64 T1
        finally:
            assert silent.transport is not None
            silent.transport.close()
            await client.close()
    run(body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cancel_pending_invite(transport: str) -> None:
    async def body() -> None:
        client, server = await pair()
        release = asyncio.Event()

        async def slow(req: Request, ctx: RequestContext) -> Response:
            await asyncio.wait_for(release.wait(), 3)
            return ctx.response(200)

        server.on_request("INVITE", slow)
        try:
            invite = new_invite()
            pending = asyncio.ensure_future(client.send_request(invite, server.address(transport),
                                                                transport=transport, timeout=3))
            await wait_for_condition(lambda: bool(server._servers))
            cancel = Request(method="CANCEL", uri=invite.uri, headers=invite.headers.copy())
            for name in ("Contact", "Content-Type"):
                cancel.headers.remove(name)
            cancel.headers.set("CSeq", f"{invite.cseq.seq} CANCEL")
            cancel_response = await client.send_request(cancel, server.address(transport),
                                                        transport=transport, timeout=3)
            assert cancel_response.status == 200
            assert (await pending).status == 487
            release.set()
            unknown = cancel.copy()
            unknown.headers.set("Via", unknown.headers.get_list("Via")[0].replace("z9hG4bK", "z9hG4bKx"))
            assert (await client.send_request(unknown, server.address(transport), transport=transport,
                                              timeout=3)).status == 481
        finally:
            await client.close()
            await server.close()
    run(body)


def test_tcp_connection_refused() -> None:
    async def body() -> None:
        client = await SipEndpoint.start(timers=FAST)
        probe = await SipEndpoint.start(timers=FAST, udp_port=None)
        closed_port = probe.tcp_address[1]
        await probe.close()
        try:
            with pytest.raises(TransportError):
                await client.send_request(new_message(), ("127.0.0.1", closed_port), transport="tcp",
                                          timeout=2)
        finally:
            await client.close()
    run(body)
