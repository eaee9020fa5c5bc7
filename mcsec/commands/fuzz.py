"""`mcsec fuzz`: generative, structure-aware fuzzing of one role of the implementation under test over its
real sockets (docs/fuzz.md)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mcsec.fixtures.profile import ProfileError, load

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_BROKEN = 0, 1, 2, 3
DEFAULT_OUT = Path("reports") / "out" / "fuzz-sut"
RESULTS = "results.json"
_LAB_ROLES = {"server": ("idm", "kms", "server", "core"), "core": ("idm", "kms", "server", "core"),
              "kms": ("idm", "kms"), "idm": ("idm",)}


def register(sub: argparse._SubParsersAction) -> None:
    from mcsec.fixtures.fuzz.targets import DEFAULT_ANSWER_TIMEOUT_S, FAMILIES, ROLES

    p = sub.add_parser(
        "fuzz", help="send generated malformed inputs to one role over its real sockets and judge each answer",
        description="Draw cases from --seed (the same seed draws the same cases), each a valid base input of one "
                    "of the role's families changed by mutation steps that know its structure, send them to the "
                    "role, and check each answer's class against the classes the cited standards allow. A "
                    "liveness probe (a valid request that must succeed) follows every batch. A case answered "
                    "outside its classes is re-sent, minimised (ddmin over its steps) and kept as evidence. "
                    "Families: " + "; ".join(f"{r}: {', '.join(f)}" for r, f in FAMILIES.items()) + ". Writes "
                    "results.json (a 'fuzz' section; merged into a run's results.json already in --out, whose "
                    "compliance.html is then rendered again) and fuzz.html. Exit status: 0 no finding, 1 "
                    "findings, 2 usage error, 3 the run could not be made.")
    p.add_argument("--sut", type=Path, metavar="PROFILE.toml", help="profile (default: the built-in reference)")
    p.add_argument("--role", required=True, choices=ROLES, help="the role to fuzz")
    p.add_argument("--family", action="append", default=[], metavar="NAME",
                   help="only this family of the role (repeatable; default: all of the role's)")
    bound = p.add_mutually_exclusive_group()
    bound.add_argument("--cases", type=int, metavar="N", help="send N cases (default 200)")
    bound.add_argument("--seconds", type=float, metavar="S",
                       help="start no batch after S seconds (cases are still bounded, by 100000)")
    p.add_argument("--seed", type=int, required=True, metavar="X", help="the seed the cases are drawn from")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--batch", type=int, default=20, metavar="N", help="cases between liveness probes (default 20)")
    p.add_argument("--answer-timeout", type=float, default=DEFAULT_ANSWER_TIMEOUT_S, metavar="S",
                   help=f"how long a SIP case waits for its final answer (default {DEFAULT_ANSWER_TIMEOUT_S}; "
                        "HTTP cases wait 5 times as long)")
    p.add_argument("--max-ddmin-tests", type=int, default=32, metavar="N",
                   help="exchanges one minimisation may take (default 32)")
    p.set_defaults(func=main)


def _err(message: str) -> None:
    print(f"mcsec fuzz: {message}", file=sys.stderr)


def write_results(out: Path, section: dict) -> Path:
    """Put ``section`` into DIR/results.json: into a run's document already there (its compliance.html is
    rendered again), or a document of its own; and render DIR/fuzz.html from every fuzz section held."""
    from mcsec.reports.fuzz import HTML, write_html

    path = out / RESULTS
    document: dict = {}
    if path.exists():
        try:
            document = json.loads(path.read_text())
        except ValueError:
            document = {}
    runs = [r for r in document.get("fuzz", []) if r.get("role") != section["role"]] + [section]
    document["fuzz"] = runs
    if "scenarios" not in document:
        document.setdefault("schema", "mcsec-fuzz/1")
    path.write_text(json.dumps(document, indent=1) + "\n")
    write_html(runs, out / HTML)
    if "scenarios" in document:
        from mcsec.reports.outputs import write_reports
        write_reports(document, out)
    return path


def main(args: argparse.Namespace) -> int:
    from mcsec.fixtures.fuzz.run import FuzzConfig, fuzz
    from mcsec.fixtures.fuzz.targets import FAMILIES, FuzzSetupError, make_target
    from mcsec.fixtures.lab import Lab, OutsidePeerUnavailable, RoleStartError

    cases = args.cases if args.cases is not None else (100000 if args.seconds is not None else 200)
    if cases < 1 or args.batch < 1 or args.max_ddmin_tests < 0 or args.answer_timeout <= 0:
        _err("--cases and --batch must be at least 1, --max-ddmin-tests at least 0, --answer-timeout positive")
        return EXIT_USAGE
    if args.seconds is not None and args.seconds <= 0:
        _err("--seconds must be positive")
        return EXIT_USAGE
    unknown = [f for f in args.family if f not in FAMILIES[args.role]]
    if unknown:
        _err(f"--family {', '.join(unknown)}: the {args.role}'s families are {', '.join(FAMILIES[args.role])}")
        return EXIT_USAGE
    try:
        profile = load(args.sut)
    except ProfileError as exc:
        _err(str(exc))
        return EXIT_USAGE
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    config = FuzzConfig(args.seed, cases, args.seconds, args.batch, args.max_ddmin_tests)
    lab = Lab(profile, out / "lab", roles=_LAB_ROLES[args.role])
    try:
        lab.start()
        target = make_target(args.role, lab, profile, answer_timeout_s=args.answer_timeout,
                             families=tuple(args.family) or None)
        try:
            section = fuzz(target, config, out)
        finally:
            target.close()
    except (FuzzSetupError, RoleStartError, OutsidePeerUnavailable, ProfileError, OSError, RuntimeError) as exc:
        _err(f"the run could not be made: {exc}")
        return EXIT_BROKEN
    finally:
        try:
            lab.copy_logs(out / "logs")
        except OSError:
            pass
        lab.stop()
    section["sut"] = str(args.sut) if args.sut else "reference"
    path = write_results(out, section)
    c = section["counts"]
    print(f"{args.role}: {c['cases_sent']} cases ({c['malformed_sent']} malformed, {c['distinct_malformed']} distinct), "
          f"answers {c['answers']}, {c['findings']} findings ({c['crashes']} role dead, {c['wrong_class']} wrong "
          f"class, {c['no_answer']} no answer), {c['unconfirmed']} unconfirmed, {section['elapsed_s']} s")
    for f in section["findings"]:
        print(f"  finding: seed {f['seed']} case {f['case']} {f['family']} {f.get('kind')}: expected "
              f"{f.get('expected_text', '')}, answered {f.get('answer', f.get('probe_answer'))}; {f.get('evidence')}")
    print(f"results: {path}", file=sys.stderr)
    return EXIT_OK if section["passed"] else EXIT_FINDINGS
