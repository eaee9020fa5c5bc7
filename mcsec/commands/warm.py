"""What the fork server of `mcsec kill-matrix` and `mcsec mutate` does once before it forks any run:
import the step modules and parse every feature file. Each run forked from it then finds both ready
(pytest registers the already imported step modules as its plugins, and pytest-bdd's parser keeps each
feature it parsed), instead of spending about a second of each ~3 s run on them.

The step modules hold no `assert` statements (a Then-step raises Failed with its reason), so pytest's
assertion rewriting, which an already imported module does not get, changes nothing in them."""
from __future__ import annotations

import importlib

from pytest_bdd.feature import get_features

from mcsec.catalogue import FEATURES_DIR
from mcsec.steps import STEP_MODULES

for _module in STEP_MODULES:
    importlib.import_module(_module)
get_features([str(FEATURES_DIR)])
