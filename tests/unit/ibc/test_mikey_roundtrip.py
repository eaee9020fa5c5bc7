"""Build/process round trips with freshly generated KMS and user keys."""
from __future__ import annotations

import time

import pytest

from mcsec.impl.ibc.freshness import WindowFreshnessPolicy
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.mikey import KeyPurpose, build_i_message, decode_i_message, key_purpose, make_key_id, process_i_message
from mcsec.impl.ibc.mikey_errors import BadSignatureError, DecryptionError, KeyPurposeError, WrongResponderError
from mcsec.impl.ibc.uid import KeyPeriod, unix_to_ntp


@pytest.fixture(scope="module")
def lab():
    kms = IbcKms.generate("kms.example.org", KeyPeriod(length=2592000, offset=0))
    period_no = kms.key_period.number_at(unix_to_ntp(time.time()))
    client = kms.issue_key_set("sip:alice@example.org", period_no)
    server = kms.issue_key_set("sip:mcptt-as@example.org", period_no)
    cert = kms.certificate()
    client.validate(cert)
    server.validate(cert)
    return kms, cert, client, server


@pytest.mark.parametrize("purpose", list(KeyPurpose))
def test_round_trip_for_every_purpose(lab, purpose):
    _, cert, client, server = lab
    built = build_i_message(kms=cert, initiator=client, responder_uri=server.user_uri, purpose=purpose)
    assert key_purpose(built.key_id) is purpose
    got = process_i_message(built.data, kms=cert, responder=server, freshness=WindowFreshnessPolicy(),
                            initiator_uri=client.user_uri, expected_purpose=purpose)
    assert got.key == built.key and got.key_id == built.key_id and got.purpose is purpose
    assert got.rand == built.rand


def test_csk_layout_and_extension(lab):
    _, cert, client, server = lab
    built = build_i_message(kms=cert, initiator=client, responder_uri=server.user_uri, extension=b"\x01\x02")
    msg = decode_i_message(built.data)
    assert msg.header.csb_id == built.key_id
    assert msg.header.cs_entries[0].spi == built.key_id.to_bytes(4, "big")
    assert msg.extensions[0].data == b"\x01\x02"
    assert len(built.data) == len(msg.signed_data) + 129


def test_message_for_someone_else_is_refused(lab):
    kms, cert, client, server = lab
    built = build_i_message(kms=cert, initiator=client, responder_uri="sip:other@example.org")
    with pytest.raises(WrongResponderError):
        process_i_message(built.data, kms=cert, responder=server, freshness=WindowFreshnessPolicy())


def test_signature_by_another_kms_is_refused(lab):
    kms, cert, client, server = lab
    rogue = IbcKms.generate(cert.kms_uri, cert.key_period)
    forged_client = rogue.issue_key_set(client.user_uri, client.key_period_no)
    built = build_i_message(kms=rogue.certificate(), initiator=forged_client, responder_uri=server.user_uri,
                            responder_kms=cert)
    with pytest.raises(BadSignatureError):
        process_i_message(built.data, kms=cert, responder=server, freshness=WindowFreshnessPolicy())


def test_key_encrypted_under_another_kms_fails_decryption(lab):
    kms, cert, client, server = lab
    other = IbcKms.generate(cert.kms_uri, cert.key_period)
    built = build_i_message(kms=cert, initiator=client, responder_uri=server.user_uri, responder_kms=other.certificate())
    with pytest.raises(DecryptionError):
        process_i_message(built.data, kms=cert, responder=server, freshness=WindowFreshnessPolicy())


def test_key_id_helpers():
    kid = make_key_id(KeyPurpose.MUSIK, 0x0ABCDEF)
    assert kid == 0x60ABCDEF and key_purpose(kid) is KeyPurpose.MUSIK
    with pytest.raises(KeyPurposeError):
        key_purpose(0x70000000)
    with pytest.raises(ValueError):
        make_key_id(KeyPurpose.CSK, 1 << 28)


def test_builder_refuses_key_id_with_wrong_purpose(lab):
    _, cert, client, server = lab
    with pytest.raises(KeyPurposeError):
        build_i_message(kms=cert, initiator=client, responder_uri=server.user_uri, purpose=KeyPurpose.CSK,
                        key_id=0x10000001)
