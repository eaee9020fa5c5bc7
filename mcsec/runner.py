"""`mcsec run`: runs the features with pytest-bdd against a profile and writes the reports.

The Recorder is a pytest plugin object: it hands the run settings to the
conformance plugin, turns each scenario's outcome into a verdict, prints one
progress line per scenario, keeps the role logs of every scenario that did not
pass as evidence, and writes results.json and junit.xml at the end.
"""
from __future__ import annotations

import datetime as _dt
import os
from importlib import resources
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from mcsec.fixtures import verdicts
from mcsec.fixtures.conformance import LAB_KEY, RUN_SETTINGS, SCENARIO_ID, RunSettings, evidence_folder
from mcsec.fixtures.profile import Profile
from mcsec.catalogue import Requirement, feature_rel, load_catalogue, requirement_tags, scenario_id
from mcsec.reports import outputs, results
from mcsec.reports import waivers as waiver_rules
from mcsec.reports.results import ScenarioResult, StepResult
from mcsec.reports.waivers import Waiver

SCENARIO_MODULE = Path(str(resources.files("mcsec.steps") / "scenarios.py"))


@dataclass
class _Running:
    result: ScenarioResult
    started: float
    log_offsets: dict[str, int] = field(default_factory=dict)
    exc: BaseException | None = None
    phase: str = ""
    step_started: float = 0.0


class Recorder:
    def __init__(self, settings: RunSettings, catalogue: list[Requirement], requirements: set[str] | None,
                 progress: TextIO):
        self.settings = settings
        self.catalogue = catalogue
        self.only = requirements
        self.progress = progress
        self.scenarios: list[ScenarioResult] = []
        self.suite_errors: list[str] = []
        self.total = 0
        self._running: dict[str, _Running] = {}
        self._config: pytest.Config | None = None

    # --- configuration and collection -----------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        self._config = config
        config.stash[RUN_SETTINGS] = self.settings
        for req in self.catalogue:
            config.addinivalue_line("markers", f"{req.id}: {req.clause} requirement")

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.suite_errors.append(f"collecting {report.nodeid or 'features'}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, session, config, items: list) -> None:
        if self.only is not None:
            keep = [i for i in items if self.only & set(requirement_tags(m.name for m in i.iter_markers()))]
            deselected = [i for i in items if i not in keep]
            if deselected:
                config.hook.pytest_deselected(items=deselected)
            items[:] = keep

    def pytest_collection_finish(self, session) -> None:
        self.total = len(session.items)  # after every selection (-k, --requirement)
        print(f"mcsec: {self.total} scenarios against {self.settings.profile.name}", file=self.progress)

    # --- one scenario ---------------------------------------------------------------------
    def _describe(self, item) -> ScenarioResult:
        template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
        example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example")
        if template is None:
            return ScenarioResult(item.nodeid, item.name, "", [], verdicts.ERROR, "", 0.0)
        rel = feature_rel(template.feature.filename)
        name = template.render(example).name if example else template.name
        reqs = list(requirement_tags(m.name for m in item.iter_markers()))
        return ScenarioResult(scenario_id(rel, template.name, example), name, rel, reqs, verdicts.PASS, "", 0.0)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item) -> None:
        lab = self._config.stash.get(LAB_KEY, None)
        running = self._running[item.nodeid] = _Running(
            self._describe(item), time.monotonic(), lab.log_offsets() if lab is not None else {})
        item.stash[SCENARIO_ID] = running.result.id

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        running = self._running.get(item.nodeid)
        if running is not None and call.excinfo is not None and running.exc is None:
            running.exc = call.excinfo.value
            running.phase = call.when
            if not isinstance(running.exc, (AssertionError, verdicts.Inconclusive, verdicts.NotApplicable)):
                running.result.reason = call.excinfo.getrepr(style="short", chain=False).__str__()[-2000:]
        return report

    def pytest_bdd_before_scenario(self, request, feature, scenario) -> None:
        running = self._running.get(request.node.nodeid)
        if running is not None:
            running.result.steps = [StepResult(s.keyword, s.name, "skipped") for s in scenario.steps]

    def _step(self, request, step) -> StepResult | None:
        running = self._running.get(request.node.nodeid)
        if running is None:
            return None
        for s in running.result.steps:
            if s.text == step.name and s.status == "skipped":
                return s
        return None

    def pytest_bdd_before_step(self, request, feature, scenario, step, step_func) -> None:
        running = self._running.get(request.node.nodeid)
        if running is not None:
            running.step_started = time.monotonic()

    def _finish_step(self, request, step, status: str) -> None:
        running = self._running.get(request.node.nodeid)
        s = self._step(request, step)
        if s is not None and running is not None:
            s.status = status
            s.duration_s = time.monotonic() - running.step_started if running.step_started else 0.0

    def pytest_bdd_after_step(self, request, feature, scenario, step, step_func, step_func_args) -> None:
        self._finish_step(request, step, "passed")

    def pytest_bdd_step_error(self, request, feature, scenario, step, step_func, step_func_args, exception) -> None:
        self._finish_step(request, step, "failed")

    def pytest_bdd_step_func_lookup_error(self, request, feature, scenario, step, exception) -> None:
        self._finish_step(request, step, "undefined")

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        running = self._running.pop(nodeid, None)
        if running is None:
            return
        result = running.result
        result.duration_s = time.monotonic() - running.started
        exc = running.exc
        result.verdict = verdicts.classify(exc)
        if exc is not None and running.phase != "call" and result.verdict == verdicts.FAIL:
            result.verdict = verdicts.ERROR  # an assertion in set-up or tear-down is the suite's own
        if exc is not None and not result.reason:
            result.reason = str(exc) or type(exc).__name__
        result.evidence = self._keep_evidence(result, running.log_offsets, logs=result.verdict != verdicts.PASS)
        self.scenarios.append(result)
        self._print(result)

    def _keep_evidence(self, result: ScenarioResult, offsets: dict[str, int], *, logs: bool) -> list[str]:
        """The scenario's SIP trace always (the report draws its ladder); the role logs when it did not pass."""
        lab = self._config.stash.get(LAB_KEY, None)
        if lab is None:  # no lab: nothing was started, nothing to keep
            return []
        folder = evidence_folder(self.settings.out_dir, result.id)
        lab.write_trace(offsets, folder)
        if logs:
            lab.evidence_since(offsets, folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        return [p.relative_to(self.settings.out_dir).as_posix() for p in files]

    def _print(self, result: ScenarioResult) -> None:
        n = len(self.scenarios)
        width = len(str(self.total or n))
        line = f"[{n:>{width}}/{self.total}] {result.verdict.upper():<14} {result.id} ({result.duration_s:.2f} s)"
        print(line, file=self.progress, flush=True)
        if result.verdict != verdicts.PASS and result.reason:
            first = result.reason.strip().splitlines()[-1] if result.verdict == verdicts.ERROR \
                else result.reason.strip().splitlines()[0]
            print(f"{'':>{2 * width + 3}} {first[:300]}", file=self.progress, flush=True)


@dataclass
class RunOutcome:
    document: dict
    exit_status: int
    out_dir: Path


def run(profile: Profile, out_dir: Path, *, requirements: set[str] | None = None,
        keyword: str | None = None, progress: TextIO = sys.stdout,
        waivers: list[Waiver] | None = None) -> RunOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue()
    settings = RunSettings(profile=profile, out_dir=out_dir)
    recorder = Recorder(settings, catalogue, requirements, progress)
    args = [str(SCENARIO_MODULE), "-p", "mcsec.fixtures.conformance", "-p", "no:terminal", "-p", "no:cacheprovider",
            "--rootdir", str(SCENARIO_MODULE.parent), "-c", os.devnull, "--import-mode=importlib",
            "-o", "python_files=scenarios.py", "-W", "ignore::DeprecationWarning"]
    if keyword:
        args += ["-k", keyword]
    started = _dt.datetime.now(_dt.timezone.utc)
    code = pytest.main(args, plugins=[recorder])
    finished = _dt.datetime.now(_dt.timezone.utc)
    interrupted = code == pytest.ExitCode.INTERRUPTED
    if code == pytest.ExitCode.INTERNAL_ERROR or code == pytest.ExitCode.USAGE_ERROR:
        recorder.suite_errors.append(f"pytest ended with {code!r}")
    document = results.build(catalogue=catalogue, scenarios=recorder.scenarios, sut=profile.describe(),
                             started=started, finished=finished, interrupted=interrupted,
                             suite_errors=recorder.suite_errors)
    if waivers is not None:
        waiver_rules.apply(document, waivers)
    results.write(document, out_dir / "results.json")
    outputs.write_reports(document, out_dir)
    status = results.document_exit_status(document)  # fail or stale waiver 1, inconclusive/error/suite error 3
    if interrupted:
        status = 130
    return RunOutcome(document, status, out_dir)
