"""MIKEY-SAKKE I_MESSAGE decoding and processing under structure-aware mutation (tests/fuzz)."""
from __future__ import annotations

import pytest
from hypothesis import given

from mcsec.impl.ibc.mikey_codec import decode_i_message
from tests.fuzz import mikey_decode, mikey_process
from tests.fuzz.mikey import framing_fields
from tests.unit.fuzz.conftest import fuzz_settings


@fuzz_settings(300)
@given(mikey_decode.HARNESS.strategy())
def test_mutated_messages_decode_or_raise_codec_errors(data):
    mikey_decode.HARNESS.one_input(data)


@fuzz_settings(40)
@given(mikey_process.HARNESS.strategy())
def test_mutated_messages_process_or_raise_mikey_errors(data):
    mikey_process.HARNESS.one_input(data)


def test_every_seed_decodes_and_round_trips():
    for seed in mikey_decode.seeds():
        mikey_decode.one_input(seed)
        decode_i_message(seed)


def test_the_mutator_finds_every_framing_field_of_a_reference_message():
    csk = mikey_decode.seeds()[1]
    fields = framing_fields(csk)
    # HDR next payload and #CS, the GENERIC-ID S/#P, session data and SPI lengths, then per payload
    # its next-payload octet (T, RAND, 4 IDR, SP, SAKKE), RAND/IDR/SP/SAKKE lengths, SIGN type/length
    assert len(fields) >= 20 and fields[-1][1] == 2
    assert csk[fields[-1][0]] >> 4 == 2  # the ECCSI signature type


def test_the_oracle_lets_any_other_exception_through(monkeypatch):
    def broken(*args, **kwargs):
        raise IndexError("decoder bug")
    monkeypatch.setattr(mikey_decode, "decode_i_message", broken)
    with pytest.raises(IndexError):
        mikey_decode.HARNESS.one_input(mikey_decode.seeds()[0])
    monkeypatch.setattr(mikey_process, "process_i_message", broken)
    with pytest.raises(IndexError):
        mikey_process.HARNESS.one_input(mikey_process.seeds()[0])
