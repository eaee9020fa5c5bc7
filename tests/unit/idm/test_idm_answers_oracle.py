"""The oracle of the IdM's authorization and token endpoint answers: a code issued or not, where the user
agent is sent, a token response, an RFC 6749 5.2 refusal. Findings never quote a code or a token."""
from __future__ import annotations

import json

import pytest

from mcsec.fixtures.oracles import idm_answers
from mcsec.fixtures.oracles.idm_answers import TokenRefusal
from mcsec.impl.httpclient import HttpReply

IDM = "https://127.0.0.1:8443"
AUTHZ = IDM + "/authorize"
REGISTERED = "http://127.0.0.1/mcptt/callback"
CODE = "code-value-that-must-never-appear-in-a-finding"
TOKEN = "eyJ.token-value-that-must-never-appear.sig"


def reply(status: int, headers: dict[str, str] | None = None, body: object = b"") -> HttpReply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpReply(status, {k.lower(): v for k, v in (headers or {}).items()}, raw)


def redirect(location: str) -> HttpReply:
    return reply(302, {"Location": location})


def refused(answers) -> list[str]:
    return idm_answers.sign_in_refused_findings(answers, registered_redirect_uri=REGISTERED, idm_origins=[IDM],
                                                base_url=AUTHZ)


def not_redirected(answers) -> list[str]:
    return idm_answers.not_redirected_findings(answers, idm_origins=[IDM], base_url=AUTHZ)


# --- a sign-in that must fail ------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    reply(200, {"Content-Type": "text/html"}, b"<form>...</form>"),              # the form again
    reply(401), reply(400, body={"error": "invalid_request"}),
    redirect(REGISTERED + "?error=access_denied&state=s"),                      # RFC 6749 4.1.2.1
    redirect("HTTP://127.0.0.1/mcptt/callback?error=login_required"),           # scheme and host without case
    redirect("/login?failed=1"),                                                # a page of the IdM's own
    redirect("https://127.0.0.1:8443/error"),
])
def test_a_refused_sign_in_may_show_the_form_again_or_redirect_with_an_error(answer):
    assert refused([("the posted sign-in", answer)]) == []


def test_a_code_is_a_finding_and_is_not_quoted():
    findings = refused([("the login page", reply(200)), ("the posted sign-in",
                                                         redirect(f"{REGISTERED}?code={CODE}&state=s"))])
    assert len(findings) == 1
    assert "the posted sign-in was answered with an authorization code" in findings[0]
    assert CODE not in findings[0] and "?" not in findings[0]


@pytest.mark.parametrize(("location", "words"), [
    (REGISTERED + "?state=s", "neither a code nor an error"),
    (REGISTERED + "?error=wrong_password", "not an authorization error code"),
    ("http://127.0.0.1/mcptt/callback/?error=access_denied", "neither the IdM nor the registered"),
    ("https://attacker.example/cb?error=access_denied", "neither the IdM nor the registered"),
])
def test_a_refusal_redirected_anywhere_else_or_without_an_error_code_is_a_finding(location, words):
    findings = refused([("the posted sign-in", redirect(location))])
    assert len(findings) == 1 and words in findings[0]


def test_a_server_failure_is_no_refusal():
    assert "HTTP 500" in refused([("the posted sign-in", reply(500))])[0]


def test_an_invalid_client_or_redirect_uri_must_not_send_the_user_agent_away():
    assert not_redirected([("the login page", reply(400, body={"error": "invalid_request"})),
                           ("the posted sign-in", redirect("/error"))]) == []
    findings = not_redirected([("the login page", redirect(REGISTERED + "/?error=invalid_request"))])
    assert findings == ["the login page redirected the user agent away from the IdM, to "
                        "http://127.0.0.1/mcptt/callback/"]
    findings = not_redirected([("the posted sign-in", redirect(f"{REGISTERED}?code={CODE}"))])
    assert len(findings) == 1 and "authorization code" in findings[0] and CODE not in findings[0]


def test_a_redirect_is_read_from_a_3xx_with_a_location_only():
    assert idm_answers.redirect_of(reply(200, {"Location": REGISTERED}), AUTHZ) is None
    assert idm_answers.redirect_of(reply(302), AUTHZ) is None
    found = idm_answers.redirect_of(redirect("/a/b?x=1&y="), AUTHZ)
    assert found.target == "https://127.0.0.1:8443/a/b" and found.params == {"x": "1", "y": ""}


# --- a successful token response -------------------------------------------------------------

GOOD = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300}


def test_a_good_token_response():
    assert idm_answers.token_response_findings(reply(200, {"Cache-Control": "no-store"}, GOOD)) == []
    assert idm_answers.token_response_findings(
        reply(200, {"Cache-Control": "private, NO-STORE"}, {**GOOD, "token_type": "bearer"})) == []
    assert idm_answers.token_response_findings(
        reply(200, {"Cache-Control": "no-store"}, {"access_token": TOKEN, "token_type": "Bearer"})) == []
    assert idm_answers.access_token_of(reply(200, {}, GOOD)) == TOKEN


@pytest.mark.parametrize(("answer", "words"), [
    (reply(200, {"Cache-Control": "private, max-age=300"}, GOOD), "may be cached"),
    (reply(200, {}, GOOD), "no Cache-Control"),
    (reply(200, {"Cache-Control": "no-store"}, {**GOOD, "token_type": "MAC"}), "not Bearer"),
    (reply(200, {"Cache-Control": "no-store"}, {**GOOD, "expires_in": True}), "not a positive integer"),
    (reply(200, {"Cache-Control": "no-store"}, {**GOOD, "expires_in": "300"}), "not a positive integer"),
    (reply(200, {"Cache-Control": "no-store"}, {**GOOD, "access_token": ""}), "no access_token"),
    (reply(200, {"Cache-Control": "no-store"}, b"not json"), "not a JSON object"),
    (reply(400, {}, {"error": "invalid_grant"}), "HTTP 400 with the error 'invalid_grant'"),
])
def test_a_bad_token_response_is_named(answer, words):
    findings = idm_answers.token_response_findings(answer)
    assert any(words in f for f in findings), findings
    assert all(TOKEN not in f for f in findings)


# --- a refused token request ------------------------------------------------------------------

INVALID_GRANT = TokenRefusal(400, frozenset({"invalid_grant"}))
INVALID_CLIENT = TokenRefusal(401, frozenset({"invalid_client"}), challenge="Basic")


def test_the_refusals_rfc_6749_demands_pass():
    assert idm_answers.token_refused_findings(reply(400, {}, {"error": "invalid_grant"}), INVALID_GRANT) == []
    for challenge in ('Basic realm="idm"', "basic", 'Bearer realm="x", Basic realm="y"'):
        answer = reply(401, {"WWW-Authenticate": challenge}, {"error": "invalid_client"})
        assert idm_answers.token_refused_findings(answer, INVALID_CLIENT) == [], challenge


def test_an_issued_token_is_the_one_finding_and_is_not_quoted():
    findings = idm_answers.token_refused_findings(reply(200, {}, GOOD), INVALID_GRANT)
    assert findings == ["the IdM issued an access token (HTTP 200) instead of refusing with HTTP 400 and the "
                        "error 'invalid_grant'"]


@pytest.mark.parametrize(("answer", "expected", "words"), [
    (reply(401, {}, {"error": "invalid_grant"}), INVALID_GRANT, "HTTP 401, expected 400"),
    (reply(400, {}, {"error": "invalid_request"}), INVALID_GRANT, "the error is 'invalid_request'"),
    (reply(400, {}, b"Bad Request"), INVALID_GRANT, "not a JSON object"),
    (reply(400, {"WWW-Authenticate": "Basic"}, {"error": "invalid_client"}), INVALID_CLIENT, "expected 401"),
    (reply(401, {}, {"error": "invalid_client"}), INVALID_CLIENT, "no Basic challenge"),
    (reply(401, {"WWW-Authenticate": 'Bearer realm="Basic"'}, {"error": "invalid_client"}), INVALID_CLIENT,
     "no Basic challenge"),
    (reply(401, {"WWW-Authenticate": "Basic"}, {"error": "unauthorized_client"}), INVALID_CLIENT,
     "the error is 'unauthorized_client'"),
])
def test_a_wrong_refusal_is_named(answer, expected, words):
    findings = idm_answers.token_refused_findings(answer, expected)
    assert any(words in f for f in findings), findings
