"""The shell of compliance.html: one self-contained page (inline CSS, inline SVG, no script, no font
or image from the network), readable on screen and printable on A4."""
from __future__ import annotations

from string import Template

from mcsec.reports.html_markup import Markup, el, escape

VERDICT_LABELS = {
    "pass": "pass", "fail": "fail", "waived": "waived", "inconclusive": "inconclusive",
    "not_applicable": "not applicable", "error": "error", "not_tested": "not tested",
    "killed": "killed", "survived": "survived", "not_runnable": "not runnable",
    "applied": "applied", "stale": "stale", "unused": "unused", "broken": "broken",
}

CSS = """
:root { --ink:#1d2330; --muted:#5b6475; --line:#d5dae3; --soft:#f4f6f9;
  --pass:#1f7a3d; --fail:#b3261e; --waived:#7a4fb0; --inconclusive:#b86200; --not_applicable:#6b7280;
  --error:#8e1457; --not_tested:#6b7280; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 36px 0 12px; border-bottom: 2px solid var(--ink);
  padding-bottom: 4px; } h3 { font-size: 17px; margin: 24px 0 8px; } h4 { font-size: 15px; margin: 14px 0 6px; }
a { color: #1a4f9c; } code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px 10px; white-space: pre-wrap;
  word-break: break-word; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
th.wide { width: 42%; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); } .fingerprint { word-break: break-all; }
.idlist { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0 0; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.banner { border-radius: 6px; padding: 12px 16px; font-size: 18px; font-weight: 600; color: #fff; margin: 12px 0; }
.banner.ok { background: var(--pass); } .banner.bad { background: var(--fail); } .banner.warn { background: var(--inconclusive); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
nav.toc { border: 1px solid var(--line); background: var(--soft); padding: 8px 14px; margin: 16px 0; }
nav.toc a { margin-right: 14px; }
.v { display: inline-block; min-width: 84px; text-align: center; border-radius: 3px; padding: 0 6px;
  font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; color: #fff;
  background: var(--muted); white-space: nowrap; }
.v-pass, .v-killed, .v-applied { background: var(--pass); } .v-fail, .v-survived, .v-stale { background: var(--fail); }
.v-waived { background: var(--waived); } .v-inconclusive { background: var(--inconclusive); }
.v-error, .v-broken { background: var(--error); } .v-not_applicable, .v-unused { background: var(--not_applicable); }
.v-not_tested, .v-not_runnable { background: #fff; color: var(--not_tested); border: 1px dashed var(--not_tested); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card .n { font-size: 24px; font-weight: 700; } .card .l { color: var(--muted); font-size: 13px; }
.callout { border-left: 5px solid var(--inconclusive); background: #fff7ec; padding: 10px 14px; margin: 12px 0; }
.callout.bad { border-color: var(--fail); background: #fdf0ef; }
.callout.info { border-color: #1a4f9c; background: #eef4fc; }
tr.untested td { background: #fafafa; color: var(--muted); }
blockquote { margin: 4px 0; padding: 2px 10px; border-left: 3px solid var(--line); color: var(--muted); font-size: 13px; }
.req-id { font-weight: 700; white-space: nowrap; }
.scenario { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.scenario h4 { margin-top: 0; } .scenario .sid { color: var(--muted); font-size: 12px; word-break: break-all; }
.steps td.kw { font-weight: 600; width: 70px; } .steps td.st { width: 96px; } .steps td.num { width: 80px; }
.st-passed { color: var(--pass); } .st-failed { color: var(--fail); font-weight: 700; }
.st-skipped, .st-undefined { color: var(--muted); }
ul.files { margin: 4px 0; padding-left: 20px; } .missing { color: var(--fail); }
svg.bar { width: 100%; max-width: 640px; height: 22px; display: block; margin: 6px 0; }
svg.ladder { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; background: #fff; }
svg.ladder .lane-head { fill: var(--soft); stroke: var(--ink); }
svg.ladder .lane-name { font-weight: 700; } svg.ladder .ref { fill: var(--muted); font-size: 11px; }
svg.ladder .lifeline { stroke: #9aa3b2; stroke-dasharray: 4 4; }
svg.ladder .arrow { stroke: var(--ink); stroke-width: 1.4; } svg.ladder .arrow.response { stroke-dasharray: 6 3; stroke: #1a4f9c; }
svg.ladder .head { fill: var(--ink); } svg.ladder .head.response { fill: #1a4f9c; }
svg.ladder .time, svg.ladder .ctype { fill: var(--muted); font-size: 11px; }
figure.ladder-figure { margin: 8px 0; } figcaption { color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  nav.toc { display: none; } a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } tr, .scenario, figure, .callout, .card { break-inside: avoid; }
  .v, .banner, .v-not_tested { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { size: A4; margin: 14mm; }
}
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="mcsec $version">
<title>$title</title>
<style>$css$extra_css</style>
</head>
<body>
<main>
$body
</main>
</body>
</html>
""")


def page(title: str, body: Markup, version: str, extra_css: str = "") -> str:
    """The whole page; ``extra_css``: the page's own rules after the shared ones (the project's own text)."""
    return _PAGE.substitute(title=escape(title), css=CSS, extra_css=extra_css, body=body, version=escape(version))


def verdict_badge(verdict: str) -> Markup:
    key = verdict if verdict in VERDICT_LABELS else "error"
    return el("span", VERDICT_LABELS.get(verdict, verdict), class_=f"v v-{key}")


def section(anchor: str, title: str, *content: object) -> Markup:
    return el("section", el("h2", title), *content, id=anchor)
