"""Whole conformance runs, each in a subprocess as a user would start it. The fault-free run of the
whole suite and the run with one KMS fault are made once per test session and shared by every test
that only reads their outputs.

Under pytest-xdist (`make test`: two workers, `--dist loadfile`) the wheel and the fault-free run are
made once for all workers: the first worker that needs one makes it in the session's shared folder
under a lock, the others wait for it and read it (`made_once`)."""
import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.repo import ROOT

RUN_TIMEOUT_S = 900  # a hung run ends the test; a slow machine does not (a full run takes about a minute)
FAULTY_SCENARIO = "MCSEC-713-TOK-004.1"   # an IdM-signed token that expired ten minutes ago
PASSING_SCENARIO = "MCSEC-713-TOK-004.4"  # ... from another issuer
# The R713-KM-CLAIMS scenarios but those at the leeway's edge: with kms_accept_expired, FAULTY_SCENARIO
# is then the one that fails.
FAULTY_SELECTION = ("--requirement", "R713-KM-CLAIMS", "-k", "not leeway")


@dataclass
class RunResult:
    status: int
    stdout: str
    stderr: str
    out: Path

    @property
    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text())


def _shared_folder(tmp_path_factory) -> Path:
    """The folder every worker of this test session sees (the parent of the workers' own under xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory, name: str, make) -> dict:
    """``make(folder)`` -> a JSON-able dict, run by one worker of the session; every other worker waits on
    the lock and gets the same dict (the folder it was made in is shared)."""
    shared = _shared_folder(tmp_path_factory)
    folder, done = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if make() raises
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            tmp = done.with_suffix(".tmp")
            tmp.write_text(json.dumps(make(folder)))
            tmp.replace(done)
        return json.loads(done.read_text())


def mcsec(*args: str, timeout: float = RUN_TIMEOUT_S, drop_caps: tuple[str, ...] = (),
          env: dict | None = None) -> subprocess.CompletedProcess:
    """`mcsec ARGS` in a subprocess of this interpreter (no faults from the environment); with
    ``drop_caps`` (e.g. ``("net_raw",)``) it lacks those capabilities, dropped with setpriv
    (util-linux), as an unprivileged user's run would."""
    prefix = []
    if drop_caps:
        if shutil.which("setpriv") is None:
            pytest.fail(f"setpriv (util-linux) is needed to drop {', '.join(drop_caps)} for this test")
        dropped = ",".join(f"-{cap}" for cap in drop_caps)
        prefix = ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}"]
    return subprocess.run([*prefix, sys.executable, "-m", "mcsec", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "MCSEC_FAULTS": "", **(env or {})})


def mcsec_run(out: Path, *args: str, env: dict | None = None, drop_caps: tuple[str, ...] = ()) -> RunResult:
    """`mcsec run --out OUT ARGS`."""
    proc = mcsec("run", "--out", str(out), *args, env=env, drop_caps=drop_caps)
    return RunResult(proc.returncode, proc.stdout, proc.stderr, out)


def _step(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


@pytest.fixture(scope="session")
def installed_suite(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the bin folder of a fresh venv it is installed in): a wheel built from the checkout
    and installed outside it, as a user installs MCSec."""
    def make(base: Path) -> dict:
        built = _step(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"),
                      str(ROOT))
        if built.returncode != 0:
            return {"error": f"pip wheel: {built.stderr[-3000:]}"}
        made = _step(sys.executable, "-m", "venv", str(base / "venv"))
        if made.returncode != 0:
            return {"error": f"venv: {made.stderr[-3000:]}"}
        wheel = next((base / "dist").glob("mcsec-*.whl"))
        pip = _step(str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel))
        if pip.returncode != 0:
            return {"error": f"pip install: {pip.stderr[-3000:]}"}
        return {"wheel": str(wheel), "bin": str(base / "venv" / "bin")}

    made = made_once(tmp_path_factory, "wheel", make)
    assert "error" not in made, made.get("error")
    return Path(made["wheel"]), Path(made["bin"])


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory, installed_suite) -> RunResult:
    """One fault-free run of the whole suite against the reference, shared by every test that only reads
    its outputs. It is run by the installed wheel from an empty folder: `mcsec run --out X`."""
    _, bin_dir = installed_suite

    def make(here: Path) -> dict:
        proc = _step(str(bin_dir / "mcsec"), "run", "--out", "X", cwd=here)
        return {"status": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "out": str(here / "X")}

    made = made_once(tmp_path_factory, "baseline", make)
    return RunResult(made["status"], made["stdout"], made["stderr"], Path(made["out"]))


@pytest.fixture(scope="session")
def real_run(baseline_run: RunResult) -> Path:
    """The output folder of the fault-free run, which must have passed."""
    assert baseline_run.status == 0, baseline_run.stdout[-3000:] + baseline_run.stderr[-3000:]
    return baseline_run.out


@pytest.fixture(scope="session")
def faulty_run(tmp_path_factory) -> Path:
    """A run of the R713-KM-CLAIMS scenarios with the KMS ignoring exp: one scenario fails."""
    run = mcsec_run(tmp_path_factory.mktemp("faulty"), "--fault", "kms_accept_expired", *FAULTY_SELECTION)
    assert run.status == 1, run.stdout[-3000:] + run.stderr[-3000:]
    return run.out


def other_side() -> set[str]:
    """The scenarios for products that do not claim an ICS item the built-in profile claims: not
    applicable in a run of the reference profile (the kill matrix exercises them with --ics)."""
    from mcsec.catalogue import scan_scenarios

    return {s.id for s in scan_scenarios() if any(i.startswith("not-") for i in s.ics_items)}


def all_applicable_pass(scenarios: list[dict]) -> list[tuple[str, str]]:
    """What in a reference run is not as it should be: every scenario passes but the other side's ones,
    which are not applicable. Empty when all is well."""
    skip = other_side()
    return [(s["id"], s["verdict"]) for s in scenarios
            if s["verdict"] != ("not_applicable" if s["id"] in skip else "pass")]


MUTATION_FILE = "impl/kms/tokens.py"
MUTATION_SAMPLE, MUTATION_SEED = 5, 2


@dataclass
class MutationRun:
    proc: subprocess.CompletedProcess
    out: Path
    chosen: list[str]      # the mutant ids asked for
    killable: str          # the id of a mutant the suite must kill

    @property
    def document(self) -> dict:
        return json.loads((self.out / "mutation.json").read_text())


@pytest.fixture(scope="session")
def mutation_run(tmp_path_factory) -> MutationRun:
    """`mcsec mutate` over a fixed seeded sample of the KMS token checks plus one mutant the suite must kill
    (the expiry check's raise removed: an expired token accepted), one served-KMS baseline for all."""
    from mcsec.mutation import campaign
    from mcsec.mutation.targets import Target

    planned = campaign.mutants([Target(MUTATION_FILE, "kms", "")])
    killable = next(p.mutant.id for p in planned
                    if p.mutant.operator == "remove_raise" and "'token expired'" in p.mutant.original)
    chosen = [p.mutant.id for p in campaign.sample(planned, MUTATION_SAMPLE, MUTATION_SEED)]
    chosen = [*dict.fromkeys([*chosen, killable])]
    out = tmp_path_factory.mktemp("mutation") / "out"
    proc = mcsec("mutate", "--files", MUTATION_FILE, "--id", *chosen, "--jobs", "2", "--out", str(out))
    return MutationRun(proc, out, chosen, killable)
