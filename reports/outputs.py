"""Every report rendered from one results document: junit.xml, cucumber.json, compliance.html.

results.json itself is written by the runner (reports.results.write); `mcsec run`, `mcsec report`
and `mcsec kill-matrix` all render the other reports through `write_reports`, so they never differ.
"""
from __future__ import annotations

from pathlib import Path

from mcsec.reports import compliance, cucumber, junit, kill_matrix

JUNIT, CUCUMBER, HTML = "junit.xml", "cucumber.json", "compliance.html"


def write_reports(document: dict, out_dir: Path, evidence_base: Path | None = None,
                  signed_by: str | None = None) -> list[Path]:
    """Write the reports into `out_dir`; evidence files are linked in `evidence_base` (default: out_dir).
    A kill_matrix.json in `out_dir` (or else in `evidence_base`) is rendered into compliance.html.
    `signed_by`: the fingerprint of the key that will sign the folder's manifest (reports.manifest),
    which compliance.html states; None when it will not be signed. The caller writes the manifest after."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit.write(document, out_dir / JUNIT)
    cucumber.write(document, out_dir / CUCUMBER)
    base = evidence_base or out_dir
    matrix = kill_matrix.load(out_dir / kill_matrix.FILENAME) or kill_matrix.load(base / kill_matrix.FILENAME)
    compliance.write(document, out_dir / HTML, base, matrix, signed_by=signed_by)
    return [out_dir / JUNIT, out_dir / CUCUMBER, out_dir / HTML]
