"""compliance.html: the per-scenario detail (verdict, reason, waiver, steps, SIP ladder, evidence)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mcsec.reports import evidence, sip_ladder
from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import verdict_badge


def anchor(scenario_id: str) -> str:
    return "sc-" + hashlib.sha1(scenario_id.encode("utf-8", "replace")).hexdigest()[:12]


def requirement_anchor(rid: str) -> str:
    return "req-" + hashlib.sha1(rid.encode("utf-8", "replace")).hexdigest()[:12]


@dataclass(frozen=True)
class Links:
    """Where evidence files are (`base`: the run's output folder) and how the page links to them
    (`prefix`: the path from the page's folder to `base`, empty when they are the same)."""
    base: Path
    prefix: str = ""

    def href(self, rel: str) -> str:
        return quote(f"{self.prefix}{rel}", safe="/._-~")


def _duration(seconds: object) -> str:
    try:
        return f"{float(seconds):.2f} s"
    except (TypeError, ValueError):
        return ""


def _steps(steps: list[dict]) -> Markup | None:
    if not steps:
        return el("p", "No step was reached.", class_="muted")
    rows = [el("tr", el("td", s.get("keyword", ""), class_="kw"), el("td", s.get("text", "")),
               el("td", s.get("status", ""), class_=f"st st-{s.get('status', '')}"),
               el("td", _duration(s.get("duration_s")), class_="num")) for s in steps]
    return el("table", el("thead", el("tr", el("th", "Step", colspan=2), el("th", "Status"),
                                            el("th", "Duration", class_="num"))),
              el("tbody", rows), class_="steps")


def evidence_list(files: list[evidence.EvidenceFile], links: Links) -> Markup:
    items = []
    for f in files:
        if f.exists:
            items.append(el("li", el("a", f.path, href=links.href(f.path), class_="mono"), f" ({f.size:,} bytes)"))
        else:
            items.append(el("li", el("span", f.path, class_="mono"), " ", el("span", "(missing)", class_="missing")))
    return el("ul", items, class_="files")


def _ladder(scenario: dict, links: Links, files: list[evidence.EvidenceFile]) -> Markup | None:
    trace = evidence.trace_file(scenario, links.base)
    if trace is None:
        return None
    rel = trace.relative_to(links.base).as_posix()
    return el("div", el("h5", "SIP ladder"), sip_ladder.render(trace, f"SIP messages of {scenario['name']}",
                                                              links.href(rel)))


def _waiver(scenario: dict) -> Markup | None:
    w = scenario.get("waiver")
    if not w:
        return None
    return el("div", el("strong", "Waived. "), f"Original verdict: {scenario.get('original_verdict', 'fail')}. ",
              f"Waiver until {w.get('expires', '?')}: {w.get('reason', '')}", class_="callout info")


def scenario_article(scenario: dict, links: Links) -> Markup:
    files = evidence.scenario_files(scenario, links.base)
    reqs = [el("a", rid, href=f"#{requirement_anchor(rid)}", class_="req-id") for rid in scenario["requirements"]]
    joined: list[object] = []
    for i, r in enumerate(reqs):
        joined += ([", "] if i else []) + [r]
    reason = scenario.get("reason") or ""
    return el(
        "article",
        el("h4", verdict_badge(scenario["verdict"]), " ", scenario["name"]),
        el("div", scenario["id"], class_="sid mono"),
        el("p", el("strong", "Requirements: "), joined or "none",
           el("span", f" \u00b7 Duration: {_duration(scenario.get('duration_s'))}")),
        _waiver(scenario),
        el("div", el("strong", "Reason"), el("pre", reason)) if reason else None,
        _steps(scenario.get("steps", [])),
        _ladder(scenario, links, files),
        el("div", el("strong", "Evidence"), evidence_list(files, links)) if files else None,
        class_="scenario", id=anchor(scenario["id"]),
    )


def scenarios_section(document: dict, links: Links) -> list[Markup]:
    by_feature: dict[str, list[dict]] = {}
    for s in document["scenarios"]:
        by_feature.setdefault(s["feature"], []).append(s)
    out: list[Markup] = []
    if not by_feature:
        out.append(el("p", "No scenario ran."))
    for feature, scenarios in by_feature.items():
        out.append(el("h3", f"Feature {feature}"))
        out.extend(scenario_article(s, links) for s in scenarios)
    return out
