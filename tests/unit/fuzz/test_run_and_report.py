"""The fuzzing loop in process, against a target that answers by rule (no sockets): confirmation,
minimisation, the liveness probe, the evidence; and the `fuzz` section of results.json and the reports."""
from __future__ import annotations

import json
from pathlib import Path

from mcsec.fixtures.fuzz.model import SILENCE, Applied, Family, Op, Outcome, Realised, done, expected, neutral
from mcsec.fixtures.fuzz.run import FuzzConfig, draw_case, fuzz
from mcsec.fixtures.fuzz.targets import Target
from mcsec.reports.html_markup import Markup
from tests.unit.reports.conftest import synthetic_document


def _ops() -> tuple[Op, ...]:
    return (Op("harmless", lambda r: (r.randrange(3),), lambda m, v: (m.append(("harmless", v)),
                                                                     neutral(f"harmless {v}"))[1], 3),
            Op("bad", lambda r: (r.randrange(3),), lambda m, v: (m.append(("bad", v)), done(f"bad {v}", "400"))[1], 2),
            Op("poison", lambda r: (), lambda m: (m.append(("poison",)), done("poison", "400"))[1], 1))


def fake_target(*, dies_on_poison: bool = False) -> tuple[Target, dict]:
    """A role that answers 400 to anything bad, but stays silent on a case holding ``poison`` (and, with
    ``dies_on_poison``, fails every probe after one)."""
    family = Family("fake", "a fake family", ("R",), _ops(), max_steps=4)
    state = {"dead": False, "sent": 0}

    def realise(steps, variant) -> Realised:
        model: list = []
        applied: list[Applied] = family.apply(model, steps)

        def send() -> Outcome:
            state["sent"] += 1
            if any(m[0] == "poison" for m in model):
                state["dead"] = state["dead"] or dies_on_poison
                return Outcome(SILENCE)
            return Outcome("400") if any(m[0] == "bad" for m in model) else Outcome("200")
        return Realised(repr(model).encode(), expected(frozenset({"200"}), applied), applied, send)

    def probe() -> Outcome:
        return Outcome("503") if state["dead"] else Outcome("200")
    return Target("fake", {"fake": family}, {"fake": frozenset({"200"})}, {"fake": realise}, probe,
                  frozenset({"200"})), state


def test_a_silent_case_is_confirmed_minimised_to_its_poison_and_kept(tmp_path: Path):
    target, _ = fake_target()
    section = fuzz(target, FuzzConfig(seed=5, cases=40, batch=10), tmp_path)
    assert not section["passed"] and section["counts"]["cases_sent"] == 40
    assert section["counts"]["findings"] == section["counts"]["no_answer"] > 0
    for finding in section["findings"]:
        assert finding["minimal"]["steps"] == [{"op": "poison", "args": []}]
        assert finding["minimal"]["complete"] and finding["resent_answer"] == SILENCE
        folder = tmp_path / finding["evidence"]
        assert json.loads((folder / "case.json").read_text())["case"] == finding["case"]
        assert (folder / "minimal.bin").read_bytes() == b"[('poison',)]"
        # the finding is the case the seed draws
        family, steps, _ = draw_case(target, 5, finding["case"])
        assert [s.to_json() for s in steps] == finding["steps"]
    assert section["counts"]["liveness_probes"] >= 5   # one before, one per batch


def test_a_role_that_dies_stops_the_run_with_a_role_dead_finding(tmp_path: Path):
    target, state = fake_target(dies_on_poison=True)
    section = fuzz(target, FuzzConfig(seed=5, cases=500, batch=10), tmp_path)
    assert section["bounds"]["stopped_by"] == "role-dead"
    assert section["findings"][-1]["kind"] == "role-dead" and section["counts"]["crashes"] == 1
    assert section["counts"]["cases_sent"] < 500


def test_without_faults_there_is_no_finding(tmp_path: Path):
    target, _ = fake_target()
    target.families["fake"] = Family("fake", "", ("R",), _ops()[:2])
    section = fuzz(target, FuzzConfig(seed=9, cases=60, batch=20), tmp_path)
    assert section["passed"] and section["counts"]["malformed_sent"] > 0
    assert section["counts"]["distinct_malformed"] <= section["counts"]["malformed_sent"]


def test_the_fuzz_section_is_merged_into_a_runs_results_and_rendered(tmp_path: Path):
    from mcsec.commands.fuzz import write_results
    from mcsec.reports.fuzz import fuzz_section

    target, _ = fake_target()
    section = fuzz(target, FuzzConfig(seed=5, cases=40, batch=10), tmp_path)
    (tmp_path / "results.json").write_text(json.dumps(synthetic_document()))
    write_results(tmp_path, section)
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["scenarios"] and [r["role"] for r in document["fuzz"]] == ["fake"]
    page = (tmp_path / "compliance.html").read_text()
    assert 'id="fuzz"' in page and "poison" in page
    assert "poison" in (tmp_path / "fuzz.html").read_text()
    write_results(tmp_path, section)   # a second run of the same role replaces the first
    assert len(json.loads((tmp_path / "results.json").read_text())["fuzz"]) == 1
    assert isinstance(fuzz_section([section]), Markup)
