"""Phrase tables: the words of the features that name a variant (a forgery, a defect, a mutation, a
malformed request) and what the test system does for each.

A table is a parse type: a step is written ``... presenting her token {forgery:Forgery}`` and matches only
a phrase the table knows. A feature that uses an unknown phrase therefore matches no step definition,
and the run refuses to start, naming the feature line (fixtures/plugin.py), instead of failing with an
error in the middle of a run.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from pytest_bdd import parsers

T = TypeVar("T")


@dataclass(frozen=True)
class Phrase(Generic[T]):
    text: str      # the words of the feature
    value: T       # what the table maps them to

    def __str__(self) -> str:
        return self.text


class Phrases(Mapping[str, T]):
    def __init__(self, name: str, table: Mapping[str, T]):
        if not table:
            raise ValueError(f"phrase table {name} is empty")
        self.name = name
        self._table = dict(table)

        def convert(text: str) -> Phrase[T]:
            return Phrase(text, self._table[text])
        convert.pattern = "|".join(re.escape(k) for k in sorted(self._table, key=len, reverse=True))  # type: ignore[attr-defined]
        convert.name = name  # type: ignore[attr-defined]
        self.type = convert

    def __getitem__(self, phrase: str) -> T:
        return self._table[phrase]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


def parse(fmt: str, *tables: Phrases) -> parsers.parse:
    """A step parser whose ``{name:Table}`` fields accept only the tables' phrases."""
    return parsers.parse(fmt, extra_types={t.name: t.type for t in tables}, case_sensitive=True)
