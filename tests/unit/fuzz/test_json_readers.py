"""The clients' readers of JSON from a peer that may be a product under test (the IdM's answers, its
JWKS): hostile documents are refused with the reader's own error, found by review of the pattern
the idm_endpoints harness found in the servers (JSON nested deeper than the interpreter recurses)."""
from __future__ import annotations

import io
import json
import ssl

import pytest

from mcsec.impl.idm.login import IdmError, _Answer, _raise_for
from mcsec.impl.kms import tokens

DEEP = b"[" * 5000


def test_an_idm_answer_nested_too_deeply_is_a_bad_response():
    with pytest.raises(IdmError) as refused:
        _Answer(200, {}, DEEP).json()
    assert refused.value.error == "bad_response"
    with pytest.raises(IdmError) as refused:
        _raise_for(_Answer(400, {}, DEEP), "token endpoint")
    assert refused.value.error == "http_error"


class _Reply(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("document", [
    DEEP, b"[]", b'{"keys": 5}', b'{"keys": [5, "x", null]}',
    b'{"keys": [{"kty": "EC", "crv": "P-256", "kid": ["k"]}]}',
    b'{"keys": [{"kty": "EC", "crv": "P-256", "kid": "k", "x": "AAAA", "y": "@@"}]}',
])
def test_a_hostile_jwks_gives_no_key_and_no_exception(monkeypatch, document):
    monkeypatch.setattr(tokens.urllib.request, "urlopen", lambda *a, **k: _Reply(document))
    cache = tokens.JwksCache("https://idm.example.org/jwks", ssl.create_default_context())
    assert cache.get("k") is None
    assert cache.any_key() is None


def test_a_good_key_beside_hostile_entries_is_kept(monkeypatch):
    from tests.fuzz.kms_tokens import _Jwks
    good = _Jwks.jwk._jwk_data | {"kid": "k"}
    document = json.dumps({"keys": [5, {"kid": "bad", "kty": "EC", "crv": "P-256", "x": "A"}, good]}).encode()
    monkeypatch.setattr(tokens.urllib.request, "urlopen", lambda *a, **k: _Reply(document))
    cache = tokens.JwksCache("https://idm.example.org/jwks", ssl.create_default_context())
    assert cache.get("k") is not None and cache.get("bad") is None
