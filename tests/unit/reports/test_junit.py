"""junit.xml: parses, and its counts match results.json."""
from __future__ import annotations

import datetime as _dt
import re
import xml.etree.ElementTree as ET


from mcsec.reports import junit, waivers
from tests.unit.reports.conftest import synthetic_document


def _check_counts(root: ET.Element) -> None:
    cases = root.findall("./testsuite/testcase")
    assert int(root.get("tests")) == len(cases)
    assert int(root.get("failures")) == len(root.findall("./testsuite/testcase/failure"))
    assert int(root.get("errors")) == len(root.findall("./testsuite/testcase/error"))
    assert int(root.get("skipped")) == len(root.findall("./testsuite/testcase/skipped"))
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp")), suite.get("timestamp")
        assert suite.get("name")
        for case in suite.findall("testcase"):
            assert case.get("classname") and case.get("name") and float(case.get("time")) >= 0


def test_every_verdict_maps_to_its_element_and_sut_text_stays_valid_xml():
    document = synthetic_document()
    root = ET.fromstring(junit.render(document))
    _check_counts(root)
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    assert by_name["fails"].find("failure") is not None
    assert "\\x00\\x1b" in by_name["fails"].find("failure").get("message")
    assert by_name["undecided"].find("error").get("type") == "inconclusive"
    assert by_name["broken"].find("error").get("type") == "error"
    assert by_name["not claimed"].find("skipped") is not None
    assert by_name["passes"].find("failure") is None and by_name["passes"].find("skipped") is None
    assert int(root.get("tests")) == 5 and int(root.get("failures")) == 1 and int(root.get("errors")) == 2


def test_waived_scenarios_are_skipped_and_stale_waivers_fail():
    document = synthetic_document()
    waiver_list = waivers.parse(
        '[[waiver]]\nscenario = "7.13/a::fails"\nreason = "ticket 7"\nexpires = 2099-01-01\n'
        '[[waiver]]\nscenario = "7.13/a::passes"\nreason = "fixed since"\nexpires = 2099-01-01\n')
    waivers.apply(document, waiver_list, _dt.date(2026, 1, 1))
    root = ET.fromstring(junit.render(document))
    _check_counts(root)
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    skipped = by_name["fails"].find("skipped")
    assert skipped is not None and "waived until 2099-01-01: ticket 7" in skipped.get("message")
    stale = [c for c in root.iter("testcase") if c.get("classname") == "mcsec.waivers"]
    assert len(stale) == 1 and stale[0].find("failure") is not None
    assert "the scenario now passes" in stale[0].find("failure").get("message")
    assert int(root.get("failures")) == 1       # the stale waiver; the waived fail is skipped


def test_suite_errors_are_error_cases():
    document = synthetic_document()
    document["suite"]["errors"] = ["collecting features: boom"]
    root = ET.fromstring(junit.render(document))
    _check_counts(root)
    case = next(c for c in root.iter("testcase") if c.get("classname") == "mcsec.suite")
    assert case.find("error").get("message") == "collecting features: boom"
