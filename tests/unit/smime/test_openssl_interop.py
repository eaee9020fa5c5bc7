"""Interop with the real `openssl cms` binary, both directions.

OpenSSL's `-encrypt -secretkey -secretkeyid -aes-128-gcm` makes exactly the
profile's structure (AuthEnvelopedData, one KEKRecipientInfo, id-aes128-wrap).
"""
from __future__ import annotations

import pytest

from mcsec.impl import smime
from mcsec.impl.smime import mime
from tests.unit.smime.body_parts import flip_bit_in, parts
from tests.unit.smime.openssl_peer import (
    CEK,
    KEY_ID,
    OTHER_CEK,
    openssl_decrypt,
    openssl_encrypt,
)

CONTENT = b'<?xml version="1.0"?>\r\n<mcpttinfo><mcptt-Params/></mcpttinfo>\r\n'


# ------------------------------------------------------------ openssl -> ours


@pytest.mark.parametrize(
    "key_id", [KEY_ID, bytes.fromhex("20000000"), bytes(range(32))], ids=["4", "purpose-tag", "32"]
)
def test_openssl_der_opened_by_us(key_id):
    der = openssl_encrypt(CONTENT, key_id=key_id)
    assert smime.peek_key_id(der) == key_id
    opened = smime.open(der, key_lookup={key_id: CEK}.get)
    assert opened.content == CONTENT
    assert opened.replay_stamp is None


def test_openssl_streamed_ber_opened_by_us(key_lookup):
    # -stream: indefinite lengths and a constructed OCTET STRING (BER).
    ber = openssl_encrypt(CONTENT, "-stream")
    assert ber[1] == 0x80  # indefinite length: really BER
    assert smime.open(ber, key_lookup=key_lookup).content == CONTENT


@pytest.mark.parametrize("outform", ["SMIME", "PEM"])
def test_openssl_text_forms_opened_by_us(key_lookup, outform):
    text = openssl_encrypt(CONTENT, outform=outform)
    assert smime.open(mime.load_any(text), key_lookup=key_lookup).content == CONTENT


def test_openssl_smime_headers_recognised():
    entity = mime.parse_entity(openssl_encrypt(CONTENT, outform="SMIME"))
    assert mime.is_protected(entity.header("content-type"))
    assert mime.handling_required(entity.header("Content-Disposition"))


def test_openssl_body_with_wrong_key_is_undecipherable():
    der = openssl_encrypt(CONTENT)
    with pytest.raises(smime.Undecipherable):
        smime.open(der, key_lookup={KEY_ID: OTHER_CEK}.get)


def test_openssl_body_with_unknown_key_id():
    der = openssl_encrypt(CONTENT, key_id=b"\x01\x02\x03\x04")
    with pytest.raises(smime.UnknownKeyId):
        smime.open(der, key_lookup={KEY_ID: CEK}.get)


@pytest.mark.parametrize("field", ["ciphertext", "tag", "wrapped_key"])
def test_openssl_body_tampered_is_undecipherable(key_lookup, field):
    der = openssl_encrypt(CONTENT)
    with pytest.raises(smime.Undecipherable):
        smime.open(flip_bit_in(der, getattr(parts(der), field), offset=1), key_lookup=key_lookup)


def test_openssl_enveloped_data_is_unsupported(key_lookup):
    # -aes-128-cbc gives EnvelopedData: no integrity, outside the profile.
    der = openssl_encrypt(CONTENT, cipher="-aes-128-cbc")
    with pytest.raises(smime.UnsupportedCms, match="EnvelopedData"):
        smime.open(der, key_lookup=key_lookup)


# ------------------------------------------------------------ ours -> openssl


def test_our_der_decrypted_by_openssl():
    result = openssl_decrypt(smime.seal(CONTENT, cek=CEK, key_id=KEY_ID))
    assert result.returncode == 0, result.stderr
    assert result.stdout == CONTENT


def test_our_base64_mime_decrypted_by_openssl():
    entity = mime.wrap(smime.seal(CONTENT, cek=CEK, key_id=KEY_ID), base64_body=True)
    result = openssl_decrypt(entity.to_bytes(), inform="SMIME")
    assert result.returncode == 0, result.stderr
    assert result.stdout == CONTENT


def test_openssl_refuses_our_body_with_wrong_key():
    result = openssl_decrypt(smime.seal(CONTENT, cek=OTHER_CEK, key_id=KEY_ID))
    assert result.returncode != 0
    assert result.stdout == b""


def test_openssl_refuses_our_body_with_other_key_id():
    result = openssl_decrypt(smime.seal(CONTENT, cek=CEK, key_id=b"\x77\x77\x77\x77"))
    assert result.returncode != 0
    assert result.stdout == b""


@pytest.mark.parametrize("field", ["ciphertext", "tag", "wrapped_key"])
def test_openssl_refuses_our_tampered_body(field):
    der = smime.seal(CONTENT, cek=CEK, key_id=KEY_ID)
    result = openssl_decrypt(flip_bit_in(der, getattr(parts(der), field), offset=1))
    assert result.returncode != 0


def test_openssl_refuses_omitted_icv_length():
    # The pitfall the profile avoids: the DER default ICV length (12).
    der = smime.seal_with_content_key(
        CONTENT, cek=CEK, key_id=KEY_ID, content_key=bytes(16), nonce=bytes(12),
        write_icv_len=False,
    )
    assert openssl_decrypt(der).returncode != 0


def test_openssl_and_auth_attrs():
    """Observed with OpenSSL 3.0.x: its AuthEnvelopedData template tags authAttrs
    [2] (RFC 5083: [1]) and never feeds them to GCM as AAD (openssl issues
    #26101, #31635), so it cannot read a conforming body with authAttrs. A
    fixed OpenSSL must decrypt it to the exact content; either way it must
    not report success with other content."""
    stamp = smime.ReplayStamp.new(context=smime.SipContext("a@b", 1, "MESSAGE"))
    der = smime.seal(CONTENT, cek=CEK, key_id=KEY_ID, replay_stamp=stamp)
    result = openssl_decrypt(der)
    if result.returncode == 0:
        assert result.stdout == CONTENT
    else:
        assert b"mac" in result.stderr or b"authAttrs" in result.stderr, result.stderr
