"""Fixtures: a synthetic results document with every verdict and the edge cases the reports must survive,
and `mcsec` run as a command (the real runs are in tests/e2e)."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.repo import ROOT

RUN_TIMEOUT_S = 300
NASTY = "<script>alert('x')</script> & \"quoted\" \x00\x1b<b>bold</b>"


def mcsec(*args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`mcsec ARGS` in a subprocess of this interpreter, bounded by `timeout`."""
    env = {k: v for k, v in os.environ.items() if k != "MCSEC_FAULTS"}
    return subprocess.run([sys.executable, "-m", "mcsec.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _scenario(sid: str, verdict: str, reqs: list[str], reason: str = "", steps=None, evidence=None) -> dict:
    return {"id": sid, "name": sid.split("::")[-1].replace("-", " "), "feature": sid.split("::")[0] + ".feature",
            "requirements": reqs, "verdict": verdict, "reason": reason, "duration_s": 0.25,
            "evidence": evidence or [], "steps": steps if steps is not None else [
                {"keyword": "Given", "text": "the lab is up", "status": "passed", "duration_s": 0.1},
                {"keyword": "Then", "text": "the KMS refuses", "status": "failed" if verdict in
                 ("fail", "inconclusive", "not_applicable") else "passed", "duration_s": 0.05}]}


_SYNTHETIC = {
    "suite": {"name": "mcsec", "version": "0.1.0", "python": "3.11.7", "started": "2026-11-28T04:14:35+00:00",
              "finished": "2026-11-28T04:14:49+00:00", "duration_s": 14.0, "interrupted": False, "errors": []},
    "sut": {"profile": "/vendor/acme.toml", "name": f"ACME KMS {NASTY}", "version": "4.1 <beta>",
            "iut_roles": ["kms"], "clauses": ["7.13"], "protection_required": True, "kms_uri": "kms.acme.example",
            "faults": []},
    "summary": {},
    "requirements": [
        {"id": "R713-KM-SIG", "clause": "7.13", "text": "The KMS performs authorization <by verifying> the token.",
         "requirement": "The KMS checks the IdM signature.", "condition": "always", "kind": "normative",
         "verdict": "", "scenarios": ["7.13/a::passes", "7.13/a::fails"]},
        {"id": "R713-KM-CLAIMS", "clause": "7.13", "text": "Claims are checked.", "requirement": "exp, nbf, aud",
         "condition": "always", "kind": "normative", "verdict": "",
         "scenarios": ["7.13/a::undecided", "7.13/a::broken"]},
        {"id": "R713-KM-SCOPE", "clause": "7.13", "text": "Scope.", "requirement": "scope", "condition": "always",
         "kind": "normative", "verdict": "", "scenarios": ["7.13/b::not-claimed"]},
        {"id": "R714-KM-PROV", "clause": "7.14", "text": "Key provisioning & <friends>.", "requirement": "prov",
         "condition": "7.14", "kind": "normative", "verdict": "", "scenarios": []},
        {"id": "RSIP-415", "clause": "RFC 3261 21.4.13", "text": "415 Unsupported Media Type", "requirement": "415",
         "condition": "always", "kind": "derived", "verdict": "", "scenarios": []},
    ],
    "scenarios": [
        _scenario("7.13/a::passes", "pass", ["R713-KM-SIG"]),
        _scenario("7.13/a::fails", "fail", ["R713-KM-SIG"], reason=f"the KMS answered 200: {NASTY}",
                  evidence=["evidence/7.13_a_fails/kms.log", "evidence/7.13_a_fails/gone.pcap"]),
        _scenario("7.13/a::undecided", "inconclusive", ["R713-KM-CLAIMS"], reason="the KMS was silent"),
        _scenario("7.13/a::broken", "error", ["R713-KM-CLAIMS"], reason="Traceback: KeyError 'x'",
                  steps=[{"keyword": "Given", "text": "the lab is up", "status": "passed", "duration_s": 0.1}]),
        _scenario("7.13/b::not-claimed", "not_applicable", ["R713-KM-SCOPE"], reason="ICS item scope not claimed"),
    ],
}


def synthetic_document() -> dict:
    """A results document with one scenario of each verdict the runner gives, two uncited requirements,
    SUT text full of HTML special characters, and one listed evidence file that does not exist."""
    from mcsec.reports import results

    document = copy.deepcopy(_SYNTHETIC)
    results.refresh(document)
    return document


@pytest.fixture
def synthetic_run(tmp_path) -> Path:
    """A run folder holding the synthetic results.json and one of its two evidence files."""
    document = synthetic_document()
    (tmp_path / "evidence" / "7.13_a_fails").mkdir(parents=True)
    (tmp_path / "evidence" / "7.13_a_fails" / "kms.log").write_text("kms said <no>\n")
    (tmp_path / "results.json").write_text(json.dumps(document, indent=2))
    return tmp_path
