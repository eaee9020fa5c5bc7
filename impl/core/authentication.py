"""Digest authentication of REGISTER (RFC 3261 section 22, SHA-256 per RFC 8760), with a bound on
failed attempts per flow.

A REGISTER without credentials is challenged (401 + ``WWW-Authenticate: Digest``). Bad credentials
(unknown user, wrong realm or URI, stale or unknown nonce, wrong response) count as a failed attempt
and are challenged again with a fresh nonce; unreadable credentials are answered 400 and count too.
After ``max_auth_failures`` failures a flow gets 403 for ``auth_lockout_s``. Nothing here logs
credentials.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from mcsec.impl.core.config import CoreConfig, CoreUser
from mcsec.impl.core.refusal import CoreRefusal, bad_request, forbidden
from mcsec.impl.core.registrar import FlowKey
from mcsec.impl.sip import Request
from mcsec.impl.sip.digest import Credentials, DigestError, Verifier

_MAX_TRACKED_FLOWS = 4096


@dataclass
class _Failures:
    count: int
    last: float


@dataclass(frozen=True)
class Challenge401:
    """The request must be challenged: answer 401 with this WWW-Authenticate value."""

    www_authenticate: str


class RegisterAuthenticator:
    def __init__(self, config: CoreConfig) -> None:
        self._config = config
        self._verifier = Verifier(realm=config.domain, algorithm="SHA-256")
        self._failures: dict[FlowKey, _Failures] = {}

    def challenge(self) -> Challenge401:
        return Challenge401(self._verifier.challenge(time.time()).header())

    def authenticate(self, request: Request, flow: FlowKey, now: float) -> CoreUser | Challenge401:
        """The authenticated user, or the challenge to send. Raises CoreRefusal (403 when the flow
        is locked out, 400 for unreadable credentials)."""
        self._check_lockout(flow, now)
        header = request.headers.get("Authorization")
        if header is None:
            return self.challenge()
        try:
            credentials = Credentials.parse(header)
        except DigestError:
            self._fail(flow, now)
            raise bad_request("unreadable Authorization") from None
        user = self._config.user_by_username(credentials.username)
        if (user is None or credentials.uri != request.uri
                or not self._verifier.check(credentials, password=user.password, method=request.method,
                                            now=time.time())):
            self._fail(flow, now)
            return self.challenge()
        self._failures.pop(flow, None)
        return user

    def _check_lockout(self, flow: FlowKey, now: float) -> None:
        failures = self._failures.get(flow)
        if failures is None:
            return
        if now - failures.last > self._config.auth_lockout_s:
            del self._failures[flow]
            return
        if failures.count >= self._config.max_auth_failures:
            raise forbidden("too many failed authentication attempts")

    def _fail(self, flow: FlowKey, now: float) -> None:
        if flow not in self._failures and len(self._failures) >= _MAX_TRACKED_FLOWS:
            oldest = min(self._failures, key=lambda k: self._failures[k].last)
            del self._failures[oldest]
        failures = self._failures.setdefault(flow, _Failures(0, now))
        failures.count += 1
        failures.last = now
        if failures.count >= self._config.max_auth_failures:
            raise forbidden("too many failed authentication attempts")


__all__ = ["RegisterAuthenticator", "Challenge401", "CoreRefusal"]
