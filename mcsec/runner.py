"""`mcsec run`: the conformance run of a profile, through pytest-bdd, into the reports.

The runner makes the run's :class:`~mcsec.fixtures.session.ConformanceSession` (profile, output folder,
catalogue, selection), hands it to pytest with the conformance plugin and the step modules, and builds
results.json, junit.xml, cucumber.json and compliance.html from the session's records.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

import pytest

from mcsec.catalogue import load_catalogue
from mcsec.fixtures.keylog import KeyLog
from mcsec.fixtures.plugin import ConformancePlugin
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.session import ConformanceSession, Selection
from mcsec.reports import manifest, outputs, results
from mcsec.reports import waivers as waiver_rules
from mcsec.reports.waivers import Waiver
from mcsec.steps import STEP_MODULES

SCENARIO_MODULE = Path(str(resources.files("mcsec.steps") / "scenarios.py"))


@dataclass
class RunOutcome:
    document: dict
    exit_status: int
    out_dir: Path


def run(profile: Profile, out_dir: Path, *, selection: Selection = Selection(), keyword: str | None = None,
        progress: TextIO = sys.stdout, waivers: list[Waiver] | None = None,
        sign_key: manifest.Ed25519PrivateKey | None = None, key_log: KeyLog | None = None) -> RunOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue()
    key_log = key_log or KeyLog.off()
    session = ConformanceSession(profile, out_dir, catalogue, selection=selection, progress=progress,
                                 key_log=key_log)
    args = [str(SCENARIO_MODULE), "-p", "no:terminal", "-p", "no:cacheprovider",
            "--rootdir", str(SCENARIO_MODULE.parent), "-c", os.devnull, "--import-mode=importlib",
            "-o", "python_files=scenarios.py", "-W", "ignore::DeprecationWarning"]
    for module in STEP_MODULES:
        args += ["-p", module]
    if keyword:
        args += ["-k", keyword]
    started = _dt.datetime.now(_dt.timezone.utc)
    try:
        code = pytest.main(args, plugins=[ConformancePlugin(session)])
    finally:
        session.close()
        key_log.close()
    finished = _dt.datetime.now(_dt.timezone.utc)
    interrupted = code == pytest.ExitCode.INTERRUPTED
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        session.suite_errors.append(f"pytest ended with {code!r}")
    document = results.build(catalogue=catalogue, scenarios=session.results, sut=profile.describe(),
                             started=started, finished=finished, interrupted=interrupted,
                             suite_errors=session.suite_errors, key_log=key_log.describe())
    if waivers is not None:
        waiver_rules.apply(document, waivers)
    results.write(document, out_dir / "results.json")
    outputs.write_reports(document, out_dir, signed_by=manifest.signer_fingerprint(sign_key))
    manifest.write(out_dir, sign_key)  # last: the SHA-256 of every file written above
    status = results.document_exit_status(document)  # fail or stale waiver 1, inconclusive/error/suite error 3
    if interrupted:
        status = 130
    return RunOutcome(document, status, out_dir)
