"""Authorization endpoint errors (RFC 6749 4.1.2.1, RFC 7636 4.4.1)."""
from __future__ import annotations

import pytest


def _assert_direct_400(answer) -> None:
    """An error shown to the user agent, never a redirect to an unverified URI."""
    assert answer.status == 400, (answer.status, answer.body)
    assert "location" not in answer.headers
    assert answer.json()["error"] == "invalid_request"


def _assert_redirected_error(answer, params: dict, error: str) -> None:
    assert answer.status == 302, (answer.status, answer.body)
    assert answer.headers["location"].startswith(params["redirect_uri"] + "?")
    redirected = answer.redirect_params()
    assert redirected["error"] == error
    assert redirected.get("state") == params.get("state")
    assert "code" not in redirected


DIRECT = {
    "unknown client": {"client_id": "nobody"},
    "missing client": {"client_id": None},
    "unregistered redirect": {"redirect_uri": "http://127.0.0.1/evil"},
    "redirect with extra path": {"redirect_uri": "http://127.0.0.1/callback/evil"},
    "redirect with extra query": {"redirect_uri": "http://127.0.0.1/callback?x=1"},
    "redirect differs in case": {"redirect_uri": "http://127.0.0.1/Callback"},
    "missing redirect": {"redirect_uri": None},
}


@pytest.mark.parametrize("overrides", DIRECT.values(), ids=DIRECT.keys())
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_client_or_redirect_problems_are_not_redirected(idm, overrides, method):
    params, _ = idm.authorization_request(**overrides)
    answer = idm.get("/authorize", params) if method == "GET" else idm.login(params)
    _assert_direct_400(answer)


def test_redirect_registered_for_another_client_is_refused(idm):
    params, _ = idm.authorization_request(client_id=idm.other_client_id,
                                          redirect_uri="http://127.0.0.1/other?keep=1")
    _assert_direct_400(idm.login(params))


REDIRECTED = {
    "no code_challenge": ({"code_challenge": None}, "invalid_request"),
    "no code_challenge_method": ({"code_challenge_method": None}, "invalid_request"),
    "plain method": ({"code_challenge_method": "plain"}, "invalid_request"),
    "lower-case s256": ({"code_challenge_method": "s256"}, "invalid_request"),
    "challenge too short": ({"code_challenge": "abc"}, "invalid_request"),
    "challenge padded": ({"code_challenge": "A" * 43 + "="}, "invalid_request"),
    "challenge with bad characters": ({"code_challenge": "+" * 43}, "invalid_request"),
    "no response_type": ({"response_type": None}, "invalid_request"),
    "implicit grant": ({"response_type": "token"}, "unsupported_response_type"),
    "unknown scope": ({"scope": "openid admin"}, "invalid_scope"),
}


@pytest.mark.parametrize(("overrides", "error"), REDIRECTED.values(), ids=REDIRECTED.keys())
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_problems_are_redirected_with_an_error(idm, overrides, error, method):
    params, _ = idm.authorization_request(**overrides)
    answer = idm.get("/authorize", params) if method == "GET" else idm.login(params)
    _assert_redirected_error(answer, params, error)


def test_error_redirect_omits_state_when_none_was_sent(idm):
    params, _ = idm.authorization_request(state=None, code_challenge_method="plain")
    answer = idm.login(params)
    assert answer.redirect_params()["error"] == "invalid_request"
    assert "state" not in answer.redirect_params()


def test_repeated_parameter_is_invalid_request(idm):
    params, _ = idm.authorization_request()
    fields = list(params.items()) + [("scope", "openid"), ("username", "alice"),
                                     ("password", idm.passwords["alice"])]
    _assert_redirected_error(idm.post_form("/authorize", fields), params, "invalid_request")


def test_wrong_password_is_access_denied(idm):
    params, _ = idm.authorization_request()
    _assert_redirected_error(idm.login(params, password="not-" + idm.passwords["alice"]), params, "access_denied")


def test_another_users_password_is_access_denied(idm):
    params, _ = idm.authorization_request()
    _assert_redirected_error(idm.login(params, password=idm.passwords["bob"]), params, "access_denied")


def test_unknown_user_is_access_denied(idm):
    params, _ = idm.authorization_request()
    _assert_redirected_error(idm.login(params, username="mallory", password="x"), params, "access_denied")


def test_missing_credentials_are_access_denied(idm):
    params, _ = idm.authorization_request()
    _assert_redirected_error(idm.post_form("/authorize", params), params, "access_denied")


def test_login_body_must_be_form_encoded(idm):
    params, _ = idm.authorization_request()
    answer = idm.post_json("/authorize", {**params, "username": "alice", "password": idm.passwords["alice"]})
    _assert_direct_400(answer)
