"""DER primitives for the hand-written CMS codec: TLV headers, object identifiers, integers.

Strict by design (X.690 clause 10): a reader here accepts only definite, minimal lengths and tags in
their one canonical form, and reports anything else by raising `NotDer`. The lean reader of the
profile's body shape (`lean_cms`) turns that into "not the fixed shape" and leaves the input to the
general asn1crypto reader, which also takes BER and names the fault precisely. Writers here produce
the DER that asn1crypto produces for the same values (tests/unit/smime/test_lean_cms.py compares).
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["NotDer", "tlv", "length_octets", "read_header", "encode_oid", "decode_oid",
           "encode_unsigned", "decode_integer", "check_open_type"]

# Tag numbers (any class) of the values asn1crypto reads where the schema says ANY, as an attribute
# value: the universal types it knows (`asn1crypto.core._UNIVERSAL_SPECS`). Others it refuses.
_OPEN_TYPE_TAG_NUMBERS = frozenset(range(1, 14)) | frozenset(range(16, 31))


class NotDer(Exception):
    """The octets are not DER of the expected form (never leaves the smime package)."""


def length_octets(length: int) -> bytes:
    """The DER length octets of a contents length (X.690 8.1.3, 10.1: definite, minimal)."""
    if length < 0x80:
        return bytes((length,))
    size = (length.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + length.to_bytes(size, "big")


def tlv(tag: int, contents: bytes) -> bytes:
    """One TLV with a single-octet identifier (every tag of the profile is below 31)."""
    return bytes((tag,)) + length_octets(len(contents)) + contents


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(identifier, contents start, contents end) of the TLV at ``pos``, which must end by ``end``.

    The identifier is returned as its first octet; a high tag number (first octet ``xx11111``) must
    be in its minimal base-128 form and at least 31, and is skipped over. Lengths must be definite,
    minimal and at most four octets long.
    """
    if pos + 2 <= end:  # the common case: one identifier octet, a short-form length
        first, length = data[pos], data[pos + 1]
        if length < 0x80 and first & 0x1F != 0x1F:
            stop = pos + 2 + length
            if stop > end:
                raise NotDer("contents overrun their container")
            return first, pos + 2, stop
    if pos >= end:
        raise NotDer("truncated identifier")
    first = data[pos]
    pos += 1
    if first & 0x1F == 0x1F:
        if pos >= end or data[pos] == 0x80:
            raise NotDer("high tag number not minimal")
        number = 0
        while True:
            if pos >= end:
                raise NotDer("truncated tag number")
            octet = data[pos]
            pos += 1
            number = (number << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        if number < 31:
            raise NotDer("low tag number in high-tag form")
    if pos >= end:
        raise NotDer("truncated length")
    length = data[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise NotDer("indefinite length")
        if count > 4 or pos + count > end or data[pos] == 0:
            raise NotDer("length not minimal")
        length = int.from_bytes(data[pos:pos + count], "big")
        if length < 0x80:
            raise NotDer("length not minimal")
        pos += count
    stop = pos + length
    if stop > end:
        raise NotDer("contents overrun their container")
    return first, pos, stop


# Dotted object identifiers in their one canonical spelling: no leading zeros, a first arc of 0, 1 or
# 2, a second arc below 40 under 0 and 1 (X.660).
_DOTTED_OID = re.compile(r"(?:[01]\.(?:[0-9]|[1-3][0-9])|2\.(?:0|[1-9][0-9]*))(?:\.(?:0|[1-9][0-9]*))*\Z")


def _base128(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


@lru_cache(maxsize=256)  # a handful of identifiers recur: the replay stamp's, the content types
def encode_oid(dotted: str) -> bytes:
    """The DER TLV (tag 6) of a dotted object identifier; ``ValueError`` for another spelling."""
    if not isinstance(dotted, str) or not _DOTTED_OID.match(dotted):
        raise ValueError(f"not a dotted object identifier: {dotted!r}")
    arcs = [int(arc) for arc in dotted.split(".")]
    contents = _base128(arcs[0] * 40 + arcs[1]) + b"".join(_base128(arc) for arc in arcs[2:])
    return tlv(0x06, contents)


def decode_oid(contents: bytes) -> str:
    """The dotted form of OBJECT IDENTIFIER contents octets, each subidentifier minimal."""
    if not contents or contents[-1] & 0x80:
        raise NotDer("object identifier truncated")
    arcs: list[int] = []
    value = 0
    fresh = True
    for octet in contents:
        if fresh and octet == 0x80:
            raise NotDer("object identifier subidentifier not minimal")
        value = (value << 7) | (octet & 0x7F)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def encode_unsigned(value: int) -> bytes:
    """The DER contents of a non-negative INTEGER (minimal two's complement)."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def decode_integer(contents: bytes) -> int:
    """A DER INTEGER's value from its contents octets, which must be minimal."""
    if not contents:
        raise NotDer("empty integer")
    if len(contents) > 1 and (
        (contents[0] == 0 and not contents[1] & 0x80) or (contents[0] == 0xFF and contents[1] & 0x80)
    ):
        raise NotDer("integer not minimal")
    return int.from_bytes(contents, "big", signed=True)


def check_open_type(first: int) -> None:
    """Refuse a value of ANY type whose tag number the general (asn1crypto) reader does not take."""
    if first & 0x1F not in _OPEN_TYPE_TAG_NUMBERS:
        raise NotDer(f"tag number {first & 0x1F} of an attribute value")
