"""The kill matrix: every runnable fault of the reference implementation is killed."""
from __future__ import annotations

from pathlib import Path


from mcsec.impl.faults import Fault
from mcsec.reports import kill_matrix
from tests.unit.reports.conftest import mcsec

KILL_MATRIX_TIMEOUT_S = 600


def test_an_unknown_fault_is_a_usage_error(tmp_path: Path):
    proc = mcsec("kill-matrix", "--out", str(tmp_path), "--fault", "no_such_fault", timeout=60)
    assert proc.returncode == 2 and "no_such_fault" in proc.stderr


# --- the matrix logic, from synthetic runs --------------------------------------------------------

FAULT = Fault("kms_x", "kms", "does x", ("R713-A", "R713-B"))
CITED = {"R713-A": ["s1", "s2"], "R713-B": ["s2", "s3"], "R713-C": []}


def _doc(**verdicts: str) -> dict:
    return {"scenarios": [{"id": i, "verdict": v} for i, v in verdicts.items()]}


def _matrix(rows: list[dict], baseline: dict | None = None) -> dict:
    return {"baseline": baseline if baseline is not None else {"pass": 3, "fail": 0}, "faults": rows}


def test_plan_selects_the_scenarios_citing_the_faults_requirements():
    p = kill_matrix.plan(FAULT, ("idm", "kms"), CITED)
    assert p.runnable and p.cited == ("R713-A", "R713-B") and p.scenarios == ("s1", "s2", "s3")
    p = kill_matrix.plan(Fault("core_y", "core", "y", ("R713-A",)), ("idm", "kms"), CITED)
    assert not p.runnable and "core role" in p.reason
    p = kill_matrix.plan(Fault("kms_z", "kms", "z", ("R713-C", "R714-Q")), ("idm", "kms"), CITED)
    assert not p.runnable and p.reason == "no scenario cites R713-C, R714-Q"


def _plan(name: str, scenarios: int) -> kill_matrix.Plan:
    return kill_matrix.Plan(name, "kms", "", (), (), tuple(f"s{i}" for i in range(scenarios)))


def test_runs_start_longest_first_by_the_last_matrix_then_by_scenario_count():
    plans = [_plan("a", 2), _plan("b", 9), _plan("c", 9), _plan("d", 1), _plan("e", 30)]
    assert [p.fault for p in kill_matrix.longest_first(plans, None)] == ["e", "b", "c", "a", "d"]
    previous = {"faults": [{"fault": "d", "duration_s": 24.2}, {"fault": "a", "duration_s": 3},
                           {"fault": "c", "duration_s": 5.5}, {"fault": "gone", "duration_s": 99},
                           {"fault": "b", "duration_s": "12"}, {"fault": "e", "duration_s": True}, "junk"]}
    # known durations first (longest first), then the rest by scenario count; a duration that is not a
    # number counts as unknown
    assert [p.fault for p in kill_matrix.longest_first(plans, previous)] == ["d", "c", "a", "e", "b"]
    assert [p.fault for p in kill_matrix.longest_first(plans, {"faults": []})] == ["e", "b", "c", "a", "d"]


def test_a_surviving_fault_fails_the_matrix():
    p = kill_matrix.plan(FAULT, ("kms",), CITED)
    survived = kill_matrix.entry(p, _doc(s1="pass", s2="pass", s3="not_applicable"))
    assert survived["status"] == "survived" and survived["killed_by"] == []
    killed = kill_matrix.entry(p, _doc(s1="pass", s2="fail", s3="error"))
    assert killed["status"] == "killed" and killed["killed_by"] == ["s2", "s3"]
    assert kill_matrix.exit_status(_matrix([killed, survived])) == 1
    assert kill_matrix.exit_status(_matrix([killed])) == 0


def test_not_runnable_faults_do_not_count_as_surviving():
    p = kill_matrix.plan(Fault("core_y", "core", "y", ("R713-A",)), ("kms",), CITED)
    row = kill_matrix.entry(p)
    assert row["status"] == "not_runnable"
    killed = kill_matrix.entry(kill_matrix.plan(FAULT, ("kms",), CITED), _doc(s1="fail"))
    matrix = _matrix([killed, row])
    assert kill_matrix.exit_status(matrix) == 0
    assert kill_matrix.totals(matrix["faults"]) == {"faults": 2, "runnable": 1, "killed": 1, "survived": 0,
                                                    "not_runnable": 1, "error": 0, "scenario_runs": 1}


def test_a_baseline_that_does_not_pass_fails_the_matrix_and_a_broken_run_is_inconclusive():
    p = kill_matrix.plan(FAULT, ("kms",), CITED)
    killed = kill_matrix.entry(p, _doc(s1="fail"))
    assert kill_matrix.exit_status(_matrix([killed], {"pass": 2, "fail": 1})) == 1
    assert kill_matrix.exit_status(_matrix([killed], {})) == 1
    broken = kill_matrix.entry(p, None, problem="timed out after 600 s")
    assert broken["status"] == "error" and broken["reason"] == "timed out after 600 s"
    assert kill_matrix.exit_status(_matrix([killed, broken])) == 3


def test_a_fault_showing_only_under_a_lab_only_ics_item_is_not_runnable_in_the_external_matrix():
    fault = Fault("server_w", "server", "w", ("R713-A",), ics=(("key_material_provisioning", True),))
    assert kill_matrix.plan(fault, ("server",), CITED).runnable
    p = kill_matrix.plan(fault, ("server",), CITED, external=True)
    assert not p.runnable and "ics.key_material_provisioning" in p.reason and "server" in p.reason
    # the item concerns servers and clients only; and a fault shown with the item false is runnable
    assert kill_matrix.plan(Fault("kms_w", "kms", "w", ("R713-A",), ics=(("key_material_provisioning", True),)),
                            ("kms",), CITED, external=True).runnable
    assert kill_matrix.plan(Fault("server_v", "server", "v", ("R713-A",), ics=(("key_material_provisioning", False),)),
                            ("server",), CITED, external=True).runnable
    several = kill_matrix.plan(Fault("server_k", "server", "k", ("R713-A",), ics=(("several_kms", True),)),
                               ("server",), CITED, external=True)
    assert not several.runnable and "ics.several_kms" in several.reason and "second KMS" in several.reason
    assert kill_matrix.plan(Fault("client_k", "client", "k", ("R713-A",), ics=(("several_kms", True),)),
                            ("client",), CITED, external=True).runnable


def test_a_scenario_no_fault_kills_fails_the_matrix_unless_listed_with_why():
    from mcsec.catalogue import scan_scenarios
    from mcsec.impl.faults import UNKILLED_EXPLAINED

    rows = [{"fault": "f", "status": kill_matrix.KILLED, "killed_by": ["s1"]}]
    assert kill_matrix.unkilled(rows, ["s1", "s2", "s3"], {"s3": "why"}) == ["s2"]
    assert kill_matrix.unkilled_explained(rows, ["s1", "s2", "s3"], {"s3": "why", "s1": "stale"}) == {"s3": "why"}
    # every listed scenario exists, and says why
    ids = {s.id for s in scan_scenarios()}
    assert all(sid in ids and len(why) > 20 for sid, why in UNKILLED_EXPLAINED.items())
