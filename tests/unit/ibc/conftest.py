"""Shared fixtures for the identity-based cryptography tests; vectors come from fixtures/vectors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet

VECTORS = Path(__file__).resolve().parents[3] / "fixtures" / "vectors"


def load_vectors(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


@pytest.fixture(scope="session")
def rfc_vectors() -> dict:
    return load_vectors("rfc6507-rfc6508-vectors.json")


@pytest.fixture(scope="session")
def mikey_vectors() -> dict:
    return load_vectors("mikey-sakke-vectors.json")


@pytest.fixture(scope="session")
def kms_cert(mikey_vectors) -> KmsCertificate:
    return KmsCertificate.from_mapping(mikey_vectors["kms_init"])


@pytest.fixture(scope="session")
def key_sets(mikey_vectors) -> dict[str, UserKeySet]:
    return {name: UserKeySet.from_mapping(v) for name, v in mikey_vectors["key_sets"].items()}


@pytest.fixture(scope="session")
def key_sets_by_uri(key_sets) -> dict[str, UserKeySet]:
    return {k.user_uri: k for k in key_sets.values()}


@pytest.fixture(scope="session")
def csk_vector(mikey_vectors) -> dict:
    return next(m for m in mikey_vectors["i_messages"] if m["name"] == "CSK")
