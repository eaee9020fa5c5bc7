"""Freshness policies for received I_MESSAGEs: timestamp window and RAND replay cache.

The I_MESSAGE processor calls ``policy.check(ntp_seconds, rand)`` after the
signature has verified, so forged messages can neither fill the replay cache
nor evict genuine entries.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Optional, Protocol

from mcsec.impl.ibc.mikey_errors import ReplayError, StaleTimestampError
from mcsec.impl.ibc.uid import unix_to_ntp


class FreshnessPolicy(Protocol):
    def check(self, ntp_seconds: Optional[float], rand: bytes) -> None:
        """Raise StaleTimestampError or ReplayError to refuse; return to accept."""


class AcceptAll:
    """No freshness check (for offline inspection of captured messages)."""

    def check(self, ntp_seconds: Optional[float], rand: bytes) -> None:
        return None


class WindowFreshnessPolicy:
    """Accept timestamps within ``window`` seconds of now, and each RAND once.

    ``max_future`` bounds how far ahead of the local clock a timestamp may be
    (clock skew; defaults to ``window``). The RAND cache holds at most
    ``cache_size`` entries; entries older than the window are dropped first, and
    when the cache is full the oldest is evicted (an evicted RAND would also be
    refused by the timestamp check once its window has passed).
    """

    def __init__(
        self,
        window: float = 300.0,
        *,
        max_future: Optional[float] = None,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ):
        if window <= 0 or cache_size <= 0:
            raise ValueError("window and cache_size must be positive")
        self.window = float(window)
        self.max_future = float(window if max_future is None else max_future)
        self.cache_size = cache_size
        self._clock = clock
        self._seen: "OrderedDict[bytes, float]" = OrderedDict()

    def now_ntp(self) -> float:
        return unix_to_ntp(self._clock())

    def check(self, ntp_seconds: Optional[float], rand: bytes) -> None:
        now = self.now_ntp()
        if ntp_seconds is None:
            raise StaleTimestampError("I_MESSAGE has no NTP timestamp")
        age = now - ntp_seconds
        if age > self.window:
            raise StaleTimestampError(f"timestamp is {age:.0f} s old (window {self.window:.0f} s)")
        if -age > self.max_future:
            raise StaleTimestampError(f"timestamp is {-age:.0f} s in the future")
        self._expire(now)
        key = bytes(rand)
        if key in self._seen:
            raise ReplayError("RAND already seen: replayed I_MESSAGE")
        self._seen[key] = now
        while len(self._seen) > self.cache_size:
            self._seen.popitem(last=False)

    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.max_future
        while self._seen:
            oldest_key, seen_at = next(iter(self._seen.items()))
            if seen_at >= horizon:
                break
            del self._seen[oldest_key]

    def __len__(self) -> int:
        return len(self._seen)
