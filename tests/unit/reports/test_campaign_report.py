"""campaign.json and its pages (reports/campaign.py) from the outcomes of a made-up campaign: the matrix cells,
the schema, escaping, links, and nothing loaded from outside the folder."""
from __future__ import annotations

import copy
import datetime as _dt
import json
from pathlib import Path

import jsonschema
import pytest

from mcsec import campaign
from mcsec.campaign import REFERENCE, Campaign, Entry, Outcome
from mcsec.reports import campaign as report
from tests.unit.reports.conftest import NASTY
from tests.unit.reports.html_check import Page

ACME = f"Acme client {NASTY}"


def _summary(**counts) -> dict:
    return {**{v: 0 for v in ("pass", "not_applicable", "waived", "inconclusive", "fail", "error")}, **counts}


@pytest.fixture
def made_up(tmp_path: Path) -> tuple[dict, Path]:
    entries = [
        Entry("reference", "reference", {r: REFERENCE for r in ("idm", "kms", "client", "server", "core")}),
        Entry("acme-client", "profile", {"client": ACME}, profile=Path("/vendors/acme.toml"),
              requirements=("R713-SMIME-CEK",)),
        Entry("bravo-server", "serve", {"server": "Bravo server"}, serve="server"),
        Entry("pairing", "profile", {"client": ACME, "server": "Bravo server"}, profile=Path("/vendors/pair.toml")),
        Entry("pairing-again", "profile", {"client": ACME, "server": "Bravo server"}, keyword="SIP1"),
        Entry("charlie-kms", "profile", {"kms": "Charlie KMS"}, profile=Path("/vendors/charlie.toml")),
    ]
    outcomes = [
        Outcome(entries[0], 0, {"summary": _summary(**{"pass": 120, "not_applicable": 1}),
                                "sut": {"name": "MCSec reference implementation", "version": "bundled"}}, 40.0),
        Outcome(entries[1], 1, {"summary": _summary(**{"pass": 3, "fail": 1}), "sut": {"name": ACME, "version": "1"}},
                12.5),
        Outcome(entries[2], 0, {"summary": _summary(**{"pass": 7}), "sut": {"name": "x", "version": "y"}}, 9.0),
        Outcome(entries[3], 3, {"summary": _summary(**{"pass": 2, "inconclusive": 2}), "sut": {}}, 8.0),
        Outcome(entries[4], 0, {"summary": _summary(**{"pass": 1}), "sut": {}}, 3.0),
        Outcome(entries[5], None, None, 1800.0, f"the run did not end within 1800 s {NASTY}"),
    ]
    for o in outcomes[:5]:
        run = tmp_path / "runs" / o.entry.name
        run.mkdir(parents=True)
        (run / "results.json").write_text("{}")
        (run / "compliance.html").write_text("<!DOCTYPE html><title>run</title>")
    for o in outcomes:
        (tmp_path / "runs" / f"{o.entry.name}.log").write_text("console\n")
    c = Campaign(f"Event {NASTY}", tmp_path / "event.toml", tuple(entries), 1800.0)
    now = _dt.datetime(2026, 12, 1, tzinfo=_dt.timezone.utc)
    document = campaign.document(c, outcomes, tmp_path, started=now, finished=now + _dt.timedelta(seconds=61),
                                 wall_time_s=61.0, jobs=2)
    report.write(document, tmp_path)
    return document, tmp_path


def _validate(document: dict) -> None:
    schema = json.loads(report.SCHEMA_FILE.read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())


def test_campaign_json_follows_its_schema_and_the_schema_can_refuse(made_up):
    document, out = made_up
    assert json.loads((out / report.FILENAME).read_text()) == document
    _validate(document)
    for spoil in (lambda d: d["entries"][0].update(status="passed"), lambda d: d.pop("matrix"),
                  lambda d: d["matrix"][0].update(products=["only one"]), lambda d: d.update(schema="mcsec-campaign/2"),
                  lambda d: d["entries"][1]["summary"].pop("fail")):
        spoiled = copy.deepcopy(document)
        spoil(spoiled)
        with pytest.raises(jsonschema.ValidationError):
            _validate(spoiled)


def test_the_status_is_the_worst_run_and_totals_count_each(made_up):
    document, _ = made_up
    assert document["status"] == "fail" and document["exit_status"] == 1
    assert document["totals"] == {"entries": 6, "pass": 3, "fail": 1, "inconclusive": 1, "broken": 1}
    broken = document["entries"][5]
    assert broken["status"] == "broken" and broken["report"] is None and broken["results"] is None
    assert document["entries"][1]["report"] == "runs/acme-client/compliance.html"


def test_each_pair_of_products_is_one_cell_with_every_run_that_paired_them(made_up):
    document, _ = made_up
    assert document["products"] == [REFERENCE, ACME, "Bravo server", "Charlie KMS"]
    cells = {frozenset(c["products"]): c for c in document["matrix"]}
    assert set(cells) == {frozenset([REFERENCE]), frozenset([ACME, REFERENCE]), frozenset(["Bravo server", REFERENCE]),
                          frozenset([ACME, "Bravo server"]), frozenset(["Charlie KMS", REFERENCE])}
    pair = cells[frozenset([ACME, "Bravo server"])]
    assert pair["entries"] == ["pairing", "pairing-again"]
    assert pair["summary"]["pass"] == 3 and pair["summary"]["inconclusive"] == 2
    assert pair["status"] == "inconclusive"
    assert cells[frozenset(["Charlie KMS", REFERENCE])]["status"] == "broken"


def test_the_matrix_page_is_symmetric_and_links_every_run_to_its_report(made_up):
    document, out = made_up
    page = Page((out / report.MATRIX).read_text())
    assert not page.problems, page.problems
    assert page.attrs("table")[0]["id"] == "interop-matrix"
    names = document["products"]
    cells = [a for t, a in page.tags if t == "td"]
    assert len(cells) == len(names) ** 2
    grid = [cells[i * len(names):(i + 1) * len(names)] for i in range(len(names))]
    for i in range(len(names)):
        for j in range(len(names)):
            assert grid[i][j]["class"] == grid[j][i]["class"], (names[i], names[j])
    assert grid[0][0]["class"] == "cell st-pass"          # the reference run, with itself
    assert grid[1][2]["class"] == "cell st-inconclusive"  # Acme's client with Bravo's server
    assert grid[1][1]["class"] == "cell empty"            # no run paired Acme with itself
    assert grid[0][3]["class"] == "cell st-broken"
    reports = [h for h in page.hrefs() if h.endswith("compliance.html")]
    assert sorted(set(reports)) == sorted(f"runs/{e['name']}/compliance.html" for e in document["entries"][:5])
    for href in page.hrefs():
        assert (out / href).is_file(), href


def test_the_index_lists_every_run_and_its_problem(made_up):
    document, out = made_up
    page = Page((out / report.INDEX).read_text())
    assert not page.problems, page.problems
    rows = [a["id"] for t, a in page.tags if t == "tr" and "id" in a]
    assert rows == [f"entry-{e['name']}" for e in document["entries"]]
    assert "the run did not end within 1800 s" in page.text and "selection: requirement R713-SMIME-CEK" in page.text
    for href in page.hrefs():
        assert (out / href).is_file(), href


@pytest.mark.parametrize("name", [report.INDEX, report.MATRIX])
def test_the_pages_escape_what_the_campaign_says_and_load_nothing_from_outside(made_up, name):
    _, out = made_up
    text = (out / name).read_text()
    assert "<script>" not in text and "<b>bold</b>" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text
    assert "default-src 'none'" in text
    page = Page(text)
    assert not [a for t, a in page.tags if t in ("script", "img", "link", "iframe")]
    assert all(not h.startswith(("http:", "https:", "//")) for h in page.hrefs())
