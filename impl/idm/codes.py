"""Authorization codes: random, short-lived, single-use, bound to a grant.

A code is redeemed at most once: `redeem` removes it whether or not the rest
of the token request turns out valid (RFC 6749 4.1.2, 10.5). Codes are kept
in memory only and never logged.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Grant:
    """What the user approved at /authorize, waiting to be exchanged at /token."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    username: str
    scope: str
    nonce: str | None
    auth_time: int


class CodeStore:
    def __init__(self, lifetime_s: int, clock: Callable[[], float] = time.monotonic, *,
                 reusable: bool = False) -> None:
        self._lifetime_s = lifetime_s
        self._clock = clock
        self._reusable = reusable  # fault idm_code_reusable: a redeemed code stays valid until it expires
        self._lock = threading.Lock()
        self._grants: dict[str, tuple[float, Grant]] = {}

    def issue(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            self._grants[code] = (now + self._lifetime_s, grant)
        return code

    def redeem(self, code: str) -> Grant | None:
        """The grant for `code` if it exists and has not expired; the code is spent either way."""
        now = self._clock()
        with self._lock:
            entry = self._grants.get(code) if self._reusable else self._grants.pop(code, None)
        if entry is None or now >= entry[0]:
            return None
        return entry[1]

    def _drop_expired(self, now: float) -> None:
        for code in [c for c, (expires, _) in self._grants.items() if now >= expires]:
            del self._grants[code]
