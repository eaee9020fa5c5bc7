"""ECCSI (RFC 6507): Appendix A known answers, validation, and refusal of bad input."""
from __future__ import annotations

import pytest

from mcsec.impl.ibc import eccsi
from mcsec.impl.ibc.errors import InvalidPointError, InvalidScalarError, InvalidSignatureError, KeyValidationError


@pytest.fixture(scope="module")
def kat(rfc_vectors):
    v = rfc_vectors["rfc6507"]
    ident = bytes.fromhex(rfc_vectors["identifier_hex"])
    kms = eccsi.EccsiKms.from_ksak(int(v["KSAK"], 16))
    pair = kms.issue(ident, ephemeral=int(v["v"], 16))
    return v, ident, kms, pair


def test_identifier_is_the_rfc_example(rfc_vectors):
    assert bytes.fromhex(rfc_vectors["identifier_hex"]) == b"2011-02\x00tel:+447700900123\x00"


def test_kpak_pvt_hs_ssk_reproduce_appendix_a(kat):
    v, ident, kms, pair = kat
    assert kms.kpak == bytes.fromhex(v["KPAK"])
    assert pair.pvt == bytes.fromhex(v["PVT"])
    assert eccsi.compute_hs(ident, kms.kpak, pair.pvt) == bytes.fromhex(v["HS"])
    assert pair.ssk_bytes() == bytes.fromhex(v["SSK"])


def test_ssk_validation_returns_hs(kat):
    v, ident, kms, pair = kat
    assert eccsi.validate_signing_key(ident, pair.ssk, pair.pvt, kms.kpak) == bytes.fromhex(v["HS"])


def test_signature_reproduces_appendix_a(kat):
    v, ident, kms, pair = kat
    sig = eccsi.sign(bytes.fromhex(v["message_hex"]), pair, kms.kpak, ephemeral=int(v["j"], 16))
    assert sig[:32] == bytes.fromhex(v["r"])
    assert sig[32:64] == bytes.fromhex(v["s"])
    assert sig == bytes.fromhex(v["signature"])
    assert len(sig) == eccsi.SIGNATURE_LEN == 129


def test_published_signature_verifies(kat):
    v, ident, kms, _ = kat
    eccsi.verify(bytes.fromhex(v["message_hex"]), bytes.fromhex(v["signature"]), ident, kms.kpak)


def test_wrong_message_identity_or_kpak_fails(kat):
    v, ident, kms, _ = kat
    msg, sig = bytes.fromhex(v["message_hex"]), bytes.fromhex(v["signature"])
    with pytest.raises(InvalidSignatureError):
        eccsi.verify(msg + b"x", sig, ident, kms.kpak)
    with pytest.raises(InvalidSignatureError):
        eccsi.verify(msg, sig, ident + b"x", kms.kpak)
    other = eccsi.EccsiKms.from_ksak(0x54321)
    with pytest.raises(InvalidSignatureError):
        eccsi.verify(msg, sig, ident, other.kpak)


def test_tampered_ssk_fails_validation(kat):
    _, ident, kms, pair = kat
    with pytest.raises(KeyValidationError):
        eccsi.validate_signing_key(ident, pair.ssk + 1, pair.pvt, kms.kpak)
    with pytest.raises(KeyValidationError):
        eccsi.validate_signing_key(ident + b"!", pair.ssk, pair.pvt, kms.kpak)


@pytest.mark.parametrize("ssk", [0, int(eccsi.P256.q), -1])
def test_ssk_out_of_range_is_refused(kat, ssk):
    _, ident, kms, pair = kat
    with pytest.raises(InvalidScalarError):
        eccsi.validate_signing_key(ident, ssk, pair.pvt, kms.kpak)


def _off_curve(point: bytes) -> bytes:
    return point[:-1] + bytes([point[-1] ^ 1])


def test_received_points_are_checked(kat):
    v, ident, kms, pair = kat
    msg, sig = bytes.fromhex(v["message_hex"]), bytes.fromhex(v["signature"])
    bad_pvt = sig[:64] + _off_curve(sig[64:])
    with pytest.raises(InvalidPointError):
        eccsi.verify(msg, bad_pvt, ident, kms.kpak)
    with pytest.raises(InvalidPointError):
        eccsi.verify(msg, sig[:64] + b"\x00" * 65, ident, kms.kpak)  # no encoding of infinity
    with pytest.raises(InvalidPointError):
        eccsi.verify(msg, sig[:64] + b"\x02" + sig[65:], ident, kms.kpak)  # not uncompressed
    with pytest.raises(InvalidPointError):
        eccsi.verify(msg, sig, ident, _off_curve(kms.kpak))
    with pytest.raises(InvalidPointError):
        eccsi.validate_signing_key(ident, pair.ssk, _off_curve(pair.pvt), kms.kpak)
    p = int(eccsi.P256.p).to_bytes(32, "big")
    with pytest.raises(InvalidPointError):  # coordinate not reduced mod p
        eccsi.decode_point(b"\x04" + p + sig[97:])


@pytest.mark.parametrize(
    "r,s",
    [(0, 1), (1, 0), (1, int(eccsi.P256.q)), (int(eccsi.P256.p), 1)],
)
def test_signature_scalars_are_range_checked(kat, r, s):
    v, ident, kms, pair = kat
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big") + pair.pvt
    with pytest.raises(InvalidSignatureError):
        eccsi.verify(b"m", sig, ident, kms.kpak)


def test_wrong_length_signature_is_refused(kat):
    v, ident, kms, _ = kat
    with pytest.raises(InvalidSignatureError):
        eccsi.verify(b"m", bytes.fromhex(v["signature"])[:-1], ident, kms.kpak)


def test_fresh_kms_round_trip():
    kms = eccsi.EccsiKms.generate()
    pair = kms.issue(b"sip:someone@example.org")
    eccsi.validate_signing_key(pair.identifier, pair.ssk, pair.pvt, kms.kpak)
    sig = eccsi.sign(b"hello", pair, kms.kpak)
    eccsi.verify(b"hello", sig, pair.identifier, kms.kpak)
    assert eccsi.is_valid(b"hello", sig, pair.identifier, kms.kpak)
    assert not eccsi.is_valid(b"hellp", sig, pair.identifier, kms.kpak)


def test_private_keys_stay_out_of_repr(kat):
    _, _, kms, pair = kat
    assert hex(pair.ssk)[2:] not in repr(pair).lower()
    assert "ksak" not in repr(kms).lower()
