"""CMS AuthEnvelopedData bodies (impl/smime): what a receiver does with a protected body.

The first octet chooses what the rest is:

0. a DER body: ``peek_key_id`` and ``open`` with the CEK of the seeds' Key ID, then the replay
   guard's check of what opened;
1. a replay stamp value: ``ReplayStamp.from_der``;
2. the authenticated attributes (a SET OF Attribute): the harness seals a body whose authAttrs are
   these octets under a correct GCM tag, so the attributes are authentic and hostile, then opens it
   and checks its stamp.

Every refusal must be an :class:`SmimeError` (each carries its SIP status).
"""
from __future__ import annotations

import os
from datetime import timedelta

from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import mcsec.impl.smime as smime
from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.attributes import Attribute, content_type_attribute, encode_attributes
from mcsec.impl.smime.oids import ID_AES128_GCM, ID_AES128_WRAP, ID_CT_AUTH_ENVELOPED_DATA
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, der_mutation, mixed

CEK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
KEY_ID = bytes.fromhex("2a000001")
CONTEXT = smime.SipContext("fuzz@example.org", 1, "MESSAGE")
POLICY = smime.ReplayPolicy(window=timedelta(days=36500), require_context=True)
TOKENS = (b"\x30\x80", b"\x00\x00", b"\x04\x10", b"\x02\x01\x00", b"\xa1", b"\x31", b"\x06\x09",
          b"\x84\xff\xff\xff\xff", b"\x18\x0f", b"\x0c\x00")


def _stamp(**kwargs) -> smime.ReplayStamp:
    return smime.ReplayStamp.new(**kwargs)


def seeds() -> list[bytes]:
    bodies = [
        smime.seal(b"Content-Type: text/plain\r\n\r\nseed", cek=CEK, key_id=KEY_ID, replay_stamp=_stamp(context=CONTEXT)),
        smime.seal(b"", cek=CEK, key_id=KEY_ID),
        smime.seal(b"x" * 200, cek=CEK, key_id=KEY_ID, content_type="1.2.840.113549.1.7.2",
                   replay_stamp=_stamp()),
        smime.seal_with_content_key(b"icv", cek=CEK, key_id=b"\x01" * 40, content_key=bytes(16),
                                    nonce=bytes(12), write_icv_len=False),
    ]
    stamps = [_stamp(context=CONTEXT).to_der(), _stamp().to_der(),
              _stamp(context=smime.SipContext("c", 2147483647, "INVITE", 699)).to_der()]
    attrs = [encode_attributes([_stamp(context=CONTEXT).to_attribute()]),
             encode_attributes([_stamp().to_attribute(), content_type_attribute("1.2.840.113549.1.7.1"),
                                Attribute("1.2.3.4", (b"\x05\x00", b"\x02\x01\x01"))])]
    return ([with_mode(0, b) for b in bodies] + [with_mode(1, s) for s in stamps]
            + [with_mode(2, a) for a in attrs])


def _lookup(key_id: bytes) -> bytes | None:
    return CEK if key_id == KEY_ID else None


def _open(der: bytes) -> None:
    try:
        key_id = smime.peek_key_id(der)
        assert isinstance(key_id, bytes) and key_id
        opened = smime.open(der, key_lookup=_lookup)
        smime.ReplayGuard(POLICY).check(opened.replay_stamp, context=CONTEXT)
    except smime.SmimeError:
        pass


def _stamp_value(der: bytes) -> None:
    try:
        stamp = smime.ReplayStamp.from_der(der)
    except smime.SmimeError:
        return
    assert smime.ReplayStamp.from_der(stamp.to_der()) == stamp


def sealed_with_attributes(attributes_der: bytes) -> bytes | None:
    """A body whose authAttrs carry ``attributes_der`` (a SET OF) under a correct tag; None when
    asn1crypto cannot even hold the octets as a SET OF."""
    try:
        attrs = cms_schema.CmsAttributes.load(attributes_der)
        field = cms_schema.AuthEnvelopedData({"auth_attrs": attrs})["auth_attrs"]
        field_der = field.dump()
    except (ValueError, TypeError, OverflowError):
        return None
    aad = b"\x31" + field_der[1:]
    content_key, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(content_key).encrypt(nonce, b"fuzz", aad)
    kekri = cms_schema.KekRecipientInfo({
        "version": 4, "kekid": {"key_identifier": KEY_ID},
        "key_encryption_algorithm": {"algorithm": ID_AES128_WRAP},
        "encrypted_key": keywrap.aes_key_wrap(CEK, content_key),
    })
    aed = cms_schema.AuthEnvelopedData({
        "version": 0,
        "recipient_infos": [cms_schema.RecipientInfo(name="kekri", value=kekri)],
        "auth_encrypted_content_info": {
            "content_type": "1.2.840.113549.1.7.1",
            "content_encryption_algorithm": {"algorithm": ID_AES128_GCM, "parameters": cms_schema.GcmParameters(
                {"aes_nonce": nonce, "aes_icvlen": 16})},
            "encrypted_content": sealed[:-16],
        },
        "auth_attrs": attrs,
        "mac": sealed[-16:],
    }, explicit=0)
    try:
        return cms_schema.ContentInfo({"content_type": ID_CT_AUTH_ENVELOPED_DATA, "content": aed}).dump()
    except (ValueError, TypeError, OverflowError):
        return None


def _authentic_attributes(attributes_der: bytes) -> None:
    der = sealed_with_attributes(attributes_der)
    if der is not None:
        _open(der)


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 3)
    (_open, _stamp_value, _authentic_attributes)[mode](rest)


HARNESS = Harness(
    name="smime_cms",
    decoder="mcsec.impl.smime peek_key_id, open (with hostile authentic authAttrs), ReplayStamp.from_der, "
            "ReplayGuard.check",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * 3, mixed(der_mutation, der_mutation, bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
