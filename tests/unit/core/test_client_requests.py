"""Requests from clients (SIP-1) relayed to the MCPTT AS (SIP-2), and their responses relayed back."""
from __future__ import annotations

import asyncio
import os

import pytest

from mcsec.impl.sip import Request, Response
from mcsec.impl.sip.aio import RequestContext
from mcsec.impl.sip.header_values import parse_name_address
from tests.unit.core.harness import CoreUnderTest, FakeAs, LoopThread, TestUa, impu, start_core, stop_core

# A body that a parser would mangle if it touched it: CRLFs, a blank line, NULs and high bytes.
BODY = b"MIME-Version: 1.0\r\n\r\n" + bytes(range(256)) + b"\r\n\r\n" + os.urandom(64)
SMIME = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'


def test_message_from_unregistered_flow_is_refused(loop: LoopThread, core: CoreUnderTest,
                                                   fake_as: FakeAs) -> None:
    async def scenario() -> tuple[int, int]:
        registered = await TestUa.start(core.sip1, "udp", "alice")
        other_flow = await TestUa.start(core.sip1, "tcp", "alice")
        try:
            assert (await registered.register(core.passwords["alice"]))[1].status == 200
            fake_as.reset()
            never_registered = await TestUa.start(core.sip1, "udp", "erin")
            try:
                unknown = await never_registered.send(never_registered.new_request("MESSAGE", body=b"x",
                                                                                  content_type="text/plain"))
            finally:
                await never_registered.close()
            # same user, but a flow (transport and source) the registration did not come over
            wrong_flow = await other_flow.send(other_flow.new_request("MESSAGE", body=b"x",
                                                                      content_type="text/plain"))
            return unknown.status, wrong_flow.status
        finally:
            await registered.close()
            await other_flow.close()

    assert loop.run(scenario()) == (403, 403)
    assert fake_as.of_method("MESSAGE") == []


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_message_is_relayed_with_body_routes_via_and_max_forwards(
        loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs, transport: str) -> None:
    def answer(request: Request, ctx: RequestContext) -> Response:
        return ctx.response(202, headers=[("X-As-Said", "accepted")], body=BODY[::-1], content_type=SMIME)

    async def scenario() -> tuple[Request, Response]:
        ua = await TestUa.start(core.sip1, transport, "bob")
        try:
            assert (await ua.register(core.passwords["bob"]))[1].status == 200
            fake_as.reset()
            fake_as.responder = answer
            request = ua.new_request("MESSAGE", body=BODY, content_type=SMIME)
            request.headers.set("Max-Forwards", "7")
            return request, await ua.send(request)
        finally:
            await ua.close()

    sent, response = loop.run(scenario())
    assert response.status == 202
    assert response.headers.get("X-As-Said") == "accepted"
    assert response.body == BODY[::-1]
    assert len(response.vias) == 1 and response.top_via.branch == sent.top_via.branch

    [received] = fake_as.of_method("MESSAGE")
    relayed = received.request
    assert relayed.body == BODY
    assert relayed.headers.get("Content-Type") == SMIME
    assert relayed.max_forwards == 6
    vias = relayed.vias
    assert len(vias) == 2
    assert (vias[0].host, vias[0].port) == core.sip2
    assert vias[0].branch != sent.top_via.branch
    assert vias[1].branch == sent.top_via.branch
    routes = [parse_name_address(v) for v in relayed.headers.get_list("Record-Route")]
    assert len(routes) == 2
    assert (routes[0].uri.host, routes[0].uri.port) == core.sip2
    assert (routes[1].uri.host, routes[1].uri.port) == core.sip1
    assert all(r.uri.param("lr") is not None for r in routes)
    assert routes[1].uri.transport == ("tcp" if transport == "tcp" else None)
    assert relayed.headers.get_all("P-Asserted-Identity") == [f"<{impu('bob')}>"]


def test_client_supplied_identity_is_replaced(loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "carol")
        try:
            assert (await ua.register(core.passwords["carol"]))[1].status == 200
            fake_as.reset()
            return await ua.send(ua.new_request(
                "MESSAGE", body=b"hi", content_type="text/plain",
                headers=[("P-Asserted-Identity", f"<{impu('alice')}>"),
                         ("P-Preferred-Identity", f"<{impu('alice')}>")]))
        finally:
            await ua.close()

    assert loop.run(scenario()).status == 200
    [received] = fake_as.of_method("MESSAGE")
    assert received.request.headers.get_all("P-Asserted-Identity") == [f"<{impu('carol')}>"]
    assert "P-Preferred-Identity" not in received.request.headers


def test_fault_trust_client_identity_keeps_the_clients_assertion(loop: LoopThread, tmp_path) -> None:
    core = start_core(loop, tmp_path, faults=["core_trust_client_identity"])
    try:
        async def scenario() -> Response:
            ua = await TestUa.start(core.sip1, "udp", "carol")
            try:
                assert (await ua.register(core.passwords["carol"]))[1].status == 200
                return await ua.send(ua.new_request(
                    "MESSAGE", body=b"hi", content_type="text/plain",
                    headers=[("P-Asserted-Identity", f"<{impu('alice')}>")]))
            finally:
                await ua.close()

        assert loop.run(scenario()).status == 200
        [received] = core.fake_as.of_method("MESSAGE")
        assert received.request.headers.get_all("P-Asserted-Identity") == [f"<{impu('alice')}>"]
    finally:
        stop_core(loop, core)


def test_max_forwards_zero_is_answered_483(loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "dave")
        try:
            assert (await ua.register(core.passwords["dave"]))[1].status == 200
            fake_as.reset()
            request = ua.new_request("MESSAGE", body=b"hi", content_type="text/plain")
            request.headers.set("Max-Forwards", "0")
            return await ua.send(request)
        finally:
            await ua.close()

    assert loop.run(scenario()).status == 483
    assert fake_as.of_method("MESSAGE") == []


def test_as_timeout_is_answered_408(loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def silent(request: Request, ctx: RequestContext) -> None:
        await asyncio.sleep(3)  # longer than the core's Timer F (1.6 s): the core gives up first

    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "tcp", "erin")
        try:
            assert (await ua.register(core.passwords["erin"]))[1].status == 200
            fake_as.responder = silent
            return await ua.send(ua.new_request("OPTIONS"))
        finally:
            await ua.close()

    assert loop.run(scenario()).status == 408
