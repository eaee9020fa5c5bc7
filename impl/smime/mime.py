"""MIME form of a protected body (RFC 3261 23.4, RFC 8591, RFC 8551 3.2).

In SIP the body's MIME headers are headers of the SIP message:

    Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m
    Content-Disposition: attachment; handling=required

A stand-alone MIME entity (a multipart part, a file) also carries
`Content-Transfer-Encoding: binary` (or `base64`). Header names, media types,
parameter names and the smime-type value are matched case-insensitively;
parameter values may be quoted strings (RFC 2045 5.1).
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from mcsec.impl.smime.errors import MalformedCms, MalformedMime, UnsupportedBodyType

MEDIA_TYPE = "application/pkcs7-mime"
LEGACY_MEDIA_TYPE = "application/x-pkcs7-mime"  # RFC 8551 3.2.1: receivers accept it
SMIME_TYPE = "authEnveloped-data"
CONTENT_TYPE = f"{MEDIA_TYPE}; smime-type={SMIME_TYPE}; name=smime.p7m"
CONTENT_DISPOSITION = "attachment; handling=required"

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_NAME = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:")
_BASE64_LINE = 76


@dataclass(frozen=True)
class HeaderValue:
    """A parsed `value; name=param; ...` header (Content-Type, -Disposition).

    `value` is lower-cased; parameter names are lower-cased, parameter values
    are unquoted and keep their case.
    """

    value: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())


@lru_cache(maxsize=256)
def parse_header_value(text: str) -> HeaderValue:
    """Parse a Content-Type / Content-Disposition value; `MalformedMime` if broken.

    Remembered for the last values seen (the result is immutable): a receiver reads the same
    Content-Type of a message several times, and messages repeat the same few values."""
    pos = 0
    length = len(text)

    def skip_ws() -> None:
        nonlocal pos
        while pos < length and text[pos] in " \t\r\n":
            pos += 1

    def token() -> str:
        nonlocal pos
        match = _TOKEN.match(text, pos)
        if not match:
            raise MalformedMime("header value: token expected")
        pos = match.end()
        return match.group(0)

    skip_ws()
    value = token()
    if pos < length and text[pos] == "/":
        pos += 1
        value = f"{value}/{token()}"
    params: dict[str, str] = {}
    while True:
        skip_ws()
        if pos >= length:
            break
        if text[pos] != ";":
            raise MalformedMime("header value: ';' expected between parameters")
        pos += 1
        skip_ws()
        if pos >= length:  # tolerate a trailing ';'
            break
        name = token().lower()
        skip_ws()
        if pos >= length or text[pos] != "=":
            raise MalformedMime("header value: '=' expected after a parameter name")
        pos += 1
        skip_ws()
        if pos < length and text[pos] == '"':
            pos += 1
            chars = []
            while True:
                if pos >= length:
                    raise MalformedMime("header value: unterminated quoted string")
                char = text[pos]
                if char == "\\" and pos + 1 < length:
                    chars.append(text[pos + 1])
                    pos += 2
                    continue
                pos += 1
                if char == '"':
                    break
                chars.append(char)
            param_value = "".join(chars)
        else:
            param_value = token()
        if name in params:
            raise MalformedMime(f"header value: parameter {name} repeated")
        params[name] = param_value
    return HeaderValue(value.lower(), MappingProxyType(params))


@dataclass(frozen=True)
class MimeEntity:
    """Header fields (in order, as received) and the body octets."""

    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header of that name, case-insensitively, or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def to_bytes(self) -> bytes:
        head = "".join(f"{key}: {value}\r\n" for key, value in self.headers)
        return head.encode("ascii") + b"\r\n" + self.body


def protected_headers(*, transfer_encoding: str = "binary") -> tuple[tuple[str, str], ...]:
    """The header fields of a protected body entity."""
    return (
        ("Content-Type", CONTENT_TYPE),
        ("Content-Disposition", CONTENT_DISPOSITION),
        ("Content-Transfer-Encoding", transfer_encoding),
    )


def wrap(der: bytes, *, base64_body: bool = False) -> MimeEntity:
    """A MIME entity holding the DER CMS, binary or base64 transfer-encoded."""
    if base64_body:
        return MimeEntity(protected_headers(transfer_encoding="base64"), encode_base64(der))
    return MimeEntity(protected_headers(), der)


def encode_base64(der: bytes) -> bytes:
    """Base64 in CRLF-terminated lines of 76 characters (RFC 2045 6.8)."""
    text = base64.b64encode(der)
    lines = [text[i : i + _BASE64_LINE] for i in range(0, len(text), _BASE64_LINE)]
    return b"".join(line + b"\r\n" for line in lines)


def decode_base64(data: bytes) -> bytes:
    """Decode base64 (whitespace and PEM armour lines ignored); `MalformedCms`
    when the text is not base64."""
    lines = [
        line.strip()
        for line in data.splitlines()
        if line.strip() and not line.strip().startswith(b"-----")
    ]
    try:
        return base64.b64decode(b"".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCms("body is not valid base64") from None


def parse_entity(data: bytes) -> MimeEntity:
    """Split a MIME entity into header fields and body (CRLF or LF line ends,
    folded header lines unfolded)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = data.find(separator)
        if index >= 0:
            head, body = data[:index], data[index + len(separator) :]
            break
    else:
        head, body = data, b""
    headers: list[tuple[str, str]] = []
    for raw in head.replace(b"\r\n", b"\n").split(b"\n"):
        if raw[:1] in (b" ", b"\t"):
            if not headers:
                raise MalformedMime("continuation line before the first header")
            key, value = headers[-1]
            headers[-1] = (key, f"{value} {raw.strip().decode('latin-1')}")
            continue
        if not _HEADER_NAME.match(raw):
            raise MalformedMime("header line without a field name")
        key, _, value = raw.decode("latin-1").partition(":")
        headers.append((key, value.strip()))
    if not headers:
        raise MalformedMime("entity has no header fields")
    return MimeEntity(tuple(headers), body)


def check_content_type(content_type: str | None) -> HeaderValue:
    """Refuse (415) a body that is not an authEnveloped-data pkcs7-mime body.

    A missing smime-type parameter is accepted (RFC 8551 makes it optional);
    the CMS content type then decides.
    """
    if content_type is None:
        raise UnsupportedBodyType("body has no Content-Type")
    try:
        parsed = parse_header_value(content_type)
    except MalformedMime:
        raise UnsupportedBodyType("Content-Type cannot be parsed") from None
    if parsed.value not in (MEDIA_TYPE, LEGACY_MEDIA_TYPE):
        raise UnsupportedBodyType(f"media type {parsed.value} is not {MEDIA_TYPE}")
    smime_type = parsed.param("smime-type")
    if smime_type is not None and smime_type.lower() != SMIME_TYPE.lower():
        raise UnsupportedBodyType(f"smime-type {smime_type} is not {SMIME_TYPE}")
    return parsed


def is_protected(content_type: str | None) -> bool:
    """True when the Content-Type names a body this codec opens."""
    try:
        check_content_type(content_type)
    except UnsupportedBodyType:
        return False
    return True


def handling_required(content_disposition: str | None) -> bool:
    """The disposition's handling parameter; RFC 3261 20.11: absent means required."""
    if content_disposition is None:
        return True
    handling = parse_header_value(content_disposition).param("handling")
    return handling is None or handling.lower() != "optional"


def body_to_der(
    body: bytes, *, content_type: str | None, content_transfer_encoding: str | None = None
) -> bytes:
    """The DER CMS of a SIP body, given its Content-Type (and the transfer
    encoding, when a MIME entity named one). 415 for another body type."""
    check_content_type(content_type)
    encoding = (content_transfer_encoding or "binary").strip().lower()
    if encoding in ("binary", "8bit"):
        return body
    if encoding == "base64":
        return decode_base64(body)
    raise UnsupportedBodyType(f"Content-Transfer-Encoding {encoding} is not supported")


def entity_to_der(entity: MimeEntity) -> bytes:
    """The DER CMS held by a MIME entity (see `body_to_der`)."""
    return body_to_der(
        entity.body,
        content_type=entity.header("Content-Type"),
        content_transfer_encoding=entity.header("Content-Transfer-Encoding"),
    )


def load_any(data: bytes) -> bytes:
    """DER from any of the forms a protected body is exchanged in: DER, a MIME
    entity (binary or base64, e.g. `openssl cms -outform SMIME`), or base64 /
    PEM text."""
    if data[:1] == b"\x30":
        return data
    if _HEADER_NAME.match(data.lstrip(b"\r\n")):
        return entity_to_der(parse_entity(data.lstrip(b"\r\n")))
    return decode_base64(data)
