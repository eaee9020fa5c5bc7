"""``multipart/*`` bodies (RFC 2046 section 5.1; RFC 5621 for their use in SIP). No I/O.

Part bodies are kept byte for byte: a part's body is everything between the empty line ending its
headers and the CRLF that precedes the next delimiter.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import InvalidHeaderValue, MalformedMultipart, SipParseError
from .header_values import MediaType, parse_media_type
from .grammar import is_token
from .headers import Headers
from .parser import parse_header_lines

__all__ = ["BodyPart", "MultipartBody", "parse_multipart", "build_multipart", "new_boundary"]

_BCHARS_NOSPACE = frozenset(string.ascii_letters + string.digits + "'()+_,-./:=?")
_MAX_PARTS = 256


@dataclass
class BodyPart:
    """One part: its own headers (Content-Type, Content-Disposition, ...) and its body bytes."""

    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def content_type(self) -> MediaType | None:
        value = self.headers.get("Content-Type")
        return None if value is None else parse_media_type(value)

    def to_bytes(self) -> bytes:
        return self.headers.to_bytes() + b"\r\n" + self.body


@dataclass
class MultipartBody:
    """A parsed multipart body."""

    boundary: str
    parts: list[BodyPart]
    preamble: bytes = b""
    epilogue: bytes = b""


def _check_boundary(boundary: str) -> None:
    if not 1 <= len(boundary) <= 70 or boundary.endswith(" ") or not all(
        ch in _BCHARS_NOSPACE or ch == " " for ch in boundary
    ):
        raise MalformedMultipart("invalid boundary parameter")


def new_boundary() -> str:
    """A random boundary that will not occur in ordinary content."""
    return "mcsec-boundary-" + secrets.token_hex(12)


def parse_multipart(content_type: str | MediaType, body: bytes) -> MultipartBody:
    """Split ``body`` of a ``multipart/*`` ``content_type`` into its parts.

    Raises :class:`MalformedMultipart` (a 400 error) when the type is not multipart, the boundary is
    missing or invalid, the delimiters are absent or the close delimiter is missing, or a part's headers
    are malformed.
    """
    try:
        media = content_type if isinstance(content_type, MediaType) else parse_media_type(content_type)
    except InvalidHeaderValue as exc:
        raise MalformedMultipart(exc.detail) from None
    if media.type.lower() != "multipart":
        raise MalformedMultipart(f"{media.mime_type} is not a multipart type")
    try:
        boundary = media.param("boundary")
    except ValueError:
        raise MalformedMultipart("bad boundary parameter") from None
    if boundary is None:
        raise MalformedMultipart("multipart Content-Type without boundary")
    _check_boundary(boundary)
    dash = b"--" + boundary.encode("ascii")
    delimiter = b"\r\n" + dash

    if body.startswith(dash):
        preamble, position = b"", len(dash)
    else:
        index = body.find(delimiter)
        if index < 0:
            raise MalformedMultipart("first boundary delimiter not found")
        preamble, position = body[:index], index + len(delimiter)

    parts: list[BodyPart] = []
    while True:
        if body.startswith(b"--", position):
            epilogue = body[position + 2 :]
            if epilogue.startswith(b"\r\n"):
                epilogue = epilogue[2:]
            break
        while body[position : position + 1] in (b" ", b"\t"):
            position += 1
        if not body.startswith(b"\r\n", position):
            raise MalformedMultipart("boundary delimiter not followed by CRLF")
        position += 2
        end = body.find(delimiter, position)
        if end < 0:
            raise MalformedMultipart("close delimiter missing")
        if len(parts) >= _MAX_PARTS:
            raise MalformedMultipart(f"more than {_MAX_PARTS} parts")
        parts.append(_parse_part(body[position:end]))
        position = end + len(delimiter)
    if not parts:
        raise MalformedMultipart("multipart body without parts")
    return MultipartBody(boundary=boundary, parts=parts, preamble=preamble, epilogue=epilogue)


def _parse_part(raw: bytes) -> BodyPart:
    if raw.startswith(b"\r\n"):
        return BodyPart(Headers(), raw[2:])
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise MalformedMultipart("part headers not terminated by an empty line")
    try:
        headers = parse_header_lines(raw[:end])
    except SipParseError as exc:
        raise MalformedMultipart(f"bad part header: {exc.detail}") from None
    return BodyPart(headers, raw[end + 4 :])


def build_multipart(parts: Sequence[BodyPart], *, boundary: str | None = None,
                    subtype: str = "mixed") -> tuple[str, bytes]:
    """Build a multipart body; returns ``(content_type_value, body_bytes)``.

    The boundary is random unless given; a boundary that occurs in any part raises ``ValueError``.
    """
    if not parts:
        raise ValueError("a multipart body needs at least one part")
    chosen = boundary or new_boundary()
    try:
        _check_boundary(chosen)
    except MalformedMultipart as exc:
        raise ValueError(exc.detail) from None
    dash = b"--" + chosen.encode("ascii")
    encoded = [part.to_bytes() for part in parts]
    if any(dash in chunk for chunk in encoded):
        raise ValueError("boundary occurs inside a part")
    body = dash + b"".join(b"\r\n" + chunk + b"\r\n" + dash for chunk in encoded) + b"--\r\n"
    value = chosen if is_token(chosen) else f'"{chosen}"'
    return f"multipart/{subtype};boundary={value}", body
