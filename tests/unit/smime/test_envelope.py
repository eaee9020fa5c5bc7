"""CMS AuthEnvelopedData + KEKRecipientInfo: structure, vectors, failures.

RFC 5083 (AuthEnvelopedData), RFC 5084 (AES-GCM), RFC 5652 6.2.3
(KEKRecipientInfo), RFC 3394 (AES key wrap).
"""
from __future__ import annotations

import pytest
from asn1crypto import core
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mcsec.impl import smime
from mcsec.impl.smime import cms_schema
from mcsec.impl.smime.attributes import Attribute, encode_attributes
from mcsec.impl.smime.oids import (
    ID_AES128_GCM,
    ID_AES128_WRAP,
    ID_CONTENT_TYPE_ATTR,
    ID_CT_AUTH_ENVELOPED_DATA,
    ID_DATA,
)
from tests.unit.smime.body_parts import flip_bit_in, parts, replace_once
from tests.unit.smime.openssl_peer import CEK, KEY_ID, OTHER_CEK

ZERO_KEY = bytes(16)
ZERO_NONCE = bytes(12)
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"


def sealed(content: bytes = b"MESSAGE body", **kwargs) -> bytes:
    return smime.seal(content, cek=CEK, key_id=KEY_ID, **kwargs)


# ------------------------------------------------------------------ structure


def test_round_trip(key_lookup):
    opened = smime.open(sealed(b"<mcptt-info/>"), key_lookup=key_lookup)
    assert opened.content == b"<mcptt-info/>"
    assert opened.key_id == KEY_ID
    assert opened.content_type == ID_DATA
    assert opened.auth_attributes == ()
    assert opened.replay_stamp is None


def test_empty_content_round_trip(key_lookup):
    assert smime.open(sealed(b""), key_lookup=key_lookup).content == b""


def test_structure_follows_the_profile():
    info = cms_schema.ContentInfo.load(sealed(), strict=True)
    assert info["content_type"].dotted == ID_CT_AUTH_ENVELOPED_DATA
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)
    assert aed["version"].native == 0  # RFC 5083 2.1
    assert len(aed["recipient_infos"]) == 1
    recipient = aed["recipient_infos"][0]
    assert recipient.name == "kekri"
    kekri = recipient.chosen
    assert kekri["version"].native == 4  # RFC 5652 6.2.3
    assert kekri["kekid"]["key_identifier"].native == KEY_ID
    assert kekri["key_encryption_algorithm"]["algorithm"].dotted == ID_AES128_WRAP
    assert isinstance(kekri["key_encryption_algorithm"]["parameters"], core.Void)  # RFC 3565
    assert len(kekri["encrypted_key"].native) == 24
    eci = aed["auth_encrypted_content_info"]
    assert eci["content_type"].dotted == ID_DATA
    assert eci["content_encryption_algorithm"]["algorithm"].dotted == ID_AES128_GCM
    assert len(aed["mac"].native) == 16
    assert isinstance(aed["auth_attrs"], core.Void)


def test_icv_length_is_written_explicitly():
    # GCMParameters ::= SEQUENCE { OCTET STRING (12), INTEGER 16 }: the
    # INTEGER 16 (02 01 10) is present although DER would omit a default.
    params = parts(sealed()).gcm_parameters
    assert params[:4] == bytes.fromhex("3011040c")
    assert params[-3:] == bytes.fromhex("020110")


def test_fresh_content_key_and_nonce_per_message():
    first, second = parts(sealed()), parts(sealed())
    assert first.nonce != second.nonce
    assert first.wrapped_key != second.wrapped_key


def test_peek_key_id_needs_no_key():
    assert smime.peek_key_id(sealed()) == KEY_ID


# -------------------------------------------------------------------- vectors


def test_key_wrap_matches_rfc3394_vector():
    # RFC 3394 4.1: KEK 000102..0F wraps 00112233..FF.
    der = smime.seal_with_content_key(
        b"x", cek=CEK, key_id=KEY_ID,
        content_key=bytes.fromhex("00112233445566778899aabbccddeeff"), nonce=ZERO_NONCE,
    )
    assert parts(der).wrapped_key == bytes.fromhex(
        "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"
    )


def test_gcm_matches_published_vector():
    # GCM specification (McGrew/Viega) test case 2: K=0, IV=0, P=0^128.
    der = smime.seal_with_content_key(
        bytes(16), cek=CEK, key_id=KEY_ID, content_key=ZERO_KEY, nonce=ZERO_NONCE
    )
    body = parts(der)
    assert body.ciphertext == bytes.fromhex("0388dace60b6a392f328c2b971b2fe78")
    assert body.tag == bytes.fromhex("ab6e47d42cec13bdf53a67b21257bddf")


def test_seal_with_content_key_is_deterministic():
    kwargs = dict(cek=CEK, key_id=KEY_ID, content_key=ZERO_KEY, nonce=ZERO_NONCE)
    assert smime.seal_with_content_key(b"a", **kwargs) == smime.seal_with_content_key(b"a", **kwargs)


# ------------------------------------------------------- authenticated attributes

_EXTRA = Attribute("1.3.6.1.4.1.99999.1", (core.UTF8String("sip:alice@example.org").dump(),))


def test_auth_attrs_are_the_aad_with_a_set_of_tag(key_lookup):
    # RFC 5083 2.2: the AAD is the DER of authAttrs with the EXPLICIT SET OF
    # tag (0x31), not the transmitted IMPLICIT [1] tag (0xA1).
    der = smime.seal_with_content_key(
        b"payload", cek=CEK, key_id=KEY_ID, content_key=ZERO_KEY, nonce=ZERO_NONCE,
        auth_attributes=[_EXTRA],
    )
    body = parts(der)
    assert body.auth_attrs_field[0] == 0xA1
    set_of = b"\x31" + body.auth_attrs_field[1:]
    assert set_of == encode_attributes([_EXTRA])
    expected = AESGCM(ZERO_KEY).encrypt(ZERO_NONCE, b"payload", set_of)
    assert body.ciphertext + body.tag == expected
    with_wrong_tag = AESGCM(ZERO_KEY).encrypt(ZERO_NONCE, b"payload", body.auth_attrs_field)
    assert body.tag != with_wrong_tag[-16:]
    opened = smime.open(der, key_lookup=key_lookup)
    assert opened.auth_attributes == (_EXTRA,)


def test_flipped_auth_attribute_is_undecipherable(key_lookup):
    der = sealed(auth_attributes=[_EXTRA])
    tampered = replace_once(der, b"alice", b"alicf")
    with pytest.raises(smime.Undecipherable):
        smime.open(tampered, key_lookup=key_lookup)


def test_non_der_auth_attrs_are_refused(key_lookup):
    first = Attribute("1.3.6.1.4.1.99999.1", (core.Integer(1).dump(),))
    second = Attribute("1.3.6.1.4.1.99999.2", (core.Integer(2).dump(),))
    der = sealed(auth_attributes=[first, second])
    field = parts(der).auth_attrs_field
    received = cms_schema.CmsAttributes.load(b"\x31" + field[1:])
    one, two = received[0].dump(), received[1].dump()
    swapped = field[:2] + two + one  # SET OF out of DER order
    assert len(swapped) == len(field)
    with pytest.raises(smime.MalformedCms, match="DER"):
        smime.open(replace_once(der, field, swapped), key_lookup=key_lookup)


def test_other_content_type_carries_content_type_attribute(key_lookup):
    der = sealed(b"\x30\x00", content_type=ID_SIGNED_DATA)
    opened = smime.open(der, key_lookup=key_lookup)
    assert opened.content_type == ID_SIGNED_DATA
    assert [a.oid for a in opened.auth_attributes] == [ID_CONTENT_TYPE_ATTR]


def test_other_content_type_without_auth_attrs_is_malformed(key_lookup):
    data_oid = core.ObjectIdentifier(ID_DATA).dump()
    signed_oid = core.ObjectIdentifier(ID_SIGNED_DATA).dump()
    with pytest.raises(smime.MalformedCms, match="RFC 5083"):
        smime.open(replace_once(sealed(), data_oid, signed_oid), key_lookup=key_lookup)


def test_unauthenticated_content_type_change_is_refused(key_lookup):
    # The EncryptedContentInfo contentType is not covered by the GCM tag: with
    # authAttrs present but no content-type attribute, a changed type must
    # still be refused.
    der = sealed(auth_attributes=[_EXTRA])
    data_oid = core.ObjectIdentifier(ID_DATA).dump()
    signed_oid = core.ObjectIdentifier(ID_SIGNED_DATA).dump()
    with pytest.raises(smime.MalformedCms, match="content-type attribute"):
        smime.open(replace_once(der, data_oid, signed_oid), key_lookup=key_lookup)


def test_content_type_attribute_must_match(key_lookup):
    der = sealed(b"x", content_type=ID_SIGNED_DATA)
    inner = core.ObjectIdentifier(ID_SIGNED_DATA).dump()
    eci_oid_at = der.find(inner)
    data_oid = core.ObjectIdentifier("1.2.840.113549.1.7.3").dump()  # same length
    tampered = der[:eci_oid_at] + data_oid + der[eci_oid_at + len(inner):]
    with pytest.raises(smime.MalformedCms, match="content-type attribute"):
        smime.open(tampered, key_lookup=key_lookup)


# ------------------------------------------------------------------ failures


def test_unknown_key_id(key_lookup):
    der = smime.seal(b"x", cek=CEK, key_id=b"\x99\x99")
    with pytest.raises(smime.UnknownKeyId) as caught:
        smime.open(der, key_lookup=key_lookup)
    assert caught.value.key_id == b"\x99\x99"
    assert caught.value.sip_status == 493


def test_wrong_key_is_undecipherable():
    with pytest.raises(smime.Undecipherable) as caught:
        smime.open(sealed(), key_lookup={KEY_ID: OTHER_CEK}.get)
    assert caught.value.sip_status == 493


@pytest.mark.parametrize("field", ["ciphertext", "tag", "wrapped_key", "nonce"])
@pytest.mark.parametrize("bit", [0, 7])
def test_flipped_bit_is_undecipherable(key_lookup, field, bit):
    der = sealed(b"a body long enough to flip bits in")
    tampered = flip_bit_in(der, getattr(parts(der), field), offset=3, bit=bit)
    with pytest.raises(smime.Undecipherable):
        smime.open(tampered, key_lookup=key_lookup)


def test_flipped_key_id_is_unknown(key_lookup):
    der = sealed()
    with pytest.raises(smime.UnknownKeyId):
        smime.open(flip_bit_in(der, KEY_ID), key_lookup=key_lookup)


@pytest.mark.parametrize("cut", [1, 10, 17, 100])
def test_truncated_body_is_malformed(key_lookup, cut):
    with pytest.raises(smime.MalformedCms):
        smime.open(sealed()[:-cut], key_lookup=key_lookup)


def test_trailing_data_is_malformed(key_lookup):
    with pytest.raises(smime.MalformedCms):
        smime.open(sealed() + b"\x00", key_lookup=key_lookup)


def test_empty_body_is_malformed(key_lookup):
    with pytest.raises(smime.MalformedCms):
        smime.open(b"", key_lookup=key_lookup)


def test_omitted_icv_length_is_unsupported(key_lookup):
    # Without the INTEGER the RFC 5084 default (12) applies, contradicting
    # the 16-octet tag: refused, as OpenSSL refuses it.
    der = smime.seal_with_content_key(
        b"x", cek=CEK, key_id=KEY_ID, content_key=ZERO_KEY, nonce=ZERO_NONCE, write_icv_len=False
    )
    with pytest.raises(smime.UnsupportedCms, match="ICV length 12"):
        smime.open(der, key_lookup=key_lookup)


def test_two_recipients_are_unsupported(key_lookup):
    info = cms_schema.ContentInfo.load(sealed())
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)
    recipient = aed["recipient_infos"][0]
    twin = cms_schema.RecipientInfos([recipient, cms_schema.RecipientInfo.load(recipient.dump())])
    aed["recipient_infos"] = twin
    der = cms_schema.ContentInfo(
        {"content_type": ID_CT_AUTH_ENVELOPED_DATA,
         "content": cms_schema.AuthEnvelopedData.load(aed.dump(force=True), explicit=0)}
    ).dump(force=True)
    with pytest.raises(smime.UnsupportedCms, match="exactly one"):
        smime.open(der, key_lookup=key_lookup)


def test_wrong_version_is_malformed(key_lookup):
    der = sealed()
    # AuthEnvelopedData version INTEGER 0 is the first field after the [0] tag.
    at = der.find(b"\x02\x01\x00")
    tampered = der[:at] + b"\x02\x01\x02" + der[at + 3:]
    with pytest.raises(smime.MalformedCms, match="version"):
        smime.open(tampered, key_lookup=key_lookup)


def test_errors_never_show_key_material(key_lookup):
    der = sealed()
    failures = [
        lambda: smime.open(der, key_lookup={KEY_ID: OTHER_CEK}.get),
        lambda: smime.open(flip_bit_in(der, parts(der).tag), key_lookup=key_lookup),
        lambda: smime.open(der[:-5], key_lookup=key_lookup),
    ]
    for failure in failures:
        with pytest.raises(smime.SmimeError) as caught:
            failure()
        text = str(caught.value) + repr(caught.value)
        for secret in (CEK, OTHER_CEK):
            assert secret.hex() not in text.lower()
            assert repr(secret) not in text


def test_bad_arguments_to_seal():
    with pytest.raises(ValueError):
        smime.seal(b"x", cek=b"short", key_id=KEY_ID)
    with pytest.raises(ValueError):
        smime.seal(b"x", cek=CEK, key_id=b"")
    with pytest.raises(TypeError):
        smime.seal("text", cek=CEK, key_id=KEY_ID)


def test_key_lookup_returning_a_bad_key_is_a_programming_error():
    with pytest.raises(ValueError):
        smime.open(sealed(), key_lookup=lambda _kid: b"short")


ATTR_A = bytes.fromhex("300706012931020500")  # { 1.1, SET { NULL } }
ATTR_B = bytes.fromhex("300706012a31020500")  # { 1.2, SET { NULL } }


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        (b"\xa1\x80" + ATTR_A + b"\x00\x00", "indefinite"),
        (b"\xa1\x81\x09" + ATTR_A, "minimal"),
        (b"\xa1\x12" + ATTR_B + ATTR_A, "order"),
        (b"\xa1\x0a" + ATTR_A + b"\x00", "truncated|overruns"),
        (b"\xa1\x09" + ATTR_A + b"\x00", "trailing"),
    ],
)
def test_received_aad_refuses_non_der(field, reason):
    from mcsec.impl.smime.attributes import received_aad

    with pytest.raises(smime.MalformedCms, match=reason):
        received_aad(field)


def test_received_aad_accepts_der():
    from mcsec.impl.smime.attributes import received_aad

    field = b"\xa1\x12" + ATTR_A + ATTR_B
    assert received_aad(field) == b"\x31" + field[1:]


def test_a_body_read_once_opens_as_its_der(key_lookup):
    der = sealed(replay_stamp=smime.ReplayStamp.new(context=smime.SipContext("c@h", 1, "MESSAGE")))
    envelope = smime.read_envelope(der)
    assert envelope.key_id == smime.peek_key_id(der) == KEY_ID
    assert smime.open(envelope, key_lookup=key_lookup) == smime.open(der, key_lookup=key_lookup)
    with pytest.raises(smime.MalformedCms):
        smime.read_envelope(der[:-1])


# ------------------------------------------------------------------ components a type does not define


def _with_extra_component(der: bytes, path: tuple[int, ...]) -> bytes:
    """``der`` with the last component of the SEQUENCE at ``path`` repeated after it."""
    import copy

    from mcsec.fixtures.fuzz.cmsmut import parse_der
    root = parse_der(der)
    node = root
    for i in path:
        node = node.children[i]
    node.children.append(copy.deepcopy(node.children[-1]))
    return root.to_bytes()


@pytest.mark.parametrize("path,what", [((1, 0, 2, 1), "contentEncryptionAlgorithm (AlgorithmIdentifier)"),
                                       ((1, 0, 2, 1, 1), "GCMParameters"),
                                       ((1, 0), "AuthEnvelopedData"),
                                       ((1, 0, 1, 0), "KEKRecipientInfo (inside the RecipientInfo CHOICE)"),
                                       ((1, 0, 1, 0, 1), "KEKIdentifier")])
def test_a_sequence_with_a_component_its_type_lacks_is_malformed(key_lookup, path, what):
    """X.680: a SEQUENCE value holds the components of its type and no more (the CMS types have no extension
    marker); the general reader must not skip one it does not know."""
    der = _with_extra_component(sealed(), path)
    with pytest.raises(smime.MalformedCms, match="components its type does not define"):
        smime.open(der, key_lookup=key_lookup)


def test_a_non_minimal_length_is_still_ber_and_opens(key_lookup):
    """CMS is BER (RFC 5652 1.2): the strictness above concerns components, not encodings."""
    from mcsec.fixtures.fuzz.cmsmut import parse_der
    root = parse_der(sealed(b"ber"))
    root.children[1].length_raw = b"\x84" + len(root.children[1].contents()).to_bytes(4, "big")
    assert smime.open(root.to_bytes(), key_lookup=key_lookup).content == b"ber"
