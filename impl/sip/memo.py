"""Remembered results of the header-value parsers.

One message's Via, From, To, CSeq and URIs are read several times on their way through a role: the
parser validates them, transaction matching and Via stamping read the top Via, the response copies
and reads them again, the application reads the identities. The parsers are pure and their results
immutable (frozen dataclasses and tuples), so the last results are kept. Only short texts are kept,
so the memory held stays small whatever arrives: at most ``KEPT`` texts of ``LONGEST`` characters
per parser.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

__all__ = ["remembered", "KEPT", "LONGEST"]

KEPT = 512
LONGEST = 1024

T = TypeVar("T")


def remembered(parse: Callable[..., T]) -> Callable[..., T]:
    """``parse(text, ...)`` with its results for short texts kept; ``.cache_clear()`` forgets them,
    ``.cache_info()`` counts them. Errors are raised again on every call, never kept."""
    kept = lru_cache(maxsize=KEPT)(parse)

    @wraps(parse)
    def parse_remembered(text: str, *args: object, **kwargs: object) -> T:
        if len(text) > LONGEST:
            return parse(text, *args, **kwargs)
        return kept(text, *args, **kwargs)

    parse_remembered.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    parse_remembered.cache_info = kept.cache_info  # type: ignore[attr-defined]
    return parse_remembered
