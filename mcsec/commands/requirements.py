"""`mcsec requirements`: the catalogue, the scenarios citing each requirement, and the uncited ones."""
from __future__ import annotations

import argparse
import json
import textwrap

from mcsec.catalogue import citations, load_catalogue, scan_scenarios


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("requirements", help="print the requirement catalogue with its citing scenarios")
    p.add_argument("--json", action="store_true", help="one JSON document instead of text")
    p.add_argument("--clause", help="only this clause (e.g. 7.13)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    if args.clause:
        catalogue = [r for r in catalogue if r.clause == args.clause]
    scenarios = scan_scenarios()
    cited = citations(catalogue, scenarios)
    known = {r.id for r in load_catalogue()}
    dangling = sorted({rid for s in scenarios for rid in s.requirements if rid not in known})
    uncited = [r.id for r in catalogue if not cited.get(r.id)]
    if args.json:
        print(json.dumps({
            "requirements": [{**r.__dict__, "roles": list(r.roles), "scenarios": cited.get(r.id, [])}
                             for r in catalogue],
            "uncited": uncited, "unknown_citations": dangling,
        }, indent=2))
        return 1 if dangling else 0
    for r in catalogue:
        print(f"{r.id}  [{r.clause}, {r.kind}]  roles: {', '.join(r.roles)}")
        print(textwrap.fill(r.requirement, 100, initial_indent="    ", subsequent_indent="    "))
        print(textwrap.fill(f"Source: \"{r.text}\"", 100, initial_indent="    ", subsequent_indent="      "))
        print(f"    Condition: {r.condition}")
        if r.basis:
            print(textwrap.fill(f"Basis: {r.basis}", 100, initial_indent="    ", subsequent_indent="      "))
        scen = cited.get(r.id, [])
        print(f"    Scenarios ({len(scen)}):" if scen else "    Scenarios: none (UNCITED)")
        for s in scen:
            print(f"      - {s}")
        print()
    print(f"{len(catalogue)} requirements, {len(catalogue) - len(uncited)} cited by {len(scenarios)} scenarios, "
          f"{len(uncited)} uncited")
    if uncited:
        print("Uncited: " + ", ".join(uncited))
    if dangling:
        print("Scenarios cite unknown requirements: " + ", ".join(dangling))
        return 1
    return 0
