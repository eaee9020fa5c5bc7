"""The mcptt-info document (``application/vnd.3gpp.mcptt-info+xml``, TS 24.379 F.1), sans-IO.

    <mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0">
      <mcptt-Params>
        <mcptt-request-uri type="Normal"><mcpttURI>sip:mcptt-as@example.org</mcpttURI></mcptt-request-uri>
        <mcptt-calling-user-id type="Normal"><mcpttURI>sip:alice@example.org</mcpttURI></mcptt-calling-user-id>
      </mcptt-Params>
    </mcpttinfo>

Only the elements this suite uses are read (:data:`FIELDS`); other elements of ``mcptt-Params`` are
ignored, as TS 24.379 asks of receivers. Parsing is hardened: at most :data:`MAX_INFO_BYTES`, no
DTD, no entity expansion, no network access. Every refusal is :class:`MalformedInfo` (400).
Protected content (``type="Encrypted"``, XML encryption) is outside this profile and refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache

from lxml import etree

from mcsec.impl.mcptt.errors import MalformedInfo
from mcsec.impl.sip.memo import remembered

CONTENT_TYPE = "application/vnd.3gpp.mcptt-info+xml"
NS = "urn:3gpp:ns:mcpttInfo:1.0"
MAX_INFO_BYTES = 16 * 1024
MAX_VALUE_CHARS = 512
_URI_SCHEMES = ("sip:", "sips:", "tel:", "urn:")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")  # \s: the characters str.isspace() takes

# JSON name (upper tester) -> (element name, value element)
FIELDS: dict[str, tuple[str, str]] = {
    "request_uri": ("mcptt-request-uri", "mcpttURI"),
    "calling_user_id": ("mcptt-calling-user-id", "mcpttURI"),
    "called_party_id": ("mcptt-called-party-id", "mcpttURI"),
    "calling_group_id": ("mcptt-calling-group-id", "mcpttURI"),
    "session_type": ("session-type", "mcpttString"),
}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@dataclass(frozen=True)
class McpttInfo:
    """The mcptt-Params this suite reads and writes (every one optional)."""

    request_uri: str | None = None
    calling_user_id: str | None = None
    called_party_id: str | None = None
    calling_group_id: str | None = None
    session_type: str | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                _check_value(item.name, value)

    def to_dict(self) -> dict[str, str]:
        """The fields that are set, by JSON name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: object) -> McpttInfo:
        """From a JSON object of JSON names; ``ValueError`` names an unknown key or bad value."""
        if not isinstance(data, dict):
            raise ValueError("mcptt_info must be an object")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown mcptt_info field(s): {', '.join(unknown)} "
                             f"(known: {', '.join(FIELDS)})")
        for key, value in data.items():
            if value is not None and not isinstance(value, str):
                raise ValueError(f"mcptt_info.{key} must be a string")
        try:
            return cls(**data)
        except MalformedInfo as exc:
            raise ValueError(str(exc)) from None

    def merged(self, **defaults: str | None) -> McpttInfo:
        """A copy where unset fields take the given defaults."""
        values = self.to_dict()
        for key, value in defaults.items():
            if values.get(key) is None and value is not None:
                values[key] = value
        return McpttInfo(**values)


def _check_value(name: str, value: str) -> None:
    if not value or len(value) > MAX_VALUE_CHARS or _SPACE_OR_CONTROL.search(value):
        raise MalformedInfo(f"{name}: empty, too long or containing white space or control characters")
    if FIELDS[name][1] == "mcpttURI" and not value.lower().startswith(_URI_SCHEMES):
        raise MalformedInfo(f"{name}: not a sip, sips, tel or urn URI")


@lru_cache(maxsize=256)
def build(info: McpttInfo) -> bytes:
    """The XML document (UTF-8, with declaration).

    The last documents are kept (``info`` is immutable): the same identities recur message after
    message, and each response echoes the mcptt-info of its request."""
    root = etree.Element(_q("mcpttinfo"), nsmap={None: NS})
    params = etree.SubElement(root, _q("mcptt-Params"))
    for key, (element, value_element) in FIELDS.items():
        value = getattr(info, key)
        if value is None:
            continue
        holder = etree.SubElement(params, _q(element), type="Normal")
        etree.SubElement(holder, _q(value_element)).text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@remembered
def parse(data: bytes) -> McpttInfo:
    """Read an mcptt-info document; :class:`MalformedInfo` when it is not one this profile takes.

    The results for the last short documents are kept (see :mod:`mcsec.impl.sip.memo`; a refusal is
    never kept): the same identities recur message after message."""
    if len(data) > MAX_INFO_BYTES:
        raise MalformedInfo(f"mcptt-info larger than {MAX_INFO_BYTES} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise MalformedInfo("mcptt-info: document type declarations are not accepted")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedInfo(f"mcptt-info is not well-formed XML (line {exc.lineno})") from None
    if root.tag != _q("mcpttinfo"):
        raise MalformedInfo("mcptt-info: root element is not mcpttinfo in urn:3gpp:ns:mcpttInfo:1.0")
    params = root.findall(_q("mcptt-Params"))
    if len(params) != 1:
        raise MalformedInfo("mcptt-info: exactly one mcptt-Params expected")
    values: dict[str, str] = {}
    by_element = {element: (key, value_element) for key, (element, value_element) in FIELDS.items()}
    for child in params[0]:
        if not isinstance(child.tag, str) or child.tag[:len(NS) + 2] != f"{{{NS}}}":
            continue
        local = child.tag[len(NS) + 2:]
        if local not in by_element:
            continue  # an element this profile does not use
        key, value_element = by_element[local]
        if key in values:
            raise MalformedInfo(f"mcptt-info: {local} occurs more than once")
        kind = child.get("type", "Normal")
        if kind != "Normal":
            raise MalformedInfo(f"mcptt-info: {local} has type {kind!r}; only Normal is supported")
        holders = [c for c in child if isinstance(c.tag, str)]
        if len(holders) != 1 or holders[0].tag != _q(value_element):
            raise MalformedInfo(f"mcptt-info: {local} must hold exactly one {value_element}")
        text = (holders[0].text or "").strip()
        _check_value(key, text)
        values[key] = text
    return McpttInfo(**values)
