"""The MCPTT server's own MIKEY-SAKKE key material (clause 7.14).

:class:`KmsKeyRing` asks the KMS (TS 33.180 Annex D) with the server's own access token (client
credentials): the KMS certificate (init) and the key set of the server's IBC identity for a key
period (keyprov for its URI at a time inside that period). It validates every key set (KMS, UID,
SSK, RSK, not revoked) before use and keeps the key sets of the periods in force around now; the
next key period is fetched when the clock enters it, so keys follow the key periods without a
restart. :class:`StaticKeyRing` holds key material given in the configuration and nothing else.

A key ring answers :meth:`key_set_for` with the key set of a key period, or ``None`` when the
server holds none for it (an expired or not yet current period). Keys are never logged.
"""
from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import Protocol

from mcsec.impl.httpclient import PeerUnavailable
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.kms.provclient import KeySetRejected, ProvisioningClient, validate_key_set
from mcsec.impl.server.ibc_config import StaticKeyMaterial
from mcsec.impl.server.keystore import KeyServiceUnavailable, ServerToken

log = logging.getLogger("mcsec.server.ibc")


class KeyRing(Protocol):
    def certificate(self) -> KmsCertificate:
        """The KMS certificate; :class:`KeyServiceUnavailable` when it cannot be had."""

    def key_set_for(self, period_no: int) -> UserKeySet | None:
        """The server's key set for ``period_no``, or None when the server holds none for it."""

    def current_periods(self) -> set[int]:
        """The key periods the server takes I_MESSAGEs for now."""


class StaticKeyRing:
    def __init__(self, material: StaticKeyMaterial) -> None:
        self._cert = material.certificate
        self._sets = {k.key_period_no: k for k in material.key_sets}

    def certificate(self) -> KmsCertificate:
        return self._cert

    def key_set_for(self, period_no: int) -> UserKeySet | None:
        return self._sets.get(period_no)

    def current_periods(self) -> set[int]:
        return set(self._sets)


class KmsKeyRing:
    """Key sets from the KMS for the periods in force within ``slack_s`` of now."""

    def __init__(self, *, identity: str, client: ProvisioningClient, token: ServerToken, slack_s: float,
                 clock=time.time) -> None:
        self.identity = identity
        self._client = client
        self._token = token
        self._slack = slack_s
        self._clock = clock
        self._cert: KmsCertificate | None = None
        self._sets: dict[int, UserKeySet] = {}
        self._lock = threading.Lock()

    # --- the KMS ----------------------------------------------------------------------------------
    def _call(self, ask):
        try:
            reply = ask(self._token.get())
            if reply.status == 401:
                reply = ask(self._token.get(force=True))
        except PeerUnavailable as exc:
            raise KeyServiceUnavailable(f"KMS: {exc}") from None
        return reply

    def certificate(self) -> KmsCertificate:
        with self._lock:
            if self._cert is not None:
                return self._cert
        reply = self._call(self._client.init)
        if reply.status != 200 or reply.certificate is None:
            raise KeyServiceUnavailable(f"KMS init answered {reply.status}")
        with self._lock:
            self._cert = reply.certificate
        return reply.certificate

    def _fetch(self, period_no: int) -> UserKeySet | None:
        cert = self.certificate()
        at = cert.key_period.start_of(period_no) + cert.key_period.length / 2
        reply = self._call(lambda token: self._client.keyprov(token, self.identity, at))
        if reply.status != 200 or not reply.key_sets:
            raise KeyServiceUnavailable(f"KMS keyprov answered {reply.status}")
        prov = reply.key_sets[0]
        try:
            validate_key_set(prov, cert)
        except KeySetRejected as exc:
            raise KeyServiceUnavailable(f"KMS key set refused ({exc.check})") from None
        if prov.key_set.user_uri != self.identity or prov.key_set.key_period_no != period_no:
            raise KeyServiceUnavailable("KMS key set is for another identity or key period")
        log.info("provisioned key set of %s for key period %d", self.identity, period_no)
        return prov.key_set

    # --- the periods ------------------------------------------------------------------------------
    def current_periods(self) -> set[int]:
        """The key periods in force within the slack of now (normally one; two near a boundary)."""
        period = self.certificate().key_period
        now = unix_to_ntp(self._clock())
        return {period.number_at(t) for t in (now - self._slack, now, now + self._slack) if t >= period.offset}

    def key_set_for(self, period_no: int) -> UserKeySet | None:
        current = self.current_periods()
        if period_no not in current:
            return None
        with self._lock:
            for old in [p for p in self._sets if p not in current]:
                del self._sets[old]  # a key period that has ended: its keys are no longer used
            held = self._sets.get(period_no)
        if held is not None:
            return held
        key_set = self._fetch(period_no)
        with self._lock:
            self._sets[period_no] = key_set
        return key_set

    def prime(self) -> None:
        """Fetch the certificate and the current key set now (at start-up)."""
        for number in sorted(self.current_periods()):
            self.key_set_for(number)


def kms_key_ring(*, identity: str, kms_url: str, kms_uri: str, context: ssl.SSLContext, token: ServerToken,
                 user_id_format: str, slack_s: float) -> KmsKeyRing:
    client = ProvisioningClient(kms_url, context, user_id_format, kms_uri=kms_uri, user_uri=identity)
    return KmsKeyRing(identity=identity, client=client, token=token, slack_s=slack_s)
