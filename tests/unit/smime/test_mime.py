"""MIME form of protected bodies (RFC 3261 23.4, RFC 8591, RFC 2045)."""
from __future__ import annotations

import base64

import pytest

from mcsec.impl import smime
from mcsec.impl.smime import mime
from tests.unit.smime.openssl_peer import CEK, KEY_ID


@pytest.fixture
def der() -> bytes:
    return smime.seal(b"body", cek=CEK, key_id=KEY_ID)


def test_wrap_produces_the_protected_headers(der):
    data = mime.wrap(der).to_bytes()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m",
        b"Content-Disposition: attachment; handling=required",
        b"Content-Transfer-Encoding: binary",
    ]
    assert body == der


def test_binary_and_base64_entities_round_trip(der):
    for base64_body in (False, True):
        entity = mime.parse_entity(mime.wrap(der, base64_body=base64_body).to_bytes())
        assert mime.entity_to_der(entity) == der


def test_base64_lines_are_at_most_76_characters():
    text = mime.encode_base64(bytes(300))
    lines = text.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 76 for line in lines)
    assert len(lines[0]) == 76
    assert mime.decode_base64(text) == bytes(300)


def test_invalid_base64_is_malformed():
    with pytest.raises(smime.MalformedCms):
        mime.decode_base64(b"not*base64!")


def test_header_names_and_parameters_are_case_insensitive(der):
    data = (
        b"content-TYPE: Application/PKCS7-MIME ; SMIME-Type=\"authenveloped-DATA\" ;"
        b" Name=\"smime.p7m\"\n"
        b"CONTENT-DISPOSITION: Attachment;HANDLING=Required\n\n" + der
    )
    entity = mime.parse_entity(data)
    assert entity.header("Content-Type").startswith("Application")
    assert mime.entity_to_der(entity) == der
    assert mime.handling_required(entity.header("content-disposition"))


def test_quoted_parameter_values_with_escapes_and_semicolons():
    parsed = mime.parse_header_value('attachment; filename="a;b \\"c\\".p7m"; handling=optional')
    assert parsed.value == "attachment"
    assert parsed.param("FILENAME") == 'a;b "c".p7m'
    assert parsed.param("handling") == "optional"


def test_folded_header_lines_are_unfolded(der):
    data = (
        b"Content-Type: application/pkcs7-mime;\r\n"
        b"\tsmime-type=authEnveloped-data\r\n\r\n" + der
    )
    entity = mime.parse_entity(data)
    assert mime.check_content_type(entity.header("Content-Type")).param("smime-type") == (
        "authEnveloped-data"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/sdp",
        "application/pkcs7-mime; smime-type=enveloped-data",
        "application/pkcs7-mime; smime-type=signed-data",
        "multipart/signed; protocol=\"application/pkcs7-signature\"",
        None,
    ],
)
def test_other_body_types_get_415(content_type):
    with pytest.raises(smime.UnsupportedBodyType) as caught:
        mime.body_to_der(b"\x30\x00", content_type=content_type)
    assert caught.value.sip_status == 415
    assert caught.value.accept == "application/pkcs7-mime"
    assert not mime.is_protected(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pkcs7-mime",
        "application/x-pkcs7-mime; smime-type=authEnveloped-data",
        "APPLICATION/pkcs7-mime;smime-type=AUTHENVELOPED-DATA",
    ],
)
def test_accepted_content_types(content_type):
    assert mime.is_protected(content_type)


def test_unknown_transfer_encoding_gets_415():
    with pytest.raises(smime.UnsupportedBodyType):
        mime.body_to_der(b"x", content_type=mime.CONTENT_TYPE,
                         content_transfer_encoding="quoted-printable")


@pytest.mark.parametrize(
    ("disposition", "required"),
    [(None, True), ("attachment", True), ("attachment; handling=required", True),
     ("attachment; handling=OPTIONAL", False), ("render; handling=\"optional\"", False)],
)
def test_handling_parameter(disposition, required):
    # RFC 3261 20.11: a missing handling parameter means required.
    assert mime.handling_required(disposition) is required


@pytest.mark.parametrize(
    "value", ["", ";x=1", "application/pkcs7-mime; smime-type", "a; b=\"open", "a b", "a; x=1; x=2"]
)
def test_broken_header_values_are_malformed(value):
    with pytest.raises(smime.MalformedMime):
        mime.parse_header_value(value)


def test_broken_entity_is_malformed():
    with pytest.raises(smime.MalformedMime) as caught:
        mime.parse_entity(b"Content-Type: application/pkcs7-mime\r\nno colon here\r\n\r\nx")
    assert caught.value.sip_status == 400


def test_load_any_accepts_der_base64_pem_and_mime(der):
    pem = b"-----BEGIN CMS-----\n" + base64.encodebytes(der) + b"-----END CMS-----\n"
    forms = [der, mime.encode_base64(der), pem, mime.wrap(der).to_bytes(),
             mime.wrap(der, base64_body=True).to_bytes()]
    for form in forms:
        assert mime.load_any(form) == der
