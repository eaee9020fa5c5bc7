"""`mcsec campaign` end to end: the built-in reference, the reference KMS served as a product, a faulty one
and the reference MCPTT server served as a product, each a run with a lab of its own; the campaign's exit
status, campaign.json against its schema, each run's own results, the interop matrix's cells, and the
matrix page in Chromium."""
from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.e2e.conftest import RunResult, mcsec
from tests.e2e.devtools import CHROMIUM, Browser, page_errors, requested_urls

CAMPAIGN = """
[campaign]
name = "three products"

[[entry]]
name = "reference"
reference = true
requirements = ["R713-KM-CLAIMS"]

[[entry]]
name = "kms"
serve = "kms"
product = "KMS A"
requirements = ["R713-KM-CLAIMS"]

[[entry]]
name = "kms-faulty"
serve = "kms"
product = "KMS B"
faults = ["kms_accept_expired"]
requirements = ["R713-KM-CLAIMS"]

[[entry]]
name = "server"
serve = "server"
product = "Server C"
requirements = ["R713-KEYID-SENT"]
"""


@pytest.fixture(scope="module")
def campaign_run(tmp_path_factory) -> RunResult:
    here = tmp_path_factory.mktemp("campaign")
    (here / "campaign.toml").write_text(CAMPAIGN)
    proc = mcsec("campaign", str(here / "campaign.toml"), "--out", str(here / "out"), "--jobs", "2")
    return RunResult(proc.returncode, proc.stdout, proc.stderr, here / "out")


def test_a_campaign_gives_each_run_its_verdict_and_the_matrix_its_cells(campaign_run):
    out = campaign_run.out
    assert campaign_run.status == 1, campaign_run.stdout + campaign_run.stderr   # one run fails: the campaign fails
    document = json.loads((out / "campaign.json").read_text())
    schema = json.loads(resources.files("mcsec.reports").joinpath("campaign.schema.json").read_text())
    jsonschema.validate(document, schema)
    entries = {e["name"]: e for e in document["entries"]}
    assert {n: e["status"] for n, e in entries.items()} == {"reference": "pass", "kms": "pass", "kms-faulty": "fail",
                                                            "server": "pass"}
    for name, entry in entries.items():
        results = json.loads((out / entry["results"]).read_text())
        assert results["summary"] == entry["summary"]
        verdicts = {s["verdict"] for s in results["scenarios"]}
        assert "pass" in verdicts and ("fail" in verdicts) == (name == "kms-faulty"), (name, verdicts)
        assert verdicts <= {"pass", "fail", "not_applicable"}, (name, verdicts)
        assert (out / entry["report"]).is_file()
    faulty = json.loads((out / entries["kms-faulty"]["results"]).read_text())
    assert faulty["sut"]["iut_roles"] == ["kms"]
    assert all("kms" in s["judges"] for s in faulty["scenarios"] if s["verdict"] == "fail")
    cells = {tuple(c["products"]): c["status"] for c in document["matrix"]}
    assert cells[("KMS A", "MCSec reference")] == "pass" and cells[("KMS B", "MCSec reference")] == "fail"
    assert cells[("Server C", "MCSec reference")] == "pass"
    page = (out / "interop-matrix.html").read_text()
    assert 'class="cell st-fail" data-products="KMS B | MCSec reference"' in page
    assert "runs/kms-faulty/compliance.html" in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("kms-faulty/results.json" in json.dumps(f) for f in manifest.get("files", manifest))


@pytest.mark.slow
def test_the_interop_matrix_opens_in_chromium_without_errors(campaign_run):
    assert os.access(CHROMIUM, os.X_OK), "chromium is missing: `make test` installs it (Debian package chromium)"
    page_url = Path(campaign_run.out / "interop-matrix.html").resolve().as_uri()
    with Browser(timeout=30) as browser:
        browser.load(page_url)
        state = browser.evaluate("document.readyState")
        failing = browser.evaluate("document.querySelectorAll('td.cell.st-fail').length")
        links = browser.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
        browser.send("Runtime.evaluate", expression="1")   # drain events raised while loading
        events = list(browser.events)
    errors = page_errors(events)
    assert not errors, errors
    requests = requested_urls(events)
    assert all(u.startswith("file:") for u in requests), requests
    assert state == "complete" and failing >= 1
    assert all((campaign_run.out / h.split("#")[0]).exists() for h in links if h and not h.startswith("#")), links
