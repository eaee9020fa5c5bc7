"""compliance.html: the kill matrix section (fault -> requirements -> killing scenarios)."""
from __future__ import annotations

from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import section, verdict_badge
from mcsec.reports.kill_matrix import NOT_RUNNABLE, SURVIVED, totals
from mcsec.reports.scenario_detail import anchor, requirement_anchor


def _scenario_link(sid: str, verdict: str, names: dict[str, str]) -> Markup:
    """The scenario by name (plus its example row), linked to its detail when this report has it."""
    if sid in names:
        example = sid[sid.index("["):] if sid.endswith("]") and "[" in sid else ""
        label = el("span", f"{names[sid]} {example}".strip(), title=sid)
        return el("li", verdict_badge(verdict), " ", el("a", label, href=f"#{anchor(sid)}"))
    return el("li", verdict_badge(verdict), " ", el("span", sid, class_="mono"))


def kill_matrix_section(matrix: dict, scenario_names: dict[str, str]) -> Markup:
    """`scenario_names`: id -> name of the scenarios this report details (the baseline run's)."""
    rows = matrix.get("faults", [])
    t = matrix.get("totals") or totals(rows)
    suite = matrix.get("suite", {})
    baseline = matrix.get("baseline", {})
    not_runnable = [r for r in rows if r.get("status") == NOT_RUNNABLE]
    survivors = [r for r in rows if r.get("status") == SURVIVED]
    intro = el("p", "Each named fault of the reference implementation is a deliberate deviation from a requirement. "
                    "The suite ran with each fault on, selecting the scenarios that cite the fault's requirements; "
                    "a fault is killed when one of them does not pass. A surviving fault is a deviation the suite "
                    "cannot see.")
    figures = el("dl",
                 el("dt", "Faults"), el("dd", f"{t.get('faults', len(rows))} named; {t.get('runnable', 0)} runnable, "
                                              f"{t.get('killed', 0)} killed, {t.get('survived', 0)} survived, "
                                              f"{t.get('error', 0)} broken runs, {t.get('not_runnable', 0)} not runnable"),
                 el("dt", "Fault \u00d7 scenario runs"),
                 el("dd", f"{t.get('runnable', 0)} fault runs \u00d7 their scenarios = "
                          f"{t.get('scenario_runs', 0)} scenario executions"),
                 el("dt", "Baseline (no fault)"),
                 el("dd", ", ".join(f"{n} {v}" for v, n in baseline.items() if n) or "no scenario ran"),
                 el("dt", "Wall time"), el("dd", f"{float(suite.get('wall_time_s', 0.0)):.1f} s with "
                                                 f"{suite.get('jobs', '?')} parallel jobs"),
                 class_="meta")
    callouts = []
    if survivors:
        callouts.append(el("div", el("strong", f"{len(survivors)} fault{'s' if len(survivors) != 1 else ''} survived: "),
                           ", ".join(r["fault"] for r in survivors), class_="callout bad"))
    if not_runnable:
        callouts.append(el("div", el("strong", f"{len(not_runnable)} fault{'s' if len(not_runnable) != 1 else ''} "
                                               "could not be run"), " (not counted as surviving):",
                           el("ul", [el("li", el("span", r["fault"], class_="mono"), f": {r.get('reason', '')}")
                                     for r in not_runnable]), class_="callout"))
    body = []
    for r in rows:
        verdicts_of = r.get("verdicts", {})
        killers = [_scenario_link(s, verdicts_of.get(s, "fail"), scenario_names) for s in r.get("killed_by", [])]
        reqs = [el("a", rid, href=f"#{requirement_anchor(rid)}", class_="mono") for rid in r.get("requirements", [])]
        joined: list[object] = []
        for i, link in enumerate(reqs):
            joined += ([", "] if i else []) + [link]
        body.append(el(
            "tr",
            el("td", el("div", r.get("fault", ""), class_="mono"), el("div", r.get("description", ""), class_="muted")),
            el("td", r.get("role", "")),
            el("td", joined),
            el("td", str(len(r.get("scenarios_run", []))), class_="num"),
            el("td", el("ul", killers, class_="files") if killers else el("em", r.get("reason", "") or "none")),
            el("td", verdict_badge(r.get("status", "error"))),
            el("td", f"{float(r.get('duration_s') or 0.0):.1f} s", class_="num"),
        ))
    table = el("table", el("thead", el("tr", el("th", "Fault"), el("th", "Role"), el("th", "Requirements"),
                                          el("th", "Scenarios run", class_="num"), el("th", "Killed by", class_="wide"),
                                          el("th", "Status"), el("th", "Time", class_="num"))),
               el("tbody", body), class_="kill-matrix")
    return section("kill-matrix", "Kill matrix", intro, figures, *callouts, table)
