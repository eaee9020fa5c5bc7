"""The requirement catalogue is complete, verbatim and consistent with the features."""
import re
import subprocess
import sys

import pytest

from mcsec.impl.faults import REGISTRY
from mcsec.catalogue import FEATURES_DIR, load_catalogue, scan_scenarios

SOURCE = FEATURES_DIR / "source" / "tr33879-7.13-7.14.txt"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _clause_texts() -> dict[str, str]:
    text = SOURCE.read_text()
    part_713 = text[text.index("7.13.0"):text.index("7.14.0")]
    part_714 = text[text.index("7.14.0"):]
    return {"7.13": _norm(part_713), "7.14": _norm(part_714)}


def _normative_sentences(clause_text: str) -> list[str]:
    body = clause_text.split("Introduction", 1)[1]
    body = body.split("*****")[0]
    sentences = re.split(r"(?<=[.])\s+(?=[A-Z])", body)
    return [s.strip() for s in sentences if s.strip() and "is based on solution #12" not in s
            and "'Using S/MIME" not in s]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_every_clause_text_is_verbatim_from_the_source(catalogue):
    sources = _clause_texts()
    for req in catalogue:
        if req.clause in sources:
            assert _norm(req.text) in sources[req.clause], f"{req.id}: text is not verbatim from clause {req.clause}"


@pytest.mark.parametrize("clause", ["7.13", "7.14"])
def test_every_normative_sentence_of_the_clause_has_a_requirement(catalogue, clause):
    sentences = _normative_sentences(_clause_texts()[clause])
    assert len(sentences) >= 6, "the clause text was not split into sentences"
    covered = {_norm(r.text) for r in catalogue if r.clause == clause}
    missing = [s for s in sentences if not any(s in c or c in s for c in covered)]
    assert not missing, f"clause {clause} sentences without a requirement: {missing}"


def test_the_editors_note_is_resolved_by_project_requirements(catalogue):
    notes = [r for r in catalogue if r.text.startswith("Editor's Note")]
    assert notes and all(r.kind == "project" and r.basis for r in notes)
    assert {"R713-EN-BIND", "R713-EN-SERVER", "R713-EN-REJECT-UNKNOWN", "R713-EN-REJECT-PARTY"} <= {r.id for r in notes}


def test_every_scenario_cites_only_known_requirements_and_at_least_one():
    known = {r.id for r in load_catalogue()}
    scenarios = scan_scenarios()
    assert scenarios, "no scenarios found"
    for s in scenarios:
        assert s.requirements, f"{s.id} cites no requirement"
        assert set(s.requirements) <= known, f"{s.id} cites unknown {set(s.requirements) - known}"
    ids = [s.id for s in scenarios]
    assert len(ids) == len(set(ids)), "scenario identifiers are not unique"


def test_every_fault_names_known_requirements():
    known = {r.id for r in load_catalogue()}
    for fault in REGISTRY.values():
        assert fault.requirements and set(fault.requirements) <= known, fault.name


def test_mcsec_requirements_lists_every_requirement_and_the_uncited():
    out = subprocess.run([sys.executable, "-m", "mcsec", "requirements"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    catalogue = load_catalogue()
    for req in catalogue:
        assert re.search(rf"^{re.escape(req.id)}\s", out, re.M), f"{req.id} not listed"
    cited = {rid for s in scan_scenarios() for rid in s.requirements}
    uncited_line = next((line for line in out.splitlines() if line.startswith("Uncited: ")), "")
    for req in catalogue:
        assert (req.id in uncited_line) == (req.id not in cited), req.id


def test_every_scenario_has_one_test_purpose_id_and_ids_are_unique(tmp_path):
    from pytest_bdd.feature import get_features

    templates = [t for f in get_features([str(FEATURES_DIR)]) for t in f.scenarios.values()]
    bases = [[t for t in tmpl.tags if t.startswith("tp:")] for tmpl in templates]
    assert all(len(b) == 1 for b in bases), [t.name for t, b in zip(templates, bases) if len(b) != 1]
    assert len({b[0] for b in bases}) == len(bases), "two scenarios share a @tp id"
    ids = [s.id for s in scan_scenarios()]
    assert all(re.fullmatch(r"MCSEC-(713|714|SIP|CLI)(-[A-Z]+)?-\d{3}(\.\d+)?", i) for i in ids), ids
    assert len(ids) == len(set(ids))


def test_a_scenario_without_a_test_purpose_id_is_named(tmp_path):
    from mcsec.catalogue import CatalogueError

    (tmp_path / "x.feature").write_text("Feature: f\n  @R713-KM-SIG\n  Scenario: no id here\n    Given a step\n")
    with pytest.raises(CatalogueError, match=r"x\.feature:3 \(no id here\): needs exactly one @tp"):
        scan_scenarios(tmp_path)


def test_rewording_a_title_or_an_example_keeps_the_id(tmp_path):
    text = ("Feature: f\n  @R713-KM-SIG @tp:MCSEC-713-TOK-900\n  Scenario Outline: <a> is refused\n"
            "    Given a step\n\n    Examples:\n      | a |\n      | one |\n      | two |\n")
    first, second = tmp_path / "first", tmp_path / "second"   # pytest-bdd caches a feature by its path
    first.mkdir(), second.mkdir()
    (first / "x.feature").write_text(text)
    (second / "x.feature").write_text(text.replace("is refused", "is turned away").replace("two", "deux"))
    before = [(s.id, s.name) for s in scan_scenarios(first)]
    after = [(s.id, s.name) for s in scan_scenarios(second)]
    assert [i for i, _ in before] == [i for i, _ in after] == ["MCSEC-713-TOK-900.1", "MCSEC-713-TOK-900.2"]
    assert before != after


def test_every_scenario_names_the_roles_it_judges_among_its_requirements_roles():
    catalogue = {r.id: r for r in load_catalogue()}
    for s in scan_scenarios():
        assert s.judges, f"{s.id} names no role it judges (@judges:ROLE)"
        roles = {role for rid in s.requirements for role in catalogue[rid].roles}
        assert set(s.judges) <= roles, f"{s.id} judges {s.judges}, its requirements concern {sorted(roles)}"


def test_a_requirement_verdict_comes_from_the_scenarios_that_judged_something():
    from mcsec.reports.results import NOT_TESTED, requirement_verdict

    assert requirement_verdict(["pass", "not_applicable"]) == "pass"
    assert requirement_verdict(["not_applicable", "fail", "pass"]) == "fail"
    assert requirement_verdict(["not_applicable", "not_applicable"]) == "not_applicable"
    assert requirement_verdict([]) == NOT_TESTED
