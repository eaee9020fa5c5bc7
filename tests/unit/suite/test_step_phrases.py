"""A feature that uses a phrase no step knows stops the run before anything starts, naming the step."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from mcsec.catalogue import load_catalogue
from mcsec.fixtures.plugin import ConformancePlugin
from mcsec.fixtures.profile import load
from mcsec.fixtures.session import ConformanceSession
from mcsec.steps import STEP_MODULES
from mcsec.steps.phrases import Phrases, parse
from mcsec.steps.tokens import FORGERIES


def _collect(tmp_path: Path, feature_text: str) -> tuple[int, ConformanceSession]:
    features = tmp_path / "features"
    features.mkdir()
    (features / "x.feature").write_text(feature_text)
    module = tmp_path / f"scenarios_{abs(hash(str(tmp_path)))}.py"  # a module name of its own per test
    module.write_text(f"from pytest_bdd import scenarios\nscenarios({str(features)!r})\n")
    session = ConformanceSession(load(), tmp_path / "out", load_catalogue(), progress=io.StringIO(),
                                 features_dir=features)
    args = [str(module), "-p", "no:terminal", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", os.devnull,
            "--import-mode=importlib", "-o", "python_files=scenarios_*.py", "--collect-only"]
    for step_module in STEP_MODULES:
        args += ["-p", step_module]
    code = pytest.main(args, plugins=[ConformancePlugin(session)])
    session.close()
    return code, session


FEATURE = """Feature: f
  Background:
    Given the IdM server and the KMS are reachable
    And "alice" has authenticated at the IdM with the authorization code flow and PKCE

  @R713-KM-SIG @tp:MCSEC-713-TOK-901
  Scenario: a forged token
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting her token {forgery}
    Then the KMS answers 401 with the Bearer error "invalid_token"
"""


def test_a_known_phrase_collects(tmp_path, capsys):
    code, session = _collect(tmp_path, FEATURE.format(forgery="with its signature cut off"))
    assert code == pytest.ExitCode.OK
    assert session.lab is None  # collection alone starts nothing


def test_an_unknown_phrase_stops_collection_naming_the_step(tmp_path, capsys):
    code, _ = _collect(tmp_path, FEATURE.format(forgery="with its signature cut of"))
    assert code == pytest.ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "features/x.feature:8: no step definition matches When" in err
    assert "with its signature cut of'" in err and "MCSEC-713-TOK-901" in err


def test_a_phrase_table_matches_whole_phrases_only():
    table = Phrases("Word", {"first": 1, "first of all": 2})
    step = parse("take the {w:Word} one", table)
    assert step.parse_arguments("take the first of all one")["w"].value == 2
    assert step.parse_arguments("take the first one")["w"].value == 1
    assert not step.is_matching("take the firs one") and not step.is_matching("take the First one")
    assert "with its signature cut off" in FORGERIES


def test_the_step_lookup_cache_answers_what_pytest_bdd_answers_once_per_module_type_and_text():
    from types import SimpleNamespace

    from mcsec.fixtures.plugin import _StepLookupCache, bdd_scenario

    calls = []

    def original(step, fixturemanager, node):
        calls.append((step.type, step.name, node.path))
        yield f"{step.type}:{step.name}"

    cache = _StepLookupCache(original)
    node_a, node_b = SimpleNamespace(path="scenarios.py"), SimpleNamespace(path="other.py")
    given = SimpleNamespace(type="given", name="the IdM server and the KMS are reachable")
    assert list(cache.lookup(given, None, node_a)) == ["given:the IdM server and the KMS are reachable"]
    assert list(cache.lookup(given, None, node_a)) == ["given:the IdM server and the KMS are reachable"]
    assert list(cache.lookup(SimpleNamespace(type="then", name=given.name), None, node_a)) == [f"then:{given.name}"]
    list(cache.lookup(given, None, node_b))
    assert len(calls) == 3   # once per (module, type, text)
    before = bdd_scenario.find_fixturedefs_for_step
    installed = _StepLookupCache.install()
    assert bdd_scenario.find_fixturedefs_for_step == installed.lookup
    installed.uninstall()
    assert bdd_scenario.find_fixturedefs_for_step is before
