"""HTTP Digest authentication for SIP (RFC 3261 section 22, RFC 7616 / RFC 8760), sans-IO.

The SIP core challenges REGISTER with `WWW-Authenticate: Digest ...` (401); a
client answers with `Authorization: Digest ...`. SHA-256 and MD5 are
supported, with qop=auth. Passwords never leave this module; nothing logs.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

ALGORITHMS = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)\s*(?:,|$)')


class DigestError(ValueError):
    """A Digest header that cannot be read."""


def _parse_params(value: str, scheme: str = "Digest") -> dict[str, str]:
    head, _, rest = value.strip().partition(" ")
    if head.lower() != scheme.lower():
        raise DigestError(f"not a {scheme} header")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            raise DigestError("malformed Digest parameters")
        raw = m.group(2)
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[m.group(1).lower()] = raw
        pos = m.end()
    return params


def _h(algorithm: str, text: str) -> str:
    return ALGORITHMS[algorithm](text.encode()).hexdigest()


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "SHA-256"
    qop: str = "auth"
    opaque: str | None = None

    def header(self) -> str:
        parts = [f'realm="{self.realm}"', f'nonce="{self.nonce}"', f"algorithm={self.algorithm}",
                 f'qop="{self.qop}"']
        if self.opaque:
            parts.append(f'opaque="{self.opaque}"')
        return "Digest " + ", ".join(parts)

    @classmethod
    def parse(cls, value: str) -> "Challenge":
        p = _parse_params(value)
        if "realm" not in p or "nonce" not in p:
            raise DigestError("challenge lacks realm or nonce")
        algorithm = p.get("algorithm", "MD5").upper()
        if algorithm not in ALGORITHMS:
            raise DigestError(f"unsupported algorithm {algorithm}")
        qops = [q.strip() for q in p.get("qop", "auth").split(",")]
        if "auth" not in qops:
            raise DigestError("challenge does not offer qop=auth")
        return cls(p["realm"], p["nonce"], algorithm, "auth", p.get("opaque"))


@dataclass(frozen=True)
class Credentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    cnonce: str
    nc: str
    qop: str
    opaque: str | None = None

    @classmethod
    def parse(cls, value: str) -> "Credentials":
        p = _parse_params(value)
        missing = [k for k in ("username", "realm", "nonce", "uri", "response", "cnonce", "nc") if k not in p]
        if missing:
            raise DigestError(f"credentials lack {', '.join(missing)}")
        algorithm = p.get("algorithm", "MD5").upper()
        if algorithm not in ALGORITHMS:
            raise DigestError(f"unsupported algorithm {algorithm}")
        return cls(p["username"], p["realm"], p["nonce"], p["uri"], p["response"], algorithm,
                   p["cnonce"], p["nc"], p.get("qop", "auth"), p.get("opaque"))


def _response(algorithm: str, username: str, realm: str, password: str, method: str, uri: str,
              nonce: str, nc: str, cnonce: str, qop: str) -> str:
    ha1 = _h(algorithm, f"{username}:{realm}:{password}")
    ha2 = _h(algorithm, f"{method}:{uri}")
    return _h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def authorization(challenge: Challenge, *, username: str, password: str, method: str, uri: str,
                  nc: int = 1) -> str:
    """The Authorization header value answering `challenge`."""
    cnonce = secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    response = _response(challenge.algorithm, username, challenge.realm, password, method, uri,
                         challenge.nonce, nc_text, cnonce, challenge.qop)
    parts = [f'username="{username}"', f'realm="{challenge.realm}"', f'nonce="{challenge.nonce}"',
             f'uri="{uri}"', f'response="{response}"', f"algorithm={challenge.algorithm}",
             f'cnonce="{cnonce}"', f"nc={nc_text}", f"qop={challenge.qop}"]
    if challenge.opaque:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)


@dataclass
class Verifier:
    """Server side: issues nonces and checks credentials (each nonce is good for a bounded time)."""
    realm: str
    algorithm: str = "SHA-256"
    nonce_lifetime_s: float = 300.0
    max_nonces: int = 4096
    _nonces: dict[str, float] = field(default_factory=dict)

    def challenge(self, now: float) -> Challenge:
        if len(self._nonces) >= self.max_nonces:
            oldest = sorted(self._nonces.items(), key=lambda kv: kv[1])[: self.max_nonces // 4]
            for nonce, _ in oldest:
                del self._nonces[nonce]
        nonce = secrets.token_urlsafe(18)
        self._nonces[nonce] = now
        return Challenge(self.realm, nonce, self.algorithm)

    def check(self, creds: Credentials, *, password: str, method: str, now: float) -> bool:
        issued = self._nonces.get(creds.nonce)
        if issued is None or now - issued > self.nonce_lifetime_s:
            return False
        if creds.realm != self.realm or creds.qop != "auth":
            return False
        expected = _response(creds.algorithm, creds.username, creds.realm, password, method, creds.uri,
                             creds.nonce, creds.nc, creds.cnonce, creds.qop)
        # compared as octets: a str comparison refuses (TypeError) a response with non-ASCII characters
        if not hmac.compare_digest(expected.encode("ascii"), creds.response.encode("utf-8")):
            return False
        del self._nonces[creds.nonce]  # one use: a replayed REGISTER gets a fresh challenge
        return True
