"""The asn1crypto encoder of protected bodies, kept as the reference the hand-written one is checked
against (test_lean_cms.py): the same structures built as `cms_schema` objects and dumped as DER."""
from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import core
from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.attributes import Attribute
from mcsec.impl.smime.oids import (
    ID_AES128_GCM,
    ID_AES128_WRAP,
    ID_CONTENT_TYPE_ATTR,
    ID_CT_AUTH_ENVELOPED_DATA,
    ID_DATA,
    ID_MCSEC_REPLAY_STAMP,
)
from mcsec.impl.smime.replay_stamp import ReplayStamp, _ReplayStampAsn1


def stamp_der(stamp: ReplayStamp) -> bytes:
    value: dict[str, object] = {"sending_time": stamp.sent_at, "nonce": stamp.nonce}
    if stamp.context is not None:
        ctx: dict[str, object] = {"call_id": stamp.context.call_id, "cseq_number": stamp.context.cseq,
                                  "cseq_method": stamp.context.method}
        if stamp.context.status_code is not None:
            ctx["status_code"] = stamp.context.status_code
        value["sip_context"] = ctx
    return _ReplayStampAsn1(value).dump(force=True)


def encode_attributes(attributes: Sequence[Attribute]) -> bytes:
    items = []
    for attribute in attributes:
        values = cms_schema.AttributeValues([core.Any.load(value, strict=True) for value in attribute.values])
        items.append(cms_schema.CmsAttribute({"type": attribute.oid, "values": values}))
    return cms_schema.CmsAttributes(items).dump(force=True)


def seal_with_content_key(content: bytes, *, cek: bytes, key_id: bytes, content_key: bytes, nonce: bytes,
                          content_type: str = ID_DATA, auth_attributes: Sequence[Attribute] = (),
                          replay_stamp: ReplayStamp | None = None, write_icv_len: bool = True) -> bytes:
    attributes = list(auth_attributes)
    if replay_stamp is not None:
        attributes.append(Attribute(ID_MCSEC_REPLAY_STAMP, (stamp_der(replay_stamp),)))
    if content_type != ID_DATA and not any(a.oid == ID_CONTENT_TYPE_ATTR for a in attributes):
        attributes.append(Attribute(ID_CONTENT_TYPE_ATTR, (core.ObjectIdentifier(content_type).dump(),)))
    aad = encode_attributes(attributes) if attributes else b""
    sealed = AESGCM(content_key).encrypt(nonce, content, aad or None)
    ciphertext, tag = sealed[:-16], sealed[-16:]
    gcm_params: dict[str, object] = {"aes_nonce": nonce}
    if write_icv_len:
        gcm_params["aes_icvlen"] = 16
    kekri = cms_schema.KekRecipientInfo({
        "version": 4,
        "kekid": {"key_identifier": key_id},
        "key_encryption_algorithm": {"algorithm": ID_AES128_WRAP},
        "encrypted_key": keywrap.aes_key_wrap(cek, content_key),
    })
    aed: dict[str, object] = {
        "version": 0,
        "recipient_infos": [cms_schema.RecipientInfo(name="kekri", value=kekri)],
        "auth_encrypted_content_info": {
            "content_type": content_type,
            "content_encryption_algorithm": {"algorithm": ID_AES128_GCM,
                                             "parameters": cms_schema.GcmParameters(gcm_params)},
            "encrypted_content": ciphertext,
        },
        "mac": tag,
    }
    if aad:
        aed["auth_attrs"] = cms_schema.CmsAttributes.load(aad)
    info = cms_schema.ContentInfo({"content_type": ID_CT_AUTH_ENVELOPED_DATA,
                                   "content": cms_schema.AuthEnvelopedData(aed, explicit=0)})
    return info.dump(force=True)
