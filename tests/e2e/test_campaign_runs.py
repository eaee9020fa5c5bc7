"""`mcsec campaign` end to end: the built-in reference, the reference KMS served as a product and a faulty
one, each a run with a lab of its own; the campaign's exit status, campaign.json against its schema, each
run's own results, and the interop matrix's cells."""
from __future__ import annotations

import json
from importlib import resources

import jsonschema

from tests.e2e.conftest import mcsec

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
"""


def test_a_campaign_of_three_runs_gives_each_its_verdict_and_the_matrix_its_cells(tmp_path):
    (tmp_path / "campaign.toml").write_text(CAMPAIGN)
    out = tmp_path / "out"
    proc = mcsec("campaign", str(tmp_path / "campaign.toml"), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr   # one run fails: the campaign fails
    document = json.loads((out / "campaign.json").read_text())
    schema = json.loads(resources.files("mcsec.reports").joinpath("campaign.schema.json").read_text())
    jsonschema.validate(document, schema)
    entries = {e["name"]: e for e in document["entries"]}
    assert {n: e["status"] for n, e in entries.items()} == {"reference": "pass", "kms": "pass", "kms-faulty": "fail"}
    for name, entry in entries.items():
        results = json.loads((out / entry["results"]).read_text())
        assert results["summary"] == entry["summary"]
        assert all(s["verdict"] == "pass" for s in results["scenarios"]) == (name != "kms-faulty")
        assert (out / entry["report"]).is_file()
    faulty = json.loads((out / entries["kms-faulty"]["results"]).read_text())
    assert faulty["sut"]["iut_roles"] == ["kms"]
    assert all("kms" in s["judges"] for s in faulty["scenarios"] if s["verdict"] == "fail")
    cells = {tuple(c["products"]): c["status"] for c in document["matrix"]}
    assert cells[("KMS A", "MCSec reference")] == "pass" and cells[("KMS B", "MCSec reference")] == "fail"
    page = (out / "interop-matrix.html").read_text()
    assert 'class="cell st-fail" data-products="KMS B | MCSec reference"' in page
    assert "runs/kms-faulty/compliance.html" in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("kms-faulty/results.json" in json.dumps(f) for f in manifest.get("files", manifest))
