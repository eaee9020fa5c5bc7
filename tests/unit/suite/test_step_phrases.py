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


def test_the_step_lookup_cache_answers_what_pytest_bdd_answers_for_every_step_of_the_features():
    """The cache lists the module's step definitions once and matches each step against them; pytest-bdd
    asks pytest per fixture name per step. Both must find the same definitions, in the same order, for
    every step text of every scenario the suite has (and the cache must be the one installed)."""
    from mcsec.fixtures.plugin import _StepLookupCache, bdd_scenario
    from mcsec.runner import SCENARIO_MODULE

    original = bdd_scenario.find_fixturedefs_for_step
    compared: dict[tuple, tuple[list, list]] = {}

    class Compare:
        @pytest.hookimpl(trylast=True)
        def pytest_collection_modifyitems(self, session, config, items):
            from pytest_bdd.scenario import scenario_wrapper_template_registry

            cache = _StepLookupCache(original)
            for item in items:
                template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
                example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example")
                for step in template.render(example or {}).steps:
                    key = (step.type, step.name)
                    if key not in compared:
                        compared[key] = (list(original(step, session._fixturemanager, item)),
                                         list(cache.lookup(step, session._fixturemanager, item)))

    args = [str(SCENARIO_MODULE), "-p", "no:terminal", "-p", "no:cacheprovider", "--rootdir",
            str(SCENARIO_MODULE.parent), "-c", os.devnull, "--import-mode=importlib", "-o", "python_files=scenarios.py",
            "-W", "ignore::DeprecationWarning", "--collect-only"]
    for step_module in STEP_MODULES:
        args += ["-p", step_module]
    assert pytest.main(args, plugins=[Compare()]) == pytest.ExitCode.OK
    assert len(compared) > 300  # every step text of the features, not a handful
    differ = [key for key, (slow, cached) in compared.items() if slow != cached]
    assert not differ, differ[:5]
    assert all(slow for slow, _ in compared.values())  # every step has a definition: the comparison saw some
    before = bdd_scenario.find_fixturedefs_for_step
    installed = _StepLookupCache.install()
    assert bdd_scenario.find_fixturedefs_for_step == installed.lookup
    installed.uninstall()
    assert bdd_scenario.find_fixturedefs_for_step is before


def test_the_step_lookup_cache_tells_step_types_apart():
    from types import SimpleNamespace

    from mcsec.fixtures.plugin import _StepLookupCache

    cache = _StepLookupCache(None)
    given_def, then_def, any_def = object(), object(), object()
    parser = SimpleNamespace(is_matching=lambda name: name == "the KMS answers")
    cache.candidates["scenarios.py"] = [(given_def, SimpleNamespace(type="given", parser=parser)),
                                        (then_def, SimpleNamespace(type="then", parser=parser)),
                                        (any_def, SimpleNamespace(type=None, parser=parser))]
    node = SimpleNamespace(path="scenarios.py")
    assert list(cache.lookup(SimpleNamespace(type="then", name="the KMS answers"), None, node)) == [then_def, any_def]
    assert list(cache.lookup(SimpleNamespace(type="when", name="the KMS answers"), None, node)) == [any_def]
    assert list(cache.lookup(SimpleNamespace(type="then", name="the KMS answer"), None, node)) == []
