"""The test system's scripted MCPTT server (fixtures/agents/scripted_server.py), in process: it answers as
scripted, 480 without a script, remembers what it received, and sends requests through a SIP core."""
from __future__ import annotations

import asyncio

import pytest

from mcsec.fixtures.agents.scripted_server import ScriptedServer, ScriptedServerError
from mcsec.fixtures.verdicts import Inconclusive
from mcsec.impl.hostport import HostPort
from mcsec.impl.sip import TimerConfig, make_request
from mcsec.impl.sip.aio import SipEndpoint

FAST = TimerConfig().scaled(0.05)
URI = "sip:mcptt-as-2@example.org"


def _exchange(target: HostPort, method: str = "MESSAGE"):
    async def go():
        endpoint = await SipEndpoint.start(timers=FAST)
        try:
            request = make_request(method, URI, from_="<sip:alice@ims.example.org>", to=f"<{URI}>")
            return await endpoint.send_request(request, target.address, timeout=5)
        finally:
            await endpoint.close()
    return asyncio.run(asyncio.wait_for(go(), 10))


@pytest.fixture
def server():
    agent = ScriptedServer(uri=URI, timeout_s=2, timers=FAST).start()
    yield agent
    agent.stop()


def test_it_answers_as_scripted_and_480_without_a_script(server: ScriptedServer) -> None:
    assert _exchange(server.address).status == 480
    server.script(lambda request, ctx: ctx.response(202, headers=[("Contact", server.contact())]))
    assert server.received() == []
    answer = _exchange(server.address, "PUBLISH")
    assert answer.status == 202 and answer.headers.get("Contact") == server.contact()
    assert [r.method for r in server.received()] == ["PUBLISH"] and server.received("MESSAGE") == []
    server.reset()
    assert _exchange(server.address).status == 480 and [r.method for r in server.received()] == ["MESSAGE"]
    assert server.contact().startswith("<sip:mcptt-as-2@127.0.0.1:")


def test_it_sends_through_the_core_and_is_inconclusive_without_one(server: ScriptedServer) -> None:
    with pytest.raises(Inconclusive, match="no SIP core"):
        server.send(make_request("MESSAGE", "sip:alice@ims.example.org", from_=f"<{URI}>",
                                 to="<sip:alice@ims.example.org>"))

    async def start_core():
        core = await SipEndpoint.start(timers=FAST)
        core.on_request("MESSAGE", lambda request, ctx: ctx.response(200))
        return core
    loop = asyncio.new_event_loop()
    core = loop.run_until_complete(start_core())
    try:
        import threading
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        routed = ScriptedServer(uri=URI, core_sip2=HostPort(*core.udp_address), timeout_s=2, timers=FAST).start()
        try:
            answer = routed.send(make_request("MESSAGE", "sip:alice@ims.example.org", from_=f"<{URI}>",
                                              to="<sip:alice@ims.example.org>"))
            assert answer.status == 200
        finally:
            routed.stop()
    finally:
        asyncio.run_coroutine_threadsafe(core.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)


def test_a_port_in_use_is_a_clear_error(server: ScriptedServer) -> None:
    with pytest.raises(ScriptedServerError, match="could not bind"):
        ScriptedServer(port=server.address.port, uri=URI).start()
