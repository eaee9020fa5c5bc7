"""`mcsec mutate` on the command line: usage errors, and --list (which runs nothing)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcsec.mutation import campaign


def _mutate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mcsec", "mutate", *args], capture_output=True, text=True,
                          timeout=300)


def test_bad_input_is_a_usage_error(tmp_path: Path):
    for args, phrase in ((["--files", "impl/no_such.py"], "no such file"),
                         (["--files", "../outside.py"], "not a file of an mcsec subpackage"),
                         (["--files", "impl/sip/framing.py"], "--role"),
                         (["--sample", "0"], "at least 1"),
                         (["--equivalents", str(tmp_path / "none.toml")], "cannot read")):
        proc = _mutate(*args, "--out", str(tmp_path / "out"))
        assert proc.returncode == 2 and phrase in proc.stderr, (args, proc.stderr)
    assert not (tmp_path / "out").exists()


def test_list_prints_the_seeded_sample_and_runs_nothing(tmp_path: Path, every_mutant):
    files = ("impl/core/registrar.py", "impl/core/authentication.py")
    proc = _mutate("--files", *files, "--sample", "5", "--seed", "4", "--list", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    expected = campaign.sample([p for p in every_mutant if p.mutant.file in files], 5, 4)
    assert [line.split()[0] for line in lines] == [p.mutant.id for p in expected]
    assert all(line.split()[1] == "core" for line in lines)
    assert "5 of " in proc.stderr and not (tmp_path / "out").exists()
