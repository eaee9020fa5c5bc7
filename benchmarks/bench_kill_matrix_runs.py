"""One kill-matrix run started the way the matrix starts it (forked from the warm fork server) and the
way a user starts it (a fresh `python -m mcsec.cli run` process), side by side.

For each of the first N runnable faults of the registry (one run each: `mcsec run --jobs 1 --fault F
--requirement R...`, the scenarios citing the fault's requirements, as the matrix runs them), each round
runs the fault both ways, in alternating order, into fresh folders, and measures the wall time of the run
(process start to exit, lab and reports included). Prints the median of each way over all runs and the
ratio fresh / forked; stops if the two ways give different verdicts for a fault.

    .venv/bin/python benchmarks/bench_kill_matrix_runs.py [--faults 6] [--rounds 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcsec.catalogue import citations, load_catalogue, scan_scenarios
from mcsec.commands.kill_matrix import Runs, lab_run_args
from mcsec.fixtures.lab import LAB_ROLES
from mcsec.impl.faults import REGISTRY
from mcsec.reports import kill_matrix


def fresh(out: Path, argv: list[str]) -> tuple[float, dict]:
    out.mkdir(parents=True)
    started = time.perf_counter()
    with open(out / "run.log", "wb") as log:
        subprocess.run([sys.executable, "-m", "mcsec.cli", *argv], stdout=log, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, _verdicts(out)


def forked(runs: Runs, out: Path, extra: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    runs.run(out, extra)
    return time.perf_counter() - started, _verdicts(out)


def _verdicts(out: Path) -> dict:
    try:
        return {s["id"]: s["verdict"] for s in json.loads((out / "results.json").read_text())["scenarios"]}
    except (OSError, ValueError, KeyError):
        return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", type=int, default=6, help="how many faults (the first runnable ones)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.faults < 1 or args.rounds < 1:
        parser.error("--faults and --rounds must be at least 1")
    cited = citations(load_catalogue(), scan_scenarios())
    plans = [p for p in (kill_matrix.plan(f, LAB_ROLES, cited) for f in REGISTRY.values()) if p.runnable]
    plans = plans[:args.faults]
    runs = Runs(timeout_s=600)
    times: dict[str, list[float]] = {"fresh": [], "forked": []}
    with tempfile.TemporaryDirectory(prefix="bench-km-") as tmp:
        for n in range(args.rounds):
            for i, p in enumerate(plans):
                extra = lab_run_args(p)
                seen = {}
                for way in (("fresh", "forked") if (n + i) % 2 == 0 else ("forked", "fresh")):
                    out = Path(tmp) / f"{n}-{p.fault}-{way}"
                    if way == "fresh":
                        wall, verdicts = fresh(out, ["run", "--jobs", "1", "--out", str(out), *extra])
                    else:
                        wall, verdicts = forked(runs, out, extra)
                    times[way].append(wall)
                    seen[way] = verdicts
                if seen["fresh"] != seen["forked"] or not seen["fresh"]:
                    print(f"bench_kill_matrix_runs: {p.fault}: the two ways gave different verdicts (or none)",
                          file=sys.stderr)
                    return 1
                print(f"round {n + 1} {p.fault}: fresh {times['fresh'][-1]:.2f} s, forked {times['forked'][-1]:.2f} s",
                      flush=True)
    fresh_m, forked_m = statistics.median(times["fresh"]), statistics.median(times["forked"])
    print(f"\nmedians over {len(times['fresh'])} runs each ({len(plans)} faults x {args.rounds} rounds):")
    print(f"  fresh process  {fresh_m:6.2f} s\n  forked         {forked_m:6.2f} s\n  fresh / forked {fresh_m / forked_m:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
