"""`python -m mcsec.impl.client --config CONFIG.json`: run the reference MCPTT client (see impl/rolemain.py)."""
from __future__ import annotations

import sys

from mcsec.impl.client.client import build
from mcsec.impl.rolemain import run_role

if __name__ == "__main__":
    sys.exit(run_role("client", build))
