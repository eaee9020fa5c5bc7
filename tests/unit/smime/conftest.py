"""Shared fixtures for the S/MIME body tests."""
from __future__ import annotations

import pytest

from tests.unit.smime.openssl_peer import CEK, KEY_ID


@pytest.fixture
def cek() -> bytes:
    return CEK


@pytest.fixture
def key_id() -> bytes:
    return KEY_ID


@pytest.fixture
def key_lookup():
    return {KEY_ID: CEK}.get
