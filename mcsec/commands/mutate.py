"""`mcsec mutate`: mutation testing of the reference roles' decision code (docs/mutation.md).

Each mutant's role is served from a package tree with one file mutated as the implementation under test
and the unchanged suite judges it (the vendor path of `mcsec kill-matrix --external`), after a baseline
of each role served unchanged; writes mutation.json and mutation.html into --out."""
from __future__ import annotations

import argparse
import datetime as _dt
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from mcsec import __version__
from mcsec.reports.results import EXIT_USAGE

DEFAULT_OUT = Path("reports") / "out" / "mutation"
RUN_TIMEOUT_S = 600.0
EXIT_BASELINE, EXIT_BROKEN = 1, 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mutate", help="mutation testing of the reference roles' decision code",
                       description="Mutate the decision code of the reference roles one change at a time, serve each "
                                   "mutated role as the implementation under test and judge it with the unchanged "
                                   "suite; write mutation.json and mutation.html. Exit status: 0 every mutant was "
                                   "judged (killed, survived or equivalent), 1 a role's unchanged baseline did not "
                                   "pass, 2 usage error, 3 a mutant's run gave no verdicts.")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}); each run under baselines/ROLE and mutants/ID")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="runs in parallel (default 2)")
    p.add_argument("--files", nargs="+", default=[], metavar="F",
                   help="mutate these files (named under the mcsec package, e.g. impl/kms/tokens.py; default: the "
                        "decision code listed by --list-targets)")
    p.add_argument("--role", choices=("idm", "kms", "server", "core", "client"), metavar="ROLE",
                   help="only the files served as ROLE; with --files, serve them as ROLE")
    p.add_argument("--id", dest="ids", nargs="+", default=[], metavar="ID",
                   help="only these mutants (ids as --list prints them); --sample then samples among them")
    p.add_argument("--sample", type=int, metavar="N", help="run N mutants chosen by --seed (default: every mutant)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="the seed of --sample (default 0)")
    p.add_argument("--equivalents", type=Path, metavar="FILE",
                   help="the reviewed list of equivalent mutants (default: the package's mutation/equivalents.toml)")
    p.add_argument("--list", action="store_true", help="print the chosen mutants and exit without running")
    p.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S, metavar="SECONDS",
                   help=f"longest a single run may take (default {RUN_TIMEOUT_S:.0f})")
    p.set_defaults(func=main)


def _targets(args: argparse.Namespace):
    from mcsec.mutation import targets as t
    from mcsec.mutation.tree import TreeError, source_path

    if not args.files:
        chosen = [x for x in t.DEFAULT_TARGETS if args.role in (None, x.role)]
        return chosen
    chosen = []
    for f in dict.fromkeys(args.files):
        try:
            source_path(f)
        except TreeError as exc:
            raise ValueError(str(exc)) from None
        role = args.role or t.role_of(f)
        if role is None:
            raise ValueError(f"{f}: no default role; name the role it is served as with --role")
        chosen.append(t.Target(f, role, ""))
    return chosen


def _line(n: int, total: int, row: dict) -> str:
    width = len(str(total))
    head = (f"[{n:>{width}}/{total}] {row['status'].upper():<10} {row['id']} {row['role']:<6} "
            f"{row['file']}:{row['line']} {row['operator']}")
    if row["status"] == "killed":
        return f"{head}: killed by {', '.join(row['killed_by'])} ({row['duration_s']:.1f} s)"
    return f"{head}: {row['reason']} ({row['duration_s']:.1f} s)"


def main(args: argparse.Namespace) -> int:
    from mcsec.commands.kill_matrix import Runs
    from mcsec.mutation import campaign, equivalents, tree
    from mcsec.reports import manifest
    from mcsec.reports import mutation as report

    if args.jobs < 1 or args.timeout <= 0 or (args.sample is not None and args.sample < 1):
        print("mcsec mutate: --jobs and --sample must be at least 1 and --timeout positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        targets = _targets(args)
        reviewed = equivalents.load(args.equivalents)
    except (ValueError, equivalents.EquivalentsError) as exc:
        print(f"mcsec mutate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not targets:
        print(f"mcsec mutate: no file is served as {args.role}", file=sys.stderr)
        return EXIT_USAGE
    every = campaign.mutants(targets)
    pool_of = every
    if args.ids:
        known = {p.mutant.id for p in every}
        unknown = [i for i in args.ids if i not in known]
        if unknown:
            print(f"mcsec mutate: no mutant of the chosen files has the id(s) {', '.join(unknown)}", file=sys.stderr)
            return EXIT_USAGE
        pool_of = [p for p in every if p.mutant.id in set(args.ids)]
    chosen = campaign.sample(pool_of, args.sample, args.seed)
    if args.list:
        for p in chosen:
            m = p.mutant
            mark = " (equivalent)" if m.id in reviewed else ""
            print(f"{m.id} {p.role:<6} {m.file}:{m.line} {m.function} {m.operator}: {m.original} => {m.mutated}{mark}")
        print(f"{len(chosen)} of {len(every)} mutants", file=sys.stderr)
        return 0

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / report.FILENAME).unlink(missing_ok=True)
    ids = {p.mutant.id for p in every}
    records: dict[str, dict] = {}
    to_run = []
    for p in chosen:
        if p.mutant.id in reviewed:
            records[p.mutant.id] = campaign.equivalent_record(p, reviewed[p.mutant.id])
        else:
            to_run.append(p)
    roles = sorted({p.role for p in to_run})
    print(f"mcsec mutate: {len(chosen)} of {len(every)} mutants ({len(chosen) - len(to_run)} reviewed equivalent), "
          f"baselines of {', '.join(roles) or 'no role'}, {args.jobs} jobs; output in {out}", flush=True)

    started = _dt.datetime.now(_dt.timezone.utc)
    wall = time.monotonic()
    runs = Runs(args.timeout)
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    baselines = {}
    done, total = len(records), len(chosen)
    for row in records.values():
        print(_line(list(records).index(row["id"]) + 1, total, row), flush=True)

    def run_mutant(p):
        folder = out / "mutants" / p.mutant.id
        shutil.rmtree(folder, ignore_errors=True)
        root = tree.build(folder / "tree", p.mutant.file, campaign.mutated_text(p.mutant))
        return runs.run(folder, [], (p.role, [], []), iut_pythonpath=root)

    try:
        # the check that a served role imports the tree's file, not the installed one
        for p in to_run[:1]:
            probe = out / "probe"
            shutil.rmtree(probe, ignore_errors=True)
            root = tree.build(probe, p.mutant.file, tree.source_path(p.mutant.file).read_bytes())
            origin = tree.loaded_from(root, p.mutant.file)
            shutil.rmtree(probe, ignore_errors=True)
            if not origin.is_relative_to(root):
                print(f"mcsec mutate: a process with the mutant tree first on PYTHONPATH imports {p.mutant.file} "
                      f"from {origin}; no mutant would run", file=sys.stderr)
                return EXIT_BROKEN
        futures = {pool.submit(runs.run, out / "baselines" / role, [], (role, [], [])): role for role in roles}
        for future in as_completed(futures):
            role, result = futures[future], future.result()
            baselines[role] = result
            counts = result.document["summary"] if result.document else {}
            print(f"    baseline ({role} served): "
                  f"{', '.join(f'{n} {v}' for v, n in counts.items() if n) or result.problem or 'no results'} "
                  f"({result.duration_s:.1f} s)", flush=True)
        runnable = [p for p in to_run if campaign.baseline_passes(baselines[p.role].document, p.role)]
        for p in to_run:
            if p not in runnable:
                records[p.mutant.id] = campaign.classify(p, None, None)
                done += 1
                print(_line(done, total, records[p.mutant.id]), flush=True)
        futures = {pool.submit(run_mutant, p): p for p in runnable}
        for future in as_completed(futures):
            p = futures[future]
            try:
                result = future.result()
                records[p.mutant.id] = campaign.classify(
                    p, baselines[p.role].document, result.document, problem=result.problem,
                    duration_s=result.duration_s, out=f"mutants/{p.mutant.id}")
            except (OSError, tree.TreeError) as exc:
                records[p.mutant.id] = campaign.classify(p, baselines[p.role].document, None,
                                                         problem=f"the mutant tree could not be built: {exc}")
            done += 1
            print(_line(done, total, records[p.mutant.id]), flush=True)
            shutil.rmtree(out / "mutants" / p.mutant.id / "tree", ignore_errors=True)
    except KeyboardInterrupt:
        runs.stop_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    finished = _dt.datetime.now(_dt.timezone.utc)
    rows = [records[p.mutant.id] for p in chosen]
    document = {
        "suite": {"name": "mcsec", "version": __version__, "started": started.isoformat(timespec="seconds"),
                  "finished": finished.isoformat(timespec="seconds"),
                  "wall_time_s": round(time.monotonic() - wall, 3), "jobs": args.jobs, "seed": args.seed,
                  "sample": args.sample, "files": [t.file for t in targets], "mutants_generated": len(every)},
        "baselines": {role: {"summary": r.document["summary"] if r.document else {}, "exit_status": r.exit_status,
                             "problem": r.problem, "out": f"baselines/{role}"} for role, r in sorted(baselines.items())},
        "totals": campaign.totals(rows),
        "mutants": rows,
        "equivalents_unmatched": sorted(i for i in reviewed if i not in ids),
    }
    report.write(document, out / report.FILENAME)
    report.write_html(document, out / report.HTML)
    manifest.write(out)
    t = document["totals"]
    score = "n/a" if t["score"] is None else f"{100 * t['score']:.1f} %"
    print(f"mcsec mutate: {t['mutants']} mutants: {t['killed']} killed, {t['survived']} survived, "
          f"{t['equivalent']} equivalent, {t['error']} errors; score {score}; "
          f"{document['suite']['wall_time_s']:.1f} s; {out / report.FILENAME}")
    for row in rows:
        if row["status"] == "survived":
            print(f"mcsec mutate: SURVIVED {row['id']} {row['file']}:{row['line']} {row['operator']}: "
                  f"{row['original']} => {row['mutated']}", file=sys.stderr)
    if document["equivalents_unmatched"] and not args.files and args.role is None:
        print(f"mcsec mutate: reviewed equivalents that name no mutant any more (review the list): "
              f"{', '.join(document['equivalents_unmatched'])}", file=sys.stderr)
    if any(not campaign.baseline_passes(baselines[r].document, r) for r in baselines):
        print("mcsec mutate: a role served unchanged did not pass its scenarios; its mutants prove nothing",
              file=sys.stderr)
        return EXIT_BASELINE
    return EXIT_BROKEN if t["error"] else 0
