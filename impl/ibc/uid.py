"""MIKEY-SAKKE user identifiers (TS 33.180 F.2.1) and key-period arithmetic.

UID = SHA-256(S), S = FC || P0 || L0 || P1 || L1 || ... || P5 || L5 with
FC = 0x00, P0 = "MIKEY-SAKKE-UID", P1 = the user URI, P2 = the KMS URI,
P3 = the key period length (seconds), P4 = the key period offset (seconds),
P5 = the current key period number. Each Li is the 2-octet big-endian length of
Pi. Integers are minimal big-endian octet strings; zero is the single octet 0x00.

Times are NTP seconds (since 1900-01-01) unless a name says otherwise. The key
period number for time T is floor((T - offset) / period).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mcsec.impl.ibc.errors import KeyPeriodError

FC = b"\x00"
UID_LABEL = b"MIKEY-SAKKE-UID"
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
UID_LEN = 32


def minimal_octets(value: int) -> bytes:
    """Minimal big-endian encoding of a non-negative integer (0 -> b'\\x00')."""
    if value < 0:
        raise KeyPeriodError("negative integer in UID input")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _field(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise KeyPeriodError("UID input parameter longer than 65535 octets")
    return data + len(data).to_bytes(2, "big")


def derive_uid(uri: str, kms_uri: str, key_period: int, key_period_offset: int, key_period_no: int) -> bytes:
    """The 32-octet UID of TS 33.180 F.2.1."""
    s = FC + b"".join(
        _field(p)
        for p in (
            UID_LABEL,
            uri.encode("utf-8"),
            kms_uri.encode("utf-8"),
            minimal_octets(key_period),
            minimal_octets(key_period_offset),
            minimal_octets(key_period_no),
        )
    )
    return hashlib.sha256(s).digest()


def ntp_to_unix(ntp_seconds: float) -> float:
    return ntp_seconds - NTP_UNIX_OFFSET


def unix_to_ntp(unix_seconds: float) -> float:
    return unix_seconds + NTP_UNIX_OFFSET


def ntp64_to_seconds(timestamp: int) -> float:
    """64-bit NTP timestamp (32.32 fixed point) to NTP seconds."""
    return (timestamp >> 32) + (timestamp & 0xFFFFFFFF) / 2**32


def seconds_to_ntp64(ntp_seconds: float) -> int:
    """NTP seconds to a 64-bit NTP timestamp (32.32 fixed point), wrapping at era end."""
    whole = int(ntp_seconds)
    frac = int(round((ntp_seconds - whole) * 2**32))
    if frac >= 2**32:
        whole, frac = whole + 1, 0
    return ((whole & 0xFFFFFFFF) << 32) | frac


@dataclass(frozen=True)
class KeyPeriod:
    """A KMS key-period scheme: period length and offset, both in seconds."""

    length: int
    offset: int = 0

    def __post_init__(self) -> None:
        if self.length <= 0:
            raise KeyPeriodError("key period length must be positive")
        if self.offset < 0:
            raise KeyPeriodError("key period offset must be non-negative")

    def number_at(self, ntp_seconds: float) -> int:
        """Key period number in force at NTP time ``ntp_seconds``."""
        if ntp_seconds < self.offset:
            raise KeyPeriodError("time precedes the first key period")
        return int((int(ntp_seconds) - self.offset) // self.length)

    def number_at_unix(self, unix_seconds: float) -> int:
        return self.number_at(unix_to_ntp(unix_seconds))

    def start_of(self, number: int) -> int:
        """NTP second at which key period ``number`` starts."""
        if number < 0:
            raise KeyPeriodError("negative key period number")
        return self.offset + number * self.length

    def end_of(self, number: int) -> int:
        """NTP second at which key period ``number`` ends (exclusive)."""
        return self.start_of(number + 1)

    def uid(self, uri: str, kms_uri: str, number: int) -> bytes:
        return derive_uid(uri, kms_uri, self.length, self.offset, number)

    def uid_at(self, uri: str, kms_uri: str, ntp_seconds: float) -> bytes:
        return self.uid(uri, kms_uri, self.number_at(ntp_seconds))
