"""The MCPTT client's identity-based key material and its CSKs (clause 7.14).

After login the client asks the KMS (TS 33.180 Annex D) for the KMS certificate (init) and its own
key set (keyprov), and uses them only after these checks: the key set is from that KMS and not
revoked, UserID is the UID of the MCPTT ID for its key period, the key period is the one in force
now, the SSK and PVT validate against the KPAK (RFC 6507 5.1.2) and the RSK against Z_T (RFC 6508
6.1.2). It then creates CSKs: a random 128-bit key whose 32-bit CSK-ID has the CSK purpose tag (2)
in its 4 most significant bits and 28 random bits below, SAKKE-encrypted to the MCPTT server's
identity and ECCSI-signed in a MIKEY-SAKKE I_MESSAGE. Keys never reach a log or an answer.
"""
from __future__ import annotations

import datetime as _dt
import logging
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field

from mcsec.impl.client import deviations
from mcsec.impl.client.config import ClientConfig
from mcsec.impl.client.errors import UtError, precondition
from mcsec.impl.httpclient import PeerUnavailable
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey import BuiltIMessage, KeyPurpose, build_i_message, make_key_id
from mcsec.impl.ibc.mikey_errors import MikeyError
from mcsec.impl.ibc.uid import ntp_to_unix, unix_to_ntp
from mcsec.impl.kms.provclient import KeySetRejected, ProvisioningClient, ProvReply, validate_key_set

log = logging.getLogger("mcsec.client.ibc")


@dataclass(frozen=True)
class Csk:
    """A CSK the client created, as the session holds keys (the fields of a KMS CEK)."""

    key_id: int
    key: bytes = field(repr=False)
    owner_uri: str
    server_uri: str
    valid_from: _dt.datetime
    valid_to: _dt.datetime


@dataclass(frozen=True)
class Provisioned:
    certificate: KmsCertificate
    key_set: UserKeySet = field(repr=False)
    checks: tuple[str, ...]

    def describe(self) -> dict:
        period = self.certificate.key_period
        number = self.key_set.key_period_no
        return {"kms_uri": self.certificate.kms_uri, "user_uri": self.key_set.user_uri,
                "key_period_no": number, "valid_from": _time(period.start_of(number)),
                "valid_to": _time(period.end_of(number)), "checks": list(self.checks)}


def _time(ntp_seconds: float) -> str:
    moment = _dt.datetime.fromtimestamp(ntp_to_unix(ntp_seconds), _dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _refused(what: str, reply: ProvReply) -> UtError:
    code = f" KmsError {reply.error.code}" if reply.error is not None else ""
    return UtError(502, "kms_refused", f"KMS {what} answered {reply.status}{code}")


CHECKS = ("kms", "revoked", "uid", "ssk", "rsk", "key_period")


class ClientIbc:
    def __init__(self, config: ClientConfig, context: ssl.SSLContext) -> None:
        self.config = config
        self._kms = ProvisioningClient(config.kms.url, context, config.ibc.user_id_format,
                                       kms_uri=config.kms.kms_uri, user_uri=config.user.mcptt_id)
        self._lock = threading.Lock()
        self._material: Provisioned | None = None
        self._deviations = deviations.CskDeviations()  # the CSK faults' state (impl/client/deviations.py)

    @property
    def provisioned(self) -> Provisioned | None:
        with self._lock:
            return self._material

    def provision(self, token: str | None) -> Provisioned:
        """Fetch the KMS certificate and the own key set, check both, keep them."""
        if token is None:
            raise precondition("not_logged_in", "POST /ut/v1/login first")
        try:
            init = self._kms.init(token)
            if init.status != 200 or init.certificate is None:
                raise _refused("init", init)
            prov = self._kms.keyprov(token)
        except PeerUnavailable as exc:
            raise UtError(502, "kms_unreachable", str(exc)) from None
        if prov.status != 200 or not prov.key_sets:
            raise _refused("keyprov", prov)
        cert, key_set = init.certificate, prov.key_sets[0]
        checks: tuple[str, ...] = ()
        if "client_skip_key_validation" not in self.config.faults:
            try:
                validate_key_set(key_set, cert)
            except KeySetRejected as exc:
                log.info("provisioned key set refused (%s)", exc.check)
                raise UtError(502, "key_material_rejected", f"the key set failed the {exc.check} check") from None
            current = cert.key_period.number_at(unix_to_ntp(time.time()))
            if key_set.key_period_no != current:
                log.info("provisioned key set is for key period %d, not %d", key_set.key_period_no, current)
                raise UtError(502, "key_material_rejected", "the key set failed the key_period check")
            checks = CHECKS
        if key_set.user_uri != self.config.user.mcptt_id:
            raise UtError(502, "key_material_rejected", "the key set is for another identity")
        material = Provisioned(cert, key_set.key_set, checks)
        with self._lock:
            self._material = material
        log.info("provisioned IBC key material for key period %d", key_set.key_period_no)
        return material

    def new_csk(self) -> tuple[BuiltIMessage, Csk]:
        """A fresh CSK in an I_MESSAGE to the MCPTT server's identity (not yet held: see the session)."""
        material = self.provisioned
        if material is None:
            raise precondition("not_provisioned", "POST /ut/v1/ibc/provision first")
        faults = self.config.faults
        purpose = KeyPurpose.GMK if "client_wrong_purpose" in faults else KeyPurpose.CSK
        choices: dict = {}
        if "client_counter_csk_id" in faults and purpose == KeyPurpose.CSK:
            choices["key_id"] = self._deviations.counter_key_id()
        if "client_reuse_csk" in faults:
            choices["key"] = self._deviations.reused_key(secrets.token_bytes(16))
        if "client_mikey_v_bit" in faults and purpose == KeyPurpose.CSK:
            choices["key_id"] = choices.get("key_id") or make_key_id(KeyPurpose.CSK)
            choices["header"] = deviations.v_bit_header(choices["key_id"])
        if "client_old_timestamp" in faults:
            choices["ntp_seconds"] = deviations.old_timestamp()
        try:
            built = build_i_message(kms=material.certificate, initiator=material.key_set,
                                    responder_uri=self.config.server_identity, purpose=purpose, **choices)
            if "client_sign_without_sign_header" in faults:
                built = deviations.signed_without_sign_header(built, material.key_set, material.certificate)
            if "client_sakke_to_self" in faults:
                built = deviations.sakke_to_self(built, material.key_set, material.certificate)
        except MikeyError as exc:
            raise precondition("key_material_expired", f"the key material cannot sign now: {exc}") from None
        period = material.certificate.key_period
        number = material.key_set.key_period_no
        csk = Csk(key_id=built.key_id, key=built.key, owner_uri=self.config.user.mcptt_id,
                  server_uri=self.config.server_uri,
                  valid_from=_dt.datetime.fromtimestamp(ntp_to_unix(period.start_of(number)), _dt.timezone.utc),
                  valid_to=_dt.datetime.fromtimestamp(ntp_to_unix(period.end_of(number)), _dt.timezone.utc))
        return built, csk
