"""Authenticated attributes of AuthEnvelopedData and the AAD rule of RFC 5083.

RFC 5083 section 2.2: the authAttrs are DER encoded; for the authenticated
encryption the IMPLICIT [1] tag is not used, an EXPLICIT SET OF tag is: the
associated data is the DER encoding of the attributes as a universal SET OF
(tag 0x31) followed by the same length and content octets that travel in the
message under the [1] tag. Without authAttrs the associated data is empty.

Encoding is by hand (`der.py`), with the sorting DER asks of a SET OF (X.690 11.6); decoding of a
parsed asn1crypto SET OF (`decode_attributes`) serves the general reader.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.der import NotDer, check_open_type, encode_oid, read_header, tlv
from mcsec.impl.smime.errors import MalformedCms
from mcsec.impl.smime.oids import ID_CONTENT_TYPE_ATTR

_SET_OF_TAG = 0x31
_AUTH_ATTRS_TAG = 0xA1  # [1] IMPLICIT, constructed


@dataclass(frozen=True)
class Attribute:
    """One CMS attribute: its type and its values, each value DER-encoded."""

    oid: str
    values: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("an attribute carries at least one value (RFC 5652 5.3)")
        for value in self.values:
            if not isinstance(value, bytes):
                raise TypeError("attribute values are DER-encoded bytes")


def content_type_attribute(content_type: str) -> Attribute:
    """The content-type attribute (RFC 5652 11.1) naming `content_type`."""
    return Attribute(ID_CONTENT_TYPE_ATTR, (encode_oid(content_type),))


def encode_attributes(attributes: Iterable[Attribute]) -> bytes:
    """DER of the attributes as a universal SET OF: the GCM associated data.

    Each attribute's values, and then the attributes, are sorted by their encodings (DER SET OF).
    ``ValueError`` when an OID is not in dotted form or a value is not one DER-encoded value.
    """
    items = []
    for attribute in attributes:
        for value in attribute.values:
            _require_one_der_value(value)
        values = tlv(_SET_OF_TAG, b"".join(sorted(attribute.values)))
        items.append(tlv(0x30, encode_oid(attribute.oid) + values))
    if not items:
        raise ValueError("an empty attribute set is omitted, not encoded")
    return tlv(_SET_OF_TAG, b"".join(sorted(items)))


def _require_one_der_value(value: bytes) -> None:
    try:
        first, _, end = read_header(value, 0, len(value))
        check_open_type(first)
    except NotDer as exc:
        raise ValueError(f"an attribute value must be one DER-encoded value: {exc}") from None
    if end != len(value):
        raise ValueError("an attribute value must be one DER-encoded value: trailing octets")


def received_aad(auth_attrs_field_der: bytes) -> bytes:
    """The associated data for a received [1] IMPLICIT authAttrs field.

    Replaces the [1] tag octet by the SET OF tag, keeping the received length
    and content octets, and refuses an encoding that is not DER (RFC 5083
    requires DER for authAttrs): definite minimal lengths throughout, and the
    attributes and each attribute's values in SET OF order (X.690 11.6).
    """
    if not auth_attrs_field_der or auth_attrs_field_der[0] != _AUTH_ATTRS_TAG:
        raise MalformedCms("authAttrs field does not carry the [1] tag")
    aad = bytes([_SET_OF_TAG]) + auth_attrs_field_der[1:]
    _check_der_attributes(aad)
    return aad


class _NotDer(Exception):
    pass


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(first tag octet, start of contents, end of contents, end of TLV)."""
    if pos >= len(data):
        raise _NotDer("truncated")
    first = data[pos]
    pos += 1
    if first & 0x1F == 0x1F:  # high tag number: base-128, minimal
        if pos >= len(data) or data[pos] == 0x80:
            raise _NotDer("tag")
        while pos < len(data) and data[pos] & 0x80:
            pos += 1
        pos += 1
    if pos >= len(data):
        raise _NotDer("truncated")
    length = data[pos]
    pos += 1
    if length == 0x80:
        raise _NotDer("indefinite length")
    if length > 0x80:
        count = length & 0x7F
        octets = data[pos : pos + count]
        if len(octets) != count or octets[0] == 0 or count > 4:
            raise _NotDer("length")
        length = int.from_bytes(octets, "big")
        if length < 0x80:
            raise _NotDer("length not minimal")
        pos += count
    end = pos + length
    if end > len(data):
        raise _NotDer("truncated")
    return first, pos, end, end


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """TLVs between start and end, each checked for DER length form, recursively."""
    result = []
    pos = start
    while pos < end:
        tlv_start = pos
        first, content_start, content_end, pos = _read_tlv(data, pos)
        if pos > end:
            raise _NotDer("element overruns its container")
        if first & 0x20:
            _elements(data, content_start, content_end)
        result.append((tlv_start, content_start, content_end, first))
    return result


def _check_set_of_order(data: bytes, items: list[tuple[int, int, int, int]]) -> None:
    encodings = [data[start:content_end] for start, _, content_end, _ in items]
    if encodings != sorted(encodings):
        raise _NotDer("SET OF not in DER order")


def _check_der_attributes(aad: bytes) -> None:
    try:
        _, start, end, total = _read_tlv(aad, 0)
        if total != len(aad):
            raise _NotDer("trailing data")
        attributes = _elements(aad, start, end)
        _check_set_of_order(aad, attributes)
        for _, attr_start, attr_end, _ in attributes:
            fields = _elements(aad, attr_start, attr_end)
            if len(fields) != 2 or fields[1][3] != _SET_OF_TAG:
                raise _NotDer("Attribute is SEQUENCE { type, SET OF value }")
            _check_set_of_order(aad, _elements(aad, fields[1][1], fields[1][2]))
    except _NotDer as exc:
        raise MalformedCms(f"authAttrs is not DER encoded (RFC 5083 2.1): {exc}") from None


def decode_attributes(attrs: cms_schema.CmsAttributes) -> tuple[Attribute, ...]:
    """Attributes of a parsed SET OF, each value kept as its DER octets."""
    result = []
    for item in attrs:
        values = tuple(value.dump() for value in item["values"])
        if not values:
            raise MalformedCms("attribute with an empty value set")
        result.append(Attribute(item["type"].dotted, values))
    return tuple(result)


def find_single(attributes: Iterable[Attribute], oid: str) -> bytes | None:
    """The one value of the attribute `oid`, or None when absent.

    An attribute that occurs twice, or with more than one value, is refused:
    the receiver could not tell which one the sender meant.
    """
    found = [attribute for attribute in attributes if attribute.oid == oid]
    if not found:
        return None
    if len(found) > 1 or len(found[0].values) != 1:
        raise MalformedCms(f"attribute {oid} must occur once with one value")
    return found[0].values[0]
