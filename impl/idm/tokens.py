"""Claims of the KMS access token and the ID token, and their signing.

KMS access token (JWT, RFC 9068 style, header typ `at+jwt`): iss, sub, aud
(the KMS audience), exp, iat, nbf (= iat), jti, client_id, scope, and for a
user the `mcptt_id`. A user's sub is the username; a server principal's sub is
its URI. ID token (users only): iss, sub, aud (= client_id), exp, iat,
auth_time, nonce when the authorization request had one, mcptt_id.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

from mcsec.impl.idm.config import IdmConfig, ServerPrincipal, User
from mcsec.impl.idm.keys import SigningKey

ACCESS_TOKEN_TYP = "at+jwt"
ID_TOKEN_TYP = "JWT"
CLOCK_AHEAD_S = 600  # fault idm_clock_ahead


def new_jti() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: str


class TokenIssuer:
    def __init__(self, config: IdmConfig, key: SigningKey, issuer: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._key = key
        self.issuer = issuer
        self._clock = clock
        self._faults = frozenset(config.faults)
        # fault idm_sign_with_unpublished_key: access tokens signed with a key the JWKS never shows
        self._access_key = SigningKey.generate() if "idm_sign_with_unpublished_key" in self._faults else key

    def now(self) -> int:
        return int(self._clock())

    # --- claims -------------------------------------------------------------------
    def user_access_claims(self, user: User, client_id: str, scope: str, lifetime_s: int | None = None) -> dict:
        claims = self._access_claims(user.username, client_id, scope, lifetime_s)
        claims["mcptt_id"] = user.mcptt_id
        if "idm_mcptt_id_off_by_one" in self._faults and user in self._config.users:
            users = self._config.users
            claims["mcptt_id"] = users[(users.index(user) + 1) % len(users)].mcptt_id
        return claims

    def server_access_claims(self, server: ServerPrincipal, scope: str, lifetime_s: int | None = None) -> dict:
        return self._access_claims(server.uri, server.client_id, scope, lifetime_s)

    def _access_claims(self, sub: str, client_id: str, scope: str, lifetime_s: int | None) -> dict:
        faults = self._faults
        now = self.now() + (CLOCK_AHEAD_S if "idm_clock_ahead" in faults else 0)
        lifetime = self._config.access_token_lifetime_s if lifetime_s is None else lifetime_s
        if "idm_lifetime_in_minutes" in faults and lifetime_s is None:
            lifetime *= 60
        issuer = self.issuer
        if "idm_wrong_issuer" in faults:
            issuer = issuer[:-1] if issuer.endswith("/") else issuer + "/"
        if "idm_scope_without_kms" in faults:
            scope = " ".join(t for t in scope.split(" ") if t != self._config.kms_scope)
        return {
            "iss": issuer,
            "sub": sub,
            "aud": client_id if "idm_wrong_audience" in faults else self._config.kms_audience,
            "exp": now + lifetime,
            "iat": now,
            "nbf": now,
            "jti": new_jti(),
            "client_id": client_id,
            "scope": scope,
        }

    def id_token_claims(self, user: User, client_id: str, auth_time: int, nonce: str | None) -> dict:
        now = self.now()
        claims: dict = {
            "iss": self.issuer,
            "sub": user.username,
            "aud": client_id,
            "exp": now + self._config.id_token_lifetime_s,
            "iat": now,
            "auth_time": auth_time,
            "mcptt_id": user.mcptt_id,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    # --- signed tokens ------------------------------------------------------------
    @property
    def access_kid(self) -> str:
        """The kid access tokens are signed under."""
        return self._access_key.kid

    def sign_access(self, claims: dict, *, kid: str | None = None, typ: str = ACCESS_TOKEN_TYP) -> str:
        return self._access_key.sign(claims, typ=typ, kid=kid)

    def user_access_token(self, user: User, client_id: str, scope: str) -> IssuedToken:
        claims = self.user_access_claims(user, client_id, scope)
        return IssuedToken(self.sign_access(claims), claims["exp"] - claims["iat"], scope)

    def server_access_token(self, server: ServerPrincipal, scope: str) -> IssuedToken:
        claims = self.server_access_claims(server, scope)
        return IssuedToken(self.sign_access(claims), claims["exp"] - claims["iat"], scope)

    def id_token(self, user: User, client_id: str, auth_time: int, nonce: str | None) -> str:
        return self._key.sign(self.id_token_claims(user, client_id, auth_time, nonce), typ=ID_TOKEN_TYP)
