"""REGISTER at the SIP core: digest challenge, asserted identity towards the AS, attempt bounds."""
from __future__ import annotations

from mcsec.impl.sip import Response
from mcsec.impl.sip.digest import Challenge
from tests.unit.core.harness import AS_URI, DOMAIN, CoreUnderTest, FakeAs, LoopThread, TestUa, impu

MCPTT_INFO = (b'<?xml version="1.0"?>\r\n<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0">'
              b"<mcptt-Params><mcptt-request-uri>sip:secret-group@example.org</mcptt-request-uri>"
              b"</mcptt-Params></mcpttinfo>\r\n")


def test_register_is_challenged_with_sha256_digest(loop: LoopThread, core: CoreUnderTest,
                                                   fake_as: FakeAs) -> None:
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "alice")
        try:
            return await ua.send(ua.register_request(call_id="c-challenge", cseq=1))
        finally:
            await ua.close()

    response = loop.run(scenario())
    assert response.status == 401
    challenge = Challenge.parse(response.headers.get("WWW-Authenticate") or "")
    assert challenge.algorithm == "SHA-256"
    assert challenge.realm == DOMAIN
    assert fake_as.of_method("REGISTER") == []  # nothing reaches the AS before authentication


def test_register_with_valid_credentials_reaches_the_as_with_asserted_identity(
        loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def scenario() -> tuple[Response, Response, str]:
        ua = await TestUa.start(core.sip1, "udp", "alice")
        try:
            first, final = await ua.register(
                core.passwords["alice"], body=MCPTT_INFO, content_type="application/vnd.3gpp.mcptt-info+xml",
                extra=[("P-Asserted-Identity", "<sip:bob@ims.example.org>"),
                       ("P-Preferred-Identity", "<sip:bob@ims.example.org>")])
            return first, final, ua.contact_uri
        finally:
            await ua.close()

    first, final, contact = loop.run(scenario())
    assert first.status == 401
    assert final.status == 200
    assert contact in (final.headers.get("Contact") or "")
    registers = fake_as.of_method("REGISTER")
    assert len(registers) == 1
    forwarded = registers[0].request
    assert forwarded.uri == AS_URI
    assert forwarded.headers.get_all("P-Asserted-Identity") == [f"<{impu('alice')}>"]
    assert "P-Preferred-Identity" not in forwarded.headers
    assert "Authorization" not in forwarded.headers
    assert forwarded.body == MCPTT_INFO
    assert forwarded.top_via.port == core.sip2[1]
    assert len(forwarded.vias) == 2
    assert forwarded.max_forwards == 69


def test_bad_password_gets_a_fresh_challenge_then_403(loop: LoopThread, core: CoreUnderTest,
                                                      fake_as: FakeAs) -> None:
    async def scenario() -> list[Response]:
        ua = await TestUa.start(core.sip1, "udp", "bob")
        answers: list[Response] = []
        try:
            for _ in range(3):
                answers.append((await ua.register("not-the-password"))[1])
            answers.append((await ua.register(core.passwords["bob"]))[0])  # still locked out
        finally:
            await ua.close()
        return answers

    answers = loop.run(scenario())
    assert [a.status for a in answers] == [401, 401, 403, 403]
    nonces = {Challenge.parse(a.headers.get("WWW-Authenticate") or "").nonce for a in answers[:2]}
    assert len(nonces) == 2
    assert fake_as.of_method("REGISTER") == []


def test_register_for_another_users_impu_is_forbidden(loop: LoopThread, core: CoreUnderTest,
                                                      fake_as: FakeAs) -> None:
    async def scenario() -> Response:
        ua = await TestUa.start(core.sip1, "udp", "carol")
        try:
            return (await ua.register(core.passwords["carol"], to_user="alice"))[1]
        finally:
            await ua.close()

    assert loop.run(scenario()).status == 403
    assert fake_as.of_method("REGISTER") == []


def test_deregistration_removes_the_binding(loop: LoopThread, core: CoreUnderTest, fake_as: FakeAs) -> None:
    async def scenario() -> tuple[int, int, int]:
        ua = await TestUa.start(core.sip1, "udp", "dave")
        try:
            registered = (await ua.register(core.passwords["dave"]))[1].status
            removed = (await ua.register(core.passwords["dave"], expires=0))[1].status
            message = await ua.send(ua.new_request("MESSAGE", body=b"x", content_type="text/plain"))
            return registered, removed, message.status
        finally:
            await ua.close()

    assert loop.run(scenario()) == (200, 200, 403)
