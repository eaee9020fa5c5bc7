"""The replay-guard faults of the MCPTT server each let exactly one defect of a stamp through."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mcsec.impl.faults import Faults
from mcsec.impl.server.replay_faults import server_guard
from mcsec.impl.smime import ReplayPolicy
from mcsec.impl.smime.errors import ContextMismatch, DuplicateNonce, MissingReplayStamp, StaleReplayStamp
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext

POLICY = ReplayPolicy(window=timedelta(seconds=60), require_stamp=True)
HERE = SipContext("call-1@example.org", 1, "MESSAGE")
ELSEWHERE = SipContext("call-2@example.org", 1, "MESSAGE")


def _stale() -> ReplayStamp:
    return ReplayStamp.new(context=HERE, now=datetime.now(timezone.utc) - timedelta(seconds=90))


DEFECTS = {
    "server_replay_ignores_time": (lambda: _stale(), StaleReplayStamp),
    "server_replay_stamp_optional": (lambda: None, MissingReplayStamp),
    "server_replay_ignores_context": (lambda: ReplayStamp.new(context=ELSEWHERE), ContextMismatch),
}


@pytest.mark.parametrize("fault", sorted(DEFECTS))
def test_each_fault_lets_its_defect_through_and_no_other(fault):
    for defect, (stamp, refusal) in DEFECTS.items():
        with pytest.raises(refusal):
            server_guard(POLICY, Faults([])).check(stamp(), context=HERE)
        faulty = server_guard(POLICY, Faults([fault]))
        if defect == fault:
            faulty.check(stamp(), context=HERE)
        else:
            with pytest.raises(refusal):
                faulty.check(stamp(), context=HERE)


@pytest.mark.parametrize("fault", sorted(DEFECTS))
def test_a_faulty_guard_still_refuses_a_replayed_nonce(fault):
    guard = server_guard(POLICY, Faults([fault]))
    stamp = ReplayStamp.new(context=HERE)
    guard.check(stamp, context=HERE)
    with pytest.raises(DuplicateNonce):
        guard.check(stamp, context=HERE)
