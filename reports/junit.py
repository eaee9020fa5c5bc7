"""junit.xml from results.json, in the shape common CI consumers read (Jenkins, GitLab, GitHub
test reporters, Azure DevOps: the JUnit/Ant schema).

One <testsuite> per feature file, one <testcase> per scenario (classname: the feature path with dots,
name: the scenario name). fail -> <failure>, error -> <error type="error">, inconclusive -> <error
type="inconclusive"> (a run with an inconclusive verdict is not green), not_applicable -> <skipped>,
waived -> <skipped message="waived: ..."> (a known deviation does not turn the build red). Requirement
IDs are <property name="requirement"> entries of each test case. Stale waivers are failing test cases
of a `waivers` suite and suite errors are error cases of a `suite` suite, so that a consumer that
only reads this file sees everything that makes the run's exit status non-zero.
"""
from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET
from pathlib import Path

from mcsec.reports.textsafe import xml_text

_ERRORS = ("error", "inconclusive")
_SKIPPED = ("not_applicable", "waived")


def _timestamp(iso: str) -> str:
    """The schema's timestamp: ISO 8601 without a zone (given in UTC)."""
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else text


def _case(suite: ET.Element, c: dict, classname: str) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=xml_text(c["name"]),
                         time=f"{c.get('duration_s', 0.0):.3f}")
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name="scenario_id", value=xml_text(c["id"]))
    ET.SubElement(props, "property", name="verdict", value=c["verdict"])
    for rid in c["requirements"]:
        ET.SubElement(props, "property", name="requirement", value=xml_text(rid))
    reason = xml_text(c.get("reason") or c["verdict"])
    if c["verdict"] == "fail":
        ET.SubElement(case, "failure", message=_first_line(reason), type="fail").text = reason
    elif c["verdict"] in _ERRORS:
        ET.SubElement(case, "error", message=_first_line(reason), type=c["verdict"]).text = reason
    elif c["verdict"] == "not_applicable":
        ET.SubElement(case, "skipped", message=_first_line(reason))
    elif c["verdict"] == "waived":
        waiver = c.get("waiver", {})
        ET.SubElement(props, "property", name="original_verdict", value=c.get("original_verdict", "fail"))
        ET.SubElement(case, "skipped", message=xml_text(
            f"waived until {waiver.get('expires', '?')}: {waiver.get('reason', '')}")).text = reason


def _suite(parent: ET.Element, name: str, cases: list[dict], timestamp: str) -> ET.Element:
    return ET.SubElement(
        parent, "testsuite", name=xml_text(name), tests=str(len(cases)),
        failures=str(sum(c["verdict"] == "fail" for c in cases)),
        errors=str(sum(c["verdict"] in _ERRORS for c in cases)),
        skipped=str(sum(c["verdict"] in _SKIPPED for c in cases)),
        time=f"{sum(c.get('duration_s', 0.0) for c in cases):.3f}", timestamp=timestamp)


def _extra_cases(document: dict) -> dict[str, list[dict]]:
    """Stale waivers and suite errors as pseudo-scenarios."""
    extra: dict[str, list[dict]] = {}
    for w in document.get("waivers", []):
        if w.get("status") == "stale":
            target = w.get("scenario") or w.get("requirement")
            extra.setdefault("waivers", []).append({
                "id": f"waiver:{target}", "name": f"waiver for {target} is stale",
                "requirements": [w["requirement"]] if w.get("requirement") else [],
                "verdict": "fail", "reason": f"stale waiver ({w.get('note', '')}): {w.get('reason', '')}"})
    for i, error in enumerate(document["suite"].get("errors", [])):
        extra.setdefault("suite", []).append({
            "id": f"suite-error-{i + 1}", "name": f"suite error {i + 1}", "requirements": [],
            "verdict": "error", "reason": error})
    return extra


def render(document: dict) -> bytes:
    by_feature: dict[str, list[dict]] = {}
    for s in document["scenarios"]:
        by_feature.setdefault(s["feature"].removesuffix(".feature"), []).append(s)
    extra = _extra_cases(document)
    everything = [c for cases in (*by_feature.values(), *extra.values()) for c in cases]
    suites = ET.Element("testsuites", name="mcsec", tests=str(len(everything)),
                        failures=str(sum(c["verdict"] == "fail" for c in everything)),
                        errors=str(sum(c["verdict"] in _ERRORS for c in everything)),
                        skipped=str(sum(c["verdict"] in _SKIPPED for c in everything)),
                        time=f"{document['suite'].get('duration_s', 0.0):.3f}")
    timestamp = _timestamp(document["suite"].get("started", ""))
    for name, cases in by_feature.items():
        suite = _suite(suites, name, cases, timestamp)
        for c in cases:
            _case(suite, c, xml_text(name.replace("/", ".")))
    for name, cases in extra.items():
        suite = _suite(suites, f"mcsec.{name}", cases, timestamp)
        for c in cases:
            _case(suite, c, f"mcsec.{name}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def write(document: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_bytes(render(document))
    tmp.replace(path)
