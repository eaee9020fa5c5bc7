"""Strict JSON: what a peer may send the reference roles, and the clean refusal of everything else."""
from __future__ import annotations

import json

import pytest

from mcsec.impl import strictjson
from mcsec.impl.httpserver import HttpError, Request
from mcsec.impl.strictjson import JsonRefused


@pytest.mark.parametrize("text,value", [
    ('{"a": [1, 2.5, "x", true, null]}', {"a": [1, 2.5, "x", True, None]}),
    ('"[[[[[[ {{{{ in a string"', "[[[[[[ {{{{ in a string"),
    ('["escaped \\" quote [[[["]', ['escaped " quote [[[[']),
    ("[" * strictjson.MAX_DEPTH + "]" * strictjson.MAX_DEPTH, json.loads("[" * 32 + "]" * 32)),
    ('{"exp": 1e300, "iat": -0.5}', {"exp": 1e300, "iat": -0.5}),
])
def test_json_is_read(text, value):
    assert strictjson.loads(text) == value
    assert strictjson.loads(text.encode()) == value


@pytest.mark.parametrize("data,reason", [
    ("[" * 200_000 + "]" * 200_000, "nested deeper"),
    ("[" * 200_000, "nested deeper"),
    ('{"a":' * 33 + "1" + "}" * 33, "nested deeper"),
    ("[" * 33 + "]" * 33, "nested deeper"),
    ('{"exp": NaN}', "NaN"),
    ('{"exp": Infinity}', "Infinity"),
    ('{"nbf": -Infinity}', "-Infinity"),
    ('{"exp": 1e400}', "finite"),
    ('{"exp": -1e400}', "finite"),
    ('{"sub": "a", "sub": "b"}', "twice"),
    ('{"a": 1', "not JSON"),
    ("", "not JSON"),
    ("[1, 2] [3]", "not JSON"),
    (b"\xff\xfe[]", "UTF-8"),
    ("\ufeff{}", "byte order mark"),
    ("1" * 5000, "cannot be read"),
], ids=lambda v: v[:20] if isinstance(v, str) else repr(v[:8]))
def test_unusable_json_is_refused_with_a_reason(data, reason):
    with pytest.raises(JsonRefused, match=reason):
        strictjson.loads(data)


def _request(body: bytes) -> Request:
    return Request("POST", "/x", {}, {}, body, ("127.0.0.1", 1))


@pytest.mark.parametrize("body", [b"[" * 200_000, b'{"a": NaN}', b'{"a": 1, "a": 2}', b"[1]", b"\xff"])
def test_a_request_body_that_is_not_a_usable_json_object_is_a_400(body):
    with pytest.raises(HttpError) as refused:
        _request(body).json()
    assert refused.value.status == 400


def test_a_request_body_object_is_read():
    assert _request(b'{"principal": "alice"}').json() == {"principal": "alice"}
