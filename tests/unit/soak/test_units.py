"""The soak's pieces that need no network: plans, the scenario, SIPp's files read back, outcomes,
memory summaries, the knee search, and the injection file."""
from __future__ import annotations

import base64
import os
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

import mcsec.impl.smime as smime
from mcsec.fixtures.soak import bodies, knee, outcome, rss, scenario, sipp
from mcsec.fixtures.soak.plan import LoadPlan, SipTimers, SoakUsageError
from mcsec.impl.mcptt import McpttInfo, SealingKey, open_info, SensitivePart, SipBinding
from mcsec.impl.sip.status import REASON_PHRASES

INFO = McpttInfo(request_uri="sip:mcptt-as@example.org", calling_user_id="sip:alice@example.org")


# --- plans -----------------------------------------------------------------------------------------

def test_a_plan_is_bounded_by_count_and_time():
    assert LoadPlan(10, 60).transactions == 600
    assert LoadPlan(10, 60, max_transactions=25).transactions == 25
    assert LoadPlan(2.5, 3).transactions == 8
    plan = LoadPlan(10, 60, timers=SipTimers(100))
    assert plan.timers.timer_f_ms == 6400
    assert plan.bound_s == pytest.approx(59.9 + 6.4 + 10)
    assert plan.call_limit >= 2 * 10 * 6.4


@pytest.mark.parametrize("kwargs, option", [
    ({"rate": 0, "duration_s": 10}, "--rate"), ({"rate": -1, "duration_s": 10}, "--rate"),
    ({"rate": float("nan"), "duration_s": 10}, "--rate"), ({"rate": 5, "duration_s": 0}, "--duration"),
    ({"rate": 5, "duration_s": float("inf")}, "--duration"),
    ({"rate": 5, "duration_s": 1, "max_transactions": 0}, "--max-transactions"),
    ({"rate": 5000, "duration_s": 3600}, "--max-transactions"),
])
def test_a_bad_plan_names_its_option(kwargs, option):
    with pytest.raises(SoakUsageError, match=option):
        LoadPlan(**kwargs)


def test_bad_timers_name_their_option():
    with pytest.raises(SoakUsageError, match="--t1-ms"):
        SipTimers(5)
    with pytest.raises(SoakUsageError, match="--t2-ms"):
        SipTimers(500, 100)


def test_sipp_keeps_retransmitting_until_timer_f():
    # T1 500, T2 4000: retransmissions at 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s: ten before Timer F (32 s)
    assert sipp.retransmissions_within(SipTimers(500, 4000)) == 10 + 2


# --- the scenario ----------------------------------------------------------------------------------

def test_the_scenario_expects_every_known_status_and_logs_each_outcome():
    text = scenario.scenario_xml(scenario.MessageTemplate("sip:as@example.org", "sip:alice@ims.example.org",
                                                          "sip:as@example.org"), SipTimers(100))
    root = ET.fromstring(text.encode("iso-8859-1"))
    recvs = root.findall("recv")
    expected = {int(r.get("response")) for r in recvs}
    assert expected == set(REASON_PHRASES)
    assert [r.get("optional") for r in recvs][-1] is None, "the last expected answer must not be optional"
    assert {r.get("timeout") for r in recvs} == {"6400"} and {r.get("ontimeout") for r in recvs} == {"lost"}
    send = root.find("send")
    assert send.get("retrans") == "100" and send.get("ontimeout") == "lost"
    message = send.text
    assert "Call-ID: [call_id]" in message and "CSeq: [field2] MESSAGE" in message and "tag=[field1]" in message
    assert "Content-Transfer-Encoding: base64" in message and message.rstrip().endswith("[field3]")
    assert "smime-type=authEnveloped-data" in message and "handling=required" in message
    logs = [a.get("message") for a in root.iter("log")]
    assert any(m.startswith("[call_id];lost;") for m in logs) and any("[$status]" in m for m in logs)
    assert any(m.startswith("misaligned;") for m in logs)


@pytest.mark.parametrize("uri", ["sip:a@[::1]", "sip:a b@x", "sip:a@x>\r\nVia: evil", ""])
def test_a_uri_sipp_cannot_carry_is_refused(uri):
    with pytest.raises(SoakUsageError, match="SIPp scenario"):
        scenario.MessageTemplate(uri, "sip:alice@ims.example.org", "sip:as@example.org")


# --- SIPp's files ------------------------------------------------------------------------------------

def test_the_call_log_is_read_line_by_line(tmp_path):
    log = tmp_path / "calls.log"
    log.write_text("p-1;200;1700000000.000000;100000.000000;1700000000.000000;112500.000000\n"
                   "p-2;lost;1700000001.000000;0.000000;;\n"
                   "p-3;403;1700000002.000000;0.000000;1700000002.000000;500.000000\n"
                   "misaligned;p-4;p-5\n"
                   "garbage\n")
    read = sipp.read_call_log(log)
    assert [(r.call_id, r.status) for r in read.records] == [("p-1", 200), ("p-2", None), ("p-3", 403)]
    assert read.records[0].latency_ms == pytest.approx(12.5)
    assert read.records[1].latency_ms is None
    assert read.misaligned == [("p-4", "p-5")] and read.unreadable == 1


def test_counts_and_error_codes_are_read(tmp_path):
    counts = tmp_path / "x_1_counts.csv"
    counts.write_text("CurrentTime;ElapsedTime;2_MESSAGE_Sent;2_MESSAGE_Retrans;2_MESSAGE_Timeout;3_100_Unexp;\n"
                      "t;e;4;0;0;0;\nt;e;9;3;0;1;\n")
    read = sipp.read_counts(counts)
    assert sipp.sent_and_retransmitted(read) == (9, 3) and sipp.unexpected_messages(read) == 1
    codes = tmp_path / "x_1_error_codes.csv"
    codes.write_text("t;e;\nt;e;499,499,\nt;e;606,\n")
    assert sipp.read_error_codes(codes) == Counter({499: 2, 606: 1})


def test_a_missing_sipp_names_the_debian_package(tmp_path):
    with pytest.raises(sipp.SippMissing, match="sip-tester"):
        sipp.Sipp.find(str(tmp_path / "no-sipp"))
    fake = tmp_path / "fake-sipp"
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.raises(sipp.SippMissing, match="not SIPp"):
        sipp.Sipp.find(str(fake))


# --- outcomes ----------------------------------------------------------------------------------------

def test_nearest_rank_percentiles():
    values = list(range(1, 101))
    assert outcome.percentile(values, 50) == 50 and outcome.percentile(values, 99) == 99
    assert outcome.percentile(values, 100) == 100 and outcome.percentile([7], 90) == 7
    with pytest.raises(ValueError):
        outcome.percentile([], 50)


def _prepared(count: int, rate: float = 10.0) -> bodies.PreparedCalls:
    return bodies.PreparedCalls(None, "p", count, rate, datetime.fromtimestamp(1700000000, timezone.utc), 0x10000001)


def _record(n: int, status: int | None, latency_ms: float | None = 5.0, late_ms: float = 0.0) -> sipp.CallRecord:
    sent = 1_700_000_000_000_000 + (n - 1) * 100_000 + int(late_ms * 1000)
    return sipp.CallRecord(f"p-{n}", status, sent, None if status is None else sent + int(latency_ms * 1000))


def test_an_outcome_counts_answers_losses_and_what_never_concluded():
    log = sipp.CallLog([_record(1, 200, 4), _record(2, 200, 6, late_ms=3), _record(3, 403), _record(4, None),
                        _record(99, 200)], [], 0)
    got = outcome.summarize(_prepared(6), log, sent_counted=6, retransmissions=2, unexpected_codes=Counter({499: 1}),
                            started=1700000000, ended=1700000003)
    assert got.answered == {200: 2, 403: 1, 499: 1}
    assert (got.ok, got.lost_timer_f, got.lost_not_concluded, got.lost, got.other) == (2, 1, 1, 2, 2)
    assert got.latency_ms["count"] == 2 and got.latency_ms["max"] == 6.0
    assert got.stamp_offset_ms["max"] == pytest.approx(3.0)
    assert got.lost_call_ids == ["p-4"]
    assert any("did not prepare" in p for p in got.problems)
    failures = got.failures()
    assert any("lost" in f for f in failures) and any("403" in f and "499" in f for f in failures)
    json = got.to_json()
    assert json["transactions"]["lost_detail"] == {"timer_f": 1, "not_concluded": 1}


def test_a_clean_outcome_passes_unless_its_latency_exceeds_the_limit():
    log = sipp.CallLog([_record(n, 200, 10.0 * n) for n in range(1, 5)], [], 0)
    got = outcome.summarize(_prepared(4), log, sent_counted=4, retransmissions=0, unexpected_codes=Counter(),
                            started=1700000000, ended=1700000001)
    assert got.failures() == [] and got.failures(max_p99_ms=50) == []
    assert got.failures(max_p99_ms=35) == ["p99 latency 40.0 ms exceeds 35 ms"]
    short = outcome.summarize(_prepared(5), log, sent_counted=4, retransmissions=0, unexpected_codes=Counter(),
                              started=1700000000, ended=1700000001)
    assert short.failures() == ["1 of 5 planned transactions were not sent"]


# --- memory ----------------------------------------------------------------------------------------

def test_rss_growth_is_measured_after_the_warm_up():
    samples = [(float(t), 1000 if t < 0 else (1500 if t < 20 else 2000 + (t >= 90) * 100)) for t in range(-2, 101)]
    got = rss.summarize(samples, 0.0, 100.0, 30.0)
    assert got["idle_kib"] == 1000 and got["warm_kib"] == 2000 and got["end_kib"] == 2100
    assert got["growth_pct"] == 5.0 and got["growth_from_idle_pct"] == 110.0 and got["max_kib"] == 2100


def test_the_memory_of_this_process_can_be_read():
    assert rss.read_rss_kib(os.getpid()) > 0
    assert rss.read_rss_kib(2**22 + 12345) is None


# --- the knee search -------------------------------------------------------------------------------

def _fake(capacity: float, calls: list[float]):
    def try_rate(rate: float) -> knee.Tried:
        calls.append(rate)
        return knee.Tried(rate, rate <= capacity, ())
    return try_rate


def test_the_knee_search_climbs_then_bisects_within_its_steps():
    calls: list[float] = []
    got = knee.search(_fake(37.0, calls), knee.KneeSearch(start_rate=10, factor=2, max_steps=10, precision=0.05))
    assert calls[:3] == [10, 20, 40]
    assert got.knee_rate <= 37.0 < got.lowest_failing_rate
    assert (got.lowest_failing_rate - got.knee_rate) / got.knee_rate <= 0.05
    assert len(calls) <= 10 and got.knee_rate == max(r for r in calls if r <= 37)


def test_the_knee_search_stops_at_its_step_limit_and_its_budget():
    calls: list[float] = []
    got = knee.search(_fake(1000, calls), knee.KneeSearch(start_rate=10, factor=2, max_steps=3))
    assert calls == [10, 20, 40] and got.knee_rate == 40 and got.lowest_failing_rate is None
    assert "step limit" in got.stopped_because
    calls.clear()
    got = knee.search(_fake(1000, calls), knee.KneeSearch(start_rate=10, factor=2), may_run=lambda rate: rate < 30)
    assert calls == [10, 20] and "budget" in got.stopped_because


def test_when_the_first_step_fails_lower_rates_are_tried():
    calls: list[float] = []
    got = knee.search(_fake(3.0, calls), knee.KneeSearch(start_rate=10, factor=2, max_steps=6))
    assert calls[:3] == [10, 5, 2.5] and got.knee_rate is not None and got.knee_rate <= 3.0
    calls.clear()
    got = knee.search(_fake(0.0, calls), knee.KneeSearch(start_rate=10, factor=2, max_steps=4))
    assert got.knee_rate is None and len(calls) == 4


@pytest.mark.parametrize("kwargs, option", [({"start_rate": 0}, "--start-rate"), ({"factor": 1}, "--factor"),
                                            ({"max_rate": 1}, "--max-rate"), ({"max_steps": 0}, "--max-steps"),
                                            ({"precision": 0}, "--precision")])
def test_a_bad_knee_search_names_its_option(kwargs, option):
    with pytest.raises(SoakUsageError, match=option):
        knee.KneeSearch(**kwargs)


# --- the injection file ----------------------------------------------------------------------------

@pytest.mark.parametrize("workers", [1, 2])
def test_each_injection_line_is_a_body_sealed_for_its_own_message_and_time(tmp_path, workers):
    key = SealingKey(0x1234ABCD, os.urandom(16))
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=5)
    prepared = bodies.prepare(tmp_path / "calls.csv", key=key, info=INFO, prefix="soak-t", count=1001, rate=50.0,
                              start_at=start, workers=workers)
    calls = bodies.read_injection(prepared.path)
    assert [c.call_id for c in calls] == [f"soak-t-{n}" for n in range(1, 1002)]
    assert len({c.from_tag for c in calls}) == 1001 and all(0 < c.cseq < 2**31 for c in calls)
    for number in (1, 500, 1001):
        call = calls[number - 1]
        guard = smime.ReplayGuard(smime.ReplayPolicy(window=timedelta(days=1)))
        opened = open_info(SensitivePart(True, call.body_der), key_lookup={key.key_id: key.cek}.get, guard=guard,
                           binding=SipBinding(call.call_id, call.cseq, "MESSAGE"))
        assert opened.info == INFO and opened.key_id == key.key_id
        stamp = smime.open(call.body_der, key_lookup=lambda _raw: key.cek).replay_stamp
        assert abs((stamp.sent_at - prepared.scheduled(number)).total_seconds()) < 0.002
        with pytest.raises(Exception, match="Replayed|ContextMismatch"):
            open_info(SensitivePart(True, call.body_der), key_lookup={key.key_id: key.cek}.get, guard=guard,
                      binding=SipBinding(call.call_id, call.cseq + 1, "MESSAGE"))
    assert base64.b64decode(calls[0].body_b64)[:1] == b"\x30"
    assert prepared.number_of("soak-t-1001") == 1001 and prepared.number_of("soak-t-1002") is None
    assert prepared.number_of("other-1") is None
    assert key.cek not in prepared.path.read_bytes()
    assert prepared.workers == workers


def test_only_workers_with_bodies_to_seal_are_counted():
    assert bodies.effective_workers(1, 4) == 1 and bodies.effective_workers(1001, 2) == 2
    assert bodies.effective_workers(201, 8) == 2 and bodies.effective_workers(10_000, 3) == 3
