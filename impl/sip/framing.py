"""Cutting a byte stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 section 18.3). No I/O.

Feed received bytes to :meth:`StreamFramer.feed`; it returns events:

* :class:`Frame` - the bytes of one complete message, to be given to
  ``parse_message(frame.data, stream=True)``;
* :class:`Ping` - a CRLFCRLF keep-alive between messages (RFC 5626 section 3.5.1), answered with CRLF;
* :class:`FramingFailure` - the stream cannot be framed any further (header section or message over
  the size limit, Content-Length absent or invalid). The framer is then broken: the connection should be
  answered if possible and closed. A single CRLF between messages (a keep-alive "pong") is skipped.

The buffer never grows beyond ``max_message_size`` plus one received chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidHeaderValue, MessageTooLarge, MissingContentLength, SipParseError
from .header_values import parse_content_length
from .parser import DEFAULT_MAX_MESSAGE_SIZE, parse_head

__all__ = ["StreamFramer", "Frame", "Ping", "FramingFailure", "FramerEvent"]


@dataclass(frozen=True)
class Frame:
    """One complete message as received."""

    data: bytes


@dataclass(frozen=True)
class Ping:
    """A CRLFCRLF keep-alive ping."""


@dataclass(frozen=True)
class FramingFailure:
    """The stream cannot be framed; ``error.partial`` may allow an answer before closing."""

    error: SipParseError


FramerEvent = Frame | Ping | FramingFailure


@dataclass
class StreamFramer:
    """Content-Length framing with a bounded buffer."""

    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    _buffer: bytearray = field(default_factory=bytearray, repr=False)
    _pending_total: int | None = field(default=None, repr=False)
    broken: bool = False
    pings: int = 0

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a message."""
        return len(self._buffer)

    @property
    def in_message(self) -> bool:
        """Part of a message is held, waiting for the rest (not merely the start of a keep-alive)."""
        return bool(self._buffer) and not b"\r\n\r\n".startswith(bytes(self._buffer[:4]))

    def feed(self, data: bytes) -> list[FramerEvent]:
        """Add received bytes; return the events they complete. Nothing is returned once broken."""
        if self.broken:
            return []
        self._buffer += data
        events: list[FramerEvent] = []
        while self._buffer and not self.broken:
            event = self._next_event()
            if event is None:
                break
            events.append(event)
        return events

    def _fail(self, error: SipParseError) -> FramingFailure:
        self.broken = True
        self._buffer.clear()
        return FramingFailure(error)

    def _next_event(self) -> FramerEvent | None:
        buf = self._buffer
        if self._pending_total is None:
            while buf.startswith(b"\r\n") and not buf.startswith(b"\r\n\r\n"):
                if len(buf) < 4 and b"\r\n\r\n".startswith(bytes(buf)):
                    return None  # may be the start of a ping; wait for more
                del buf[:2]  # a lone CRLF: keep-alive pong or padding before a start line
            if buf.startswith(b"\r\n\r\n"):
                del buf[:4]
                self.pings += 1
                return Ping()
            if not buf or buf == b"\r":
                return None
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self.max_message_size:
                    return self._fail(MessageTooLarge(
                        f"header section longer than {self.max_message_size} bytes"))
                return None
            head = parse_head(bytes(buf[:end]))
            values = head.partial.headers.get_all("Content-Length")
            if not values:
                error: SipParseError = MissingContentLength(
                    "Content-Length is required on stream transports")
                error.partial = head.partial
                return self._fail(error)
            try:
                lengths = {parse_content_length(v) for v in values}
            except InvalidHeaderValue as exc:
                exc.partial = head.partial
                return self._fail(exc)
            if len(lengths) != 1:
                error = InvalidHeaderValue("conflicting Content-Length headers")
                error.partial = head.partial
                return self._fail(error)
            total = end + 4 + lengths.pop()
            if total > self.max_message_size:
                error = MessageTooLarge(f"{total} bytes exceed the limit of {self.max_message_size}")
                error.partial = head.partial
                return self._fail(error)
            self._pending_total = total
        if len(buf) < self._pending_total:
            return None
        frame = bytes(buf[: self._pending_total])
        del buf[: self._pending_total]
        self._pending_total = None
        return Frame(frame)
