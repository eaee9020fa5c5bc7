"""Routes to a second SIP-2 peer (docs/sip-core.md, "Routes"): requests from SIP-1 for the route's service
identity, and in-dialog requests to its address, go to that peer, which can reach clients like the AS."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcsec.impl.core.config import load_config
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.sip import make_2xx_ack, make_request
from mcsec.impl.sip.aio import RequestContext
from tests.unit.core.harness import (
    AS_URI,
    CoreUnderTest,
    FakeAs,
    LoopThread,
    TestUa,
    core_config,
    eventually,
    impu,
    start_core,
    stop_core,
)

SECOND_URI = "sip:mcptt-as-2@example.org"


@pytest.fixture(scope="module")
def routed(loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CoreUnderTest, FakeAs]]:
    second = loop.run(FakeAs.start())
    port = second.endpoint.address("udp")[1]
    core = start_core(loop, tmp_path_factory.mktemp("core-routes"),
                      routes=[{"uri": SECOND_URI, "host": "127.0.0.1", "port": port, "transport": "udp"}])
    yield core, second
    stop_core(loop, core)
    loop.run(second.endpoint.close())


def test_a_request_for_the_route_identity_goes_to_the_routed_peer_and_in_dialog_ones_follow(
        loop: LoopThread, routed: tuple[CoreUnderTest, FakeAs]) -> None:
    core, second = routed
    second.reset()
    core.fake_as.reset()
    host, port = second.endpoint.address("udp")

    def answer(request, ctx: RequestContext):
        return ctx.response(200, headers=[("Contact", f"<sip:mcptt-as-2@{host}:{port}>")])
    second.responder = answer

    async def scenario():
        ua = await TestUa.start(core.sip1, "udp", "alice")
        try:
            assert (await ua.register(core.passwords["alice"]))[1].status == 200
            message = await ua.send(ua.new_request("MESSAGE", uri=SECOND_URI))
            invite = ua.new_request("INVITE", uri=SECOND_URI)
            ok = await ua.send(invite)
            await ua.endpoint.send_stateless(make_2xx_ack(invite, ok), core.sip1)
            await eventually(lambda: bool(second.acks))
            to_as = await ua.send(ua.new_request("MESSAGE"))
            return message, ok, to_as
        finally:
            await ua.close()

    message, ok, to_as = loop.run(scenario())
    assert (message.status, ok.status, to_as.status) == (200, 200, 200)
    assert [r.request.method for r in second.received] == ["MESSAGE", "INVITE"]
    assert second.received[0].request.headers.get("P-Asserted-Identity") == f"<{impu('alice')}>"
    assert len(second.acks) == 1
    # the AS still gets everything else, and none of the routed requests
    assert [r.request.uri for r in core.fake_as.received if r.request.method == "MESSAGE"] == [AS_URI]


def test_the_routed_peer_reaches_a_registered_client_through_sip2(
        loop: LoopThread, routed: tuple[CoreUnderTest, FakeAs]) -> None:
    core, second = routed

    async def scenario():
        ua = await TestUa.start(core.sip1, "udp", "bob")
        try:
            assert (await ua.register(core.passwords["bob"]))[1].status == 200
            request = make_request("MESSAGE", impu("bob"), from_=f"<{SECOND_URI}>", to=f"<{impu('bob')}>")
            return await second.endpoint.send_request(request, core.sip2, timeout=5), ua
        finally:
            await ua.close()

    response, ua = loop.run(scenario())
    assert response.status == 200 and [r.request.method for r in ua.received] == ["MESSAGE"]


@pytest.mark.parametrize("route, error", [
    ({"uri": AS_URI, "host": "127.0.0.1", "port": 5999, "transport": "udp"}, "is the AS's own URI"),
    ({"uri": SECOND_URI, "host": "127.0.0.1", "port": 5070, "transport": "udp"}, "is the AS's own address"),
    ({"uri": SECOND_URI, "host": "127.0.0.1", "port": 5999, "transport": "sctp"}, "must be udp or tcp"),
    ({"uri": "mailto:x@example.org", "host": "127.0.0.1", "port": 5999, "transport": "udp"}, "not a SIP URI"),
    ({"uri": SECOND_URI, "host": "peer.example.org", "port": 5999, "transport": "udp"}, "must be an IP address"),
    ({"uri": SECOND_URI, "host": "127.0.0.1", "port": 5999, "transport": "udp", "x": 1}, "x: unknown item"),
])
def test_a_bad_route_is_named(tmp_path, route: dict, error: str) -> None:
    raw = core_config(tmp_path, 5070, {u: "pw" for u in ("alice", "bob", "carol", "dave", "erin")}, routes=[route])
    with pytest.raises(ConfigError, match=error):
        load_config(raw)
    assert load_config(core_config(tmp_path, 5070, {u: "pw" for u in ("alice", "bob", "carol", "dave", "erin")})
                       ).routes == ()
