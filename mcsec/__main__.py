import sys

from mcsec.cli import main

sys.exit(main())
