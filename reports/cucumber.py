"""cucumber.json from results.json: the standard Cucumber JSON report, for living-documentation
tools (cucumber-html-reporter, Allure, Xray, Jenkins cucumber-reports, ...).

A list of features, each with `elements` (its scenarios) with `steps`; every step has a `result`
with `status` (passed, failed, skipped, undefined) and `duration` in nanoseconds. Tags carry the
requirement IDs (`@R713-KM-SIG`). Verdicts map as follows: pass, fail and error as the steps ran;
a verdict no step shows (an error in set-up or tear-down, ...) becomes a failed `after` hook;
not_applicable and waived scenarios have their failed step reported as skipped with the reason
(tag `@not_applicable` / `@waived`), so these tools count them as the run's exit status does.

Feature titles, descriptions and line numbers come from the feature files when they are at hand
(features/ of this installation); otherwise the feature path stands in for the title.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mcsec.catalogue import FEATURES_DIR, TP_TAG
from mcsec.reports.textsafe import xml_text

_SCENARIO = re.compile(r"^\s*(Scenario Outline|Scenario Template|Scenario|Example)\s*:\s*(.*?)\s*$")
_FEATURE = re.compile(r"^\s*Feature\s*:\s*(.*?)\s*$")
_TP = re.compile(r"^@(" + TP_TAG.pattern.lstrip("^").rstrip("$") + ")$")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_SECTION = re.compile(r"^\s*(Background|Scenario|Scenario Outline|Scenario Template|Example|Rule|Examples)\s*:|^\s*@")


@dataclass
class FeatureText:
    """What the feature file says that results.json does not: title, description, tags, lines."""
    name: str
    description: str = ""
    line: int = 1
    tags: list[tuple[str, int]] = field(default_factory=list)
    scenario_lines: dict[str, tuple[int, str]] = field(default_factory=dict)   # test-purpose id -> (line, keyword)
    lines: list[str] = field(default_factory=list)

    def step_line(self, keyword: str, text: str, after: int) -> int:
        wanted = f"{keyword.strip()} {text}".strip()
        hits = [i + 1 for i, line in enumerate(self.lines) if line.strip() == wanted]
        later = [n for n in hits if n > after]
        return (later or hits or [after])[0]


def read_feature(rel: str, features_dir: Path = FEATURES_DIR) -> FeatureText:
    path = features_dir / rel
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return FeatureText(name=rel.removesuffix(".feature"))
    text = FeatureText(name=rel.removesuffix(".feature"), lines=lines)
    pending_tags: list[tuple[str, int]] = []
    in_description = False
    description: list[str] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        feature = _FEATURE.match(line)
        scenario = _SCENARIO.match(line)
        if feature:
            text.name, text.line, text.tags = feature.group(1), number, pending_tags
            in_description = True
            continue
        if in_description:
            if _SECTION.match(line):
                in_description = False
            elif stripped or description:
                description.append(stripped)
                continue
        if stripped.startswith("@"):
            pending_tags = [(t, number) for t in stripped.split() if t.startswith("@")]
            continue
        if scenario:
            keyword = "Scenario Outline" if scenario.group(1) in ("Scenario Outline", "Scenario Template") \
                else "Scenario"
            for tag, _ in pending_tags:
                match = _TP.match(tag)
                if match:
                    text.scenario_lines.setdefault(match.group(2), (number, keyword))
        pending_tags = []
    text.description = "\n".join(description).strip()
    return text


def _result(status: str, duration_s: float, message: str | None = None) -> dict:
    result: dict = {"status": status, "duration": int(round(max(duration_s, 0.0) * 1e9))}
    if message:
        result["error_message"] = xml_text(message)
    return result


def _steps(s: dict, feature: FeatureText, scenario_line: int) -> tuple[list[dict], bool]:
    verdict, reason = s["verdict"], s.get("reason") or ""
    steps, shown = [], False
    for step in s.get("steps", []):
        status, message = step["status"], None
        if status == "failed":
            if verdict == "waived":
                waiver = s.get("waiver", {})
                status = "skipped"
                message = (f"waived until {waiver.get('expires', '?')} ({waiver.get('reason', '')}); "
                           f"original verdict {s.get('original_verdict', 'fail')}: {reason}")
            elif verdict == "not_applicable":
                status, message = "skipped", f"not applicable: {reason}"
            else:
                message, shown = f"{verdict}: {reason}", True
        steps.append({
            "keyword": f"{step['keyword']} ", "name": xml_text(step["text"]),
            "line": feature.step_line(step["keyword"], step["text"], scenario_line),
            "match": {"location": f"{s['feature']}:{scenario_line}"},
            "result": _result(status, step.get("duration_s", 0.0), message),
        })
    return steps, shown


def _element(s: dict, feature: FeatureText, feature_id: str) -> dict:
    base = s["id"].split(".", 1)[0]  # an outline row's id is its outline's plus ".N"
    line, keyword = feature.scenario_lines.get(base, (feature.line, "Scenario"))
    element_id = f"{feature_id};{s['id'].lower()}"
    tags = [{"name": t, "line": n} for t, n in feature.tags]
    tags.append({"name": f"@tp:{s['id']}", "line": line})
    tags += [{"name": f"@{rid}", "line": line} for rid in s["requirements"]]
    if s["verdict"] in ("waived", "not_applicable"):
        tags.append({"name": f"@{s['verdict']}", "line": line})
    steps, shown = _steps(s, feature, line)
    element = {
        "id": element_id, "keyword": keyword, "type": "scenario", "name": xml_text(s["name"]),
        "description": "", "line": line, "tags": tags, "steps": steps,
    }
    if s["verdict"] == "waived":
        waiver = s.get("waiver", {})
        element["description"] = xml_text(f"Waived until {waiver.get('expires', '?')}: {waiver.get('reason', '')}")
    if s["verdict"] in ("fail", "error", "inconclusive") and not shown:
        element["after"] = [{"match": {"location": "mcsec verdict"},
                             "result": _result("failed", 0.0, f"{s['verdict']}: {s.get('reason') or s['verdict']}")}]
    return element


def render(document: dict, features_dir: Path = FEATURES_DIR) -> list[dict]:
    features: dict[str, dict] = {}
    for s in document["scenarios"]:
        rel = s["feature"]
        if rel not in features:
            text = read_feature(rel, features_dir)
            feature_id = slug(text.name) or slug(rel)
            features[rel] = {
                "uri": f"features/{rel}", "id": feature_id, "keyword": "Feature", "name": xml_text(text.name),
                "description": xml_text(text.description), "line": text.line,
                "tags": [{"name": t, "line": n} for t, n in text.tags], "elements": [], "_text": text,
            }
        feature = features[rel]
        feature["elements"].append(_element(s, feature["_text"], feature["id"]))
    for feature in features.values():
        del feature["_text"]
    return list(features.values())


def write(document: dict, path: Path, features_dir: Path = FEATURES_DIR) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(render(document, features_dir), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
