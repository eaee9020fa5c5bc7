"""compliance.html: rendered from a real run and from synthetic edge cases."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote


from mcsec.reports import compliance, outputs, results
from mcsec.reports.scenario_detail import Links, anchor, requirement_anchor
from tests.unit.reports.conftest import mcsec, synthetic_document
from tests.unit.reports.html_check import Page


def _render(document: dict, base: Path, kill_matrix: dict | None = None) -> tuple[str, Page]:
    html = compliance.render(document, Links(base), kill_matrix)
    page = Page(html)
    assert not page.problems, page.problems
    return html, page


def _self_contained(html: str, page: Page) -> None:
    assert "<script" not in html.lower()
    assert not page.attrs("link") and not page.attrs("img") and not page.attrs("iframe")
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href"):
            value = attrs.get(name, "")
            assert not re.match(r"^\s*(https?:|//|ftp:|data:text/html)", value, re.I), (tag, name, value)
    style = html[html.index("<style>"):html.index("</style>")]
    assert "@import" not in style and "url(" not in style


def test_every_verdict_and_uncited_requirements_are_shown(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    html, page = _render(document, synthetic_run)
    _self_contained(html, page)
    badges = {a.get("class") for a in page.attrs("span") if a.get("class", "").startswith("v ")}
    for verdict in ("pass", "fail", "inconclusive", "not_applicable", "error", "not_tested"):
        assert f"v v-{verdict}" in badges, verdict
    assert "2 requirements not tested" in page.text
    rows = {a["id"]: a.get("class") for a in page.attrs("tr") if "id" in a}
    assert rows[requirement_anchor("R714-KM-PROV")] == "untested"
    assert rows[requirement_anchor("RSIP-415")] == "untested"
    assert rows[requirement_anchor("R713-KM-SIG")] is None
    assert "Clause RFC 3261 21.4.13" in page.text
    assert "FAIL: 1 scenario fail" in page.text
    # the requirement's verdict is the worst of its scenarios'
    assert document["requirements"][1]["verdict"] == "error"


def test_text_from_the_sut_is_escaped(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    html, page = _render(document, synthetic_run)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "4.1 &lt;beta&gt;" in html
    assert "\x00" not in html and "\x1b" not in html and "\\x00\\x1b" in html
    assert "<script>alert('x')</script>" in page.text     # shown to the reader as text
    assert "Key provisioning & <friends>." in page.text


def test_evidence_is_linked_by_relative_path_and_missing_files_are_marked(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    extra = synthetic_run / "evidence" / "7.13_a_fails" / "SIP-1.pcap"
    extra.write_bytes(b"\xd4\xc3\xb2\xa1")        # a file a role left that results.json does not list
    _, page = _render(document, synthetic_run)
    links = [unquote(h) for h in page.hrefs() if not h.startswith("#")]
    assert "evidence/7.13_a_fails/kms.log" in links
    assert "evidence/7.13_a_fails/SIP-1.pcap" in links
    assert not any("gone.pcap" in h for h in links)
    assert "evidence/7.13_a_fails/gone.pcap (missing)" in page.text
    for h in links:
        assert not h.startswith("/") and ".." not in h, h
        assert (synthetic_run / h).is_file(), h


def test_evidence_paths_outside_the_run_are_never_linked(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    document["scenarios"][1]["evidence"] = ["../../etc/passwd", "/etc/passwd"]
    _, page = _render(document, synthetic_run)
    assert not any("passwd" in h for h in page.hrefs())
    assert "../../etc/passwd (missing)" in page.text


def test_internal_links_all_resolve(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    _, page = _render(document, synthetic_run)
    targets = [h[1:] for h in page.hrefs() if h.startswith("#")]
    assert targets
    missing = [t for t in targets if t not in page.ids]
    assert not missing, missing


def test_report_command_renders_into_another_folder(synthetic_run: Path, tmp_path: Path):
    out = tmp_path / "elsewhere"
    proc = mcsec("report", str(synthetic_run / "results.json"), "--out", str(out), timeout=60)
    assert proc.returncode == 1, proc.stderr      # the synthetic run has a fail
    page = Page((out / "compliance.html").read_text(encoding="utf-8"))
    links = [unquote(h) for h in page.hrefs() if not h.startswith("#")]
    assert links and all((out / h).resolve().is_file() for h in links), links
    assert {p.name for p in out.iterdir()} == {"compliance.html", "junit.xml", "cucumber.json", "manifest.json"}


def test_report_command_refuses_a_file_that_is_not_results(tmp_path: Path):
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"suite": {}}))
    proc = mcsec("report", str(bad), timeout=60)
    assert proc.returncode == 2 and "sut" in proc.stderr
    proc = mcsec("report", str(tmp_path / "absent.json"), timeout=60)
    assert proc.returncode == 2


def test_suite_errors_and_interruption_are_reported(synthetic_run: Path):
    document = synthetic_document()
    document["suite"]["errors"] = ["collecting features: <ParseError>"]
    document["suite"]["interrupted"] = True
    _, page = _render(document, synthetic_run)
    assert "Suite errors" in page.text and "collecting features: <ParseError>" in page.text
    assert "the run was stopped before every scenario ran" in page.text


def test_the_kill_matrix_is_rendered_when_present(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    matrix = {"suite": {"wall_time_s": 12.5, "jobs": 2}, "baseline": {"pass": 5},
              "faults": [
                  {"fault": "kms_skip_sig", "role": "kms", "description": "skips <sig>", "requirements": ["R713-KM-SIG"],
                   "status": "killed", "reason": "", "scenarios_run": ["7.13/a::fails", "7.13/a::passes"],
                   "killed_by": ["7.13/a::fails"], "verdicts": {"7.13/a::fails": "fail"}, "duration_s": 2.0},
                  {"fault": "kms_lazy", "role": "kms", "description": "lazy", "requirements": ["R713-KM-SCOPE"],
                   "status": "survived", "reason": "every scenario passed", "scenarios_run": ["7.13/b::x"],
                   "killed_by": [], "verdicts": {"7.13/b::x": "pass"}, "duration_s": 1.0},
                  {"fault": "core_x", "role": "core", "description": "core", "requirements": ["R713-EN-SERVER"],
                   "status": "not_runnable", "reason": "the lab does not start the core role yet",
                   "scenarios_run": [], "killed_by": [], "verdicts": {}, "duration_s": 0.0}]}
    html, page = _render(document, synthetic_run, matrix)
    assert "kill-matrix" in page.ids
    assert "1 fault survived: kms_lazy" in page.text
    assert "1 fault could not be run" in page.text and "the lab does not start the core role yet" in page.text
    assert "3 named; 2 runnable, 1 killed, 1 survived" in page.text
    assert "3 scenario executions" in page.text and "12.5 s with 2 parallel jobs" in page.text
    assert "skips &lt;sig&gt;" in html
    assert f'href="#{anchor("7.13/a::fails")}"' in html
    _, without = _render(document, synthetic_run)
    assert "kill-matrix" not in without.ids


def test_write_reports_picks_up_a_kill_matrix_beside_the_results(synthetic_run: Path):
    document = results.load(synthetic_run / "results.json")
    (synthetic_run / "kill_matrix.json").write_text(json.dumps({"baseline": {}, "faults": []}))
    outputs.write_reports(document, synthetic_run)
    page = Page((synthetic_run / "compliance.html").read_text(encoding="utf-8"))
    assert "kill-matrix" in page.ids
