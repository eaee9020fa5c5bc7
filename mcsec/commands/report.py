"""`mcsec report`: render the reports again from a results.json (optionally applying waivers)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcsec.reports import outputs, results, waivers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render compliance.html, junit.xml and cucumber.json from a results.json",
                       description="Render compliance.html, junit.xml and cucumber.json from a results.json. "
                                   "With --waivers, the waivers are applied (again) and the waived results.json "
                                   "is written to the output folder too. Exit status: that of the results "
                                   "(0 pass, 1 fail or stale waiver, 3 inconclusive or error), 2 for a usage "
                                   "error or an unreadable file.")
    p.add_argument("results", type=Path, metavar="RESULTS.json", help="the results.json of a run")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: the folder of RESULTS.json); evidence links point back to "
                        "the run's folder")
    p.add_argument("--waivers", type=Path, metavar="FILE", help="TOML file of known deviations (docs/reports.md)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:
        document = results.load(args.results)
    except results.ResultsError as exc:
        print(f"mcsec report: {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    run_dir = args.results.resolve().parent
    out_dir = (args.out or run_dir).resolve()
    if args.waivers is not None:
        try:
            waiver_list = waivers.load(args.waivers, known_requirements={r["id"] for r in document["requirements"]})
        except waivers.WaiverError as exc:
            print(f"mcsec report: {exc}", file=sys.stderr)
            return results.EXIT_USAGE
        waivers.apply(document, waiver_list)
        results.write(document, out_dir / "results.json")
    written = outputs.write_reports(document, out_dir, evidence_base=run_dir)
    for w in document.get("waivers", []):
        if w.get("status") == waivers.STALE:
            print(f"mcsec report: stale waiver for {w.get('scenario') or w.get('requirement')}: {w.get('note')}",
                  file=sys.stderr)
    print(f"mcsec report: wrote {', '.join(p.name for p in written)} to {out_dir}")
    return results.document_exit_status(document)
