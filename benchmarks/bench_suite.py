"""A full conformance run against the reference implementation with `--jobs 1` and `--jobs 2`, side by side.

Each round runs `mcsec run --jobs 1` and `mcsec run --jobs 2` (the order alternates from round to round,
so drift hits both alike), each into a fresh folder, and measures:
- wall time of the whole command (process start to exit: lab start-up, every scenario, reports);
- CPU time of the whole process tree (user + system of the run and every process below it: role
  processes, the role fork server and its children, workers, Kamailio when used), from
  getrusage(RUSAGE_CHILDREN) around the command; the benchmark is the tree's child subreaper, so a
  process that outlives its parent (the role fork server after the run exits) is waited for and counted;
- the median scenario duration (results.json scenarios[].duration_s);
- the verdict counts, which must be the same in every run (the benchmark stops otherwise).
Prints the median of each over the rounds, and the ratios jobs 1 / jobs 2.
With `--role-start fork exec` every round runs each of those role start modes too (MCSEC_ROLE_START:
roles forked from the warm role fork server, or each in a fresh interpreter) and the table compares them.

    .venv/bin/python benchmarks/bench_suite.py [--rounds 3] [--role-start fork exec] [-- EXTRA RUN ARGS]
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


_PR_SET_CHILD_SUBREAPER = 36
REAP_LIMIT_S = 30.0


@dataclass
class Sample:
    jobs: int
    role_start: str
    wall_s: float
    cpu_s: float
    median_scenario_s: float
    summary: dict


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _become_subreaper() -> None:
    """Orphaned descendants of the runs become our children (Linux), so their CPU time is counted."""
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"bench_suite: cannot become the child subreaper: {os.strerror(ctypes.get_errno())}")


def _reap_orphans() -> int:
    """Wait for every descendant left over from the last run (bounded); how many there were."""
    reaped, deadline = 0, time.monotonic() + REAP_LIMIT_S
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
        else:
            time.sleep(0.02)
    sys.exit(f"bench_suite: processes of the last run still live after {REAP_LIMIT_S:.0f} s")


def run_once(mcsec: str, jobs: int, role_start: str, extra: list[str], folder: Path) -> Sample:
    out = folder / f"jobs{jobs}-{role_start}"
    shutil.rmtree(out, ignore_errors=True)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run([mcsec, "run", "--jobs", str(jobs), "--out", str(out), *extra],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "MCSEC_ROLE_START": role_start})
    wall = time.perf_counter() - started
    _reap_orphans()
    cpu = _children_cpu() - cpu_before
    try:
        document = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        sys.exit(f"bench_suite: `mcsec run --jobs {jobs}` wrote no results (exit {proc.returncode}): "
                 f"{proc.stderr[-2000:]}")
    durations = [s["duration_s"] for s in document["scenarios"] if s["verdict"] != "not_applicable"]
    return Sample(jobs, role_start, wall, cpu, statistics.median(durations) if durations else 0.0,
                  {k: v for k, v in document["summary"].items() if v})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mcsec", default=str(Path(sys.executable).with_name("mcsec")))
    parser.add_argument("--role-start", nargs="+", default=["fork"], choices=["fork", "exec"],
                        help="role start modes to compare (MCSEC_ROLE_START); default fork only")
    parser.add_argument("extra", nargs="*", help="more `mcsec run` arguments (after --)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    _become_subreaper()
    modes = list(dict.fromkeys(args.role_start))
    cells = [(jobs, mode) for jobs in (1, 2) for mode in modes]
    samples: dict[tuple[int, str], list[Sample]] = {cell: [] for cell in cells}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        for n in range(args.rounds):
            for jobs, mode in (cells if n % 2 == 0 else cells[::-1]):
                sample = run_once(args.mcsec, jobs, mode, args.extra, Path(tmp))
                samples[jobs, mode].append(sample)
                print(f"round {n + 1} jobs {jobs} {mode}: wall {sample.wall_s:.1f} s, cpu {sample.cpu_s:.1f} s, "
                      f"median scenario {sample.median_scenario_s * 1000:.0f} ms, {sample.summary}", flush=True)
    summaries = {json.dumps(s.summary, sort_keys=True) for group in samples.values() for s in group}
    if len(summaries) != 1:
        print(f"bench_suite: the runs gave different verdicts: {sorted(summaries)}", file=sys.stderr)
        return 1

    def med(cell: tuple[int, str], attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in samples[cell])

    print(f"\nmedians over {args.rounds} rounds ({next(iter(summaries))}):")
    columns = [(f"jobs {j}" + (f" {m}" if len(modes) > 1 else ""), (j, m)) for j, m in cells]
    ratios = [(f"{m} 1/2", (1, m), (2, m)) for m in modes]
    if len(modes) > 1:
        ratios += [(f"j{j} {modes[0]}/{modes[1]}", (j, modes[0]), (j, modes[1])) for j in (1, 2)]
    print(f"{'':<22}" + "".join(f"{name:>13}" for name, _ in columns) + "".join(f"{name:>15}" for name, *_ in ratios))
    for label, attr, scale, unit in (("wall", "wall_s", 1, "s"), ("cpu (process tree)", "cpu_s", 1, "s"),
                                     ("median scenario", "median_scenario_s", 1000, "ms")):
        row = "".join(f"{med(cell, attr) * scale:>13.1f}" for _, cell in columns)
        for _, a, b in ratios:
            den = med(b, attr)
            row += f"{med(a, attr) / den if den else float('nan'):>15.2f}"
        print(f"{label + ' (' + unit + ')':<22}{row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
