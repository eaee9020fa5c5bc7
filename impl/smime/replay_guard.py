"""Receiver-side replay protection of protected bodies (docs/smime.md).

`ReplayGuard.check` is called with the replay stamp of a body that has
already been opened (so the stamp is authentic) and the SIP context of the
message that carried it. It refuses:
- a body without a stamp, when the policy requires one;
- a stamp bound to another SIP message, or an unbound stamp when the policy
  requires a binding;
- a sending time further than `window` from the receiver's clock;
- a nonce already accepted within the window.

The nonce cache is bounded. An entry leaves it once its sending time falls
out of the window (a replay of it is then refused as stale anyway), or, when
the cache is full, oldest first; either way the guard remembers the newest
sending time it has forgotten (the floor) and refuses every stamp not newer
than that, so forgetting never lets a replay through. Overload therefore
costs refused fresh bodies, never accepted replays.

Apply it in the transaction user, after the SIP transaction layer has
absorbed retransmissions: a retransmitted request carries the same body and
the same nonce.
"""
from __future__ import annotations

import heapq
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from mcsec.impl.smime.errors import ContextMismatch, DuplicateNonce, MissingReplayStamp, StaleReplayStamp
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ReplayPolicy:
    """Receiver's replay policy (a SUT profile item where vendors may differ).

    `window`: largest accepted distance between the stamp's sending time and
    the receiver's clock, either way (clock skew plus transit).
    `capacity`: most nonces remembered at once.
    `require_stamp`: refuse bodies without a stamp (False accepts them, e.g.
    bodies made by `openssl cms`, which carry no authAttrs).
    `require_context`: refuse stamps not bound to the carrying SIP message.
    """

    window: timedelta = timedelta(seconds=120)
    capacity: int = 65536
    require_stamp: bool = True
    require_context: bool = False

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("replay window must be positive")
        if self.capacity < 1:
            raise ValueError("nonce cache capacity must be at least 1")


class ReplayGuard:
    """Bounded memory of accepted nonces, with a time window."""

    def __init__(
        self, policy: ReplayPolicy | None = None, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.policy = policy or ReplayPolicy()
        self._clock = clock
        self._seen: dict[bytes, datetime] = {}
        self._by_time: list[tuple[datetime, bytes]] = []
        self._floor = _EPOCH
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, stamp: ReplayStamp | None, *, context: SipContext | None) -> None:
        """Accept (and remember) the stamp, or raise a `ReplayRefused` subclass.

        `context` is the SIP message that carried the body (None when the
        caller has no SIP message, e.g. a body checked on its own).
        """
        if stamp is None:
            if self.policy.require_stamp:
                raise MissingReplayStamp("body carries no replay stamp and the policy requires one")
            return
        if stamp.context is not None:
            if context is None or stamp.context != context:
                raise ContextMismatch("body is bound to another SIP message")
        elif self.policy.require_context:
            raise ContextMismatch("body is not bound to its SIP message and the policy requires it")

        with self._lock:
            now = self._clock()
            self._forget_older_than(now - self.policy.window)
            if abs(now - stamp.sent_at) > self.policy.window:
                raise StaleReplayStamp("sending time is outside the replay window")
            if stamp.sent_at <= self._floor:
                raise StaleReplayStamp("sending time is older than the replay memory")
            if stamp.nonce in self._seen:
                raise DuplicateNonce("nonce already accepted within the replay window")
            self._seen[stamp.nonce] = stamp.sent_at
            heapq.heappush(self._by_time, (stamp.sent_at, stamp.nonce))
            while len(self._seen) > self.policy.capacity:
                self._forget_oldest()

    def _forget_older_than(self, limit: datetime) -> None:
        while self._by_time and self._by_time[0][0] < limit:
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        sent_at, nonce = heapq.heappop(self._by_time)
        del self._seen[nonce]
        if sent_at > self._floor:
            self._floor = sent_at
