"""The IdM's ES256 signing key, its public JWK and its RFC 7638 key ID."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
_COORDINATE_BYTES = 32  # P-256


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint of an EC public JWK: the required members, sorted, no whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return b64url(hashlib.sha256(canonical).digest())


@dataclass(frozen=True)
class SigningKey:
    """A P-256 key pair made at start-up; only the public half ever leaves the process."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict

    @classmethod
    def generate(cls) -> "SigningKey":
        private_key = ec.generate_private_key(ec.SECP256R1())
        numbers = private_key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
            "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
        }
        kid = jwk_thumbprint(jwk)
        return cls(private_key, kid, {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})

    def jwks(self) -> dict:
        return {"keys": [dict(self.public_jwk)]}

    def sign(self, claims: dict, *, typ: str, kid: str | None = None) -> str:
        """A compact JWS over the claims as JSON. The claims are serialised here, not by jwt.encode, which
        refuses an iss that is not a string: the test control surface signs such claims on purpose."""
        headers = {"alg": ALGORITHM, "typ": typ, "kid": self.kid if kid is None else kid}
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jwt.PyJWS().encode(payload, self.private_key, algorithm=ALGORITHM, headers=headers)
