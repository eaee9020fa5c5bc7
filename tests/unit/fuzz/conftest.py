"""Settings shared by the in-suite fuzz tests: bounded by example counts, never by time."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

#: examples per structure-aware test; each test stays within a few seconds
EXAMPLES = 150


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
