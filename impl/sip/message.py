"""The SIP message model: :class:`Request` and :class:`Response` (RFC 3261 section 7).

Messages are plain mutable dataclasses: the header list is kept in order and spelled as given, the body
is bytes kept exactly. :meth:`SipMessage.to_bytes` writes exactly what the object holds; it adds a
Content-Length only when the message has none, so a deliberately wrong Content-Length can be sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .header_values import (
    CSeq,
    MediaType,
    NameAddress,
    Via,
    parse_content_length,
    parse_cseq,
    parse_max_forwards,
    parse_media_type,
    parse_name_address,
    parse_via,
)
from .headers import Headers

__all__ = ["SipMessage", "Request", "Response", "SIP_VERSION"]

SIP_VERSION = "SIP/2.0"


@dataclass(kw_only=True)
class SipMessage:
    """What requests and responses share: headers, body and typed accessors for common headers.

    Typed accessors parse on each call and raise :class:`~mcsec.impl.sip.errors.InvalidHeaderValue` (or
    ``KeyError`` for an absent mandatory header) on a bad value; a message returned by the parser
    has already had its mandatory headers validated.
    """

    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = SIP_VERSION

    # -- typed accessors ----------------------------------------------------------------------------
    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise KeyError(name)
        return value

    @property
    def call_id(self) -> str:
        return self._required("Call-ID").strip()

    @property
    def cseq(self) -> CSeq:
        return parse_cseq(self._required("CSeq"))

    @property
    def from_(self) -> NameAddress:
        return parse_name_address(self._required("From"), header="From")

    @property
    def to(self) -> NameAddress:
        return parse_name_address(self._required("To"), header="To")

    @property
    def vias(self) -> list[Via]:
        """Every Via element, top first, across lines and comma-separated values."""
        return [parse_via(v) for v in self.headers.get_list("Via")]

    @property
    def top_via(self) -> Via:
        elements = self.headers.get_list("Via")
        if not elements:
            raise KeyError("Via")
        return parse_via(elements[0])

    @property
    def contacts(self) -> list[NameAddress]:
        return [parse_name_address(v, header="Contact") for v in self.headers.get_list("Contact")]

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("Max-Forwards")
        return None if value is None else parse_max_forwards(value)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return None if value is None else parse_content_length(value)

    @property
    def content_type(self) -> MediaType | None:
        value = self.headers.get("Content-Type")
        return None if value is None else parse_media_type(value)

    # -- building -----------------------------------------------------------------------------------
    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body, set Content-Length to match and, when given, Content-Type.

        With an empty body and no ``content_type``, Content-Type is removed.
        """
        self.body = bytes(body)
        if content_type is not None:
            self.headers.set("Content-Type", content_type)
        elif not body:
            self.headers.remove("Content-Type")
        self.headers.set("Content-Length", str(len(self.body)))

    def start_line(self) -> str:
        """The request line or status line, without CRLF."""
        raise NotImplementedError

    def first_line(self) -> str:
        """The start line, safe to log (bodies and headers are never logged)."""
        return self.start_line()

    def to_bytes(self, *, normalize: bool = False) -> bytes:
        """Serialise: start line, header lines in order, empty line, body.

        Parsed header lines are written with their original bytes (folding kept) unless ``normalize``.
        A Content-Length matching the body is appended when the message has none; an existing one is
        written as is (even when it does not match the body).
        """
        head = self.start_line().encode("utf-8") + b"\r\n" + self.headers.to_bytes(normalize=normalize)
        if "Content-Length" not in self.headers:
            head += f"Content-Length: {len(self.body)}\r\n".encode("ascii")
        return head + b"\r\n" + self.body


@dataclass(kw_only=True)
class Request(SipMessage):
    """A SIP request. ``uri`` is the Request-URI text exactly as it goes on the wire."""

    method: str = "OPTIONS"
    uri: str = ""

    def start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"

    def copy(self) -> Request:
        """An independent copy (headers copied, body shared as immutable bytes)."""
        return Request(headers=self.headers.copy(), body=self.body, version=self.version,
                       method=self.method, uri=self.uri)


@dataclass(kw_only=True)
class Response(SipMessage):
    """A SIP response."""

    status: int = 200
    reason: str = "OK"

    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    @property
    def is_provisional(self) -> bool:
        return 100 <= self.status < 200

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_final(self) -> bool:
        return self.status >= 200

    def copy(self) -> Response:
        """An independent copy (headers copied, body shared as immutable bytes)."""
        return Response(headers=self.headers.copy(), body=self.body, version=self.version,
                        status=self.status, reason=self.reason)
