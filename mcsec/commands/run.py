"""`mcsec run`: the conformance run against a profile (the bundled reference by default)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mcsec.fixtures.keylog import KeyLog
from mcsec.fixtures.profile import ProfileError, load, parse_switch
from mcsec.impl.faults import REGISTRY
from mcsec.catalogue import load_catalogue
from mcsec.reports import manifest, waivers
from mcsec.reports.results import EXIT_USAGE

DEFAULT_OUT = Path("reports") / "out" / "latest"  # under the current folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the conformance scenarios and write the reports",
                       description="Run the conformance scenarios against a SUT profile and write "
                                   "results.json, junit.xml, cucumber.json and compliance.html. Exit status: "
                                   "0 all applicable scenarios pass (or are waived), 1 a scenario fails or a "
                                   "waiver is stale, 2 usage or profile error, 3 the worst verdict is "
                                   "inconclusive or error.")
    p.add_argument("--sut", type=Path, metavar="PROFILE.toml",
                   help="SUT profile (default: the bundled reference implementation plays every role)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT}, under the current folder)")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="switch on a named fault of the reference implementation (repeatable; "
                        "also MCSEC_FAULTS=a,b). `--fault list` lists them.")
    p.add_argument("--ics", action="append", default=[], metavar="ITEM=true|false",
                   help="switch a yes/no ICS item of the profile (protection_required, idm_test_control, "
                        "replay_stamp): the reference implementation plays either side (repeatable)")
    p.add_argument("--requirement", action="append", default=[], metavar="ID",
                   help="run only the scenarios citing this requirement (repeatable)")
    p.add_argument("--waivers", type=Path, metavar="FILE",
                   help="TOML file of known deviations ([[waiver]] scenario or requirement, reason, expires): "
                        "a matching fail becomes waived; an expired waiver, or one whose scenario passes, "
                        "fails the run (docs/reports.md)")
    p.add_argument("--sip-core", choices=("reference", "kamailio"),
                   help="the SIP core the lab runs (default: the profile's [lab] sip_core, else reference)")
    p.add_argument("--topology", choices=("loopback", "netns"),
                   help="where the lab's SIP roles run: loopback (SIP-1 and SIP-2 told apart by port) or netns "
                        "(client, SIP core and MCPTT server in network namespaces joined by veth pairs, "
                        "captured by interface; needs root). Default: the profile's [lab] topology, else loopback")
    p.add_argument("--sign-key", type=Path, metavar="KEY.pem",
                   help="Ed25519 private key (PEM) that signs the run's manifest.json (manifest.sig); "
                        "`mcsec report verify` checks it (docs/reports.md)")
    p.add_argument("--key-log", type=Path, metavar="FILE",
                   help="write every CEK and CSK the run used, with its Key ID, to FILE (owner-only, appended), "
                        "so that `mcsec judge` and `mcsec smime open` can open the run's captures later "
                        "(docs/judge.md). Off by default; results.json and compliance.html say when it was on")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k expression on scenario names")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="run in N worker processes, each with a lab of its own and a shard of the scenarios, "
                        "merged into one set of reports (default: the number of cores when the lab runs every "
                        "role, else 1)")
    p.add_argument("--shard", metavar="K/N",
                   help="run only the Kth of N deterministic parts of the selected scenarios (the same split on "
                        "every machine); `mcsec report merge` puts the parts' results together")
    p.add_argument("--progress", choices=("text", "json"), default="text", help=argparse.SUPPRESS)
    p.set_defaults(func=main)


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    k, sep, n = text.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise ValueError(f"expects K/N with 1 <= K <= N, got {text!r}")
    return int(k), int(n)


SCENARIOS_PER_WORKER = 8  # fewer, and a worker's own lab costs more than it saves


def _jobs(asked: int | None, profile, selection) -> int | str:
    """How many workers: as asked (at most one per few scenarios), else the number of cores when every
    role is the lab's (roles outside the lab, or fixed lab ports, cannot be shared by parallel labs)."""
    if asked is not None and asked < 1:
        return f"must be at least 1, got {asked}"
    shared = [r for r in ("idm", "kms", "server", "core", "client") if profile.external(r) is not None]
    fixed = any(vars(profile.lab.ports).values())
    if asked is not None and asked > 1 and (shared or fixed):
        what = f"the {', '.join(shared)} outside the lab" if shared else "fixed [lab.ports]"
        return f"{asked}: workers each start a lab of their own, which {what} cannot be shared with"
    if shared or fixed or selection.shard is not None or asked == 1:
        return 1  # (one job asked: no need to count the scenarios, which parses every feature)
    from mcsec.catalogue import scan_scenarios

    count = len(selection.part([s for s in scan_scenarios() if selection.takes(s)]))
    wanted = asked if asked is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, count // SCENARIOS_PER_WORKER))


def main(args: argparse.Namespace) -> int:
    from mcsec import runner  # imported late: pytest start-up is not needed for --help
    from mcsec.fixtures.session import Selection

    if "list" in args.fault:
        for fault in REGISTRY.values():
            print(f"{fault.name:<32} {fault.role:<7} {', '.join(fault.requirements):<28} {fault.description}")
        return 0
    faults = list(args.fault) + [f.strip() for f in os.environ.get("MCSEC_FAULTS", "").split(",") if f.strip()]
    try:
        switches = dict(parse_switch(text) for text in args.ics)
        profile = load(args.sut, extra_faults=faults, sip_core=args.sip_core, topology=args.topology,
                       ics_overrides=switches)
    except ProfileError as exc:
        print(f"mcsec run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    known = {r.id for r in load_catalogue()}
    unknown = [r for r in args.requirement if r not in known]
    if unknown:
        print(f"mcsec run: unknown requirement(s): {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    waiver_list = None
    if args.waivers is not None:
        try:
            waiver_list = waivers.load(args.waivers, known_requirements=known)
        except waivers.WaiverError as exc:
            print(f"mcsec run: {exc}", file=sys.stderr)
            return EXIT_USAGE
    sign_key = None
    if args.sign_key is not None:
        try:
            sign_key = manifest.load_private_key(args.sign_key)
        except manifest.ManifestError as exc:
            print(f"mcsec run: --sign-key {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        shard = _shard(args.shard)
    except ValueError as exc:
        print(f"mcsec run: --shard {exc}", file=sys.stderr)
        return EXIT_USAGE
    selection = Selection(requirements=frozenset(args.requirement), shard=shard)
    jobs = _jobs(args.jobs, profile, selection)
    if isinstance(jobs, str):
        print(f"mcsec run: --jobs {jobs}", file=sys.stderr)
        return EXIT_USAGE
    key_log = None
    if args.key_log is not None:
        key_log = KeyLog(args.key_log.resolve())
        try:
            key_log.open()
        except OSError as exc:
            print(f"mcsec run: --key-log {args.key_log}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if jobs > 1:
        if key_log is not None:
            key_log.close()   # the workers append to the file themselves
        worker_argv = [*(["--sut", str(args.sut.resolve())] if args.sut else []),
                       *[a for text in args.ics for a in ("--ics", text)],
                       *[a for f in faults for a in ("--fault", f)], *[a for r in args.requirement for a in ("--requirement", r)],
                       *(["--sip-core", args.sip_core] if args.sip_core else []),
                       *(["--topology", args.topology] if args.topology else []),
                       *(["-k", args.keyword] if args.keyword else []),
                       *(["--key-log", str(args.key_log.resolve())] if args.key_log else [])]
        try:
            outcome = runner.run_parallel(worker_argv, jobs, profile, args.out.resolve(), waivers=waiver_list,
                                          sign_key=sign_key)
        except runner.WorkerUsageError as exc:
            print(f"mcsec run: {exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        outcome = runner.run(profile, args.out.resolve(), selection=selection, keyword=args.keyword,
                             waivers=waiver_list, sign_key=sign_key, progress_json=args.progress == "json",
                             key_log=key_log)
    if args.progress == "json":
        return outcome.exit_status
    counts = outcome.document["summary"]
    summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    print(f"mcsec: {summary or 'no scenarios'} in {outcome.document['suite']['duration_s']:.1f} s; "
          f"reports in {outcome.out_dir}")
    for w in outcome.document.get("waivers", []):
        if w["status"] == waivers.STALE:
            print(f"mcsec: stale waiver for {w.get('scenario') or w.get('requirement')}: {w['note']}",
                  file=sys.stderr)
    logged = outcome.document["suite"].get("key_log") or {}
    if logged.get("enabled"):
        print(f"mcsec: key log on: {logged['keys']} keys in {logged['file']} (keep it private); "
              f"{len(logged['unresolved'])} Key IDs seen without their key")
    for error in outcome.document["suite"]["errors"]:
        print(f"mcsec: suite error: {error}", file=sys.stderr)
    return outcome.exit_status
