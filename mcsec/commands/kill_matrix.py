"""`mcsec kill-matrix`: prove the suite can fail. A fault-free baseline run, then one run per named fault
of the reference implementation with the scenarios citing the fault's requirements, in parallel
processes; writes kill_matrix.json and renders it into compliance.html (reports/kill_matrix.py).

With --external each faulty role is served as the implementation under test through the vendor path
(`mcsec serve --iut ROLE --fault F --profile-out`, then `mcsec run --sut`), after a fault-free
baseline of each role served the same way; a fault is killed only when a scenario judging its role
fails."""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from mcsec.impl.faults import REGISTRY, UNKILLED_EXPLAINED
from mcsec import __version__
from mcsec.catalogue import citations, load_catalogue, scan_scenarios
from mcsec.reports import kill_matrix, manifest, outputs, results

DEFAULT_OUT = Path("reports") / "out" / "kill-matrix"  # under the current folder
RUN_TIMEOUT_S = 600.0
STOP_GRACE_S = 10.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kill-matrix", help="run the suite against every named fault and write the kill matrix",
                       description="Run a fault-free baseline, then for each named fault of the reference "
                                   "implementation the scenarios citing its requirements with the fault on; "
                                   "write kill_matrix.json and compliance.html. Exit status: 0 every runnable "
                                   "fault is killed and the baseline passes, 1 a fault survives or the baseline "
                                   "does not pass, 2 usage error, 3 a run broke (timeout, no results).")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}, under the current folder); the baseline run's reports go "
                        "here, each fault's run under faults/<name>/")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="runs in parallel (default 2)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="only this fault (repeatable; default: every named fault)")
    p.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S, metavar="SECONDS",
                   help=f"longest a single run may take (default {RUN_TIMEOUT_S:.0f})")
    p.add_argument("--external", action="store_true",
                   help="serve each faulty role as the implementation under test (mcsec serve --iut ROLE --fault F) "
                        "and run the suite against it with --sut; killed only by a scenario judging that role "
                        "that fails")
    p.set_defaults(func=main)


@dataclass
class RunResult:
    document: dict | None
    exit_status: int | None
    duration_s: float
    problem: str = ""


class Runs:
    """Starts `mcsec run` processes (forked from a warm fork server), each in a session of its own, and
    stops them all if asked."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._live: set = set()
        self._lock = threading.Lock()

    def run(self, out_dir: Path, extra: list[str], served: tuple[str, list[str], list[str]] | None = None,
            iut_pythonpath: Path | None = None) -> RunResult:
        """`mcsec run` into ``out_dir``; with ``served`` = (role, faults, ics switches), against that role
        served as the implementation under test (its serve's files in out_dir/iut), its processes with
        ``iut_pythonpath`` first on their PYTHONPATH when given."""
        if served is None:
            return self._run(out_dir, extra)
        from mcsec.fixtures.lab.served import ServeError, served_iut

        role, faults, ics = served
        started = time.monotonic()
        try:
            with served_iut(role, out_dir / "iut", faults=faults, ics=ics, iut_pythonpath=iut_pythonpath) as iut:
                result = self._run(out_dir, ["--sut", str(iut.profile), *extra])
        except ServeError as exc:
            return RunResult(None, None, time.monotonic() - started, f"the served {role} did not start: {exc}")
        result.duration_s = time.monotonic() - started
        return result

    def _run(self, out_dir: Path, extra: list[str]) -> RunResult:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").unlink(missing_ok=True)
        argv = ["run", "--jobs", "1", "--out", str(out_dir), *extra]
        started = time.monotonic()
        process = _forking().Process(target=_run_in_child, args=(argv, str(out_dir / "run.log")),
                                     name=f"mcsec run {out_dir.name}", daemon=False)
        with self._lock:
            process.start()
            self._live.add(process)
        problem = ""
        try:
            process.join(self.timeout_s)
            if process.exitcode is None:
                self._stop(process)
                problem = f"timed out after {self.timeout_s:.0f} s"
            code = process.exitcode if not problem else None
            if code is not None and code < 0:  # killed by a signal: no results to read
                code, problem = None, f"ended by signal {-code}"
        finally:
            with self._lock:
                self._live.discard(process)
        duration = time.monotonic() - started
        try:
            document = results.load(out_dir / "results.json") if code is not None else None
        except results.ResultsError as exc:
            document, problem = None, f"exit status {code}, no results: {exc}"
        return RunResult(document, code, duration, problem)

    @staticmethod
    def _stop(process) -> None:
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
            try:
                os.killpg(process.pid, sig)  # the run and the roles it started (its own session)
            except (ProcessLookupError, PermissionError):
                return
            process.join(grace)
            if process.exitcode is not None:
                return

    def stop_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for process in live:
            self._stop(process)


# What every run imports before its first scenario (pytest, the plugin, the lab, scapy's filter compiler,
# the step modules) and the features it parses (mcsec.commands.warm): done once in the fork server, so that
# each of the ~120 runs of a matrix starts warm.
_PRELOAD = ["mcsec.cli", "mcsec.commands.run", "mcsec.runner", "mcsec.fixtures.plugin", "mcsec.fixtures.wire.capture",
            "mcsec.reports.outputs", "pytest_bdd", "scapy.arch.common", "mcsec.commands.warm"]
_FORKING = None


def _forking():
    """The fork server runs are started from: one process, single-threaded, with _PRELOAD imported."""
    global _FORKING
    if _FORKING is None:
        from mcsec.fixtures.lab.roleprocess import forkserver_context

        _FORKING = forkserver_context(_PRELOAD)
    return _FORKING


def _run_in_child(argv: list[str], log_path: str) -> None:
    """`mcsec run ARGV` in a process forked from the warm fork server: a session of its own (so a timeout
    stops it and its roles together), stdin from /dev/null, stdout and stderr to ``log_path``, no
    MCSEC_FAULTS from the matrix's own environment."""
    os.setsid()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    os.environ.pop("MCSEC_FAULTS", None)
    from mcsec.cli import main as mcsec_main

    try:
        code = mcsec_main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(code)


def _requirement_args(p: kill_matrix.Plan) -> list[str]:
    return [a for r in p.cited for a in ("--requirement", r)]


def _ics_switches(p: kill_matrix.Plan) -> list[str]:
    return [f"{item}={str(value).lower()}" for item, value in REGISTRY[p.fault].ics]


def lab_run_args(p: kill_matrix.Plan) -> list[str]:
    """`mcsec run` arguments of a fault's run in the lab: the fault on, its cited requirements, its ICS switches."""
    return ["--fault", p.fault, *_requirement_args(p), *[a for sw in _ics_switches(p) for a in ("--ics", sw)]]


def _progress(n: int, total: int, row: dict) -> str:
    width = len(str(total))
    head = f"[{n:>{width}}/{total}] {row['status'].replace('_', ' ').upper():<12} {row['fault']:<32} {row['role']:<7}"
    if row["status"] == kill_matrix.NOT_RUNNABLE:
        return f"{head} {row['reason']}"
    detail = (f"killed by {len(row['killed_by'])} of {len(row['scenarios_run'])} scenarios"
              if row["status"] == kill_matrix.KILLED else row["reason"])
    return f"{head} {detail} ({row['duration_s']:.1f} s)"


def main(args: argparse.Namespace) -> int:
    unknown = [f for f in args.fault if f not in REGISTRY]
    if unknown:
        print(f"mcsec kill-matrix: unknown fault(s): {', '.join(unknown)}; `mcsec run --fault list` lists them",
              file=sys.stderr)
        return results.EXIT_USAGE
    if args.jobs < 1 or args.timeout <= 0:
        print("mcsec kill-matrix: --jobs must be at least 1 and --timeout positive", file=sys.stderr)
        return results.EXIT_USAGE
    from mcsec.fixtures.lab import LAB_ROLES  # the roles the lab can start today

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    previous = kill_matrix.load(out / kill_matrix.FILENAME)  # its durations order this matrix's runs
    (out / kill_matrix.FILENAME).unlink(missing_ok=True)
    catalogue = load_catalogue()
    cited = citations(catalogue, scan_scenarios())
    faults = [REGISTRY[name] for name in dict.fromkeys(args.fault)] or list(REGISTRY.values())
    plans = [kill_matrix.plan(f, LAB_ROLES, cited, external=args.external) for f in faults]
    runnable = [p for p in plans if p.runnable]
    total = len(plans)
    print(f"mcsec kill-matrix: baseline and {len(runnable)} of {total} faults "
          f"({total - len(runnable)} not runnable) with {args.jobs} jobs; output in {out}", flush=True)
    rows: dict[str, dict] = {}
    done = 0
    for p in plans:
        if not p.runnable:
            rows[p.fault] = kill_matrix.entry(p)
            done += 1
            print(_progress(done, total, rows[p.fault]), flush=True)

    started = _dt.datetime.now(_dt.timezone.utc)
    wall = time.monotonic()
    runs = Runs(args.timeout)
    baselines: dict[str, RunResult] = {}
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    roles = sorted({p.role for p in runnable}) if args.external else [""]
    try:
        futures = {}
        for role in roles:
            if args.external:
                futures[pool.submit(runs.run, out / "baselines" / role, [], (role, [], []))] = role
            else:
                futures[pool.submit(runs.run, out, [])] = role
        for p in kill_matrix.longest_first(runnable, previous):
            shutil.rmtree(out / "faults" / p.fault, ignore_errors=True)
            if args.external:
                futures[pool.submit(runs.run, out / "faults" / p.fault, _requirement_args(p),
                                    (p.role, [p.fault], _ics_switches(p)))] = p
            else:
                futures[pool.submit(runs.run, out / "faults" / p.fault, lab_run_args(p))] = p
        for future in as_completed(futures):
            p, result = futures[future], future.result()
            if isinstance(p, str):
                baselines[p] = result
                counts = result.document["summary"] if result.document else {}
                label = f"baseline ({p} served)" if p else "baseline"
                print(f"{'':>{2 * len(str(total)) + 3}} {label}: "
                      f"{', '.join(f'{n} {v}' for v, n in counts.items() if n) or result.problem or 'no results'} "
                      f"({result.duration_s:.1f} s)", flush=True)
                continue
            rows[p.fault] = kill_matrix.entry(p, result.document, exit_status=result.exit_status,
                                              duration_s=result.duration_s, out=f"faults/{p.fault}",
                                              problem=result.problem, judged_by=p.role if args.external else None)
            done += 1
            print(_progress(done, total, rows[p.fault]), flush=True)
    except KeyboardInterrupt:
        runs.stop_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    finished = _dt.datetime.now(_dt.timezone.utc)
    baseline = baselines.get("") if not args.external else None

    ordered = [rows[p.fault] for p in plans]
    # whether a scenario no fault killed is a finding, or just not tried here (the external matrix runs
    # only what judges a faulty role: the in-lab matrix answers that question)
    every_fault = not args.fault and not args.external
    base_doc = baseline.document if baseline else None
    scenario_ids = [s.id for s in scan_scenarios()]
    matrix = {
        "suite": {"name": "mcsec", "version": __version__, "started": started.isoformat(timespec="seconds"),
                  "finished": finished.isoformat(timespec="seconds"),
                  "wall_time_s": round(time.monotonic() - wall, 3), "jobs": args.jobs,
                  "mode": "external" if args.external else "lab"},
        "baseline": base_doc["summary"] if base_doc else {},
        "baseline_status": baseline.exit_status if baseline else None,
        "totals": kill_matrix.totals(ordered),
        "faults": ordered,
        "unkilled_scenarios": (kill_matrix.unkilled(ordered, scenario_ids, UNKILLED_EXPLAINED)
                               if every_fault else []),
        "unkilled_explained": (kill_matrix.unkilled_explained(ordered, scenario_ids, UNKILLED_EXPLAINED)
                               if every_fault else {}),
    }
    if args.external:
        matrix["baselines"] = {role: {"summary": r.document["summary"] if r.document else {},
                                      "exit_status": r.exit_status, "problem": r.problem, "out": f"baselines/{role}"}
                               for role, r in sorted(baselines.items())}
        matrix["baseline"] = kill_matrix.summed([b["summary"] for b in matrix["baselines"].values()])
        matrix["baseline_status"] = max((b["exit_status"] if b["exit_status"] is not None else 3)
                                        for b in matrix["baselines"].values()) if baselines else None
    kill_matrix.write(matrix, out / kill_matrix.FILENAME)
    if base_doc is not None:
        outputs.write_reports(base_doc, out)
    # last: each run's console log (run.log) grew after the run wrote its manifest, and the baseline's folder
    # now holds the matrix and every fault's folder
    for p in runnable:
        if (out / "faults" / p.fault).is_dir():
            manifest.write(out / "faults" / p.fault)
    for role in baselines if args.external else ():
        if (out / "baselines" / role).is_dir():
            manifest.write(out / "baselines" / role)
    manifest.write(out)
    status = kill_matrix.exit_status(matrix)
    t = matrix["totals"]
    print(f"mcsec kill-matrix: {t['killed']} killed, {t['survived']} survived, {t['error']} broken, "
          f"{t['not_runnable']} not runnable; {t['scenario_runs']} scenario runs in "
          f"{matrix['suite']['wall_time_s']:.1f} s; {out / kill_matrix.FILENAME}")
    for row in ordered:
        if row["status"] == kill_matrix.SURVIVED:
            print(f"mcsec kill-matrix: SURVIVED {row['fault']}: {row['reason']}", file=sys.stderr)
    for sid, why in matrix["unkilled_explained"].items():
        print(f"mcsec kill-matrix: no fault makes {sid} fail (listed): {why}", file=sys.stderr)
    if matrix["unkilled_scenarios"]:
        print(f"mcsec kill-matrix: {len(matrix['unkilled_scenarios'])} scenario(s) no fault makes fail (they could "
              f"pass vacuously): {', '.join(matrix['unkilled_scenarios'])}", file=sys.stderr)
    if not kill_matrix.baseline_passes(matrix):
        print("mcsec kill-matrix: the baseline run did not pass everything; the matrix proves nothing",
              file=sys.stderr)
    for role, b in (matrix.get("baselines") or {}).items():
        if b["exit_status"] != 0:
            print(f"mcsec kill-matrix: the fault-free {role} served as the product did not pass "
                  f"(exit status {b['exit_status']}{': ' + b['problem'] if b['problem'] else ''}); see {b['out']}",
                  file=sys.stderr)
    return status
