"""Stream framing: ``StreamFramer.feed`` with the stream cut into chunks of any size.

The first octet gives the chunk size (1 to 64) and whether the size limit is small; the rest is the
stream. Every event is a Frame (no longer than the limit, and parsed as a stream message to a
message or a :class:`SipParseError`), a Ping, or a FramingFailure holding a :class:`SipParseError`
with an answer; the buffer never grows beyond the limit plus one chunk, and nothing comes out of a
broken framer. (What a message's parse gives is the sip_message harness's concern.)
"""
from __future__ import annotations

from mcsec.impl.sip import SipParseError, StreamFramer, parse_message
from mcsec.impl.sip.framing import Frame, FramingFailure, Ping
from tests.fuzz import sip_message
from tests.fuzz.harness import Harness
from tests.fuzz.mutators import bytes_mutator, header_mutation, mixed

TOKENS = sip_message.TOKENS + (b"\r\n\r\n\r\n\r\n", b"Content-Length: 0\r\n", b"l: 99999\r\n", b"l:1\r\nl:2\r\n")


def seeds() -> list[bytes]:
    messages = sip_message.messages()
    request, invite, response, protected = messages[0], messages[1], messages[2], messages[3]
    return [
        bytes([6]) + request + response,
        bytes([63]) + protected + b"\r\n\r\n" + response,
        bytes([0x80 | 12]) + b"\r\n" + invite + request,
        bytes([0]) + response + response[:40],
    ]


def one_input(data: bytes) -> None:
    if not data:
        return
    chunk = data[0] % 64 + 1
    limit = 600 if data[0] & 0x80 else 65535
    stream = data[1:]
    framer = StreamFramer(max_message_size=limit)
    for start in range(0, len(stream), chunk):
        was_broken = framer.broken
        events = framer.feed(stream[start:start + chunk])
        if was_broken:
            assert events == []
        for event in events:
            if isinstance(event, Frame):
                assert len(event.data) <= limit
                try:
                    parse_message(event.data, stream=True, max_size=limit)
                except SipParseError as error:
                    sip_message._check_refusal(error)
            elif isinstance(event, FramingFailure):
                assert isinstance(event.error, SipParseError)
                sip_message._check_refusal(event.error)
            else:
                assert isinstance(event, Ping)
        assert framer.buffered <= limit + chunk


def _stream_mutation(data, rng):
    return header_mutation(data, rng, sip_message.HEADER_NAMES, sip_message.HEADER_VALUES)


HARNESS = Harness(
    name="sip_framing",
    decoder="mcsec.impl.sip.StreamFramer.feed over chunked streams, each frame through parse_message",
    one_input=one_input,
    seeds=seeds,
    mutate=lambda d, r: (bytes([r.randrange(256)]) + d[1:]) if r.random() < 0.1 else
    d[:1] + mixed(_stream_mutation, bytes_mutator(TOKENS))(d[1:], r),
    tokens=TOKENS,
)
