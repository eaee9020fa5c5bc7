"""Property tests: a signed I_MESSAGE survives no single-bit change, and the decoder fails only
with its own error types whatever it is fed."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcsec.impl.ibc.freshness import AcceptAll
from mcsec.impl.ibc.mikey import process_i_message
from mcsec.impl.ibc.mikey_errors import MikeyError
from tests.fuzz import mikey_decode

_VECTORS = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "vectors"
                       / "mikey-sakke-vectors.json").read_text())
_CSK = bytes.fromhex(next(m for m in _VECTORS["i_messages"] if m["name"] == "CSK")["i_message_hex"])
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(bit=st.integers(min_value=0, max_value=len(_CSK) * 8 - 1))
def test_any_single_bit_flip_is_refused(bit, kms_cert, key_sets_by_uri):
    raw = bytearray(_CSK)
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    try:
        process_i_message(bytes(raw), kms=kms_cert, responder=key_sets_by_uri["gms@streamwide.com"],
                          freshness=AcceptAll())
    except MikeyError:
        return
    raise AssertionError(f"bit {bit} flipped and the message was still accepted")


def test_unmodified_message_is_accepted(kms_cert, key_sets_by_uri):
    got = process_i_message(_CSK, kms=kms_cert, responder=key_sets_by_uri["gms@streamwide.com"],
                            freshness=AcceptAll())
    assert got.key_id == 0x2DDD5BF0


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=800))
def test_arbitrary_bytes_raise_only_codec_errors(data):
    mikey_decode.one_input(data)  # the fuzz harness's oracle: codec errors only, round trip if decoded


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=len(_CSK)),
    length=st.integers(min_value=0, max_value=40),
    insert=st.binary(max_size=40),
)
def test_spliced_reference_message_raises_only_codec_errors(start, length, insert):
    mikey_decode.one_input(_CSK[:start] + insert + _CSK[start + length:])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(min_value=0, max_value=len(_CSK)), insert=st.binary(min_size=1, max_size=8))
def test_processing_mutated_messages_raises_only_mikey_errors(start, insert, kms_cert, key_sets_by_uri):
    data = _CSK[:start] + insert + _CSK[start + len(insert):]
    try:
        process_i_message(data, kms=kms_cert, responder=key_sets_by_uri["gms@streamwide.com"],
                          freshness=AcceptAll())
    except MikeyError:
        pass
