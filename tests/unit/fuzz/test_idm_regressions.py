"""IdM request inputs the fuzz harnesses found: each answered 4xx, never 500."""
from __future__ import annotations

import pytest

from mcsec.impl.httpserver import HttpError, Request
from tests.fuzz import idm_endpoints


@pytest.mark.parametrize("body", [b"[" * 5000, b'{"a":' * 3000, b'{"principal": "alice", "claims": ' + b"[" * 2000])
def test_json_nested_deeper_than_the_interpreter_recurses_is_400(body):
    request = Request("POST", "/test/tokens", {}, {"content-type": "application/json"}, body, ("192.0.2.1", 1))
    with pytest.raises(HttpError) as refused:
        request.json()
    assert refused.value.status == 400
    idm_endpoints.HARNESS.one_input(bytes([4]) + body)
