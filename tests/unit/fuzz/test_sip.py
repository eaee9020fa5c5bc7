"""The SIP decoders under structure-aware mutation: the oracles of the tests/fuzz harnesses, fed by
hypothesis from the harnesses' seeds and mutators."""
from __future__ import annotations

import pytest
from hypothesis import given

from mcsec.impl.sip import parse_message
from tests.fuzz import sip_framing, sip_header_values, sip_message, sip_multipart
from tests.unit.fuzz.conftest import fuzz_settings


@fuzz_settings()
@given(sip_message.HARNESS.strategy())
def test_mutated_messages(data):
    sip_message.HARNESS.one_input(data)


@fuzz_settings(60)
@given(sip_framing.HARNESS.strategy())
def test_mutated_streams(data):
    sip_framing.HARNESS.one_input(data)


@fuzz_settings()
@given(sip_multipart.HARNESS.strategy())
def test_mutated_multipart_bodies(data):
    sip_multipart.HARNESS.one_input(data)


@fuzz_settings(300)
@given(sip_header_values.HARNESS.strategy())
def test_mutated_header_values(data):
    sip_header_values.HARNESS.one_input(data)


def test_seed_messages_parse():
    for seed in sip_message.messages():
        parse_message(seed)


@pytest.mark.parametrize("harness, name", [
    (sip_message, "parse_message"), (sip_multipart, "parse_multipart"), (sip_header_values, "parse_via"),
])
def test_the_oracle_lets_any_other_exception_through(monkeypatch, harness, name):
    def broken(*args, **kwargs):
        raise IndexError("decoder bug")
    monkeypatch.setattr(harness, name, broken)
    seed = next(s for s in harness.HARNESS.seed_list
                if harness is not sip_header_values or s[0] == sip_header_values.MODES.index("via"))
    with pytest.raises(IndexError):
        harness.HARNESS.one_input(seed)
