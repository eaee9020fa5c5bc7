"""`mcsec run` against the reference: verdicts, exit status and the output contract of DESIGN.md."""
import json
import xml.etree.ElementTree as ET

from mcsec.catalogue import load_catalogue, scan_scenarios
from tests.e2e.conftest import all_applicable_pass, mcsec_run, other_side

VERDICTS = {"pass", "fail", "inconclusive", "not_applicable", "error"}


def test_baseline_passes_every_scenario_and_exits_0(baseline_run):
    assert baseline_run.status == 0, baseline_run.stdout + baseline_run.stderr
    doc = baseline_run.results
    assert doc["summary"]["pass"] + doc["summary"]["not_applicable"] == len(doc["scenarios"]) > 0
    assert not all_applicable_pass(doc["scenarios"])


def test_results_json_follows_the_contract(baseline_run):
    doc = baseline_run.results
    assert {"suite", "sut", "summary", "requirements", "scenarios"} <= set(doc)
    assert doc["suite"]["version"] and VERDICTS <= set(doc["summary"])
    catalogue = load_catalogue()
    assert [r["id"] for r in doc["requirements"]] == [r.id for r in catalogue]
    kinds = {r.id: r.kind for r in catalogue}
    for row in doc["requirements"]:
        assert {"id", "clause", "text", "verdict", "scenarios"} <= set(row)
        # A clause, or the RFC or OpenID specification it relies on; a requirement on an interface of the
        # project's own (an ICS item) says so.
        assert (row["clause"] in {"7.13", "7.14"} or row["clause"].startswith(("RFC ", "OpenID Connect "))
                or (kinds[row["id"]] == "project" and row["clause"].startswith("MCSec "))), row["id"]
        assert row["verdict"] == ("pass" if row["scenarios"] else "not_tested")
    scanned = {s.id: s for s in scan_scenarios()}
    for s in doc["scenarios"]:
        assert {"id", "name", "feature", "requirements", "verdict", "reason", "duration_s", "evidence"} <= set(s)
        assert s["id"] in scanned, f"{s['id']} is not a scenario of the features"
        assert s["requirements"] == list(scanned[s["id"]].requirements)
        if s["verdict"] == "not_applicable":   # decided before the first step
            assert s["reason"] and s["steps"] == [], s
        else:
            assert s["steps"] and all(step["status"] == "passed" for step in s["steps"])
    # No password or secret reaches the results: no field holds one (scenario and requirement texts speak
    # of passwords; a value would sit under a key of that name).
    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()
    assert not [k for k in keys(doc) if "password" in k.lower() or "secret" in k.lower()]


def test_one_progress_line_per_scenario(baseline_run):
    lines = [line for line in baseline_run.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == len(baseline_run.results["scenarios"])
    # The built-in profile claims every ICS item; the scenarios for products that do not are N/A.
    skip = other_side()
    for line in lines:
        verdict, sid = line.split("]", 1)[1].split()[:2]
        assert verdict == ("NOT_APPLICABLE" if sid in skip else "PASS"), line


def test_junit_xml_matches_results(baseline_run):
    root = ET.parse(baseline_run.out / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(baseline_run.results["scenarios"])
    assert int(root.get("failures")) == 0 and int(root.get("errors")) == 0
    for case in cases:
        reqs = [p.get("value") for p in case.findall("properties/property[@name='requirement']")]
        assert reqs, f"{case.get('name')} has no requirement property"


def test_a_failing_run_exits_1_and_keeps_evidence(tmp_path):
    run = mcsec_run(tmp_path, "--fault", "kms_accept_expired", "--requirement", "R713-KM-CLAIMS")
    assert run.status == 1, run.stdout + run.stderr
    failed = [s for s in run.results["scenarios"] if s["verdict"] == "fail"]
    assert failed and all(s["reason"] for s in failed)
    for s in failed:
        assert s["evidence"], "a failed scenario keeps the role logs"
        for rel in s["evidence"]:
            assert (tmp_path / rel).is_file()
    req = next(r for r in run.results["requirements"] if r["id"] == "R713-KM-CLAIMS")
    assert req["verdict"] == "fail"


def test_profile_and_usage_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[iut]\nname = "x"\nversion = "1"\nroles = ["kms", "toaster"]\n[ics]\nclauses = ["7.13"]\n'
                   'protection_required = true\n[ixit]\n')
    run = mcsec_run(tmp_path / "o1", "--sut", str(bad))
    assert run.status == 2 and "iut.roles" in run.stderr and "toaster" in run.stderr
    run = mcsec_run(tmp_path / "o2", "--fault", "no_such_fault")
    assert run.status == 2 and "no_such_fault" in run.stderr
    run = mcsec_run(tmp_path / "o3", "--requirement", "R999-NOPE")
    assert run.status == 2 and "R999-NOPE" in run.stderr


def test_the_run_output_holds_no_credentials_or_private_keys(baseline_run):
    files = [p for p in baseline_run.out.rglob("*") if p.is_file()]
    assert any(p.name == "idm.log" for p in files), "role logs are kept in the run output"
    for path in files:
        text = path.read_text(errors="replace")
        assert "PRIVATE KEY" not in text, f"{path} holds a private key"
        assert '"password"' not in text and '"client_secret"' not in text, f"{path} holds credentials"


def test_sip_transport_from_the_ixit_is_used_end_to_end(tmp_path):
    """A product on TCP: the MCPTT server served with a profile whose IXIT says TCP, the lab's client and
    SIP core talking TCP to it and to each other."""
    from mcsec.fixtures.lab.served import served_iut
    from mcsec.fixtures.profile import REFERENCE_PROFILE
    profile = tmp_path / "tcp.toml"
    text = REFERENCE_PROFILE.read_text().replace(
        'roles = ["idm", "kms", "client", "server", "core"]', "roles = []").replace(
        'user_id_format = "hex"', 'user_id_format = "hex"\nsip_transport = "tcp"')
    assert 'sip_transport = "tcp"' in text and "roles = []" in text
    profile.write_text(text)
    with served_iut("server", tmp_path / "iut", sut=profile) as iut:
        assert 'sip_transport = "tcp"' in iut.profile.read_text()
        run = mcsec_run(tmp_path / "out", "--sut", str(iut.profile), "--requirement", "R713-KEYID-SENT")
    assert run.status == 0, run.stdout + run.stderr
    judged = [s for s in run.results["scenarios"] if s["verdict"] == "pass"]
    assert judged and all("server" in s["judges"] for s in judged)
    transports = set()
    for s in judged:
        trace = [p for p in s["evidence"] if p.endswith("sip-trace.jsonl")]
        assert trace, s["evidence"]
        for line in (run.out / trace[0]).read_text().splitlines():
            transports.add(json.loads(line)["transport"])
    assert transports == {"tcp"}, transports
