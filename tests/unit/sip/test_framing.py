"""Stream framing by Content-Length: partial reads, keep-alives, limits and unframeable input."""

from __future__ import annotations

from mcsec.impl.sip import MessageTooLarge, MissingContentLength, StreamFramer, parse_message
from mcsec.impl.sip.errors import InvalidHeaderValue
from mcsec.impl.sip.framing import Frame, FramingFailure, Ping

from .samples import INVITE_COMPACT, MESSAGE_REQUEST, request


def test_byte_by_byte_with_keepalives() -> None:
    stream = b"\r\n\r\n" + MESSAGE_REQUEST + b"\r\n" + INVITE_COMPACT + b"\r\n\r\n"
    framer = StreamFramer()
    events = []
    for index in range(len(stream)):
        events.extend(framer.feed(stream[index : index + 1]))
    assert events == [Ping(), Frame(MESSAGE_REQUEST), Frame(INVITE_COMPACT), Ping()]
    assert framer.pings == 2 and framer.buffered == 0
    assert parse_message(events[2].data, stream=True).body == b"\x00\r\n\r\n\xff\xfe\x01"  # type: ignore[union-attr]


def test_several_messages_in_one_chunk() -> None:
    framer = StreamFramer()
    assert framer.feed(MESSAGE_REQUEST * 3) == [Frame(MESSAGE_REQUEST)] * 3


def test_missing_content_length_breaks_the_stream() -> None:
    framer = StreamFramer()
    events = framer.feed(request(length=False) + MESSAGE_REQUEST)
    assert len(events) == 1 and isinstance(events[0], FramingFailure)
    assert isinstance(events[0].error, MissingContentLength)
    assert events[0].error.partial is not None and events[0].error.partial.method == "OPTIONS"
    assert framer.broken and framer.feed(MESSAGE_REQUEST) == []


def test_conflicting_or_bad_content_length() -> None:
    for extra in (b"Content-Length: 5", b"Content-Length: x"):
        data = request(b"OPTIONS sip:b@example.org SIP/2.0", extra)
        events = StreamFramer().feed(data)
        assert len(events) == 1 and isinstance(events[0], FramingFailure)
        assert isinstance(events[0].error, InvalidHeaderValue)


def test_oversized_body_and_endless_header_section() -> None:
    framer = StreamFramer(max_message_size=300)
    events = framer.feed(request(b"MESSAGE sip:b@example.org SIP/2.0", b"Content-Type: text/plain",
                                 cseq=b"CSeq: 1 MESSAGE", body=b"x" * 400)[:250])
    assert len(events) == 1 and isinstance(events[0], FramingFailure)
    assert isinstance(events[0].error, MessageTooLarge) and events[0].error.status == 513
    framer = StreamFramer(max_message_size=300)
    for _ in range(10):
        events = framer.feed(b"X-Long: " + b"a" * 50 + b"\r\n")
        assert framer.buffered <= 300 + 60
        if events:
            break
    assert len(events) == 1 and isinstance(events[0].error, MessageTooLarge)  # type: ignore[union-attr]
