"""CMS AuthEnvelopedData with one KEKRecipientInfo: seal and open.

Profile (3GPP TR 33.879 clause 7.13 bodies, see docs/smime.md):
- ContentInfo(id-ct-authEnvelopedData) holding AuthEnvelopedData version 0
  (RFC 5083 2.1);
- exactly one RecipientInfo, a KEKRecipientInfo version 4 whose
  kekid.keyIdentifier is the Key ID; the 16-octet CEK wraps a fresh 16-octet
  content key with AES key wrap (RFC 3394), algorithm id-aes128-wrap with
  absent parameters (RFC 3565 2.3.2);
- content encrypted with id-aes128-GCM (RFC 5084), 12-octet nonce, ICV length
  16 written explicitly in GCMParameters, the ICV carried in `mac`;
- optional authAttrs, authenticated as GCM associated data (RFC 5083 2.2).

Sans-IO: bytes in, bytes or dataclasses out. Bodies are written from the
profile's DER template (`lean_cms.build`). Reading takes the DER of that shape
directly (`lean_cms.read`) and hands anything else to the general asn1crypto
reader (`asn1_reader`), which accepts BER (RFC 5652 allows it) except in
authAttrs, which must be DER, and raises the typed errors.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mcsec.impl.smime import asn1_reader, lean_cms
from mcsec.impl.smime.attributes import Attribute, content_type_attribute, encode_attributes, find_single
from mcsec.impl.smime.errors import MalformedCms, Undecipherable, UnknownKeyId
from mcsec.impl.smime.oids import ID_CONTENT_TYPE_ATTR, ID_DATA, ID_MCSEC_REPLAY_STAMP
from mcsec.impl.smime.replay_stamp import ReplayStamp
from mcsec.impl.smime.shape import ICV_SIZE, KEY_SIZE, NONCE_SIZE, Envelope

KeyLookup = Callable[[bytes], "bytes | None"]


@dataclass(frozen=True)
class Opened:
    """The result of opening a protected body."""

    content: bytes
    key_id: bytes
    content_type: str = ID_DATA
    auth_attributes: tuple[Attribute, ...] = ()
    replay_stamp: ReplayStamp | None = None


# --------------------------------------------------------------------- sealing


def seal(
    content: bytes,
    *,
    cek: bytes,
    key_id: bytes,
    content_type: str = ID_DATA,
    auth_attributes: Sequence[Attribute] = (),
    replay_stamp: ReplayStamp | None = None,
) -> bytes:
    """Protect `content` for the holder of `cek`; returns a DER ContentInfo.

    A fresh content key and GCM nonce are drawn for every call. `replay_stamp`
    (see `ReplayStamp.new`) is added to the authenticated attributes; other
    authenticated attributes may be given as `auth_attributes`.
    """
    return seal_with_content_key(
        content,
        cek=cek,
        key_id=key_id,
        content_key=os.urandom(KEY_SIZE),
        nonce=os.urandom(NONCE_SIZE),
        content_type=content_type,
        auth_attributes=auth_attributes,
        replay_stamp=replay_stamp,
    )


def seal_with_content_key(
    content: bytes,
    *,
    cek: bytes,
    key_id: bytes,
    content_key: bytes,
    nonce: bytes,
    content_type: str = ID_DATA,
    auth_attributes: Sequence[Attribute] = (),
    replay_stamp: ReplayStamp | None = None,
    write_icv_len: bool = True,
) -> bytes:
    """`seal` with the per-message content key and nonce supplied by the caller.

    For reproducible vectors and deliberately crafted bodies only: a content
    key and nonce pair must never be used twice. `write_icv_len=False` omits
    the ICV length from GCMParameters (the DER default of 12 then applies,
    which contradicts the 16-octet tag: a deliberately non-conforming body).
    """
    _require_bytes(content=content, cek=cek, key_id=key_id, content_key=content_key, nonce=nonce)
    if len(cek) != KEY_SIZE or len(content_key) != KEY_SIZE:
        raise ValueError("CEK and content key must be 16 octets (AES-128)")
    if len(nonce) != NONCE_SIZE:
        raise ValueError("GCM nonce must be 12 octets")
    if not key_id:
        raise ValueError("Key ID must not be empty")

    attributes = list(auth_attributes)
    if replay_stamp is not None:
        attributes.append(replay_stamp.to_attribute())
    if content_type != ID_DATA and not any(a.oid == ID_CONTENT_TYPE_ATTR for a in attributes):
        # RFC 5083 2.1: authAttrs MUST be present when the content is not id-data.
        attributes.append(content_type_attribute(content_type))
    aad = encode_attributes(attributes) if attributes else b""

    sealed = AESGCM(content_key).encrypt(nonce, content, aad or None)
    ciphertext, tag = sealed[:-ICV_SIZE], sealed[-ICV_SIZE:]
    wrapped = keywrap.aes_key_wrap(cek, content_key)

    return lean_cms.build(key_id=key_id, wrapped_key=wrapped, content_type=content_type, nonce=nonce,
                          ciphertext=ciphertext, tag=tag, aad=aad, write_icv_len=write_icv_len)


def _require_bytes(**values: object) -> None:
    for name, value in values.items():
        if not isinstance(value, bytes):
            raise TypeError(f"{name} must be bytes")


# --------------------------------------------------------------------- opening


def peek_key_id(der: bytes) -> bytes:
    """The Key ID of a protected body, read without any key.

    The receiver uses it to find the CEK. Raises `MalformedCms` (or
    `UnsupportedCms`) when the body is not of the profile.
    """
    return _parse(der).key_id


def read_envelope(der: bytes) -> Envelope:
    """Every field of a protected body, read without any key (`MalformedCms`,
    `UnsupportedCms` when it is not of the profile): for a receiver that needs
    the Key ID before it opens the body, so the body is read once."""
    return _parse(der)


def open(der: bytes | Envelope, *, key_lookup: KeyLookup) -> Opened:  # noqa: A001 - codec verb
    """Open a protected body (its DER, or its fields from `read_envelope`).

    `key_lookup(key_id)` returns the 16-octet CEK for a Key ID, or None when
    the Key ID is unknown to the receiver. Raises `MalformedCms`/`UnsupportedCms`,
    `UnknownKeyId` or `Undecipherable`; nothing is returned unless the GCM tag
    over the content and the authenticated attributes verified.
    """
    envelope = der if isinstance(der, Envelope) else _parse(der)
    cek = key_lookup(envelope.key_id)
    if cek is None:
        raise UnknownKeyId("no CEK is known for the body's Key ID", key_id=envelope.key_id)
    if not isinstance(cek, bytes) or len(cek) != KEY_SIZE:
        raise ValueError("key_lookup must return a 16-octet CEK or None")
    try:
        content_key = keywrap.aes_key_unwrap(cek, envelope.wrapped_key)
    except keywrap.InvalidUnwrap:
        raise Undecipherable("content key unwrap failed (wrong CEK or altered body)") from None
    try:
        content = AESGCM(content_key).decrypt(
            envelope.nonce, envelope.ciphertext + envelope.tag, envelope.aad or None
        )
    except InvalidTag:
        raise Undecipherable("GCM authentication failed (altered body)") from None
    stamp_der = find_single(envelope.auth_attributes, ID_MCSEC_REPLAY_STAMP)
    stamp = ReplayStamp.from_der(stamp_der) if stamp_der is not None else None
    return Opened(
        content=content,
        key_id=envelope.key_id,
        content_type=envelope.content_type,
        auth_attributes=envelope.auth_attributes,
        replay_stamp=stamp,
    )


def _parse(der: bytes) -> Envelope:
    if not isinstance(der, (bytes, bytearray, memoryview)):
        raise TypeError("a protected body is bytes")
    data = bytes(der)
    if not data:
        raise MalformedCms("empty body")
    envelope = lean_cms.read(data)
    return envelope if envelope is not None else asn1_reader.read(data)
