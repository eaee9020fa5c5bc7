"""The KMS's issuing of MIKEY-SAKKE key material for the provisioning interface.

Key sets are derived per UID (TS 33.180 F.2.1: user URI, KMS URI, key period
length, offset and number) and cached, so a user asking twice for a key period
gets the same RSK, SSK and PVT. A key set is available from the period in force
when the KMS certificate becomes valid up to `future_periods` periods ahead of
the current one; a revoked (user URI, period) pair is still returned, with
Revoked set.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import threading

from mcsec.impl.faults import Faults
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.key_material import UserKeySet
from mcsec.impl.kms.provconfig import IbcConfig
from mcsec.impl.kms.provxml import ProvisionedCertificate, ProvisionedKeySet

NTP_EPOCH = _dt.datetime(1900, 1, 1, tzinfo=_dt.timezone.utc)
CACHE_LIMIT = 4096


class KeyPeriodUnavailable(Exception):
    """The KMS does not issue key material for this key period; the message says why."""


def ntp_to_datetime(ntp_seconds: float) -> _dt.datetime:
    return NTP_EPOCH + _dt.timedelta(seconds=ntp_seconds)


def datetime_to_ntp(t: _dt.datetime) -> float:
    return (t - NTP_EPOCH).total_seconds()


class KeyProvisioner:
    def __init__(self, kms: IbcKms, config: IbcConfig, faults: Faults):
        self._kms = kms
        self._config = config
        self._faults = faults
        self._cache: dict[bytes, UserKeySet] = {}
        self._lock = threading.Lock()

    @property
    def key_period(self):
        return self._config.key_period

    @property
    def config(self) -> IbcConfig:
        return self._config

    @property
    def kms(self) -> IbcKms:
        """The KMS's master keys (for the test control surface's defective key sets)."""
        return self._kms

    def certificate(self) -> ProvisionedCertificate:
        c = self._config
        return ProvisionedCertificate(
            certificate=self._kms.certificate(), cert_uri=c.cert_uri, issuer=c.issuer,
            valid_from=c.cert_valid_from, valid_to=c.cert_valid_to, revoked=False, domains=c.domains,
        )

    def period_at(self, t: _dt.datetime) -> int:
        return self.key_period.number_at(datetime_to_ntp(t))

    def period_at_ntp(self, ntp_seconds: float) -> int:
        try:
            return self.key_period.number_at(ntp_seconds)
        except IbcError as exc:
            raise KeyPeriodUnavailable(str(exc)) from None

    def _check_available(self, number: int, now: _dt.datetime) -> None:
        c = self._config
        if number < 0:
            raise KeyPeriodUnavailable("no such key period")
        if number > self.period_at(now) + c.future_periods:
            raise KeyPeriodUnavailable("key period too far in the future")
        start = ntp_to_datetime(self.key_period.start_of(number))
        end = ntp_to_datetime(self.key_period.end_of(number))
        if end <= c.cert_valid_from or start >= c.cert_valid_to:
            raise KeyPeriodUnavailable("key period outside the validity of the KMS certificate")

    def key_set(self, user_uri: str, number: int, now: _dt.datetime) -> ProvisionedKeySet:
        """The key set of `user_uri` for key period `number`; raises KeyPeriodUnavailable."""
        self._check_available(number, now)
        key_set = self._issue(user_uri, number)
        c = self._config
        return ProvisionedKeySet(
            key_set=key_set, kms_uri=c.kms_uri, cert_uri=c.cert_uri, issuer=c.issuer,
            valid_from=ntp_to_datetime(self.key_period.start_of(number)),
            valid_to=ntp_to_datetime(self.key_period.end_of(number) - 1),
            revoked=c.is_revoked(user_uri, number),
        )

    def _issue(self, user_uri: str, number: int) -> UserKeySet:
        if "kms_prov_invalid_keys" in self._faults:
            # keys of the next period's identifier, labelled with this period's: they cannot validate
            wrong = self._kms.issue_key_set(user_uri, number + 1)
            return dataclasses.replace(wrong, user_id=self.key_period.uid(user_uri, self._kms.kms_uri, number),
                                       key_period_no=number, _rsk_key=[])
        uid = self.key_period.uid(user_uri, self._kms.kms_uri, number)
        with self._lock:
            cached = self._cache.get(uid)
            if cached is not None:
                return cached
        issued = self._kms.issue_key_set(user_uri, number)
        with self._lock:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.pop(next(iter(self._cache)))
            return self._cache.setdefault(uid, issued)
