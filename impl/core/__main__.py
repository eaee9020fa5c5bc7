import sys

from impl.core.service import build
from impl.rolemain import run_role

sys.exit(run_role("core", build))
