"""The general reader of protected bodies, through asn1crypto (`cms_schema`).

It takes BER as RFC 5652 allows (OpenSSL's `-stream` output, for instance), every CMS shape, and
names what is wrong with a body outside the profile: `MalformedCms`, or `UnsupportedCms` for
well-formed CMS the profile does not take. The lean reader (`lean_cms`) handles the DER of the
profile's own shape and leaves everything else to this one.
"""
from __future__ import annotations

from asn1crypto import core

from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.attributes import Attribute, decode_attributes, find_single, received_aad
from mcsec.impl.smime.errors import MalformedCms, UnsupportedCms
from mcsec.impl.smime.oids import (
    ID_AES128_GCM,
    ID_AES128_WRAP,
    ID_CONTENT_TYPE_ATTR,
    ID_CT_AUTH_ENVELOPED_DATA,
    ID_DATA,
    ID_ENVELOPED_DATA,
)
from mcsec.impl.smime.shape import (
    AUTH_ENVELOPED_DATA_VERSION,
    ICV_SIZE,
    KEK_RECIPIENT_INFO_VERSION,
    NONCE_SIZE,
    WRAPPED_KEY_SIZE,
    Envelope,
)

__all__ = ["read"]

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)


def read(data: bytes) -> Envelope:
    """The fields of a body of the profile; `MalformedCms`/`UnsupportedCms` for anything else."""
    try:
        return _read_envelope(data)
    except MalformedCms:
        raise
    except _PARSE_ERRORS as exc:
        raise MalformedCms(f"not a CMS structure of the profile ({type(exc).__name__})") from None


def _no_extra_components(value: core.Asn1Value, depth: int = 0) -> None:
    """A SEQUENCE with more components than its type defines is not a value of that type (X.680 25; the
    types of RFC 5652 and RFC 5084 have no extension marker): MalformedCms. asn1crypto keeps such
    components without a word, so every SEQUENCE of the parsed tree is counted."""
    if depth > 32:
        raise MalformedCms("nested too deep")
    if isinstance(value, core.Sequence):
        if value.children is None:
            value._parse_children()
        if len(value.children) > len(value._fields):
            raise MalformedCms(f"{type(value).__name__} has components its type does not define")
        for index in range(len(value.children)):
            _no_extra_components(value._lazy_child(index), depth + 1)   # parsed on first access
    elif isinstance(value, (core.SequenceOf, core.SetOf)):
        for child in value:
            _no_extra_components(child, depth + 1)
    elif isinstance(value, core.Choice):
        _no_extra_components(value.chosen, depth + 1)


def _read_envelope(data: bytes) -> Envelope:
    info = cms_schema.ContentInfo.load(data, strict=True)
    outer_type = info["content_type"].dotted
    if outer_type == ID_ENVELOPED_DATA:
        raise UnsupportedCms("EnvelopedData is not supported; AuthEnvelopedData is required")
    if outer_type != ID_CT_AUTH_ENVELOPED_DATA:
        raise UnsupportedCms(f"content type {outer_type} is not id-ct-authEnvelopedData")
    # asn1crypto parses lazily; every field is read inside this guarded
    # function, so an encoding error anywhere surfaces as MalformedCms.
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)
    _no_extra_components(info)
    _no_extra_components(aed)

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
    _no_extra_components(params)
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
    return Envelope(
        key_id=key_id,
        wrapped_key=wrapped_key,
        nonce=nonce,
        ciphertext=ciphertext,
        tag=tag,
        content_type=content_type,
        aad=aad,
        auth_attributes=attributes,
    )
