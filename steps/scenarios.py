"""Binds every feature under features/ to the step definitions (collected by `mcsec run`)."""
from pytest_bdd import scenarios

from mcsec.catalogue import FEATURES_DIR

scenarios(str(FEATURES_DIR))
