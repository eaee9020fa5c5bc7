"""Remembered parser results: the same values as parsing afresh, errors every time, bounded memory."""
from __future__ import annotations

import pytest

from mcsec.impl.sip import InvalidHeaderValue, memo
from mcsec.impl.sip.header_values import parse_via


def test_a_remembered_result_is_the_parse_of_its_text():
    calls = []

    @memo.remembered
    def parse(text: str, *, header: str = "x") -> tuple[str, str]:
        calls.append(text)
        return (text.upper(), header)

    assert parse("a") == parse("a") == ("A", "x")
    assert parse("a", header="y") == ("A", "y")
    assert calls == ["a", "a"]  # once per distinct arguments


def test_errors_are_raised_on_every_call_and_long_texts_are_not_kept():
    calls = []

    @memo.remembered
    def parse(text: str) -> str:
        calls.append(text)
        if text == "bad":
            raise ValueError(text)
        return text

    for _ in range(2):
        with pytest.raises(ValueError):
            parse("bad")
    long = "x" * (memo.LONGEST + 1)
    parse(long)
    parse(long)
    assert calls == ["bad", "bad", long, long]


def test_at_most_kept_results_are_held():
    parse_via.cache_clear()
    for index in range(memo.KEPT + 50):
        parse_via(f"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{index}")
    assert parse_via.cache_info().currsize == memo.KEPT
    with pytest.raises(InvalidHeaderValue):
        parse_via("SIP/2.0/UDP")
    assert parse_via.cache_info().currsize == memo.KEPT


def test_a_parsed_value_cannot_be_changed_by_one_holder():
    via = parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc")
    with pytest.raises(AttributeError):
        via.host = "other"  # type: ignore[misc]
    assert parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc").host == "192.0.2.1"
