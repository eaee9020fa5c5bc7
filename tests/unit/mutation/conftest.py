from __future__ import annotations

import pytest

from mcsec.mutation import campaign
from mcsec.mutation.targets import DEFAULT_TARGETS


@pytest.fixture(scope="session")
def every_mutant() -> list[campaign.Planned]:
    """Every mutant of the default targets (made once: it parses and compiles each mutant)."""
    return campaign.mutants(DEFAULT_TARGETS)
