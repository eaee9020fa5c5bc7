"""Lexical building blocks of the SIP grammar (RFC 3261 section 25.1): tokens, quoted strings,
separator-aware splitting and ``;name=value`` parameter lists."""

from __future__ import annotations

import re
import string

__all__ = [
    "TOKEN_CHARS",
    "is_token",
    "split_outside_quotes",
    "Params",
    "parse_params",
    "format_params",
    "unquote",
    "quote",
]

#: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-.!%*_+`'~")
_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
# a token, a host (IPv6 reference "[...]" included) or the ":" of a host:port in e.g. maddr
_PLAIN_PARAM_VALUE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~\[\]:]+")

#: An ordered parameter list; names keep their spelling, a value of ``None`` means a bare flag (";lr").
Params = tuple[tuple[str, "str | None"], ...]


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 token."""
    return _TOKEN.fullmatch(text) is not None


def split_outside_quotes(text: str, sep: str, *, angle: bool = True) -> list[str]:
    """Split ``text`` on ``sep`` where it is outside quoted strings (and ``<...>`` when ``angle``).

    Backslash escapes inside quoted strings are honoured. Raises ``ValueError`` for an unterminated
    quoted string or angle bracket.
    """
    if '"' not in text and (not angle or ("<" not in text and ">" not in text)):
        return text.split(sep)
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    escaped_at = -1  # the position a backslash in a quoted string escapes
    # Only quotes, backslashes, angle brackets and the separator change the state: visit just those.
    for match in _special_characters(sep).finditer(text):
        index = match.start()
        ch = text[index]
        if in_quotes:
            if index == escaped_at:
                continue
            if ch == "\\":
                escaped_at = index + 1
            elif ch == '"':
                in_quotes = False
            continue
        if ch == '"':
            in_quotes = True
        elif angle and ch == "<":
            if in_angle:
                raise ValueError("nested '<'")
            in_angle = True
        elif angle and ch == ">":
            if not in_angle:
                raise ValueError("unbalanced '>'")
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append(text[start:index])
            start = index + 1
    if in_quotes:
        raise ValueError("unterminated quoted string")
    if in_angle:
        raise ValueError("unterminated '<'")
    parts.append(text[start:])
    return parts


_SPECIALS: dict[str, re.Pattern[str]] = {}


def _special_characters(sep: str) -> re.Pattern[str]:
    pattern = _SPECIALS.get(sep)
    if pattern is None:
        pattern = _SPECIALS[sep] = re.compile(r'[\\"<>]|' + re.escape(sep))
    return pattern


def unquote(text: str) -> str:
    """Remove the surrounding quotes of a quoted-string and resolve its backslash escapes."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError("not a quoted string")
    inner = text[1:-1]
    out: list[str] = []
    escaped = False
    for ch in inner:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            raise ValueError("unescaped quote inside quoted string")
        else:
            out.append(ch)
    if escaped:
        raise ValueError("dangling backslash in quoted string")
    return "".join(out)


def quote(text: str) -> str:
    """Make a quoted-string of ``text`` (escaping backslashes and quotes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _valid_param_value(value: str) -> bool:
    if value.startswith('"'):
        try:
            unquote(value)
        except ValueError:
            return False
        return True
    return _PLAIN_PARAM_VALUE.fullmatch(value) is not None


def parse_params(text: str) -> Params:
    """Parse ``;name[=value]`` items. ``text`` is what follows the first ``;`` (may be empty).

    Whitespace around names, ``=`` and values is allowed (SEMI/EQUAL of RFC 3261 include SWS).
    Raises ``ValueError`` on an empty or malformed parameter.
    """
    if not text.strip():
        raise ValueError("empty parameter")
    result: list[tuple[str, str | None]] = []
    for item in split_outside_quotes(text, ";", angle=False):
        name, eq, value = item.partition("=")
        name = name.strip()
        if not is_token(name):
            raise ValueError(f"bad parameter name {name!r}")
        if not eq:
            result.append((name, None))
            continue
        value = value.strip()
        if not _valid_param_value(value):
            raise ValueError(f"bad value for parameter {name!r}")
        result.append((name, value))
    return tuple(result)


def format_params(params: Params) -> str:
    """Serialise parameters, each preceded by ``;``."""
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def get_param(params: Params, name: str) -> str | None:
    """Value of parameter ``name`` (case-insensitive); ``""`` for a bare flag; ``None`` if absent."""
    wanted = name.lower()
    for key, value in params:
        if key.lower() == wanted:
            return "" if value is None else value
    return None


def has_param(params: Params, name: str) -> bool:
    """True when parameter ``name`` is present (case-insensitive)."""
    wanted = name.lower()
    return any(key.lower() == wanted for key, _ in params)


def with_param(params: Params, name: str, value: str | None) -> Params:
    """Copy of ``params`` with ``name`` set to ``value`` (replacing in place, or appended)."""
    wanted = name.lower()
    out: list[tuple[str, str | None]] = []
    replaced = False
    for key, old in params:
        if key.lower() == wanted:
            if not replaced:
                out.append((key, value))
                replaced = True
            continue
        out.append((key, old))
    if not replaced:
        out.append((name, value))
    return tuple(out)


def without_param(params: Params, name: str) -> Params:
    """Copy of ``params`` without parameter ``name``."""
    wanted = name.lower()
    return tuple((key, value) for key, value in params if key.lower() != wanted)


__all__ += ["get_param", "has_param", "with_param", "without_param"]
