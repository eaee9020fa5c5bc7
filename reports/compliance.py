"""compliance.html: the report a customer reads and hands on.

Sections: the implementation and profile (with whether the folder's manifest is signed, and by which
key), the overall result, a summary, waivers, the requirement
traceability matrix (clause -> requirement with its verbatim text -> scenarios -> verdict, with the
requirements no scenario tested called out), per-scenario detail (reports.scenario_detail), the
kill matrix when a kill_matrix.json is given (reports.kill_matrix_section) and the run's own logs.
Everything taken from results.json is escaped: it carries text from the system under test.
"""
from __future__ import annotations

import os
from pathlib import Path

from mcsec.reports import evidence, results
from mcsec.reports.html_markup import Markup, el
from mcsec.reports.html_page import VERDICT_LABELS, page, section, verdict_badge
from mcsec.reports.fuzz import fuzz_section
from mcsec.reports.kill_matrix_section import kill_matrix_section
from mcsec.reports.scenario_detail import Links, anchor, evidence_list, requirement_anchor, scenarios_section

SUMMARY_ORDER = ("pass", "fail", "waived", "inconclusive", "not_applicable", "error")
COLOURS = {"pass": "#1f7a3d", "fail": "#b3261e", "waived": "#7a4fb0", "inconclusive": "#b86200",
           "not_applicable": "#9aa3b2", "error": "#8e1457", "not_tested": "#d5dae3"}
_SUT_LABELS = {"name": "Implementation", "version": "Version", "profile": "Profile", "iut_roles": "Roles under test",
               "clauses": "Clauses claimed", "protection_required": "Protection required", "kms_uri": "KMS URI",
               "faults": "Faults switched on"}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    return "" if value is None else str(value)


def _signature(signed_by: str | None) -> Markup:
    """What compliance.html says of the manifest written after it (reports.manifest)."""
    if signed_by:
        return el("span", el("strong", "signed"), ": manifest.json, the SHA-256 of every file of this run, is "
                  "signed (manifest.sig) with the Ed25519 key whose fingerprint, the SHA-256 of its raw public "
                  "key, is ", el("span", signed_by, class_="mono fingerprint"),
                  ". `mcsec report verify DIR --public-key KEY` checks the files and the signature.")
    return el("span", el("strong", "not signed"), ": manifest.json lists the SHA-256 of every file of this run "
              "(`mcsec report verify DIR` checks them), but no key signs it, so it shows accidental changes "
              "only. `mcsec run --sign-key KEY.pem` signs a run.")


def _meta(document: dict, signed_by: str | None = None) -> Markup:
    sut, suite = document["sut"], document["suite"]
    rows = [(label, sut[key]) for key, label in _SUT_LABELS.items() if key in sut]
    rows += [(key.replace("_", " ").capitalize(), v) for key, v in sut.items() if key not in _SUT_LABELS]
    rows += [("Suite", f"{suite.get('name', 'mcsec')} {suite.get('version', '')} (Python {suite.get('python', '?')})"),
             ("Started", suite.get("started", "")), ("Finished", suite.get("finished", "")),
             ("Duration", f"{float(suite.get('duration_s', 0.0)):.1f} s")]
    if suite.get("interrupted"):
        rows.append(("Interrupted", "yes: the run was stopped before every scenario ran"))
    return el("dl", [(el("dt", k), el("dd", _value(v))) for k, v in rows],
              el("dt", "Signature"), el("dd", _signature(signed_by), id="signature"), class_="meta")


def _key_log(document: dict) -> Markup | None:
    """A run with `--key-log` wrote the keys of its protected bodies to a file: the report says so."""
    logged = document["suite"].get("key_log") or {}
    if not logged.get("enabled"):
        return None
    unresolved = logged.get("unresolved") or []
    return el("div", el("strong", "Key log on: "),
              f"this run wrote {logged.get('keys', 0)} CEKs and CSKs with their Key IDs to ",
              el("span", str(logged.get("file", "")), class_="mono"),
              ". Anyone holding that file can read the protected bodies of this run's captures "
              "(`mcsec judge`, `mcsec smime open --key-log`); keep it private.",
              el("p", "Seen on the wire without their key (the captures of these cannot be opened):")
              if unresolved else None,
              el("ul", [el("li", el("span", u, class_="mono")) for u in unresolved[:50]]) if unresolved else None,
              class_="callout", id="key-log")


def _banner(document: dict) -> Markup:
    status = results.document_exit_status(document)
    counts = document["summary"]
    stale = sum(w.get("status") == "stale" for w in document.get("waivers", []))
    if status == results.EXIT_OK:
        text = "PASS: every applicable scenario passes"
        if counts.get("waived"):
            text += f" ({counts['waived']} known deviation{'s' if counts['waived'] != 1 else ''} waived)"
        return el("div", text, class_="banner ok")
    if status == results.EXIT_FAIL:
        parts = []
        if counts.get("fail"):
            parts.append(f"{counts['fail']} scenario{'s' if counts['fail'] != 1 else ''} fail")
        if stale:
            parts.append(f"{stale} stale waiver{'s' if stale != 1 else ''}")
        return el("div", "FAIL: " + ", ".join(parts), class_="banner bad")
    return el("div", "INCONCLUSIVE: the worst verdict is inconclusive or error; no conformance claim can be made",
              class_="banner warn")


def _bar(counts: dict[str, int], order: tuple[str, ...]) -> Markup:
    total = sum(counts.get(k, 0) for k in order) or 1
    x, parts = 0.0, []
    for key in order:
        n = counts.get(key, 0)
        if not n:
            continue
        w = 600 * n / total
        parts.append(el("rect", el("title", f"{VERDICT_LABELS.get(key, key)}: {n}"), x=f"{x:.2f}", y=0,
                        width=f"{w:.2f}", height=22, fill=COLOURS.get(key, "#999")))
        x += w
    return el("svg", parts, xmlns="http://www.w3.org/2000/svg", viewBox="0 0 600 22", preserveAspectRatio="none",
              role="img", aria_label="verdict distribution", class_="bar")


def _cards(counts: dict[str, int], order: tuple[str, ...]) -> Markup:
    return el("div", [el("div", el("div", str(counts.get(k, 0)), class_="n"),
                         el("div", verdict_badge(k)), class_="card") for k in order], class_="cards")


def _summary(document: dict) -> Markup:
    counts = document["summary"]
    order = tuple(k for k in SUMMARY_ORDER if k in counts) + tuple(k for k in counts if k not in SUMMARY_ORDER)
    reqs = document["requirements"]
    req_counts: dict[str, int] = {}
    for r in reqs:
        req_counts[r["verdict"]] = req_counts.get(r["verdict"], 0) + 1
    req_order = (*order, results.NOT_TESTED)
    clauses: dict[str, dict[str, int]] = {}
    for r in reqs:
        row = clauses.setdefault(r["clause"], {})
        row[r["verdict"]] = row.get(r["verdict"], 0) + 1
    clause_table = el("table", el("thead", el("tr", el("th", "Clause"), el("th", "Requirements", class_="num"),
                                              [el("th", VERDICT_LABELS.get(k, k), class_="num") for k in req_order])),
                      el("tbody", [el("tr", el("td", c), el("td", str(sum(row.values())), class_="num"),
                                      [el("td", str(row.get(k, 0)), class_="num") for k in req_order])
                                   for c, row in clauses.items()]))
    tested = len(reqs) - req_counts.get(results.NOT_TESTED, 0)
    return section(
        "summary", "Summary",
        el("p", f"{len(document['scenarios'])} scenarios ran; {tested} of {len(reqs)} requirements were tested."),
        el("h3", "Scenarios by verdict"), _cards(counts, order), _bar(counts, order),
        el("h3", "Requirements by verdict"), _cards(req_counts, req_order), _bar(req_counts, req_order),
        el("h3", "Requirements by clause"), clause_table,
    )


def _waivers(document: dict) -> Markup | None:
    waivers = document.get("waivers")
    if not waivers:
        return None
    stale = [w for w in waivers if w.get("status") == "stale"]
    rows = []
    for w in waivers:
        target = w.get("scenario") or w.get("requirement") or ""
        kind = "scenario" if w.get("scenario") else "requirement"
        rows.append(el("tr", el("td", verdict_badge(w.get("status", "unused"))),
                       el("td", f"{kind}: ", el("span", target, class_="mono")), el("td", w.get("reason", "")),
                       el("td", w.get("expires", "")), el("td", w.get("note", ""))))
    callout = None
    if stale:
        callout = el("div", el("strong", f"{len(stale)} stale waiver{'s' if len(stale) != 1 else ''}: "),
                     "a waiver whose deviation no longer occurs, or that has expired, fails the run. "
                     "Remove or renew it.",
                     el("ul", [el("li", el("span", w.get("scenario") or w.get("requirement"), class_="mono"),
                                  f": {w.get('note', '')}") for w in stale]), class_="callout bad")
    return section("waivers", "Waivers", callout,
                   el("table", el("thead", el("tr", el("th", "Status"), el("th", "Waives"), el("th", "Reason"),
                                              el("th", "Expires"), el("th", "Note"))), el("tbody", rows)))


def _suite_errors(document: dict) -> Markup | None:
    errors = document["suite"].get("errors") or []
    if not errors:
        return None
    return section("suite-errors", "Suite errors",
                   el("div", "The suite itself failed; these are not findings about the implementation.",
                      class_="callout bad"), [el("pre", e) for e in errors])


def _traceability(document: dict) -> Markup:
    verdict_of = {s["id"]: s["verdict"] for s in document["scenarios"]}
    name_of = {s["id"]: s["name"] for s in document["scenarios"]}
    untested = [r for r in document["requirements"] if r["verdict"] == results.NOT_TESTED]
    callout = None
    if untested:
        callout = el("div", el("strong", f"{len(untested)} requirement{'s' if len(untested) != 1 else ''} "
                                         "not tested: "),
                     "no scenario of this run cites ", "it." if len(untested) == 1 else "them.",
                     el("p", [el("a", r["id"], href=f"#{requirement_anchor(r['id'])}", class_="req-id mono")
                              for r in untested], class_="idlist"),
                     class_="callout")
    by_clause: dict[str, list[dict]] = {}
    for r in document["requirements"]:
        by_clause.setdefault(r["clause"], []).append(r)
    body = []
    for clause, reqs in by_clause.items():
        body.append(el("tr", el("th", f"Clause {clause}", colspan=3)))
        for r in reqs:
            scenario_items = [el("li", verdict_badge(verdict_of.get(i, "not_tested")), " ",
                                 el("a", name_of.get(i, i), href=f"#{anchor(i)}")) for i in r["scenarios"]]
            body.append(el(
                "tr",
                el("td", el("div", r["id"], class_="req-id mono"),
                   el("div", r.get("requirement", "")) if r.get("requirement") else None,
                   el("blockquote", "\u201c", r.get("text", ""), "\u201d"),
                   el("div", f"Condition: {r['condition']}", class_="muted") if r.get("condition") else None,
                   el("div", f"Kind: {r['kind']}", class_="muted") if r.get("kind") else None),
                el("td", el("ul", scenario_items, class_="files") if scenario_items
                   else el("em", "no scenario of this run cites it")),
                el("td", verdict_badge(r["verdict"])),
                id=requirement_anchor(r["id"]),
                class_="untested" if r["verdict"] == results.NOT_TESTED else None,
            ))
    table = el("table", el("thead", el("tr", el("th", "Requirement (atomic statement, verbatim source text)"),
                                           el("th", "Scenarios"), el("th", "Verdict"))),
               el("tbody", body), class_="matrix", id="traceability-matrix")
    return section("traceability", "Requirement traceability matrix",
                   el("p", "Each requirement with the clause it comes from, the sentence of the source it is "
                           "taken from, the scenarios that check it and its verdict (the worst of its scenarios')."),
                   callout, table)


ROLE_NAMES = {"idm": "IdM server", "kms": "KMS", "client": "MCPTT client", "server": "MCPTT server",
              "core": "SIP core"}


def role_coverage(document: dict, role: str) -> tuple[list[tuple[dict, str]], list[dict]]:
    """For one role under test: the requirements of that role some applicable scenario judging the role
    decided (each with the worst verdict of those scenarios), and the role's requirements none decided."""
    by_id = {s["id"]: s for s in document["scenarios"]}
    tested, untested = [], []
    for r in document["requirements"]:
        if role not in r.get("roles", []):
            continue
        judged = [by_id[i]["verdict"] for i in r["scenarios"]
                  if i in by_id and role in by_id[i].get("judges", []) and by_id[i]["verdict"] != "not_applicable"]
        if judged:
            tested.append((r, results.requirement_verdict(judged)))
        else:
            untested.append(r)
    return tested, untested


def _roles_under_test(document: dict) -> Markup | None:
    roles = document["sut"].get("iut_roles") or []
    if not roles:
        return None
    blocks = []
    for role in roles:
        tested, untested = role_coverage(document, role)
        blocks.append(el(
            "div",
            el("h3", f"{ROLE_NAMES.get(role, role)} ({role})"),
            el("p", f"{len(tested)} requirement{'s' if len(tested) != 1 else ''} of this role tested by scenarios "
                    f"that judge it, {len(untested)} not tested."),
            el("ul", [el("li", verdict_badge(v), " ", el("a", r["id"], href=f"#{requirement_anchor(r['id'])}",
                                                        class_="req-id mono"), " ", r.get("requirement", ""))
                      for r, v in tested], class_="files") if tested else None,
            el("p", el("strong", "Not tested for this role: "),
               [el("a", r["id"], href=f"#{requirement_anchor(r['id'])}", class_="req-id mono") for r in untested],
               class_="idlist") if untested else None,
            class_="role-coverage", id=f"role-{role}"))
    return section("roles", "Roles under test",
                   el("p", "A verdict about a role comes only from scenarios that judge that role: those whose "
                           "Then-steps decide on what it observably did (on the wire, or as its peer received "
                           "it). Scenarios judging only other roles are not applicable to this run."),
                   blocks)


def _run_evidence(links: Links) -> Markup | None:
    files = evidence.run_files(links.base)
    if not files:
        return None
    return section("run-evidence", "Run logs", el("p", "The logs of the roles the lab ran for the whole run."),
                   evidence_list(files, links))


def render(document: dict, links: Links, kill_matrix: dict | None = None, signed_by: str | None = None) -> str:
    """The page. `signed_by`: the fingerprint of the key that signs the folder's manifest, None if none."""
    sut = document["sut"]
    title = f"Conformance report: {sut.get('name', 'implementation under test')}"
    faults = sut.get("faults") or []
    toc = [("summary", "Summary"), ("roles", "Roles under test"), ("waivers", "Waivers") if document.get("waivers") else None,
           ("traceability", "Traceability matrix"), ("scenarios", "Scenarios"),
           ("kill-matrix", "Kill matrix") if kill_matrix else None,
           ("fuzz", "Fuzzing") if document.get("fuzz") else None]
    body = [
        el("header",
           el("h1", title),
           el("p", "MCPTT SIP signalling protection, 3GPP TR 33.879 clauses 7.13 and 7.14", class_="subtitle"),
           _banner(document),
           el("div", el("strong", "Faults switched on: "), _value(faults),
              ". This run deliberately made the reference implementation deviate.", class_="callout")
           if faults else None,
           _key_log(document),
           _meta(document, signed_by)),
        el("nav", el("strong", "Contents: "), [el("a", label, href=f"#{a}") for a, label in filter(None, toc)],
           class_="toc"),
        _summary(document), _roles_under_test(document), _waivers(document), _suite_errors(document),
        _traceability(document),
        section("scenarios", "Scenarios", scenarios_section(document, links)),
        kill_matrix_section(kill_matrix, {s["id"]: s["name"] for s in document["scenarios"]}) if kill_matrix else None,
        fuzz_section(document["fuzz"]) if document.get("fuzz") else None,
        _run_evidence(links),
        el("footer", f"Generated by {document['suite'].get('name', 'mcsec')} {document['suite'].get('version', '')} "
                     f"from results.json. Verdicts: pass, fail, waived (a fail accepted as a known deviation), "
                     f"inconclusive, not applicable (not claimed by the profile), error (a fault of the suite)."),
    ]
    return page(title, el("div", body), str(document["suite"].get("version", "")))


def write(document: dict, path: Path, evidence_base: Path | None = None, kill_matrix: dict | None = None,
          signed_by: str | None = None) -> None:
    base = (evidence_base or path.parent).resolve()
    rel = os.path.relpath(base, path.parent.resolve())
    links = Links(base, "" if rel == "." else Path(rel).as_posix() + "/")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(document, links, kill_matrix, signed_by), encoding="utf-8")
    tmp.replace(path)
