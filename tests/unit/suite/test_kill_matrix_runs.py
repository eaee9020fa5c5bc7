"""The kill matrix's runs: `mcsec run` in a process forked from a warm fork server, its output in the
run's log, its exit status reported, a run past its time stopped (tests/e2e run whole matrices)."""
from __future__ import annotations

import os

from mcsec.commands.kill_matrix import Runs


def test_a_forked_run_writes_its_output_to_its_log_and_reports_its_exit_status(tmp_path, monkeypatch):
    monkeypatch.setenv("MCSEC_FAULTS", "no_such_fault")  # the matrix's own environment names no fault for a run
    result = Runs(timeout_s=120).run(tmp_path / "one", ["--fault", "list"])
    log = (tmp_path / "one" / "run.log").read_text()
    assert result.exit_status == 0, log
    assert "kms_accept_alg_none" in log.split()  # `--fault list` went to the log, not to our stdout
    assert result.document is None and "no results" in result.problem


def test_a_forked_run_with_a_bad_argument_reports_its_usage_error(tmp_path):
    result = Runs(timeout_s=120).run(tmp_path / "bad", ["--requirement", "R-NOT-A-REQUIREMENT"])
    assert result.exit_status == 2
    assert "R-NOT-A-REQUIREMENT" in (tmp_path / "bad" / "run.log").read_text()


def test_a_run_past_its_time_is_stopped_with_everything_it_started(tmp_path):
    runs = Runs(timeout_s=0.5)
    result = runs.run(tmp_path / "slow", ["--requirement", "R713-KEYID-SENT"])  # starts a lab: longer than 0.5 s
    assert result.exit_status is None and result.document is None
    assert result.problem.startswith("timed out after")
    assert not runs._live
    assert os.listdir(tmp_path / "slow") and (tmp_path / "slow" / "run.log").exists()
