"""What changed between two runs (`mcsec report diff OLD NEW`), from their results.json only.

Scenarios are matched by their test-purpose id, requirements by their catalogue id. Each id of
either run falls into exactly one class:

- `appeared` / `disappeared`: in the new run only / in the old run only;
- `unchanged`: the same verdict in both;
- `applicability`: one of the two verdicts is `not_applicable` (for a requirement also
  `not_tested`): the run judged it in one run and not in the other, because the profile's claims
  or the selection changed. The product got neither better nor worse;
- `waiver`: `fail` <-> `waived`: the product failed in both runs, only a waiver was added, expired
  or removed;
- `regressed` / `fixed`: any other change, judged by the verdict order of
  `mcsec.fixtures.verdicts.ORDER` (pass, not_applicable, waived, inconclusive, fail, error, from
  best to worst): later in the order is a regression, earlier a fix.

The full table of verdict pairs is in docs/reports.md. A scenario or requirement that appears with a
bad verdict is listed under `appeared` with it, not counted as a regression: the run's own exit
status reports it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mcsec.fixtures import verdicts
from mcsec.reports import results
from mcsec.reports.textsafe import xml_text

REGRESSED, FIXED, APPLICABILITY, WAIVER = "regressed", "fixed", "applicability", "waiver"
APPEARED, DISAPPEARED, UNCHANGED = "appeared", "disappeared", "unchanged"
CLASSES = (REGRESSED, FIXED, APPLICABILITY, WAIVER, APPEARED, DISAPPEARED, UNCHANGED)
"""In the order they are reported."""

_NOT_JUDGED = frozenset({verdicts.NOT_APPLICABLE, results.NOT_TESTED})
SCENARIO_VERDICTS = frozenset(verdicts.ORDER)
REQUIREMENT_VERDICTS = frozenset(verdicts.ORDER) | {results.NOT_TESTED}


def classify(old: str, new: str) -> str:
    """The class of a change from verdict `old` to verdict `new` of one scenario or requirement."""
    if old == new:
        return UNCHANGED
    if old in _NOT_JUDGED or new in _NOT_JUDGED:
        return APPLICABILITY
    if {old, new} == {verdicts.FAIL, verdicts.WAIVED}:
        return WAIVER
    return REGRESSED if verdicts.ORDER.index(new) > verdicts.ORDER.index(old) else FIXED


@dataclass(frozen=True)
class Change:
    id: str
    name: str
    old: str | None          # None: not in the old run
    new: str | None          # None: not in the new run
    old_reason: str = ""
    new_reason: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "old": self.old, "new": self.new,
                "old_reason": self.old_reason, "new_reason": self.new_reason}


@dataclass
class Section:
    """The changes of one kind of item (scenarios or requirements), by class."""
    classes: dict[str, list[Change]] = field(default_factory=lambda: {c: [] for c in CLASSES})

    def counts(self) -> dict[str, int]:
        return {c: len(items) for c, items in self.classes.items()}

    def as_json(self) -> dict:
        return {c: [x.as_json() for x in items] for c, items in self.classes.items() if c != UNCHANGED}


@dataclass
class RunDiff:
    old: dict                 # a short description of each run
    new: dict
    scenarios: Section
    requirements: Section

    @property
    def regressed(self) -> bool:
        return bool(self.scenarios.classes[REGRESSED] or self.requirements.classes[REGRESSED])

    def as_json(self) -> dict:
        return {"old": self.old, "new": self.new, "regressed": self.regressed,
                "counts": {"scenarios": self.scenarios.counts(), "requirements": self.requirements.counts()},
                "scenarios": self.scenarios.as_json(), "requirements": self.requirements.as_json()}


def results_path(path: Path) -> Path:
    """A run folder names its results.json; a file names itself."""
    return path / "results.json" if path.is_dir() else path


def load(path: Path) -> dict:
    """The results document at `path` (a results.json or a run folder), checked for what a diff needs:
    known verdicts and unique ids. Raises results.ResultsError naming the file and the entry."""
    file = results_path(path)
    document = results.load(file)
    for kind, allowed in (("scenarios", SCENARIO_VERDICTS), ("requirements", REQUIREMENT_VERDICTS)):
        seen: set[str] = set()
        for i, item in enumerate(document[kind]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or "verdict" not in item:
                raise results.ResultsError(f"{file}: {kind}[{i}] lacks an id or a verdict")
            if item["verdict"] not in allowed:
                raise results.ResultsError(f"{file}: {kind}[{i}] ({item['id']}) has the unknown verdict "
                                           f"{item['verdict']!r}; expected one of {', '.join(sorted(allowed))}")
            if item["id"] in seen:
                raise results.ResultsError(f"{file}: {kind}[{i}]: the id {item['id']} occurs twice")
            seen.add(item["id"])
    return document


def _section(old_items: list[dict], new_items: list[dict], name_key: str) -> Section:
    section = Section()
    old_by_id = {x["id"]: x for x in old_items}
    new_by_id = {x["id"]: x for x in new_items}

    def name(*items: dict | None) -> str:
        return next((str(x.get(name_key) or "") for x in items if x and x.get(name_key)), "")

    for sid, new in new_by_id.items():
        old = old_by_id.get(sid)
        if old is None:
            section.classes[APPEARED].append(Change(sid, name(new), None, new["verdict"],
                                                    new_reason=str(new.get("reason") or "")))
            continue
        cls = classify(old["verdict"], new["verdict"])
        section.classes[cls].append(Change(sid, name(new, old), old["verdict"], new["verdict"],
                                           str(old.get("reason") or ""), str(new.get("reason") or "")))
    for sid, old in old_by_id.items():
        if sid not in new_by_id:
            section.classes[DISAPPEARED].append(Change(sid, name(old), old["verdict"], None,
                                                       old_reason=str(old.get("reason") or "")))
    for items in section.classes.values():
        items.sort(key=lambda c: c.id)
    return section


def describe(document: dict, path: Path) -> dict:
    sut, suite = document["sut"], document["suite"]
    return {"path": str(path), "sut": sut.get("name"), "sut_version": sut.get("version"),
            "suite_version": suite.get("version"), "started": suite.get("started")}


def diff(old: dict, new: dict, old_path: Path = Path("old"), new_path: Path = Path("new")) -> RunDiff:
    return RunDiff(old=describe(old, old_path), new=describe(new, new_path),
                   scenarios=_section(old["scenarios"], new["scenarios"], "name"),
                   requirements=_section(old["requirements"], new["requirements"], "requirement"))


_TITLES = {REGRESSED: "Regressed", FIXED: "Fixed", APPLICABILITY: "Applicability changed",
           WAIVER: "Waiver changed", APPEARED: "Appeared", DISAPPEARED: "Disappeared"}


def _counts_line(label: str, section: Section) -> str:
    return f"{label}: " + ", ".join(f"{n} {c}" for c, n in section.counts().items())


def _run_line(label: str, run: dict) -> str:
    sut = " ".join(str(x) for x in (run["sut"], run["sut_version"]) if x) or "unnamed implementation"
    return xml_text(f"{label}: {run['path']} ({sut}; mcsec {run['suite_version']}, started {run['started']})")


def render_text(d: RunDiff) -> str:
    """The diff for people: the two runs, the counts, then every change by class (unchanged ones are
    only counted). Text from the implementation under test is shown with control characters escaped."""
    lines = [_run_line("old", d.old), _run_line("new", d.new),
             _counts_line("scenarios", d.scenarios), _counts_line("requirements", d.requirements)]
    for kind, section in (("scenarios", d.scenarios), ("requirements", d.requirements)):
        for cls in CLASSES:
            items = section.classes[cls]
            if cls == UNCHANGED or not items:
                continue
            lines.append("")
            lines.append(f"{_TITLES[cls]} {kind} ({len(items)}):")
            for c in items:
                change = f"{c.old or '-'} -> {c.new or '-'}"
                lines.append(f"  {c.id}  {change}  {xml_text(c.name)}".rstrip())
                reason = c.new_reason if c.new is not None else c.old_reason
                if reason and cls in (REGRESSED, APPEARED, APPLICABILITY, WAIVER):
                    lines.append("      " + xml_text(reason).replace("\n", "\n      "))
    lines.append("")
    lines.append("REGRESSED" if d.regressed else "no regression")
    return "\n".join(lines)
