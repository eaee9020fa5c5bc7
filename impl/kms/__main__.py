import sys

from mcsec.impl.kms.server import build
from mcsec.impl.rolemain import run_role

sys.exit(run_role("kms", build))
