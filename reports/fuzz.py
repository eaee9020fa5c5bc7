"""The `fuzz` section of a report: what `mcsec fuzz` sent to a role, what came back, and each finding with
its seed, case number, changes (as drawn and minimised) and evidence folder. Rendered into fuzz.html, and
into compliance.html when the run's results.json carries a ``fuzz`` section (docs/fuzz.md)."""
from __future__ import annotations

from pathlib import Path

from mcsec import __version__
from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import page, section, verdict_badge

HTML = "fuzz.html"


def _finding(f: dict) -> Markup:
    minimal = f.get("minimal") or {}
    rows = [
        el("dt", "Case"), el("dd", f"seed {f.get('seed')}, case {f.get('case')} ({f.get('family')})"),
        el("dt", "Kind"), el("dd", f.get("kind", "")),
        el("dt", "Expected"), el("dd", f.get("expected_text") or ", ".join(f.get("expected", []))),
        el("dt", "Answer"), el("dd", f"{f.get('answer', '')} {f.get('answer_detail', '')}".strip()
                                + (f"; re-sent: {f['resent_answer']}" if "resent_answer" in f else "")
                                + (f"; liveness probe: {f['probe_answer']}" if "probe_answer" in f else "")),
    ]
    if f.get("changes"):
        rows += [el("dt", "Changes"), el("dd", el("ul", *[el("li", c) for c in f["changes"]]))]
    if minimal:
        rows += [el("dt", "Minimised"),
                 el("dd", el("ul", *[el("li", c) for c in minimal.get("changes", [])]),
                    f"expected {', '.join(minimal.get('expected', []))}, answered {minimal.get('answer')} "
                    f"({minimal.get('ddmin_tests')} ddmin tests{'' if minimal.get('complete') else ', bound reached'})")]
    if f.get("evidence"):
        rows += [el("dt", "Evidence"), el("dd", el("span", f["evidence"], class_="mono"))]
    return el("div", el("h4", verdict_badge("fail"), f" {f.get('role')} {f.get('family')} case {f.get('case')}"),
              el("dl", *rows))


def fuzz_section(runs: list[dict]) -> Markup:
    parts: list[object] = [el("p", "Generated malformed and altered inputs sent to the implementation under test "
                                   "over its real sockets; each case carries the answer classes the cited "
                                   "standards allow, a liveness probe follows every batch.")]
    for run in runs:
        c = run.get("counts", {})
        b = run.get("bounds", {})
        fams = run.get("families", {})
        table = el("table", el("tr", el("th", "family"), el("th", "what is changed"), el("th", "base answer"),
                               el("th", "cases"), el("th", "basis")),
                   *[el("tr", el("td", name), el("td", f.get("title", "")), el("td", ", ".join(f.get("base_answer", []))),
                        el("td", str(f.get("cases", 0))), el("td", f.get("sources", ""))) for name, f in fams.items()])
        answers = ", ".join(f"{k}: {v}" for k, v in c.get("answers", {}).items())
        figures = el("dl",
                     el("dt", "Verdict"), el("dd", verdict_badge("pass" if run.get("passed") else "fail")),
                     el("dt", "Seed"), el("dd", str(run.get("seed"))),
                     el("dt", "Cases"), el("dd", f"{c.get('cases_sent', 0)} sent ({c.get('malformed_sent', 0)} malformed, "
                                                 f"{c.get('distinct_malformed', 0)} distinct); bound {b.get('cases')} cases"
                                                 + (f" / {b.get('seconds')} s" if b.get("seconds") else "")
                                                 + f"; stopped by {b.get('stopped_by')}"),
                     el("dt", "Answers"), el("dd", answers or "none"),
                     el("dt", "Liveness probes"), el("dd", str(c.get("liveness_probes", 0))),
                     el("dt", "Findings"), el("dd", f"{c.get('findings', 0)} ({c.get('crashes', 0)} role dead, "
                                                    f"{c.get('wrong_class', 0)} wrong class, {c.get('no_answer', 0)} no "
                                                    f"answer); {c.get('unconfirmed', 0)} unconfirmed"))
        parts += [el("h3", f"{run.get('role')}"), figures, table, *[_finding(f) for f in run.get("findings", [])]]
    return section("fuzz", "Fuzzing", *parts)


def write_html(runs: list[dict], path: Path) -> None:
    path.write_text(page("MCSec fuzzing report", fuzz_section(runs), __version__), encoding="utf-8")
