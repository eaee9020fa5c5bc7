"""Whatever bytes arrive, opening raises only SmimeError subclasses."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcsec.impl import smime
from mcsec.impl.smime import mime
from tests.unit.smime.openssl_peer import CEK, KEY_ID

LOOKUP = {KEY_ID: CEK}.get
VALID = smime.seal(
    b"fuzz seed body", cek=CEK, key_id=KEY_ID,
    replay_stamp=smime.ReplayStamp.new(context=smime.SipContext("c@h", 1, "MESSAGE")),
)
FUZZ = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _open_only_smime_errors(data: bytes) -> None:
    try:
        smime.open(data, key_lookup=LOOKUP)
    except smime.SmimeError:
        pass


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes(data):
    _open_only_smime_errors(data)


@FUZZ
@given(st.binary(max_size=300).map(lambda tail: b"\x30" + tail))
def test_arbitrary_bytes_behind_a_sequence_tag(data):
    _open_only_smime_errors(data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
                min_size=1, max_size=4))
def test_mutated_valid_body(edits):
    data = bytearray(VALID)
    for position, value in edits:
        data[position] = value
    if bytes(data) == VALID:
        return
    try:
        smime.open(bytes(data), key_lookup=LOOKUP)
    except smime.SmimeError:
        return
    raise AssertionError("an altered body was accepted")


@FUZZ
@given(st.integers(0, len(VALID) - 1))
def test_truncated_valid_body(cut):
    try:
        smime.open(VALID[:cut], key_lookup=LOOKUP)
    except smime.SmimeError:
        return
    raise AssertionError("a truncated body was accepted")


@FUZZ
@given(st.binary(max_size=300))
def test_any_input_form(data):
    try:
        smime.open(mime.load_any(data), key_lookup=LOOKUP)
    except smime.SmimeError:
        pass
