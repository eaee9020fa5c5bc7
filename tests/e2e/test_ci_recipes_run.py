"""deploy/run-shards.sh runs a conformance run the way the Kubernetes Indexed Job does (a process per
shard through deploy/shard-entry.sh with JOB_COMPLETION_INDEX 0..N-1) and merges the shards: the same
scenarios and verdicts as one run of the same selection."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import RUN_TIMEOUT_S, mcsec_run

ROOT = Path(__file__).resolve().parents[2]
SELECTION = ("--requirement", "R713-KM-CLAIMS")


def test_three_shard_processes_merged_give_the_verdicts_of_one_run(tmp_path):
    out = tmp_path / "sharded"
    proc = subprocess.run(["sh", str(ROOT / "deploy" / "run-shards.sh"), "3", str(out), *SELECTION],
                          capture_output=True, text=True, timeout=3 * RUN_TIMEOUT_S,
                          env={**os.environ, "MCSEC_FAULTS": "", "MCSEC": f"{sys.executable} -m mcsec"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shards = [json.loads((out / f"shard-{k}" / "results.json").read_text()) for k in (1, 2, 3)]
    assert all(s["scenarios"] for s in shards)
    merged = json.loads((out / "merged" / "results.json").read_text())
    whole = mcsec_run(tmp_path / "whole", *SELECTION)
    assert whole.status == 0, whole.stdout[-3000:]
    assert {s["id"]: s["verdict"] for s in merged["scenarios"]} == \
        {s["id"]: s["verdict"] for s in whole.results["scenarios"]}
    assert sum(len(s["scenarios"]) for s in shards) == len(merged["scenarios"])
    assert (out / "merged" / "compliance.html").is_file() and (out / "merged" / "junit.xml").is_file()


def test_run_shards_refuses_a_bad_count(tmp_path):
    proc = subprocess.run(["sh", str(ROOT / "deploy" / "run-shards.sh"), "0", str(tmp_path)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "N must be a positive number" in proc.stderr
