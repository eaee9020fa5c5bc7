"""The code grant with PKCE, end to end (RFC 6749 4.1, RFC 7636), and the tokens it yields."""
from __future__ import annotations

import time

import jwt
import pytest

from tests.unit.idm.wire import pkce_pair


def test_login_page_is_an_html_form_carrying_the_request(idm):
    params, _ = idm.authorization_request(state='"><script>alert(1)</script>', nonce="n-123")
    answer = idm.get("/authorize", params)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.body.decode()
    assert '<form method="post" action="/authorize">' in page
    assert 'name="password"' in page and 'name="username"' in page
    assert f'name="code_challenge" value="{params["code_challenge"]}"' in page
    assert 'name="nonce" value="n-123"' in page
    assert "<script>" not in page  # the state is escaped, not markup
    assert "&quot;&gt;&lt;script&gt;" in page


def test_login_redirects_with_code_state_and_issuer(idm):
    params, _ = idm.authorization_request(redirect_uri="http://127.0.0.1/other?keep=1")
    answer = idm.login(params)
    assert answer.status == 302
    location = answer.headers["location"]
    assert location.startswith("http://127.0.0.1/other?keep=1&")  # the registered query is kept
    redirected = answer.redirect_params()
    assert redirected["state"] == params["state"]
    assert redirected["iss"] == idm.issuer
    assert len(redirected["code"]) >= 32
    assert "error" not in redirected
    idm.seen_secrets.append(redirected["code"])


def test_code_flow_yields_tokens_that_verify_with_the_jwks(idm):
    code, verifier, _ = idm.obtain_code(nonce="nonce-42")
    before = int(time.time())
    answer = idm.redeem(code, verifier)
    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == f"openid {idm.kms_scope}"

    claims = idm.verify(body["access_token"], audience=idm.kms_audience, typ="at+jwt")
    assert claims["iss"] == idm.issuer
    assert claims["sub"] == "alice"
    assert claims["aud"] == idm.kms_audience
    assert claims["client_id"] == idm.client_id
    assert claims["mcptt_id"] == "sip:alice@example.org"
    assert idm.kms_scope in claims["scope"].split(" ")
    assert claims["nbf"] == claims["iat"]
    assert before - 2 <= claims["iat"] <= int(time.time()) + 2
    assert claims["exp"] == claims["iat"] + 300
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16

    id_claims = idm.verify(body["id_token"], audience=idm.client_id, typ="JWT")
    assert id_claims["sub"] == "alice"
    assert id_claims["nonce"] == "nonce-42"
    assert id_claims["mcptt_id"] == "sip:alice@example.org"
    assert id_claims["exp"] == id_claims["iat"] + 240
    assert before - 2 <= id_claims["auth_time"] <= id_claims["iat"]


def test_access_token_is_not_an_id_token(idm):
    code, verifier, _ = idm.obtain_code()
    body = idm.redeem(code, verifier).json()
    with pytest.raises(jwt.InvalidAudienceError):
        idm.verify(body["access_token"], audience=idm.client_id, typ="at+jwt")
    assert "nonce" not in idm.verify(body["id_token"], audience=idm.client_id, typ="JWT")


def test_each_access_token_has_a_fresh_jti(idm):
    jtis = set()
    for _ in range(3):
        code, verifier, _ = idm.obtain_code()
        token = idm.redeem(code, verifier).json()["access_token"]
        jtis.add(jwt.decode(token, options={"verify_signature": False})["jti"])
    assert len(jtis) == 3


def test_other_users_get_their_own_subject(idm):
    params, verifier = idm.authorization_request()
    code = idm.login(params, username="bob").redirect_params()["code"]
    claims = idm.verify(idm.redeem(code, verifier).json()["access_token"], audience=idm.kms_audience, typ="at+jwt")
    assert (claims["sub"], claims["mcptt_id"]) == ("bob", "sip:bob@example.org")


def test_scope_without_openid_gives_no_id_token(idm):
    code, verifier, _ = idm.obtain_code(scope=idm.kms_scope)
    body = idm.redeem(code, verifier).json()
    assert "id_token" not in body
    assert body["scope"] == idm.kms_scope


def test_scope_defaults_to_openid_and_kms(idm):
    code, verifier, _ = idm.obtain_code(scope=None)
    assert idm.redeem(code, verifier).json()["scope"] == f"openid {idm.kms_scope}"


# --- the code is single-use, short-lived and bound to its request -----------------------

def _assert_token_error(answer, error: str, status: int = 400) -> None:
    assert answer.status == status, (answer.status, answer.body)
    assert answer.json()["error"] == error
    assert answer.headers["cache-control"] == "no-store"


def test_code_is_single_use(idm):
    code, verifier, _ = idm.obtain_code()
    assert idm.redeem(code, verifier).status == 200
    _assert_token_error(idm.redeem(code, verifier), "invalid_grant")


def test_wrong_verifier_is_invalid_grant_and_spends_the_code(idm):
    code, verifier, _ = idm.obtain_code()
    other_verifier, _ = pkce_pair()
    _assert_token_error(idm.redeem(code, other_verifier), "invalid_grant")
    _assert_token_error(idm.redeem(code, verifier), "invalid_grant")


def test_challenge_itself_is_not_a_verifier(idm):
    code, _, params = idm.obtain_code()
    _assert_token_error(idm.redeem(code, params["code_challenge"]), "invalid_grant")


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "a" * 42 + "!", ""])
def test_malformed_verifier_is_rejected(idm, verifier):
    code, _, _ = idm.obtain_code()
    _assert_token_error(idm.redeem(code, verifier or None), "invalid_request")


def test_code_is_bound_to_the_redirect_uri(idm):
    code, verifier, _ = idm.obtain_code()
    _assert_token_error(idm.redeem(code, verifier, redirect_uri="http://127.0.0.1/other?keep=1"), "invalid_grant")


def test_code_is_bound_to_the_client(idm):
    code, verifier, _ = idm.obtain_code()
    _assert_token_error(idm.redeem(code, verifier, client_id=idm.other_client_id), "invalid_grant")


def test_unknown_code_is_invalid_grant(idm):
    _, verifier = pkce_pair()
    _assert_token_error(idm.redeem("no-such-code", verifier), "invalid_grant")


def test_code_expires_after_its_lifetime(idm_ctl):
    code, verifier, _ = idm_ctl.obtain_code()  # code_lifetime_s = 1
    time.sleep(1.3)
    _assert_token_error(idm_ctl.redeem(code, verifier), "invalid_grant")


def test_code_within_its_lifetime_is_accepted(idm_ctl):
    code, verifier, _ = idm_ctl.obtain_code()
    assert idm_ctl.redeem(code, verifier).status == 200
