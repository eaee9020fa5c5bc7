"""Sampling, classification, the reviewed equivalents, the mutant tree and mutation.json/html."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcsec.mutation import campaign, equivalents, tree
from mcsec.mutation.faultcode import FaultCode, collect_flags
from mcsec.mutation.operators import generate
from mcsec.mutation.targets import DEFAULT_TARGETS, role_of
from mcsec.reports import mutation as report


NO_FAULTS = FaultCode(collect_flags([]), set())


@pytest.fixture
def every(every_mutant) -> list[campaign.Planned]:
    return every_mutant


def test_a_sample_depends_only_on_the_seed_and_the_set_of_mutants(every):
    a = campaign.sample(every, 10, 7)
    assert [p.mutant.id for p in a] == [p.mutant.id for p in campaign.sample(list(reversed(every)), 10, 7)]
    assert len({p.mutant.id for p in a}) == 10
    assert {p.mutant.id for p in a} != {p.mutant.id for p in campaign.sample(every, 10, 8)}
    assert len(campaign.sample(every, None, 0)) == len(every) == len(campaign.sample(every, 10 ** 6, 0))


def test_every_default_target_file_has_a_role():
    assert all(role_of(t.file) == t.role for t in DEFAULT_TARGETS)
    assert role_of("impl/kms/server.py") == "kms" and role_of("impl/sip/framing.py") is None


def _planned(role: str = "kms") -> campaign.Planned:
    return campaign.Planned(generate("impl/kms/tokens.py", b"def f(x):\n    return x < 1\n", NO_FAULTS)[0], role)


def _doc(**verdicts: str) -> dict:
    judges = {"o1": ["server"]}
    return {"scenarios": [{"id": i, "verdict": v, "judges": judges.get(i, ["kms"])} for i, v in verdicts.items()]}


def test_killed_only_by_a_judging_scenario_that_passed_in_the_baseline():
    p = _planned()
    base = _doc(s1="pass", s2="pass", s3="not_applicable", o1="pass")
    row = campaign.classify(p, base, _doc(s1="fail", s2="error", s3="fail", o1="fail"), duration_s=2)
    assert row["status"] == "killed" and row["killed_by"] == ["s1", "s2"]
    assert row["changed"] == {"s1": ["pass", "fail"], "s2": ["pass", "error"], "s3": ["not_applicable", "fail"]}


def test_a_run_identical_to_the_baseline_survives():
    p = _planned()
    base = _doc(s1="pass", s2="pass")
    row = campaign.classify(p, base, _doc(s1="pass", s2="pass"))
    assert row["status"] == "survived" and row["changed"] == {} and "baseline verdict" in row["reason"]
    row = campaign.classify(p, base, _doc(s1="inconclusive", s2="pass", o1="fail"))
    assert row["status"] == "survived" and row["changed"] == {"s1": ["pass", "inconclusive"]}


def test_no_results_or_no_baseline_is_an_error():
    p = _planned()
    assert campaign.classify(p, _doc(s1="pass"), None, problem="the served kms did not start")["reason"] \
        == "the served kms did not start"
    assert campaign.classify(p, None, _doc(s1="fail"))["status"] == "error"
    assert campaign.classify(p, _doc(s1="pass"), _doc(s1="not_applicable"))["status"] == "error"


def test_baseline_passes_only_with_every_judging_scenario_passing():
    assert campaign.baseline_passes(_doc(s1="pass", s2="not_applicable", o1="fail"), "kms")
    assert not campaign.baseline_passes(_doc(s1="pass", s2="fail"), "kms")
    assert not campaign.baseline_passes(_doc(s1="not_applicable"), "kms")
    assert not campaign.baseline_passes(None, "kms")


def test_totals_score_killed_over_judged():
    rows = [{"status": s} for s in ("killed", "killed", "killed", "survived", "equivalent", "error")]
    assert campaign.totals(rows) == {"mutants": 6, "killed": 3, "survived": 1, "equivalent": 1, "error": 1,
                                     "score": 0.75}
    assert campaign.totals([])["score"] is None


def test_the_reviewed_equivalents_parse_and_need_a_reason():
    listed = equivalents.load()
    assert all(e.reason.strip() for e in listed.values())
    good = 'equivalent = [{id = "m0123abcd", file = "impl/x.py", change = "a => b", reason = "same"}]'
    assert equivalents.parse(good)["m0123abcd"].reason == "same"
    for bad in (good.replace('reason = "same"', 'reason = " "'), good.replace("m0123abcd", "x1"),
                good.replace('reason = "same"', 'reason = "same", other = 1'), "[x]\n", "not toml ="):
        with pytest.raises(equivalents.EquivalentsError):
            equivalents.parse(bad)


def test_the_reviewed_equivalents_name_mutants_of_the_default_targets(every):
    by_id = {p.mutant.id: p.mutant for p in every}
    for eq in equivalents.load().values():
        assert eq.id in by_id, f"{eq.id} ({eq.change}) names no mutant any more"
        assert by_id[eq.id].file == eq.file


def test_the_tree_serves_the_mutated_file_and_links_the_rest(tmp_path: Path):
    root = tree.build(tmp_path / "t", "impl/kms/tokens.py", b"MUTATED = True\n")
    pkg = root / "mcsec"
    assert (pkg / "impl" / "kms" / "tokens.py").read_bytes() == b"MUTATED = True\n"
    assert not (pkg / "impl" / "kms" / "tokens.py").is_symlink()
    assert (pkg / "impl" / "kms" / "server.py").is_symlink() and (pkg / "fixtures").is_symlink()
    assert (pkg / "__init__.py").is_symlink()
    assert not any(p.name == "__pycache__" for p in pkg.rglob("*") if p.parent in (pkg, pkg / "impl", pkg / "impl" / "kms"))
    assert os.readlink(pkg / "impl" / "kms" / "cekstore.py") == str(tree.source_path("impl/kms/cekstore.py"))


def test_a_process_with_the_tree_first_imports_the_mutated_file(tmp_path: Path, monkeypatch):
    root = tree.build(tmp_path / "t", "impl/kms/tokens.py", b"X = 1\n")
    monkeypatch.chdir(tree.package_dir())  # a checkout's mcsec/ in the current folder does not win
    assert tree.loaded_from(root, "impl/kms/tokens.py") == root / "mcsec" / "impl" / "kms" / "tokens.py"


def test_the_html_page_lists_every_mutant_escaped(tmp_path: Path):
    p = _planned()
    rows = [campaign.classify(p, _doc(s1="pass"), _doc(s1="fail")),
            {**campaign.classify(p, _doc(s1="pass"), _doc(s1="pass")), "original": "a < <b>", "id": "m00000001"}]
    document = {"suite": {"version": "0", "jobs": 2, "seed": 1, "sample": 2, "mutants_generated": 9},
                "baselines": {"kms": {"summary": {"pass": 1}}}, "totals": campaign.totals(rows), "mutants": rows}
    report.write(document, tmp_path / report.FILENAME)
    report.write_html(document, tmp_path / report.HTML)
    assert report.load(tmp_path / report.FILENAME) == document
    html = (tmp_path / report.HTML).read_text()
    assert "a &lt; &lt;b&gt;" in html and "m00000001" in html and "1 survived" in html and "50.0 %" in html
    assert set(report.FIELDS) <= set(rows[0])
