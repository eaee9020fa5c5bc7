"""Where a run keeps its evidence, and which evidence files a scenario has.

A scenario's evidence lives in `evidence/<folder>/` of the run's output folder, where `<folder>`
is the scenario ID made safe for a file name (the rule of mcsec.runner). results.json lists the
files the runner kept; roles may add more (pcaps per reference point, `sip-trace.jsonl`), so the
reports list the union of both, each marked when it is missing on disk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SIP_TRACE = "sip-trace.jsonl"
RUN_LOG_SUFFIXES = (".log", ".pcap", ".pcapng", ".jsonl", ".txt")
RUN_LOG_FOLDERS = ("logs", "lab")   # the role logs of the whole run (`lab/` in older runs)


def folder_name(scenario_id: str) -> str:
    """The evidence folder of a scenario (same rule as the runner's)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", scenario_id).strip("_")[:150]


@dataclass(frozen=True)
class EvidenceFile:
    path: str          # relative to the run's output folder, with forward slashes
    exists: bool
    size: int = 0


def _entry(base: Path, rel: str) -> EvidenceFile:
    target = base / rel
    try:
        return EvidenceFile(rel, target.is_file(), target.stat().st_size if target.is_file() else 0)
    except OSError:
        return EvidenceFile(rel, False)


def _inside(base: Path, rel: str) -> bool:
    """A listed path must stay inside the output folder (results.json is input, not trusted)."""
    if not rel or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
        return False
    return ".." not in Path(rel).parts


def scenario_files(scenario: dict, base: Path) -> list[EvidenceFile]:
    listed = [p for p in scenario.get("evidence", []) if isinstance(p, str)]
    folder = base / "evidence" / folder_name(scenario["id"])
    found = []
    if folder.is_dir():
        found = sorted(p.relative_to(base).as_posix() for p in folder.rglob("*") if p.is_file())
    seen, out = set(), []
    for rel in [*listed, *found]:
        if rel in seen:
            continue
        seen.add(rel)
        out.append(_entry(base, rel) if _inside(base, rel) else EvidenceFile(rel, False))
    return out


def trace_file(scenario: dict, base: Path) -> Path | None:
    for f in scenario_files(scenario, base):
        if f.exists and f.path.endswith(SIP_TRACE):
            return base / f.path
    return None


def run_files(base: Path) -> list[EvidenceFile]:
    """Logs and captures of the whole run (the roles' logs); never keys or certificates."""
    files = []
    for name in RUN_LOG_FOLDERS:
        folder = base / name
        if folder.is_dir():
            files += [_entry(base, p.relative_to(base).as_posix()) for p in sorted(folder.rglob("*"))
                      if p.is_file() and p.suffix in RUN_LOG_SUFFIXES]
    return files
