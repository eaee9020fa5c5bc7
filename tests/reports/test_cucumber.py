"""cucumber.json: the standard Cucumber JSON structure, with requirement IDs as tags."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from mcsec.reports import cucumber, results, waivers
from tests.reports.conftest import synthetic_document

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
    assert any(e["id"].endswith(";that-expired-ten-minutes-ago") for f in failing for e in f["elements"])  # outline row


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
