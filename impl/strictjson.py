"""JSON text from a peer, read strictly: RFC 8259 JSON in UTF-8 and nothing Python adds to it.

Every JSON document a reference role takes from the network (an HTTP request body, a JWT's header
and claims, an IdM's or a KMS's answer) goes through :func:`loads`. It refuses, with
:class:`JsonRefused` (a ``ValueError``) and never another exception:

- text that is not UTF-8 (or starts with a byte order mark), or that is not JSON;
- nesting deeper than ``max_depth`` arrays and objects (default 32), counted before the text is
  parsed, so a 200,000-deep array costs one linear scan and never reaches the recursive parser;
- the literals ``NaN``, ``Infinity`` and ``-Infinity``, which Python's ``json`` accepts but JSON does not,
  and numbers too large to be finite (``1e400``) or to be read (an integer of thousands of digits);
- an object with the same member name twice (RFC 8259 4 leaves its meaning open; RFC 7519 4 allows
  refusing it).

The message of a refusal says what was wrong, never quotes the text.
"""
from __future__ import annotations

import json
import math
import re

__all__ = ["JsonRefused", "MAX_DEPTH", "loads"]

MAX_DEPTH = 32
# A string, to its closing quote or to the end when it has none: removed left to right, each string is
# consumed whole, so the scan is linear whatever the text.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LEAF_PAIR = re.compile(r"\[\]|\{\}")
_OPENERS = re.compile(r"[\[{]+")


class JsonRefused(ValueError):
    """The text is not JSON this suite takes; the message says why (never the text itself)."""


def _constant(name: str) -> object:
    raise JsonRefused(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused("a number is too large to be finite")
    return value


def _unique(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for name, value in pairs:
        if name in out:
            raise JsonRefused("an object names a member twice")
        out[name] = value
    return out


def _deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (strings skipped: they may hold brackets).

    Each round removes every innermost pair, so the number of rounds is the nesting depth; at most
    ``limit`` + 1 rounds, each a linear pass in C."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for rounds in range(limit + 1):
        if not brackets:
            return False
        reduced = _LEAF_PAIR.sub("", brackets)
        if reduced == brackets:  # unclosed or mismatched: not JSON, but a parser would still descend
            return rounds + max(map(len, _OPENERS.findall(brackets)), default=0) > limit
        brackets = reduced
    return True


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> object:
    """The JSON value of ``data``; :class:`JsonRefused` when it is not strict JSON within ``max_depth``."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("not UTF-8") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        raise JsonRefused("starts with a byte order mark")
    if _deeper_than(text, max_depth):
        raise JsonRefused(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, object_pairs_hook=_unique)
    except JsonRefused:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: a nesting the scan did not see
        raise JsonRefused("not JSON" if isinstance(exc, json.JSONDecodeError) else
                          "a value cannot be read") from None
