"""Ordered SIP header fields with compact-form aware lookup (RFC 3261 sections 7.3 and 20)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .errors import InvalidHeaderValue
from .grammar import is_token, split_outside_quotes

__all__ = [
    "COMPACT_FORMS",
    "MULTI_VALUE_HEADERS",
    "HeaderField",
    "Headers",
    "header_key",
    "canonical_name",
    "split_header_list",
]

#: Single-letter compact forms (RFC 3261 7.3.3 and the RFCs that defined the others).
COMPACT_FORMS: dict[str, str] = {
    "a": "Accept-Contact",  # RFC 3841
    "b": "Referred-By",  # RFC 3892
    "c": "Content-Type",
    "d": "Request-Disposition",  # RFC 3841
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",  # RFC 3841
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "o": "Event",  # RFC 6665
    "r": "Refer-To",  # RFC 3515
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",  # RFC 6665
    "v": "Via",
    "x": "Session-Expires",  # RFC 4028
    "y": "Identity",  # RFC 8224
}

_SPECIAL_SPELLING = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
    "p-asserted-identity": "P-Asserted-Identity",
    "p-preferred-identity": "P-Preferred-Identity",
}

#: Headers whose grammar is a comma-separated list, so several lines are equivalent to one joined line
#: (RFC 3261 section 7.3.1). Authorization-style headers are *not* lists even though they hold commas.
MULTI_VALUE_HEADERS = frozenset(
    {
        "via", "contact", "route", "record-route", "allow", "supported", "require", "proxy-require",
        "unsupported", "accept", "accept-encoding", "accept-language", "content-encoding",
        "content-language", "in-reply-to", "alert-info", "call-info", "error-info", "allow-events",
        "path", "service-route", "p-asserted-identity", "p-preferred-identity", "accept-contact",
        "reject-contact", "request-disposition", "security-client", "security-server",
        "security-verify", "privacy",
    }
)


def header_key(name: str) -> str:
    """Lookup key of a header name: lower case, compact form expanded (``"v"`` -> ``"via"``)."""
    key = _KEYS.get(name)
    if key is None:
        lowered = name.strip().lower()
        full = COMPACT_FORMS.get(lowered)
        key = full.lower() if full else lowered
        if len(_KEYS) < _KEYS_KEPT:  # names come off the wire too: remember only so many
            _KEYS[name] = key
    return key


_KEYS: dict[str, str] = {}
_KEYS_KEPT = 1024


def canonical_name(name: str) -> str:
    """Conventional spelling of a header name: ``"call-id"`` and ``"i"`` -> ``"Call-ID"``."""
    key = header_key(name)
    if key in _SPECIAL_SPELLING:
        return _SPECIAL_SPELLING[key]
    return "-".join(part[:1].upper() + part[1:] for part in key.split("-"))


def split_header_list(value: str) -> list[str]:
    """Split a comma-separated header value into its elements.

    Commas inside quoted strings and ``<...>`` do not split. Empty elements are dropped. Raises
    :class:`InvalidHeaderValue` (a 400 error) for unbalanced quotes or brackets.
    """
    try:
        items = split_outside_quotes(value, ",")
    except ValueError as exc:
        raise InvalidHeaderValue(f"bad header list: {exc}") from None
    return [item.strip() for item in items if item.strip()]


class _HeaderFieldParts(NamedTuple):
    name: str
    value: str
    raw: bytes | None
    key: str


class HeaderField(_HeaderFieldParts):
    """One header line as it appears in the message.

    ``name`` keeps its original spelling (``"v"``, ``"VIA"``); ``value`` has folding resolved (each
    continuation becomes one space) and surrounding whitespace removed. ``raw`` holds the original
    bytes of the line(s), folding included, when the field was parsed; it is ``None`` for built fields.
    ``key`` is the lookup key (see :func:`header_key`), computed once: every lookup compares it.
    Fields are immutable, so ``raw`` always matches ``value``; serialising a parsed message writes the
    original bytes back.

    A field is a named tuple: immutable, and about four times cheaper to make than a frozen
    dataclass (a message makes a few dozen fields on its way through a role).
    """

    __slots__ = ()

    def __new__(cls, name: str, value: str, raw: bytes | None = None) -> HeaderField:
        return super().__new__(cls, name, value, raw, header_key(name))

    def __repr__(self) -> str:
        return f"HeaderField(name={self.name!r}, value={self.value!r}, raw={self.raw!r})"

    def to_bytes(self) -> bytes:
        """The line without its terminator: the original bytes when parsed (folding kept), otherwise
        ``Name: value`` in UTF-8."""
        if self.raw is not None:
            return self.raw
        return f"{self.name}: {self.value}".encode("utf-8")


class Headers:
    """An ordered, case-insensitive, compact-form aware collection of header fields.

    Lookups accept any spelling: ``headers.get("i")``, ``headers.get("call-id")`` and
    ``headers.get("Call-ID")`` find the same line. Iteration yields :class:`HeaderField` in message order.
    """

    def __init__(self, fields: Iterable[HeaderField | tuple[str, str]] = ()) -> None:
        self._fields: list[HeaderField] = []
        for item in fields:
            if isinstance(item, HeaderField):
                self._fields.append(item)
            else:
                self.add(item[0], item[1])

    # -- inspection ---------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[HeaderField]:
        return iter(list(self._fields))

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = header_key(name)
        return any(f.key == key for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(f.key, f.value) for f in self._fields] == [(f.key, f.value) for f in other._fields]

    def __repr__(self) -> str:
        return f"Headers({[(f.name, f.value) for f in self._fields]!r})"

    @property
    def fields(self) -> list[HeaderField]:
        """A copy of the field list in message order."""
        return list(self._fields)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first line named ``name``, or ``default``."""
        key = header_key(name)
        for f in self._fields:
            if f.key == key:
                return f.value
        return default

    def get_all(self, name: str) -> list[str]:
        """Values of every line named ``name``, in order (one entry per line)."""
        key = header_key(name)
        return [f.value for f in self._fields if f.key == key]

    def get_list(self, name: str) -> list[str]:
        """Every element of a list header across all its lines (``Via: a, b`` + ``Via: c`` -> a, b, c).

        Raises :class:`InvalidHeaderValue` when a line cannot be split (unbalanced quotes or brackets).
        """
        out: list[str] = []
        for value in self.get_all(name):
            out.extend(split_header_list(value))
        return out

    def count(self, name: str) -> int:
        """Number of lines named ``name``."""
        key = header_key(name)
        return sum(1 for f in self._fields if f.key == key)

    def key_counts(self) -> dict[str, int]:
        """Number of lines per lookup key, in one pass (``{"via": 2, "call-id": 1, ...}``)."""
        counts: dict[str, int] = {}
        for f in self._fields:
            counts[f.key] = counts.get(f.key, 0) + 1
        return counts

    # -- mutation -----------------------------------------------------------------------------------
    def add(self, name: str, value: str) -> None:
        """Append a line ``name: value`` (name kept as given)."""
        self._fields.append(HeaderField(_check_name(name), _check_value(value)))

    def append_field(self, field: HeaderField) -> None:
        """Append a field exactly as given (no validation: lets a test craft an invalid line)."""
        self._fields.append(field)

    def insert(self, index: int, name: str, value: str) -> None:
        """Insert a line at ``index`` of the field list."""
        self._fields.insert(index, HeaderField(_check_name(name), _check_value(value)))

    def prepend(self, name: str, value: str) -> None:
        """Insert a line before every other line of the same header, or first if there is none.

        For Via and Record-Route this is "add on top" (RFC 3261 sections 16.6 and 18.1.1).
        """
        key = header_key(name)
        for index, f in enumerate(self._fields):
            if f.key == key:
                self.insert(index, name, value)
                return
        self.insert(0, name, value)

    def set(self, name: str, value: str) -> None:
        """Make ``value`` the only value of ``name``: replaces the first line in place (keeping its
        spelling) and removes the others; appends when absent."""
        key = header_key(name)
        found = False
        kept: list[HeaderField] = []
        for f in self._fields:
            if f.key != key:
                kept.append(f)
            elif not found:
                kept.append(HeaderField(f.name, _check_value(value)))
                found = True
        self._fields = kept
        if not found:
            self.add(name, value)

    def remove(self, name: str) -> int:
        """Remove every line named ``name``; returns how many were removed."""
        key = header_key(name)
        before = len(self._fields)
        self._fields = [f for f in self._fields if f.key != key]
        return before - len(self._fields)

    def pop_first_element(self, name: str) -> str | None:
        """Remove the first list element of ``name`` (e.g. the top Via) and return it.

        If the first line holds several comma-separated elements, only the first element is removed
        and the line keeps the rest; a line left empty is removed.
        """
        key = header_key(name)
        for index, f in enumerate(self._fields):
            if f.key != key:
                continue
            elements = split_header_list(f.value)
            if not elements:
                del self._fields[index]
                continue
            first, rest = elements[0], elements[1:]
            if rest:
                self._fields[index] = HeaderField(f.name, ", ".join(rest))
            else:
                del self._fields[index]
            return first
        return None

    def replace_first_element(self, name: str, element: str) -> None:
        """Replace the first list element of ``name`` (e.g. to add ``received`` to the top Via)."""
        key = header_key(name)
        for index, f in enumerate(self._fields):
            if f.key != key:
                continue
            elements = split_header_list(f.value)
            if not elements:
                continue
            elements[0] = element
            self._fields[index] = HeaderField(f.name, ", ".join(elements))
            return
        raise KeyError(name)

    def copy(self) -> Headers:
        """An independent copy (fields are copied, raw bytes kept)."""
        return Headers(HeaderField(f.name, f.value, f.raw) for f in self._fields)

    def to_bytes(self, *, normalize: bool = False) -> bytes:
        """Every line followed by CRLF; parsed lines keep their original bytes unless ``normalize``, which
        writes every line as ``Name: value`` (folding removed, spelling kept)."""
        if normalize:
            return b"".join(f"{f.name}: {f.value}\r\n".encode("utf-8") for f in self._fields)
        return b"".join(f.to_bytes() + b"\r\n" for f in self._fields)


def _check_name(name: str) -> str:
    if not is_token(name):
        raise ValueError(f"invalid header name {name!r}")
    return name


def _check_value(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("header value must not contain CR or LF")
    return value
