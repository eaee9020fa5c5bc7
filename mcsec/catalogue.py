"""The requirement catalogue and which scenarios cite each requirement.

Requirements live in features/requirements.toml; scenarios cite them with
tags (`@R713-KM-SIG`) on the Scenario, the Feature, or an Examples block of an
outline. Every scenario is named by its test-purpose id tag (`@tp:MCSEC-713-TOK-002`,
plus `.N` for the Nth example row of an outline), which results, reports, evidence
folders and waivers use: rewording a title changes nothing downstream.
"""
from __future__ import annotations

import functools
import re
from importlib import resources
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

FEATURES_DIR = Path(str(resources.files("mcsec.features")))  # package data, wherever mcsec is installed
CATALOGUE_PATH = FEATURES_DIR / "requirements.toml"

REQUIREMENT_ID = re.compile(r"^R(713|714|SIP|HTTP|OIDC)-[A-Z0-9]+(-[A-Z0-9]+)*$")
"""R713-*, R714-*: clause requirements; RSIP-*, RHTTP-*, ROIDC-*: rules of the SIP, HTTP and OAuth 2.0 /
OpenID Connect standards the clauses rely on (IdM login, the KMS's HTTPS interface)."""
KINDS = ("normative", "derived", "project")
CLAUSES = ("7.13", "7.14")
"""The clauses a profile claims in [ics] clauses."""
_FIELDS = ("id", "clause", "text", "requirement", "condition", "roles", "kind")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    id: str
    clause: str
    text: str
    requirement: str
    condition: str
    roles: tuple[str, ...]
    kind: str
    basis: str | None = None


@dataclass(frozen=True)
class ScenarioRef:
    id: str               # the stable test-purpose id (@tp tag, plus .N for an outline row)
    name: str
    feature: str          # feature file path relative to features/
    requirements: tuple[str, ...]
    tags: frozenset[str] = frozenset()

    @property
    def ics_items(self) -> tuple[str, ...]:
        """The yes/no ICS items the scenario needs claimed (``@ics:replay_stamp``), or not claimed
        (``@ics:not-protection_required``)."""
        return tuple(sorted(t.split(":", 1)[1] for t in self.tags if t.startswith("ics:")))

    @property
    def judges(self) -> tuple[str, ...]:
        """The roles whose observable behaviour the scenario's Then-steps decide (``@judges:ROLE`` tags on
        the feature, the scenario or an Examples block)."""
        return tuple(sorted(m.group(1) for t in self.tags if (m := JUDGES_TAG.match(t))))


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[Requirement]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    result: list[Requirement] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("requirement", [])):
        missing = [f for f in _FIELDS if f not in entry]
        if missing:
            raise CatalogueError(f"requirement #{i + 1}: missing {', '.join(missing)}")
        rid = entry["id"]
        if not REQUIREMENT_ID.match(rid):
            raise CatalogueError(f"{rid}: identifier does not match {REQUIREMENT_ID.pattern}")
        if rid in seen:
            raise CatalogueError(f"{rid}: duplicate identifier")
        if entry["kind"] not in KINDS:
            raise CatalogueError(f"{rid}: kind must be one of {', '.join(KINDS)}")
        if entry["kind"] != "normative" and not entry.get("basis"):
            raise CatalogueError(f"{rid}: a {entry['kind']} requirement needs a basis")
        seen.add(rid)
        result.append(Requirement(rid, entry["clause"], entry["text"], entry["requirement"],
                                  entry["condition"], tuple(entry["roles"]), entry["kind"], entry.get("basis")))
    return result


TP_TAG = re.compile(r"^tp:(MCSEC-[A-Z0-9]+(?:-[A-Z0-9]+)*-[0-9]{3})$")
"""Every scenario carries its test-purpose id as a tag, ``@tp:MCSEC-713-TOK-002``; each row of an outline's
examples adds ``.N`` (its position, from 1, across the outline's Examples blocks), so rewording a title or a
row changes nothing downstream. New rows go at the end."""


JUDGES_TAG = re.compile(r"^judges:(idm|kms|server|core|client)$")
"""``@judges:kms``: the scenario decides on what that role did (on the wire, or as its peer received it)."""


def requirement_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(t for t in tags if REQUIREMENT_ID.match(t)))


def feature_rel(filename: str, features_dir: Path = FEATURES_DIR) -> str:
    return _feature_rel(str(filename), str(features_dir))


@functools.lru_cache(maxsize=1024)
def _feature_rel(filename: str, features_dir: str) -> str:
    # one resolve per feature file, not per scenario (every run identifies each scenario, twice)
    return Path(filename).resolve().relative_to(Path(features_dir).resolve()).as_posix()


def _tp(tags: Iterable[str], where: str) -> str:
    ids = [m.group(1) for t in tags if (m := TP_TAG.match(t))]
    if len(ids) != 1:
        raise CatalogueError(f"{where}: needs exactly one @tp:MCSEC-...-NNN tag, has {len(ids)}")
    return ids[0]


def scenario_ref(template, example: Mapping[str, str] | None = None,
                 features_dir: Path = FEATURES_DIR) -> ScenarioRef:
    """The identity of one scenario: an outline's ``template`` with one ``example`` row, or a plain one."""
    rel = feature_rel(template.feature.filename, features_dir)
    where = f"{rel}:{template.line_number} ({template.name})"
    base_tags = set(template.tags) | set(template.feature.tags)
    if template.rule is not None:
        base_tags |= set(template.rule.tags)
    tp = _tp(base_tags, where)
    if not template.examples:
        return ScenarioRef(tp, template.name, rel, requirement_tags(base_tags), frozenset(base_tags))
    if example is None:
        raise CatalogueError(f"{where}: an outline is identified with one of its example rows")
    index = 0
    for examples in template.examples:
        for context in examples.as_contexts():
            index += 1
            if dict(context) == dict(example):
                tags = base_tags | set(examples.tags or ())
                return ScenarioRef(f"{tp}.{index}", template.render(context).name, rel, requirement_tags(tags),
                                   frozenset(tags))
    raise CatalogueError(f"{where}: no example row {dict(example)!r}")


def scan_scenarios(features_dir: Path = FEATURES_DIR) -> list[ScenarioRef]:
    """Every scenario (each outline row counts once) with the requirements it cites."""
    from pytest_bdd.feature import get_features  # parsed the same way the run parses them

    refs: list[ScenarioRef] = []
    for feature in get_features([str(features_dir)]):
        for template in feature.scenarios.values():
            if not template.examples:
                refs.append(scenario_ref(template, None, features_dir))
                continue
            for examples in template.examples:
                for context in examples.as_contexts():
                    refs.append(scenario_ref(template, context, features_dir))
    return refs
def citations(requirements: list[Requirement], scenarios: list[ScenarioRef]) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {r.id: [] for r in requirements}
    for s in scenarios:
        for rid in s.requirements:
            cited.setdefault(rid, []).append(s.id)
    return cited
