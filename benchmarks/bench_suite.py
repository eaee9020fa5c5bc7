"""A full conformance run against the reference implementation with `--jobs 1` and `--jobs 2`, side by side.

Each round runs `mcsec run --jobs 1` and `mcsec run --jobs 2` (the order alternates from round to round,
so drift hits both alike), each into a fresh folder, and measures:
- wall time of the whole command (process start to exit: lab start-up, every scenario, reports);
- CPU time of the whole process tree (user + system of the run and every process it waited for: role
  processes, workers, Kamailio when used), from getrusage(RUSAGE_CHILDREN) around the command;
- the median scenario duration (results.json scenarios[].duration_s);
- the verdict counts, which must be the same in every run (the benchmark stops otherwise).
Prints the median of each over the rounds, and the ratios jobs 1 / jobs 2.

    .venv/bin/python benchmarks/bench_suite.py [--rounds 3] [--mcsec .venv/bin/mcsec] [-- EXTRA RUN ARGS]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Sample:
    jobs: int
    wall_s: float
    cpu_s: float
    median_scenario_s: float
    summary: dict


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(mcsec: str, jobs: int, extra: list[str], folder: Path) -> Sample:
    out = folder / f"jobs{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run([mcsec, "run", "--jobs", str(jobs), "--out", str(out), *extra],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    try:
        document = json.loads((out / "results.json").read_text())
    except (OSError, ValueError):
        sys.exit(f"bench_suite: `mcsec run --jobs {jobs}` wrote no results (exit {proc.returncode}): "
                 f"{proc.stderr[-2000:]}")
    durations = [s["duration_s"] for s in document["scenarios"] if s["verdict"] != "not_applicable"]
    return Sample(jobs, wall, cpu, statistics.median(durations) if durations else 0.0,
                  {k: v for k, v in document["summary"].items() if v})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mcsec", default=str(Path(sys.executable).with_name("mcsec")))
    parser.add_argument("extra", nargs="*", help="more `mcsec run` arguments (after --)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    samples: dict[int, list[Sample]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        for n in range(args.rounds):
            order = (1, 2) if n % 2 == 0 else (2, 1)
            for jobs in order:
                sample = run_once(args.mcsec, jobs, args.extra, Path(tmp))
                samples[jobs].append(sample)
                print(f"round {n + 1} jobs {jobs}: wall {sample.wall_s:.1f} s, cpu {sample.cpu_s:.1f} s, "
                      f"median scenario {sample.median_scenario_s * 1000:.0f} ms, {sample.summary}", flush=True)
    summaries = {json.dumps(s.summary, sort_keys=True) for group in samples.values() for s in group}
    if len(summaries) != 1:
        print(f"bench_suite: the runs gave different verdicts: {sorted(summaries)}", file=sys.stderr)
        return 1

    def med(jobs: int, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in samples[jobs])

    print(f"\nmedians over {args.rounds} rounds ({next(iter(summaries))}):")
    print(f"{'':<22}{'jobs 1':>10}{'jobs 2':>10}{'1 / 2':>8}")
    for label, attr, scale, unit in (("wall", "wall_s", 1, "s"), ("cpu (process tree)", "cpu_s", 1, "s"),
                                     ("median scenario", "median_scenario_s", 1000, "ms")):
        one, two = med(1, attr) * scale, med(2, attr) * scale
        print(f"{label + ' (' + unit + ')':<22}{one:>10.1f}{two:>10.1f}{one / two if two else float('nan'):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
