"""The server's own KMS access token (client credentials, cached, renewed before expiry) and its CEK
cache (several CEKs at once, by Key ID; bindings checked), against the lab's real IdM and KMS."""
from __future__ import annotations

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile
from mcsec.impl.faults import Faults
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.server.keystore import KeyStore, ServerToken
from tests.unit.server.harness import OTHER_SERVER_URI, SERVER_URI, LabUsers


def server_token(lab: Lab, profile: Profile) -> ServerToken:
    assert lab.endpoints is not None
    principal = profile.ixit.server("mcptt-as")
    return ServerToken(lab.endpoints.idm_url, principal.client_id, principal.client_secret, lab.ssl_context)


def test_token_is_cached_and_renewed_before_expiry(lab: Lab, profile: Profile) -> None:
    token = server_token(lab, profile)
    first = token.get()
    assert token.get() == first  # cached
    token._renew_at = 0.0  # the renewal time has come
    assert token.get() != first


def test_keystore_holds_several_ceks_and_checks_bindings(lab: Lab, profile: Profile, users: LabUsers) -> None:
    assert lab.endpoints is not None
    store = KeyStore(server_uri=SERVER_URI, kms=CekClient(lab.endpoints.kms_url, profile.ixit.kms_uri, lab.ssl_context),
                     token=server_token(lab, profile), faults=Faults())
    alice, bob = profile.ixit.user("alice"), profile.ixit.user("bob")
    first, second = users.cek("alice"), users.cek("alice")
    assert store.needs_kms(first.key_id)
    assert store.cek_for(first.key_id, alice.mcptt_id).key == first.key
    assert store.cek_for(second.key_id, alice.mcptt_id).key == second.key
    assert not store.needs_kms(first.key_id)
    assert store.held() == [(profile.ixit.kms_uri, first.key_id), (profile.ixit.kms_uri, second.key_id)]
    assert store.cek_for(first.key_id, bob.mcptt_id) is None  # bound to alice
    other = users.cek("alice", OTHER_SERVER_URI)
    assert store.cek_for(other.key_id, alice.mcptt_id) is None  # the KMS will not give it to this server
    unknown = next(k for k in range(0xF0000001, 0xF0000100) if k not in (first.key_id, second.key_id, other.key_id))
    assert store.cek_for(unknown, alice.mcptt_id) is None  # the KMS never issued it
