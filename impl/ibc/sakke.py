"""SAKKE: Sakai-Kasahara Key Encryption (RFC 6508) with parameter set 1 (RFC 6509 Appendix A).

KMS side: :class:`SakkeKms` holds the KMS Master Secret z and the KMS Public Key
Z_T = [z]P, and issues Receiver Secret Keys K_b = [(b + z)^-1]P (RFC 6508 6.1.1).
User side: :func:`validate_rsk` (6.1.2), :func:`encapsulate` (6.2.1) and
:func:`decapsulate` (6.2.2). The Sakai-Kasahara Encapsulated Data (SED) is
R_(b,S) || H: 0x04 || x || y (257 octets) and a 16-octet H, 273 octets in all.

The identifier b is an octet string (for MIKEY-SAKKE, the 32-octet UID); it is
used as an integer in [b]P and as octets in SSV || b.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from mcsec.impl.ibc.bigint import invert, mpz
from mcsec.impl.ibc.errors import DecapsulationError, InvalidPointError, InvalidScalarError, KeyValidationError
from mcsec.impl.ibc.pairing import PairingContext, PreparedPoint
from mcsec.impl.ibc.weierstrass import Curve, FixedBaseTable, multi_mul


@dataclass(frozen=True)
class SakkeParameterSet:
    """A SAKKE parameter set: curve, base point P of order q, g = <P, P>, n, hash."""

    iana_value: int
    n: int
    curve: Curve
    g: Any

    @property
    def ssv_len(self) -> int:
        return self.n // 8

    @property
    def point_len(self) -> int:
        return 1 + 2 * self.curve.field_bytes

    @property
    def sed_len(self) -> int:
        return self.point_len + self.ssv_len


PARAMETER_SET_1 = SakkeParameterSet(
    iana_value=1,
    n=128,
    curve=Curve(
        name="SAKKE-1",
        p=mpz(int(
            "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E"
            "F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0"
            "E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA"
            "9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB", 16)),
        b=mpz(0),
        q=mpz(int(
            "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068B"
            "BD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4"
            "389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026A"
            "A7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB", 16)),
        gx=mpz(int(
            "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF"
            "B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890"
            "9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D"
            "D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895", 16)),
        gy=mpz(int(
            "A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178F"
            "5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B97"
            "0DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F21"
            "3515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7", 16)),
    ),
    g=mpz(int(
        "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87"
        "371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE"
        "EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA"
        "D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46", 16)),
)

_PARAMS = PARAMETER_SET_1
_CURVE = _PARAMS.curve
_Q = int(_CURVE.q)
_PAIRING = PairingContext(_CURVE)
_p_table: Optional[FixedBaseTable] = None


def _base_table() -> FixedBaseTable:
    global _p_table
    if _p_table is None:
        _p_table = FixedBaseTable(_CURVE, _CURVE.generator, window=5)
    return _p_table


def hash_to_integer_range(data: bytes, n: int) -> int:
    """HashToIntegerRange(s, n, SHA-256) of RFC 6508 5.1: an integer in [0, n-1]."""
    A = hashlib.sha256(data).digest()
    h = bytes(32)
    blocks = -(-int(n - 1).bit_length() // 256) if n > 1 else 1
    out = b""
    for _ in range(max(blocks, 1)):
        h = hashlib.sha256(h).digest()
        out += hashlib.sha256(h + A).digest()
    return int.from_bytes(out, "big") % int(n)


def _pf_octets(value: Any) -> bytes:
    return int(value).to_bytes(_CURVE.field_bytes, "big")


def decode_point(data: bytes, what: str) -> tuple[Any, Any]:
    """Decode a received SAKKE point (on the curve, finite), naming it in errors."""
    try:
        return _CURVE.decode_point(bytes(data))
    except InvalidPointError as exc:
        raise InvalidPointError(f"SAKKE {what}: {exc}") from None


@lru_cache(maxsize=16)
def _kms_public_table(z_t: bytes) -> FixedBaseTable:
    """Table for a KMS public key Z_T, after checking it lies in the order-q subgroup."""
    point = decode_point(z_t, "KMS public key Z_T")
    if multi_mul(_CURVE, [(_Q, point)])[2] != 0:
        raise InvalidPointError("SAKKE KMS public key Z_T is not in the order-q subgroup")
    return FixedBaseTable(_CURVE, point, window=5)


def _identifier_scalar(identifier: bytes) -> int:
    b = int.from_bytes(bytes(identifier), "big")
    if not bytes(identifier):
        raise InvalidScalarError("SAKKE identifier is empty")
    return b


@dataclass(frozen=True)
class ReceiverSecretKey:
    """A Receiver Secret Key K_b, with its Miller-loop lines prepared on first use."""

    point: tuple[Any, Any] = field(repr=False)
    _prepared: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, rsk: bytes) -> "ReceiverSecretKey":
        return cls(point=decode_point(rsk, "RSK"))

    def to_bytes(self) -> bytes:
        return _CURVE.encode_point(self.point)

    def prepared(self) -> PreparedPoint:
        if not self._prepared:
            self._prepared.append(PreparedPoint(_PAIRING, self.point))
        return self._prepared[0]


def _as_rsk(rsk: "bytes | ReceiverSecretKey") -> ReceiverSecretKey:
    if isinstance(rsk, ReceiverSecretKey):
        return rsk
    return ReceiverSecretKey.from_bytes(rsk)


@dataclass(frozen=True)
class SakkeKms:
    """The KMS half of SAKKE: master secret z and public key Z_T = [z]P."""

    z: int = field(repr=False)
    z_t: bytes

    @classmethod
    def from_master_secret(cls, z: int) -> "SakkeKms":
        z = int(z)
        if not 1 <= z < _Q:
            raise InvalidScalarError("SAKKE master secret z out of range")
        return cls(z=z, z_t=_CURVE.encode_point(_base_table().multiply(z)))

    @classmethod
    def generate(cls) -> "SakkeKms":
        return cls.from_master_secret(1 + secrets.randbelow(_Q - 1))

    def issue_rsk(self, identifier: bytes) -> bytes:
        """K_b = [(b + z)^-1]P for the identifier b (RFC 6508 6.1.1)."""
        t = (_identifier_scalar(identifier) + self.z) % _Q
        if t == 0:
            raise InvalidScalarError("SAKKE: b + z is 0 mod q; the KMS must not issue this key")
        return _CURVE.encode_point(_base_table().multiply(int(invert(mpz(t), _CURVE.q))))


def _receiver_point(identifier: bytes, z_t: bytes, scalar: int) -> Any:
    """[scalar]([b]P + Z_T) as a Jacobian point."""
    b = _identifier_scalar(identifier)
    acc = _base_table().multiply_jacobian(scalar * b % _Q)
    return _CURVE.add(acc, _kms_public_table(bytes(z_t)).multiply_jacobian(scalar))


def validate_rsk(identifier: bytes, rsk: "bytes | ReceiverSecretKey", z_t: bytes) -> None:
    """Check <[b]P + Z_T, K_b> == g (RFC 6508 6.1.2); raises KeyValidationError."""
    key = _as_rsk(rsk)
    point = _CURVE.to_affine(_receiver_point(identifier, z_t, 1))
    if point is None:
        raise KeyValidationError("SAKKE: [b]P + Z_T is the point at infinity")
    if key.prepared().pair(point) != _PARAMS.g:
        raise KeyValidationError("SAKKE: RSK does not match identifier and KMS public key")


def _mask(w: Any) -> bytes:
    return hash_to_integer_range(_pf_octets(w), 1 << _PARAMS.n).to_bytes(_PARAMS.ssv_len, "big")


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


@dataclass(frozen=True)
class Encapsulation:
    ssv: bytes = field(repr=False)
    sed: bytes


def encapsulate(identifier: bytes, z_t: bytes, ssv: bytes | None = None) -> Encapsulation:
    """Encapsulate an SSV to identifier b under KMS key Z_T (RFC 6508 6.2.1).

    The SSV is random unless given (a caller with its own key, e.g. a CSK, passes it).
    """
    if ssv is None:
        ssv = secrets.token_bytes(_PARAMS.ssv_len)
    ssv = bytes(ssv)
    if len(ssv) != _PARAMS.ssv_len:
        raise InvalidScalarError(f"SAKKE SSV must be {_PARAMS.ssv_len} bytes")
    r = hash_to_integer_range(ssv + bytes(identifier), _Q)
    if r == 0:
        raise InvalidScalarError("SAKKE: r is zero for this SSV")  # pragma: no cover
    R = _CURVE.to_affine(_receiver_point(identifier, z_t, r))
    if R is None:
        raise InvalidPointError("SAKKE: R is the point at infinity")
    H = _xor(ssv, _mask(_PAIRING.pf_pow(_PARAMS.g, r)))
    return Encapsulation(ssv=ssv, sed=_CURVE.encode_point(R) + H)


def decapsulate(sed: bytes, identifier: bytes, rsk: "bytes | ReceiverSecretKey", z_t: bytes) -> bytes:
    """Recover and verify the SSV from an SED (RFC 6508 6.2.2).

    The SSV is returned only after r = HashToIntegerRange(SSV || b, q) is recomputed and
    [r]([b]P + Z_T) == R_(b,S) is confirmed; otherwise DecapsulationError is raised.
    """
    sed = bytes(sed)
    if len(sed) != _PARAMS.sed_len:
        raise DecapsulationError(f"SAKKE SED must be {_PARAMS.sed_len} bytes, got {len(sed)}")
    try:
        R = decode_point(sed[: _PARAMS.point_len], "R_(b,S)")
    except InvalidPointError as exc:
        raise DecapsulationError(str(exc)) from None
    H = sed[_PARAMS.point_len :]
    key = _as_rsk(rsk)
    try:
        w = key.prepared().pair(R)
    except InvalidPointError as exc:
        raise DecapsulationError(f"SAKKE pairing failed: {exc}") from None
    ssv = _xor(H, _mask(w))
    r = hash_to_integer_range(ssv + bytes(identifier), _Q)
    test = _receiver_point(identifier, z_t, r)
    expected = _CURVE.encode_point(R)
    got = _CURVE.to_affine(test)
    if got is None or not hmac.compare_digest(_CURVE.encode_point(got), expected):
        raise DecapsulationError("SAKKE: SED does not verify for this identifier and key")
    return ssv
