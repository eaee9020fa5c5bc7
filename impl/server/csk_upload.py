"""How the MCPTT server takes a CSK upload: a MIKEY-SAKKE I_MESSAGE in a SIP MESSAGE (clause 7.14).

:class:`CskReceiver` checks an I_MESSAGE from an asserted sender, in this order, and either returns
the CSK bound to the sender or raises :class:`UploadRefused` with the SIP answer:

1. decoding (malformed, truncated, unsupported values: 400);
2. the KMS names IDRkmsi/IDRkmsr are the KMS whose certificate the server holds (403);
3. the key period of the timestamp is one the server holds a key set for (403);
4. the initiator is the asserted sender: its UID in the message is the UID of the sender's MCPTT ID
   under this KMS and key period (403);
5. the responder UID (and URI, when present) is the server's own identity (403);
6. the initiator's key set is not revoked (403);
7. the ECCSI signature verifies for the initiator UID under the KPAK (403);
8. the timestamp lies within the freshness window and the RAND was not seen before (403);
9. the SAKKE payload decapsulates with the RFC 6508 6.2.2 check (493);
10. the key ID carries the CSK purpose tag (403);
11. the CSK-ID is not bound to another identity (403).

Every 403 carries ``Warning: 399 <host> "MIKEY-SAKKE: ..."`` naming the check, as a MIKEY error
payload would (RFC 3830 6.12): the sender is authenticated by the SIP core and learns only why its
own upload failed. No refusal reveals key material.
"""
from __future__ import annotations

import hmac
import logging
import threading
from dataclasses import dataclass
from typing import ClassVar

from mcsec.impl.faults import Faults
from mcsec.impl.ibc import sakke
from mcsec.impl.ibc.errors import IbcError, KeyPeriodError
from mcsec.impl.ibc.freshness import WindowFreshnessPolicy
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey import KeyPurpose, check_kms, decrypt_key, initiator_identity, key_id_of, verify_signature
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey_errors import (
    BadSignatureError,
    DecryptionError,
    MikeyDecodeError,
    ReplayError,
    StaleTimestampError,
    TruncatedMessageError,
    WrongInitiatorError,
    WrongKmsError,
)
from mcsec.impl.ibc.mikey_payloads import IdRole, IMessage
from mcsec.impl.server.csk_store import BoundCsk, CskBoundElsewhere, CskStore
from mcsec.impl.server.ibc_config import IbcSettings
from mcsec.impl.server.ibc_keys import KeyRing

log = logging.getLogger("mcsec.server.csk")

SIGN_LEN = 129  # ECCSI r || s || PVT


class UploadRefused(Exception):
    """An I_MESSAGE is refused; ``status``/``reason`` are the SIP answer, ``warning`` its Warning text."""

    status: ClassVar[int] = 403
    reason: ClassVar[str] = "Forbidden"

    def __init__(self, warning: str | None) -> None:
        super().__init__(warning or self.reason)
        self.warning = warning


class MalformedIMessage(UploadRefused):
    status: ClassVar[int] = 400
    reason: ClassVar[str] = "Bad Request"


class UndecipherableIMessage(UploadRefused):
    status: ClassVar[int] = 493
    reason: ClassVar[str] = "Undecipherable"


W_MALFORMED = "MIKEY-SAKKE: malformed I_MESSAGE"
W_KMS = "MIKEY-SAKKE: unknown KMS"
W_PERIOD = "MIKEY-SAKKE: key period not current"
W_INITIATOR = "MIKEY-SAKKE: initiator is not the asserted identity"
W_RESPONDER = "MIKEY-SAKKE: not addressed to this server"
W_REVOKED = "MIKEY-SAKKE: initiator key set revoked"
W_SIGNATURE = "MIKEY-SAKKE: signature not valid"
W_TIMESTAMP = "MIKEY-SAKKE: timestamp outside the window"
W_REPLAY = "MIKEY-SAKKE: replayed I_MESSAGE"
W_PURPOSE = "MIKEY-SAKKE: key is not a CSK"
W_BOUND = "MIKEY-SAKKE: CSK-ID bound to another identity"


@dataclass(frozen=True)
class Uploader:
    impu: str
    mcptt_id: str


def _unchecked_ssv(message: IMessage, responder: UserKeySet) -> bytes:
    """The SSV of the SED without confirming R (only under the fault server_skip_sakke_check)."""
    sed = message.sakke.sed
    params = sakke.PARAMETER_SET_1
    try:
        point = sakke.decode_point(sed[:params.point_len], "R_(b,S)")
        mask = sakke._mask(responder.receiver_key().prepared().pair(point))  # noqa: SLF001 (deliberate fault)
    except IbcError as exc:
        raise DecryptionError(str(exc)) from None
    return bytes(a ^ b for a, b in zip(sed[params.point_len:], mask))


def freshness_window(settings: IbcSettings, faults: Faults) -> tuple[float, float]:
    """How old and how far ahead of the clock an I_MESSAGE timestamp may be (RFC 3830 5.4: within the
    allowed clock skew), or under a fault otherwise."""
    past = settings.freshness_window_s
    future = past if settings.max_future_s is None else settings.max_future_s
    if "server_timestamp_window_doubled" in faults:
        return 2 * past, 2 * future
    if "server_timestamp_window_halved" in faults:  # the declared window read as its full width, +-w/2
        return past / 2, future / 2
    if "server_future_timestamp_unchecked" in faults:
        return past, float("inf")
    if "server_no_future_allowance" in faults:
        return past, 0.0
    return past, future


class CskReceiver:
    def __init__(self, *, keys: KeyRing, settings: IbcSettings, faults: Faults, store: CskStore) -> None:
        self.keys = keys
        self.settings = settings
        self.faults = faults
        self.store = store
        past, future = freshness_window(settings, self.faults)
        self.freshness = WindowFreshnessPolicy(past, max_future=future, cache_size=settings.replay_cache_size)
        self._lock = threading.Lock()  # one upload at a time: the replay cache and the store stay consistent

    # --- steps ------------------------------------------------------------------------------------
    def decode(self, data: bytes) -> IMessage:
        try:
            return decode_i_message(data)
        except TruncatedMessageError:
            if "server_accept_truncated_sign" in self.faults:
                padded = self._as_unsigned(data)
                if padded is not None:
                    return padded
            raise MalformedIMessage(W_MALFORMED) from None
        except MikeyDecodeError:
            raise MalformedIMessage(W_MALFORMED) from None

    @staticmethod
    def _as_unsigned(data: bytes) -> IMessage | None:
        for missing in range(1, SIGN_LEN + 1):
            try:
                return decode_i_message(bytes(data) + bytes(missing))
            except MikeyDecodeError:
                continue
        return None

    def period_of(self, message: IMessage, cert: KmsCertificate) -> int:
        ts = message.timestamp.ntp_seconds
        if ts is None:
            raise MalformedIMessage(W_MALFORMED)
        try:
            return cert.key_period.number_at(ts)
        except KeyPeriodError:
            raise UploadRefused(W_PERIOD) from None

    def key_set(self, period_no: int) -> UserKeySet:
        key_set = self.keys.key_set_for(period_no)
        if key_set is None and "server_ignore_key_period" in self.faults:
            held = (self.keys.key_set_for(number) for number in sorted(self.keys.current_periods()))
            key_set = next((k for k in held if k is not None), None)
        if key_set is None:
            raise UploadRefused(W_PERIOD)
        return key_set

    def check_responder(self, message: IMessage, key_set: UserKeySet) -> None:
        if "server_ignore_responder" in self.faults:
            return
        uid = message.idr(IdRole.UID_RESPONDER)
        uri = message.idr(IdRole.RESPONDER)
        if uid is None and uri is None:
            raise UploadRefused(W_RESPONDER)
        if uid is not None and not hmac.compare_digest(uid.data, key_set.user_id):
            raise UploadRefused(W_RESPONDER)
        if uri is not None and uri.data != key_set.user_uri.encode("utf-8"):
            raise UploadRefused(W_RESPONDER)

    def check_fresh(self, message: IMessage) -> None:
        ts = message.timestamp.ntp_seconds
        policy = self.freshness
        if "server_no_mikey_replay_check" in self.faults:
            past, future = freshness_window(self.settings, self.faults)
            policy = WindowFreshnessPolicy(past, max_future=future)
        if "server_ignore_timestamp" in self.faults:
            ts = policy.now_ntp()
        try:
            policy.check(ts, message.rand)
        except StaleTimestampError:
            raise UploadRefused(W_TIMESTAMP) from None
        except ReplayError:
            raise UploadRefused(W_REPLAY) from None

    # --- the whole upload -------------------------------------------------------------------------
    def receive(self, data: bytes, sender: Uploader) -> BoundCsk:
        """Verify and open an I_MESSAGE from ``sender``; the CSK, bound to the sender. Blocking."""
        with self._lock:
            return self._receive(data, sender)

    def _receive(self, data: bytes, sender: Uploader) -> BoundCsk:
        message = self.decode(data)
        cert = self.keys.certificate()
        if "server_ignore_kms" not in self.faults:
            try:
                check_kms(message, cert)
            except WrongKmsError:
                raise UploadRefused(W_KMS) from None
        period_no = self.period_of(message, cert)
        key_set = self.key_set(period_no)
        claimed = None if "server_trust_mikey_initiator" in self.faults else sender.mcptt_id
        try:
            initiator_uid = initiator_identity(message, cert, claimed)
        except (WrongInitiatorError, StaleTimestampError):
            raise UploadRefused(W_INITIATOR) from None
        self.check_responder(message, key_set)
        if self.settings.is_revoked(sender.mcptt_id, period_no) and "server_accept_revoked" not in self.faults:
            raise UploadRefused(W_REVOKED)
        padded = not any(message.signature.value[-32:])  # what _as_unsigned made of a cut SIGN
        skip_signature = "server_accept_bad_signature" in self.faults or (
            "server_accept_truncated_sign" in self.faults and padded)
        if not skip_signature:
            try:
                verify_signature(message, initiator_uid, cert.kpak)
            except BadSignatureError:
                raise UploadRefused(W_SIGNATURE) from None
        self.check_fresh(message)
        try:
            if "server_skip_sakke_check" in self.faults:
                key = _unchecked_ssv(message, key_set)
            else:
                key = decrypt_key(message, key_set, cert)
        except DecryptionError:
            raise UndecipherableIMessage(None) from None
        key_id = key_id_of(message)
        if (key_id >> 28) != KeyPurpose.CSK and "server_ignore_purpose" not in self.faults:
            raise UploadRefused(W_PURPOSE)
        csk = BoundCsk(key_id=key_id, key=key, impu=sender.impu, mcptt_id=sender.mcptt_id, kms_uri=cert.kms_uri,
                       key_period_no=period_no)
        try:
            self.store.add(csk)
        except CskBoundElsewhere:
            raise UploadRefused(W_BOUND) from None
        log.info("accepted CSK %08X from %s (key period %d)", key_id, sender.impu, period_no)
        return csk
