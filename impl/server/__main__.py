"""`python -m mcsec.impl.server --config CONFIG.json`: run the reference MCPTT server (see impl/rolemain.py)."""
from __future__ import annotations

import sys

from mcsec.impl.rolemain import run_role
from mcsec.impl.server.server import build

if __name__ == "__main__":
    sys.exit(run_role("server", build))
