"""Replay protection: the authenticated replay stamp and the ReplayGuard."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mcsec.impl import smime
from mcsec.impl.smime.oids import ID_MCSEC_REPLAY_STAMP
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext
from tests.unit.smime.body_parts import replace_once
from tests.unit.smime.openssl_peer import CEK, KEY_ID

T0 = datetime(2030, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
CTX = SipContext(call_id="f81d4fae-7dec@uas.example", cseq=7, method="MESSAGE")


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def guard(clock: Clock | None = None, **policy) -> smime.ReplayGuard:
    return smime.ReplayGuard(smime.ReplayPolicy(**policy), clock=clock or Clock())


def stamp(at: datetime = T0, context: SipContext | None = CTX) -> ReplayStamp:
    return ReplayStamp.new(context=context, now=at)


# ----------------------------------------------------------------- the stamp


def test_stamp_travels_authenticated_in_the_body(key_lookup):
    sent = stamp()
    der = smime.seal(b"x", cek=CEK, key_id=KEY_ID, replay_stamp=sent)
    opened = smime.open(der, key_lookup=key_lookup)
    assert opened.replay_stamp == sent
    assert [a.oid for a in opened.auth_attributes] == [ID_MCSEC_REPLAY_STAMP]


def test_stamp_der_round_trip_with_response_context():
    sent = ReplayStamp.new(context=SipContext("c@h", 2**31 - 1, "INVITE", status_code=200), now=T0)
    assert ReplayStamp.from_der(sent.to_der()) == sent


def test_stamp_has_millisecond_time_and_fresh_nonce():
    first, second = stamp(T0 + timedelta(microseconds=123456)), stamp()
    assert first.sent_at.microsecond == 123000
    assert first.nonce != second.nonce and len(first.nonce) == 16


def test_moving_the_stamp_breaks_the_tag(key_lookup):
    der = smime.seal(b"x", cek=CEK, key_id=KEY_ID, replay_stamp=stamp())
    tampered = replace_once(der, b"MESSAGE", b"MASSAGE")
    with pytest.raises(smime.Undecipherable):
        smime.open(tampered, key_lookup=key_lookup)


@pytest.mark.parametrize(
    "der",
    [b"\x30\x00", b"\x30\x03\x02\x01\x00", ReplayStamp.new(now=T0).to_der()[:-1]],
    ids=["empty-sequence", "integer-not-time", "cut-short"],  # the last holds a random nonce: no bytes in the id
)
def test_malformed_stamp_value_is_refused(der):
    with pytest.raises(smime.MalformedCms):
        ReplayStamp.from_der(der)


def test_stamp_with_short_nonce_is_refused():
    good = ReplayStamp.new(now=T0)
    bad = replace_once(good.to_der(), b"\x04\x10" + good.nonce, b"\x04\x0f" + good.nonce[:15])
    bad = bytes([bad[0], bad[1] - 1]) + bad[2:]
    with pytest.raises(smime.MalformedCms):
        ReplayStamp.from_der(bad)


def test_malformed_stamp_in_a_body_is_refused(key_lookup):
    bogus = smime.Attribute(ID_MCSEC_REPLAY_STAMP, (b"\x04\x01\x00",))
    der = smime.seal(b"x", cek=CEK, key_id=KEY_ID, auth_attributes=[bogus])
    with pytest.raises(smime.MalformedCms, match="replay stamp"):
        smime.open(der, key_lookup=key_lookup)


def test_two_stamps_in_a_body_are_refused(key_lookup):
    der = smime.seal(b"x", cek=CEK, key_id=KEY_ID,
                     auth_attributes=[stamp().to_attribute(), stamp().to_attribute()])
    with pytest.raises(smime.MalformedCms, match="once"):
        smime.open(der, key_lookup=key_lookup)


# ----------------------------------------------------------------- the guard


def test_fresh_stamp_is_accepted_once():
    g = guard()
    sent = stamp()
    g.check(sent, context=CTX)
    with pytest.raises(smime.DuplicateNonce) as caught:
        g.check(sent, context=CTX)
    assert caught.value.sip_status == 403


def test_distinct_nonces_are_accepted():
    g = guard()
    for _ in range(5):
        g.check(stamp(), context=CTX)
    assert len(g) == 5


@pytest.mark.parametrize("offset", [timedelta(seconds=-121), timedelta(seconds=121)])
def test_time_outside_the_window_is_stale(offset):
    with pytest.raises(smime.StaleReplayStamp):
        guard().check(stamp(T0 + offset), context=CTX)


@pytest.mark.parametrize("offset", [timedelta(seconds=-120), timedelta(seconds=119)])
def test_time_inside_the_window_is_accepted(offset):
    guard().check(stamp(T0 + offset), context=CTX)


def test_window_is_configurable():
    g = guard(window=timedelta(seconds=5))
    with pytest.raises(smime.StaleReplayStamp):
        g.check(stamp(T0 - timedelta(seconds=6)), context=CTX)
    g.check(stamp(T0 - timedelta(seconds=4)), context=CTX)


def test_replay_after_the_window_is_stale_not_accepted():
    clock = Clock()
    g = guard(clock)
    sent = stamp()
    g.check(sent, context=CTX)
    clock.now = T0 + timedelta(seconds=500)
    g.check(stamp(clock.now), context=CTX)  # purges the first nonce
    assert len(g) == 1
    with pytest.raises(smime.StaleReplayStamp):
        g.check(sent, context=CTX)


def test_replay_after_clock_steps_back_is_still_refused():
    clock = Clock()
    g = guard(clock)
    sent = stamp()
    g.check(sent, context=CTX)
    clock.now = T0 + timedelta(seconds=500)
    g.check(stamp(clock.now), context=CTX)  # forgets `sent`
    clock.now = T0  # receiver clock stepped back: the window check alone would pass
    with pytest.raises(smime.StaleReplayStamp, match="memory"):
        g.check(sent, context=CTX)


def test_cache_is_bounded_and_forgetting_never_admits_a_replay():
    g = guard(capacity=3)
    stamps = [stamp(T0 + timedelta(milliseconds=i)) for i in range(5)]
    for sent in stamps:
        g.check(sent, context=CTX)
    assert len(g) == 3
    for sent in stamps:  # evicted ones are stale, kept ones duplicates
        with pytest.raises((smime.StaleReplayStamp, smime.DuplicateNonce)):
            g.check(sent, context=CTX)
    with pytest.raises(smime.StaleReplayStamp):  # older than what was forgotten
        g.check(stamp(T0), context=CTX)
    g.check(stamp(T0 + timedelta(seconds=1)), context=CTX)


def test_missing_stamp_refused_when_required():
    with pytest.raises(smime.MissingReplayStamp):
        guard().check(None, context=CTX)


def test_missing_stamp_accepted_when_not_required():
    g = guard(require_stamp=False)
    g.check(None, context=CTX)
    assert len(g) == 0


@pytest.mark.parametrize(
    "other",
    [
        SipContext(call_id="other@uas.example", cseq=7, method="MESSAGE"),
        SipContext(call_id=CTX.call_id, cseq=8, method="MESSAGE"),
        SipContext(call_id=CTX.call_id, cseq=7, method="INFO"),
        SipContext(call_id=CTX.call_id, cseq=7, method="MESSAGE", status_code=200),
        None,
    ],
)
def test_body_moved_to_another_message_is_refused(other):
    g = guard()
    with pytest.raises(smime.ContextMismatch):
        g.check(stamp(), context=other)
    assert len(g) == 0  # a refused stamp is not remembered


def test_unbound_stamp_refused_when_binding_required():
    with pytest.raises(smime.ContextMismatch):
        guard(require_context=True).check(stamp(context=None), context=CTX)
    guard().check(stamp(context=None), context=CTX)


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        smime.ReplayPolicy(window=timedelta(0))
    with pytest.raises(ValueError):
        smime.ReplayPolicy(capacity=0)
    with pytest.raises(ValueError):
        SipContext("c", -1, "MESSAGE")
    with pytest.raises(ValueError):
        ReplayStamp(sent_at=datetime(2030, 1, 1), nonce=bytes(16))
