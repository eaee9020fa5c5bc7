"""TokenVerifier: every check, and each named fault switching exactly that check off."""
import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mcsec.fixtures.agents import tokenforge
from mcsec.impl.faults import Faults
from mcsec.impl.kms.tokens import TokenRejected, TokenVerifier

ISSUER = "https://idm.test"
AUD = "kms.example.org"
SCOPE = "3gpp:mc:ptt_key_management_service"


class _Jwks:
    def __init__(self, key):
        self.jwk = jwt.PyJWK(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "k1"},
                             algorithm="ES256")
        self.as_dict = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "k1"}

    def get(self, kid):
        return self.jwk if kid == "k1" else None

    def any_key(self):
        return self.jwk


@pytest.fixture(scope="module")
def idm_key():
    return ec.generate_private_key(ec.SECP256R1())


def _token(key, **overrides):
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "alice", "aud": AUD, "iat": now, "nbf": now, "exp": now + 300,
              "jti": "j1", "client_id": "c", "scope": f"openid {SCOPE}", "mcptt_id": "sip:alice@example.org"}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k1"})


def _verifier(idm_key, *faults):
    return TokenVerifier(jwks=_Jwks(idm_key), issuer=ISSUER, audience=AUD, scopes=[SCOPE], leeway_s=30,
                         faults=Faults(list(faults)))


def test_a_good_token_gives_its_principal(idm_key):
    p = _verifier(idm_key).verify(_token(idm_key))
    assert (p.subject, p.mcptt_id) == ("alice", "sip:alice@example.org") and SCOPE in p.scopes


NOW = int(time.time())
CASES = [
    # (name, token factory, expected error, fault that lets it through)
    ("alg none", lambda k, j: tokenforge.unsigned(_token(k)), "invalid_token", "kms_accept_alg_none"),
    ("other key", lambda k, j: tokenforge.signed_with_other_key(_token(k)), "invalid_token",
     "kms_skip_signature_check"),
    ("unknown kid", lambda k, j: jwt.encode(jwt.decode(_token(k), options={"verify_signature": False}), k,
                                            algorithm="ES256", headers={"kid": "k9"}), "invalid_token",
     "kms_accept_unknown_kid"),
    ("hmac confusion", lambda k, j: tokenforge.hmac_with_public_key(_token(k), j.as_dict), "invalid_token",
     "kms_accept_hmac_public_key"),
    ("tampered", lambda k, j: tokenforge.expiry_extended(_token(k)), "invalid_token", "kms_skip_signature_check"),
    ("expired", lambda k, j: _token(k, iat=NOW - 900, nbf=NOW - 900, exp=NOW - 600), "invalid_token",
     "kms_accept_expired"),
    ("not yet valid", lambda k, j: _token(k, nbf=NOW + 600, exp=NOW + 900), "invalid_token", "kms_ignore_nbf"),
    ("audience", lambda k, j: _token(k, aud="other"), "invalid_token", "kms_ignore_audience"),
    ("issuer", lambda k, j: _token(k, iss="https://evil"), "invalid_token", "kms_ignore_issuer"),
    ("scope", lambda k, j: _token(k, scope="openid"), "insufficient_scope", "kms_ignore_scope"),
]


@pytest.mark.parametrize("name,make,error,fault", CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_refused_and_only_its_fault_lets_it_through(idm_key, name, make, error, fault):
    token = make(idm_key, _Jwks(idm_key))
    with pytest.raises(TokenRejected) as info:
        _verifier(idm_key).verify(token)
    assert info.value.error == error
    assert info.value.status == (403 if error == "insufficient_scope" else 401)
    assert _verifier(idm_key, fault).verify(token).subject == "alice"


def test_leeway_is_honoured_both_ways(idm_key):
    v = _verifier(idm_key)
    v.verify(_token(idm_key, exp=int(time.time()) - 10))            # within 30 s leeway
    v.verify(_token(idm_key, nbf=int(time.time()) + 10))
    with pytest.raises(TokenRejected):
        v.verify(_token(idm_key, exp=int(time.time()) - 40))


@pytest.mark.parametrize("missing", ["iss", "sub", "aud", "exp", "iat"])
def test_missing_required_claims_are_refused(idm_key, missing):
    with pytest.raises(TokenRejected, match=missing):
        _verifier(idm_key).verify(_token(idm_key, **{missing: None}))


@pytest.mark.parametrize("header,status,error", [(None, 401, ""), ("Basic abc", 401, ""), ("Token abc", 401, ""),
                                                 ("Bearer: abc", 400, "invalid_request"),
                                                 ("Bearer ", 400, "invalid_request"),
                                                 ("Bearer not.a.jwt", 401, "invalid_token")])
def test_authorization_header_forms(idm_key, header, status, error):
    with pytest.raises(TokenRejected) as info:
        _verifier(idm_key).from_authorization(header)
    assert (info.value.status, info.value.error) == (status, error)


def test_no_token_fault_gives_an_anonymous_principal(idm_key):
    p = _verifier(idm_key, "kms_no_token_required").from_authorization(None)
    assert p.anonymous and p.mcptt_id is None


# --- time claims of the wrong type (RFC 7519 2: NumericDate is a finite JSON number) -----------------

def _raw_token(key, payload: str) -> str:
    """A token signed with the IdM key over exactly ``payload`` (JSON text, possibly not strict JSON)."""
    return jwt.api_jws.encode(payload.encode(), key, algorithm="ES256", headers={"kid": "k1", "typ": "at+jwt"})


def _payload(**literals: str) -> str:
    """The claims of a good token as JSON text, with some claims written as the given literals."""
    now = int(time.time())
    claims = {"iss": f'"{ISSUER}"', "sub": '"alice"', "aud": f'"{AUD}"', "iat": str(now), "nbf": str(now),
              "exp": str(now + 300), "scope": f'"openid {SCOPE}"', "mcptt_id": '"sip:alice@example.org"'}
    claims.update(literals)
    return "{" + ", ".join(f'"{name}": {text}' for name, text in claims.items()) + "}"


BAD_TIME_CLAIMS = {
    "exp a string": {"exp": f'"{NOW + 300}"'},
    "exp a string far ahead": {"exp": '"99999999999"'},
    "exp NaN": {"exp": "NaN"},
    "exp Infinity": {"exp": "Infinity"},
    "exp 1e400": {"exp": "1e400"},
    "exp true": {"exp": "true"},
    "exp null": {"exp": "null"},
    "nbf -Infinity": {"nbf": "-Infinity"},
    "nbf a string": {"nbf": f'"{NOW}"'},
    "iat a string": {"iat": f'"{NOW}"'},
    "iat NaN": {"iat": "NaN"},
    "iat 10^12": {"iat": "1000000000000"},
    "iat an hour ahead": {"iat": str(NOW + 3600), "nbf": str(NOW)},
}


@pytest.mark.parametrize("literals", BAD_TIME_CLAIMS.values(), ids=BAD_TIME_CLAIMS.keys())
def test_time_claims_that_are_not_numeric_dates_are_refused(idm_key, literals):
    token = _raw_token(idm_key, _payload(**literals))
    with pytest.raises(TokenRejected) as refused:
        _verifier(idm_key).verify(token)
    assert (refused.value.status, refused.value.error) == (401, "invalid_token")
    assert token not in refused.value.description


@pytest.mark.parametrize("name", ["exp NaN", "exp Infinity", "exp a string far ahead", "nbf -Infinity", "iat 10^12",
                                  "iat a string"])
def test_the_fault_kms_accept_malformed_time_claims_lets_them_through(idm_key, name):
    token = _raw_token(idm_key, _payload(**BAD_TIME_CLAIMS[name]))
    assert _verifier(idm_key, "kms_accept_malformed_time_claims").verify(token).subject == "alice"


def test_an_iat_within_the_leeway_ahead_is_accepted_and_float_dates_are_numbers(idm_key):
    now = time.time()
    v = _verifier(idm_key)
    v.verify(_raw_token(idm_key, _payload(iat=str(int(now) + 10), nbf=str(int(now)))))
    v.verify(_raw_token(idm_key, _payload(iat=repr(now), nbf=repr(now), exp=repr(now + 300.5))))


@pytest.mark.parametrize("literals", [{"sub": "7"}, {"iss": '["https://idm.test"]'}, {"aud": "[]"},
                                      {"aud": f'["{AUD}", 7]'}, {"scope": f'["{SCOPE}"]'}, {"mcptt_id": "{}"}],
                         ids=["sub a number", "iss a list", "aud empty", "aud with a number", "scope a list",
                              "mcptt_id an object"])
def test_string_claims_of_the_wrong_type_are_refused(idm_key, literals):
    with pytest.raises(TokenRejected) as refused:
        _verifier(idm_key).verify(_raw_token(idm_key, _payload(**literals)))
    assert refused.value.error == "invalid_token"


@pytest.mark.parametrize("payload", ['{"sub": "a", "sub": "b"}', "[" * 40_000, '{"a": ' * 40 + "1" + "}" * 40])
def test_claims_that_are_not_strict_json_are_a_malformed_token(idm_key, payload):
    with pytest.raises(TokenRejected, match="malformed"):
        _verifier(idm_key).verify(_raw_token(idm_key, payload))


def test_a_header_nested_beyond_bounds_is_a_malformed_token_not_a_crash(idm_key):
    header = base64.urlsafe_b64encode(b"[" * 40_000).rstrip(b"=").decode()
    good = _token(idm_key).split(".")
    with pytest.raises(TokenRejected, match="malformed"):
        _verifier(idm_key).verify(".".join([header, good[1], good[2]]))


# --- near misses of the identity claims (docs/near-miss.md), and the fault each one kills ------------

NEAR_MISSES = [
    # (name, claim overrides, the near-miss faults that let it through)
    ("aud extended", {"aud": AUD + "x"}, ("kms_audience_in_check",)),
    ("aud prefixed", {"aud": "x" + AUD}, ("kms_audience_in_check",)),
    ("aud an object naming it", {"aud": {AUD: True}}, ("kms_audience_in_check",)),
    ("aud in the other case", {"aud": AUD.upper()}, ("kms_audience_case_insensitive",)),
    ("aud a list of a near miss", {"aud": [AUD + "x"]}, ("kms_audience_list_unchecked",)),
    ("aud cut short", {"aud": AUD[:-1]}, ()),
    ("aud with a trailing slash", {"aud": AUD + "/"}, ("kms_audience_in_check",)),
    ("aud null", {"aud": None}, ()),
    ("iss extended", {"iss": ISSUER + "x"}, ("kms_issuer_startswith",)),
    ("iss with a trailing slash", {"iss": ISSUER + "/"}, ("kms_issuer_startswith", "kms_issuer_normalised")),
    ("iss in the other case", {"iss": ISSUER.upper()}, ("kms_issuer_normalised",)),
    ("iss prefixed", {"iss": "x" + ISSUER}, ()),
    ("iss a list holding it", {"iss": [ISSUER]}, ()),
    ("scope extended", {"scope": SCOPE + "x"}, ("kms_scope_substring",)),
    ("scope prefixed", {"scope": "x" + SCOPE}, ("kms_scope_substring",)),
    ("scope a list holding it", {"scope": [SCOPE]}, ("kms_scope_substring",)),
    ("scope in the other case", {"scope": SCOPE.upper()}, ("kms_scope_case_insensitive",)),
    ("scope cut short", {"scope": SCOPE[:-1]}, ()),
]


def _json_token(key, **overrides):
    """A good token with claims of any JSON type (jwt.encode refuses an iss that is not a string)."""
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "alice", "aud": AUD, "iat": now, "nbf": now, "exp": now + 300,
              "scope": f"openid {SCOPE}", "mcptt_id": "sip:alice@example.org", **overrides}
    return jwt.api_jws.encode(json.dumps(claims).encode(), key, algorithm="ES256", headers={"kid": "k1"})


@pytest.mark.parametrize("overrides,faults", [c[1:] for c in NEAR_MISSES], ids=[c[0] for c in NEAR_MISSES])
def test_a_near_miss_is_refused_and_only_its_faults_let_it_through(idm_key, overrides, faults):
    token = _json_token(idm_key, **overrides)
    with pytest.raises(TokenRejected):
        _verifier(idm_key).verify(token)
    near_miss_faults = {f for c in NEAR_MISSES for f in c[2]} | {"kms_audience_string_only"}
    for other in sorted(near_miss_faults - set(faults)):
        with pytest.raises(TokenRejected):
            _verifier(idm_key, other).verify(token)
    for fault in faults:
        assert _verifier(idm_key, fault).verify(token).subject == "alice"


@pytest.mark.parametrize("aud", [[AUD], ["x" + AUD, AUD]], ids=["alone", "second"])
def test_an_aud_list_holding_the_audience_is_accepted_unless_lists_are_refused(idm_key, aud):
    token = _json_token(idm_key, aud=aud)
    assert _verifier(idm_key).verify(token).subject == "alice"
    with pytest.raises(TokenRejected):
        _verifier(idm_key, "kms_audience_string_only").verify(token)


@pytest.mark.parametrize("fault,within_passes,beyond_passes", [(None, True, False), ("kms_no_leeway", False, False),
                                                               ("kms_leeway_doubled", True, True)])
@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_the_edges_of_the_leeway(idm_key, fault, within_passes, beyond_passes, claim):
    """Leeway 30 s: a token 10 s within the edge passes, one 10 s beyond is refused; the faults move the edge."""
    now = int(time.time())
    sign = -1 if claim == "exp" else 1
    v = _verifier(idm_key, *([fault] if fault else []))
    for offset, passes in ((30 - 10, within_passes), (30 + 10, beyond_passes)):
        edge = now + sign * offset
        claims = {"exp": edge, "iat": edge - 300, "nbf": edge - 300} if claim == "exp" else \
            {"nbf": edge, "iat": now, "exp": edge + 300}
        token = _json_token(idm_key, **claims)
        if passes:
            v.verify(token)
        else:
            with pytest.raises(TokenRejected, match="expired" if claim == "exp" else "not yet valid"):
                v.verify(token)
