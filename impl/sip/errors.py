"""Exceptions raised by the SIP codec, transactions and endpoint.

Every error raised while reading bytes off the wire is a :class:`SipParseError`. Each carries the SIP
status code and reason phrase a server answers with (RFC 3261 section 21), so a server can turn any codec
failure into a response instead of crashing:

* 400 Bad Request, with a reason phrase naming what is wrong ("Bad Request (missing Call-ID)").
* 505 Version Not Supported for a well-formed but unsupported SIP-Version.
* 513 Message Too Large for a message over the configured size limit. 513 is chosen over 413 because
  the limit applies to the whole message (start line, headers and body), which is what 513 describes;
  413 (Request Entity Too Large) speaks of the body only.

A parse error may carry a :class:`~mcsec.impl.sip.parser.PartialMessage` (``error.partial``): what could be
read of the message before or around the fault. :func:`mcsec.impl.sip.derived.make_error_response` uses it to
build the answer when the headers a response needs were readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .parser import PartialMessage

__all__ = [
    "SipError",
    "SipParseError",
    "MalformedStartLine",
    "UnsupportedVersion",
    "InvalidEncoding",
    "MalformedHeader",
    "MissingHeader",
    "InvalidHeaderValue",
    "CSeqMethodMismatch",
    "MissingContentLength",
    "ContentLengthMismatch",
    "IncompleteMessage",
    "MessageTooLarge",
    "MalformedUri",
    "MalformedMultipart",
    "TransactionError",
    "TransactionTimeout",
    "TransportError",
]

_MAX_DETAIL = 120


def _clean_detail(detail: str) -> str:
    """Make ``detail`` safe to place in a reason phrase: printable, one line, bounded length."""
    text = "".join(ch if ch.isprintable() and ch not in "\r\n" else "?" for ch in detail)
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 3] + "..."
    return text


class SipError(Exception):
    """Base of every exception raised by :mod:`mcsec.impl.sip`."""


class SipParseError(SipError):
    """Bytes that are not an acceptable SIP message.

    ``status`` and ``reason`` are the response a server sends back; ``detail`` says what is wrong and
    never contains message body bytes.
    """

    status: int = 400
    phrase: str = "Bad Request"

    def __init__(self, detail: str, *, partial: PartialMessage | None = None) -> None:
        self.detail = _clean_detail(detail)
        self.partial = partial
        super().__init__(self.detail)

    @property
    def reason(self) -> str:
        """The reason phrase for the response, e.g. ``"Bad Request (missing Call-ID)"``."""
        return f"{self.phrase} ({self.detail})"

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable despite keyword-only args
        return (self.__class__, (self.detail,))


class MalformedStartLine(SipParseError):
    """The request line or status line does not follow the grammar of RFC 3261 section 7.1/7.2."""


class UnsupportedVersion(SipParseError):
    """A syntactically valid SIP-Version other than SIP/2.0 (RFC 3261 section 8.2.2 answer: 505)."""

    status = 505
    phrase = "Version Not Supported"


class InvalidEncoding(SipParseError):
    """The start line or header section is not valid UTF-8 or contains forbidden control characters."""


class MalformedHeader(SipParseError):
    """A header line that is not ``name HCOLON value`` (no colon, bad name, bare CR or LF)."""


class MissingHeader(SipParseError):
    """A header that RFC 3261 section 8.1.1 requires in every message is absent."""

    def __init__(self, name: str, *, partial: PartialMessage | None = None) -> None:
        self.header = name
        super().__init__(f"missing {name}", partial=partial)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.header,))


class InvalidHeaderValue(SipParseError):
    """A header whose value does not follow its grammar (CSeq, Via, From, Max-Forwards, ...)."""


class CSeqMethodMismatch(SipParseError):
    """The CSeq method of a request differs from the method of its request line."""


class MissingContentLength(SipParseError):
    """A message read from a stream transport without Content-Length (RFC 3261 section 18.3)."""


class ContentLengthMismatch(SipParseError):
    """Content-Length claims more body bytes than there are, or (on streams) fewer."""


class IncompleteMessage(SipParseError):
    """The header section is not terminated by an empty line."""


class MessageTooLarge(SipParseError):
    """The message exceeds the configured maximum size (answered with 513 Message Too Large)."""

    status = 513
    phrase = "Message Too Large"


class MalformedUri(SipParseError):
    """A SIP or SIPS URI that does not follow RFC 3261 section 19.1."""


class MalformedMultipart(SipParseError):
    """A ``multipart/*`` body that cannot be split into parts (RFC 2046 section 5.1)."""


class TransactionError(SipError):
    """Misuse of a transaction state machine (an event that its current state does not accept)."""


class TransactionTimeout(SipError):
    """No final response arrived in time (Timer B or F fired, or the caller's own timeout passed)."""

    def __init__(self, message: str, *, timer: str | None = None) -> None:
        self.timer = timer
        super().__init__(message)


class TransportError(SipError):
    """A message could not be sent: no such transport, connection refused or lost, socket closed."""
