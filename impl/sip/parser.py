"""Bytes to :class:`Request`/:class:`Response` (RFC 3261 sections 7 and 18.3). No I/O.

``parse_message(data, stream=False)`` reads one datagram; ``stream=True`` reads one message framed off
a stream transport (see :mod:`mcsec.impl.sip.framing`), where Content-Length is mandatory.

Rules applied, each failure raising a subclass of :class:`~mcsec.impl.sip.errors.SipParseError`:

* empty lines (CRLF) before the start line are skipped (RFC 3261 section 7.5);
* lines end with CRLF; a bare CR or LF inside the header section is an error;
* a line starting with SP or HTAB continues the previous header (folding), joined with one space;
* the header section must be UTF-8 without control characters other than HTAB;
* Via, From, To, Call-ID and CSeq must be present and well formed (RFC 3261 section 8.1.1) and From,
  To, Call-ID, CSeq, Max-Forwards, Content-Length and Content-Type may appear only once; the CSeq
  method must equal the request method; a non-empty body needs a Content-Type;
* Content-Length larger than the bytes present is an error. On a datagram, bytes beyond Content-Length
  are discarded (RFC 3261 section 18.3) unless ``strict_length`` is set, which makes them an error too;
  an absent Content-Length means "the rest of the datagram".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import (
    ContentLengthMismatch,
    CSeqMethodMismatch,
    IncompleteMessage,
    InvalidEncoding,
    InvalidHeaderValue,
    MalformedHeader,
    MalformedStartLine,
    MalformedUri,
    MessageTooLarge,
    MissingContentLength,
    MissingHeader,
    SipParseError,
    UnsupportedVersion,
)
from .grammar import is_token
from .header_values import (
    parse_content_length,
    parse_cseq,
    parse_max_forwards,
    parse_media_type,
    parse_name_address,
    parse_via,
)
from .headers import HeaderField, Headers, canonical_name, header_key, split_header_list
from .message import SIP_VERSION, Request, Response
from .uri import parse_uri

__all__ = ["PartialMessage", "parse_message", "parse_head", "parse_header_lines", "DEFAULT_MAX_MESSAGE_SIZE"]

#: Default upper bound of a whole message, in bytes. Larger messages raise MessageTooLarge (513).
DEFAULT_MAX_MESSAGE_SIZE = 65535

_VERSION_RE = re.compile(r"SIP/(\d+)\.(\d+)\Z", re.IGNORECASE)
_STATUS_RE = re.compile(r"(SIP/[^ ]*) (\d{3})(?: (.*))?\Z", re.IGNORECASE | re.DOTALL)
_SINGLE_HEADERS = ("From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length", "Content-Type")
_MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
# Characters a header section must not hold: controls but HTAB, DEL; in a line also CR and LF.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 3261 25.1: callid = word [ "@" word ]; word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" /
# "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
_CALL_ID_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
_CALL_ID = re.compile(rf"{_CALL_ID_WORD}(?:@{_CALL_ID_WORD})?")
# The controls a header section must not hold besides CR and LF (those only as CRLF line ends).
_CONTROL_BUT_CR_LF = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class PartialMessage:
    """What could be read of a message that failed to parse; enough, sometimes, to answer it.

    ``kind`` is ``"request"``, ``"response"`` or ``None`` (start line unreadable). ``headers`` holds the
    header lines that were readable. ``first_line`` is the start line text (safe to log).
    """

    kind: str | None = None
    method: str | None = None
    uri: str | None = None
    status: int | None = None
    first_line: str = ""
    headers: Headers = field(default_factory=Headers)


@dataclass
class _Head:
    partial: PartialMessage
    version: str = SIP_VERSION
    reason: str = ""
    error: SipParseError | None = None

    def fail(self, error: SipParseError) -> None:
        if self.error is None:
            self.error = error


def _find_head_end(data: bytes) -> int:
    return data.find(b"\r\n\r\n")


def _skip_leading_crlf(data: bytes) -> bytes:
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    return data[start:] if start else data


def parse_head(head: bytes) -> _Head:
    """Read a header section (start line and header lines, without the final empty line).

    Never raises: the first problem found is stored in the result's ``error`` and reading goes on, so
    that the partial message holds every readable header.
    """
    result = _Head(partial=PartialMessage())
    try:
        text = head.decode("utf-8")
        strict = True
    except UnicodeDecodeError:
        result.fail(InvalidEncoding("header section is not valid UTF-8"))
        text = head.decode("utf-8", errors="replace")
        strict = False
    lines = text.split("\r\n")
    _read_start_line(lines[0], result)
    header_start = len(lines[0]) + 2
    clean = _clean_section(text, header_start)
    fields = _plain_header_fields(lines[1:], head.split(b"\r\n")[1:]) if clean and strict else None
    if fields is None:
        _read_header_lines(lines[1:], result, clean=clean)
    else:
        for header in fields:
            result.partial.headers.append_field(header)
    return result


def _clean_section(text: str, start: int) -> bool:
    """True when ``text`` from ``start`` holds CR and LF only as CRLF pairs, and no other control
    character a line must not hold (then no line needs checking on its own)."""
    pairs = text.count("\r\n", start)
    return (text.count("\r", start) == pairs and text.count("\n", start) == pairs
            and _CONTROL_BUT_CR_LF.search(text, start) is None)


# "Name: value" with the name a token: the common line, which `_read_header_lines` reads alike.
_PLAIN_HEADER_LINE = re.compile(r"([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*:[ \t]*(.*?)[ \t]*", re.DOTALL)


def _plain_header_fields(lines: list[str], raws: list[bytes]) -> list[HeaderField] | None:
    """The fields of a header section whose every line is a plain "Name: value" line (no folding)
    and free of characters a line must not hold; None for any other section. ``raws`` are the same
    lines as received (the section decoded strictly, so line for line)."""
    fields = []
    for line, raw in zip(lines, raws):
        match = _PLAIN_HEADER_LINE.fullmatch(line)
        if match is None:
            return None
        fields.append(HeaderField(match.group(1), match.group(2), raw))
    return fields


def _bad_chars(line: str) -> str | None:
    """What is wrong with the first character a line must not hold, or None."""
    match = _BAD_CHAR.search(line)
    if match is None:
        return None
    ch = match.group()
    return "bare CR" if ch == "\r" else "bare LF" if ch == "\n" else "control character"


def _read_start_line(line: str, result: _Head) -> None:
    partial = result.partial
    problem = _bad_chars(line)
    partial.first_line = line if problem is None else repr(line)[1:-1]
    if problem:
        result.fail(MalformedStartLine(f"{problem} in start line"))
        return
    if line[:4].upper() == "SIP/":
        match = _STATUS_RE.match(line)
        if not match:
            result.fail(MalformedStartLine("bad status line"))
            return
        version, status, reason = match.group(1), int(match.group(2)), match.group(3) or ""
        if not 100 <= status <= 699:
            result.fail(MalformedStartLine(f"status code {status} out of range"))
            return
        partial.kind, partial.status = "response", status
        result.reason = reason
        _check_version(version, result)
        return
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        result.fail(MalformedStartLine("request line must be Method SP Request-URI SP SIP-Version"))
        return
    method, uri, version = parts
    if not is_token(method):
        result.fail(MalformedStartLine("method is not a token"))
        return
    partial.kind, partial.method, partial.uri = "request", method, uri
    _check_version(version, result)
    try:
        parse_uri(uri)
    except MalformedUri as exc:
        result.fail(MalformedUri(f"bad Request-URI: {exc.detail}"))


def _check_version(version: str, result: _Head) -> None:
    match = _VERSION_RE.match(version)
    if not match:
        result.fail(MalformedStartLine(f"bad SIP-Version {version[:20]!r}"))
        return
    if (int(match.group(1)), int(match.group(2))) != (2, 0):
        result.fail(UnsupportedVersion(f"{version[:20]} not supported"))
        return
    result.version = version


def _read_header_lines(lines: list[str], result: _Head, *, clean: bool = False) -> None:
    """Header lines to fields. ``clean``: the caller found no character a line must not hold."""
    # Group physical lines into logical ones (folding), keeping raw text for each field.
    groups: list[list[str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not groups:
                result.fail(MalformedHeader("continuation line before any header"))
                continue
            groups[-1].append(line)
        else:
            groups.append([line])
    headers = result.partial.headers
    for group in groups:
        raw = group[0] if len(group) == 1 else "\r\n".join(group)
        problem = None if clean else _bad_chars(raw.replace("\r\n", ""))
        if problem:
            result.fail(MalformedHeader(f"{problem} in header line"))
            continue
        first = group[0]
        name, colon, value = first.partition(":")
        name = name.rstrip(" \t")
        if not colon:
            result.fail(MalformedHeader("header line without colon"))
            continue
        if not is_token(name):
            result.fail(MalformedHeader("header name is not a token"))
            continue
        if len(group) == 1:
            joined = value.strip(" \t")
        else:
            pieces = [value.strip(" \t")] + [cont.strip(" \t") for cont in group[1:]]
            joined = " ".join(p for p in pieces if p)
        headers.append_field(HeaderField(name, joined, raw.encode("utf-8", errors="replace")))


def parse_header_lines(block: bytes) -> Headers:
    """Parse a block of header lines without start line (e.g. the headers of a MIME body part).

    Raises :class:`InvalidEncoding` or :class:`MalformedHeader`.
    """
    result = _Head(partial=PartialMessage())
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEncoding("header block is not valid UTF-8") from None
    _read_header_lines(text.split("\r\n") if text else [], result)
    if result.error is not None:
        raise result.error
    return result.partial.headers


def _validate(result: _Head) -> None:
    """Check the mandatory and single-instance headers of a readable header section."""
    partial = result.partial
    headers = partial.headers
    counts = headers.key_counts()
    for name in _MANDATORY:
        if header_key(name) not in counts:
            result.fail(MissingHeader(name))
    for name in _SINGLE_HEADERS:
        if counts.get(header_key(name), 0) > 1:
            result.fail(InvalidHeaderValue(f"more than one {name} header"))
    try:
        for value in headers.get_all("Via"):
            elements = split_header_list(value)
            if not elements:
                raise InvalidHeaderValue("empty Via")
            for element in elements:
                parse_via(element)
        for name in ("From", "To"):
            value = headers.get(name)
            if value is not None:
                address = parse_name_address(value, header=name)
                if address.wildcard:
                    raise InvalidHeaderValue(f"'*' is not allowed in {name}")
        call_id = headers.get("Call-ID")
        if call_id is not None and not _CALL_ID.fullmatch(call_id):
            raise InvalidHeaderValue("Call-ID must be word [\"@\" word] (RFC 3261 25.1)")
        cseq_value = headers.get("CSeq")
        if cseq_value is not None:
            cseq = parse_cseq(cseq_value)
            if partial.kind == "request" and cseq.method != partial.method:
                raise CSeqMethodMismatch(f"CSeq method {cseq.method} differs from {partial.method}")
        for name, parse in (("Max-Forwards", parse_max_forwards),
                            ("Content-Length", parse_content_length),
                            ("Content-Type", parse_media_type)):
            value = headers.get(name)
            if value is not None:
                parse(value)  # type: ignore[operator]
    except (InvalidHeaderValue, CSeqMethodMismatch) as exc:
        result.fail(exc)
    except ValueError as exc:
        result.fail(InvalidHeaderValue(str(exc)))


def _attach(error: SipParseError, partial: PartialMessage) -> SipParseError:
    error.partial = partial
    return error


def parse_message(data: bytes, *, stream: bool = False, max_size: int = DEFAULT_MAX_MESSAGE_SIZE,
                  strict_length: bool = False) -> Request | Response:
    """Parse one SIP message from ``data``.

    ``stream``: the bytes came off a stream transport (Content-Length required and exact).
    ``max_size``: larger input raises :class:`MessageTooLarge` (513).
    ``strict_length``: on datagrams, bytes beyond Content-Length are an error instead of discarded.
    Raises a subclass of :class:`SipParseError`; its ``partial`` holds what was readable.
    """
    data = bytes(data)
    if len(data) > max_size:
        end = _find_head_end(data[: max_size])
        partial = PartialMessage()
        if end >= 0:
            head = parse_head(_skip_leading_crlf(data[:end]))
            partial = head.partial
        raise _attach(MessageTooLarge(f"{len(data)} bytes exceed the limit of {max_size}"), partial)
    data = _skip_leading_crlf(data)
    end = _find_head_end(data)
    if end < 0:
        head_only = parse_head(data.rstrip(b"\r\n"))
        raise _attach(IncompleteMessage("header section not terminated by an empty line"),
                      head_only.partial)
    result = parse_head(data[:end])
    partial = result.partial
    if partial.kind is not None:
        _validate(result)
    if result.error is not None:
        raise _attach(result.error, partial)
    headers = partial.headers
    rest = data[end + 4 :]
    length_value = headers.get("Content-Length")
    if length_value is None:
        if stream:
            raise _attach(MissingContentLength("Content-Length is required on stream transports"),
                          partial)
        body = rest
    else:
        length = parse_content_length(length_value)
        if length > len(rest):
            raise _attach(ContentLengthMismatch(
                f"Content-Length {length} exceeds the {len(rest)} body bytes present"), partial)
        if length < len(rest) and (stream or strict_length):
            raise _attach(ContentLengthMismatch(
                f"{len(rest) - length} bytes follow the {length}-byte body"), partial)
        body = rest[:length]
    if body and "Content-Type" not in headers:
        raise _attach(MissingHeader(canonical_name("c")), partial)
    if partial.kind == "request":
        assert partial.method is not None and partial.uri is not None
        return Request(method=partial.method, uri=partial.uri, headers=headers, body=body,
                       version=result.version)
    assert partial.status is not None
    return Response(status=partial.status, reason=result.reason, headers=headers, body=body,
                    version=result.version)
