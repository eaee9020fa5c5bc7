"""MIKEY-SAKKE I_MESSAGEs for 3GPP key transport (RFC 6509 with the TS 33.180 profile).

The codec itself lives in :mod:`mcsec.impl.ibc.mikey_codec` (decode/encode) over the
payload model of :mod:`mcsec.impl.ibc.mikey_payloads`; this module re-exports both and
adds the initiator and responder operations:

* :func:`build_i_message` -- pick a key ID carrying the purpose tag in its top
  4 bits, SAKKE-encapsulate the key to the responder's UID, ECCSI-sign with the
  initiator's SSK/PVT;
* :func:`process_i_message` -- decode, check KMS and identities, verify the
  signature against the initiator UID and KPAK, apply the caller's freshness
  policy, decapsulate with the responder's RSK, return the key and its context.

Wire layout produced (as by the independent reference implementation):
HDR (v1, data type 26, PRF HMAC-SHA-256, CSB ID = key ID, GENERIC-ID map with the
key ID as SPI for CSK), T (NTP-UTC), RAND (16), IDR role 8 and 9 (initiator and
responder UID, ID type URI), IDR role 6 and 7 (KMS URIs), SP, SAKKE (set 1,
scheme 2), optional general extension type 7 (opaque), SIGN (ECCSI).
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional

from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.errors import IbcError, KeyPeriodError
from mcsec.impl.ibc.freshness import AcceptAll, FreshnessPolicy, WindowFreshnessPolicy
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_i_message, encode_unsigned
from mcsec.impl.ibc.mikey_errors import (
    BadSignatureError,
    DecryptionError,
    KeyMaterialError,
    KeyPurposeError,
    MikeyError,
    StaleTimestampError,
    UnsupportedValueError,
    WrongInitiatorError,
    WrongKmsError,
    WrongResponderError,
)
from mcsec.impl.ibc.mikey_payloads import (
    GENERAL_EXT_3GPP_KEY_PARAMS,
    CsIdMapType,
    GeneralExtension,
    GenericCsEntry,
    Header,
    Idr,
    IdRole,
    IdType,
    IMessage,
    Payload,
    PolicyParam,
    Rand,
    SakkePayload,
    SecurityPolicy,
    Timestamp,
    TimestampType,
)
from mcsec.impl.ibc.uid import derive_uid, seconds_to_ntp64, unix_to_ntp

__all__ = [
    "AcceptAll", "BuiltIMessage", "FreshnessPolicy", "IMessage", "KeyPurpose", "KmsCertificate",
    "MikeyError", "ReceivedKey", "UserKeySet", "WindowFreshnessPolicy", "build_i_message",
    "decode_i_message", "key_id_of", "key_purpose", "make_key_id", "process_i_message",
]

KEY_LEN = 16
RAND_LEN = 16


class KeyPurpose(IntEnum):
    """Purpose tag in the 4 most significant bits of a 32-bit key ID (TS 33.180)."""

    GMK = 0
    PCK = 1
    CSK = 2
    SPK = 3
    MKFC = 4
    MSCCK = 5
    MUSIK = 6


def make_key_id(purpose: KeyPurpose, low_bits: Optional[int] = None) -> int:
    """A key ID: purpose tag in bits 31..28, 28 random (or given) bits below."""
    if low_bits is None:
        low_bits = secrets.randbits(28)
    if not 0 <= low_bits < 1 << 28:
        raise ValueError("key ID low bits must fit in 28 bits")
    return (int(purpose) << 28) | low_bits


def key_purpose(key_id: int) -> KeyPurpose:
    tag = (key_id >> 28) & 0xF
    try:
        return KeyPurpose(tag)
    except ValueError:
        raise KeyPurposeError(f"key ID {key_id:08x} has unknown purpose tag {tag}") from None


def key_id_of(message: IMessage) -> int:
    """The transported key's ID: the first SPI of a GENERIC-ID map, else the CSB ID."""
    for entry in message.header.cs_entries:
        if isinstance(entry, GenericCsEntry) and len(entry.spi) >= 4:
            return int.from_bytes(entry.spi[:4], "big")
    return message.header.csb_id


#: SRTP security policy carried by the reference implementation's I_MESSAGEs.
REFERENCE_SECURITY_POLICY = SecurityPolicy(
    policy_no=0,
    prot_type=0,
    params=tuple(
        PolicyParam(t, bytes([v]))
        for t, v in ((0, 6), (1, 16), (2, 4), (4, 12), (5, 0), (6, 0), (18, 4), (19, 0), (20, 16))
    ),
)

#: GENERIC-ID CS ID used with CSK by the reference implementation.
CSK_CS_ID = 6


def _default_header(purpose: KeyPurpose, key_id: int) -> Header:
    if purpose == KeyPurpose.CSK:
        entry = GenericCsEntry(cs_id=CSK_CS_ID, prot_type=0, policies=(0,), spi=key_id.to_bytes(4, "big"))
        return Header(csb_id=key_id, cs_map_type=CsIdMapType.GENERIC_ID, cs_entries=(entry,))
    return Header(csb_id=key_id, cs_map_type=CsIdMapType.EMPTY, cs_entries=())


@dataclass(frozen=True)
class BuiltIMessage:
    data: bytes
    key: bytes = field(repr=False)
    key_id: int
    purpose: KeyPurpose
    rand: bytes
    ntp_seconds: float
    initiator_uid: bytes
    responder_uid: bytes


def build_i_message(
    *,
    kms: KmsCertificate,
    initiator: UserKeySet,
    responder_uri: str,
    purpose: KeyPurpose = KeyPurpose.CSK,
    key: Optional[bytes] = None,
    key_id: Optional[int] = None,
    rand: Optional[bytes] = None,
    ntp_seconds: Optional[float] = None,
    responder_kms: Optional[KmsCertificate] = None,
    header: Optional[Header] = None,
    security_policy: Optional[SecurityPolicy] = REFERENCE_SECURITY_POLICY,
    extension: Optional[bytes] = None,
    ephemeral: Optional[int] = None,
) -> BuiltIMessage:
    """Build and sign an I_MESSAGE carrying ``key`` (random 128-bit unless given).

    ``kms`` is the initiator's KMS; ``responder_kms`` the responder's (default: the
    same). ``extension`` is placed verbatim in a general extension payload of type 7.
    ``ephemeral`` fixes the ECCSI j and exists only for known-answer tests.
    """
    rkms = responder_kms or kms
    key = secrets.token_bytes(KEY_LEN) if key is None else bytes(key)
    if len(key) != KEY_LEN:
        raise ValueError(f"key must be {KEY_LEN} octets")
    if key_id is None:
        key_id = make_key_id(purpose)
    elif key_purpose(key_id) != purpose:
        raise KeyPurposeError(f"key ID {key_id:08x} does not carry purpose {purpose.name}")
    rand = secrets.token_bytes(RAND_LEN) if rand is None else bytes(rand)
    if ntp_seconds is None:
        ntp_seconds = unix_to_ntp(time.time())
    ntp64 = seconds_to_ntp64(ntp_seconds)
    ntp_seconds = (ntp64 >> 32) + (ntp64 & 0xFFFFFFFF) / 2**32
    period_no = kms.key_period.number_at(ntp_seconds)
    if period_no != initiator.key_period_no:
        raise KeyMaterialError(
            f"initiator key set is for key period {initiator.key_period_no}, the timestamp is in {period_no}")
    responder_uid = derive_uid(responder_uri, rkms.kms_uri, rkms.key_period.length, rkms.key_period.offset,
                               rkms.key_period.number_at(ntp_seconds))
    try:
        sed = sakke.encapsulate(responder_uid, rkms.z_t, key).sed
    except IbcError as exc:
        raise KeyMaterialError(f"responder KMS key: {exc}") from None
    payloads: list[Payload] = [
        Timestamp(ts_type=TimestampType.NTP_UTC, value=ntp64),
        Rand(value=rand),
        Idr(role=IdRole.UID_INITIATOR, id_type=IdType.URI, data=initiator.user_id),
        Idr(role=IdRole.UID_RESPONDER, id_type=IdType.URI, data=responder_uid),
        Idr(role=IdRole.KMS_INITIATOR, id_type=IdType.URI, data=kms.kms_uri.encode("utf-8")),
        Idr(role=IdRole.KMS_RESPONDER, id_type=IdType.URI, data=rkms.kms_uri.encode("utf-8")),
    ]
    if security_policy is not None:
        payloads.append(security_policy)
    payloads.append(SakkePayload(sed=sed))
    if extension is not None:
        payloads.append(GeneralExtension(ext_type=GENERAL_EXT_3GPP_KEY_PARAMS, data=bytes(extension)))
    unsigned = encode_unsigned(header or _default_header(purpose, key_id), payloads)
    try:
        signature = eccsi.sign(unsigned, initiator.signing_key(), kms.kpak, ephemeral=ephemeral)
    except IbcError as exc:
        raise KeyMaterialError(f"initiator signing key: {exc}") from None
    return BuiltIMessage(
        data=encode_i_message(unsigned, signature), key=key, key_id=key_id, purpose=purpose, rand=rand,
        ntp_seconds=ntp_seconds, initiator_uid=initiator.user_id, responder_uid=responder_uid,
    )


@dataclass(frozen=True)
class ReceivedKey:
    key: bytes = field(repr=False)
    key_id: int
    purpose: KeyPurpose
    initiator_uid: bytes
    responder_uid: bytes
    initiator_uri: Optional[str]
    responder_uri: str
    kms_uri: str
    ntp_seconds: Optional[float]
    rand: bytes
    message: IMessage = field(repr=False)


def _period_no(kms: KmsCertificate, ntp_seconds: float) -> int:
    try:
        return kms.key_period.number_at(ntp_seconds)
    except KeyPeriodError as exc:
        raise StaleTimestampError(str(exc)) from None


def _uid_at(uri: str, kms: KmsCertificate, ntp_seconds: float) -> bytes:
    period = kms.key_period
    return derive_uid(uri, kms.kms_uri, period.length, period.offset, _period_no(kms, ntp_seconds))


def _ntp_seconds(message: IMessage) -> float:
    ts = message.timestamp.ntp_seconds
    if ts is None:
        raise UnsupportedValueError("T: counter timestamps are not used with MIKEY-SAKKE")
    return ts


def check_kms(message: IMessage, kms: KmsCertificate, initiator_kms: Optional[KmsCertificate] = None) -> None:
    """IDRkmsi/IDRkmsr, when present, must name the KMSs whose certificates we hold."""
    ikms = initiator_kms or kms
    for role, cert, side in ((IdRole.KMS_INITIATOR, ikms, "initiator"), (IdRole.KMS_RESPONDER, kms, "responder")):
        idr = message.idr(role)
        if idr is not None and idr.data != cert.kms_uri.encode("utf-8"):
            raise WrongKmsError(f"{side} KMS is {idr.text!r}, expected {cert.kms_uri!r}")


def initiator_identity(message: IMessage, kms: KmsCertificate, initiator_uri: Optional[str] = None) -> bytes:
    """The UID the signature must verify under (checked against the IDRs present)."""
    ts = _ntp_seconds(message)
    uid_idr = message.idr(IdRole.UID_INITIATOR)
    uri_idr = message.idr(IdRole.INITIATOR)
    if initiator_uri is not None:
        if uri_idr is not None and uri_idr.data != initiator_uri.encode("utf-8"):
            raise WrongInitiatorError(f"IDRi is {uri_idr.text!r}, expected {initiator_uri!r}")
        uid = _uid_at(initiator_uri, kms, ts)
        if uid_idr is not None and not hmac.compare_digest(uid_idr.data, uid):
            raise WrongInitiatorError(f"initiator UID in the message does not belong to {initiator_uri!r}")
        return uid
    if uid_idr is not None:
        return uid_idr.data
    if uri_idr is not None:
        return _uid_at(uri_idr.text, kms, ts)
    raise WrongInitiatorError("the message names no initiator identity")


def verify_signature(message: IMessage, initiator_uid: bytes, kpak: bytes) -> None:
    try:
        eccsi.verify(message.signed_data, message.signature.value, initiator_uid, kpak)
    except IbcError as exc:
        raise BadSignatureError(f"ECCSI: {exc}") from None


def check_responder(message: IMessage, responder: UserKeySet, kms: KmsCertificate) -> None:
    period_no = _period_no(kms, _ntp_seconds(message))
    uid_idr = message.idr(IdRole.UID_RESPONDER)
    uri_idr = message.idr(IdRole.RESPONDER)
    if uri_idr is not None and uri_idr.data != responder.user_uri.encode("utf-8"):
        raise WrongResponderError(f"IDRr is {uri_idr.text!r}, not {responder.user_uri!r}")
    if uid_idr is not None and not hmac.compare_digest(uid_idr.data, responder.user_id):
        raise WrongResponderError("responder UID in the message is not this responder's")
    if period_no != responder.key_period_no:
        raise KeyMaterialError(
            f"key set is for key period {responder.key_period_no}, the message for period {period_no}")


def decrypt_key(message: IMessage, responder: UserKeySet, kms: KmsCertificate) -> bytes:
    try:
        return sakke.decapsulate(message.sakke.sed, responder.user_id, responder.receiver_key(), kms.z_t)
    except KeyMaterialError:
        raise
    except IbcError as exc:
        raise DecryptionError(str(exc)) from None


def process_i_message(
    data: bytes,
    *,
    kms: KmsCertificate,
    responder: UserKeySet,
    freshness: FreshnessPolicy,
    initiator_uri: Optional[str] = None,
    initiator_kms: Optional[KmsCertificate] = None,
    expected_purpose: Optional[KeyPurpose] = None,
) -> ReceivedKey:
    """Verify and open an I_MESSAGE addressed to ``responder``.

    Order: decode; KMS names; initiator and responder identities; ECCSI signature
    (under the initiator's KMS KPAK); freshness (timestamp window and RAND replay,
    by the caller's policy, only for authentic messages); SAKKE decapsulation with
    its RFC 6508 6.2.2 check; key ID purpose. Every refusal is a MikeyError subclass.
    """
    message = decode_i_message(data)
    ikms = initiator_kms or kms
    check_kms(message, kms, ikms)
    uid_i = initiator_identity(message, ikms, initiator_uri)
    check_responder(message, responder, kms)
    verify_signature(message, uid_i, ikms.kpak)
    ts = _ntp_seconds(message)
    freshness.check(ts, message.rand)
    key = decrypt_key(message, responder, kms)
    key_id = key_id_of(message)
    purpose = key_purpose(key_id)
    if expected_purpose is not None and purpose != expected_purpose:
        raise KeyPurposeError(f"key ID {key_id:08x} is a {purpose.name}, expected {expected_purpose.name}")
    return ReceivedKey(
        key=key, key_id=key_id, purpose=purpose, initiator_uid=uid_i, responder_uid=responder.user_id,
        initiator_uri=initiator_uri, responder_uri=responder.user_uri, kms_uri=kms.kms_uri,
        ntp_seconds=ts, rand=message.rand, message=message,
    )
