"""`python -m mcsec.impl.idm --config CONFIG.json`: run the reference IdM (see impl/rolemain.py)."""
from __future__ import annotations

import sys

from mcsec.impl.idm.server import build
from mcsec.impl.rolemain import run_role

if __name__ == "__main__":
    sys.exit(run_role("idm", build))
