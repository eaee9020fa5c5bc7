"""Access tokens the kms_tokens harness found: signed by the IdM's key, with claims the KMS must
refuse (RFC 7519 2: a NumericDate is a JSON number; sub and the profile's claims are strings)."""
from __future__ import annotations

import json

import pytest

from mcsec.impl.kms.tokens import TokenRejected
from tests.fuzz import kms_tokens

HOSTILE = {
    "exp infinite": '{"exp": 1e999}',
    "exp NaN": '{"exp": NaN}',
    "exp beyond a float": '{"exp": 1' + "0" * 400 + "}",
    "exp a string": '{"exp": "1e999"}',
    "exp a boolean": '{"exp": true}',
    "nbf minus infinity": '{"nbf": -1e999}',
    "iat NaN without nbf": '{"iat": NaN, "nbf": null}',
    "mcptt_id a number": '{"mcptt_id": 5}',
    "client_id a list": '{"client_id": ["a"]}',
    "sub an object": '{"sub": {"a": 1}}',
    "scope a list": '{"scope": ["3gpp:mc:ptt_key_management_service"]}',
}


def _token(overrides: str) -> str:
    claims = kms_tokens.claims()
    claims.update(json.loads(overrides))
    claims = {k: v for k, v in claims.items() if v is not None}
    return kms_tokens.signed(json.dumps(kms_tokens._HEADER).encode(), json.dumps(claims).encode())


@pytest.mark.parametrize("overrides", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_claims_are_an_invalid_token(overrides):
    with pytest.raises(TokenRejected) as refused:
        kms_tokens.STRICT.verify(_token(overrides))
    assert (refused.value.error, refused.value.status) == ("invalid_token", 401)
    kms_tokens.HARNESS.one_input(bytes([0]) + b"Bearer " + _token(overrides).encode())


def test_well_typed_claims_still_verify():
    principal = kms_tokens.STRICT.verify(_token('{"scope": "3gpp:mc:ptt_key_management_service", "exp": 4102444800.5}'))
    assert principal.mcptt_id == "sip:alice@example.org"


def test_an_accepted_token_is_checked_against_its_dates_by_the_oracle(monkeypatch):
    """The harness flags a token accepted outside its validity (a verifier that skipped its claim checks
    would take a token expired long ago)."""
    monkeypatch.setattr(kms_tokens.STRICT, "_check_claims", lambda claims, *args: None)
    with pytest.raises(AssertionError):
        kms_tokens.HARNESS.one_input(bytes([0]) + b"Bearer " + _token('{"exp": 1000}').encode())
