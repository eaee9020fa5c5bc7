"""Token endpoint: request errors (RFC 6749 5.2) and the client credentials grant (4.4)."""
from __future__ import annotations

import base64

import pytest

from tests.unit.idm.wire import basic, pkce_pair


def _assert_error(answer, error: str, status: int = 400) -> dict:
    assert answer.status == status, (answer.status, answer.body)
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["error"] == error
    assert "access_token" not in body
    return body


# --- generic request errors -------------------------------------------------------------

def test_unsupported_grant_type(idm):
    fields = {"grant_type": "password", "username": "alice", "password": idm.passwords["alice"]}
    _assert_error(idm.post_form("/token", fields), "unsupported_grant_type")


def test_implicit_grant_name_is_unsupported(idm):
    _assert_error(idm.post_form("/token", {"grant_type": "implicit"}), "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(idm):
    _assert_error(idm.post_form("/token", {"client_id": idm.client_id}), "invalid_request")


def test_token_request_must_be_form_encoded(idm):
    answer = idm.post_json("/token", {"grant_type": "client_credentials"})
    _assert_error(answer, "invalid_request")


def test_token_endpoint_takes_post_only(idm):
    assert idm.get("/token").status == 405


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "client_id", "code_verifier"])
def test_code_grant_without_a_parameter_is_invalid_request(idm, missing):
    code, verifier, _ = idm.obtain_code()
    _assert_error(idm.redeem(code, verifier, **{missing: None}), "invalid_request")


def test_code_grant_from_unknown_client_is_invalid_client(idm):
    code, verifier, _ = idm.obtain_code()
    _assert_error(idm.redeem(code, verifier, client_id="nobody"), "invalid_client", 401)


def test_server_principal_cannot_redeem_a_code(idm):
    code, verifier, _ = idm.obtain_code()
    _assert_error(idm.redeem(code, verifier, client_id=idm.server_id), "invalid_client", 401)


def test_repeated_token_parameter_is_invalid_request(idm):
    code, verifier, _ = idm.obtain_code()
    fields = [("grant_type", "authorization_code"), ("code", code), ("code", code),
              ("redirect_uri", idm.redirect_uri), ("client_id", idm.client_id), ("code_verifier", verifier)]
    _assert_error(idm.post_form("/token", fields), "invalid_request")


# --- client credentials ---------------------------------------------------------------

def _server_claims(idm, body: dict) -> dict:
    idm.seen_secrets.append(body["access_token"])
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == idm.kms_scope
    assert "id_token" not in body
    return idm.verify(body["access_token"], audience=idm.kms_audience, typ="at+jwt")


def test_client_credentials_with_basic_authentication(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials"}, basic(idm.server_id, idm.server_secret))
    assert answer.status == 200, answer.body
    assert answer.headers["cache-control"] == "no-store"
    claims = _server_claims(idm, answer.json())
    assert claims["sub"] == idm.server_uri
    assert claims["client_id"] == idm.server_id
    assert claims["scope"] == idm.kms_scope
    assert "mcptt_id" not in claims
    assert claims["nbf"] == claims["iat"] and claims["exp"] == claims["iat"] + 300
    assert claims["jti"]


def test_client_credentials_with_secret_in_the_form(idm):
    fields = {"grant_type": "client_credentials", "client_id": idm.server_id, "client_secret": idm.server_secret}
    answer = idm.post_form("/token", fields)
    assert answer.status == 200, answer.body
    assert _server_claims(idm, answer.json())["sub"] == idm.server_uri


def test_client_credentials_with_explicit_kms_scope(idm):
    fields = {"grant_type": "client_credentials", "scope": idm.kms_scope}
    answer = idm.post_form("/token", fields, basic(idm.server_id, idm.server_secret))
    assert answer.status == 200
    assert answer.json()["scope"] == idm.kms_scope


def test_bad_secret_with_basic_is_invalid_client_with_challenge(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials"}, basic(idm.server_id, "wrong"))
    _assert_error(answer, "invalid_client", 401)
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_bad_secret_in_the_form_is_invalid_client(idm):
    fields = {"grant_type": "client_credentials", "client_id": idm.server_id, "client_secret": "wrong"}
    _assert_error(idm.post_form("/token", fields), "invalid_client", 401)


def test_secret_prefix_is_not_enough(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials"},
                           basic(idm.server_id, idm.server_secret[:-1]))
    _assert_error(answer, "invalid_client", 401)


def test_unknown_server_is_invalid_client(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials"}, basic("nobody", idm.server_secret))
    _assert_error(answer, "invalid_client", 401)


def test_public_client_cannot_use_client_credentials(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials", "client_id": idm.client_id})
    _assert_error(answer, "invalid_client", 401)


def test_client_credentials_without_authentication(idm):
    answer = idm.post_form("/token", {"grant_type": "client_credentials"})
    _assert_error(answer, "invalid_client", 401)
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_malformed_basic_header_is_invalid_client(idm):
    headers = {"Authorization": "Basic " + base64.b64encode(b"no-colon-here").decode()}
    _assert_error(idm.post_form("/token", {"grant_type": "client_credentials"}, headers), "invalid_client", 401)


def test_two_authentication_methods_are_invalid_request(idm):
    fields = {"grant_type": "client_credentials", "client_id": idm.server_id, "client_secret": idm.server_secret}
    answer = idm.post_form("/token", fields, basic(idm.server_id, idm.server_secret))
    _assert_error(answer, "invalid_request")


@pytest.mark.parametrize("scope", ["openid", "admin", "3gpp:mcptt:key_management_server"])
def test_client_credentials_with_a_scope_it_cannot_have(idm, scope):
    fields = {"grant_type": "client_credentials", "scope": scope}
    _assert_error(idm.post_form("/token", fields, basic(idm.server_id, idm.server_secret)), "invalid_scope")


def test_code_grant_ignores_a_fresh_pkce_pair(idm):
    """A verifier made by someone else for the same code fails: the binding is to the challenge."""
    code, _, _ = idm.obtain_code()
    verifier, _ = pkce_pair()
    _assert_error(idm.redeem(code, verifier), "invalid_grant")
