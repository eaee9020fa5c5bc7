"""Authorisation of KMS requests by their Bearer access token.

The token must be a JWS made with the IdM's key as published in the IdM's
JWKS (ES256 only: `alg: none`, HMAC and unknown key identifiers are refused),
issued by the IdM, meant for this KMS (aud), within nbf/exp with a small
leeway, and carry the key management scope. Failures raise `TokenRejected`,
which the KMS turns into an RFC 6750 challenge. Tokens are never logged.

The JOSE header and the claims are read as strict JSON (impl/strictjson.py: no
NaN or Infinity, bounded nesting, no claim named twice). `exp`, `iat` and `nbf`
must be NumericDates (RFC 7519 2): finite JSON numbers, booleans excluded; an
`iat` later than now plus the leeway is refused. `iss` and `sub` must be
strings, `aud` a string or a list of strings, `scope`, `mcptt_id` and
`client_id` strings when present.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import re
import ssl
import threading
import time
import urllib.request
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization

from mcsec.impl import strictjson
from mcsec.impl.faults import Faults

log = logging.getLogger("mcsec.kms.tokens")

ALGORITHM = "ES256"
JWKS_REFRESH_MIN_INTERVAL_S = 10.0


_AUTH_SCHEME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")   # RFC 7235 2.1: auth-scheme = token


class TokenRejected(Exception):
    """The request is not authorised. `error` is the RFC 6750 error code."""

    def __init__(self, error: str, description: str, status: int = 401):
        super().__init__(description)
        self.error = error  # "invalid_request" | "invalid_token" | "insufficient_scope" | "" (no token)
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Principal:
    """Who the verified token speaks for."""
    subject: str
    mcptt_id: str | None
    client_id: str | None
    scopes: frozenset[str]
    anonymous: bool = False


class JwksCache:
    """The IdM's signing keys, fetched over HTTPS and refreshed on an unknown kid (rate-limited)."""

    def __init__(self, jwks_uri: str, ssl_context: ssl.SSLContext, timeout_s: float = 5.0):
        self._uri = jwks_uri
        self._ctx = ssl_context
        self._timeout = timeout_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        with urllib.request.urlopen(self._uri, context=self._ctx, timeout=self._timeout) as resp:
            document = strictjson.loads(resp.read(256 * 1024))
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise ValueError("the JWKS has no keys list")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if (isinstance(entry, dict) and entry.get("kty") == "EC" and entry.get("crv") == "P-256"
                    and isinstance(entry.get("kid"), str)):
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
                except (jwt.PyJWTError, ValueError, TypeError):
                    continue  # an unusable key is not a key of the IdM
        self._keys = keys
        self._fetched_at = time.monotonic()

    def get(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= JWKS_REFRESH_MIN_INTERVAL_S:
                try:
                    self._fetch()
                except (OSError, ValueError) as exc:
                    log.warning("cannot fetch the IdM JWKS: %s", type(exc).__name__)
            return self._keys.get(kid)

    def any_key(self) -> jwt.PyJWK | None:
        """The IdM's current key, for reproducing the algorithm-confusion fault only."""
        with self._lock:
            if not self._keys:
                try:
                    self._fetch()
                except (OSError, ValueError):
                    return None
            return next(iter(self._keys.values()), None)


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _segment(part: str, *, lenient: bool = False) -> dict:
    """One JSON segment of a compact JWS (header or claims), read as strict JSON; `lenient` is Python's
    own parser (NaN and Infinity accepted), only for the fault kms_accept_malformed_time_claims."""
    try:
        data = _b64url_decode(part)
        value = json.loads(data) if lenient else strictjson.loads(data)
    except (ValueError, binascii.Error, RecursionError):
        raise TokenRejected("invalid_token", "malformed token") from None
    if not isinstance(value, dict):
        raise TokenRejected("invalid_token", "malformed token")
    return value


def _numeric_date(claims: dict, name: str) -> int | float:
    """A NumericDate (RFC 7519 2): a finite JSON number; a boolean is not a number."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenRejected("invalid_token", f"claim {name} is not a NumericDate")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer no float can hold: a token that would never expire
        finite = False
    if not finite:
        raise TokenRejected("invalid_token", f"claim {name} is not a NumericDate")
    return value


def _string_claim(claims: dict, name: str, *, required: bool) -> None:
    if name in claims and not isinstance(claims[name], str):
        raise TokenRejected("invalid_token", f"claim {name} is not a string")
    if required and not claims.get(name):
        raise TokenRejected("invalid_token", f"claim {name} is empty")


class TokenVerifier:
    def __init__(self, *, jwks: JwksCache, issuer: str, audience: str, scopes: list[str],
                 leeway_s: int, faults: Faults):
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._scopes = frozenset(scopes)
        self._leeway = leeway_s
        self._faults = faults

    @property
    def scope_hint(self) -> str:
        return sorted(self._scopes)[0]

    def from_authorization(self, header: str | None) -> Principal:
        if not header:
            if "kms_no_token_required" in self._faults:
                return Principal("", None, None, self._scopes, anonymous=True)
            raise TokenRejected("", "no access token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" and _AUTH_SCHEME.fullmatch(scheme):
            # RFC 6750 3.1: a client that "attempted using an unsupported authentication method" lacks
            # authentication information: 401 without an error code, like no credentials at all
            raise TokenRejected("", "another authentication scheme than Bearer")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("invalid_request", "Authorization must be a Bearer token", 400)
        return self.verify(token.strip())

    def verify(self, token: str) -> Principal:
        claims = self._verified_claims(token)
        self._check_claims(claims)
        return Principal(
            subject=str(claims["sub"]),
            mcptt_id=claims.get("mcptt_id"),
            client_id=claims.get("client_id"),
            scopes=frozenset(claims["scope"].split() if isinstance(claims.get("scope"), str) else ()),
        )

    # --- signature ------------------------------------------------------------------------
    def _verified_claims(self, token: str) -> dict:
        """The claims, read strictly, of a token whose signature verifies with the IdM's key."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected("invalid_token", "malformed token")
        header = _segment(parts[0])
        claims = _segment(parts[1], lenient="kms_accept_malformed_time_claims" in self._faults)
        alg = header.get("alg")
        if alg == "none" and "kms_accept_alg_none" in self._faults:
            return claims
        if alg == "HS256" and "kms_accept_hmac_public_key" in self._faults:
            return self._hmac_with_public_key(token, claims)
        if alg != ALGORITHM:
            raise TokenRejected("invalid_token", "algorithm not accepted")
        kid = header.get("kid")
        key = self._jwks.get(kid) if isinstance(kid, str) else None
        if key is None:
            if "kms_accept_unknown_kid" in self._faults:
                return claims  # the "no key found, nothing to check" bug
            raise TokenRejected("invalid_token", "unknown signing key")
        if "kms_skip_signature_check" in self._faults:
            return claims
        try:
            # The signature over exactly these two segments; the claims were read from the same text.
            jwt.PyJWS().decode(token, key.key, algorithms=[ALGORITHM])
        except jwt.PyJWTError:
            raise TokenRejected("invalid_token", "signature verification failed") from None
        return claims

    def _hmac_with_public_key(self, token: str, claims: dict) -> dict:
        """The classic algorithm-confusion bug, reproduced only under its fault."""
        key = self._jwks.any_key()
        parts = token.split(".")
        if key is None or len(parts) != 3:
            raise TokenRejected("invalid_token", "malformed token")
        pem = key.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        expected = hmac.new(pem, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            given = _b64url_decode(parts[2])
        except ValueError:
            raise TokenRejected("invalid_token", "malformed token") from None
        if not hmac.compare_digest(expected, given):
            raise TokenRejected("invalid_token", "signature verification failed")
        return claims

    # --- claims ---------------------------------------------------------------------------
    def _check_claims(self, claims: dict) -> None:
        now = time.time()
        faults = self._faults
        for name in ("iss", "sub", "aud", "exp", "iat"):
            if name not in claims:
                raise TokenRejected("invalid_token", f"claim {name} missing")
        _string_claim(claims, "iss", required=True)
        _string_claim(claims, "sub", required=True)
        for name in ("scope", "mcptt_id", "client_id"):
            if name != "scope" or "kms_scope_substring" not in faults:
                _string_claim(claims, name, required=False)
        audience_ok = self._audience_ok(claims["aud"])
        if not self._issuer_ok(claims["iss"]) and "kms_ignore_issuer" not in faults:
            raise TokenRejected("invalid_token", "issuer not trusted")
        if not audience_ok and "kms_ignore_audience" not in faults:
            raise TokenRejected("invalid_token", "token not meant for this KMS")
        exp, nbf = self._time_claims(claims, now)
        leeway = self._window_leeway()
        if now > exp + leeway and "kms_accept_expired" not in faults:
            raise TokenRejected("invalid_token", "token expired")
        if now < nbf - leeway and "kms_ignore_nbf" not in faults:
            raise TokenRejected("invalid_token", "token not yet valid")
        if not self._scope_ok(claims.get("scope", "")) and "kms_ignore_scope" not in faults:
            raise TokenRejected("insufficient_scope", "key management scope missing", 403)

    def _window_leeway(self) -> int:
        """The leeway on exp and nbf: the configured one, or under a fault none or twice it."""
        if "kms_no_leeway" in self._faults:
            return 0
        if "kms_leeway_doubled" in self._faults:
            return 2 * self._leeway
        return self._leeway

    def _issuer_ok(self, iss: str) -> bool:
        """iss is exactly the IdM's issuer identifier (RFC 7519 4.1.1 and 2: a case-sensitive string,
        compared with no transformation or canonicalisation)."""
        if "kms_issuer_startswith" in self._faults:
            return iss.startswith(self._issuer)
        if "kms_issuer_normalised" in self._faults:
            return iss.rstrip("/").lower() == self._issuer.rstrip("/").lower()
        return iss == self._issuer

    def _audience_ok(self, aud) -> bool:
        """aud is the KMS's audience, or a list of strings holding it (RFC 7519 4.1.3: an array of
        case-sensitive strings, or a single string)."""
        faults = self._faults
        if "kms_audience_in_check" in faults:
            try:  # the fault: Python's `in`, a substring of a string, a key of an object, a member of a list
                return self._audience in aud
            except TypeError:
                return False
        if "kms_audience_string_only" in faults and not isinstance(aud, str):
            raise TokenRejected("invalid_token", "claim aud is not a string")
        audiences = aud if isinstance(aud, list) else [aud]
        if not audiences or not all(isinstance(a, str) for a in audiences):
            raise TokenRejected("invalid_token", "claim aud is not a string or a list of strings")
        if "kms_audience_list_unchecked" in faults and isinstance(aud, list):
            return True  # the fault: only a string aud is compared
        if "kms_audience_case_insensitive" in faults:
            return self._audience.lower() in {a.lower() for a in audiences}
        return self._audience in audiences

    def _scope_ok(self, scope) -> bool:
        """The scope claim, a space-separated string of case-sensitive tokens (RFC 6749 3.3, RFC 8693 4.2),
        holds a key management scope token."""
        if "kms_scope_substring" in self._faults:
            try:  # the fault: Python's `in` on whatever the claim holds, a substring or a list member
                return any(wanted in scope for wanted in self._scopes)
            except TypeError:
                return False
        tokens = set(scope.split())
        if "kms_scope_case_insensitive" in self._faults:
            return bool({t.lower() for t in tokens} & {s.lower() for s in self._scopes})
        return bool(tokens & self._scopes)

    def _time_claims(self, claims: dict, now: float) -> tuple[float, float]:
        """exp and nbf (nbf defaults to iat), each a NumericDate; an iat in the future is refused."""
        if "kms_accept_malformed_time_claims" in self._faults:
            try:  # the fault: whatever float() makes of them (strings, NaN, Infinity), iat unchecked
                return float(claims["exp"]), float(claims.get("nbf", claims["iat"]))
            except (TypeError, ValueError, OverflowError):
                raise TokenRejected("invalid_token", "time claims are not numbers") from None
        exp = _numeric_date(claims, "exp")
        iat = _numeric_date(claims, "iat")
        nbf = _numeric_date(claims, "nbf") if "nbf" in claims else iat
        if iat > now + self._leeway:
            raise TokenRejected("invalid_token", "token issued in the future")
        return exp, nbf
