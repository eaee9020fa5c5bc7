"""`mcsec fuzz` against reference roles served as the product (`mcsec serve --iut ROLE --profile-out`), over
their real sockets: bounded by case counts, never by wall-clock caps."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcsec.fixtures.lab.served import served_iut

SEED = 20261203


def _fuzz(profile: Path, role: str, out: Path, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run([sys.executable, "-m", "mcsec", "fuzz", "--sut", str(profile), "--role", role,
                           "--seed", str(SEED), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=1800)
    document = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    runs = {r["role"]: r for r in document.get("fuzz", [])}
    return proc.returncode, runs.get(role, {}), proc.stdout + proc.stderr


def test_the_reference_server_and_kms_answer_every_case_within_its_classes(tmp_path):
    with served_iut("server", tmp_path / "served") as served:
        out = tmp_path / "out"
        status, server, text = _fuzz(served.profile, "server", out, "--cases", "80")
        assert status == 0, text
        assert server["counts"]["cases_sent"] == 80 and server["counts"]["findings"] == 0
        assert server["counts"]["distinct_malformed"] > 40
        assert set(server["families"]) == {"sip", "cms"}
        assert server["counts"]["liveness_probes"] >= 4
        status, kms, text = _fuzz(served.profile, "kms", out, "--cases", "120")
        assert status == 0, text
        assert kms["counts"]["findings"] == 0 and set(kms["families"]) == {"jwt", "xml"}
        assert kms["counts"]["answers"].get("401", 0) > 30 and kms["counts"]["answers"].get("400", 0) > 30
    document = json.loads((out / "results.json").read_text())
    assert [r["role"] for r in document["fuzz"]] == ["server", "kms"]   # both runs kept in one results.json
    html = (out / "fuzz.html").read_text()
    assert "Fuzzing" in html and "server" in html and "kms" in html
    # the access token and the user's password reach no output
    secret_bearing = (out / "results.json").read_text() + html
    assert "eyJ" not in secret_bearing


@pytest.mark.parametrize("fault,family,kind,answer,expected", [
    # the server sends no 400 to a request it cannot parse (RFC 3261 21.4.1)
    ("server_drop_malformed", "sip", "no-answer", "no answer", "400"),
    # the server answers 200 to a body it cannot open instead of 493 (RFC 3261 21.4.26)
    ("server_accept_undecipherable", "cms", "wrong-class", "200", "493"),
])
def test_a_faulty_server_is_found_and_the_case_minimised(tmp_path, fault, family, kind, answer, expected):
    with served_iut("server", tmp_path / "served", faults=[fault]) as served:
        out = tmp_path / "out"
        status, run, text = _fuzz(served.profile, "server", out, "--family", family, "--cases", "40")
    assert status == 1, text
    findings = run["findings"]
    assert findings and all(f["kind"] == kind for f in findings), findings
    first = findings[0]
    assert first["seed"] == SEED and first["resent_answer"] == answer
    minimal = first["minimal"]
    assert 1 <= len(minimal["steps"]) <= len(first["steps"]) and minimal["answer"] == answer
    assert expected in minimal["expected"] and answer not in minimal["expected"]
    evidence = out / first["evidence"]
    assert json.loads((evidence / "case.json").read_text())["case"] == first["case"]
    assert (evidence / "sent.bin").read_bytes() and (evidence / "minimal.bin").read_bytes()
