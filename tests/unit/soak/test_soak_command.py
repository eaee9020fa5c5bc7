"""`mcsec soak` as a user runs it: against the reference roles, against a server that stops answering,
the knee search against a server of bounded capacity, and its usage errors. Runs are bounded by their
transaction counts and the SIP timers, never by a clock of the test's own."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mcsec.cli import main
from mcsec.fixtures.soak.bodies import read_injection
from mcsec.impl.sip import Request, Response, parse_message
from tests.unit.soak.stub_server import StubServer, answers_first, capacity

STEP_FIELDS = {"transactions", "latency_ms", "stamp_offset_ms", "achieved_rate_per_s", "timeline", "plan", "passed",
               "failures", "sipp", "preparation"}


def _run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["soak", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("soak-reference")
    status = main(["soak", "--rate", "5", "--duration", "60", "--max-transactions", "12", "--out", str(out),
                   "--keep-traces", "--rss-interval", "0.2"])
    return status, out


def test_a_short_soak_against_the_reference_roles_loses_nothing(reference_run):
    status, out = reference_run
    report = json.loads((out / "soak.json").read_text())
    step = report["step"]
    t = step["transactions"]
    assert status == 0, (out / "summary.txt").read_text()
    assert (t["planned"], t["sent"], t["answered_200"], t["lost"]) == (12, 12, 12, 0)
    assert t["other_statuses"] == {} and t["lost_detail"] == {"timer_f": 0, "not_concluded": 0}
    assert STEP_FIELDS <= step.keys() and step["passed"] and step["failures"] == []
    assert all(step["latency_ms"][k] is not None for k in ("p50", "p90", "p99", "max"))
    assert step["latency_ms"]["count"] == 12
    assert report["verdict"] == {"passed": True, "failures": []}
    rss = report["server_rss"]
    assert rss["measured"] and rss["pid"] == report["path"]["server"]["pid"] and len(rss["samples"]) >= 3
    assert all(kib > 0 for _, kib in rss["samples"]) and rss["end_kib"] > 0
    assert report["machine_at_start"]["cpus"] >= 1 and report["path"]["sipp"]["version"]
    assert "result: PASS" in (out / "summary.txt").read_text()


def test_no_credential_reaches_the_report_or_the_logs(reference_run):
    _, out = reference_run
    for path in out.rglob("*"):
        if path.is_file() and "traces" not in path.parts:
            text = path.read_text(errors="replace")
            for word in ("password", "client_secret", "Authorization:", "access_token", "Bearer "):
                assert word not in text, f"{word} in {path}"


def _trace(path: Path) -> list[tuple[str, Request | Response]]:
    out = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        out.append((entry["dir"], parse_message(base64.b64decode(entry["raw_b64"]))))
    return out


def test_sipp_sends_exactly_the_bodies_the_suite_prepared(reference_run):
    _, out = reference_run
    prepared = {c.call_id: c for c in read_injection(out / "sipp" / "soak" / "calls.csv")}
    received: dict[str, Request] = {}
    answers: dict[str, list[int]] = {}
    for direction, message in _trace(out / "traces" / "server.trace.jsonl"):
        if isinstance(message, Request) and message.method == "MESSAGE" and direction == "in":
            received.setdefault(message.call_id, message)
        elif isinstance(message, Response) and message.cseq.method == "MESSAGE" and direction == "out":
            answers.setdefault(message.call_id, []).append(message.status)
    assert received.keys() == prepared.keys() and len(prepared) == 12
    for call_id, call in prepared.items():
        message = received[call_id]
        assert message.body.strip() == call.body_b64.encode(), call_id
        assert message.cseq.seq == call.cseq and f"tag={call.from_tag}" in message.headers.get("From")
        assert message.headers.get("Content-Transfer-Encoding") == "base64"
        assert message.headers.get("Content-Type").startswith("application/pkcs7-mime")
        assert message.headers.get("P-Asserted-Identity") == "<sip:alice@ims.example.org>"
        assert answers[call_id] == [200], f"{call_id}: the server answered {answers[call_id]}"


def _profile(tmp_path: Path, server_port: int) -> Path:
    path = tmp_path / "stub-server.toml"
    path.write_text(f"""
[iut]
name = "stub server"
version = "0"
roles = ["server"]

[ics]
clauses = ["7.13"]
protection_required = true

[ixit]
kms_uri = "kms.example.org"
kms_scope = "3gpp:mc:ptt_key_management_service"

[ixit.oauth_client]
client_id = "mcptt-client"
redirect_uri = "http://127.0.0.1/mcptt/callback"

[[ixit.users]]
username = "alice"
mcptt_id = "sip:alice@example.org"
impu = "sip:alice@ims.example.org"

[[ixit.servers]]
client_id = "mcptt-as"
uri = "sip:mcptt-as@example.org"

[ixit.endpoints]
server_sip = "127.0.0.1:{server_port}"
""")
    return path


def test_a_server_that_stops_answering_shows_lost_transactions_and_exit_1(tmp_path, capsys):
    with StubServer(answers_first(3)) as server:
        status, summary, _ = _run(capsys, "--sut", str(_profile(tmp_path, server.port)), "--rate", "5",
                                  "--duration", "60", "--max-transactions", "8", "--t1-ms", "50",
                                  "--out", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "soak.json").read_text())
    t = report["step"]["transactions"]
    assert status == 1
    assert (t["sent"], t["answered_200"], t["lost"], t["lost_detail"]["timer_f"]) == (8, 3, 5, 5)
    assert server.answered == 3 and server.ignored == 5 and server.registers >= 1
    assert len(report["step"]["lost_call_ids"]) == 5
    assert report["verdict"]["passed"] is False and any("5 of 8 transactions lost" in f
                                                        for f in report["verdict"]["failures"])
    assert report["server_rss"]["measured"] is False and "outside" in report["server_rss"]["reason"]
    assert "result: FAIL" in summary


def test_the_knee_is_the_highest_rate_a_bounded_server_keeps_up_with(tmp_path, capsys):
    with StubServer(capacity(12)) as server:
        status, summary, _ = _run(capsys, "--sut", str(_profile(tmp_path, server.port)), "--find-knee",
                                  "--start-rate", "4", "--factor", "2", "--max-steps", "3", "--step-duration", "3",
                                  "--t1-ms", "50", "--max-p99-ms", "2000", "--settle", "0.5",
                                  "--out", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "soak.json").read_text())
    assert [s["plan"]["rate_per_s"] for s in report["steps"]] == [4, 8, 16]
    assert [s["passed"] for s in report["steps"]] == [True, True, False]
    assert report["knee"]["rate_per_s"] == 8 and report["knee"]["lowest_failing_rate_per_s"] == 16
    assert report["knee"]["soak_at_80_percent_per_s"] == 6.4 and "step limit" in report["knee"]["stopped_because"]
    assert report["steps"][2]["transactions"]["lost"] > 0
    assert status == 0 and "knee: 8" in summary


def test_missing_sipp_is_a_usage_error_naming_the_debian_package(tmp_path, capsys, monkeypatch):
    status, _, err = _run(capsys, "--sipp", str(tmp_path / "nowhere" / "sipp"), "--out", str(tmp_path / "a"))
    assert status == 2 and "sip-tester" in err
    monkeypatch.setenv("PATH", str(tmp_path))
    status, _, err = _run(capsys, "--out", str(tmp_path / "b"))
    assert status == 2 and "not on PATH" in err and "apt-get install sip-tester" in err
    assert not (tmp_path / "a" / "soak.json").exists()


@pytest.mark.parametrize("args, says", [
    (["--rate", "0"], "--rate"), (["--duration", "-3"], "--duration"), (["--t1-ms", "1"], "--t1-ms"),
    (["--max-transactions", "0"], "--max-transactions"), (["--user", "mallory"], "no user 'mallory'"),
    (["--find-knee", "--factor", "0.5"], "--factor"), (["--server-pid", "999999999"], "--server-pid"),
    (["--sut", "/nonexistent/profile.toml"], "cannot read profile"), (["--rss-warmup", "-1"], "--rss-warmup"),
])
def test_bad_input_is_a_usage_error_that_names_it(tmp_path, capsys, args, says):
    status, _, err = _run(capsys, *args, "--out", str(tmp_path))
    assert status == 2 and says in err and "Traceback" not in err
