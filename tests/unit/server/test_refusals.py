"""Every refusal of the MCPTT server with its status: 403 (no asserted identity, clear body, replay,
moved body, wrong calling user), 493 identical for every key failure, 415 with Accept, 400."""
from __future__ import annotations

import secrets

import pytest

import mcsec.impl.smime as smime
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding
from mcsec.impl.mcptt.body import key_id_bytes
from mcsec.impl.sip import Request, Response
from tests.unit.server.harness import OTHER_SERVER_URI, CorePeer, LabUsers, run, server_address

PROTECTED_TYPE = "application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m"


def exchange(server: RoleProcess, build, transport: str = "udp") -> list[Response]:
    """Send the requests ``build(core)`` returns, in order; their responses."""
    async def go() -> list[Response]:
        core = await CorePeer.start(server_address(server))
        try:
            return [await core.send(request, transport) for request in build(core)]
        finally:
            await core.close()
    return run(go)


def info_of(profile: Profile, username: str = "alice") -> McpttInfo:
    return McpttInfo(calling_user_id=profile.ixit.user(username).mcptt_id)


def test_request_without_asserted_identity_is_403(server, users, profile) -> None:
    cek = users.cek("alice")
    [response] = exchange(server, lambda core: [core.request(
        "MESSAGE", impu=None, info=info_of(profile), key=SealingKey(cek.key_id, cek.key))])
    assert response.status == 403
    assert response.headers.get("Warning") == '399 example.org "No asserted identity"'


def test_clear_body_refused_with_warning(server, profile) -> None:
    alice = profile.ixit.user("alice")
    [response] = exchange(server, lambda core: [core.request("MESSAGE", impu=alice.impu, info=info_of(profile))])
    assert (response.status, response.reason) == (403, "Forbidden")
    assert response.headers.get("Warning") == '399 example.org "S/MIME protection required"'
    assert not response.body


def undecipherable_cases(users: LabUsers, profile: Profile) -> dict[str, SealingKey]:
    alice_cek = users.cek("alice")
    bob_cek = users.cek("bob")
    other_server_cek = users.cek("alice", OTHER_SERVER_URI)
    return {
        "unknown Key ID": SealingKey(0xF0000000 | secrets.randbits(28), alice_cek.key),
        "Key ID of a CEK shared with another server": SealingKey(other_server_cek.key_id, other_server_cek.key),
        "CEK bound to another user": SealingKey(bob_cek.key_id, bob_cek.key),
        "body that does not open": SealingKey(alice_cek.key_id, secrets.token_bytes(16)),
    }


def _shape(response: Response) -> tuple:
    names = sorted(f.key for f in response.headers if f.key not in ("via", "from", "to", "call-id", "cseq"))
    return response.status, response.reason, names, response.body


def test_every_key_failure_is_the_same_493(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cases = undecipherable_cases(users, profile)
    responses = exchange(server, lambda core: [core.request("MESSAGE", impu=alice.impu, info=info_of(profile), key=k)
                                               for k in cases.values()])
    shapes = {name: _shape(r) for name, r in zip(cases, responses)}
    for name, shape in shapes.items():
        assert shape[:2] == (493, "Undecipherable"), name
    assert len(set(map(repr, shapes.values()))) == 1, shapes  # no answer tells which check failed
    assert all(r.headers.get("Warning") is None for r in responses)


def test_garbage_protected_body_is_493(server, profile) -> None:
    alice = profile.ixit.user("alice")

    def build(core: CorePeer) -> list[Request]:
        request = core.request("MESSAGE", impu=alice.impu)
        request.set_body(b"\x30\x80garbage", PROTECTED_TYPE)
        return [request]

    [response] = exchange(server, build)
    assert response.status == 493


def test_replayed_body_is_403(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")

    def build(core: CorePeer) -> list[Request]:
        original = core.request("MESSAGE", impu=alice.impu, info=info_of(profile), key=SealingKey(cek.key_id, cek.key))
        replay = original.copy()
        replay.headers.remove("Via")  # a new transaction (new branch) carrying the same message
        return [original, replay]

    first, second = exchange(server, build)
    assert first.status == 200
    assert (second.status, second.reason) == (403, "Forbidden")
    assert second.headers.get("Warning") == '399 example.org "Protected body replayed or out of context"'


def test_body_moved_into_another_request_is_403(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")

    def build(core: CorePeer) -> list[Request]:
        captured = core.request("MESSAGE", impu=alice.impu, info=info_of(profile), key=SealingKey(cek.key_id, cek.key))
        forged = core.request("MESSAGE", impu=alice.impu)
        forged.set_body(captured.body, PROTECTED_TYPE)
        forged.headers.set("Content-Disposition", "attachment; handling=required")
        return [forged]

    [response] = exchange(server, build)
    assert response.status == 403


def test_calling_user_other_than_the_sender_is_403(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")
    [response] = exchange(server, lambda core: [core.request(
        "MESSAGE", impu=alice.impu, info=info_of(profile, "bob"), key=SealingKey(cek.key_id, cek.key))])
    assert response.status == 403


def test_required_body_of_unknown_type_is_415_with_accept(server, profile) -> None:
    alice = profile.ixit.user("alice")

    def build(core: CorePeer) -> list[Request]:
        request = core.request("MESSAGE", impu=alice.impu)
        request.set_body(b"<x/>", "application/x-unknown+xml")
        request.headers.set("Content-Disposition", "render; handling=required")
        optional = core.request("MESSAGE", impu=alice.impu)
        optional.set_body(b"<x/>", "application/x-unknown+xml")
        optional.headers.set("Content-Disposition", "render; handling=optional")
        return [request, optional]

    required, optional = exchange(server, build)
    assert required.status == 415
    accept = [t.strip() for t in required.headers.get("Accept", "").split(",")]
    assert "application/pkcs7-mime" in accept and "multipart/mixed" in accept
    assert "application/vnd.3gpp.mcptt-info+xml" not in accept  # not accepted in clear
    assert optional.status == 200


def test_malformed_sealed_info_is_400(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")

    def build(core: CorePeer) -> list[Request]:
        request = core.request("MESSAGE", impu=alice.impu)
        stamp = smime.ReplayStamp.new(context=SipBinding.of_request(request).context())
        der = smime.seal(b"Content-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n<mcpttinfo><oops",
                         cek=cek.key, key_id=key_id_bytes(cek.key_id), replay_stamp=stamp)
        request.set_body(der, PROTECTED_TYPE)
        return [request]

    [response] = exchange(server, build)
    assert response.status == 400


def test_unsplittable_asserted_identity_is_400(server, profile) -> None:
    """Found by fuzzing (tests/fuzz/sip_header_values.py): quotes that do not close in a list header."""
    alice = profile.ixit.user("alice")

    def build(core: CorePeer) -> list[Request]:
        request = core.request("MESSAGE", impu=alice.impu)
        request.headers.set("P-Asserted-Identity", f'"Alice <{alice.impu}>')
        return [request]

    [response] = exchange(server, build)
    assert response.status == 400


def test_unreadable_content_disposition_is_400(server, profile) -> None:
    """Found by fuzzing (tests/fuzz/mcptt_body.py): a body of another type whose disposition cannot be read."""
    alice = profile.ixit.user("alice")

    def build(core: CorePeer) -> list[Request]:
        request = core.request("MESSAGE", impu=alice.impu)
        request.set_body(b"hello", "text/plain")
        request.headers.set("Content-Disposition", "render;;")
        return [request]

    [response] = exchange(server, build)
    assert response.status == 400


def test_protection_not_required_accepts_clear_and_answers_clear(farm, profile) -> None:
    server = farm.get("clear-policy", protection_required=False)
    alice = profile.ixit.user("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id, called_party_id="sip:bob@example.org")
    [response] = exchange(server, lambda core: [core.request("MESSAGE", impu=alice.impu, info=info)])
    assert response.status == 200
    assert response.headers.get("Content-Type") == "application/vnd.3gpp.mcptt-info+xml"
    assert alice.mcptt_id.encode() in response.body


# --- RFC 3325: P-Asserted-Identity only from the trust domain ----------------------------------------

def _from_stranger(server: RoleProcess, requests: list[Request], transport: str = "udp") -> list[Response]:
    """Requests sent straight to the server from another port of the same host: not the SIP core."""
    async def go() -> list[Response]:
        stranger = await CorePeer.start(server_address(server), trusted=False)
        try:
            return [await stranger.send(request, transport) for request in requests]
        finally:
            await stranger.close()
    return run(go)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_an_asserted_identity_from_outside_the_trust_domain_is_ignored(server, users, profile, transport) -> None:
    cek = users.cek("alice")
    request = CorePeer.request("MESSAGE", impu=profile.ixit.user("alice").impu, info=info_of(profile),
                               key=SealingKey(cek.key_id, cek.key))
    [response] = _from_stranger(server, [request], transport)
    assert response.status == 403
    assert response.headers.get("Warning") == '399 example.org "No asserted identity"'


@pytest.mark.parametrize("value", ["<sip:alice@ims.example.org", '"open <sip:alice@ims.example.org>'])
def test_an_unsplittable_asserted_identity_is_ignored_from_outside_and_400_from_the_core(server, profile,
                                                                                          value) -> None:
    """A P-Asserted-Identity that does not even split into name-addrs is a malformed header field (400),
    wherever it comes from; never a 500 (found by mcsec fuzz)."""
    def request() -> Request:
        r = CorePeer.request("MESSAGE", impu=profile.ixit.user("alice").impu)
        r.headers.set("P-Asserted-Identity", value)
        return r
    [outside] = _from_stranger(server, [request()])
    assert (outside.status, outside.reason) == (400, "Bad Request (malformed P-Asserted-Identity)")
    [inside] = exchange(server, lambda core: [request()])
    assert (inside.status, inside.reason) == (400, "Bad Request (malformed P-Asserted-Identity)")


def test_a_method_name_in_another_case_is_another_method(server, profile) -> None:
    """RFC 3261 25.1: method names are case-sensitive; "message" is an extension method the server does not
    take (405), not a MESSAGE."""
    def request() -> Request:
        r = CorePeer.request("MESSAGE", impu=profile.ixit.user("alice").impu)
        r.method = "message"
        r.headers.set("CSeq", r.headers.get("CSeq").replace("MESSAGE", "message"))
        return r
    [response] = exchange(server, lambda core: [request()])
    assert response.status == 405 and "MESSAGE" in (response.headers.get("Allow") or "")


def test_a_forged_deregistration_from_outside_is_refused(server, profile) -> None:
    bob = profile.ixit.user("bob").impu
    [registered] = exchange(server, lambda core: [core.request("REGISTER", impu=bob)])
    assert registered.status == 200
    forged = CorePeer.request("REGISTER", impu=bob)
    forged.headers.set("Expires", "0")
    [refused] = _from_stranger(server, [forged])
    assert refused.status == 403
    assert refused.headers.get("Warning") == '399 example.org "No asserted identity"'


def test_the_fault_server_trust_any_asserted_identity_takes_it_from_anyone(farm, profile) -> None:
    server = farm.get("trust-any", faults=("server_trust_any_asserted_identity",))
    [response] = _from_stranger(server, [CorePeer.request("MESSAGE", impu=profile.ixit.user("alice").impu)])
    assert response.status == 200


def test_the_trusted_peers_item_is_checked() -> None:
    from mcsec.impl.rolemain import ConfigError
    from mcsec.impl.server.config import _trusted_peers
    assert [str(p) for p in _trusted_peers({"trusted_peers": ["127.0.0.1:5061", "[::1]:5062"]})] == \
        ["127.0.0.1:5061", "[::1]:5062"]
    for bad in (["core.example.org:5061"], ["127.0.0.1"], ["127.0.0.1:0"], "127.0.0.1:5061"):
        with pytest.raises(ConfigError, match="trusted_peers"):
            _trusted_peers({"trusted_peers": bad})
