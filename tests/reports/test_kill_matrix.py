"""The kill matrix: every runnable fault of the reference implementation is killed."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mcsec.fixtures.lab import LAB_ROLES
from mcsec.impl.faults import REGISTRY, Fault
from mcsec.catalogue import citations, load_catalogue, scan_scenarios
from mcsec.reports import kill_matrix
from tests.reports.conftest import mcsec
from tests.reports.html_check import Page

KILL_MATRIX_TIMEOUT_S = 600


@pytest.mark.slow
def test_every_runnable_fault_is_killed(tmp_path: Path):
    out = tmp_path / "km"
    started = time.monotonic()
    proc = mcsec("kill-matrix", "--out", str(out), "--jobs", "2", timeout=KILL_MATRIX_TIMEOUT_S)
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    matrix = json.loads((out / "kill_matrix.json").read_text())
    rows = {r["fault"]: r for r in matrix["faults"]}
    assert set(rows) == set(REGISTRY)
    assert matrix["baseline"]["pass"] > 0
    assert all(n == 0 for v, n in matrix["baseline"].items() if v != "pass"), matrix["baseline"]
    cited = citations(load_catalogue(), scan_scenarios())
    runnable = [f for f in REGISTRY.values()
                if f.role in LAB_ROLES and any(cited.get(r) for r in f.requirements)]
    assert runnable, "no fault can be run: the kill matrix proves nothing"
    for f in REGISTRY.values():
        row = rows[f.name]
        if f in runnable:
            assert row["status"] == "killed", row
            assert row["killed_by"] and set(row["killed_by"]) <= set(row["scenarios_run"])
            wanted = {s for r in f.requirements for s in cited.get(r, [])}
            assert set(row["scenarios_run"]) == wanted, f.name          # only the citing scenarios ran
        else:
            assert row["status"] == "not_runnable" and row["reason"], row
    killed = {s for row in matrix["faults"] for s in row.get("killed_by", [])}
    never = [s.id for s in scan_scenarios() if s.id not in killed]
    assert not never, f"scenarios no fault makes fail (they could pass vacuously): {never}"
    for f in runnable:   # one progress line per fault
        assert sum(f.name in line for line in proc.stdout.splitlines()) == 1, f.name
    page = Page((out / "compliance.html").read_text(encoding="utf-8"))
    assert "kill-matrix" in page.ids and f"{len(runnable)} killed, 0 survived" in page.text
    assert matrix["suite"]["wall_time_s"] <= wall
    print(f"kill matrix: {len(runnable)} runnable faults, {matrix['totals']['scenario_runs']} scenario runs, "
          f"{matrix['suite']['wall_time_s']:.1f} s")


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
