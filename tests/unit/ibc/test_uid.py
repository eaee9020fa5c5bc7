"""TS 33.180 F.2.1 UIDs and key-period arithmetic."""
from __future__ import annotations

import pytest

from mcsec.impl.ibc.errors import KeyPeriodError
from mcsec.impl.ibc.uid import (
    NTP_UNIX_OFFSET,
    KeyPeriod,
    derive_uid,
    minimal_octets,
    ntp64_to_seconds,
    ntp_to_unix,
    seconds_to_ntp64,
    unix_to_ntp,
)


def test_five_published_uid_vectors(mikey_vectors):
    assert len(mikey_vectors["uid"]) == 5
    for v in mikey_vectors["uid"]:
        uid = derive_uid(v["uri"], v["kms_uri"], int(v["key_period"]), int(v["key_period_offset"]),
                         int(v["key_period_no"]))
        assert uid.hex() == v["uid"], v


def test_key_set_user_ids_match_derivation(mikey_vectors):
    kms = mikey_vectors["kms_init"]
    period = KeyPeriod(int(kms["UserKeyPeriod"]), int(kms["UserKeyOffset"]))
    for ks in mikey_vectors["key_sets"].values():
        assert period.uid(ks["UserUri"], kms["KmsUri"], int(ks["KeyPeriodNo"])).hex() == ks["UserID"]


def test_minimal_octets():
    assert minimal_octets(0) == b"\x00"
    assert minimal_octets(255) == b"\xff"
    assert minimal_octets(256) == b"\x01\x00"
    assert minimal_octets(2592000) == bytes.fromhex("278d00")
    with pytest.raises(KeyPeriodError):
        minimal_octets(-1)


def test_key_period_numbers():
    period = KeyPeriod(length=2592000, offset=100)
    assert period.number_at(100) == 0
    assert period.number_at(100 + 2592000 - 1) == 0
    assert period.number_at(100 + 2592000) == 1
    assert period.start_of(3) == 100 + 3 * 2592000
    assert period.end_of(3) == period.start_of(4)
    with pytest.raises(KeyPeriodError):
        period.number_at(99)
    with pytest.raises(KeyPeriodError):
        KeyPeriod(length=0)


def test_vector_timestamp_falls_in_key_period_236(mikey_vectors, csk_vector):
    kms = mikey_vectors["kms_init"]
    period = KeyPeriod(int(kms["UserKeyPeriod"]), int(kms["UserKeyOffset"]))
    raw = bytes.fromhex(csk_vector["i_message_hex"])
    t = raw.index(bytes.fromhex("0b00")) + 2  # T payload value follows next-payload and type octets
    assert period.number_at(ntp64_to_seconds(int.from_bytes(raw[t:t + 8], "big"))) == 236


def test_ntp_unix_conversions():
    assert unix_to_ntp(0) == NTP_UNIX_OFFSET
    assert ntp_to_unix(NTP_UNIX_OFFSET + 5) == 5
    assert ntp64_to_seconds(seconds_to_ntp64(3968437672.5)) == 3968437672.5
    assert seconds_to_ntp64(1.0) == 1 << 32
    assert KeyPeriod(10).number_at_unix(0) == NTP_UNIX_OFFSET // 10
