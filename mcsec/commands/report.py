"""`mcsec report`: render the reports again from a results.json (optionally applying waivers), and
compare two runs (`mcsec report diff`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcsec.reports import diff, outputs, results, waivers

USAGE = """mcsec report RESULTS.json [--out DIR] [--waivers FILE]
       mcsec report diff OLD NEW [--json]"""

DESCRIPTION = """\
mcsec report RESULTS.json renders compliance.html, junit.xml and cucumber.json from a results.json.
With --waivers, the waivers are applied (again) and the waived results.json is written to the output
folder too. Exit status: that of the results (0 pass, 1 fail or stale waiver, 3 inconclusive or
error), 2 for a usage error or an unreadable file.

mcsec report diff OLD NEW compares two runs (each a results.json or a run folder): the scenarios and
requirements that regressed, were fixed, changed applicability or waiver, appeared or disappeared
(the rule is in docs/reports.md). Exit status: 1 when anything regressed, 0 otherwise, 2 for a usage
error. `mcsec report diff --help` for its options."""

FORMS = ("diff",)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the reports from a results.json again; compare two runs (diff)",
                       usage=USAGE, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="RESULTS.json | diff",
                   help="the results.json to render, or the form: diff")
    _render_options(p)
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=main)


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: the folder of RESULTS.json); evidence links point back to "
                        "the run's folder")
    p.add_argument("--waivers", type=Path, metavar="FILE", help="TOML file of known deviations (docs/reports.md)")


def _diff_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mcsec report diff",
        description="Compare two runs: the scenarios (by test-purpose id) and requirements that regressed, "
                    "were fixed, changed applicability (not_applicable or not_tested on one side) or waiver "
                    "(fail <-> waived), appeared or disappeared, with the counts. A change to a later verdict "
                    "of pass, not_applicable, waived, inconclusive, fail, error is a regression (docs/reports.md "
                    "has the whole rule). Exit status: 1 when anything regressed, 0 otherwise, 2 for a usage "
                    "error (an unreadable file, not a results document).")
    p.add_argument("old", type=Path, metavar="OLD", help="the earlier run: its results.json or its folder")
    p.add_argument("new", type=Path, metavar="NEW", help="the later run: its results.json or its folder")
    p.add_argument("--json", action="store_true", help="print one JSON object (for tools) instead of text")
    return p


def main(args: argparse.Namespace) -> int:
    if args.target in FORMS:
        given = [o for o, v in (("--out", args.out), ("--waivers", args.waivers)) if v is not None]
        if given:
            print(f"mcsec report {args.target}: {' and '.join(given)} belong to `mcsec report RESULTS.json`",
                  file=sys.stderr)
            return results.EXIT_USAGE
        return run_diff(_diff_parser().parse_args(args.rest))
    render = argparse.ArgumentParser(prog="mcsec report RESULTS.json", add_help=False)
    _render_options(render)
    render.parse_args(args.rest, namespace=args)
    return run_render(Path(args.target), args)


def run_render(path: Path, args: argparse.Namespace) -> int:
    try:
        document = results.load(path)
    except results.ResultsError as exc:
        print(f"mcsec report: {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    run_dir = path.resolve().parent
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


def run_diff(args: argparse.Namespace) -> int:
    try:
        old = diff.load(args.old)
        new = diff.load(args.new)
    except results.ResultsError as exc:
        print(f"mcsec report diff: {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    d = diff.diff(old, new, diff.results_path(args.old), diff.results_path(args.new))
    print(json.dumps(d.as_json(), indent=2) if args.json else diff.render_text(d))
    return results.EXIT_FAIL if d.regressed else results.EXIT_OK
