"""PKCE (RFC 7636) as the IdM requires it: S256 only.

A code verifier is 43 to 128 unreserved characters (RFC 7636 4.1); an S256
code challenge is BASE64URL(SHA256(ASCII(verifier))) without padding, so
exactly 43 base64url characters (4.2). The token endpoint compares the two in
constant time (4.6).
"""
from __future__ import annotations

import hashlib
import hmac
import re

from mcsec.impl.idm.keys import b64url

METHOD = "S256"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def valid_verifier(verifier: str) -> bool:
    return _VERIFIER.fullmatch(verifier) is not None


def valid_challenge(challenge: str) -> bool:
    return _S256_CHALLENGE.fullmatch(challenge) is not None


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def verifier_matches(verifier: str, challenge: str) -> bool:
    if not valid_verifier(verifier):
        return False
    return hmac.compare_digest(s256(verifier).encode("ascii"), challenge.encode("ascii"))
