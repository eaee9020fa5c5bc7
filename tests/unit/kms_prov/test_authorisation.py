"""Every provisioning request is authorised by its Bearer token first (R714-KM-TOKEN, -SIG, -CLAIMS), and a
key set goes only to the principal it belongs to (R714-KM-SUBJECT)."""
from __future__ import annotations

import pytest

from mcsec.fixtures.agents import tokenforge
from mcsec.impl import httpclient
from mcsec.impl.kms import provxml
from tests.unit.kms_prov.conftest import client_for

ENDPOINTS = [provxml.INIT_PATH, provxml.KEYPROV_PATH, provxml.CERTCACHE_PATH]


def _no_key_material(reply) -> None:
    assert not reply.key_sets and not reply.certificates


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_token_gets_a_401_bearer_challenge_without_error_code(bare_client, path):
    reply = bare_client.post(path, None, b"")
    assert reply.status == 401
    assert reply.www_authenticate == 'Bearer realm="mcsec-kms"'
    assert reply.error is not None and reply.error.code == 0
    _no_key_material(reply)


def test_another_scheme_is_no_credentials_and_a_malformed_value_an_invalid_request(lab, tokens):
    """RFC 6750 3.1: a client that "attempted using an unsupported authentication method" gets 401 without
    an error code; an Authorization value that is not a scheme and credentials is invalid_request (400)."""
    headers = {"Authorization": "Basic " + tokens.user("alice")}
    reply = httpclient.request("POST", lab.endpoints.kms_url + provxml.KEYPROV_PATH, headers=headers,
                               context=lab.ssl_context)
    assert reply.status == 401
    assert "error=" not in reply.header("www-authenticate")
    headers = {"Authorization": "Bearer: " + tokens.user("alice")}
    reply = httpclient.request("POST", lab.endpoints.kms_url + provxml.KEYPROV_PATH, headers=headers,
                               context=lab.ssl_context)
    assert reply.status == 400
    assert 'error="invalid_request"' in reply.header("www-authenticate")


FORGERIES = {
    "alg none": tokenforge.unsigned,
    "another key": tokenforge.signed_with_other_key,
    "unknown kid": tokenforge.signed_with_unknown_kid,
    "expiry extended": tokenforge.expiry_extended,
    "signature removed": tokenforge.signature_removed,
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
@pytest.mark.parametrize("path", [provxml.INIT_PATH, provxml.KEYPROV_PATH])
def test_forged_token_is_refused(client, tokens, forgery, path):
    token = FORGERIES[forgery](tokens.user("alice"))
    reply = client.post(path, token, b"")
    assert reply.status == 401, forgery
    assert 'error="invalid_token"' in reply.www_authenticate
    _no_key_material(reply)


def test_expired_token_is_refused(client, tokens):
    reply = client.keyprov(tokens.expired("alice"))
    assert reply.status == 401
    assert 'error="invalid_token"' in reply.www_authenticate and "expired" in reply.www_authenticate
    _no_key_material(reply)


@pytest.mark.parametrize("claims, needle", [
    ({"aud": "kms.other.example"}, "not meant for this KMS"),
    ({"iss": "https://idm.other.example"}, "issuer"),
])
def test_token_for_another_kms_or_from_another_issuer_is_refused(client, tokens, claims, needle):
    reply = client.keyprov(tokens.minted("alice", claims=claims))
    assert reply.status == 401 and needle in reply.www_authenticate
    _no_key_material(reply)


def test_token_without_the_key_management_scope_gets_403(client, tokens, lab):
    reply = client.init(tokens.minted("alice", claims={"scope": "openid"}))
    assert reply.status == 403
    assert 'error="insufficient_scope"' in reply.www_authenticate
    assert f'scope="{lab.profile.ixit.kms_scope}"' in reply.www_authenticate
    _no_key_material(reply)


def test_keyprov_for_another_user_in_the_path_is_refused(client, tokens, lab):
    reply = client.keyprov(tokens.user("alice"), lab.profile.ixit.user("bob").mcptt_id)
    assert reply.status == 403 and reply.error.code == 3
    _no_key_material(reply)


def test_keyprov_for_another_user_in_the_path_alone_is_refused(bare_client, tokens, lab):
    reply = bare_client.keyprov(tokens.user("alice"), lab.profile.ixit.user("bob").mcptt_id)  # empty body
    assert reply.status == 403 and reply.error.code == 3
    _no_key_material(reply)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_request_for_another_user_in_the_body_is_refused(bare_client, tokens, lab, path):
    body = provxml.build_request(provxml.ProvRequest(lab.profile.ixit.user("bob").mcptt_id, lab.profile.ixit.kms_uri))
    reply = bare_client.post(path, tokens.user("alice"), body)
    assert reply.status == 403 and reply.error.code == 3
    _no_key_material(reply)


def test_server_token_cannot_get_a_users_key_set(lab, tokens):
    reply = client_for(lab, lab.endpoints.kms_url).keyprov(tokens.server(), lab.profile.ixit.user("alice").mcptt_id)
    assert reply.status == 403 and reply.error.code == 3
    _no_key_material(reply)


def test_server_token_cannot_get_another_servers_key_set(lab, tokens):
    other = lab.profile.ixit.server("mcptt-as-2").uri
    reply = client_for(lab, lab.endpoints.kms_url).keyprov(tokens.server(), other)
    assert reply.status == 403 and reply.error.code == 3


def test_token_of_an_unknown_principal_gets_no_key_set(lab, tokens, bare_client):
    token = tokens.minted("alice", omit=["mcptt_id"])
    reply = bare_client.keyprov(token)
    assert reply.status == 403 and reply.error.code == 4
    _no_key_material(reply)


def test_request_naming_another_kms_is_refused(bare_client, tokens, lab):
    body = provxml.build_request(provxml.ProvRequest(lab.profile.ixit.user("alice").mcptt_id, "kms.other.example"))
    reply = bare_client.post(provxml.INIT_PATH, tokens.user("alice"), body)
    assert reply.status == 400 and reply.error.code == 2
    _no_key_material(reply)


@pytest.mark.parametrize("request_", [{"non_finite": {"exp": "Infinity"}}, {"non_finite": {"exp": "NaN"}},
                                      {"non_finite": {"nbf": "-Infinity"}}, {"claims": {"exp": "99999999999"}},
                                      {"claims": {"iat": "1"}}, {"claims": {"iat": 10 ** 12}}],
                         ids=["exp Infinity", "exp NaN", "nbf -Infinity", "exp a string", "iat a string",
                              "iat 10^12"])
@pytest.mark.parametrize("path", [provxml.INIT_PATH, provxml.KEYPROV_PATH])
def test_an_idm_signed_token_whose_time_claims_are_not_numeric_dates_is_refused(client, tokens, request_, path):
    reply = client.post(path, tokens.minted("alice", **request_), b"")
    assert reply.status == 401 and 'error="invalid_token"' in reply.www_authenticate
    _no_key_material(reply)
