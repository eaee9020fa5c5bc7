"""mutation.json and mutation.html of `mcsec mutate` (docs/mutation.md).

mutation.json:
    {"suite": {"name", "version", "started", "finished", "wall_time_s", "jobs", "seed", "sample",
               "files", "mutants_generated"},
     "baselines": {role: {"summary", "exit_status", "problem", "out"}},
     "totals": {"mutants", "killed", "survived", "equivalent", "error", "score"},
     "mutants": [{"id", "file", "line", "function", "operator", "original", "mutated", "role", "status",
                  "killed_by": [scenario ids], "reason", "changed": {scenario id: [baseline, mutant]},
                  "duration_s", "out"}],
     "equivalents_unmatched": [ids of the reviewed list that name no mutant of the files]}
A mutant's status: `killed` (a scenario judging its role, passing in the baseline, failed or erred),
`survived` (none did), `equivalent` (on the reviewed list: not run, not scored) or `error` (its run,
its serve or its role's baseline produced no verdicts; the reason says which). The score is killed /
(killed + survived).
"""
from __future__ import annotations

import json
from pathlib import Path

from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import page, section, verdict_badge

FILENAME = "mutation.json"
HTML = "mutation.html"
FIELDS = ("id", "file", "line", "function", "operator", "original", "mutated", "role", "status", "killed_by",
          "reason", "changed", "duration_s", "out")


def write(document: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> dict | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("mutants"), list):
        return None
    return document


def _score(t: dict) -> str:
    return "no mutant judged" if t.get("score") is None else f"{100 * t['score']:.1f} %"


def mutation_section(document: dict) -> Markup:
    rows = document.get("mutants", [])
    t = document.get("totals", {})
    suite = document.get("suite", {})
    intro = el("p", "Each mutant is one small change to the decision code of a reference role. The role was served "
                    "with the change as the implementation under test and the unchanged suite judged it; a mutant is "
                    "killed when a scenario judging that role, passing without the change, fails. A surviving mutant "
                    "is a change the suite cannot see. Mutants on the reviewed list of equivalents are not run nor "
                    "scored.")
    figures = el("dl",
                 el("dt", "Mutants"), el("dd", f"{t.get('mutants', len(rows))}: {t.get('killed', 0)} killed, "
                                              f"{t.get('survived', 0)} survived, {t.get('equivalent', 0)} equivalent, "
                                              f"{t.get('error', 0)} errors"),
                 el("dt", "Score"), el("dd", f"{_score(t)} (killed / (killed + survived))"),
                 el("dt", "Sample"), el("dd", f"{suite.get('sample') or 'all'} of {suite.get('mutants_generated', '?')} "
                                              f"mutants, seed {suite.get('seed')}"),
                 el("dt", "Baselines"),
                 el("dd", "; ".join(f"{role}: " + (", ".join(f"{n} {v}" for v, n in b.get("summary", {}).items() if n)
                                                   or b.get("problem") or "no results")
                                    for role, b in sorted(document.get("baselines", {}).items())) or "none"),
                 el("dt", "Wall time"), el("dd", f"{float(suite.get('wall_time_s', 0.0)):.1f} s with "
                                                 f"{suite.get('jobs', '?')} parallel jobs"),
                 class_="meta")
    survivors = [r for r in rows if r.get("status") == "survived"]
    callouts = []
    if survivors:
        callouts.append(el("div", el("strong", f"{len(survivors)} mutant{'s' if len(survivors) != 1 else ''} survived: "),
                           ", ".join(r["id"] for r in survivors), class_="callout bad"))
    body = []
    for r in rows:
        killers = r.get("killed_by", [])
        body.append(el(
            "tr",
            el("td", el("span", r.get("id", ""), class_="mono")),
            el("td", el("div", f"{r.get('file', '')}:{r.get('line', '')}", class_="mono"),
               el("div", r.get("function", ""), class_="muted")),
            el("td", r.get("operator", "")),
            el("td", el("div", el("del", r.get("original", "")), class_="mono"),
               el("div", el("ins", r.get("mutated", "")), class_="mono")),
            el("td", r.get("role", "")),
            el("td", el("ul", [el("li", el("span", s, class_="mono")) for s in killers], class_="files") if killers
               else el("em", r.get("reason", "") or "none")),
            el("td", verdict_badge(r.get("status", "error"))),
            el("td", f"{float(r.get('duration_s') or 0.0):.1f} s", class_="num"),
        ))
    table = el("table", el("thead", el("tr", el("th", "Mutant"), el("th", "Where"), el("th", "Operator"),
                                          el("th", "Change", class_="wide"), el("th", "Role"),
                                          el("th", "Killed by / reason", class_="wide"), el("th", "Status"),
                                          el("th", "Time", class_="num"))),
               el("tbody", body), class_="mutation")
    return section("mutation", "Mutation testing", intro, figures, *callouts, table)


def write_html(document: dict, path: Path) -> None:
    version = document.get("suite", {}).get("version", "")
    body = el("div", el("h1", "MCSec mutation testing"), mutation_section(document))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page("MCSec mutation testing", body, version), encoding="utf-8")
    tmp.replace(path)
