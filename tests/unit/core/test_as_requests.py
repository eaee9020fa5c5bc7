"""Requests from the MCPTT AS (SIP-2) delivered to registered clients, and dialogs through the core."""
from __future__ import annotations

import asyncio

import pytest

from mcsec.impl.sip import Request, Response, make_2xx_ack, make_request
from mcsec.impl.sip.aio import RequestContext, SipEndpoint
from mcsec.impl.sip.header_values import parse_name_address
from tests.unit.core.harness import AS_URI, CoreUnderTest, FakeAs, LoopThread, TestUa, eventually, impu

BODY = b"\x00protected\r\n\r\nbody\xff"


def as_message(to_user: str, body: bytes = BODY) -> Request:
    return make_request("MESSAGE", impu(to_user), from_=f"<{AS_URI}>", to=f"<{impu(to_user)}>",
                        body=body, content_type="application/pkcs7-mime; smime-type=enveloped-data")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_as_message_reaches_the_registered_client_over_its_flow(
        loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs, transport: str) -> None:
    async def scenario() -> tuple[TestUa, Response]:
        ua = await TestUa.start(core.sip1, transport, "alice")
        try:
            assert (await ua.register(core.passwords["alice"]))[1].status == 200
            response = await fake_as.endpoint.send_request(as_message("alice"), core.sip2, timeout=5)
            return ua, response
        finally:
            await ua.close()

    ua, response = loop.run(scenario())
    assert response.status == 200
    assert len(response.vias) == 1  # the core's Via is gone
    [delivered] = ua.received
    assert delivered.request.method == "MESSAGE"
    assert delivered.request.uri == ua.contact_uri
    assert delivered.request.body == BODY
    assert delivered.transport == transport
    # over the registered flow: from the core's SIP-1 port; for TCP, the client's own connection
    assert delivered.source == core.sip1
    vias = delivered.request.vias
    assert len(vias) == 2 and (vias[0].host, vias[0].port) == core.sip1


def test_as_message_to_unknown_or_unregistered_user(loop: LoopThread, core: CoreUnderTest,
                                                    fake_as: FakeAs) -> None:
    async def scenario() -> tuple[int, int]:
        unknown = await fake_as.endpoint.send_request(as_message("mallory"), core.sip2, timeout=5)
        unregistered = await fake_as.endpoint.send_request(as_message("erin"), core.sip2, timeout=5)
        return unknown.status, unregistered.status

    assert loop.run(scenario()) == (404, 480)


def test_invite_200_ack_and_bye_through_the_core(loop: LoopThread, core: CoreUnderTest,
                                                 fake_as: FakeAs) -> None:
    async def scenario() -> tuple[TestUa, Request, Response, Request, Response]:
        ua = await TestUa.start(core.sip1, "udp", "bob")
        try:
            assert (await ua.register(core.passwords["bob"]))[1].status == 200
            invite = ua.new_request("INVITE", body=b"v=0\r\n", content_type="application/sdp")
            ok = await ua.send(invite)
            ack = make_2xx_ack(invite, ok)
            await ua.endpoint.send_stateless(ack, core.sip1, "udp")
            await eventually(lambda: len(fake_as.acks) == 1)
            # the AS ends the dialog: route set = Record-Route of the INVITE as it received it
            [received] = fake_as.of_method("INVITE")
            bye = make_request("BYE", str(parse_name_address(received.request.headers.get("Contact") or "").uri),
                               from_=received.request.headers.get("To") or "", to="", call_id=invite.call_id,
                               cseq=1, headers=[("Route", r) for r in received.request.headers.get_list("Record-Route")])
            bye.headers.set("From", ok.headers.get("To") or "")
            bye.headers.set("To", invite.headers.get("From") or "")
            bye_answer = await fake_as.endpoint.send_request(bye, core.sip2, timeout=5)
            return ua, invite, ok, ack, bye_answer
        finally:
            await ua.close()

    ua, invite, ok, ack, bye_answer = loop.run(scenario())
    assert ok.status == 200
    record_route = [parse_name_address(v).uri for v in ok.headers.get_list("Record-Route")]
    assert [(u.host, u.port) for u in record_route] == [core.sip2, core.sip1]
    # a slow machine may make the AS retransmit its 200 before the ACK is in: then the ACK comes again, the same
    relayed_ack = fake_as.acks[0]
    assert {(a.request.call_id, a.request.headers.get("CSeq")) for a in fake_as.acks} == {
        (invite.call_id, relayed_ack.request.headers.get("CSeq"))}
    assert relayed_ack.request.uri == ack.uri  # the AS's contact
    assert relayed_ack.request.headers.get_list("Route") == []  # the core's two entries consumed
    assert relayed_ack.request.top_via.port == core.sip2[1]
    assert bye_answer.status == 200
    [bye] = [r for r in ua.received if r.request.method == "BYE"]
    assert bye.request.uri == ua.contact_uri
    assert bye.request.headers.get_list("Route") == []


def test_cancel_reaches_the_as_and_the_invite_ends_487(loop: LoopThread, core: CoreUnderTest,
                                                       fake_as: FakeAs) -> None:
    async def ringing(request: Request, ctx: RequestContext) -> None:
        ctx.respond(ctx.response(180))
        await asyncio.sleep(3)  # never answers: the CANCEL ends it

    async def scenario() -> tuple[list[int], Response]:
        ua = await TestUa.start(core.sip1, "udp", "carol")
        try:
            assert (await ua.register(core.passwords["carol"]))[1].status == 200
            fake_as.responder = ringing
            provisionals: list[int] = []
            invite = ua.new_request("INVITE")
            pending = asyncio.ensure_future(ua.endpoint.send_request(
                invite, core.sip1, transport="udp", timeout=5,
                on_provisional=lambda r: provisionals.append(r.status)))
            await eventually(lambda: 180 in provisionals)
            cancel = Request(method="CANCEL", uri=invite.uri, headers=invite.headers.copy())
            cancel.headers.remove("Contact")
            cancel.headers.set("CSeq", f"{invite.cseq.seq} CANCEL")
            cancel_answer = await ua.endpoint.send_request(cancel, core.sip1, transport="udp", timeout=5)
            assert cancel_answer.status == 200
            final = await pending
            await eventually(lambda: len(fake_as.cancels) == 1)
            return provisionals, final
        finally:
            await ua.close()

    provisionals, final = loop.run(scenario())
    assert 180 in provisionals
    assert final.status == 487


def test_core_answers_sip2_requests_only_from_the_as_host(loop: LoopThread, core: CoreUnderTest) -> None:
    async def scenario() -> int:
        intruder = await SipEndpoint.start(host="127.0.0.2", udp_port=0, tcp_port=None)
        try:
            return (await intruder.send_request(as_message("alice"), core.sip2, timeout=5)).status
        finally:
            await intruder.close()

    assert loop.run(scenario()) == 403


def test_sip2_over_tcp_when_configured(loop: LoopThread, tmp_path) -> None:
    from tests.unit.core.harness import start_core, stop_core

    core_tcp = start_core(loop, tmp_path, as_transport="tcp")
    try:
        async def scenario() -> tuple[int, int, TestUa]:
            ua = await TestUa.start(core_tcp.sip1, "udp", "alice")
            try:
                assert (await ua.register(core_tcp.passwords["alice"]))[1].status == 200
                up = await ua.send(ua.new_request("MESSAGE", body=b"up", content_type="text/plain"))
                down = await core_tcp.fake_as.endpoint.send_request(as_message("alice"), core_tcp.sip2,
                                                                    transport="tcp", timeout=5)
                return up.status, down.status, ua
            finally:
                await ua.close()

        up, down, ua = loop.run(scenario())
        assert (up, down) == (200, 200)
        assert {r.transport for r in core_tcp.fake_as.received} == {"tcp"}
        [relayed] = core_tcp.fake_as.of_method("MESSAGE")
        assert relayed.request.top_via.transport == "TCP"
        routes = [parse_name_address(v).uri for v in relayed.request.headers.get_list("Record-Route")]
        assert routes[0].transport == "tcp" and routes[1].transport is None
        assert [r.request.body for r in ua.received] == [BODY]
    finally:
        stop_core(loop, core_tcp)


def test_requests_to_the_as_leave_sip2_from_its_listening_port_over_udp_and_tcp(loop: LoopThread, tmp_path) -> None:
    """The MCPTT server trusts P-Asserted-Identity from the core's SIP-2 address and port only (RFC 3325):
    over TCP the core's connection to it leaves from that port too, not from an ephemeral one."""
    from tests.unit.core.harness import start_core, stop_core
    for transport in ("udp", "tcp"):
        core = start_core(loop, tmp_path / transport, as_transport=transport)

        async def scenario() -> None:
            ua = await TestUa.start(core.sip1, "udp", "dave")
            try:
                assert (await ua.register(core.passwords["dave"]))[1].status == 200
                assert (await ua.send(ua.new_request("MESSAGE", body=b"x", content_type="text/plain"))).status == 200
            finally:
                await ua.close()

        try:
            loop.run(scenario())
            sources = {(r.transport, r.source) for r in core.fake_as.received}
            assert sources == {(transport, core.sip2)}, sources
        finally:
            stop_core(loop, core)
