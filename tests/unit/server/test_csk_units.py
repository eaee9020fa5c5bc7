"""The MCPTT server's clause 7.14 parts without processes: the "ibc" configuration item, the CSK
store's binding, and the I_MESSAGE pipeline on the independent vectors with static key material."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcsec.impl.faults import Faults
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.server import ibc_config
from mcsec.impl.server.csk_store import BoundCsk, CskBoundElsewhere, CskStore
from mcsec.impl.server.csk_upload import CskReceiver, MalformedIMessage, UndecipherableIMessage, Uploader, UploadRefused
from mcsec.impl.server.ibc_keys import StaticKeyRing

VECTORS = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "vectors" /
                      "mikey-sakke-vectors.json").read_text())
CSK = next(m for m in VECTORS["i_messages"] if m["name"] == "CSK")
ALICE = Uploader("sip:alice@ims.streamwide.com", "sip:alice@streamwide.com")
TEN_YEARS = 10 * 365 * 86400


def vector_settings(**extra) -> ibc_config.IbcSettings:
    return ibc_config.parse({"identity": "gms@streamwide.com", "freshness_window_s": TEN_YEARS,
                             "key_material": {"kms_init": VECTORS["kms_init"],
                                              "key_sets": [VECTORS["key_sets"]["GMS"]]}, **extra})


def receiver(settings: ibc_config.IbcSettings, faults: tuple[str, ...] = ()) -> CskReceiver:
    assert settings.key_material is not None
    return CskReceiver(keys=StaticKeyRing(settings.key_material), settings=settings,
                       faults=Faults(list(faults), role="server"), store=CskStore())


def test_defaults() -> None:
    settings = ibc_config.parse(None)
    assert (settings.identity, settings.user_id_format, settings.freshness_window_s) == (None, "hex", 300.0)
    assert settings.key_material is None and not settings.revoked


@pytest.mark.parametrize("item", [
    [], {"nope": 1}, {"user_id_format": "b32"}, {"freshness_window_s": 0}, {"revoked": [["x", -1]]},
    {"revoked": "x"}, {"key_material": {"kms_init": {}, "key_sets": []}}, {"identity": ""},
    {"replay_cache_size": True},
])
def test_bad_items_are_refused(item) -> None:
    with pytest.raises(ConfigError):
        ibc_config.parse(item)


def test_static_key_material_must_validate() -> None:
    bad = dict(VECTORS["key_sets"]["GMS"], UserSigningKeySSK=VECTORS["key_sets"]["Alice"]["UserSigningKeySSK"])
    with pytest.raises(ConfigError, match="key_material"):
        ibc_config.parse({"key_material": {"kms_init": VECTORS["kms_init"], "key_sets": [bad]}})


def test_revoked_entries() -> None:
    settings = ibc_config.parse({"revoked": [["sip:a@x", 3], {"user_uri": "sip:b@x", "key_period_no": 4}]})
    assert settings.is_revoked("sip:a@x", 3) and settings.is_revoked("sip:b@x", 4)
    assert not settings.is_revoked("sip:a@x", 4)


def test_vector_csk_is_recovered_and_bound() -> None:
    got = receiver(vector_settings()).receive(bytes.fromhex(CSK["i_message_hex"]), ALICE)
    assert (got.key_id, got.key.hex()) == (int(CSK["CSK-ID"], 16), CSK["CSK"])
    assert (got.impu, got.mcptt_id, got.kms_uri, got.key_period_no) == (
        ALICE.impu, ALICE.mcptt_id, VECTORS["kms_init"]["KmsUri"], 236)
    assert CSK["CSK"] not in repr(got) and "key=" not in repr(got)


def test_vector_with_the_default_window_is_stale() -> None:
    settings = vector_settings(freshness_window_s=300)
    with pytest.raises(UploadRefused, match="timestamp"):
        receiver(settings).receive(bytes.fromhex(CSK["i_message_hex"]), ALICE)


def test_vector_from_another_asserted_user_is_refused() -> None:
    with pytest.raises(UploadRefused, match="initiator"):
        receiver(vector_settings()).receive(bytes.fromhex(CSK["i_message_hex"]),
                                            Uploader("sip:bob@ims.streamwide.com", "sip:bob@streamwide.com"))


def test_vector_revoked_initiator() -> None:
    settings = vector_settings(revoked=[["sip:alice@streamwide.com", 236]])
    with pytest.raises(UploadRefused, match="revoked"):
        receiver(settings).receive(bytes.fromhex(CSK["i_message_hex"]), ALICE)
    assert receiver(settings, ("server_accept_revoked",)).receive(
        bytes.fromhex(CSK["i_message_hex"]), ALICE).key.hex() == CSK["CSK"]


def test_vector_damaged() -> None:
    data = bytearray.fromhex(CSK["i_message_hex"])
    with pytest.raises(MalformedIMessage):
        receiver(vector_settings()).receive(bytes(data[:-10]), ALICE)
    data[-100] ^= 1
    with pytest.raises(UploadRefused, match="signature"):
        receiver(vector_settings()).receive(bytes(data), ALICE)
    assert MalformedIMessage.status == 400 and UndecipherableIMessage.status == 493 and UploadRefused.status == 403


def test_vector_gmk_is_not_a_csk() -> None:
    gmk = next(m for m in VECTORS["i_messages"] if m["name"] == "GMK")
    settings = ibc_config.parse({"identity": "sip:alice@streamwide.com", "freshness_window_s": TEN_YEARS,
                                 "key_material": {"kms_init": VECTORS["kms_init"],
                                                  "key_sets": [VECTORS["key_sets"]["Alice"]]}})
    gms = Uploader("sip:gms@ims.streamwide.com", "gms@streamwide.com")
    with pytest.raises(UploadRefused, match="not a CSK"):
        receiver(settings).receive(bytes.fromhex(gmk["i_message_hex"]), gms)
    got = receiver(settings, ("server_ignore_purpose",)).receive(bytes.fromhex(gmk["i_message_hex"]), gms)
    assert got.key.hex() == gmk["GMK"]


def test_store_binding() -> None:
    store = CskStore()
    first = BoundCsk(0x21234567, b"k" * 16, "sip:a@ims", "sip:a@x", "kms", 1)
    store.add(first)
    store.add(BoundCsk(0x21234567, b"j" * 16, "sip:a@ims", "sip:a@x", "kms", 1))  # same owner: replaced
    assert store.get(0x21234567).key == b"j" * 16
    with pytest.raises(CskBoundElsewhere):
        store.add(BoundCsk(0x21234567, b"m" * 16, "sip:b@ims", "sip:b@x", "kms", 1))
    assert store.get(0x21234567).bound_to("sip:a@ims", "sip:a@x")
    assert "k" * 16 not in repr(first)


def test_the_freshness_window_is_the_configured_one_and_each_fault_moves_one_edge():
    from mcsec.impl.faults import Faults
    from mcsec.impl.server import ibc_config
    from mcsec.impl.server.csk_upload import freshness_window

    settings = ibc_config.parse({"user_id_format": "hex", "freshness_window_s": 120, "max_future_s": 90})
    assert freshness_window(settings, Faults()) == (120, 90)
    assert freshness_window(settings, Faults(["server_timestamp_window_doubled"])) == (240, 180)
    assert freshness_window(settings, Faults(["server_future_timestamp_unchecked"])) == (120, float("inf"))
    assert freshness_window(settings, Faults(["server_no_future_allowance"])) == (120, 0.0)
