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

Sans-IO: bytes in, bytes or dataclasses out. Parsing accepts BER (RFC 5652
allows it) except in authAttrs, which must be DER.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

from asn1crypto import core
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.attributes import (
    Attribute,
    content_type_attribute,
    decode_attributes,
    encode_attributes,
    find_single,
    received_aad,
)
from mcsec.impl.smime.errors import MalformedCms, Undecipherable, UnknownKeyId, UnsupportedCms
from mcsec.impl.smime.oids import (
    ID_AES128_GCM,
    ID_AES128_WRAP,
    ID_CONTENT_TYPE_ATTR,
    ID_CT_AUTH_ENVELOPED_DATA,
    ID_DATA,
    ID_ENVELOPED_DATA,
    ID_MCSEC_REPLAY_STAMP,
)
from mcsec.impl.smime.replay_stamp import ReplayStamp

KEY_SIZE = 16  # AES-128: the CEK and the per-message content key
NONCE_SIZE = 12  # RFC 5084 recommended GCM nonce size
ICV_SIZE = 16  # GCM tag length written and required by the profile
WRAPPED_KEY_SIZE = KEY_SIZE + 8  # RFC 3394 output: n+1 64-bit blocks

AUTH_ENVELOPED_DATA_VERSION = 0  # RFC 5083 2.1: "MUST be set to 0"
KEK_RECIPIENT_INFO_VERSION = 4  # RFC 5652 6.2.3: "always set to 4"

KeyLookup = Callable[[bytes], "bytes | None"]


@dataclass(frozen=True)
class Opened:
    """The result of opening a protected body."""

    content: bytes
    key_id: bytes
    content_type: str = ID_DATA
    auth_attributes: tuple[Attribute, ...] = ()
    replay_stamp: ReplayStamp | None = None


@dataclass(frozen=True)
class _Envelope:
    """Every field of a parsed body that opening needs, read before any crypto."""

    key_id: bytes
    wrapped_key: bytes = field(repr=False)
    nonce: bytes
    ciphertext: bytes = field(repr=False)
    tag: bytes = field(repr=False)
    content_type: str
    aad: bytes
    auth_attributes: tuple[Attribute, ...]


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

    gcm_params = {"aes_nonce": nonce}
    if write_icv_len:
        gcm_params["aes_icvlen"] = ICV_SIZE
    kekri = cms_schema.KekRecipientInfo(
        {
            "version": KEK_RECIPIENT_INFO_VERSION,
            "kekid": {"key_identifier": key_id},
            "key_encryption_algorithm": {"algorithm": ID_AES128_WRAP},
            "encrypted_key": wrapped,
        }
    )
    aed = {
        "version": AUTH_ENVELOPED_DATA_VERSION,
        "recipient_infos": [cms_schema.RecipientInfo(name="kekri", value=kekri)],
        "auth_encrypted_content_info": {
            "content_type": content_type,
            "content_encryption_algorithm": {
                "algorithm": ID_AES128_GCM,
                "parameters": cms_schema.GcmParameters(gcm_params),
            },
            "encrypted_content": ciphertext,
        },
        "mac": tag,
    }
    if aad:
        aed["auth_attrs"] = cms_schema.CmsAttributes.load(aad)
    info = cms_schema.ContentInfo(
        {
            "content_type": ID_CT_AUTH_ENVELOPED_DATA,
            "content": cms_schema.AuthEnvelopedData(aed, explicit=0),
        }
    )
    return info.dump(force=True)


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


def open(der: bytes, *, key_lookup: KeyLookup) -> Opened:  # noqa: A001 - codec verb
    """Open a protected body.

    `key_lookup(key_id)` returns the 16-octet CEK for a Key ID, or None when
    the Key ID is unknown to the receiver. Raises `MalformedCms`/`UnsupportedCms`,
    `UnknownKeyId` or `Undecipherable`; nothing is returned unless the GCM tag
    over the content and the authenticated attributes verified.
    """
    envelope = _parse(der)
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


_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)


def _parse(der: bytes) -> _Envelope:
    if not isinstance(der, (bytes, bytearray, memoryview)):
        raise TypeError("a protected body is bytes")
    data = bytes(der)
    if not data:
        raise MalformedCms("empty body")
    try:
        return _read_envelope(data)
    except MalformedCms:
        raise
    except _PARSE_ERRORS as exc:
        raise MalformedCms(f"not a CMS structure of the profile ({type(exc).__name__})") from None


def _read_envelope(data: bytes) -> _Envelope:
    info = cms_schema.ContentInfo.load(data, strict=True)
    outer_type = info["content_type"].dotted
    if outer_type == ID_ENVELOPED_DATA:
        raise UnsupportedCms("EnvelopedData is not supported; AuthEnvelopedData is required")
    if outer_type != ID_CT_AUTH_ENVELOPED_DATA:
        raise UnsupportedCms(f"content type {outer_type} is not id-ct-authEnvelopedData")
    # asn1crypto parses lazily; every field is read inside this guarded
    # function, so an encoding error anywhere surfaces as MalformedCms.
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)

    if aed["version"].native != AUTH_ENVELOPED_DATA_VERSION:
        raise MalformedCms("AuthEnvelopedData version is not 0")
    recipients = aed["recipient_infos"]
    if len(recipients) != 1:
        raise UnsupportedCms("exactly one RecipientInfo is required")
    recipient = recipients[0]
    if recipient.name != "kekri":
        raise UnsupportedCms(f"RecipientInfo {recipient.name} is not supported; kekri is required")
    kekri = recipient.chosen
    if kekri["version"].native != KEK_RECIPIENT_INFO_VERSION:
        raise MalformedCms("KEKRecipientInfo version is not 4")
    key_id = kekri["kekid"]["key_identifier"].native
    if not key_id:
        raise MalformedCms("empty Key ID")
    wrap_alg = kekri["key_encryption_algorithm"]
    if wrap_alg["algorithm"].dotted != ID_AES128_WRAP:
        raise UnsupportedCms("key encryption algorithm is not id-aes128-wrap")
    if not isinstance(wrap_alg["parameters"], core.Void):
        raise MalformedCms("id-aes128-wrap parameters must be absent (RFC 3565)")
    wrapped_key = kekri["encrypted_key"].native
    if len(wrapped_key) != WRAPPED_KEY_SIZE:
        raise UnsupportedCms("wrapped key does not hold a 16-octet content key")

    eci = aed["auth_encrypted_content_info"]
    content_type = eci["content_type"].dotted
    alg = eci["content_encryption_algorithm"]
    if alg["algorithm"].dotted != ID_AES128_GCM:
        raise UnsupportedCms("content encryption algorithm is not id-aes128-GCM")
    if isinstance(alg["parameters"], core.Void):
        raise MalformedCms("GCMParameters missing")
    params = alg["parameters"].parse(cms_schema.GcmParameters)
    nonce = params["aes_nonce"].native
    icv_len = 12 if isinstance(params["aes_icvlen"], core.Void) else params["aes_icvlen"].native
    if len(nonce) != NONCE_SIZE:
        raise UnsupportedCms("GCM nonce is not 12 octets")
    if icv_len != ICV_SIZE:
        raise UnsupportedCms(f"GCM ICV length {icv_len} is not supported (16 required)")
    if isinstance(eci["encrypted_content"], core.Void):
        raise UnsupportedCms("detached content is not supported")
    ciphertext = eci["encrypted_content"].native
    tag = aed["mac"].native
    if len(tag) != icv_len:
        raise MalformedCms("mac length differs from the GCM ICV length")

    auth_attrs = aed["auth_attrs"]
    if isinstance(auth_attrs, core.Void):
        aad = b""
        attributes: tuple[Attribute, ...] = ()
    else:
        aad = received_aad(auth_attrs.dump())
        attributes = decode_attributes(auth_attrs)
    if content_type != ID_DATA and not attributes:
        raise MalformedCms("authAttrs are required when the content is not id-data (RFC 5083)")
    # The EncryptedContentInfo contentType is outside the GCM tag; only the
    # content-type authenticated attribute vouches for it. Anything but id-data
    # must therefore be named by that attribute, and the two must agree.
    declared = find_single(attributes, ID_CONTENT_TYPE_ATTR)
    if declared is None:
        if content_type != ID_DATA:
            raise MalformedCms("content type other than id-data lacks a content-type attribute")
    elif core.ObjectIdentifier.load(declared).dotted != content_type:
        raise MalformedCms("content-type attribute differs from the encrypted content type")
    return _Envelope(
        key_id=key_id,
        wrapped_key=wrapped_key,
        nonce=nonce,
        ciphertext=ciphertext,
        tag=tag,
        content_type=content_type,
        aad=aad,
        auth_attributes=attributes,
    )
