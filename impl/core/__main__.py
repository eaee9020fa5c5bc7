import sys

from mcsec.impl.core.service import build
from mcsec.impl.rolemain import run_role

sys.exit(run_role("core", build))
