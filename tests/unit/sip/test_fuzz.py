"""Property tests: whatever the bytes, the codec raises only its own error types. Mutations of valid
messages are in tests/unit/fuzz/test_sip.py (the structure-aware mutators of tests/fuzz)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcsec.impl.sip import SipParseError, StreamFramer, parse_multipart
from mcsec.impl.sip.framing import Frame, FramingFailure
from tests.fuzz import sip_message

from .samples import INVITE_COMPACT, MESSAGE_REQUEST, RESPONSE_200

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLES = [MESSAGE_REQUEST, INVITE_COMPACT, RESPONSE_200]
# bytes that matter to the grammar, so mutations hit interesting paths
SPECIAL = st.sampled_from([b"\r\n", b"\r", b"\n", b" ", b"\t", b":", b";", b",", b"<", b">", b'"', b"\\",
                           b"=", b"@", b"\x00", b"\xff", b"SIP/2.0", b"--", b"z9hG4bK", b"9" * 12])


def _parse_or_codec_error(data: bytes, **kwargs: object) -> None:
    """The oracle of the sip_message fuzz harness: a refusal is a SipParseError with an answer; what
    parses gives its typed headers, round-trips and can be answered."""
    sip_message._parse(data, **kwargs)  # type: ignore[arg-type]


@SETTINGS
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    _parse_or_codec_error(data)
    _parse_or_codec_error(data, stream=True)


@SETTINGS
@given(st.lists(st.one_of(st.binary(max_size=40), SPECIAL, st.sampled_from(SAMPLES)), max_size=8),
       st.integers(1, 50))
def test_framer_never_fails_outside_its_errors(pieces: list[bytes], chunk: int) -> None:
    stream = b"".join(pieces)
    framer = StreamFramer(max_message_size=2000)
    for start in range(0, len(stream), chunk):
        for event in framer.feed(stream[start : start + chunk]):
            if isinstance(event, Frame):
                _parse_or_codec_error(event.data, stream=True)
            elif isinstance(event, FramingFailure):
                assert isinstance(event.error, SipParseError)
        assert framer.buffered <= 2000 + chunk


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["b", '"b c"', "", "--", "x" * 71]))
def test_multipart_arbitrary_body(body: bytes, boundary: str) -> None:
    try:
        result = parse_multipart(f"multipart/mixed;boundary={boundary}", b"--b\r\n" + body)
    except SipParseError:
        return
    assert result.parts
