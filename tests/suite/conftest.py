import json
import os
import shutil
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


def mcsec_run(out: Path, *args: str, env: dict | None = None, drop_caps: tuple[str, ...] = ()) -> RunResult:
    """`mcsec run --out OUT ARGS`; with ``drop_caps`` (e.g. ``("net_raw",)``) the run lacks those
    capabilities, dropped with setpriv (util-linux), as an unprivileged user's run would."""
    prefix = []
    if drop_caps:
        if shutil.which("setpriv") is None:
            pytest.fail(f"setpriv (util-linux) is needed to drop {', '.join(drop_caps)} for this test")
        dropped = ",".join(f"-{cap}" for cap in drop_caps)
        prefix = ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}"]
    proc = subprocess.run([*prefix, sys.executable, "-m", "mcsec", "run", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env={**os.environ, "MCSEC_FAULTS": "", **(env or {})})
    return RunResult(proc.returncode, proc.stdout, proc.stderr, out)


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory) -> RunResult:
    """One fault-free run of the whole suite against the reference, shared by the tests that read it."""
    return mcsec_run(tmp_path_factory.mktemp("baseline"))
