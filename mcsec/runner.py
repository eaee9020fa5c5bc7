"""`mcsec run`: the conformance run of a profile, through pytest-bdd, into the reports.

The runner makes the run's :class:`~mcsec.fixtures.session.ConformanceSession` (profile, output folder,
catalogue, selection), hands it to pytest with the conformance plugin and the step modules, and builds
results.json, junit.xml, cucumber.json and compliance.html from the session's records.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TextIO

import pytest

from mcsec.catalogue import load_catalogue, scan_scenarios
from mcsec.fixtures.keylog import KeyLog
from mcsec.fixtures.plugin import ConformancePlugin
from mcsec.fixtures.lab import roleprocess
from mcsec.fixtures.profile import LAB_ROLES, Profile
from mcsec.fixtures.session import ConformanceSession, Selection
from mcsec.reports import manifest, merge, outputs, results
from mcsec.reports import waivers as waiver_rules
from mcsec.reports.waivers import Waiver
from mcsec.steps import STEP_MODULES

SCENARIO_MODULE = Path(str(resources.files("mcsec.steps") / "scenarios.py"))


@dataclass
class RunOutcome:
    document: dict
    exit_status: int
    out_dir: Path


def run(profile: Profile, out_dir: Path, *, selection: Selection = Selection(), keyword: str | None = None,
        progress: TextIO = sys.stdout, waivers: list[Waiver] | None = None,
        sign_key: manifest.Ed25519PrivateKey | None = None, progress_json: bool = False,
        key_log: KeyLog | None = None) -> RunOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue()
    key_log = key_log or KeyLog.off()
    session = ConformanceSession(profile, out_dir, catalogue, selection=selection, progress=progress,
                                 progress_json=progress_json, key_log=key_log)
    args = [str(SCENARIO_MODULE), "-p", "no:terminal", "-p", "no:cacheprovider",
            "--rootdir", str(SCENARIO_MODULE.parent), "-c", os.devnull, "--import-mode=importlib",
            "-o", "python_files=scenarios.py", "-W", "ignore::DeprecationWarning",
            # step modules imported before (a kill-matrix fork server's): they have no asserts to rewrite
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    for module in STEP_MODULES:
        args += ["-p", module]
    if keyword:
        args += ["-k", keyword]
    if any(not profile.external(role) for role in LAB_ROLES):
        roleprocess.prewarm()  # the role fork server imports the roles while pytest collects
    started = _dt.datetime.now(_dt.timezone.utc)
    try:
        code = pytest.main(args, plugins=[ConformancePlugin(session)])
    finally:
        session.close()
        key_log.close()
    finished = _dt.datetime.now(_dt.timezone.utc)
    interrupted = code == pytest.ExitCode.INTERRUPTED
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        session.suite_errors.append(f"pytest ended with {code!r}")
    rank = {sid: n for n, sid in enumerate(feature_order())}
    ordered = sorted(session.results, key=lambda r: (rank.get(r.id, len(rank)), r.id))
    document = results.build(catalogue=catalogue, scenarios=ordered, sut=profile.describe(),
                             started=started, finished=finished, interrupted=interrupted,
                             suite_errors=session.suite_errors, key_log=key_log.describe())
    return _finish(document, out_dir, waivers=waivers, sign_key=sign_key, interrupted=interrupted)


def feature_order() -> list[str]:
    """Every scenario id in the order of the features: the order results.json lists scenarios in,
    whether the run was made in one piece or in shards."""
    return [s.id for s in scan_scenarios()]


def _finish(document: dict, out_dir: Path, *, waivers: list[Waiver] | None,
            sign_key: manifest.Ed25519PrivateKey | None, interrupted: bool) -> RunOutcome:
    if waivers is not None:
        waiver_rules.apply(document, waivers)
    results.write(document, out_dir / "results.json")
    outputs.write_reports(document, out_dir, signed_by=manifest.signer_fingerprint(sign_key))
    manifest.write(out_dir, sign_key)  # last: the SHA-256 of every file written above
    status = results.document_exit_status(document)  # fail or stale waiver 1, inconclusive/error/suite error 3
    if interrupted:
        status = 130
    return RunOutcome(document, status, out_dir)


# --------------------------------------------------------------------------- a run in parallel workers


@dataclass
class _Worker:
    index: int
    out: Path
    process: subprocess.Popen
    total: int | None = None
    lines: list[str] = field(default_factory=list)


def run_parallel(worker_argv: list[str], jobs: int, profile: Profile, out_dir: Path, *,
                 progress: TextIO = sys.stdout, waivers: list[Waiver] | None = None,
                 sign_key: manifest.Ed25519PrivateKey | None = None) -> RunOutcome:
    """The run in ``jobs`` worker processes, each with a lab of its own and one shard of the scenarios
    (``mcsec run --shard K/N``), merged into one results.json and one set of reports: the same verdicts,
    evidence and reports as a run in one piece. ``worker_argv``: the run's own options (profile, faults,
    selection), passed to every worker."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = out_dir / ".shards"
    shutil.rmtree(shards, ignore_errors=True)
    workers: list[_Worker] = []
    lock = threading.Lock()
    shown = {"n": 0, "total": None}
    pending: list[dict] = []

    def show(event: dict) -> None:
        shown["n"] += 1
        width = len(str(shown["total"]))
        print(f"[{shown['n']:>{width}}/{shown['total']}] {event['verdict'].upper():<14} {event['id']} "
              f"{event['name']} ({event['duration_s']:.2f} s)", file=progress, flush=True)
        if event["verdict"] != "pass" and event.get("reason"):
            lines = event["reason"].strip().splitlines()
            first = lines[-1] if event["verdict"] == "error" else lines[0]
            print(f"{'':>{2 * width + 3}} {first[:300]}", file=progress, flush=True)

    def relay(worker: _Worker) -> None:
        for line in worker.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                worker.lines.append(line.rstrip("\n"))
                continue
            with lock:
                if event.get("event") == "collected":
                    worker.total = event["total"]
                    if all(w.total is not None for w in workers):
                        shown["total"] = sum(w.total for w in workers)
                        print(f"mcsec: {shown['total']} scenarios against {profile.name} in {len(workers)} "
                              f"workers", file=progress, flush=True)
                        for held in pending:
                            show(held)
                        pending.clear()
                elif event.get("event") == "result":
                    if shown["total"] is None:
                        pending.append(event)
                    else:
                        show(event)

    started = _dt.datetime.now(_dt.timezone.utc)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for k in range(1, jobs + 1):
        out = shards / str(k)
        command = [sys.executable, "-m", "mcsec", "run", *worker_argv, "--shard", f"{k}/{jobs}", "--jobs", "1",
                   "--progress", "json", "--out", str(out)]
        workers.append(_Worker(k, out, subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env,
                                                        stdin=subprocess.DEVNULL)))
    relays = [threading.Thread(target=relay, args=(w,), daemon=True) for w in workers]
    for thread in relays:
        thread.start()
    interrupted = False
    try:
        for worker in workers:
            worker.process.wait()
    except KeyboardInterrupt:
        interrupted = True
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)  # a worker stops its lab on an interrupt
        for worker in workers:
            worker.process.wait()
    for thread in relays:
        thread.join()
    documents, errors = [], []
    for worker in workers:
        try:
            documents.append(results.load(worker.out / "results.json"))
        except results.ResultsError as exc:
            said = "; ".join(worker.lines[-3:])
            errors.append(f"worker {worker.index} (exit status {worker.process.returncode}) left no results: "
                          f"{exc}{'; ' + said if said else ''}")
    if any(w.process.returncode == results.EXIT_USAGE for w in workers) and not documents:
        raise WorkerUsageError("; ".join(errors))
    finished = _dt.datetime.now(_dt.timezone.utc)
    if documents:
        document = merge.merge(documents, order=feature_order())
    else:
        document = results.build(catalogue=load_catalogue(), scenarios=[], sut=profile.describe(), started=started,
                                 finished=finished, interrupted=interrupted, suite_errors=[])
    document["suite"].update(started=started.isoformat(timespec="seconds"),
                             finished=finished.isoformat(timespec="seconds"),
                             duration_s=round((finished - started).total_seconds(), 3), jobs=jobs)
    document["suite"]["errors"] = document["suite"].get("errors", []) + errors
    document["suite"]["interrupted"] = document["suite"].get("interrupted") or interrupted
    for worker in workers:
        merge.move_evidence(worker.out, out_dir, logs_as=f"worker-{worker.index}")
    shutil.rmtree(shards, ignore_errors=True)
    return _finish(document, out_dir, waivers=waivers, sign_key=sign_key, interrupted=interrupted)


class WorkerUsageError(RuntimeError):
    """Every worker refused its options (a usage or profile error)."""
