"""Shards of one run put back together: the same document as the run in one piece, or a clear refusal."""
from __future__ import annotations

import copy
import json

import pytest

from mcsec.catalogue import scan_scenarios
from mcsec.fixtures.session import Selection
from mcsec.reports import merge, results
from tests.unit.reports.conftest import mcsec, synthetic_document


def _split(document: dict, parts: int) -> list[dict]:
    shards = []
    for k in range(parts):
        shard = copy.deepcopy(document)
        shard["scenarios"] = document["scenarios"][k::parts]
        results.refresh(shard)
        shards.append(shard)
    return shards


def test_merged_shards_are_the_whole_run():
    whole = synthetic_document()
    order = [s["id"] for s in whole["scenarios"]]
    merged = merge.merge(list(reversed(_split(whole, 3))), order=order)
    assert [s["id"] for s in merged["scenarios"]] == order
    assert merged["summary"] == whole["summary"]
    assert [(r["id"], r["verdict"], r["scenarios"]) for r in merged["requirements"]] == \
        [(r["id"], r["verdict"], r["scenarios"]) for r in whole["requirements"]]
    assert merged["suite"]["shards"] == 3 and results.document_exit_status(merged) == results.document_exit_status(whole)


def test_shards_of_another_profile_or_with_a_scenario_twice_are_refused():
    whole = synthetic_document()
    one, two = _split(whole, 2)
    two["sut"]["iut_roles"] = ["client"]
    with pytest.raises(merge.MergeError, match="sut.iut_roles"):
        merge.merge([one, two])
    with pytest.raises(merge.MergeError, match="is in document 1 and document 2"):
        merge.merge([one, copy.deepcopy(one)])
    with pytest.raises(merge.MergeError, match="nothing"):
        merge.merge([])


def test_shards_are_disjoint_complete_and_stable():
    refs = scan_scenarios()
    for n in (1, 2, 3, 7):
        parts = [Selection(shard=(k, n)).part(refs) for k in range(1, n + 1)]
        ids = [r.id for part in parts for r in part]
        assert sorted(ids) == sorted(r.id for r in refs) and len(ids) == len(set(ids))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1  # balanced
    assert [r.id for r in Selection(shard=(2, 3)).part(list(reversed(refs)))] == \
        [r.id for r in reversed(Selection(shard=(2, 3)).part(refs))]  # the order given does not move the split


@pytest.mark.parametrize("shard", ["0/3", "4/3", "1/0", "a/3", "1-3", "2"])
def test_a_bad_shard_is_a_usage_error(shard, tmp_path):
    proc = mcsec("run", "--shard", shard, "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and "--shard" in proc.stderr


def test_merge_needs_an_output_folder_and_readable_inputs(tmp_path):
    proc = mcsec("report", "merge", str(tmp_path / "absent.json"), timeout=60)
    assert proc.returncode == 2 and "--out" in proc.stderr
    (tmp_path / "bad.json").write_text(json.dumps({"not": "results"}))
    proc = mcsec("report", "merge", str(tmp_path / "bad.json"), "--out", str(tmp_path / "o"), timeout=60)
    assert proc.returncode == 2 and "bad.json" in proc.stderr


def test_merge_of_synthetic_shards_writes_every_report(tmp_path):
    whole = synthetic_document()
    paths = []
    for k, shard in enumerate(_split(whole, 2), start=1):
        folder = tmp_path / f"s{k}"
        folder.mkdir()
        results.write(shard, folder / "results.json")
        paths.append(str(folder))
    proc = mcsec("report", "merge", *paths, "--out", str(tmp_path / "m"), timeout=60)
    assert proc.returncode == results.document_exit_status(whole), proc.stderr
    merged = results.load(tmp_path / "m" / "results.json")
    assert sorted(s["id"] for s in merged["scenarios"]) == sorted(s["id"] for s in whole["scenarios"])
    for name in ("junit.xml", "cucumber.json", "compliance.html", "manifest.json"):
        assert (tmp_path / "m" / name).is_file(), name
