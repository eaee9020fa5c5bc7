"""SAKKE (RFC 6508, parameter set 1): Appendix A known answers, pairing, and refusals."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcsec.impl.ibc import sakke
from mcsec.impl.ibc.errors import DecapsulationError, InvalidPointError, InvalidScalarError, KeyValidationError
from mcsec.impl.ibc.pairing import PairingContext

CURVE = sakke.PARAMETER_SET_1.curve


@pytest.fixture(scope="module")
def kat(rfc_vectors):
    v = rfc_vectors["rfc6508"]
    ident = bytes.fromhex(rfc_vectors["identifier_hex"])
    kms = sakke.SakkeKms.from_master_secret(int(v["z"], 16))
    return v, ident, kms


def test_parameter_set_1_matches_vectors(rfc_vectors):
    s = rfc_vectors["sakke_parameter_set_1"]
    assert int(CURVE.p) == int(s["p"], 16)
    assert int(CURVE.q) == int(s["q"], 16)
    assert (int(CURVE.gx), int(CURVE.gy)) == (int(s["Px"], 16), int(s["Py"], 16))
    assert int(sakke.PARAMETER_SET_1.g) == int(s["g"], 16)
    assert sakke.PARAMETER_SET_1.sed_len == 273


def test_g_is_the_pairing_of_p_with_itself():
    ctx = PairingContext(CURVE)
    assert ctx.pair(CURVE.generator, CURVE.generator) == sakke.PARAMETER_SET_1.g


def test_pairing_is_bilinear_and_symmetric():
    ctx = PairingContext(CURVE)
    P = CURVE.generator
    A, B = CURVE.multiply(P, 5), CURVE.multiply(P, 7)
    assert ctx.pair(A, B) == ctx.pair(B, A) == ctx.pf_pow(sakke.PARAMETER_SET_1.g, 35)
    assert ctx.pair(A, B) != sakke.PARAMETER_SET_1.g


def test_kms_public_key_and_rsk(kat):
    v, ident, kms = kat
    assert kms.z_t == bytes.fromhex(v["Z"])
    assert kms.issue_rsk(ident) == bytes.fromhex(v["RSK"])
    sakke.validate_rsk(ident, bytes.fromhex(v["RSK"]), kms.z_t)


def test_r_mask_and_sed_reproduce_appendix_a(kat):
    v, ident, kms = kat
    ssv = bytes.fromhex(v["SSV"])
    r = sakke.hash_to_integer_range(ssv + ident, int(CURVE.q))
    assert r == int(v["r"], 16)
    g_r = PairingContext(CURVE).pf_pow(sakke.PARAMETER_SET_1.g, r)
    assert sakke._mask(g_r) == bytes.fromhex(v["mask"])
    enc = sakke.encapsulate(ident, kms.z_t, ssv)
    assert enc.sed[:257] == bytes.fromhex(v["R_b_S"])
    assert enc.sed[257:] == bytes.fromhex(v["H"])
    assert enc.sed == bytes.fromhex(v["SED"])


def test_decapsulation_recovers_ssv(kat):
    v, ident, kms = kat
    ssv = sakke.decapsulate(bytes.fromhex(v["SED"]), ident, bytes.fromhex(v["RSK"]), kms.z_t)
    assert ssv == bytes.fromhex(v["SSV"])


def test_rsk_for_another_identity_fails_validation(kat):
    v, ident, kms = kat
    with pytest.raises(KeyValidationError):
        sakke.validate_rsk(ident + b"x", bytes.fromhex(v["RSK"]), kms.z_t)


def test_tampered_hint_fails_the_rfc_check(kat):
    v, ident, kms = kat
    sed = bytearray(bytes.fromhex(v["SED"]))
    sed[-1] ^= 0x01
    with pytest.raises(DecapsulationError):
        sakke.decapsulate(bytes(sed), ident, bytes.fromhex(v["RSK"]), kms.z_t)


def test_wrong_identifier_fails(kat):
    v, ident, kms = kat
    with pytest.raises(DecapsulationError):
        sakke.decapsulate(bytes.fromhex(v["SED"]), ident + b"x", bytes.fromhex(v["RSK"]), kms.z_t)


def test_received_points_are_checked(kat):
    v, ident, kms = kat
    sed = bytearray(bytes.fromhex(v["SED"]))
    sed[256] ^= 0x01  # R off the curve
    with pytest.raises(DecapsulationError, match="not on the curve"):
        sakke.decapsulate(bytes(sed), ident, bytes.fromhex(v["RSK"]), kms.z_t)
    with pytest.raises(DecapsulationError):
        sakke.decapsulate(bytes.fromhex(v["SED"])[:-1], ident, bytes.fromhex(v["RSK"]), kms.z_t)
    bad_rsk = bytearray(bytes.fromhex(v["RSK"]))
    bad_rsk[-1] ^= 1
    with pytest.raises(InvalidPointError):
        sakke.decapsulate(bytes.fromhex(v["SED"]), ident, bytes(bad_rsk), kms.z_t)
    bad_z = bytearray(kms.z_t)
    bad_z[-1] ^= 1
    with pytest.raises(InvalidPointError):
        sakke.encapsulate(ident, bytes(bad_z), bytes.fromhex(v["SSV"]))


def test_point_outside_the_subgroup_is_refused_as_kms_key():
    # (0, 0) lies on y^2 = x^3 - 3x and has order 2.
    with pytest.raises(InvalidPointError):
        sakke.encapsulate(b"id", b"\x04" + bytes(256), bytes(16))


def test_ssv_length_and_master_secret_range():
    kms = sakke.SakkeKms.generate()
    with pytest.raises(InvalidScalarError):
        sakke.encapsulate(b"id", kms.z_t, bytes(15))
    with pytest.raises(InvalidScalarError):
        sakke.SakkeKms.from_master_secret(0)


def test_fresh_round_trip():
    kms = sakke.SakkeKms.generate()
    uid = os.urandom(32)
    rsk = kms.issue_rsk(uid)
    sakke.validate_rsk(uid, rsk, kms.z_t)
    enc = sakke.encapsulate(uid, kms.z_t)
    assert sakke.decapsulate(enc.sed, uid, rsk, kms.z_t) == enc.ssv
    assert len(enc.sed) == 273


def test_hash_to_integer_range_bounds():
    for n in (2, 255, 2**128, int(CURVE.q)):
        assert 0 <= sakke.hash_to_integer_range(b"abc", n) < n
    assert sakke.hash_to_integer_range(b"abc", 2**128) != sakke.hash_to_integer_range(b"abd", 2**128)


def test_plain_int_backend_gives_the_same_answers():
    root = Path(__file__).resolve().parents[3]
    code = (
        "import json; from mcsec.impl.ibc import sakke, eccsi, bigint; assert bigint.BACKEND == 'int';"
        "d = json.load(open('fixtures/vectors/rfc6507-rfc6508-vectors.json'));"
        "v = d['rfc6508']; i = bytes.fromhex(d['identifier_hex']);"
        "k = sakke.SakkeKms.from_master_secret(int(v['z'], 16));"
        "assert sakke.encapsulate(i, k.z_t, bytes.fromhex(v['SSV'])).sed.hex().upper() == v['SED'];"
        "assert sakke.decapsulate(bytes.fromhex(v['SED']), i, bytes.fromhex(v['RSK']), k.z_t).hex().upper() == v['SSV'];"
        "e = d['rfc6507']; m = eccsi.EccsiKms.from_ksak(int(e['KSAK'], 16));"
        "eccsi.verify(bytes.fromhex(e['message_hex']), bytes.fromhex(e['signature']), i, m.kpak);"
        "print('ok')"
    )
    env = dict(os.environ, MCSEC_IBC_BACKEND="int")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
