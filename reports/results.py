"""The run's results: the model, results.json (the contract of DESIGN.md), and the exit status."""
from __future__ import annotations

import datetime as _dt
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

from mcsec.fixtures import verdicts
from mcsec import __version__
from mcsec.catalogue import Requirement

NOT_TESTED = "not_tested"
"""The verdict of a requirement no scenario of the run cites."""

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


@dataclass
class StepResult:
    keyword: str
    text: str
    status: str            # passed | failed | skipped | undefined
    duration_s: float = 0.0


@dataclass
class ScenarioResult:
    id: str
    name: str
    feature: str
    requirements: list[str]
    verdict: str
    reason: str
    duration_s: float
    evidence: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    judges: list[str] = field(default_factory=list)   # the roles whose behaviour its Then-steps decide

    def as_json(self) -> dict:
        return {
            "id": self.id, "name": self.name, "feature": self.feature,
            "requirements": self.requirements, "judges": self.judges, "verdict": self.verdict, "reason": self.reason,
            "duration_s": round(self.duration_s, 3), "evidence": self.evidence,
            "steps": [{"keyword": s.keyword, "text": s.text, "status": s.status,
                       "duration_s": round(s.duration_s, 3)} for s in self.steps],
        }


def summary(scenarios: list[ScenarioResult]) -> dict[str, int]:
    counts = {v: 0 for v in verdicts.ALL}
    for s in scenarios:
        counts[s.verdict] += 1
    return counts


def exit_status(counts: dict[str, int], stale_waivers: int = 0) -> int:
    """0 clean, 1 a fail (or a stale waiver), 3 the worst is inconclusive or error. `waived` is clean."""
    if counts.get(verdicts.FAIL) or stale_waivers:
        return EXIT_FAIL
    if counts.get(verdicts.INCONCLUSIVE) or counts.get(verdicts.ERROR):
        return EXIT_INCONCLUSIVE
    return EXIT_OK


def requirement_verdict(scenario_verdicts: list[str]) -> str:
    """A requirement's verdict: the worst of the scenarios that judged it (not_applicable ones judged
    nothing of the implementation under test); not_applicable when every one was; not_tested when none
    cites it."""
    applicable = [v for v in scenario_verdicts if v != verdicts.NOT_APPLICABLE]
    if applicable:
        return verdicts.worst(applicable)
    return verdicts.NOT_APPLICABLE if scenario_verdicts else NOT_TESTED


def requirement_rows(catalogue: list[Requirement], scenarios: list[ScenarioResult]) -> list[dict]:
    rows = []
    for req in catalogue:
        cited = [s for s in scenarios if req.id in s.requirements]
        rows.append({
            "id": req.id, "clause": req.clause, "text": req.text, "requirement": req.requirement,
            "condition": req.condition, "kind": req.kind, "roles": list(req.roles),
            "verdict": requirement_verdict([s.verdict for s in cited]),
            "scenarios": [s.id for s in cited],
        })
    return rows


def build(*, catalogue: list[Requirement], scenarios: list[ScenarioResult], sut: dict,
          started: _dt.datetime, finished: _dt.datetime, interrupted: bool = False,
          suite_errors: list[str] | None = None, key_log: dict | None = None) -> dict:
    """``key_log``: what the run's key log holds (mcsec.fixtures.keylog.KeyLog.describe); off when None."""
    return {
        "suite": {
            "name": "mcsec", "version": __version__, "python": platform.python_version(),
            "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
            "duration_s": round((finished - started).total_seconds(), 3),
            "interrupted": interrupted, "errors": list(suite_errors or []),
            "key_log": key_log or {"enabled": False},
        },
        "sut": sut,
        "summary": summary(scenarios),
        "requirements": requirement_rows(catalogue, scenarios),
        "scenarios": [s.as_json() for s in scenarios],
    }


def refresh(document: dict) -> None:
    """Recount the summary and the requirement verdicts from the document's scenario entries
    (after their verdicts changed, e.g. by waivers)."""
    scenarios = document["scenarios"]
    counts = {v: 0 for v in verdicts.ALL}
    for s in scenarios:
        counts[s["verdict"]] = counts.get(s["verdict"], 0) + 1
    document["summary"] = counts
    by_id = {s["id"]: s["verdict"] for s in scenarios}
    for row in document["requirements"]:
        row["verdict"] = requirement_verdict([by_id[i] for i in row["scenarios"] if i in by_id])


def document_exit_status(document: dict) -> int:
    """The exit status a results document stands for: its verdicts, stale waivers and suite errors."""
    stale = sum(w.get("status") == "stale" for w in document.get("waivers", []))
    status = exit_status(document["summary"], stale)
    if document["suite"].get("errors") and status == EXIT_OK:
        status = EXIT_INCONCLUSIVE
    return status


class ResultsError(ValueError):
    """A results.json that cannot be read or lacks what the reports need."""


_REQUIRED = {"suite": dict, "sut": dict, "summary": dict, "requirements": list, "scenarios": list}


def load(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a JSON document ({exc})") from exc
    if not isinstance(document, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    for key, kind in _REQUIRED.items():
        if not isinstance(document.get(key), kind):
            raise ResultsError(f"{path}: '{key}' missing or not a {'list' if kind is list else 'object'}")
    for i, s in enumerate(document["scenarios"]):
        missing = [k for k in ("id", "name", "feature", "requirements", "verdict") if k not in s]
        if missing:
            raise ResultsError(f"{path}: scenarios[{i}] lacks {', '.join(missing)}")
    return document


def write(document: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a file
