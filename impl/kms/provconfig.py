"""Configuration of the KMS key provisioning interface: the `"ibc"` item of the KMS configuration.

Every item has a default, so a KMS configured without `"ibc"` provisions with a
30-day key period, offset 0, UserID in hex, nothing revoked and master keys
generated at start-up:

    "ibc": {"user_key_period": 2592000, "user_key_offset": 0, "user_id_format": "hex",
            "revoked": [{"user_uri": "sip:bob@example.org", "key_period_no": 1520}],
            "ibc_master": {"ksak": "<hex>", "z": "<hex>"},
            "cert_uri": "cert1.kms.example.org", "issuer": "kms.example.org",
            "cert_valid_from": "2000-01-01T00:00:00Z", "cert_valid_to": "2100-01-01T00:00:00Z",
            "future_periods": 1, "domains": []}
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from mcsec.impl.ibc.eccsi import EccsiKms
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.sakke import SakkeKms
from mcsec.impl.ibc.uid import KeyPeriod
from mcsec.impl.kms.provxml import USER_ID_ENCODINGS
from mcsec.impl.rolemain import ConfigError

DEFAULT_KEY_PERIOD_S = 2_592_000  # 30 days
DEFAULT_VALID_FROM = "2000-01-01T00:00:00Z"
DEFAULT_VALID_TO = "2100-01-01T00:00:00Z"
_KNOWN = {"user_key_period", "user_key_offset", "user_id_format", "revoked", "ibc_master", "cert_uri", "issuer",
          "cert_valid_from", "cert_valid_to", "future_periods", "domains"}


@dataclass(frozen=True)
class RevokedKeySet:
    user_uri: str
    key_period_no: int


@dataclass(frozen=True)
class IbcMaster:
    """The KMS master secrets: ECCSI KSAK and SAKKE z."""
    ksak: int = field(repr=False)
    z: int = field(repr=False)


@dataclass(frozen=True)
class IbcConfig:
    kms_uri: str
    key_period: KeyPeriod
    user_id_format: str
    revoked: frozenset[RevokedKeySet]
    master: IbcMaster | None = field(repr=False)
    cert_uri: str
    issuer: str
    cert_valid_from: _dt.datetime
    cert_valid_to: _dt.datetime
    future_periods: int
    domains: tuple[str, ...]

    def is_revoked(self, user_uri: str, key_period_no: int) -> bool:
        return RevokedKeySet(user_uri, key_period_no) in self.revoked

    def to_json(self) -> dict:
        """The ``"ibc"`` item that :func:`parse` reads back as this configuration."""
        out = {
            "user_key_period": self.key_period.length, "user_key_offset": self.key_period.offset,
            "user_id_format": self.user_id_format,
            "revoked": [{"user_uri": r.user_uri, "key_period_no": r.key_period_no}
                        for r in sorted(self.revoked, key=lambda r: (r.user_uri, r.key_period_no))],
            "cert_uri": self.cert_uri, "issuer": self.issuer,
            "cert_valid_from": self.cert_valid_from.isoformat(), "cert_valid_to": self.cert_valid_to.isoformat(),
            "future_periods": self.future_periods, "domains": list(self.domains),
        }
        if self.master is not None:
            out["ibc_master"] = {"ksak": f"{self.master.ksak:x}", "z": f"{self.master.z:x}"}
        return out

    def make_kms(self) -> IbcKms:
        """The IBC KMS: from the configured master secrets, else freshly generated ones."""
        if self.master is None:
            return IbcKms.generate(self.kms_uri, self.key_period)
        return IbcKms(kms_uri=self.kms_uri, key_period=self.key_period,
                      eccsi=EccsiKms.from_ksak(self.master.ksak), sakke=SakkeKms.from_master_secret(self.master.z))


def _int(table: dict, key: str, default: int, minimum: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"kms configuration: 'ibc.{key}' must be an integer >= {minimum}")
    return value


def _str(table: dict, key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"kms configuration: 'ibc.{key}' must be a non-empty string")
    return value


def _time(table: dict, key: str, default: str) -> _dt.datetime:
    text = _str(table, key, default)
    try:
        value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"kms configuration: 'ibc.{key}' must be an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


def _hex_scalar(table: dict, key: str) -> int:
    value = table.get(key)
    try:
        number = int(value, 16) if isinstance(value, str) else -1
    except ValueError:
        number = -1
    if number <= 0:
        raise ConfigError(f"kms configuration: 'ibc.ibc_master.{key}' must be a positive hex integer")
    return number


def _master(value) -> IbcMaster | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"ksak", "z"}:
        raise ConfigError("kms configuration: 'ibc.ibc_master' must be null or {\"ksak\": hex, \"z\": hex}")
    master = IbcMaster(ksak=_hex_scalar(value, "ksak"), z=_hex_scalar(value, "z"))
    try:
        EccsiKms.from_ksak(master.ksak)
        SakkeKms.from_master_secret(master.z)
    except IbcError as exc:
        raise ConfigError(f"kms configuration: 'ibc.ibc_master': {exc}") from None
    return master


def _revoked(value) -> frozenset[RevokedKeySet]:
    if not isinstance(value, list):
        raise ConfigError("kms configuration: 'ibc.revoked' must be a list")
    out = set()
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            uri, number = entry.get("user_uri"), entry.get("key_period_no")
        elif isinstance(entry, list) and len(entry) == 2:
            uri, number = entry
        else:
            uri = number = None
        if not isinstance(uri, str) or not uri or isinstance(number, bool) or not isinstance(number, int) \
                or number < 0:
            raise ConfigError(f"kms configuration: 'ibc.revoked[{i}]' must be "
                              "{\"user_uri\": str, \"key_period_no\": int >= 0} or [user_uri, key_period_no]")
        out.add(RevokedKeySet(uri, number))
    return frozenset(out)


def parse(value, kms_uri: str) -> IbcConfig:
    """The `"ibc"` item (None or absent: every default)."""
    table = {} if value is None else value
    if not isinstance(table, dict):
        raise ConfigError("kms configuration: 'ibc' must be an object")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(f"kms configuration: unknown item(s) 'ibc.{unknown[0]}' (known: {', '.join(sorted(_KNOWN))})")
    fmt = table.get("user_id_format", "hex")
    if fmt not in USER_ID_ENCODINGS:
        raise ConfigError(f"kms configuration: 'ibc.user_id_format' must be one of {', '.join(USER_ID_ENCODINGS)}")
    domains = table.get("domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
        raise ConfigError("kms configuration: 'ibc.domains' must be a list of names")
    config = IbcConfig(
        kms_uri=kms_uri,
        key_period=KeyPeriod(_int(table, "user_key_period", DEFAULT_KEY_PERIOD_S, 1),
                             _int(table, "user_key_offset", 0, 0)),
        user_id_format=fmt,
        revoked=_revoked(table.get("revoked", [])),
        master=_master(table.get("ibc_master")),
        cert_uri=_str(table, "cert_uri", f"cert1.{kms_uri}"),
        issuer=_str(table, "issuer", kms_uri),
        cert_valid_from=_time(table, "cert_valid_from", DEFAULT_VALID_FROM),
        cert_valid_to=_time(table, "cert_valid_to", DEFAULT_VALID_TO),
        future_periods=_int(table, "future_periods", 1, 0),
        domains=tuple(domains),
    )
    if config.cert_valid_to <= config.cert_valid_from:
        raise ConfigError("kms configuration: 'ibc.cert_valid_to' must be after 'ibc.cert_valid_from'")
    return config
