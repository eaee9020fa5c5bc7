"""A run in parallel workers (`--jobs`), and a run in shards merged afterwards, give what a run in one
piece gives: the same scenarios in the same order, verdicts, evidence files, junit and cucumber."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.e2e.conftest import RunResult, mcsec, mcsec_run


def _scenarios(out: Path) -> list[tuple]:
    document = json.loads((out / "results.json").read_text())
    return [(s["id"], s["name"], s["feature"], tuple(s["requirements"]), s["verdict"], s["reason"],
             tuple(sorted(Path(p).name for p in s["evidence"])),
             tuple((st["keyword"], st["text"], st["status"]) for st in s["steps"])) for s in document["scenarios"]]


def _requirements(out: Path) -> list[tuple]:
    document = json.loads((out / "results.json").read_text())
    return [(r["id"], r["verdict"], tuple(r["scenarios"])) for r in document["requirements"]]


def _junit(out: Path) -> list[tuple]:
    root = ET.parse(out / "junit.xml").getroot()
    return sorted((case.get("classname"), case.get("name"),
                   tuple((p.get("name"), p.get("value")) for p in case.iter("property")),
                   tuple(child.tag for child in case if child.tag != "properties")) for case in root.iter("testcase"))


def _cucumber(out: Path) -> list[tuple]:
    features = json.loads((out / "cucumber.json").read_text())
    return [(f["uri"], e["id"], e["name"], tuple(t["name"] for t in e["tags"]),
             tuple((s["keyword"], s["name"], s["result"]["status"]) for s in e["steps"]))
            for f in features for e in f["elements"]]


def _same_content(a: Path, b: Path) -> None:
    assert _scenarios(a) == _scenarios(b)
    assert _requirements(a) == _requirements(b)
    assert _junit(a) == _junit(b)
    assert _cucumber(a) == _cucumber(b)
    for scenario in json.loads((a / "results.json").read_text())["scenarios"]:
        for rel in scenario["evidence"]:
            assert (a / rel).is_file() and (b / rel).is_file(), rel


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory) -> RunResult:
    return mcsec_run(tmp_path_factory.mktemp("serial"), "--jobs", "1")


def test_a_run_in_workers_reports_what_a_run_in_one_piece_does(serial_run, baseline_run):
    assert serial_run.status == 0, serial_run.stdout[-3000:] + serial_run.stderr[-3000:]
    parallel = mcsec_run(serial_run.out.parent / "parallel", "--jobs", "2")
    assert parallel.status == 0, parallel.stdout[-3000:] + parallel.stderr[-3000:]
    assert parallel.results["suite"]["jobs"] == 2
    _same_content(serial_run.out, parallel.out)
    assert len([ln for ln in parallel.stdout.splitlines() if ln.startswith("[")]) == len(_scenarios(parallel.out))
    assert not (parallel.out / ".shards").exists()
    assert {p.name for p in (parallel.out / "logs").iterdir()} == {"worker-1", "worker-2"}
    assert mcsec("report", "verify", str(parallel.out)).returncode == 0


def test_shards_merged_give_the_verdicts_of_a_run_in_one_piece(serial_run, tmp_path):
    shards = [mcsec_run(tmp_path / f"shard{k}", "--shard", f"{k}/3") for k in (1, 2, 3)]
    assert all(s.status == 0 for s in shards), [s.stderr[-2000:] for s in shards]
    ids = [{s["id"] for s in shard.results["scenarios"]} for shard in shards]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    merged = mcsec("report", "merge", *[str(s.out) for s in shards], "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr
    _same_content(serial_run.out, tmp_path / "merged")


def test_workers_need_labs_of_their_own(tmp_path):
    profile = tmp_path / "p.toml"
    from mcsec.fixtures.profile import REFERENCE_PROFILE

    text = REFERENCE_PROFILE.read_text().replace('roles = ["idm", "kms", "client", "server", "core"]', "roles = []")
    profile.write_text(text + "\n[lab.ports]\nserver_sip = 45060\n")
    proc = mcsec("run", "--sut", str(profile), "--jobs", "2", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "[lab.ports]" in proc.stderr
