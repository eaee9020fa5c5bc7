"""A role process can run another package tree: the folder given as its pythonpath comes first."""
from __future__ import annotations

import json
from pathlib import Path

from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.fixtures.lab.served import serve_command

PROBE = """import json, os, signal
print(json.dumps({"ready": True, "pythonpath": os.environ.get("PYTHONPATH", ""),
                  "safe": os.environ.get("PYTHONSAFEPATH"), "origin": __file__}), flush=True)
signal.pause()  # until the lab stops it
"""


def test_the_pythonpath_folder_is_first_and_the_current_folder_is_not(tmp_path: Path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "probe_role").mkdir(parents=True)
    (tree / "probe_role" / "__init__.py").write_text("")
    (tree / "probe_role" / "__main__.py").write_text(PROBE)
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    role = RoleProcess("probe", "probe_role", {}, tmp_path / "run", pythonpath=str(tree))
    try:
        info = role.start(timeout=60)
    finally:
        role.stop()
    assert info["pythonpath"].split(":") == [str(tree), "/elsewhere"]
    assert info["safe"] == "1" and info["origin"] == str(tree / "probe_role" / "__main__.py")
    assert json.loads((tmp_path / "run" / "probe.json").read_text())["log_level"] == "INFO"


def test_serve_passes_the_tree_of_the_role_under_test(tmp_path: Path):
    command = serve_command("kms", tmp_path, iut_pythonpath=tmp_path / "tree")
    assert command[command.index("--iut-pythonpath") + 1] == str(tmp_path / "tree")
    assert "--iut-pythonpath" not in serve_command("kms", tmp_path)
