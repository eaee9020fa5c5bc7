"""pyproject.toml installs every package of the tree, under the one import name mcsec, and its data."""
from __future__ import annotations

import tomllib

from tests.repo import ROOT


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_python_package_of_the_tree_is_listed():
    tool = _pyproject()
    mapping = tool["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert set(tool["packages"]) == found


def test_only_mcsec_is_installed_at_the_top():
    tool = _pyproject()
    assert {p.split(".", 1)[0] for p in tool["packages"]} == {"mcsec"}
    assert all(name == "mcsec" or name.startswith("mcsec.") for name in tool["package-dir"])


def test_every_data_file_the_suite_reads_is_package_data():
    data = _pyproject()["package-data"]
    patterns = {"features": data["mcsec.features"], "impl/kms": data["mcsec.impl.kms"],
                "fixtures": data["mcsec.fixtures"], "fixtures/lab": data["mcsec.fixtures.lab"],
                "reports": data["mcsec.reports"]}
    for folder, suffixes in (("features", (".feature", ".toml", ".txt")), ("impl/kms", (".xsd",)),
                             ("fixtures", (".toml", ".json")), ("fixtures/lab", (".cfg",)), ("reports", (".json",))):
        files = [p for p in (ROOT / folder).rglob("*") if p.suffix in suffixes and "__pycache__" not in p.parts
                 and (folder != "fixtures" or p.parent.name in ("profiles", "vectors"))
                 and (folder != "reports" or p.parent == ROOT / "reports")]
        assert files, folder
        for path in files:
            rel = path.relative_to(ROOT / folder)
            assert any(rel.match(pattern) for pattern in patterns[folder]), f"{folder}/{rel} is not package data"
