"""The MCPTT server's replay guard with the named faults of impl/faults.py that weaken it.

Each fault leaves out one check of `ReplayGuard` (docs/smime.md) and keeps the others:
- `server_replay_ignores_time`: the sending time is not compared with the clock (any age is fresh);
- `server_replay_stamp_optional`: a protected body without a replay stamp is accepted;
- `server_replay_ignores_context`: a stamp bound to another SIP message is taken as bound to this one.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from mcsec.impl.faults import Faults
from mcsec.impl.smime import ReplayGuard, ReplayPolicy
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext

_CENTURY = timedelta(days=36525)


class _ContextBlindGuard:
    """A guard that checks a bound stamp against the context the stamp itself names."""

    def __init__(self, inner: ReplayGuard) -> None:
        self.inner = inner

    def check(self, stamp: ReplayStamp | None, *, context: SipContext | None) -> None:
        own = stamp.context if stamp is not None and stamp.context is not None else context
        self.inner.check(stamp, context=own)


def server_guard(policy: ReplayPolicy, faults: Faults) -> ReplayGuard | _ContextBlindGuard:
    """The guard the server applies to protected bodies: `policy`, weakened by the faults that are on."""
    if "server_replay_ignores_time" in faults:
        policy = replace(policy, window=_CENTURY)
    if "server_replay_stamp_optional" in faults:
        policy = replace(policy, require_stamp=False)
    guard = ReplayGuard(policy)
    if "server_replay_ignores_context" in faults:
        return _ContextBlindGuard(guard)
    return guard
