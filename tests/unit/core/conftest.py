"""Fixtures: one loop thread for the package, one core process (with its fake AS) per module."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.core.harness import CoreUnderTest, LoopThread, start_core, stop_core


@pytest.fixture(scope="package")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def core(loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreUnderTest]:
    under_test = start_core(loop, tmp_path_factory.mktemp("core"))
    yield under_test
    stop_core(loop, under_test)


@pytest.fixture
def fake_as(core: CoreUnderTest):
    core.fake_as.reset()
    yield core.fake_as
    core.fake_as.reset()
