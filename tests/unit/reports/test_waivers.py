"""Waivers: a matching fail becomes waived; stale waivers (passing, expired) fail the run; bad files are
usage errors naming the key."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from mcsec.reports import results, waivers
from tests.unit.reports.conftest import mcsec, synthetic_document

TODAY = _dt.date(2026, 6, 1)


def waiver(target: str, value: str, expires: str = "2099-01-31", reason: str = "vendor ticket 42") -> str:
    return f'[[waiver]]\n{target} = "{value}"\nreason = "{reason}"\nexpires = {expires}\n\n'


def test_a_matching_fail_becomes_waived_and_keeps_its_original_verdict():
    document = synthetic_document()
    stale = waivers.apply(document, waivers.parse(waiver("scenario", "7.13/a::fails")), TODAY)
    assert stale == []
    s = next(s for s in document["scenarios"] if s["id"] == "7.13/a::fails")
    assert s["verdict"] == "waived" and s["original_verdict"] == "fail"
    assert s["waiver"] == {"scenario": "7.13/a::fails", "reason": "vendor ticket 42", "expires": "2099-01-31"}
    assert "the KMS answered 200" in s["reason"]
    assert document["summary"]["waived"] == 1 and document["summary"]["fail"] == 0
    for v in ("pass", "fail", "inconclusive", "not_applicable", "error"):
        assert v in document["summary"]
    assert document["waivers"][0]["status"] == "applied" and document["waivers"][0]["waived"] == ["7.13/a::fails"]
    sig = next(r for r in document["requirements"] if r["id"] == "R713-KM-SIG")
    assert sig["verdict"] == "waived"
    assert results.document_exit_status(document) == 3     # the synthetic run also has an error


def test_a_requirement_waiver_waives_only_fails_of_its_scenarios():
    document = synthetic_document()
    waivers.apply(document, waivers.parse(waiver("requirement", "R713-KM-SIG") + waiver("requirement",
                                                                                         "R713-KM-CLAIMS")), TODAY)
    verdicts = {s["id"]: s["verdict"] for s in document["scenarios"]}
    assert verdicts["7.13/a::fails"] == "waived" and verdicts["7.13/a::passes"] == "pass"
    assert verdicts["7.13/a::undecided"] == "inconclusive" and verdicts["7.13/a::broken"] == "error"
    claims = document["waivers"][1]
    assert claims["status"] == "unused" and "covers only fail" in claims["note"]


def test_a_waiver_whose_scenario_passes_is_stale():
    document = synthetic_document()
    stale = waivers.apply(document, waivers.parse(waiver("scenario", "7.13/a::passes")), TODAY)
    assert [w["scenario"] for w in stale] == ["7.13/a::passes"]
    assert stale[0]["note"] == "the scenario now passes"
    assert results.document_exit_status(document) == 1


def test_an_expired_waiver_is_stale_and_waives_nothing():
    document = synthetic_document()
    stale = waivers.apply(document, waivers.parse(waiver("scenario", "7.13/a::fails", expires="2026-05-31")), TODAY)
    assert stale and stale[0]["note"] == "expired on 2026-05-31"
    assert document["summary"]["fail"] == 1 and document["summary"]["waived"] == 0
    document = synthetic_document()   # still in force on the day it expires
    assert waivers.apply(document, waivers.parse(waiver("scenario", "7.13/a::fails", expires="2026-06-01")),
                         TODAY) == []


def test_a_waiver_matching_nothing_is_unused_not_stale():
    document = synthetic_document()
    stale = waivers.apply(document, waivers.parse(waiver("scenario", "7.14/not::run")), TODAY)
    assert stale == [] and document["waivers"][0]["status"] == "unused"


def test_applying_again_starts_from_the_original_verdicts():
    document = synthetic_document()
    waivers.apply(document, waivers.parse(waiver("scenario", "7.13/a::fails")), TODAY)
    waivers.apply(document, [], TODAY)
    s = next(s for s in document["scenarios"] if s["id"] == "7.13/a::fails")
    assert s["verdict"] == "fail" and "original_verdict" not in s and "waiver" not in s
    assert document["summary"]["fail"] == 1 and document["summary"]["waived"] == 0


@pytest.mark.parametrize("text, named", [
    ('[[waiver]]\nscenarios = "x"\nreason = "r"\nexpires = 2027-01-31\n', "'scenarios'"),
    ('[[waiver]]\nscenario = "x"\nreason = "r"\nexpires = "2027-01-31"\n', "'expires'"),
    ('[[waiver]]\nscenario = "x"\nexpires = 2027-01-31\n', "'reason'"),
    ('[[waiver]]\nscenario = "x"\nreason = "r"\n', "'expires'"),
    ('[[waiver]]\nscenario = "x"\nrequirement = "R713-KM-SIG"\nreason = "r"\nexpires = 2027-01-31\n', "'scenario'"),
    ('[[waiver]]\nrequirement = "R999-NOPE"\nreason = "r"\nexpires = 2027-01-31\n', "'requirement'"),
    ('[[waivers]]\nscenario = "x"\n', "'waivers'"),
    ('[[waiver]\nscenario = ', "not valid TOML"),
])
def test_a_malformed_file_names_the_bad_key(text: str, named: str):
    with pytest.raises(waivers.WaiverError) as caught:
        waivers.parse(text, "w.toml", known_requirements={"R713-KM-SIG"})
    assert named in str(caught.value)


def test_run_with_a_malformed_waivers_file_is_a_usage_error(tmp_path: Path):
    bad = tmp_path / "w.toml"
    bad.write_text('[[waiver]]\nscenario = "x"\nreason = "r"\nexpires = 2027-01-31\nowner = "me"\n')
    proc = mcsec("run", "--waivers", str(bad), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and "'owner'" in proc.stderr
    assert not (tmp_path / "out" / "results.json").exists()
    proc = mcsec("run", "--waivers", str(tmp_path / "absent.toml"), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2

