"""The key set an I_MESSAGE is opened with comes from the key period of its timestamp; none held for that
period is a refusal. From outside this cannot be observed: a timestamp in an expired key period is
also outside the freshness window, which refuses it first. So the fault server_ignore_key_period is
proved here, on the decision itself."""
from types import SimpleNamespace

import pytest

from mcsec.impl.faults import Faults
from mcsec.impl.server.csk_upload import W_PERIOD, CskReceiver, UploadRefused

CURRENT, EXPIRED = 7, 6


class _Ring:
    def key_set_for(self, number: int):
        return "key set of period 7" if number == CURRENT else None

    def current_periods(self):
        return [CURRENT]


def _receiver(*faults: str) -> CskReceiver:
    settings = SimpleNamespace(freshness_window_s=300.0, max_future_s=None, replay_cache_size=16)
    return CskReceiver(keys=_Ring(), settings=settings, faults=Faults(list(faults)), store=None)


def test_an_expired_key_period_is_refused_and_the_current_one_taken():
    receiver = _receiver()
    assert receiver.key_set(CURRENT) == "key set of period 7"
    with pytest.raises(UploadRefused) as refused:
        receiver.key_set(EXPIRED)
    assert str(refused.value) == W_PERIOD or W_PERIOD in repr(refused.value)


def test_the_fault_server_ignore_key_period_takes_the_current_key_set_for_an_expired_period():
    assert _receiver("server_ignore_key_period").key_set(EXPIRED) == "key set of period 7"
