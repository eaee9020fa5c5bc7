"""The test control surface: off means 404 like any unknown path; on mints properly signed odd tokens."""
from __future__ import annotations

import base64
import time

import jwt
import pytest

from tests.unit.idm.conftest import _start


def test_off_tokens_path_answers_like_an_unknown_path(idm):
    minted = idm.post_json("/test/tokens", {"principal": "alice"})
    unknown = idm.post_json("/test/no-such-thing", {"principal": "alice"})
    assert minted.status == 404
    assert (minted.status, minted.body) == (unknown.status, unknown.body)
    assert idm.get("/test/tokens").status == 404


def test_on_mints_a_normal_user_token_by_default(idm_ctl):
    answer = idm_ctl.mint({"principal": "alice"})
    assert answer.status == 200
    token = answer.json()["token"]
    idm_ctl.seen_secrets.append(token)
    claims = idm_ctl.verify(token, audience=idm_ctl.kms_audience, typ="at+jwt")
    assert claims["sub"] == "alice"
    assert claims["mcptt_id"] == "sip:alice@example.org"
    assert claims["scope"] == idm_ctl.kms_scope
    assert claims["client_id"] == idm_ctl.client_id
    assert claims["exp"] == claims["iat"] + 300 and claims["nbf"] == claims["iat"]
    assert claims["jti"]


def test_on_mints_a_server_token(idm_ctl):
    token = idm_ctl.mint({"principal": idm_ctl.server_id}).json()["token"]
    claims = idm_ctl.verify(token, audience=idm_ctl.kms_audience, typ="at+jwt")
    assert claims["sub"] == idm_ctl.server_uri
    assert claims["client_id"] == idm_ctl.server_id
    assert "mcptt_id" not in claims


def test_overrides_omissions_and_lifetime_are_applied_and_signed(idm_ctl):
    request = {"principal": "alice", "claims": {"aud": "someone-else", "iss": "https://evil.example", "x": 1},
               "omit": ["scope", "jti"], "lifetime_s": -60}
    token = idm_ctl.mint(request).json()["token"]
    key = jwt.PyJWK(idm_ctl.jwks()["keys"][0]).key
    claims = jwt.decode(token, key, algorithms=["ES256"], options={"verify_exp": False, "verify_aud": False})
    assert claims["aud"] == "someone-else"
    assert claims["iss"] == "https://evil.example"
    assert claims["x"] == 1
    assert "scope" not in claims and "jti" not in claims
    assert claims["exp"] == claims["iat"] - 60
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key, algorithms=["ES256"], options={"verify_aud": False})


def test_not_yet_valid_token(idm_ctl):
    future = int(time.time()) + 3600
    token = idm_ctl.mint({"principal": "alice", "claims": {"nbf": future}}).json()["token"]
    with pytest.raises(jwt.ImmatureSignatureError):
        idm_ctl.verify(token, audience=idm_ctl.kms_audience, typ="at+jwt")


def test_header_kid_can_be_replaced(idm_ctl):
    token = idm_ctl.mint({"principal": "alice", "header": {"kid": "unknown-kid"}}).json()["token"]
    assert jwt.get_unverified_header(token)["kid"] == "unknown-kid"
    key = jwt.PyJWK(idm_ctl.jwks()["keys"][0]).key  # still signed with the real key
    jwt.decode(token, key, algorithms=["ES256"], audience=idm_ctl.kms_audience)


def test_unknown_principal_is_404(idm_ctl):
    answer = idm_ctl.mint({"principal": "mallory"})
    assert answer.status == 404
    assert "error" in answer.json()


@pytest.mark.parametrize("request_body", [
    {},
    {"principal": 7},
    {"principal": "alice", "claims": []},
    {"principal": "alice", "omit": "scope"},
    {"principal": "alice", "lifetime_s": "60"},
    {"principal": "alice", "header": {"alg": "none"}},
], ids=["no principal", "principal not a string", "claims not an object", "omit not a list",
        "lifetime not an integer", "alg cannot be changed"])
def test_bad_mint_requests_are_400(idm_ctl, request_body):
    answer = idm_ctl.mint(request_body)
    assert answer.status == 400
    assert "error" in answer.json()


@pytest.mark.parametrize("body", [b"[" * 200_000, b"[" * 120_000 + b"]" * 120_000, b'{"principal": NaN}'],
                         ids=["200000 deep, unclosed", "120000 deep", "NaN"])
def test_unusable_json_is_a_clean_400_and_no_traceback(idm_ctl, body):
    before = idm_ctl.log_path.stat().st_size
    answer = idm_ctl.request("POST", "/test/tokens", body, {"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {idm_ctl.test_control_secret}"})
    assert answer.status == 400
    assert "error" in answer.json()
    with open(idm_ctl.log_path, "rb") as log:
        log.seek(before)
        written = log.read().decode()
    assert "POST /test/tokens -> 400" in written
    assert "Traceback" not in written and "handler failed" not in written
    assert idm_ctl.get("/jwks").status == 200  # still serving


@pytest.fixture(scope="module")
def idm_unbounded(test_ca, ca_context, tmp_path_factory):
    """The IdM with the fault idm_unbounded_json on."""
    process, running = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-unbounded"), test_control=True,
                              faults=["idm_unbounded_json"])
    yield running
    process.stop()


def test_the_fault_idm_unbounded_json_restores_the_500(idm_unbounded):
    answer = idm_unbounded.request("POST", "/test/tokens", b"[" * 200_000, {
        "Content-Type": "application/json", "Authorization": f"Bearer {idm_unbounded.test_control_secret}"})
    assert answer.status == 500
    assert idm_unbounded.mint({"principal": "alice"}).status == 200


def test_non_finite_claims_are_signed_as_literals(idm_ctl):
    answer = idm_ctl.mint({"principal": "alice", "non_finite": {"exp": "Infinity",
                                                                                    "nbf": "-Infinity"}})
    assert answer.status == 200
    token = answer.json()["token"]
    payload = token.split(".")[1]
    text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert '"exp": Infinity' in text.replace('":', '": ') and '"nbf": -Infinity' in text.replace('":', '": ')
    key = jwt.PyJWK(idm_ctl.jwks()["keys"][0]).key
    jwt.api_jws.decode(token, key, algorithms=["ES256"])  # signed with the real key


def test_non_finite_takes_only_the_three_literals(idm_ctl):
    assert idm_ctl.mint({"principal": "alice", "non_finite": {"exp": "1e400"}}).status == 400


# --- the test control secret ---------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer wrong-secret-of-some-length", "Basic YWxpY2U6eA==",
                                           "Bearer ", "bearer"], ids=["none", "wrong", "basic", "empty", "no token"])
def test_without_the_secret_no_token_is_minted_and_nothing_is_said(idm_ctl, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = idm_ctl.post_json("/test/tokens", {"principal": "alice"}, headers)
    assert answer.status == 401
    assert answer.body == b""
    assert answer.headers["www-authenticate"] == 'Bearer realm="mcsec-idm-test-control"'


def test_a_near_miss_of_the_secret_is_refused(idm_ctl):
    secret = idm_ctl.test_control_secret
    for near in (secret[:-1], secret + "A", secret.upper() if secret.upper() != secret else secret.lower(),
                 " " + secret[1:]):
        answer = idm_ctl.post_json("/test/tokens", {"principal": "alice"}, {"Authorization": f"Bearer {near}"})
        assert answer.status == 401


def test_the_secret_is_checked_before_the_body_is_read(idm_ctl):
    answer = idm_ctl.request("POST", "/test/tokens", b"[" * 200_000, {"Content-Type": "application/json"})
    assert answer.status == 401


def test_the_secret_is_made_anew_at_each_start_and_never_logged(test_ca, ca_context, tmp_path_factory, idm_ctl):
    process, other = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-ctl-again"), test_control=True)
    try:
        assert other.test_control_secret != idm_ctl.test_control_secret
        assert len(other.test_control_secret) >= 32
        assert other.mint({"principal": "alice"}).status == 200
        foreign = other.post_json("/test/tokens", {"principal": "alice"},
                                  {"Authorization": f"Bearer {idm_ctl.test_control_secret}"})
        assert foreign.status == 401
    finally:
        process.stop()
    assert other.test_control_secret not in other.log_path.read_text()
    assert idm_ctl.test_control_secret not in idm_ctl.log_path.read_text()


def test_a_configured_secret_is_the_one_demanded(test_ca, ca_context, tmp_path_factory):
    secret = "configured-" + "s" * 24
    process, idm = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-ctl-configured"), test_control=True,
                          test_control_secret=secret)
    try:
        assert idm.test_control_secret == secret
        assert idm.mint({"principal": "alice"}).status == 200
    finally:
        process.stop()
    assert secret not in idm.log_path.read_text()


@pytest.fixture(scope="module")
def idm_open(test_ca, ca_context, tmp_path_factory):
    """The IdM with the fault idm_test_control_open on."""
    process, running = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-open"), test_control=True,
                              faults=["idm_test_control_open"])
    yield running
    process.stop()


def test_the_fault_idm_test_control_open_mints_for_anyone(idm_open):
    assert idm_open.post_json("/test/tokens", {"principal": "alice"}).status == 200
