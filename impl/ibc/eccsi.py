"""ECCSI: Elliptic Curve-Based Certificateless Signatures for Identity-Based Encryption (RFC 6507).

Fixed choices (as used by MIKEY-SAKKE, RFC 6509): curve NIST P-256, hash SHA-256,
N = 32 octets. Points travel uncompressed (0x04 || x || y, 65 octets). A
signature is r || s || PVT (129 octets).

KMS side: :class:`EccsiKms` holds the KMS Secret Authentication Key (KSAK) and
publishes the KMS Public Authentication Key (KPAK); it issues a Secret Signing
Key (SSK) and Public Validation Token (PVT) for an identifier (RFC 6507 5.1.1).
User side: :func:`validate_signing_key` (RFC 6507 5.1.2), :func:`sign` (5.2.1),
:func:`verify` (5.2.2). Every received point is checked to lie on the curve and
not to be the point at infinity; every scalar is range-checked.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from mcsec.impl.ibc.bigint import invert, mpz
from mcsec.impl.ibc.errors import (
    InvalidPointError,
    InvalidScalarError,
    InvalidSignatureError,
    KeyValidationError,
)
from mcsec.impl.ibc.weierstrass import Curve, FixedBaseTable, Jacobian, multi_mul

P256 = Curve(
    name="P-256",
    p=mpz(0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF),
    b=mpz(0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B),
    q=mpz(0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    gx=mpz(0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296),
    gy=mpz(0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5),
)
N = 32
POINT_LEN = 1 + 2 * N
SIGNATURE_LEN = 2 * N + POINT_LEN  # 129
_Q = int(P256.q)
_G_BYTES = P256.encode_point(P256.generator)

_g_table: Optional[FixedBaseTable] = None


def _base_table() -> FixedBaseTable:
    global _g_table
    if _g_table is None:
        _g_table = FixedBaseTable(P256, P256.generator, window=5)
    return _g_table


@lru_cache(maxsize=32)
def _kpak_table(kpak: bytes) -> FixedBaseTable:
    return FixedBaseTable(P256, P256.decode_point(kpak), window=4)


def _random_scalar() -> int:
    return 1 + secrets.randbelow(_Q - 1)


def _check_scalar(name: str, value: int, low: int = 1, high: int = _Q) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        value = int(value)
    if not low <= value < high:
        raise InvalidScalarError(f"ECCSI {name} out of range")
    return value


def decode_point(data: bytes, what: str = "point") -> tuple[Any, Any]:
    """Decode a received P-256 point; raises InvalidPointError with ``what`` named."""
    try:
        return P256.decode_point(bytes(data))
    except InvalidPointError as exc:
        raise InvalidPointError(f"ECCSI {what}: {exc}") from None


def compute_hs(identifier: bytes, kpak: bytes, pvt: bytes) -> bytes:
    """HS = hash(G || KPAK || ID || PVT) (RFC 6507 5.1.1 step 4 / 5.2.2 step 2)."""
    return hashlib.sha256(_G_BYTES + bytes(kpak) + bytes(identifier) + bytes(pvt)).digest()


@dataclass(frozen=True)
class SigningKeyPair:
    """What the KMS issues to one identifier: SSK (secret) and PVT (public)."""

    identifier: bytes
    ssk: int = field(repr=False)
    pvt: bytes

    def ssk_bytes(self) -> bytes:
        return int(self.ssk).to_bytes(N, "big")


@dataclass(frozen=True)
class EccsiKms:
    """The KMS half of ECCSI: the KSAK and the KPAK = [KSAK]G."""

    ksak: int = field(repr=False)
    kpak: bytes

    @classmethod
    def from_ksak(cls, ksak: int) -> "EccsiKms":
        ksak = _check_scalar("KSAK", ksak)
        return cls(ksak=ksak, kpak=P256.encode_point(_base_table().multiply(ksak)))

    @classmethod
    def generate(cls) -> "EccsiKms":
        return cls.from_ksak(_random_scalar())

    def issue(self, identifier: bytes, *, ephemeral: int | None = None) -> SigningKeyPair:
        """Issue (SSK, PVT) for ``identifier`` (RFC 6507 5.1.1).

        ``ephemeral`` fixes the random v; it exists only for known-answer tests.
        """
        while True:
            v = _check_scalar("v", ephemeral) if ephemeral is not None else _random_scalar()
            pvt = P256.encode_point(_base_table().multiply(v))
            hs = int.from_bytes(compute_hs(identifier, self.kpak, pvt), "big")
            ssk = (self.ksak + hs * v) % _Q
            if ssk != 0:
                return SigningKeyPair(identifier=bytes(identifier), ssk=ssk, pvt=pvt)
            if ephemeral is not None:
                raise InvalidScalarError("ECCSI: this v yields SSK = 0")


def validate_signing_key(identifier: bytes, ssk: int, pvt: bytes, kpak: bytes) -> bytes:
    """Check a received SSK/PVT against the KPAK (RFC 6507 5.1.2); returns HS.

    Raises KeyValidationError when [SSK]G != KPAK + [HS]PVT, InvalidPointError for a
    bad PVT or KPAK, InvalidScalarError for an SSK outside [1, q-1].
    """
    ssk = _check_scalar("SSK", ssk)
    pvt_point = decode_point(pvt, "PVT")
    kpak_point = decode_point(kpak, "KPAK")
    hs_bytes = compute_hs(identifier, kpak, pvt)
    hs = int.from_bytes(hs_bytes, "big") % _Q
    lhs = _base_table().multiply_jacobian(ssk)
    # KPAK + [HS]PVT  ==  [SSK]G   <=>   [SSK]G - [HS]PVT == KPAK
    rhs = P256.add_mixed(_mul_var(pvt_point, hs), kpak_point)
    if not P256.equal_jacobian_affine(lhs, P256.to_affine(rhs)):
        raise KeyValidationError("ECCSI: SSK does not match KPAK and PVT")
    return hs_bytes


def _mul_var(point: tuple[Any, Any], k: int) -> Jacobian:
    return multi_mul(P256, [(k, point)])


def sign(
    message: bytes,
    key: SigningKeyPair,
    kpak: bytes,
    *,
    hs: bytes | None = None,
    ephemeral: int | None = None,
) -> bytes:
    """ECCSI signature r || s || PVT over ``message`` (RFC 6507 5.2.1).

    ``hs`` may be passed when already known from :func:`validate_signing_key`.
    ``ephemeral`` fixes j; it exists only for known-answer tests.
    """
    ssk = _check_scalar("SSK", key.ssk)
    if hs is None:
        hs = compute_hs(key.identifier, kpak, key.pvt)
    for _ in range(64):
        j = _check_scalar("j", ephemeral) if ephemeral is not None else _random_scalar()
        J = _base_table().multiply(j)
        if J is None:  # impossible for j in [1, q-1]
            continue
        r = int(J[0])
        r_bytes = r.to_bytes(N, "big")
        he = int.from_bytes(hashlib.sha256(hs + r_bytes + bytes(message)).digest(), "big")
        t = (he + r * ssk) % _Q
        if t == 0:
            if ephemeral is not None:
                raise InvalidScalarError("ECCSI: HE + r*SSK is zero for this j")
            continue
        s = int(invert(mpz(t), P256.q)) * j % _Q
        if s == 0:
            continue
        return r_bytes + s.to_bytes(N, "big") + bytes(key.pvt)
    raise InvalidScalarError("ECCSI: could not find a usable ephemeral")  # pragma: no cover


@dataclass(frozen=True)
class EccsiSignature:
    r: int
    s: int
    pvt: bytes

    @classmethod
    def parse(cls, signature: bytes) -> "EccsiSignature":
        signature = bytes(signature)
        if len(signature) != SIGNATURE_LEN:
            raise InvalidSignatureError(f"ECCSI signature must be {SIGNATURE_LEN} bytes, got {len(signature)}")
        r = int.from_bytes(signature[:N], "big")
        s = int.from_bytes(signature[N : 2 * N], "big")
        return cls(r=r, s=s, pvt=signature[2 * N :])


def verify(message: bytes, signature: bytes, identifier: bytes, kpak: bytes) -> None:
    """Verify an ECCSI signature (RFC 6507 5.2.2); raises InvalidSignatureError on failure.

    A malformed PVT or KPAK raises InvalidPointError (also an IbcError).
    """
    sig = EccsiSignature.parse(signature)
    if not 0 < sig.r < int(P256.p):
        raise InvalidSignatureError("ECCSI r out of range")
    if not 0 < sig.s < _Q:
        raise InvalidSignatureError("ECCSI s out of range")
    pvt_point = decode_point(sig.pvt, "PVT")
    kpak = bytes(kpak)
    kpak_table = _kpak_table(kpak)
    hs_bytes = compute_hs(identifier, kpak, sig.pvt)
    hs = int.from_bytes(hs_bytes, "big")
    he = int.from_bytes(hashlib.sha256(hs_bytes + bytes(signature[:N]) + bytes(message)).digest(), "big")
    # J = [s]([HE]G + [r]([HS]PVT + KPAK)) = [s*HE]G + [s*r*HS]PVT + [s*r]KPAK
    s, r = sig.s, sig.r % _Q
    acc = _base_table().multiply_jacobian(s * he % _Q)
    acc = P256.add(acc, kpak_table.multiply_jacobian(s * r % _Q))
    acc = P256.add(acc, _mul_var(pvt_point, s * r * hs % _Q))
    J = P256.to_affine(acc)
    if J is None:
        raise InvalidSignatureError("ECCSI: J is the point at infinity")
    if not hmac.compare_digest(int(J[0]).to_bytes(N, "big"), sig.r.to_bytes(N, "big")):
        raise InvalidSignatureError("ECCSI signature does not verify")


def is_valid(message: bytes, signature: bytes, identifier: bytes, kpak: bytes) -> bool:
    """Boolean form of :func:`verify` (malformed inputs count as invalid)."""
    try:
        verify(message, signature, identifier, kpak)
    except (InvalidSignatureError, InvalidPointError, InvalidScalarError):
        return False
    return True
