"""cucumber.json: the standard Cucumber JSON structure, with requirement IDs as tags."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path


from mcsec.reports import cucumber, waivers
from tests.unit.reports.conftest import synthetic_document

STATUSES = {"passed", "failed", "skipped", "undefined"}


def _check_structure(features: list) -> None:
    assert isinstance(features, list) and features
    for f in features:
        for key in ("uri", "id", "keyword", "name", "description", "line", "tags", "elements"):
            assert key in f, key
        assert f["keyword"] == "Feature" and isinstance(f["line"], int)
        for e in f["elements"]:
            for key in ("id", "keyword", "type", "name", "line", "tags", "steps"):
                assert key in e, key
            assert e["type"] == "scenario" and e["id"].startswith(f["id"] + ";")
            for t in e["tags"]:
                assert t["name"].startswith("@") and isinstance(t["line"], int)
            for s in e["steps"]:
                assert s["keyword"].endswith(" ") and s["name"] and isinstance(s["line"], int)
                assert s["result"]["status"] in STATUSES
                assert isinstance(s["result"]["duration"], int) and s["result"]["duration"] >= 0


def test_verdicts_map_onto_step_results_and_hooks():
    features = cucumber.render(synthetic_document(), features_dir=Path("/nonexistent"))
    _check_structure(features)
    elements = {e["name"]: e for f in features for e in f["elements"]}
    assert features[0]["name"] == "7.13/a"                    # no feature file at hand: the path stands in
    statuses = lambda name: [s["result"]["status"] for s in elements[name]["steps"]]
    assert statuses("passes") == ["passed", "passed"]
    assert statuses("fails") == ["passed", "failed"]
    assert "the KMS answered 200" in elements["fails"]["steps"][1]["result"]["error_message"]
    assert statuses("not claimed") == ["passed", "skipped"]
    assert "@not_applicable" in {t["name"] for t in elements["not claimed"]["tags"]}
    assert "after" not in elements["fails"]
    broken = elements["broken"]                                # error with no failed step: an after hook
    assert broken["after"][0]["result"]["status"] == "failed"
    assert "error: Traceback" in broken["after"][0]["result"]["error_message"]
    assert {"@R713-KM-SIG"} <= {t["name"] for t in elements["fails"]["tags"]}
    assert "\x00" not in json.dumps(features)


def test_a_waived_scenario_is_tagged_and_its_failed_step_skipped():
    document = synthetic_document()
    waivers.apply(document, waivers.parse('[[waiver]]\nrequirement = "R713-KM-SIG"\nreason = "known"\n'
                                          'expires = 2099-12-31\n'), _dt.date(2026, 1, 1))
    elements = {e["name"]: e for f in cucumber.render(document) for e in f["elements"]}
    waived = elements["fails"]
    assert "@waived" in {t["name"] for t in waived["tags"]}
    assert [s["result"]["status"] for s in waived["steps"]] == ["passed", "skipped"]
    assert "waived until 2099-12-31 (known)" in waived["steps"][1]["result"]["error_message"]
    assert "Waived until 2099-12-31" in waived["description"]
