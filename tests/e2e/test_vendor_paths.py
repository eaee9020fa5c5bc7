"""The vendor guide's path, with a reference role played by `mcsec serve` as "the vendor's product".

For each role: `mcsec serve --iut ROLE --profile-out p.toml` (the role and the peers it is configured
with, as a separate process tree), `mcsec profile check p.toml`, `mcsec run --sut p.toml`: exit status
0, and every pass comes from a scenario that judges ROLE (docs/vendor-guide.md).
"""
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from mcsec.catalogue import scan_scenarios
from tests.repo import ROOT
from tests.e2e.conftest import RunResult, mcsec_run

SERVE_READY_S = 90
SERVE_STOP_S = 15


@contextlib.contextmanager
def serve(run_dir: Path, *args: str):
    """`mcsec serve ARGS` in its own session; yields its JSON line; stops it with SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-m", "mcsec", "serve", "--run-dir", str(run_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield _ready_line(proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=SERVE_STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=SERVE_STOP_S)
            raise AssertionError("mcsec serve did not stop on SIGTERM") from None
    assert proc.returncode == 0, f"mcsec serve ended with {proc.returncode}"


def _ready_line(proc: subprocess.Popen) -> dict:
    deadline = time.monotonic() + SERVE_READY_S
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"mcsec serve printed no ready line in {SERVE_READY_S} s"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait(timeout=SERVE_STOP_S)
                raise AssertionError(f"mcsec serve exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def profile_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcsec", "profile", "check", str(path)],
                          capture_output=True, text=True, timeout=60)


JUDGING = {role: {s.id for s in scan_scenarios() if role in s.judges} for role in ("idm", "kms", "server", "core",
                                                                                    "client")}
SERVED_LOG = {"idm": "idm.log", "kms": "kms.log", "server": "server.log", "core": "core.log",
              "client": "client-alice.log"}


def _keys(table: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in table.items():
        if isinstance(v, dict):
            keys |= _keys(v, f"{prefix}{k}.")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                keys |= _keys(item, f"{prefix}{k}[].")
        else:
            keys.add(prefix + k)
    return keys


def _vendor_path(tmp_path: Path, role: str, *serve_args: str) -> tuple[dict, RunResult]:
    profile = tmp_path / "p.toml"
    with serve(tmp_path / "served", "--iut", role, "--profile-out", str(profile), *serve_args) as info:
        assert info["profile"] == str(profile)
        assert profile.stat().st_mode & 0o077 == 0, "the profile holds test credentials: owner-only"
        check = profile_check(profile)
        assert check.returncode == 0, check.stderr
        run = mcsec_run(tmp_path / "out", "--sut", str(profile))
    return tomllib.loads(profile.read_text()), run


@pytest.mark.parametrize("role", ["idm", "kms", "server", "core", "client"])
def test_a_served_role_under_test_passes_on_what_judges_it(tmp_path, role):
    written, run = _vendor_path(tmp_path, role)
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = run.results
    assert results["sut"]["iut_roles"] == [role]
    verdicts = {s["id"]: s["verdict"] for s in results["scenarios"]}
    strays = sorted(sid for sid, v in verdicts.items() if v == "pass" and sid not in JUDGING[role])
    assert not strays, f"passes from scenarios that do not judge the {role}: {strays}"
    assert all(verdicts[sid] == "not_applicable" for sid in verdicts if sid not in JUDGING[role])
    assert sum(v == "pass" for v in verdicts.values()) >= 10
    logs = {p.name for p in (tmp_path / "out" / "logs").iterdir()}
    assert SERVED_LOG[role] not in logs, f"the lab started the {role} the profile places outside: {logs}"
    # the example for the role documents every key the written profile uses (set there, or in a comment)
    example = (ROOT / "examples" / f"{role}-under-test.toml").read_text()
    undocumented = sorted(k for k in _keys(written) if k.rsplit(".", 1)[-1].removesuffix("[]") not in example)
    assert not undocumented, f"keys of the written profile not in examples/{role}-under-test.toml: {undocumented}"


def test_a_client_that_sends_no_replay_stamp_passes_with_a_profile_that_does_not_claim_it(tmp_path):
    written, run = _vendor_path(tmp_path, "client", "--ics", "replay_stamp=false")
    assert written["ics"]["replay_stamp"] is False
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    verdicts = {s["id"]: s["verdict"] for s in run.results["scenarios"]}
    assert sum(v == "pass" for v in verdicts.values()) >= 10


def test_serve_refuses_a_profile_out_without_an_iut_and_an_iut_it_does_not_serve(tmp_path):
    for args, says in ((["--profile-out", str(tmp_path / "p.toml")], "--profile-out needs --iut"),
                       (["--iut", "server", "--roles", "idm,kms"], "--iut server: not among the served --roles")):
        proc = subprocess.run([sys.executable, "-m", "mcsec", "serve", *args], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert not (tmp_path / "p.toml").exists()
