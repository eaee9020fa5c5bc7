"""The scenario run by the real SIPp against a stub peer: every outcome lands in the call log or the
error codes, and an injection file out of step with SIPp's Call-IDs stops SIPp before it sends."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mcsec.fixtures.soak import bodies, outcome, sipp
from mcsec.fixtures.soak.plan import LoadPlan, SipTimers
from mcsec.fixtures.soak.flow import free_udp_port
from mcsec.fixtures.soak.scenario import MessageTemplate, scenario_xml
from mcsec.fixtures.wire.points import LOOPBACK
from mcsec.impl.hostport import HostPort
from tests.unit.soak.stub_server import StubServer, in_turn

TEMPLATE = MessageTemplate("sip:mcptt-as@example.org", "sip:alice@ims.example.org", "sip:mcptt-as@example.org")
TIMERS = SipTimers(20, 160)   # Timer F 1.28 s


@pytest.fixture(scope="module")
def binary() -> sipp.Sipp:
    try:
        return sipp.Sipp.find()
    except sipp.SippMissing as exc:
        pytest.fail(str(exc))


def _step(tmp_path: Path, server: StubServer, lines: list[str], prefix: str = "p") -> sipp.SippStep:
    plan = LoadPlan(20, 1, max_transactions=len(lines), timers=TIMERS)
    port = free_udp_port(LOOPBACK)
    step = sipp.SippStep(tmp_path, HostPort("127.0.0.1", server.port), "127.0.0.1", port, plan, prefix)
    step.scenario.write_text(scenario_xml(TEMPLATE, TIMERS))
    step.injection.write_text("SEQUENTIAL\n" + "".join(line + "\n" for line in lines))
    return step


def _lines(count: int, prefix: str = "p") -> list[str]:
    return [f"{prefix}-{n};tag{n};{n + 10};SGVsbG8=" for n in range(1, count + 1)]


def test_every_outcome_is_logged_or_counted(tmp_path, binary):
    with StubServer(in_turn([200, 403, 499, None, 200])) as server:
        step = _step(tmp_path, server, _lines(5))
        run = sipp.run(binary, step)
    log = sipp.read_call_log(step.call_log)
    assert {r.call_id: r.status for r in log.records} == {"p-1": 200, "p-2": 403, "p-4": None, "p-5": 200}
    assert sipp.read_error_codes(run.file("error_codes.csv")) == Counter({499: 1})
    sent, retrans = sipp.sent_and_retransmitted(sipp.read_counts(run.file("counts.csv")))
    assert sent == 5 and retrans > 0   # the unanswered MESSAGE was retransmitted until Timer F
    lost = next(r for r in log.records if r.status is None)
    prepared = bodies.PreparedCalls(step.injection, "p", 5, 20.0, datetime.now(timezone.utc), 1)
    got = outcome.summarize(prepared, log, sent_counted=sent, retransmissions=retrans,
                            unexpected_codes=sipp.read_error_codes(run.file("error_codes.csv")),
                            started=run.started, ended=run.ended)
    assert (got.ok, got.lost, got.answered) == (2, 1, {200: 2, 403: 1, 499: 1})
    assert lost.call_id == "p-4" and got.lost_call_ids == ["p-4"]
    assert server.decisions.keys() == {f"p-{n}" for n in range(1, 6)}


def test_sipp_sends_the_injection_fields_and_stops_when_a_line_is_out_of_step(tmp_path, binary):
    lines = _lines(4)
    lines[2] = "elsewhere-3;tag3;13;SGVsbG8="
    with StubServer(in_turn([])) as server:
        step = _step(tmp_path, server, lines)
        run = sipp.run(binary, step)
    assert run.exit_status == sipp.EXIT_STOPPED_BY_SCENARIO
    log = sipp.read_call_log(step.call_log)
    assert log.misaligned == [("p-3", "elsewhere-3")]
    assert "p-3" not in server.decisions and "elsewhere-3" not in server.decisions
    assert {"p-1", "p-2"} <= server.decisions.keys()
    first = server.messages["p-1"]
    assert first.method == "MESSAGE" and first.uri == TEMPLATE.request_uri
    assert "tag=tag1" in first.headers.get("From") and first.cseq.seq == 11 and first.cseq.method == "MESSAGE"
    assert first.headers.get("Content-Transfer-Encoding") == "base64"
    assert first.body.strip() == b"SGVsbG8="
