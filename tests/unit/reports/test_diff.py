"""`mcsec report diff`: two synthetic results documents, every verdict pair, usage errors."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mcsec import cli
from mcsec.reports import diff, results
from tests.unit.reports.conftest import NASTY, _scenario, mcsec, synthetic_document

P, NA, W, I, F, E, NT = "pass", "not_applicable", "waived", "inconclusive", "fail", "error", "not_tested"

# The rule of docs/reports.md, written out pair by pair (old verdict -> new verdict).
RULE = {
    P:  {P: "unchanged", NA: "applicability", W: "regressed", I: "regressed", F: "regressed", E: "regressed"},
    NA: {P: "applicability", NA: "unchanged", W: "applicability", I: "applicability", F: "applicability",
         E: "applicability"},
    W:  {P: "fixed", NA: "applicability", W: "unchanged", I: "regressed", F: "waiver", E: "regressed"},
    I:  {P: "fixed", NA: "applicability", W: "fixed", I: "unchanged", F: "regressed", E: "regressed"},
    F:  {P: "fixed", NA: "applicability", W: "waiver", I: "fixed", F: "unchanged", E: "regressed"},
    E:  {P: "fixed", NA: "applicability", W: "fixed", I: "fixed", F: "fixed", E: "unchanged"},
}


@pytest.mark.parametrize("old", list(RULE))
@pytest.mark.parametrize("new", list(RULE))
def test_every_verdict_pair_is_classified_by_the_documented_rule(old, new):
    assert diff.classify(old, new) == RULE[old][new]


@pytest.mark.parametrize("other", [P, W, I, F, E, NA])
def test_a_requirement_tested_in_one_run_only_changed_applicability(other):
    assert diff.classify(NT, other) == "applicability"
    assert diff.classify(other, NT) == "applicability"


def _runs(tmp_path: Path) -> tuple[Path, Path]:
    """Two runs of the synthetic document: the new one has one scenario of every class."""
    old = synthetic_document()
    old["requirements"].append({"id": "R713-KM-KNOWN", "clause": "7.13", "text": "Known.", "requirement": "known",
                                "condition": "always", "kind": "normative", "verdict": "",
                                "scenarios": ["7.13/c::known", "7.13/c::steady"]})
    old["scenarios"].append(_scenario("7.13/c::known", F, ["R713-KM-KNOWN"], reason="a known deviation"))
    old["scenarios"].append(_scenario("7.13/c::steady", P, ["R713-KM-KNOWN"]))
    results.refresh(old)
    new = copy.deepcopy(old)
    by_id = {s["id"]: s for s in new["scenarios"]}
    by_id["7.13/a::passes"].update(verdict=F, reason=f"the KMS answered 200 {NASTY}")   # regressed
    by_id["7.13/a::fails"].update(verdict=P, reason="")                                # fixed
    by_id["7.13/b::not-claimed"].update(verdict=P, reason="")                          # applicability
    by_id["7.13/c::known"].update(verdict=W, original_verdict=F)                       # waiver
    new["scenarios"].remove(by_id["7.13/a::broken"])                                   # disappeared
    new["scenarios"].append(_scenario("7.13/c::new", F, ["R714-KM-PROV"], reason="new and failing"))  # appeared
    new["requirements"] = [r for r in new["requirements"] if r["id"] != "RSIP-415"]    # a requirement left
    for r in new["requirements"]:
        r["scenarios"] = [s["id"] for s in new["scenarios"] if r["id"] in s["requirements"]]
    results.refresh(new)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "results.json").write_text(json.dumps(old))
    (tmp_path / "new" / "results.json").write_text(json.dumps(new))
    return tmp_path / "old" / "results.json", tmp_path / "new" / "results.json"


def _ids(section: dict, cls: str) -> list[str]:
    return [c["id"] for c in section[cls]]


def test_json_lists_each_change_under_its_class_and_exits_1_on_a_regression(tmp_path, capsys):
    old, new = _runs(tmp_path)
    assert cli.main(["report", "diff", str(old), str(new), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    s, r = out["scenarios"], out["requirements"]
    assert _ids(s, "regressed") == ["7.13/a::passes"]
    assert s["regressed"][0]["old"] == P and s["regressed"][0]["new"] == F
    assert NASTY in s["regressed"][0]["new_reason"]
    assert _ids(s, "fixed") == ["7.13/a::fails"]
    assert _ids(s, "applicability") == ["7.13/b::not-claimed"]
    assert _ids(s, "waiver") == ["7.13/c::known"]
    assert _ids(s, "appeared") == ["7.13/c::new"] and s["appeared"][0]["old"] is None
    assert _ids(s, "disappeared") == ["7.13/a::broken"] and s["disappeared"][0]["new"] is None
    assert out["counts"]["scenarios"] == {"regressed": 1, "fixed": 1, "applicability": 1, "waiver": 1,
                                          "appeared": 1, "disappeared": 1, "unchanged": 2}
    # requirements (the worst of their scenarios): SIG stays fail (pass and fail, then fail and pass);
    # CLAIMS error -> inconclusive; SCOPE not_applicable -> pass; PROV not_tested -> fail; KNOWN fail -> waived;
    # RSIP-415 left the catalogue
    assert _ids(r, "fixed") == ["R713-KM-CLAIMS"]
    assert _ids(r, "applicability") == ["R713-KM-SCOPE", "R714-KM-PROV"]
    assert _ids(r, "waiver") == ["R713-KM-KNOWN"]
    assert _ids(r, "disappeared") == ["RSIP-415"] and r["appeared"] == []
    assert out["counts"]["requirements"]["unchanged"] == 1 and r["regressed"] == []
    assert out["regressed"] is True
    assert out["old"]["path"] == str(old) and out["new"]["suite_version"] == "0.1.0"


def test_text_names_the_changes_and_escapes_what_the_sut_sent(tmp_path, capsys):
    old, new = _runs(tmp_path)
    assert cli.main(["report", "diff", str(old.parent), str(new.parent)]) == 1   # run folders work too
    text = capsys.readouterr().out
    assert "scenarios: 1 regressed, 1 fixed, 1 applicability, 1 waiver, 1 appeared, 1 disappeared, 2 unchanged" \
        in text
    assert "Regressed scenarios (1):\n  7.13/a::passes  pass -> fail" in text
    assert "Disappeared scenarios (1):\n  7.13/a::broken  error -> -" in text
    assert "Appeared scenarios (1):\n  7.13/c::new  - -> fail" in text
    assert "\x1b" not in text and "\x00" not in text and "\\x1b" in text
    assert text.rstrip().endswith("REGRESSED")


def test_no_regression_exits_0(tmp_path, capsys):
    old, _ = _runs(tmp_path)
    document = results.load(old)                  # the old run with its one fail fixed
    for s in document["scenarios"]:
        if s["id"] == "7.13/a::fails":
            s["verdict"] = P
    results.refresh(document)
    (tmp_path / "better.json").write_text(json.dumps(document))
    assert cli.main(["report", "diff", str(old), str(tmp_path / "better.json")]) == 0
    text = capsys.readouterr().out
    assert "Fixed scenarios (1):" in text and text.rstrip().endswith("no regression")
    assert cli.main(["report", "diff", str(old), str(old), "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["counts"]["scenarios"]["unchanged"] == len(document["scenarios"])
    assert all(not v for v in same["scenarios"].values())


def test_a_requirement_getting_worse_is_a_regression_on_its_own(tmp_path, capsys):
    old, _ = _runs(tmp_path)
    document = results.load(old)
    document["requirements"][0]["verdict"] = E      # as a later catalogue or rule might judge it
    (tmp_path / "req.json").write_text(json.dumps(document))
    assert cli.main(["report", "diff", str(old), str(tmp_path / "req.json"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert _ids(out["requirements"], "regressed") == ["R713-KM-SIG"] and not out["scenarios"]["regressed"]


def _usage_error(capsys, *args: str) -> str:
    assert cli.main(["report", "diff", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_unusable_inputs_are_usage_errors_naming_the_file(tmp_path, capsys):
    old, _ = _runs(tmp_path)
    assert "absent.json" in _usage_error(capsys, str(old), str(tmp_path / "absent.json"))
    (tmp_path / "junk.json").write_text("{not json")
    assert "not a JSON document" in _usage_error(capsys, str(tmp_path / "junk.json"), str(old))
    (tmp_path / "other.json").write_text(json.dumps({"suite": {}, "sut": {}}))
    assert "'summary' missing" in _usage_error(capsys, str(old), str(tmp_path / "other.json"))
    assert "results.json" in _usage_error(capsys, str(old), str(tmp_path))   # a folder without results.json
    document = results.load(old)
    document["scenarios"][0]["verdict"] = "passed"
    (tmp_path / "verdict.json").write_text(json.dumps(document))
    err = _usage_error(capsys, str(old), str(tmp_path / "verdict.json"))
    assert "unknown verdict 'passed'" in err and "7.13/a::passes" in err
    document = results.load(old)
    document["scenarios"].append(copy.deepcopy(document["scenarios"][0]))
    (tmp_path / "twice.json").write_text(json.dumps(document))
    assert "occurs twice" in _usage_error(capsys, str(tmp_path / "twice.json"), str(old))


def test_command_line_errors_exit_2(tmp_path):
    old, new = _runs(tmp_path)
    proc = mcsec("report", "diff", str(old), timeout=60)
    assert proc.returncode == 2 and "NEW" in proc.stderr
    proc = mcsec("report", "--out", str(tmp_path), "diff", str(old), str(new), timeout=60)
    assert proc.returncode == 2 and "--out" in proc.stderr
    proc = mcsec("report", "diff", str(old), str(new), "--json", timeout=60)
    assert proc.returncode == 1 and json.loads(proc.stdout)["regressed"] is True


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`mcsec report diff OLD NEW | head`: more output than a pipe holds, the reader leaves after a line."""
    import subprocess
    import sys

    from tests.repo import ROOT

    old = synthetic_document()
    old["scenarios"] = [_scenario(f"7.13/many::s{i}", P, ["R713-KM-SIG"]) for i in range(3000)]
    new = copy.deepcopy(old)
    for s in new["scenarios"]:
        s["verdict"], s["reason"] = F, "the KMS accepted the token " * 4
    for d in (old, new):
        results.refresh(d)
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    proc = subprocess.Popen([sys.executable, "-m", "mcsec.cli", "report", "diff", str(tmp_path / "old.json"),
                             str(tmp_path / "new.json")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"old: ")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert b"Traceback" not in err and b"Exception ignored" not in err, err
