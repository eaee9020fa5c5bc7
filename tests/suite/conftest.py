import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

RUN_TIMEOUT_S = 300


@dataclass
class RunResult:
    status: int
    stdout: str
    stderr: str
    out: Path

    @property
    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text())


def mcsec_run(out: Path, *args: str, env: dict | None = None) -> RunResult:
    proc = subprocess.run([sys.executable, "-m", "mcsec", "run", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env={**os.environ, "MCSEC_FAULTS": "", **(env or {})})
    return RunResult(proc.returncode, proc.stdout, proc.stderr, out)


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory) -> RunResult:
    """One fault-free run of the whole suite against the reference, shared by the tests that read it."""
    return mcsec_run(tmp_path_factory.mktemp("baseline"))
