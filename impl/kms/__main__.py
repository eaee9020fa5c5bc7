import sys

from impl.kms.server import build
from impl.rolemain import run_role

sys.exit(run_role("kms", build))
