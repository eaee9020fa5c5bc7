"""The profile's one body shape in hand-written DER: built from a template, read directly.

Every protected SIP body the suite and the reference roles make has the same shape (docs/smime.md):

    30 L  ContentInfo
       06 0b 2a864886f70d0109100117                    id-ct-authEnvelopedData
       a0 L  30 L  AuthEnvelopedData
          02 01 00                                     version 0
          31 L  a2 L                                   one [2] KEKRecipientInfo
             02 01 04                                  version 4
             30 L  04 L <Key ID>                       kekid { keyIdentifier }
             30 0b 06 09 608648016503040105            id-aes128-wrap, parameters absent
             04 18 <wrapped content key>
          30 L  EncryptedContentInfo
             06 L <content type>
             30 1e 06 09 608648016503040106            id-aes128-GCM
                30 11 04 0c <nonce> 02 01 10           GCMParameters { nonce, ICV length 16 }
             80 L <ciphertext>                         [0] encryptedContent
          a1 L <attributes>                            [1] authAttrs, when present
          04 10 <tag>                                  mac

`build` writes it from constant prefixes with the lengths computed; the output is byte for byte what
the asn1crypto encoder of `cms_schema` writes (tests/unit/smime/test_lean_cms.py). `read` takes only
the DER of this shape, with every tag and length checked against its container, and returns the
same `Envelope` the general reader (`asn1_reader`) would; for any other input, well-formed or not,
it returns None and the general reader decides, so the errors a body gets stay the general reader's.
"""
from __future__ import annotations

from mcsec.impl.smime.attributes import Attribute, find_single
from mcsec.impl.smime.der import NotDer, check_open_type, decode_oid, encode_oid, read_header, tlv
from mcsec.impl.smime.errors import MalformedCms
from mcsec.impl.smime.oids import (
    ID_AES128_GCM,
    ID_AES128_WRAP,
    ID_CONTENT_TYPE_ATTR,
    ID_CT_AUTH_ENVELOPED_DATA,
    ID_DATA,
    ID_MCSEC_REPLAY_STAMP,
)
from mcsec.impl.smime.shape import ICV_SIZE, NONCE_SIZE, WRAPPED_KEY_SIZE, Envelope

__all__ = ["build", "read"]

_SEQUENCE, _SET, _OCTET_STRING, _OID = 0x30, 0x31, 0x04, 0x06
_CONTENT, _KEKRI, _ENCRYPTED_CONTENT, _AUTH_ATTRS = 0xA0, 0xA2, 0x80, 0xA1

_CONTENT_INFO_TYPE = encode_oid(ID_CT_AUTH_ENVELOPED_DATA)
_ID_DATA = encode_oid(ID_DATA)
_VERSION_0 = b"\x02\x01\x00"
_VERSION_4 = b"\x02\x01\x04"
_WRAP_ALGORITHM = tlv(_SEQUENCE, encode_oid(ID_AES128_WRAP))
_WRAPPED_KEY_HEADER = bytes((_OCTET_STRING, WRAPPED_KEY_SIZE))
_ICV_LENGTH = b"\x02\x01" + bytes((ICV_SIZE,))


def _gcm_algorithm_prefix(write_icv_len: bool) -> bytes:
    """AlgorithmIdentifier { id-aes128-GCM, GCMParameters { nonce[, ICV length] } } up to the nonce."""
    params = tlv(_OCTET_STRING, bytes(NONCE_SIZE)) + (_ICV_LENGTH if write_icv_len else b"")
    whole = tlv(_SEQUENCE, encode_oid(ID_AES128_GCM) + tlv(_SEQUENCE, params))
    return whole[:len(whole) - len(params) + 2]


_GCM_PREFIX = _gcm_algorithm_prefix(True)
_GCM_PREFIX_NO_ICV = _gcm_algorithm_prefix(False)
_MAC_HEADER = bytes((_OCTET_STRING, ICV_SIZE))
# Contents octets of the attribute types the suite writes, and their dotted form.
_KNOWN_OIDS = {encode_oid(oid)[2:]: oid for oid in (ID_CONTENT_TYPE_ATTR, ID_MCSEC_REPLAY_STAMP)}


def build(*, key_id: bytes, wrapped_key: bytes, content_type: str, nonce: bytes, ciphertext: bytes,
          tag: bytes, aad: bytes, write_icv_len: bool = True) -> bytes:
    """The DER ContentInfo of a sealed body.

    ``aad`` is the DER SET OF of the authenticated attributes (`attributes.encode_attributes`), or
    empty; it travels with the [1] tag in place of the SET OF tag. Sizes are the caller's to check.
    """
    kekri = (_VERSION_4 + tlv(_SEQUENCE, tlv(_OCTET_STRING, key_id)) + _WRAP_ALGORITHM
             + _WRAPPED_KEY_HEADER + wrapped_key)
    content_type_oid = _ID_DATA if content_type == ID_DATA else encode_oid(content_type)
    gcm = _GCM_PREFIX + nonce + _ICV_LENGTH if write_icv_len else _GCM_PREFIX_NO_ICV + nonce
    encrypted = tlv(_SEQUENCE, content_type_oid + gcm + tlv(_ENCRYPTED_CONTENT, ciphertext))
    auth_attrs = bytes((_AUTH_ATTRS,)) + aad[1:] if aad else b""
    aed = tlv(_SEQUENCE, _VERSION_0 + tlv(_SET, tlv(_KEKRI, kekri)) + encrypted + auth_attrs + _MAC_HEADER + tag)
    return tlv(_SEQUENCE, _CONTENT_INFO_TYPE + tlv(_CONTENT, aed))


def read(der: bytes) -> Envelope | None:
    """The fields of ``der`` when it is the DER of the profile's shape and acceptable; else None."""
    try:
        return _read(der)
    except (NotDer, MalformedCms, ValueError):
        return None


def _expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = read_header(data, pos, end)
    if found != tag:
        raise NotDer(f"tag {found:#04x} where {tag:#04x} belongs")
    return start, stop


def _constant(data: bytes, pos: int, end: int, octets: bytes) -> int:
    if not data.startswith(octets, pos, end):
        raise NotDer("octets differ from the profile's")
    return pos + len(octets)


def _read(d: bytes) -> Envelope | None:
    n = len(d)
    pos, end = _expect(d, 0, n, _SEQUENCE)  # ContentInfo
    if end != n:
        return None
    pos = _constant(d, pos, end, _CONTENT_INFO_TYPE)
    pos, stop = _expect(d, pos, end, _CONTENT)
    if stop != end:
        return None
    pos, stop = _expect(d, pos, end, _SEQUENCE)  # AuthEnvelopedData
    if stop != end:
        return None
    pos = _constant(d, pos, end, _VERSION_0)

    recipients, recipients_end = _expect(d, pos, end, _SET)
    pos, kekri_end = _expect(d, recipients, recipients_end, _KEKRI)
    if kekri_end != recipients_end:
        return None  # not exactly one recipient
    pos = _constant(d, pos, kekri_end, _VERSION_4)
    kekid, kekid_end = _expect(d, pos, kekri_end, _SEQUENCE)
    key_id_start, key_id_end = _expect(d, kekid, kekid_end, _OCTET_STRING)
    if key_id_end != kekid_end or key_id_start == key_id_end:
        return None  # date or other present, or an empty Key ID
    pos = _constant(d, kekid_end, kekri_end, _WRAP_ALGORITHM)
    pos = _constant(d, pos, kekri_end, _WRAPPED_KEY_HEADER)
    if pos + WRAPPED_KEY_SIZE != kekri_end:
        return None

    pos, encrypted_end = _expect(d, recipients_end, end, _SEQUENCE)  # EncryptedContentInfo
    oid_start, oid_end = _expect(d, pos, encrypted_end, _OID)
    if d.startswith(_ID_DATA, pos, oid_end) and oid_end - pos == len(_ID_DATA):
        content_type = ID_DATA
    else:
        content_type = decode_oid(d[oid_start:oid_end])
    pos = _constant(d, oid_end, encrypted_end, _GCM_PREFIX)
    nonce_start = pos
    pos = _constant(d, pos + NONCE_SIZE, encrypted_end, _ICV_LENGTH)
    ciphertext_start, ciphertext_end = _expect(d, pos, encrypted_end, _ENCRYPTED_CONTENT)
    if ciphertext_end != encrypted_end:
        return None

    pos = encrypted_end
    aad = b""
    attributes: tuple[Attribute, ...] = ()
    if pos < end and d[pos] == _AUTH_ATTRS:
        attrs_start, attrs_end = _expect(d, pos, end, _AUTH_ATTRS)
        attributes = _attributes(d, attrs_start, attrs_end)
        aad = bytes((_SET,)) + d[pos + 1:attrs_end]  # RFC 5083 2.2: the SET OF tag, not [1]
        pos = attrs_end
    pos = _constant(d, pos, end, _MAC_HEADER)
    if pos + ICV_SIZE != end:
        return None  # another mac length, or unauthAttrs follow
    if not _content_type_vouched(content_type, attributes):
        return None
    return Envelope(
        key_id=d[key_id_start:key_id_end],
        wrapped_key=d[kekri_end - WRAPPED_KEY_SIZE:kekri_end],
        nonce=d[nonce_start:nonce_start + NONCE_SIZE],
        ciphertext=d[ciphertext_start:ciphertext_end],
        tag=d[pos:end],
        content_type=content_type,
        aad=aad,
        auth_attributes=attributes,
    )


def _attributes(d: bytes, pos: int, end: int) -> tuple[Attribute, ...]:
    """SET OF Attribute { type, SET OF value }, each value kept as its DER octets.

    RFC 5083 requires DER here: minimal definite lengths all the way down, and both the attributes
    and each attribute's values in SET OF order (X.690 11.6), as `attributes.received_aad` checks.
    """
    out = []
    previous = b""
    while pos < end:
        start, stop = _expect(d, pos, end, _SEQUENCE)
        encoding = d[pos:stop]
        if encoding < previous:
            raise NotDer("attributes not in SET OF order")
        previous = encoding
        oid_start, oid_end = _expect(d, start, stop, _OID)
        values_start, values_end = _expect(d, oid_end, stop, _SET)
        if values_end != stop:
            raise NotDer("attribute holds more than type and values")
        values = []
        while values_start < values_end:
            first, contents, value_end = read_header(d, values_start, values_end)
            check_open_type(first)
            if first & 0x20:
                _check_nested(d, contents, value_end)
            value = d[values_start:value_end]
            if values and value < values[-1]:
                raise NotDer("attribute values not in SET OF order")
            values.append(value)
            values_start = value_end
        oid = d[oid_start:oid_end]
        out.append(Attribute(_KNOWN_OIDS.get(oid) or decode_oid(oid), tuple(values)))  # ValueError when empty
        pos = stop
    return tuple(out)


def _check_nested(d: bytes, pos: int, end: int) -> None:
    """Every TLV inside a constructed value has a DER header, recursively."""
    while pos < end:
        first, contents, pos = read_header(d, pos, end)
        if first & 0x20:
            _check_nested(d, contents, pos)


def _content_type_vouched(content_type: str, attributes: tuple[Attribute, ...]) -> bool:
    """Anything but id-data must be named by the content-type attribute, and the two agree
    (docs/smime.md: the EncryptedContentInfo contentType is outside the GCM tag)."""
    declared = find_single(attributes, ID_CONTENT_TYPE_ATTR)
    if declared is None:
        return content_type == ID_DATA
    start, stop = _expect(declared, 0, len(declared), _OID)
    return stop == len(declared) and decode_oid(declared[start:stop]) == content_type
