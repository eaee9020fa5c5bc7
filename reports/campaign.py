"""The campaign report: campaign.json (schema `mcsec-campaign/1`, described by campaign.schema.json beside this
module), index.html (every entry with its products, verdict counts and status) and interop-matrix.html
(products by products, a cell the runs that paired them), in the manner of public interop runners.

The pages are fed only by campaign.json; like compliance.html they are self-contained (inline CSS, no
script, nothing from the network) and escape everything taken from the document: product names and
problems come from the campaign file and the products.
"""
from __future__ import annotations

import json
from pathlib import Path

from mcsec.fixtures import verdicts
from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import page, section, verdict_badge

SCHEMA = "mcsec-campaign/1"
FILENAME, INDEX, MATRIX = "campaign.json", "index.html", "interop-matrix.html"
SCHEMA_FILE = Path(__file__).with_name("campaign.schema.json")
STATUSES = ("pass", "fail", "inconclusive", "broken")
STATUS_RANK = {"pass": 0, "inconclusive": 1, "broken": 2, "fail": 3}
"""Worst last: a cell of several runs shows the worst; fail is the finding a reader looks for."""
COUNTED = tuple(v for v in verdicts.ALL)

EXTRA_CSS = """
main.wide { max-width: none; }
table.matrix { width: auto; }
table.matrix th.corner { background: #fff; border-color: #fff; }
table.matrix th.col { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; max-height: 260px;
  vertical-align: bottom; text-align: left; }
table.matrix th.row { white-space: nowrap; }
table.matrix td.cell { min-width: 150px; font-size: 13px; }
table.matrix td.empty { background: #fafafa; color: var(--muted); text-align: center; }
td.st-pass { background: #e7f4ec; } td.st-fail { background: #fbe9e8; }
td.st-inconclusive { background: #fff3e3; } td.st-broken { background: #f8e6ef; }
.run { display: block; margin: 2px 0 6px; } .run .roles { color: var(--muted); font-size: 12px; display: block; }
.counts { font-variant-numeric: tabular-nums; }
"""


def summed(summaries: list[dict]) -> dict[str, int]:
    counts = {v: 0 for v in COUNTED}
    for s in summaries:
        for v, n in s.items():
            counts[v] = counts.get(v, 0) + int(n)
    return counts


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: STATUS_RANK.get(s, len(STATUS_RANK))) if statuses else "pass"


def matrix_cells(entries: list[dict]) -> list[dict]:
    """One cell per pair of products some run paired: the runs, their verdict counts summed, the worst status.
    A cell's products are in the order of the campaign's products list."""
    cells: dict[frozenset[str], dict] = {}
    for entry in entries:
        for a, b in entry["pairs"]:
            cell = cells.setdefault(frozenset((a, b)), {"products": [a, b], "entries": [], "summary": {}, "status": "pass"})
            cell["entries"].append(entry["name"])
    by_name = {e["name"]: e for e in entries}
    for cell in cells.values():
        runs = [by_name[n] for n in cell["entries"]]
        cell["summary"] = summed([r["summary"] for r in runs])
        cell["status"] = worst([r["status"] for r in runs])
    return list(cells.values())


def products(entries: list[dict], reference: str) -> list[str]:
    """Every product of the campaign: the reference first when some run pairs with it, then by first appearance."""
    named = list(dict.fromkeys(p for e in entries for pair in e["pairs"] for p in pair))
    return ([reference] if reference in named else []) + [p for p in named if p != reference]


def write(document: dict, out: Path) -> list[Path]:
    """campaign.json, index.html and interop-matrix.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, indent=2) + "\n"
    tmp = out / (FILENAME + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    tmp.replace(out / FILENAME)
    (out / INDEX).write_text(index_page(document), encoding="utf-8")
    (out / MATRIX).write_text(matrix_page(document), encoding="utf-8")
    return [out / FILENAME, out / INDEX, out / MATRIX]


def load(path: Path) -> dict:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a campaign document (schema {SCHEMA})")
    return document


# --------------------------------------------------------------------------- the pages


def _counts(summary: dict) -> Markup:
    shown = [(v, n) for v, n in summary.items() if n]
    if not shown:
        return el("span", "no scenarios", class_="muted counts")
    return el("span", ", ".join(f"{n} {v.replace('_', ' ')}" for v, n in shown), class_="counts")


def _nav(current: str) -> Markup:
    links = [(INDEX, "Campaign"), (MATRIX, "Interop matrix"), (FILENAME, "campaign.json")]
    return el("nav", [el("a", label, href=href, aria_current="page" if href == current else None)
                      for href, label in links], class_="toc")


def _banner(document: dict) -> Markup:
    t = document["totals"]
    status = document["status"]
    if status == "pass":
        return el("div", f"PASS: every one of the {t['entries']} runs passes", class_="banner ok")
    if status == "fail":
        return el("div", f"FAIL: {t['fail']} of {t['entries']} runs fail", class_="banner bad")
    return el("div", f"INCONCLUSIVE: {t['inconclusive']} runs inconclusive, {t['broken']} broken, of "
                     f"{t['entries']}; no campaign claim can be made", class_="banner warn")


def _head(document: dict, title: str) -> list[Markup]:
    suite, campaign = document["suite"], document["campaign"]
    meta = [("Campaign file", campaign["file"]), ("Suite", f"mcsec {suite['version']} (Python {suite['python']})"),
            ("Started", suite["started"]), ("Finished", suite["finished"]),
            ("Wall time", f"{suite['wall_time_s']:.1f} s with {suite['jobs']} parallel run(s)")]
    return [el("h1", title), el("p", campaign["name"], class_="subtitle"), _nav(INDEX if title == "Campaign"
                                                                                 else MATRIX),
            _banner(document), el("dl", [(el("dt", k), el("dd", v)) for k, v in meta], class_="meta")]


def by_product(roles: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(product, the roles it plays) in the order of the roles."""
    grouped: dict[str, list[str]] = {}
    for role, product in roles.items():
        grouped.setdefault(product, []).append(role)
    return list(grouped.items())


def _report_link(entry: dict, label: object) -> Markup:
    return el("a", label, href=entry["report"]) if entry.get("report") else el("span", label)


def index_page(document: dict) -> str:
    t = document["totals"]
    cards = el("div", [el("div", el("div", str(t[s]), class_="n"), el("div", verdict_badge(s)), class_="card")
                       for s in STATUSES], class_="cards")
    rows = []
    for e in document["entries"]:
        roles = el("ul", [el("li", product, " ", el("span", f"({', '.join(played)})", class_="muted"))
                          for product, played in by_product(e["roles"])], class_="files")
        selection = e["selection"]
        chosen = [*(f"requirement {r}" for r in selection["requirements"]),
                  *([f"-k {selection['keyword']}"] if selection.get("keyword") else [])]
        rows.append(el(
            "tr",
            el("td", el("span", e["name"], class_="req-id"), el("div", e["source"], class_="muted")),
            el("td", e["kind"]),
            el("td", roles),
            el("td", verdict_badge(e["status"])),
            el("td", _counts(e["summary"]),
               el("div", e["problem"], class_="missing") if e.get("problem") else None,
               el("div", "selection: " + "; ".join(chosen), class_="muted") if chosen else None),
            el("td", f"{e['duration_s']:.1f} s", class_="num"),
            el("td", _report_link(e, "compliance.html") if e.get("report") else el("span", "no report", class_="muted"),
               [" · ", el("a", "console log", href=e["log"])] if e.get("log") else None),
            id=f"entry-{e['name']}"))
    table = el("table", el("thead", el("tr", [el("th", h) for h in ("Entry", "Kind", "Products (roles under test)",
                                                                   "Status", "Verdicts", "Duration", "Reports")])),
               el("tbody", rows), id="entries")
    body = Markup("".join([*_head(document, "Campaign"), cards,
                           section("runs", "Runs", el("p", "Each run is a whole conformance run with a lab of its own; "
                                                           "its compliance.html has the verdict of every scenario, "
                                                           "the requirement traceability matrix and the evidence. "
                                                           "The ", el("a", "interop matrix", href=MATRIX),
                                                      " puts the runs in a grid of products."), table),
                           el("footer", f"mcsec {document['suite']['version']} · {SCHEMA}")]))
    return page(f"Campaign: {document['campaign']['name']}", body, document["suite"]["version"])


def _cell(document: dict, a: str, b: str) -> Markup:
    by_name = {e["name"]: e for e in document["entries"]}
    cells = [c for c in document["matrix"] if sorted(c["products"]) == sorted([a, b])]
    if not cells:
        return el("td", "–", class_="cell empty", title="no run paired these products")
    cell = cells[0]
    runs = []
    for name in cell["entries"]:
        e = by_name[name]
        roles = "; ".join(f"{product}: {', '.join(played)}" for product, played in by_product(e["roles"]))
        runs.append(el("span", verdict_badge(e["status"]), " ", _report_link(e, e["name"]), " ",
                       _counts(e["summary"]), el("span", roles, class_="roles"), class_="run"))
    return el("td", runs, class_=f"cell st-{cell['status']}",
              data_products=f"{cell['products'][0]} | {cell['products'][1]}")


def matrix_page(document: dict) -> str:
    names = document["products"]
    head = el("tr", el("th", "", class_="corner"), [el("th", n, class_="col", scope="col") for n in names])
    rows = [el("tr", el("th", a, class_="row", scope="row"), [_cell(document, a, b) for b in names]) for a in names]
    table = el("table", el("thead", head), el("tbody", rows), class_="matrix", id="interop-matrix")
    legend = el("p", "Rows and columns are the products of the campaign. A cell holds every run that paired the "
                     "two products: its status, its name (linking to its compliance.html), its verdict counts "
                     "and which roles each product played. A run of one product against the bundled reference "
                     "pairs that product with ", el("b", document["reference"]), "; the built-in reference run "
                     "is the reference's cell with itself. The matrix is symmetric: each run appears in row A, "
                     "column B and in row B, column A. A cell's colour is its worst run: ",
                 [(verdict_badge(s), " ") for s in ("fail", "broken", "inconclusive", "pass")], ".")
    body = Markup("".join([*_head(document, "Interop matrix"),
                           section("matrix", "Products by products", legend, el("div", table)),
                           el("footer", f"mcsec {document['suite']['version']} · {SCHEMA}")]))
    return page(f"Interop matrix: {document['campaign']['name']}", body, document["suite"]["version"],
                extra_css=EXTRA_CSS)
