"""The reports of real runs: every output of the fault-free run and of a run with a fault, and waivers
applied by `mcsec run` and `mcsec report`."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mcsec.reports import results
from mcsec.reports.scenario_detail import anchor, requirement_anchor
from tests.e2e.conftest import FAULTY_SCENARIO, FAULTY_SELECTION, PASSING_SCENARIO, mcsec
from tests.unit.reports.html_check import Page
from tests.unit.reports.test_compliance_html import _self_contained
from tests.unit.reports.test_cucumber import _check_structure
from tests.unit.reports.test_junit import _check_counts
from tests.unit.reports.test_waivers import waiver


@pytest.mark.slow
def test_a_real_run_writes_every_report(real_run: Path):
    for name in ("results.json", "junit.xml", "cucumber.json", "compliance.html"):
        assert (real_run / name).is_file(), name
    document = results.load(real_run / "results.json")
    html = (real_run / "compliance.html").read_text(encoding="utf-8")
    page = Page(html)
    assert not page.problems, page.problems
    _self_contained(html, page)
    assert "traceability-matrix" in page.ids
    assert document["sut"]["name"] in page.text
    for s in document["scenarios"]:
        assert anchor(s["id"]) in page.ids
    for r in document["requirements"]:
        assert requirement_anchor(r["id"]) in page.ids
    untested = [r["id"] for r in document["requirements"] if r["verdict"] == results.NOT_TESTED]
    if untested:   # every requirement is cited today; the synthetic test below covers the call-out
        assert f"{len(untested)} requirement{'s' if len(untested) != 1 else ''} not tested" in page.text
    else:
        assert "not tested:" not in page.text
    assert "PASS: every applicable scenario passes" in page.text
    run_logs = [h for h in page.hrefs() if h.startswith("logs/")]
    assert run_logs and all((real_run / h).is_file() for h in run_logs)
    assert not any(h.endswith((".key", ".pem")) for h in page.hrefs())


@pytest.mark.slow
def test_the_cucumber_json_of_a_real_run(real_run: Path, faulty_run: Path):
    document = results.load(real_run / "results.json")
    features = json.loads((real_run / "cucumber.json").read_text())
    _check_structure(features)
    elements = [e for f in features for e in f["elements"]]
    assert len(elements) == len(document["scenarios"])
    assert {f["uri"] for f in features} == {f"features/{s['feature']}" for s in document["scenarios"]}
    assert all(f["name"] != f["uri"] and not f["name"].endswith(".feature") for f in features)  # real titles
    by_name = {}
    for e in elements:
        by_name.setdefault(e["name"], []).append(e)
    for s in document["scenarios"]:
        candidates = by_name[s["name"]]
        assert any({f"@{r}" for r in s["requirements"]} <= {t["name"] for t in e["tags"]} for e in candidates)
    step = elements[0]["steps"][0]
    source = document["scenarios"][0]["steps"][0]
    assert step["result"]["duration"] == int(round(source["duration_s"] * 1e9))
    assert all(s["result"]["status"] == "passed" for e in elements for s in e["steps"])

    failing = json.loads((faulty_run / "cucumber.json").read_text())
    _check_structure(failing)
    failed = [s for f in failing for e in f["elements"] for s in e["steps"] if s["result"]["status"] == "failed"]
    assert len(failed) == 1 and "expected 401" in failed[0]["result"]["error_message"]
    assert any(e["id"].endswith(";" + FAULTY_SCENARIO.lower()) for f in failing for e in f["elements"])  # outline row


@pytest.mark.slow
def test_the_junit_of_a_real_run_matches_its_results(real_run: Path, faulty_run: Path):
    for run in (real_run, faulty_run):
        document = results.load(run / "results.json")
        root = ET.parse(run / "junit.xml").getroot()
        _check_counts(root)
        assert int(root.get("tests")) == len(document["scenarios"])
        assert int(root.get("failures")) == document["summary"]["fail"]
        ids = {p.get("value") for p in root.iter("property") if p.get("name") == "scenario_id"}
        assert ids == {s["id"] for s in document["scenarios"]}
        for case in root.iter("testcase"):
            props = case.find("properties")
            reqs = [p.get("value") for p in props if p.get("name") == "requirement"]
            sid = next(p.get("value") for p in props if p.get("name") == "scenario_id")
            scenario = next(s for s in document["scenarios"] if s["id"] == sid)
            assert reqs == scenario["requirements"] and reqs
    failure = ET.parse(faulty_run / "junit.xml").getroot().find(".//failure")
    assert "expected 401" in failure.get("message")


@pytest.mark.slow
def test_a_real_run_waives_its_known_deviation(tmp_path: Path):
    w = tmp_path / "w.toml"
    w.write_text(waiver("scenario", FAULTY_SCENARIO, reason="KMS clock <skew> & co"))
    out = tmp_path / "out"
    proc = mcsec("run", "--fault", "kms_accept_expired", *FAULTY_SELECTION, "--waivers", str(w), "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = json.loads((out / "results.json").read_text())
    assert document["summary"]["waived"] == 1 and document["summary"]["fail"] == 0
    s = next(s for s in document["scenarios"] if s["id"] == FAULTY_SCENARIO)
    assert s["original_verdict"] == "fail" and s["waiver"]["reason"] == "KMS clock <skew> & co"
    page = Page((out / "compliance.html").read_text(encoding="utf-8"))
    assert "1 known deviation waived" in page.text and "KMS clock <skew> & co" in page.text
    assert "KMS clock &lt;skew&gt; &amp; co" in (out / "compliance.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_report_with_stale_waivers_fails_and_lists_them(faulty_run: Path, tmp_path: Path):
    w = tmp_path / "w.toml"
    w.write_text(waiver("scenario", PASSING_SCENARIO) + waiver("scenario", FAULTY_SCENARIO, expires="2020-01-01"))
    out = tmp_path / "out"
    proc = mcsec("report", str(faulty_run / "results.json"), "--waivers", str(w), "--out", str(out), )
    assert proc.returncode == 1
    assert "stale waiver" in proc.stderr and "now passes" in proc.stderr and "expired on 2020-01-01" in proc.stderr
    document = json.loads((out / "results.json").read_text())
    assert [x["status"] for x in document["waivers"]] == ["stale", "stale"]
    assert document["summary"]["fail"] == 1 and document["summary"]["waived"] == 0
    page = Page((out / "compliance.html").read_text(encoding="utf-8"))
    assert "2 stale waivers" in page.text and "FAIL: 1 scenario fail, 2 stale waivers" in page.text
    bad = tmp_path / "bad.toml"
    bad.write_text("[[waiver]]\nexpires = 2027-01-31\n")
    proc = mcsec("report", str(faulty_run / "results.json"), "--waivers", str(bad), "--out", str(out), )
    assert proc.returncode == 2 and "'scenario' or 'requirement'" in proc.stderr


@pytest.mark.slow
def test_a_real_run_with_a_waiver_for_a_passing_scenario_fails(tmp_path: Path):
    w = tmp_path / "w.toml"
    w.write_text(waiver("scenario", PASSING_SCENARIO))
    proc = mcsec("run", "--requirement", "R713-KM-CLAIMS", "-k", "issuer", "--waivers", str(w),
                 "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "stale waiver" in proc.stderr
