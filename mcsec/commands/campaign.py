"""`mcsec campaign CAMPAIGN.toml`: many product runs in one go and the interop matrix of their products
(mcsec/campaign.py runs them, reports/campaign.py writes campaign.json and the pages; docs/campaign.md)."""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import time
from pathlib import Path

from mcsec.reports.results import EXIT_USAGE

DEFAULT_OUT = Path("reports") / "out" / "campaign"  # under the current folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="run every product of a campaign file and write the interop matrix",
                       description="Run each entry of a campaign file (a SUT profile, a reference role served as "
                                   "the product, or the built-in reference) as a conformance run with a lab of its "
                                   "own, up to --jobs at a time, and write index.html, interop-matrix.html and "
                                   "campaign.json (docs/campaign.md). Exit status: 0 every run passes, 1 a run "
                                   "fails, 2 usage or campaign file error, 3 the worst run is inconclusive or "
                                   "broken.")
    p.add_argument("campaign", type=Path, metavar="CAMPAIGN.toml", help="the campaign file")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}, under the current folder); each run goes to "
                        "DIR/runs/NAME/")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="runs at a time, each `mcsec run --jobs 1` with a lab of its own (default: the number of "
                        "cores, at most the number of entries)")
    p.add_argument("--sign-key", type=Path, metavar="KEY.pem",
                   help="Ed25519 private key (PEM) that signs DIR/manifest.json, which covers every run's files")
    p.set_defaults(func=main)


def _progress(n: int, total: int, outcome) -> str:
    from mcsec.reports.campaign import summed

    entry = outcome.entry
    width = len(str(total))
    pairs = "; ".join(f"{a} × {b}" for a, b in entry.pairs)
    counts = ", ".join(f"{c} {v.replace('_', ' ')}" for v, c in summed([outcome.document["summary"]]).items() if c) \
        if outcome.document else ""
    detail = "; ".join(x for x in (counts, outcome.problem) if x) or "no scenarios"
    return (f"[{n:>{width}}/{total}] {outcome.status.upper():<12} {entry.name:<20} {pairs}: {detail} "
            f"({outcome.duration_s:.1f} s)")


def main(args: argparse.Namespace) -> int:
    from mcsec import campaign as campaigns
    from mcsec.reports import campaign as report
    from mcsec.reports import manifest

    try:
        campaign = campaigns.load(args.campaign)
    except campaigns.CampaignError as exc:
        print(f"mcsec campaign: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print(f"mcsec campaign: --jobs must be at least 1, got {args.jobs}", file=sys.stderr)
        return EXIT_USAGE
    sign_key = None
    if args.sign_key is not None:
        try:
            sign_key = manifest.load_private_key(args.sign_key)
        except manifest.ManifestError as exc:
            print(f"mcsec campaign: --sign-key {exc}", file=sys.stderr)
            return EXIT_USAGE
    jobs = min(args.jobs if args.jobs is not None else (os.cpu_count() or 1), len(campaign.entries))
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in (report.FILENAME, report.INDEX, report.MATRIX):
        (out / stale).unlink(missing_ok=True)
    total = len(campaign.entries)
    print(f"mcsec campaign: {campaign.name}: {total} runs, {jobs} at a time; output in {out}", flush=True)
    runner = campaigns.Runner(out, campaign.timeout_s)
    count = {"n": 0}

    def done(outcome) -> None:
        count["n"] += 1
        print(_progress(count["n"], total, outcome), flush=True)

    started = _dt.datetime.now(_dt.timezone.utc)
    wall = time.monotonic()
    try:
        outcomes = campaigns.schedule(list(campaign.entries), jobs, runner.run, done, stop=runner.stop_all)
    except KeyboardInterrupt:
        print("mcsec campaign: interrupted; the runs were stopped", file=sys.stderr, flush=True)
        raise
    finished = _dt.datetime.now(_dt.timezone.utc)
    document = campaigns.document(campaign, outcomes, out, started=started, finished=finished,
                                  wall_time_s=time.monotonic() - wall, jobs=jobs)
    written = report.write(document, out)
    manifest.write(out, sign_key)   # last: every run's files, their console logs and the pages
    t = document["totals"]
    print(f"mcsec campaign: {t['pass']} pass, {t['fail']} fail, {t['inconclusive']} inconclusive, {t['broken']} "
          f"broken of {t['entries']} runs in {document['suite']['wall_time_s']:.1f} s with {jobs} at a time; "
          f"{written[1]}, {written[2]}")
    for entry in document["entries"]:
        if entry["status"] == "broken":
            print(f"mcsec campaign: {entry['name']} broken: {entry['problem'] or 'no results'}; see "
                  f"{out / entry['log']}", file=sys.stderr)
    return document["exit_status"]
