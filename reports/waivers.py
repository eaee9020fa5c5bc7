"""Waivers: known deviations of the implementation under test, given in a TOML file.

    [[waiver]]
    scenario = "7.13/token-authorisation::a-cek-request-without-an-access-token-is-refused-with-a-bearer-challenge"
    reason = "Vendor ticket ABC-123: the 401 lacks the Bearer challenge; fixed in 4.2"
    expires = 2027-01-31

    [[waiver]]
    requirement = "R713-KM-SCOPE"      # every scenario citing the requirement
    reason = "..."
    expires = 2027-01-31

A `fail` that a waiver in force matches becomes `waived`; the scenario keeps its original verdict
and the waiver. A waiver is *stale* when it has expired (the day after `expires`) or when what it
names now passes: a stale waiver fails the run, so waivers are removed when they stop being needed.
A waiver that matches nothing the run executed is *unused* (reported, not failing: a run limited
with --requirement need not run it).
"""
from __future__ import annotations

import datetime as _dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mcsec.fixtures import verdicts
from mcsec.catalogue import REQUIREMENT_ID
from mcsec.reports import results

KEYS = ("scenario", "requirement", "reason", "expires")
APPLIED, STALE, UNUSED = "applied", "stale", "unused"


class WaiverError(ValueError):
    """A waivers file that cannot be used; the message names the file, the entry and the key."""


@dataclass(frozen=True)
class Waiver:
    number: int                 # 1-based position in the file
    reason: str
    expires: _dt.date
    scenario: str | None = None
    requirement: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        return ("scenario", self.scenario) if self.scenario is not None else ("requirement", self.requirement)

    def matches(self, scenario: dict) -> bool:
        if self.scenario is not None:
            return scenario["id"] == self.scenario
        return self.requirement in scenario.get("requirements", [])

    def expired(self, today: _dt.date) -> bool:
        return today > self.expires

    def as_json(self) -> dict:
        kind, name = self.target
        return {kind: name, "reason": self.reason, "expires": self.expires.isoformat()}


def parse(text: str, source: str = "waivers", known_requirements: set[str] | None = None) -> list[Waiver]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{source}: not valid TOML: {exc}") from exc
    extra = [k for k in data if k != "waiver"]
    if extra:
        raise WaiverError(f"{source}: unknown key '{extra[0]}' (a waivers file holds only [[waiver]] tables)")
    entries = data.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WaiverError(f"{source}: 'waiver' must be an array of tables ([[waiver]])")
    return [_one(entry, i + 1, source, known_requirements) for i, entry in enumerate(entries)]


def _one(entry: dict, number: int, source: str, known: set[str] | None) -> Waiver:
    where = f"{source}: waiver #{number}"
    for key in entry:
        if key not in KEYS:
            raise WaiverError(f"{where}: unknown key '{key}' (expected one of {', '.join(KEYS)})")
    targets = [k for k in ("scenario", "requirement") if k in entry]
    if len(targets) != 1:
        raise WaiverError(f"{where}: needs exactly one of 'scenario' or 'requirement'"
                          + (", has both" if len(targets) == 2 else ""))
    key = targets[0]
    name = entry[key]
    if not isinstance(name, str) or not name.strip():
        raise WaiverError(f"{where}: '{key}' must be a non-empty string")
    if key == "requirement":
        if not REQUIREMENT_ID.match(name):
            raise WaiverError(f"{where}: 'requirement' {name!r} is not a requirement ID")
        if known is not None and name not in known:
            raise WaiverError(f"{where}: 'requirement' {name!r} is not in the catalogue")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise WaiverError(f"{where}: 'reason' missing or empty (say why the deviation is accepted)")
    expires = entry.get("expires")
    if isinstance(expires, _dt.datetime) or not isinstance(expires, _dt.date):
        raise WaiverError(f"{where}: 'expires' must be a TOML date such as 2027-01-31"
                          + ("" if expires is not None else " (missing)"))
    return Waiver(number, reason.strip(), expires, **{key: name})


def load(path: Path, known_requirements: set[str] | None = None) -> list[Waiver]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WaiverError(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise WaiverError(f"{path}: not UTF-8 text ({exc})") from exc
    return parse(text, str(path), known_requirements)


def _restore(document: dict) -> None:
    """Undo waivers applied earlier, so that applying is idempotent (`mcsec report --waivers`)."""
    for s in document["scenarios"]:
        if "original_verdict" in s:
            s["verdict"] = s.pop("original_verdict")
        s.pop("waiver", None)


def apply(document: dict, waivers: list[Waiver], today: _dt.date | None = None) -> list[dict]:
    """Waive the matching fails of `document`, record every waiver's status under "waivers",
    recount the summary and requirement verdicts; returns the stale waivers."""
    today = today or _dt.date.today()
    _restore(document)
    waived: dict[int, list[str]] = {w.number: [] for w in waivers}
    for s in document["scenarios"]:
        if s["verdict"] != verdicts.FAIL:
            continue
        for w in waivers:
            if w.matches(s) and not w.expired(today):
                s["original_verdict"] = s["verdict"]
                s["verdict"] = verdicts.WAIVED
                s["waiver"] = w.as_json()
                waived[w.number].append(s["id"])
                break
    entries = [_status(w, document["scenarios"], waived[w.number], today) for w in waivers]
    document["waivers"] = entries
    results.refresh(document)
    return [e for e in entries if e["status"] == STALE]


def _status(w: Waiver, scenarios: list[dict], waived: list[str], today: _dt.date) -> dict:
    entry = {**w.as_json(), "status": APPLIED, "note": "", "waived": waived}
    matched = [s for s in scenarios if w.matches(s)]
    kind, name = w.target
    ended = sorted({s.get("original_verdict", s["verdict"]) for s in matched})
    if w.expired(today):
        entry["status"], entry["note"] = STALE, f"expired on {w.expires.isoformat()}"
    elif waived:
        entry["note"] = f"waives {len(waived)} failing scenario{'s' if len(waived) != 1 else ''}"
    elif verdicts.PASS in ended and set(ended) <= {verdicts.PASS, verdicts.NOT_APPLICABLE}:
        entry["status"] = STALE
        entry["note"] = ("the scenario now passes" if kind == "scenario"
                         else f"every scenario citing {name} that ran now passes")
    elif not matched:
        entry["status"], entry["note"] = UNUSED, f"no scenario of this run matches this {kind}"
    else:
        entry["status"] = UNUSED
        entry["note"] = f"its scenarios ended {', '.join(ended)}; a waiver covers only fail"
    return entry
