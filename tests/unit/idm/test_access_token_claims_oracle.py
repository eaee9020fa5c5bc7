"""The oracle of the KMS access token's claims, property by property, on tokens signed in the test with
keys made in the test: the right token passes every check, each near miss fails exactly its own."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from mcsec.fixtures.oracles import access_token_claims as oracle
from mcsec.impl.idm.keys import SigningKey

KEY = SigningKey.generate()
OTHER = SigningKey.generate()
NOW = float(int(time.time()))  # whole seconds, as NumericDates are issued
ISSUER = "https://idm.example.org"
AUDIENCE = "kms.example.org"
SCOPE = "3gpp:mc:ptt_key_management_service"
MCPTT_ID = "sip:alice@example.org"


def claims(**changes) -> dict:
    now = int(NOW)
    base = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": now + 300, "iat": now, "nbf": now,
            "jti": "j-1", "client_id": "mcptt-client", "scope": f"openid {SCOPE}", "mcptt_id": MCPTT_ID}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def token(key: SigningKey = KEY, **changes) -> str:
    return key.sign(claims(**changes), typ="at+jwt")


def expected(jwks: dict | None = None, **changes) -> oracle.Expected:
    values = dict(jwks=jwks or KEY.jwks(), audience=AUDIENCE, issuer=ISSUER, scope=SCOPE, lifetime_s=300,
                  leeway_s=30, received_at=NOW, mcptt_id=MCPTT_ID)
    values.update(changes)
    return oracle.Expected(**values)


CHECKS = [oracle.signature_findings, oracle.audience_findings, oracle.issuer_findings, oracle.scope_findings,
          oracle.mcptt_id_findings, oracle.expiry_findings, oracle.issued_at_findings]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_right_token_has_every_property(check):
    assert check(token(), expected()) == []


def test_the_right_token_passes_the_whole_check():
    assert oracle.kms_access_token_findings(token(), expected()) == []
    server = token(sub="sip:mcptt-as@example.org", mcptt_id=None, scope=SCOPE, client_id="mcptt-as")
    assert oracle.kms_access_token_findings(server, expected(mcptt_id=None, subject="sip:mcptt-as@example.org")) == []


@pytest.mark.parametrize(("check", "changes", "words"), [
    (oracle.audience_findings, {"aud": "kms.example.org/"}, "not the KMS"),
    (oracle.audience_findings, {"aud": "mcptt-client"}, "not the KMS"),
    (oracle.audience_findings, {"aud": ["mcptt-client"]}, "not the KMS"),
    (oracle.audience_findings, {"aud": None}, "audience is None"),
    (oracle.issuer_findings, {"iss": ISSUER + "/"}, "not the IdM's issuer"),
    (oracle.issuer_findings, {"iss": "https://IDM.example.org"}, "not the IdM's issuer"),
    (oracle.scope_findings, {"scope": "openid"}, "lacks the key management scope"),
    (oracle.scope_findings, {"scope": f"openid {SCOPE}x"}, "lacks the key management scope"),
    (oracle.scope_findings, {"scope": [SCOPE]}, "not a space-separated string"),
    (oracle.mcptt_id_findings, {"mcptt_id": "sip:bob@example.org"}, "not 'sip:alice@example.org'"),
    (oracle.mcptt_id_findings, {"mcptt_id": None}, "MCPTT ID None"),
    (oracle.expiry_findings, {"exp": int(NOW) - 31}, "expired"),
    (oracle.expiry_findings, {"exp": int(NOW) + 331}, "longer than the configured lifetime"),
    (oracle.expiry_findings, {"iat": int(NOW) - 100, "exp": int(NOW) + 301}, "after iat"),
    (oracle.expiry_findings, {"exp": "1999999999"}, "not a NumericDate"),
    (oracle.expiry_findings, {"exp": True}, "not a NumericDate"),
    (oracle.expiry_findings, {"exp": None}, "no 'exp' claim"),
    (oracle.issued_at_findings, {"iat": int(NOW) + 31}, "issued 31 s after"),
    (oracle.issued_at_findings, {"nbf": int(NOW) + 60}, "not valid before"),
    (oracle.issued_at_findings, {"iat": None}, "no 'iat' claim"),
    (oracle.issued_at_findings, {"iat": "now"}, "not a NumericDate"),
])
def test_each_near_miss_fails_its_own_property_and_no_other(check, changes, words):
    raw = token(**changes)
    findings = check(raw, expected())
    assert len(findings) >= 1 and words in findings[0], findings
    failing = {c.__name__ for c in CHECKS if c(raw, expected())}
    # iat is read by both time checks; every other claim by one check only
    allowed = {check.__name__} | ({"expiry_findings", "issued_at_findings"} if "iat" in changes else set())
    assert failing <= allowed, failing


def test_the_clock_leeway_is_allowed_both_ways():
    assert oracle.issued_at_findings(token(iat=int(NOW) + 30, nbf=int(NOW) + 30), expected()) == []
    assert oracle.expiry_findings(token(exp=int(NOW) - 29, iat=int(NOW) - 250), expected()) == []
    assert oracle.expiry_findings(token(exp=int(NOW) + 330, iat=int(NOW) + 30), expected()) == []


def test_a_non_finite_time_is_no_numeric_date():
    header = {"alg": "ES256", "typ": "at+jwt", "kid": KEY.kid}
    raw = jwt.encode(claims(exp=float("inf")), KEY.private_key, algorithm="ES256", headers=header)
    assert "not a NumericDate" in oracle.expiry_findings(raw, expected())[0]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("make", "jwks", "words"), [
    (lambda: token(OTHER), None, "names no key of the IdM JWKS"),
    (lambda: OTHER.sign(claims(), typ="at+jwt", kid=KEY.kid), None, "does not verify"),
    (lambda: jwt.encode(claims(), "k" * 32, algorithm="HS256", headers={"kid": KEY.kid}), None, "'HS256'"),
    (lambda: _b64({"alg": "none", "kid": KEY.kid}) + "." + _b64(claims()) + ".", None, "'none'"),
    (lambda: token().rsplit(".", 1)[0], None, "not a JWS"),
    (lambda: "not-a-token", None, "not a JWS"),
    (lambda: _b64(["alg"]) + "." + _b64(claims()) + ".x", None, "not a JSON object"),
    (lambda: jwt.encode(claims(), KEY.private_key, algorithm="ES256"), {"keys": [KEY.public_jwk, OTHER.public_jwk]},
     "names no kid"),
    (lambda: token(), {"keys": [{**KEY.public_jwk, "use": "enc"}]}, "not an ES256 signing key"),
    (lambda: token(), {"keys": [KEY.public_jwk, KEY.public_jwk]}, "2 keys with the kid"),
    (lambda: token(), {"keys": [{**KEY.public_jwk, "crv": "P-384"}]}, "not a usable P-256 key"),
])
def test_a_token_the_idm_keys_do_not_vouch_for_fails_every_property(make, jwks, words):
    raw = make()
    for check in CHECKS:
        findings = check(raw, expected(jwks))
        assert len(findings) == 1 and words in findings[0], (check.__name__, findings)
        assert raw not in findings[0]


def test_a_token_without_kid_verifies_when_the_jwks_holds_one_key():
    raw = jwt.encode(claims(), KEY.private_key, algorithm="ES256")
    assert oracle.signature_findings(raw, expected()) == []


def test_the_whole_check_names_missing_claims():
    findings = oracle.kms_access_token_findings(token(jti=None, client_id=None), expected())
    assert findings == ["the access token has no 'jti' claim", "the access token has no 'client_id' claim"]
    server = token(sub="sip:other-as@example.org", mcptt_id=None)
    findings = oracle.kms_access_token_findings(server, expected(mcptt_id=None, subject="sip:mcptt-as@example.org"))
    assert findings == ["the access token's subject is 'sip:other-as@example.org', not 'sip:mcptt-as@example.org'"]


def test_a_check_that_needs_the_principal_says_so():
    with pytest.raises(ValueError, match="Expected.mcptt_id"):
        oracle.mcptt_id_findings(token(), expected(mcptt_id=None))
    with pytest.raises(ValueError, match="Expected.subject"):
        oracle.subject_findings(token(), expected())
