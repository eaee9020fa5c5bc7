"""ASN.1 schema (asn1crypto classes) of the CMS structures the profile uses.

These are the project's own classes rather than `asn1crypto.cms`, so that the
encoder writes exactly what RFC 5083/5084/5652 and the profile ask for
(e.g. the GCM ICV length is always written, key-wrap parameters are absent)
and no global asn1crypto registry is touched.

    ContentInfo ::= SEQUENCE {
        contentType ContentType,
        content [0] EXPLICIT ANY DEFINED BY contentType }        -- RFC 5652 3

    AuthEnvelopedData ::= SEQUENCE {                             -- RFC 5083 2.1
        version CMSVersion,
        originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
        recipientInfos RecipientInfos,
        authEncryptedContentInfo EncryptedContentInfo,
        authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
        mac MessageAuthenticationCode,
        unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }

    KEKRecipientInfo ::= SEQUENCE {                              -- RFC 5652 6.2.3
        version CMSVersion,  -- always set to 4
        kekid KEKIdentifier,
        keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
        encryptedKey EncryptedKey }

    GCMParameters ::= SEQUENCE {                                 -- RFC 5084 3.2
        aes-nonce        OCTET STRING, -- recommended size is 12 octets
        aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
"""
from __future__ import annotations

from asn1crypto import core


class AlgorithmIdentifier(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class GcmParameters(core.Sequence):
    # No DEFAULT here: the encoder writes the ICV length whatever its value;
    # the reader applies RFC 5084's default of 12 when it is absent.
    _fields = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"optional": True}),
    ]


class OtherKeyAttribute(core.Sequence):
    _fields = [
        ("key_attr_id", core.ObjectIdentifier),
        ("key_attr", core.Any, {"optional": True}),
    ]


class KekIdentifier(core.Sequence):
    _fields = [
        ("key_identifier", core.OctetString),
        ("date", core.GeneralizedTime, {"optional": True}),
        ("other", OtherKeyAttribute, {"optional": True}),
    ]


class KekRecipientInfo(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("kekid", KekIdentifier),
        ("key_encryption_algorithm", AlgorithmIdentifier),
        ("encrypted_key", core.OctetString),
    ]


class OpaqueSequence(core.Sequence):
    """A SEQUENCE whose inside the profile never reads."""

    _fields: list = []


class RecipientInfo(core.Choice):
    _alternatives = [
        ("ktri", OpaqueSequence),
        ("kari", OpaqueSequence, {"implicit": 1}),
        ("kekri", KekRecipientInfo, {"implicit": 2}),
        ("pwri", OpaqueSequence, {"implicit": 3}),
        ("ori", OpaqueSequence, {"implicit": 4}),
    ]


class RecipientInfos(core.SetOf):
    _child_spec = RecipientInfo


class EncryptedContentInfo(core.Sequence):
    _fields = [
        ("content_type", core.ObjectIdentifier),
        ("content_encryption_algorithm", AlgorithmIdentifier),
        ("encrypted_content", core.OctetString, {"implicit": 0, "optional": True}),
    ]


class AttributeValues(core.SetOf):
    _child_spec = core.Any


class CmsAttribute(core.Sequence):
    _fields = [
        ("type", core.ObjectIdentifier),
        ("values", AttributeValues),
    ]


class CmsAttributes(core.SetOf):
    _child_spec = CmsAttribute


class AuthEnvelopedData(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("originator_info", OpaqueSequence, {"implicit": 0, "optional": True}),
        ("recipient_infos", RecipientInfos),
        ("auth_encrypted_content_info", EncryptedContentInfo),
        ("auth_attrs", CmsAttributes, {"implicit": 1, "optional": True}),
        ("mac", core.OctetString),
        ("unauth_attrs", CmsAttributes, {"implicit": 2, "optional": True}),
    ]


class ContentInfo(core.Sequence):
    _fields = [
        ("content_type", core.ObjectIdentifier),
        ("content", core.Any, {"explicit": 0}),
    ]
