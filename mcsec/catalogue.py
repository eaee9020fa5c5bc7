"""The requirement catalogue and which scenarios cite each requirement.

Requirements live in features/requirements.toml; scenarios cite them with
tags (`@R713-KM-SIG`) on the Scenario, the Feature, or an Examples block of an
outline. Scenario identifiers are derived from the feature file and the
scenario's name (plus the example row for outlines), so they stay stable as
long as the feature text does.
"""
from __future__ import annotations

import re
from importlib import resources
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

FEATURES_DIR = Path(str(resources.files("mcsec.features")))  # package data, wherever mcsec is installed
CATALOGUE_PATH = FEATURES_DIR / "requirements.toml"

REQUIREMENT_ID = re.compile(r"^R(713|714|SIP)-[A-Z0-9]+(-[A-Z0-9]+)*$")
"""R713-*, R714-*: clause requirements; RSIP-*: rules of referenced SIP standards."""
KINDS = ("normative", "derived", "project")
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
    id: str
    name: str
    feature: str          # feature file path relative to features/
    requirements: tuple[str, ...]


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


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def scenario_id(feature_rel: str, template_name: str, example: Mapping[str, str] | None) -> str:
    base = f"{feature_rel.removesuffix('.feature')}::{slug(template_name)}"
    if example:
        return f"{base}[{'-'.join(str(v) for v in example.values())}]"
    return base


def requirement_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(t for t in tags if REQUIREMENT_ID.match(t)))


def feature_rel(filename: str, features_dir: Path = FEATURES_DIR) -> str:
    return Path(filename).resolve().relative_to(features_dir.resolve()).as_posix()


def scan_scenarios(features_dir: Path = FEATURES_DIR) -> list[ScenarioRef]:
    """Every scenario (each outline row counts once) with the requirements it cites."""
    from pytest_bdd.feature import get_features  # parsed the same way the run parses them

    refs: list[ScenarioRef] = []
    for feature in get_features([str(features_dir)]):
        rel = feature_rel(feature.filename, features_dir)
        for template in feature.scenarios.values():
            base_tags = set(template.tags) | set(feature.tags)
            if template.rule is not None:
                base_tags |= set(template.rule.tags)
            if not template.examples:
                refs.append(ScenarioRef(scenario_id(rel, template.name, None), template.name, rel,
                                        requirement_tags(base_tags)))
                continue
            for examples in template.examples:
                for context in examples.as_contexts():
                    refs.append(ScenarioRef(
                        scenario_id(rel, template.name, context),
                        template.render(context).name, rel,
                        requirement_tags(base_tags | set(examples.tags or ()))))
    return refs


def citations(requirements: list[Requirement], scenarios: list[ScenarioRef]) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {r.id: [] for r in requirements}
    for s in scenarios:
        for rid in s.requirements:
            cited.setdefault(rid, []).append(s.id)
    return cited
