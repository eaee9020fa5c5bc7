"""SIP and SIPS URIs (RFC 3261 section 19.1) and other absolute URIs seen in SIP (tel:, urn:)."""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass, field, replace

from .errors import MalformedUri
from .grammar import Params, format_params, get_param, parse_params
from .memo import remembered

__all__ = ["SipUri", "AbsoluteUri", "Uri", "parse_uri", "parse_host", "format_host"]

# unreserved / escaped / user-unreserved, plus what passwords allow; "%" starts an escape
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_HOSTNAME = re.compile(r"[A-Za-z0-9\-.]+")
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+")
_PASSWORD = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,%]*")
_HEADERS = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%=&@]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# What ipaddress.IPv4Address takes: four decimal octets 0..255 without leading zeros.
IPV4_ADDRESS = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")


@dataclass(frozen=True)
class SipUri:
    """A ``sip:`` or ``sips:`` URI. ``host`` is kept as written (IPv6 with brackets)."""

    host: str
    scheme: str = "sip"
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = field(default=())
    headers: str | None = None  # the text after "?", uninterpreted

    def param(self, name: str) -> str | None:
        """Value of URI parameter ``name`` (``""`` for a flag such as ``lr``), ``None`` if absent."""
        return get_param(self.params, name)

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter, lower case, if any."""
        value = self.param("transport")
        return value.lower() if value else None

    @property
    def hostport(self) -> str:
        """``host`` or ``host:port``."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def with_params(self, params: Params) -> SipUri:
        """Copy with a different parameter list."""
        return replace(self, params=params)

    def __str__(self) -> str:
        userinfo = ""
        if self.user is not None:
            userinfo = self.user + (f":{self.password}" if self.password is not None else "") + "@"
        text = f"{self.scheme}:{userinfo}{self.hostport}{format_params(self.params)}"
        if self.headers is not None:
            text += "?" + self.headers
        return text


@dataclass(frozen=True)
class AbsoluteUri:
    """Any other absolute URI (``tel:+123``, ``urn:service:sos``): scheme plus opaque remainder."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = SipUri | AbsoluteUri


def parse_host(text: str) -> str:
    """Validate a host (hostname, IPv4 address or bracketed IPv6 reference) and return it."""
    if not text:
        raise MalformedUri("empty host")
    if text.startswith("["):
        if not text.endswith("]"):
            raise MalformedUri("unterminated IPv6 reference")
        try:
            ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            raise MalformedUri("bad IPv6 address") from None
        return text
    if not _HOSTNAME.fullmatch(text):
        raise MalformedUri(f"bad character in host {text!r}")
    labels = text.rstrip(".").split(".")
    if text.startswith(".") or any(not label for label in labels):
        raise MalformedUri(f"empty label in host {text!r}")
    if all(label.isdigit() for label in labels):
        if IPV4_ADDRESS.match(text):
            return text
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise MalformedUri(f"bad IPv4 address {text!r}") from None
        return text
    if any(label.startswith("-") or label.endswith("-") for label in labels):
        raise MalformedUri(f"bad label in host {text!r}")
    if labels[-1][0].isdigit():
        raise MalformedUri(f"top label of host {text!r} starts with a digit")
    return text


def format_host(host: str) -> str:
    """Put brackets around a bare IPv6 address; other hosts are returned unchanged."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def parse_port(text: str) -> int:
    """Parse a port number (1*DIGIT, at most 65535; DIGIT is ASCII, not any Unicode digit)."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 5 or int(text) > 65535:
        raise MalformedUri(f"bad port {text!r}")
    return int(text)


def split_hostport(text: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (IPv6 references in brackets) and validate both parts."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise MalformedUri("unterminated IPv6 reference")
        host, rest = text[: end + 1], text[end + 1 :]
        if not rest:
            return parse_host(host), None
        if not rest.startswith(":"):
            raise MalformedUri("junk after IPv6 reference")
        return parse_host(host), parse_port(rest[1:])
    host, colon, port = text.partition(":")
    return parse_host(host), (parse_port(port) if colon else None)


def _check_escapes(text: str, what: str) -> None:
    index = text.find("%")
    while index >= 0:
        pair = text[index + 1 : index + 3]
        if len(pair) != 2 or not all(ch in string.hexdigits for ch in pair):
            raise MalformedUri(f"bad escape in {what}")
        index = text.find("%", index + 3)


@remembered
def parse_uri(text: str) -> Uri:
    """Parse a Request-URI or the URI of a name-addr.

    ``sip:`` and ``sips:`` URIs are fully validated (:class:`SipUri`); other schemes only need a valid
    scheme name and a non-empty remainder (:class:`AbsoluteUri`). Raises :class:`MalformedUri`.
    """
    scheme, colon, rest = text.partition(":")
    if not colon or not scheme or not scheme[0].isalpha() or not _SCHEME.fullmatch(scheme):
        raise MalformedUri("missing or bad URI scheme")
    # every whitespace character but SP is not printable either
    if " " in text or not text.isprintable():
        raise MalformedUri("whitespace or control character in URI")
    scheme_l = scheme.lower()
    if scheme_l not in ("sip", "sips"):
        if not rest:
            raise MalformedUri(f"empty {scheme}: URI")
        return AbsoluteUri(scheme, rest)

    headers: str | None = None
    if "?" in rest:
        rest, _, headers = rest.partition("?")
        if not _HEADERS.fullmatch(headers):
            raise MalformedUri("bad URI headers")
        _check_escapes(headers, "URI headers")
    user: str | None = None
    password: str | None = None
    if "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
        user, pcolon, pw = userinfo.partition(":")
        if not _USER.fullmatch(user):
            raise MalformedUri("bad user part")
        _check_escapes(user, "user part")
        if pcolon:
            if not _PASSWORD.fullmatch(pw):
                raise MalformedUri("bad password part")
            _check_escapes(pw, "password")
            password = pw
    hostport, semi, param_text = rest.partition(";")
    host, port = split_hostport(hostport)
    params: Params = ()
    if semi:
        try:
            params = parse_params(param_text)
        except ValueError as exc:
            raise MalformedUri(f"bad URI parameter: {exc}") from None
    return SipUri(host=host, scheme=scheme, user=user, password=password, port=port,
                  params=params, headers=headers)
