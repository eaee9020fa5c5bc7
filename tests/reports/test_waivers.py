"""Waivers: a matching fail becomes waived; stale waivers (passing, expired) fail the run; bad files are
usage errors naming the key."""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from mcsec.reports import results, waivers
from tests.reports.conftest import FAULTY_SCENARIO, PASSING_SCENARIO, mcsec, synthetic_document
from tests.reports.html_check import Page

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


@pytest.mark.slow
def test_a_real_run_waives_its_known_deviation(tmp_path: Path):
    w = tmp_path / "w.toml"
    w.write_text(waiver("scenario", FAULTY_SCENARIO, reason="KMS clock <skew> & co"))
    out = tmp_path / "out"
    proc = mcsec("run", "--fault", "kms_accept_expired", "--requirement", "R713-KM-CLAIMS",
                 "--waivers", str(w), "--out", str(out))
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
    proc = mcsec("report", str(faulty_run / "results.json"), "--waivers", str(w), "--out", str(out), timeout=60)
    assert proc.returncode == 1
    assert "stale waiver" in proc.stderr and "now passes" in proc.stderr and "expired on 2020-01-01" in proc.stderr
    document = json.loads((out / "results.json").read_text())
    assert [x["status"] for x in document["waivers"]] == ["stale", "stale"]
    assert document["summary"]["fail"] == 1 and document["summary"]["waived"] == 0
    page = Page((out / "compliance.html").read_text(encoding="utf-8"))
    assert "2 stale waivers" in page.text and "FAIL: 1 scenario fail, 2 stale waivers" in page.text
    bad = tmp_path / "bad.toml"
    bad.write_text("[[waiver]]\nexpires = 2027-01-31\n")
    proc = mcsec("report", str(faulty_run / "results.json"), "--waivers", str(bad), "--out", str(out), timeout=60)
    assert proc.returncode == 2 and "'scenario' or 'requirement'" in proc.stderr


@pytest.mark.slow
def test_a_real_run_with_a_waiver_for_a_passing_scenario_fails(tmp_path: Path):
    w = tmp_path / "w.toml"
    w.write_text(waiver("scenario", PASSING_SCENARIO))
    proc = mcsec("run", "--requirement", "R713-KM-CLAIMS", "-k", "issuer", "--waivers", str(w),
                 "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "stale waiver" in proc.stderr
