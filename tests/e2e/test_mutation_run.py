"""`mcsec mutate`: mutants of the KMS token checks served as the product and judged by the unchanged suite."""
import json

from mcsec.reports import mutation as report
from tests.e2e.conftest import MUTATION_FILE


def test_mutation_json_has_every_mutant_asked_for_complete(mutation_run):
    assert mutation_run.proc.returncode in (0, 3), mutation_run.proc.stderr[-3000:]
    doc = mutation_run.document
    rows = {r["id"]: r for r in doc["mutants"]}
    assert sorted(rows) == sorted(mutation_run.chosen)
    for row in rows.values():
        assert set(report.FIELDS) <= set(row), row
        assert row["file"] == MUTATION_FILE and row["role"] == "kms" and row["line"] > 0
        assert row["status"] in ("killed", "survived", "equivalent", "error")
        assert row["original"] != row["mutated"]
        assert bool(row["killed_by"]) == (row["status"] == "killed")
        if row["status"] in ("killed", "survived"):
            assert (mutation_run.out / row["out"] / "results.json").is_file()
    t = doc["totals"]
    assert t["mutants"] == len(rows) == sum(t[s] for s in ("killed", "survived", "equivalent", "error"))
    assert doc["baselines"]["kms"]["exit_status"] == 0


def test_the_known_killable_mutant_is_killed_by_a_scenario_judging_the_kms(mutation_run):
    doc = mutation_run.document
    row = next(r for r in doc["mutants"] if r["id"] == mutation_run.killable)
    assert row["status"] == "killed", row
    def judging(folder):
        document = json.loads((mutation_run.out / folder / "results.json").read_text())
        return {s["id"]: s["verdict"] for s in document["scenarios"] if "kms" in s["judges"]}

    base, mutant = judging("baselines/kms"), judging(row["out"])
    assert all(base[sid] == "pass" and mutant[sid] in ("fail", "error") for sid in row["killed_by"])
    assert any(sid.startswith("MCSEC-713-TOK-004") for sid in row["killed_by"]), row["killed_by"]


def test_the_html_page_shows_every_mutant(mutation_run):
    html = (mutation_run.out / report.HTML).read_text()
    for mid in mutation_run.chosen:
        assert mid in html
    assert "Mutation testing" in html
