"""Typed values of the structured headers: name-addr/addr-spec (From, To, Contact, Route), Via, CSeq,
Content-Type, Content-Length and Max-Forwards (RFC 3261 section 20 and 25.1)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from .errors import InvalidHeaderValue, MalformedUri
from .grammar import (
    Params,
    format_params,
    get_param,
    is_token,
    parse_params,
    quote,
    split_outside_quotes,
    unquote,
    with_param,
)
from .memo import remembered
from .uri import IPV4_ADDRESS, Uri, format_host, parse_uri, split_hostport

__all__ = [
    "NameAddress",
    "Via",
    "CSeq",
    "MediaType",
    "parse_name_address",
    "parse_via",
    "parse_cseq",
    "parse_media_type",
    "parse_content_length",
    "parse_max_forwards",
]

MAX_CSEQ = 2**31 - 1


@dataclass(frozen=True)
class NameAddress:
    """``[display-name] <URI> ;params`` or ``URI ;params`` (From, To, Contact, Route, ...).

    ``uri`` is the parsed URI; ``params`` are the header parameters (``tag``, ``expires``, ...), not
    the URI's own. ``display_name`` is unquoted; ``None`` when absent. ``wildcard`` is the ``*`` of
    ``Contact: *``.
    """

    uri: Uri | None
    display_name: str | None = None
    params: Params = field(default=())
    wildcard: bool = False

    def param(self, name: str) -> str | None:
        """Value of header parameter ``name``; ``""`` for a flag; ``None`` when absent."""
        return get_param(self.params, name)

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (From and To)."""
        return self.param("tag")

    def with_tag(self, tag: str) -> NameAddress:
        """Copy with ``tag`` set."""
        return replace(self, params=with_param(self.params, "tag", tag))

    def __str__(self) -> str:
        if self.wildcard:
            return "*"
        name = ""
        if self.display_name is not None:
            name = (self.display_name if is_token(self.display_name) else quote(self.display_name)) + " "
        return f"{name}<{self.uri}>{format_params(self.params)}"


@dataclass(frozen=True)
class Via:
    """One Via element: ``SIP/2.0/UDP host:port;branch=...;received=...;rport``."""

    transport: str
    host: str
    port: int | None = None
    params: Params = field(default=())
    protocol: str = "SIP/2.0"

    def param(self, name: str) -> str | None:
        """Value of parameter ``name``; ``""`` for a flag (``rport`` without value); ``None`` if absent."""
        return get_param(self.params, name)

    @property
    def branch(self) -> str | None:
        return self.param("branch")

    @property
    def received(self) -> str | None:
        return self.param("received")

    @property
    def rport(self) -> int | None:
        """The filled-in ``rport`` value (RFC 3581); ``None`` when absent or requested without value."""
        value = self.param("rport")
        return int(value) if value else None

    @property
    def wants_rport(self) -> bool:
        """True when the ``rport`` flag is present (filled in or not)."""
        return self.param("rport") is not None

    @property
    def sent_by(self) -> str:
        """``host`` or ``host:port`` as sent."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_param(self, name: str, value: str | None) -> Via:
        """Copy with parameter ``name`` set (replaced in place or appended)."""
        return replace(self, params=with_param(self.params, name, value))

    def __str__(self) -> str:
        return f"{self.protocol}/{self.transport} {self.sent_by}{format_params(self.params)}"


@dataclass(frozen=True)
class CSeq:
    """``CSeq: 4711 INVITE``."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


@dataclass(frozen=True)
class MediaType:
    """``type/subtype;param=value`` (Content-Type, and the Content-Type of body parts)."""

    type: str
    subtype: str
    params: Params = field(default=())

    @property
    def mime_type(self) -> str:
        """``type/subtype`` in lower case."""
        return f"{self.type}/{self.subtype}".lower()

    def param(self, name: str) -> str | None:
        """Parameter value with surrounding quotes removed; ``None`` when absent."""
        value = get_param(self.params, name)
        if value is not None and value.startswith('"'):
            return unquote(value)
        return value

    def __str__(self) -> str:
        return f"{self.type}/{self.subtype}{format_params(self.params)}"


# The forms the reference roles write, read with one match each: `<URI>;params` and
# `SIP/2.0/UDP host:port;params`, where no parameter is quoted and nothing holds white space, quotes
# or angle brackets but where shown. The general code below reads them alike (through the same URI,
# host and parameter checks) and reads everything else.
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_PLAIN_PARAMS = rf"(?:;{_TOKEN}(?:=[A-Za-z0-9\-.!%*_+`'~\[\]:]+)?)*"
_ANGLE_ADDRESS = re.compile(rf"<([^<>\"\s]*)>({_PLAIN_PARAMS})")
_SIP_2_0_VIA = re.compile(rf"SIP/2\.0/({_TOKEN}) ([A-Za-z0-9.\-:\[\]]+)({_PLAIN_PARAMS})")


def _plain_params(text: str) -> Params:
    """What `parse_params` gives for ``text`` matching _PLAIN_PARAMS (";name=value;flag")."""
    if not text:
        return ()
    out = []
    for item in text[1:].split(";"):
        name, eq, value = item.partition("=")
        out.append((name, value if eq else None))
    return tuple(out)


def _split_params(text: str) -> tuple[str, str | None]:
    """Split ``head;params`` at the first ``;`` outside quotes/brackets."""
    parts = split_outside_quotes(text, ";")
    head = parts[0]
    if len(parts) == 1:
        return head, None
    return head, ";".join(parts[1:])


@remembered
def parse_name_address(value: str, *, header: str = "address") -> NameAddress:
    """Parse a name-addr or addr-spec with header parameters. Raises :class:`InvalidHeaderValue`."""
    text = value.strip()
    if text == "*":
        return NameAddress(uri=None, wildcard=True)
    try:
        display: str | None = None
        common = _ANGLE_ADDRESS.fullmatch(text)
        if common is not None:
            uri_text, params = common.group(1), _plain_params(common.group(2))
        elif "<" in text or text.startswith('"'):
            if text.startswith('"'):
                end = _end_of_quoted(text)
                display = unquote(text[: end + 1])
                rest = text[end + 1 :].lstrip()
                if not rest.startswith("<"):
                    raise ValueError("quoted display name not followed by '<'")
            else:
                before, _, _ = text.partition("<")
                words = before.split()
                if any(not is_token(w) for w in words):
                    raise ValueError("bad display name")
                display = " ".join(words) if words else None
                rest = text[len(before) :]
            close = rest.find(">")
            if close < 0:
                raise ValueError("unterminated '<'")
            uri_text = rest[1:close]
            tail = rest[close + 1 :].strip()
            if tail and not tail.startswith(";"):
                raise ValueError("junk after '>'")
            params = parse_params(tail[1:]) if tail else ()
        else:
            uri_text, param_text = _split_params(text)
            uri_text = uri_text.strip()
            if "?" in uri_text or "," in uri_text:
                raise ValueError("addr-spec with '?' or ',' must be enclosed in '<>'")
            params = parse_params(param_text) if param_text is not None else ()
        uri = parse_uri(uri_text)
    except MalformedUri as exc:
        raise InvalidHeaderValue(f"bad URI in {header}: {exc.detail}") from None
    except ValueError as exc:
        raise InvalidHeaderValue(f"bad {header}: {exc}") from None
    return NameAddress(uri=uri, display_name=display, params=params)


def _end_of_quoted(text: str) -> int:
    escaped = False
    for index in range(1, len(text)):
        ch = text[index]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return index
    raise ValueError("unterminated quoted display name")


@remembered
def parse_via(value: str) -> Via:
    """Parse one Via element (use :meth:`Headers.get_list` to split a line). Raises
    :class:`InvalidHeaderValue`."""
    text = value.strip()
    try:
        common = _SIP_2_0_VIA.fullmatch(text)
        if common is not None:
            pieces = ["SIP", "2.0", common.group(1)]
            host, port = split_hostport(common.group(2))
            params = _plain_params(common.group(3))
        else:
            head, param_text = _split_params(text)
            proto_part, sent_by = _split_sent_protocol(head)
            pieces = [p.strip() for p in proto_part.split("/")]
            if len(pieces) != 3 or not all(is_token(p) for p in pieces):
                raise ValueError("bad sent-protocol")
            host, port = split_hostport(sent_by.strip())
            params = parse_params(param_text) if param_text is not None else ()
    except MalformedUri as exc:
        raise InvalidHeaderValue(f"bad Via sent-by: {exc.detail}") from None
    except ValueError as exc:
        raise InvalidHeaderValue(f"bad Via: {exc}") from None
    via = Via(transport=pieces[2], host=host, port=port, params=params,
              protocol=f"{pieces[0]}/{pieces[1]}")
    _check_via_params(via)
    return via


def _split_sent_protocol(head: str) -> tuple[str, str]:
    # sent-protocol allows LWS around "/", so find the whitespace that follows the transport token.
    compact = head.strip()
    slashes = 0
    index = 0
    while index < len(compact):
        ch = compact[index]
        if ch == "/":
            slashes += 1
        elif ch.isspace() and slashes == 2:
            # skip whitespace just after the second slash, then the transport token
            prefix = compact[:index].rstrip()
            if not prefix.endswith("/"):
                return prefix, compact[index:]
        index += 1
    raise ValueError("missing sent-by")


def _check_via_params(via: Via) -> None:
    received = via.param("received")
    if received is not None and not IPV4_ADDRESS.match(received):
        candidate = received[1:-1] if received.startswith("[") else received
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            raise InvalidHeaderValue("bad Via received parameter") from None
    rport = via.param("rport")
    if rport and (not rport.isascii() or not rport.isdigit() or int(rport) > 65535):
        raise InvalidHeaderValue("bad Via rport parameter")
    ttl = via.param("ttl")
    if ttl is not None and (not ttl.isascii() or not ttl.isdigit() or int(ttl) > 255):
        raise InvalidHeaderValue("bad Via ttl parameter")
    branch = via.param("branch")
    if branch is not None and not is_token(branch):
        raise InvalidHeaderValue("bad Via branch parameter")


def format_via(transport: str, host: str, port: int | None, params: Params) -> str:
    """Serialise a Via element from its parts (IPv6 hosts bracketed)."""
    return str(Via(transport=transport, host=format_host(host), port=port, params=params))


@remembered
def parse_cseq(value: str) -> CSeq:
    """Parse ``1*DIGIT LWS Method``. Raises :class:`InvalidHeaderValue`."""
    parts = value.split()
    if len(parts) != 2:
        raise InvalidHeaderValue("CSeq must be a number and a method")
    number, method = parts
    if not number.isdigit() or not number.isascii() or len(number) > 10 or int(number) > MAX_CSEQ:
        raise InvalidHeaderValue("CSeq number not an integer below 2**31")
    if not is_token(method):
        raise InvalidHeaderValue("CSeq method is not a token")
    return CSeq(int(number), method)


@remembered
def parse_media_type(value: str) -> MediaType:
    """Parse ``type/subtype *(;param)``. Raises :class:`InvalidHeaderValue`."""
    try:
        head, param_text = _split_params(value.strip())
        type_, slash, subtype = head.partition("/")
        type_, subtype = type_.strip(), subtype.strip()
        if not slash or not is_token(type_) or not is_token(subtype):
            raise ValueError("expected type/subtype")
        params = parse_params(param_text) if param_text is not None else ()
    except ValueError as exc:
        raise InvalidHeaderValue(f"bad Content-Type: {exc}") from None
    return MediaType(type_, subtype, params)


def parse_content_length(value: str) -> int:
    """Parse Content-Length (1*DIGIT). Raises :class:`InvalidHeaderValue`."""
    text = value.strip()
    if not text.isdigit() or not text.isascii() or len(text) > 10:
        raise InvalidHeaderValue("Content-Length is not a non-negative integer")
    return int(text)


def parse_max_forwards(value: str) -> int:
    """Parse Max-Forwards (1*DIGIT, 0..255 in practice). Raises :class:`InvalidHeaderValue`."""
    text = value.strip()
    if not text.isdigit() or not text.isascii() or int(text) > 255:
        raise InvalidHeaderValue("Max-Forwards is not an integer 0..255")
    return int(text)
