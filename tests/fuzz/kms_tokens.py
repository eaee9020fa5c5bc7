"""Bearer access tokens at the KMS: ``TokenVerifier.from_authorization`` (impl/kms/tokens.py).

The first octet chooses what the rest is:

0. the Authorization header value, as it arrives;
1. the JWT payload octets, which the harness signs ES256 with the IdM's key under a good header,
   so that hostile claims pass the signature check and reach the claim checks;
2. the JOSE header octets, signed the same way over good claims;
3. the Authorization header value, at a KMS running every token fault of the kill matrix (alg
   none, HMAC with the public key, unknown kid, no signature check, expired, nbf, audience,
   issuer, scope).

A refusal must be a :class:`TokenRejected` with an RFC 6750 error code and a 400/401/403 status.
A token accepted by the KMS without faults gives a principal of the declared types and is within
its exp and nbf.
"""
from __future__ import annotations

import base64
import json
import math
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from mcsec.impl.faults import Faults
from mcsec.impl.kms.tokens import Principal, TokenRejected, TokenVerifier
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, mixed

ISSUER = "https://idm.example.org"
AUDIENCE = "kms.example.org"
SCOPE = "3gpp:mc:ptt_key_management_service"
LEEWAY_S = 30
KEY = ec.derive_private_key(0x5EED, ec.SECP256R1())
_ES256 = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256)
TOKEN_FAULTS = ["kms_accept_alg_none", "kms_skip_signature_check", "kms_accept_hmac_public_key",
                "kms_accept_unknown_kid", "kms_accept_expired", "kms_ignore_nbf", "kms_ignore_audience",
                "kms_ignore_issuer", "kms_ignore_scope", "kms_no_token_required"]
TOKENS = (b'"alg"', b'"ES256"', b'"none"', b'"HS256"', b'"kid"', b'"k1"', b'"exp"', b'"nbf"', b'"iat"', b'"aud"',
          b'"iss"', b'"sub"', b'"scope"', b'"mcptt_id"', b"null", b"true", b"[]", b"{}", b"1e999", b"NaN",
          b"Infinity", b"-1", b"99999999999999999999999", b"Bearer ", b".", b"=")
_HEADER = {"alg": "ES256", "typ": "at+jwt", "kid": "k1"}


class _Jwks:
    jwk = jwt.PyJWK(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True) | {"kid": "k1"},
                    algorithm="ES256")

    def get(self, kid: str):
        return self.jwk if kid == "k1" else None

    def any_key(self):
        return self.jwk


def _verifier(*faults: str) -> TokenVerifier:
    return TokenVerifier(jwks=_Jwks(), issuer=ISSUER, audience=AUDIENCE, scopes=[SCOPE], leeway_s=LEEWAY_S,
                         faults=Faults(list(faults)))


STRICT = _verifier()
FAULTY = _verifier(*TOKEN_FAULTS)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def signed(header: bytes, payload: bytes) -> str:
    signing_input = _b64(header) + b"." + _b64(payload)
    return (signing_input + b"." + _b64(_ES256.sign(signing_input, KEY))).decode("ascii")


def claims(now: float | None = None, **overrides: object) -> dict:
    now = int(time.time() if now is None else now)
    values = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": now, "nbf": now,
              "exp": now + 10 * 365 * 86400, "client_id": "mcptt-client", "scope": f"openid {SCOPE}",
              "mcptt_id": "sip:alice@example.org", "jti": "j1"}
    values.update(overrides)
    return values


def seeds() -> list[bytes]:
    good = json.dumps(claims()).encode()
    header = json.dumps(_HEADER).encode()
    token = signed(header, good).encode()
    server = json.dumps(claims(sub="sip:mcptt-as@example.org", mcptt_id=None, aud=[AUDIENCE, "x"])).encode()
    return [with_mode(0, b"Bearer " + token), with_mode(0, b"bearer  " + token + b" "),
            with_mode(1, good), with_mode(1, server), with_mode(2, header),
            with_mode(3, b"Bearer " + token),
            with_mode(3, b"Bearer " + _b64(b'{"alg":"none"}') + b"." + _b64(good) + b"."),
            with_mode(3, b"Bearer " + _b64(b'{"alg":"HS256","kid":"k1"}') + b"." + _b64(good) + b".AAAA")]


def _check_accepted(principal: Principal, token: str) -> None:
    assert isinstance(principal.subject, str)
    assert principal.mcptt_id is None or isinstance(principal.mcptt_id, str), principal.mcptt_id
    assert principal.client_id is None or isinstance(principal.client_id, str), principal.client_id
    assert all(isinstance(s, str) for s in principal.scopes)
    values = jwt.decode(token, options={"verify_signature": False})
    now = time.time()
    for name in ("exp", "nbf", "iat"):
        value = values.get(name)
        if value is not None:
            assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), \
                f"{name} accepted as {value!r}"
    assert now <= values["exp"] + LEEWAY_S
    assert now >= values.get("nbf", values["iat"]) - LEEWAY_S


def _verify(verifier: TokenVerifier, header: str | None, token: str | None = None) -> None:
    try:
        principal = verifier.from_authorization(header)
    except TokenRejected as rejected:
        assert rejected.status in (400, 401, 403)
        assert rejected.error in ("", "invalid_request", "invalid_token", "insufficient_scope")
        return
    if verifier is STRICT and token is not None:
        _check_accepted(principal, token)


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 4)
    if mode in (0, 3):
        # an HTTP header value reaches the KMS as latin-1 text (http.server)
        header = rest.decode("latin-1")
        _verify(STRICT if mode == 0 else FAULTY, header, header.partition(" ")[2].strip())
        return
    if mode == 1:
        token = signed(json.dumps(_HEADER).encode(), rest)
    else:
        token = signed(rest, json.dumps(claims()).encode())
    _verify(STRICT, "Bearer " + token, token)


HARNESS = Harness(
    name="kms_tokens",
    decoder="mcsec.impl.kms.tokens.TokenVerifier.from_authorization: raw headers, hostile signed claims "
            "and headers, and the token faults of the kill matrix",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * 4, mixed(bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
