"""junit.xml from results.json, in the shape common CI consumers read.

fail -> <failure>, error -> <error type="error">, inconclusive -> <error type="inconclusive">
(a run with an inconclusive verdict is not green), not_applicable -> <skipped>. Requirement
IDs are <property name="requirement"> entries of each test case.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def render(document: dict) -> bytes:
    scenarios = document["scenarios"]
    counts = document["summary"]
    suites = ET.Element("testsuites", name="mcsec", tests=str(len(scenarios)),
                        failures=str(counts.get("fail", 0)),
                        errors=str(counts.get("error", 0) + counts.get("inconclusive", 0)),
                        time=f"{document['suite']['duration_s']:.3f}")
    by_feature: dict[str, list[dict]] = {}
    for s in scenarios:
        by_feature.setdefault(s["feature"], []).append(s)
    for feature, cases in by_feature.items():
        name = feature.removesuffix(".feature")
        suite = ET.SubElement(
            suites, "testsuite", name=name, tests=str(len(cases)),
            failures=str(sum(c["verdict"] == "fail" for c in cases)),
            errors=str(sum(c["verdict"] in ("error", "inconclusive") for c in cases)),
            skipped=str(sum(c["verdict"] == "not_applicable" for c in cases)),
            time=f"{sum(c['duration_s'] for c in cases):.3f}",
            timestamp=document["suite"]["started"])
        for c in cases:
            case = ET.SubElement(suite, "testcase", classname=name.replace("/", "."), name=c["name"],
                                 time=f"{c['duration_s']:.3f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="scenario_id", value=c["id"])
            ET.SubElement(props, "property", name="verdict", value=c["verdict"])
            for rid in c["requirements"]:
                ET.SubElement(props, "property", name="requirement", value=rid)
            reason = c["reason"] or c["verdict"]
            if c["verdict"] == "fail":
                ET.SubElement(case, "failure", message=reason.splitlines()[0], type="fail").text = reason
            elif c["verdict"] in ("error", "inconclusive"):
                ET.SubElement(case, "error", message=reason.splitlines()[0], type=c["verdict"]).text = reason
            elif c["verdict"] == "not_applicable":
                ET.SubElement(case, "skipped", message=reason)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def write(document: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xml.tmp")
    tmp.write_bytes(render(document))
    tmp.replace(path)
