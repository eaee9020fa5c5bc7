"""MIKEY payload model for MIKEY-SAKKE I_MESSAGEs (RFC 3830, RFC 6043, RFC 6509, 3GPP profile).

Typed, immutable dataclasses; no parsing or serialisation here (see mikey_codec).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional, Union


class PayloadType(IntEnum):
    """Next-payload values (RFC 3830 6.1, RFC 6043 6.6, RFC 6509 4.2)."""

    LAST = 0
    KEMAC = 1
    PKE = 2
    DH = 3
    SIGN = 4
    T = 5
    ID = 6
    CERT = 7
    CHASH = 8
    V = 9
    SP = 10
    RAND = 11
    ERR = 12
    IDR = 14
    KEY_DATA = 20
    GENERAL_EXT = 21
    SAKKE = 26


#: Payload types this codec decodes inside an I_MESSAGE.
SUPPORTED_PAYLOADS = frozenset(
    {PayloadType.T, PayloadType.RAND, PayloadType.IDR, PayloadType.SP, PayloadType.SAKKE,
     PayloadType.GENERAL_EXT, PayloadType.SIGN}
)

MIKEY_VERSION = 1


class DataType(IntEnum):
    SAKKE_I_MESSAGE = 26  # RFC 6509
    SAKKE_R_MESSAGE = 27


class PrfFunction(IntEnum):
    MIKEY_1 = 0
    HMAC_SHA_256 = 1  # 3GPP TS 33.180


class CsIdMapType(IntEnum):
    SRTP_ID = 0
    EMPTY = 1
    GENERIC_ID = 2  # RFC 6043


class TimestampType(IntEnum):
    NTP_UTC = 0
    NTP = 1
    COUNTER = 2


class IdRole(IntEnum):
    """IDR roles (RFC 6043 6.6; 8 and 9 carry the 3GPP UID of initiator and responder)."""

    INITIATOR = 1
    RESPONDER = 2
    KMS_INITIATOR = 6
    KMS_RESPONDER = 7
    UID_INITIATOR = 8
    UID_RESPONDER = 9


class IdType(IntEnum):
    NAI = 0
    URI = 1
    BYTE_STRING = 2


class SignatureType(IntEnum):
    RSA_PKCS1 = 0
    RSA_PSS = 1
    ECCSI = 2


SAKKE_PARAMS_SET_1 = 1
SAKKE_ID_SCHEME_3GPP = 2
GENERAL_EXT_3GPP_KEY_PARAMS = 7


@dataclass(frozen=True)
class SrtpCsEntry:
    """One crypto session of the SRTP-ID map (RFC 3830 6.1.1)."""

    policy_no: int
    ssrc: int
    roc: int


@dataclass(frozen=True)
class GenericCsEntry:
    """One crypto session of the GENERIC-ID map (RFC 6043 6.1.1)."""

    cs_id: int
    prot_type: int
    session_data_flag: bool = False
    policies: tuple[int, ...] = ()
    session_data: bytes = b""
    spi: bytes = b""


CsEntry = Union[SrtpCsEntry, GenericCsEntry]


@dataclass(frozen=True)
class Header:
    """The common header HDR (RFC 3830 6.1)."""

    csb_id: int
    data_type: int = DataType.SAKKE_I_MESSAGE
    version: int = MIKEY_VERSION
    v_flag: bool = False
    prf: int = PrfFunction.HMAC_SHA_256
    cs_map_type: int = CsIdMapType.GENERIC_ID
    cs_entries: tuple[CsEntry, ...] = ()


@dataclass(frozen=True)
class Timestamp:
    """T payload (RFC 3830 6.6); ``value`` is the raw 64-bit NTP or 32-bit counter value."""

    ts_type: int
    value: int

    @property
    def ntp_seconds(self) -> Optional[float]:
        if self.ts_type in (TimestampType.NTP_UTC, TimestampType.NTP):
            return (self.value >> 32) + (self.value & 0xFFFFFFFF) / 2**32
        return None


@dataclass(frozen=True)
class Rand:
    """RAND payload (RFC 3830 6.11)."""

    value: bytes


@dataclass(frozen=True)
class Idr:
    """IDR payload (RFC 6043 6.6)."""

    role: int
    id_type: int
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class PolicyParam:
    type: int
    value: bytes


@dataclass(frozen=True)
class SecurityPolicy:
    """SP payload (RFC 3830 6.10)."""

    policy_no: int
    prot_type: int
    params: tuple[PolicyParam, ...] = ()


@dataclass(frozen=True)
class SakkePayload:
    """SAKKE payload (RFC 6509 4.2)."""

    sed: bytes
    params: int = SAKKE_PARAMS_SET_1
    id_scheme: int = SAKKE_ID_SCHEME_3GPP


@dataclass(frozen=True)
class GeneralExtension:
    """General extension payload (RFC 3830 6.15); ``data`` is kept verbatim."""

    ext_type: int
    data: bytes


@dataclass(frozen=True)
class Signature:
    """SIGN payload (RFC 3830 6.5)."""

    sig_type: int
    value: bytes


Payload = Union[Timestamp, Rand, Idr, SecurityPolicy, SakkePayload, GeneralExtension]


@dataclass(frozen=True)
class IMessage:
    """A decoded I_MESSAGE: header, payloads in wire order, signature and the signed octets."""

    header: Header
    payloads: tuple[Payload, ...]
    signature: Signature
    signed_data: bytes = field(repr=False)

    def _only(self, kind: type) -> Optional[Payload]:
        for p in self.payloads:
            if isinstance(p, kind):
                return p
        return None

    @property
    def timestamp(self) -> Timestamp:
        ts = self._only(Timestamp)
        assert isinstance(ts, Timestamp)
        return ts

    @property
    def rand(self) -> bytes:
        r = self._only(Rand)
        assert isinstance(r, Rand)
        return r.value

    @property
    def sakke(self) -> SakkePayload:
        s = self._only(SakkePayload)
        assert isinstance(s, SakkePayload)
        return s

    @property
    def security_policy(self) -> Optional[SecurityPolicy]:
        sp = self._only(SecurityPolicy)
        return sp if isinstance(sp, SecurityPolicy) else None

    @property
    def idrs(self) -> tuple[Idr, ...]:
        return tuple(p for p in self.payloads if isinstance(p, Idr))

    def idr(self, role: int) -> Optional[Idr]:
        for p in self.idrs:
            if p.role == role:
                return p
        return None

    @property
    def extensions(self) -> tuple[GeneralExtension, ...]:
        return tuple(p for p in self.payloads if isinstance(p, GeneralExtension))
