"""The package tree one mutant is served from: a folder holding an ``mcsec`` package whose every file is a
symbolic link to the installed one, except the mutated file (real folders lead down to it).

The campaign names a file by its path under the ``mcsec`` package with the subpackage folder first
(``impl/kms/tokens.py`` is ``mcsec.impl.kms.tokens``): the same name in a checkout (where ``impl/`` is
``mcsec.impl``) and in an installed wheel. A role process started with the tree first on PYTHONPATH
(and PYTHONSAFEPATH set, so that the current folder does not come first) imports the mutated file and
everything else unchanged; ``__pycache__`` folders are not linked, so no compiled file of the
installed package is ever rewritten from a mutant.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

SUBPACKAGES = ("impl", "fixtures", "steps", "reports", "features", "mutation")
"""The ``mcsec`` subpackages that live in folders of their own in a checkout (pyproject package-dir)."""


class TreeError(RuntimeError):
    pass


def package_dir(name: str = "") -> Path:
    """The folder of ``mcsec`` (name "") or of the subpackage ``mcsec.NAME``."""
    spec = importlib.util.find_spec(f"mcsec.{name}" if name else "mcsec")
    if spec is None or not spec.submodule_search_locations:
        raise TreeError(f"mcsec.{name} is not an installed package")
    return Path(list(spec.submodule_search_locations)[0])


def source_path(file: str) -> Path:
    """The installed source of a campaign file name (``impl/kms/tokens.py``)."""
    parts = Path(file).parts
    if len(parts) < 2 or parts[0] not in SUBPACKAGES or not file.endswith(".py") or ".." in parts:
        raise TreeError(f"{file}: not a file of an mcsec subpackage ({', '.join(SUBPACKAGES)})")
    path = package_dir(parts[0]).joinpath(*parts[1:])
    if not path.is_file():
        raise TreeError(f"{file}: no such file ({path})")
    return path


def _link_entries(real: Path, into: Path, skip: str | None = None) -> None:
    into.mkdir(parents=True, exist_ok=True)
    for entry in sorted(real.iterdir()):
        if entry.name in ("__pycache__", skip):
            continue
        os.symlink(entry, into / entry.name)


def build(root: Path, file: str, text: bytes) -> Path:
    """A tree under ``root`` (which must not exist yet) serving ``text`` as ``file``; returns ``root``,
    the folder to put first on PYTHONPATH."""
    parts = Path(file).parts
    source_path(file)  # validates the name
    pkg = root / "mcsec"
    _link_entries(package_dir(), pkg, skip=parts[0])
    for sub in SUBPACKAGES:
        if sub != parts[0] and not (pkg / sub).exists():
            os.symlink(package_dir(sub), pkg / sub)
    real, here = package_dir(parts[0]), pkg / parts[0]
    for part in parts[1:]:
        _link_entries(real, here, skip=part)
        real, here = real / part, here / part
    here.write_bytes(text)
    return root


def loaded_from(root: Path, file: str, *, python: str = sys.executable) -> Path:
    """Where a process started as the served role is (PYTHONPATH=root, PYTHONSAFEPATH) imports ``file``
    from: the preflight check that a mutant tree is what runs."""
    module = "mcsec." + ".".join(Path(file).with_suffix("").parts)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p),
               PYTHONSAFEPATH="1")
    code = "import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]).origin)"
    out = subprocess.run([python, "-c", code, module], env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise TreeError(f"{module}: cannot be found from {root}: {out.stderr.strip()[-400:]}")
    return Path(out.stdout.strip())
