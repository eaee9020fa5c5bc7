"""GUK-IDs: the identifier of a group's GMK as each member receives it (TS 33.180, GMK distribution).

The group management server sends the GMK to each member in an I_MESSAGE whose HDR CSB ID is not the
GMK-ID but that member's GUK-ID: the purpose tag of the GMK-ID (GMK, 0) in the 4 most significant bits,
and its 28 random bits XOR a 28-bit User Salt. The User Salt (TS 33.180 Annex F.1.3) is the 28 least
significant bits of KDF(GMK, S), the KDF of TS 33.220 Annex B.2 (HMAC-SHA-256 keyed with the GMK) over
S = FC || P0 || L0 with FC = 0x50, P0 = the receiving member's URI (UTF-8), L0 = the length of P0 in two
octets. So only a member who decrypted the GMK can tell the GMK-ID, and it derives the same salt
to recover it: GMK-ID = GUK-ID XOR User Salt.

When the HDR's GENERIC-ID map carries an 8-octet SPI, it is the SRTP MKI GMK-ID || GUK-ID (as in the
independent implementation's GMK message); :func:`group_key_ids` checks it against the derivation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from cryptography.hazmat.primitives import hashes, hmac

from mcsec.impl.ibc.mikey_errors import GukIdMismatchError
from mcsec.impl.ibc.mikey_payloads import GenericCsEntry, IMessage

FC_USER_SALT = 0x50
SALT_BITS = 28
_SALT_MASK = (1 << SALT_BITS) - 1
GMK_PURPOSE_TAG = 0
MKI_LEN = 8


def user_salt(gmk: bytes, user_uri: str) -> int:
    """The 28-bit User Salt of the member `user_uri` for `gmk` (TS 33.180 F.1.3)."""
    if not gmk:
        raise ValueError("the GMK is empty")
    p0 = user_uri.encode("utf-8")
    if not p0 or len(p0) > 0xFFFF:
        raise ValueError("the user URI must be 1 to 65535 octets")
    mac = hmac.HMAC(bytes(gmk), hashes.SHA256())
    mac.update(bytes([FC_USER_SALT]) + p0 + len(p0).to_bytes(2, "big"))
    return int.from_bytes(mac.finalize()[-4:], "big") & _SALT_MASK


def _check_id(value: int, what: str) -> None:
    if not 0 <= value < 1 << 32:
        raise ValueError(f"{what} must be a 32-bit value")


def guk_id(gmk_id: int, gmk: bytes, user_uri: str) -> int:
    """The GUK-ID under which the GMK `gmk_id` is sent to the member `user_uri`."""
    _check_id(gmk_id, "a GMK-ID")
    return gmk_id ^ user_salt(gmk, user_uri)


def gmk_id_from_guk_id(guk: int, gmk: bytes, user_uri: str) -> int:
    """The GMK-ID a member `user_uri` recovers from the GUK-ID `guk` once it holds the GMK."""
    _check_id(guk, "a GUK-ID")
    return guk ^ user_salt(gmk, user_uri)


def carries_guk_id(message: IMessage) -> bool:
    """Whether the HDR's CSB ID is a GUK-ID: its purpose tag is that of a GMK."""
    return message.header.csb_id >> 28 == GMK_PURPOSE_TAG


@dataclass(frozen=True)
class GroupKeyIds:
    guk_id: int               # the HDR CSB ID
    user_uri: str             # the receiving member
    user_salt: int
    gmk_id: int               # GUK-ID XOR User Salt
    mki: Optional[bytes]      # the 8-octet GENERIC-ID SPI (GMK-ID || GUK-ID), when the message has one


def group_key_ids(message: IMessage, gmk: bytes, user_uri: str) -> GroupKeyIds:
    """The GMK-ID of a GMK I_MESSAGE addressed to `user_uri`, whose SAKKE payload decrypted to `gmk`.
    Raises ValueError when the CSB ID is not a GUK-ID, GukIdMismatchError when the message's MKI names
    another GMK-ID or GUK-ID than the derivation and the CSB ID."""
    if not carries_guk_id(message):
        raise ValueError(f"the CSB ID {message.header.csb_id:08x} does not carry the GMK purpose tag")
    guk = message.header.csb_id
    salt = user_salt(gmk, user_uri)
    gmk_id = guk ^ salt
    mki = next((e.spi for e in message.header.cs_entries
                if isinstance(e, GenericCsEntry) and len(e.spi) == MKI_LEN), None)
    if mki is not None and mki != gmk_id.to_bytes(4, "big") + guk.to_bytes(4, "big"):
        raise GukIdMismatchError(
            f"the MKI {mki.hex()} (GMK-ID || GUK-ID) does not match the GMK-ID {gmk_id:08x} that the GUK-ID "
            f"{guk:08x} and the GMK give for {user_uri!r}")
    return GroupKeyIds(guk_id=guk, user_uri=user_uri, user_salt=salt, gmk_id=gmk_id, mki=mki)
