"""The independent implementation's I_MESSAGEs: verified (ECCSI) and opened (SAKKE) with the
published key material; and refusals when identity, KMS, freshness or content is wrong."""
from __future__ import annotations

import dataclasses

import pytest

from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.freshness import AcceptAll, WindowFreshnessPolicy
from mcsec.impl.ibc.mikey import (
    KeyPurpose,
    build_i_message,
    decode_i_message,
    key_id_of,
    process_i_message,
)
from mcsec.impl.ibc.mikey_errors import (
    BadSignatureError,
    KeyMaterialError,
    KeyPurposeError,
    ReplayError,
    StaleTimestampError,
    WrongInitiatorError,
    WrongKmsError,
    WrongResponderError,
)
from mcsec.impl.ibc.uid import ntp_to_unix


def _open(m, kms_cert, key_sets_by_uri, **kw):
    kw.setdefault("freshness", AcceptAll())
    return process_i_message(bytes.fromhex(m["i_message_hex"]), kms=kms_cert,
                             responder=key_sets_by_uri[m["Responder URI"]], **kw)


def test_published_key_sets_are_valid(kms_cert, key_sets):
    for ks in key_sets.values():
        ks.validate(kms_cert)


def test_csk_signature_verifies_with_alice_uid_and_kpak(csk_vector, kms_cert, key_sets):
    raw = bytes.fromhex(csk_vector["i_message_hex"])
    msg = decode_i_message(raw)
    eccsi.verify(msg.signed_data, msg.signature.value, key_sets["Alice"].user_id, kms_cert.kpak)
    assert msg.signature.value[64:] == key_sets["Alice"].pvt


def test_csk_sakke_payload_decrypts_to_csk(csk_vector, kms_cert, key_sets):
    msg = decode_i_message(bytes.fromhex(csk_vector["i_message_hex"]))
    gms = key_sets["GMS"]
    ssv = sakke.decapsulate(msg.sakke.sed, gms.user_id, gms.rsk, kms_cert.z_t)
    assert ssv == bytes.fromhex(csk_vector["CSK"])
    assert key_id_of(msg) == int(csk_vector["CSK-ID"], 16)


def test_csk_message_processed_end_to_end(csk_vector, kms_cert, key_sets_by_uri):
    got = _open(csk_vector, kms_cert, key_sets_by_uri, initiator_uri=csk_vector["Initiator URI"],
                expected_purpose=KeyPurpose.CSK)
    assert got.key == bytes.fromhex(csk_vector["CSK"])
    assert got.key_id == int(csk_vector["CSK-ID"], 16)
    assert got.purpose is KeyPurpose.CSK
    assert got.rand == bytes.fromhex(csk_vector["CSK-RAND"])
    assert got.initiator_uid == key_sets_by_uri["sip:alice@streamwide.com"].user_id
    assert got.kms_uri == "kms.mydev.streamwide.com"
    assert got.key.hex() not in repr(got)


@pytest.mark.parametrize("name,purpose", [("GMK", KeyPurpose.GMK), ("PCK", KeyPurpose.PCK)])
def test_gmk_and_pck_messages(mikey_vectors, kms_cert, key_sets_by_uri, name, purpose):
    m = next(x for x in mikey_vectors["i_messages"] if x["name"] == name)
    got = _open(m, kms_cert, key_sets_by_uri, initiator_uri=m["Initiator URI"])
    assert got.key == bytes.fromhex(m[name])
    assert got.key_id == int(m[f"{name}-ID"], 16)
    assert got.purpose is purpose
    assert got.rand == bytes.fromhex(m[f"{name}-RAND"])


def test_legacy_gmk_message_verifies_and_decrypts(mikey_vectors, kms_cert, key_sets_by_uri):
    m = next(x for x in mikey_vectors["i_messages"] if x["name"].startswith("GMK (legacy"))
    got = _open(m, kms_cert, key_sets_by_uri, initiator_uri=m["Initiator URI"])
    assert got.key == bytes.fromhex(m["GMK"])


def test_builder_reproduces_the_reference_structure(csk_vector, kms_cert, key_sets):
    raw = bytes.fromhex(csk_vector["i_message_hex"])
    ref = decode_i_message(raw)
    built = build_i_message(
        kms=kms_cert, initiator=key_sets["Alice"], responder_uri=csk_vector["Responder URI"],
        key=bytes.fromhex(csk_vector["CSK"]), key_id=int(csk_vector["CSK-ID"], 16), rand=ref.rand,
        ntp_seconds=ref.timestamp.ntp_seconds, extension=ref.extensions[0].data,
    )
    # identical except the ECCSI r || s, which depend on the random j
    assert built.data[:-129] == raw[:-129]
    assert built.data[-65:] == raw[-65:]
    assert built.data[-129:-65] != raw[-129:-65]


def test_wrong_responder_is_refused(csk_vector, kms_cert, key_sets):
    with pytest.raises(WrongResponderError):
        process_i_message(bytes.fromhex(csk_vector["i_message_hex"]), kms=kms_cert, responder=key_sets["Bob"],
                          freshness=AcceptAll())


def test_wrong_initiator_is_refused(csk_vector, kms_cert, key_sets_by_uri):
    with pytest.raises(WrongInitiatorError):
        _open(csk_vector, kms_cert, key_sets_by_uri, initiator_uri="sip:bob@streamwide.com")


def test_wrong_kms_is_refused(csk_vector, kms_cert, key_sets_by_uri):
    other = dataclasses.replace(kms_cert, kms_uri="kms.elsewhere.example")
    with pytest.raises(WrongKmsError):
        _open(csk_vector, other, key_sets_by_uri)


def test_wrong_kpak_fails_the_signature(csk_vector, kms_cert, key_sets_by_uri):
    other = dataclasses.replace(kms_cert, kpak=eccsi.EccsiKms.from_ksak(7).kpak)
    with pytest.raises(BadSignatureError):
        _open(csk_vector, other, key_sets_by_uri)


def test_key_set_for_another_period_is_reported(csk_vector, kms_cert, key_sets):
    stale = dataclasses.replace(key_sets["GMS"], key_period_no=235)
    with pytest.raises(KeyMaterialError):
        process_i_message(bytes.fromhex(csk_vector["i_message_hex"]), kms=kms_cert, responder=stale,
                          freshness=AcceptAll())


def test_unexpected_purpose_is_refused(csk_vector, kms_cert, key_sets_by_uri):
    with pytest.raises(KeyPurposeError):
        _open(csk_vector, kms_cert, key_sets_by_uri, expected_purpose=KeyPurpose.GMK)


def test_timestamp_window_and_replay(csk_vector, kms_cert, key_sets_by_uri):
    ts = decode_i_message(bytes.fromhex(csk_vector["i_message_hex"])).timestamp.ntp_seconds
    now = [ntp_to_unix(ts) + 10]
    policy = WindowFreshnessPolicy(window=60, clock=lambda: now[0])
    _open(csk_vector, kms_cert, key_sets_by_uri, freshness=policy)
    with pytest.raises(ReplayError):
        _open(csk_vector, kms_cert, key_sets_by_uri, freshness=policy)
    now[0] = ntp_to_unix(ts) + 61
    with pytest.raises(StaleTimestampError):
        _open(csk_vector, kms_cert, key_sets_by_uri, freshness=WindowFreshnessPolicy(window=60, clock=lambda: now[0]))
    now[0] = ntp_to_unix(ts) - 120
    with pytest.raises(StaleTimestampError):
        _open(csk_vector, kms_cert, key_sets_by_uri, freshness=WindowFreshnessPolicy(window=60, clock=lambda: now[0]))


def test_replay_cache_is_bounded():
    now = [1000.0]
    policy = WindowFreshnessPolicy(window=60, cache_size=3, clock=lambda: now[0])
    t = now[0] + 2208988800
    for i in range(10):
        policy.check(t, bytes([i]))
    assert len(policy) == 3
    with pytest.raises(ReplayError):
        policy.check(t, bytes([9]))
