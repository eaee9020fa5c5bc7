"""The UA core's 2xx duties (RFC 3261 13.3.1.4, 13.2.2.4): a UAS sends its 2xx to an INVITE again until
the ACK comes (at most 64*T1), a UAC sends its ACK again for each retransmitted 2xx; a proxy does
neither. Scaled timers: T1 = 5 ms, T2 = 40 ms, 64*T1 = 0.32 s; every wait is bounded."""
from __future__ import annotations

import asyncio

from mcsec.impl.sip import Request, Response, make_2xx_ack, make_request, make_response, parse_message
from mcsec.impl.sip.aio import SipEndpoint
from mcsec.impl.sip.aio.endpoint import RequestContext

from .test_loopback import FAST, new_invite, raw_udp, run, wait_for_condition

WINDOW_S = 64 * FAST.t1
# Sends after the first at T1, 2T1, 4T1, then every T2 until 64*T1: 5 + 15 + 35 + 75 ... ms -> 10 in 0.32 s.
EXPECTED_RETRANSMISSIONS = range(6, 12)


def invite_from(port: int) -> Request:
    invite = make_request("INVITE", "sip:server@127.0.0.1", from_="<sip:alice@127.0.0.1>",
                          to="<sip:server@127.0.0.1>", contact=f"<sip:alice@127.0.0.1:{port}>")
    invite.headers.prepend("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{invite.call_id[:12]};rport")
    return invite


async def oks_received(raw, limit: float, *, first_only: bool = False) -> list[Response]:
    """Every 200 the raw socket gets within ``limit`` seconds (provisional answers skipped); with
    ``first_only``, returns as soon as the first has come."""
    got: list[Response] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (left := deadline - loop.time()) > 0:
        try:
            message = parse_message(await raw.receive(left))
        except asyncio.TimeoutError:
            break
        if isinstance(message, Response) and message.status == 200:
            got.append(message)
            if first_only:
                break
    return got


async def uas() -> SipEndpoint:
    server = await SipEndpoint.start(timers=FAST)

    def on_invite(req: Request, ctx: RequestContext) -> Response:
        return ctx.response(200, headers=[("Contact", f"<sip:server@127.0.0.1:{server.udp_address[1]}>")])
    server.on_request("INVITE", on_invite)
    server.on_request("ACK", lambda req, ctx: None)
    return server


def test_uas_sends_its_2xx_again_until_64_t1_without_ack() -> None:
    async def body() -> None:
        server, raw = await uas(), await raw_udp()
        try:
            raw.transport.sendto(invite_from(raw.port).to_bytes(), server.udp_address)
            oks = await oks_received(raw, WINDOW_S + 0.2)
            assert len(oks) - 1 in EXPECTED_RETRANSMISSIONS, len(oks)
            assert len({ok.to_bytes() for ok in oks}) == 1, "a retransmission is the same 2xx, byte for byte"
            assert server.stats.ok_unacknowledged == 1
            assert await oks_received(raw, 0.1) == [], "nothing after 64*T1"
        finally:
            raw.transport.close()
            await server.close()
    run(body)


def test_uas_stops_at_the_ack() -> None:
    async def body() -> None:
        server, raw = await uas(), await raw_udp()
        try:
            invite = invite_from(raw.port)
            raw.transport.sendto(invite.to_bytes(), server.udp_address)
            oks = await oks_received(raw, WINDOW_S, first_only=True)  # within the 2xx's lifetime, however busy
            assert oks, "no 200 within 64*T1"
            first = oks[0]
            ack = make_2xx_ack(invite, first, via=f"SIP/2.0/UDP 127.0.0.1:{raw.port};branch=z9hG4bK-ack1;rport")
            raw.transport.sendto(ack.to_bytes(), server.udp_address)
            await wait_for_condition(lambda: server.stats.ok_unacknowledged == 0)  # the ACK taken
            sent = server.stats.ok_retransmissions_sent
            later = await oks_received(raw, WINDOW_S)  # a whole 64*T1 after the ACK was taken
            # nothing sent after the ACK: what still arrived had left before it (a busy machine delays it)
            assert server.stats.ok_retransmissions_sent == sent
            assert len(later) <= sent
        finally:
            raw.transport.close()
            await server.close()
    run(body)


def test_uac_sends_its_ack_again_for_a_retransmitted_2xx() -> None:
    async def body() -> None:
        client, raw = await SipEndpoint.start(timers=FAST), await raw_udp()
        try:
            invite = new_invite()
            sending = asyncio.create_task(client.send_request(invite, ("127.0.0.1", raw.port), timeout=2))
            received = parse_message(await raw.receive())
            assert isinstance(received, Request) and received.method == "INVITE"
            ok = make_response(received, 200, headers=[("Contact", f"<sip:server@127.0.0.1:{raw.port}>")])
            raw.transport.sendto(ok.to_bytes(), client.udp_address)
            response = await sending
            await client.send_stateless(make_2xx_ack(invite, response), ("127.0.0.1", raw.port))
            ack = await raw.receive()
            raw.transport.sendto(ok.to_bytes(), client.udp_address)   # the UAS did not see the ACK
            assert await raw.receive() == ack
            assert client.stats.acks_resent == 1
        finally:
            raw.transport.close()
            await client.close()
    run(body)


def test_a_proxy_leaves_2xx_retransmission_to_the_uas() -> None:
    async def body() -> None:
        server, raw = await uas(), await raw_udp()
        server.ua_core = False
        try:
            raw.transport.sendto(invite_from(raw.port).to_bytes(), server.udp_address)
            assert len(await oks_received(raw, WINDOW_S / 2)) == 1
            await wait_for_condition(lambda: server.stats.ok_retransmissions_sent == 0)
        finally:
            raw.transport.close()
            await server.close()
    run(body)
