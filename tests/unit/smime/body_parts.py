"""Locate the fields of a sealed body, to read or alter them in tests."""
from __future__ import annotations

from dataclasses import dataclass

from mcsec.impl.smime import cms_schema


@dataclass(frozen=True)
class Parts:
    key_id: bytes
    wrapped_key: bytes
    nonce: bytes
    gcm_parameters: bytes
    ciphertext: bytes
    tag: bytes
    auth_attrs_field: bytes | None  # as transmitted, with the [1] tag


def parts(der: bytes) -> Parts:
    info = cms_schema.ContentInfo.load(der)
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)
    kekri = aed["recipient_infos"][0].chosen
    eci = aed["auth_encrypted_content_info"]
    params = eci["content_encryption_algorithm"]["parameters"]
    attrs = aed["auth_attrs"]
    return Parts(
        key_id=kekri["kekid"]["key_identifier"].native,
        wrapped_key=kekri["encrypted_key"].native,
        nonce=params.parse(cms_schema.GcmParameters)["aes_nonce"].native,
        gcm_parameters=params.dump(),
        ciphertext=eci["encrypted_content"].native,
        tag=aed["mac"].native,
        auth_attrs_field=None if attrs.__class__.__name__ == "Void" else attrs.dump(),
    )


def flip_bit_in(der: bytes, field: bytes, *, offset: int = 0, bit: int = 0) -> bytes:
    """Flip one bit of `field` where it occurs (once) in `der`."""
    position = der.find(field)
    assert position >= 0 and der.find(field, position + 1) < 0, "field must occur once"
    index = position + offset
    return der[:index] + bytes([der[index] ^ (1 << bit)]) + der[index + 1 :]


def replace_once(der: bytes, old: bytes, new: bytes) -> bytes:
    assert der.count(old) == 1, "pattern must occur once"
    return der.replace(old, new)
