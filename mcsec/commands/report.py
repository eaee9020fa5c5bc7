"""`mcsec report`: render the reports again from a results.json (optionally applying waivers), compare
two runs (`mcsec report diff`) and check a run folder against its manifest (`mcsec report verify`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcsec.reports import diff, manifest, outputs, results, waivers

USAGE = """mcsec report RESULTS.json [--out DIR] [--waivers FILE] [--sign-key KEY.pem]
       mcsec report diff OLD NEW [--json]
       mcsec report verify DIR [--public-key PEM]
       mcsec report merge RESULTS.json... --out DIR [--waivers FILE] [--sign-key KEY.pem]"""

DESCRIPTION = """\
mcsec report RESULTS.json renders compliance.html, junit.xml and cucumber.json from a results.json.
With --waivers, the waivers are applied (again) and the waived results.json is written to the output
folder too. The output folder's manifest.json is written again last (signed with --sign-key).
Exit status: that of the results (0 pass, 1 fail or stale waiver, 3 inconclusive or error), 2 for a
usage error or an unreadable file.

mcsec report diff OLD NEW compares two runs (each a results.json or a run folder): the scenarios and
requirements that regressed, were fixed, changed applicability or waiver, appeared or disappeared
(the rule is in docs/reports.md). Exit status: 1 when anything regressed, 0 otherwise, 2 for a usage
error. `mcsec report diff --help` for its options.

mcsec report verify DIR recomputes the SHA-256 of every file of a run folder against its
manifest.json and checks its signature when it has one (with --public-key, it must be signed by that
key). Exit status: 0 everything matches, 1 a file changed, is missing or was added, or the signature
does not hold, 2 for a usage error (no such folder, no manifest.json, an unusable key file).

mcsec report merge RESULTS.json... --out DIR puts the results of the shards of one run (`mcsec run
--shard K/N`) together: one results.json, every report, the evidence each lists copied into DIR, the
shards' role logs under DIR/logs/shard-N/. Exit status: that of the merged results; 2 for a usage error
(unreadable results, shards of different profiles, a scenario in two shards)."""

FORMS = ("diff", "verify", "merge")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the reports from a results.json again; compare two runs (diff); "
                                      "check a run folder against its manifest (verify)",
                       usage=USAGE, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="RESULTS.json | diff | verify",
                   help="the results.json to render, or the form: diff, verify")
    _render_options(p)
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=main)


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: the folder of RESULTS.json); evidence links point back to "
                        "the run's folder")
    p.add_argument("--waivers", type=Path, metavar="FILE", help="TOML file of known deviations (docs/reports.md)")
    p.add_argument("--sign-key", type=Path, metavar="KEY.pem",
                   help="Ed25519 private key (PEM) that signs the output folder's manifest.json")


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


def _verify_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mcsec report verify",
        description="Check a run folder against its manifest.json: recompute the SHA-256 of every file, list "
                    "the files changed, missing or added, and verify manifest.sig when the manifest records a "
                    "signature. Exit status: 0 everything matches, 1 it does not, 2 for a usage error.")
    p.add_argument("folder", type=Path, metavar="DIR", help="the run's output folder")
    p.add_argument("--public-key", type=Path, metavar="PEM",
                   help="Ed25519 public key (PEM) that must have signed the manifest: without it a signature is "
                        "only checked against the key the manifest itself records")
    return p


def main(args: argparse.Namespace) -> int:
    if args.target in FORMS:
        given = [o for o, v in (("--out", args.out), ("--waivers", args.waivers), ("--sign-key", args.sign_key))
                 if v is not None]
        if given and args.target == "merge":  # merge takes the render options after its inputs
            args.rest = [*args.rest, *[a for o, v in (("--out", args.out), ("--waivers", args.waivers),
                                                     ("--sign-key", args.sign_key)) if v is not None
                                       for a in (o, str(v))]]
        elif given:
            print(f"mcsec report {args.target}: {' and '.join(given)} belong to `mcsec report RESULTS.json`",
                  file=sys.stderr)
            return results.EXIT_USAGE
        if args.target == "verify":
            return run_verify(_verify_parser().parse_args(args.rest))
        if args.target == "merge":
            return run_merge(_merge_parser().parse_args(args.rest))
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
    sign_key = None
    if args.sign_key is not None:
        try:
            sign_key = manifest.load_private_key(args.sign_key)
        except manifest.ManifestError as exc:
            print(f"mcsec report: --sign-key {exc}", file=sys.stderr)
            return results.EXIT_USAGE
    was_signed = (out_dir / manifest.SIGNATURE).exists()
    if args.waivers is not None:
        try:
            waiver_list = waivers.load(args.waivers, known_requirements={r["id"] for r in document["requirements"]})
        except waivers.WaiverError as exc:
            print(f"mcsec report: {exc}", file=sys.stderr)
            return results.EXIT_USAGE
        waivers.apply(document, waiver_list)
        results.write(document, out_dir / "results.json")
    written = outputs.write_reports(document, out_dir, evidence_base=run_dir,
                                    signed_by=manifest.signer_fingerprint(sign_key))
    manifest.write(out_dir, sign_key)       # last: the folder changed
    if was_signed and sign_key is None:
        print(f"mcsec report: {out_dir / manifest.MANIFEST} written again without a signature "
              f"(--sign-key signs it)", file=sys.stderr)
    for w in document.get("waivers", []):
        if w.get("status") == waivers.STALE:
            print(f"mcsec report: stale waiver for {w.get('scenario') or w.get('requirement')}: {w.get('note')}",
                  file=sys.stderr)
    print(f"mcsec report: wrote {', '.join(p.name for p in written)}, {manifest.MANIFEST} to {out_dir}")
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


def run_verify(args: argparse.Namespace) -> int:
    try:
        public_key = manifest.load_public_key(args.public_key) if args.public_key is not None else None
    except manifest.ManifestError as exc:
        print(f"mcsec report verify: --public-key {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    try:
        v = manifest.verify(args.folder, public_key)
    except manifest.ManifestError as exc:
        print(f"mcsec report verify: {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    print(f"{v.folder}: {v.files} files in {manifest.MANIFEST}")
    for label, paths in (("changed", v.changed), ("missing", v.missing), ("added", v.added)):
        for path in paths:
            print(f"{label}: {path}")
    for problem in v.problems:
        print(f"problem: {problem}")
    if v.signed_by:
        print(f"signature: valid, Ed25519 key {v.signed_by}")
    elif not v.problems:
        print("signature: none (the manifest is not signed)")
    if v.ok:
        print("OK")
    else:
        files = f"{len(v.changed)} changed, {len(v.missing)} missing, {len(v.added)} added"
        what = [files] if v.changed or v.missing or v.added else []
        what += [f"{len(v.problems)} problem{'s' if len(v.problems) != 1 else ''} with the manifest or its "
                 f"signature"] if v.problems else []
        print(f"FAILED: {'; '.join(what)}")
    return results.EXIT_OK if v.ok else results.EXIT_FAIL


def _merge_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mcsec report merge",
        description="Merge the results of the shards of one run (mcsec run --shard K/N) into one results.json "
                    "and every report, with the evidence the shards list copied into the output folder. Exit "
                    "status: that of the merged results; 2 for a usage error.")
    p.add_argument("inputs", type=Path, nargs="+", metavar="RESULTS.json", help="the shards' results (or folders)")
    _render_options(p)
    return p


def run_merge(args: argparse.Namespace) -> int:
    from mcsec.catalogue import scan_scenarios
    from mcsec.reports import merge

    if args.out is None:
        print("mcsec report merge: --out DIR is needed (where the merged run goes)", file=sys.stderr)
        return results.EXIT_USAGE
    paths = [p / "results.json" if p.is_dir() else p for p in args.inputs]
    try:
        documents = [results.load(p) for p in paths]
        merged = merge.merge(documents, order=[s.id for s in scan_scenarios()])
    except (results.ResultsError, merge.MergeError) as exc:
        print(f"mcsec report merge: {exc}", file=sys.stderr)
        return results.EXIT_USAGE
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for n, (path, document) in enumerate(zip(paths, documents), start=1):
        merge.copy_evidence(path.resolve().parent, out, document, logs_as=f"shard-{n}")
    results.write(merged, out / "results.json")
    args.out = None
    return run_render(out / "results.json", args)
