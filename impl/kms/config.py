"""Configuration of the reference KMS (``python -m mcsec.impl.kms --config CONFIG.json``).

    {"host": "127.0.0.1", "port": 0, "tls": {"cert": "kms.pem", "key": "kms.key"},
     "kms_uri": "kms.example.org",
     "idm": {"issuer": "https://127.0.0.1:8443", "jwks_uri": "https://127.0.0.1:8443/jwks", "ca": "ca.pem"},
     "audience": "kms.example.org", "scopes": ["3gpp:mc:ptt_key_management_service"], "leeway_s": 30,
     "cek_lifetime_s": 3600, "servers": ["sip:mcptt-as@example.org"], "faults": [], "log_level": "INFO",
     "ibc": {...}}

``ibc`` (optional) configures the clause 7.14 key provisioning interface: see provconfig.py.
``test_control`` (optional, default false) serves the test control surface (impl/kms/testcontrol.py) and
``test_control_secret`` (optional) is what it demands (made at each start when absent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from mcsec.impl.faults import Faults, UnknownFault
from mcsec.impl.kms import provconfig
from mcsec.impl.kms.provconfig import IbcConfig
from mcsec.impl.roleconfig import port as _port, rotation as _rotation, string as _str, table as _table
from mcsec.impl.rotation import Rotation
from mcsec.impl.rolemain import ConfigError

MAX_LEEWAY_S = 60
_WHERE = "kms configuration"
_SECRET = re.compile(r"[A-Za-z0-9\-._~+/]{16,512}=*")


@dataclass(frozen=True)
class IdmTrust:
    """How the KMS checks access tokens: the IdM's issuer, where its JWKS is, and the CA of its TLS."""
    issuer: str
    jwks_uri: str
    ca: str


@dataclass(frozen=True)
class KmsConfig:
    tls_cert: str
    tls_key: str
    kms_uri: str
    idm: IdmTrust
    audience: str
    scopes: tuple[str, ...]
    servers: tuple[str, ...]  # MCPTT server URIs a CEK may be shared with
    ibc: IbcConfig = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    leeway_s: int = 30
    cek_lifetime_s: int = 3600
    faults: Faults = field(default_factory=lambda: Faults([], role="kms"))
    rotation: Rotation = field(default_factory=Rotation)  # size cap of its log
    test_control: bool = False  # serve the test control surface (defective key sets on demand)
    test_control_secret: str | None = field(default=None, repr=False)  # what it demands; None: made at start

    def to_json(self) -> dict:
        """The JSON configuration :func:`load` reads back as this configuration (the lab writes it)."""
        return {
            "host": self.host, "port": self.port, "tls": {"cert": self.tls_cert, "key": self.tls_key},
            "kms_uri": self.kms_uri,
            "idm": {"issuer": self.idm.issuer, "jwks_uri": self.idm.jwks_uri, "ca": self.idm.ca},
            "audience": self.audience, "scopes": list(self.scopes), "leeway_s": self.leeway_s,
            "cek_lifetime_s": self.cek_lifetime_s, "servers": list(self.servers), "faults": self.faults.names(),
            "ibc": self.ibc.to_json(), "rotation": self.rotation.to_json(), "test_control": self.test_control,
            **({"test_control_secret": self.test_control_secret} if self.test_control_secret is not None else {}),
        }


def _int(config: dict, key: str, default: int, low: int, high: int) -> int:
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{_WHERE}: {key!r} must be an integer {low}..{high}")
    return value


def _strings(config: dict, key: str) -> tuple[str, ...]:
    value = config.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{_WHERE}: {key!r} must be a list of non-empty strings")
    return tuple(value)


def load(config: dict) -> KmsConfig:
    """Check every item before any socket is opened; a ConfigError names the first bad one."""
    if not isinstance(config, dict):
        raise ConfigError(f"{_WHERE}: must be a JSON object")
    try:
        faults = Faults(config.get("faults", []), role="kms")
    except (UnknownFault, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    tls = _table(config, "tls", _WHERE)
    idm = _table(config, "idm", _WHERE)
    kms_uri = _str(config, "kms_uri", _WHERE)
    test_control = config.get("test_control", False)
    if not isinstance(test_control, bool):
        raise ConfigError(f"{_WHERE}: 'test_control' must be true or false")
    secret = config.get("test_control_secret")
    if secret is not None and (not isinstance(secret, str) or not _SECRET.fullmatch(secret)):
        raise ConfigError(f"{_WHERE}: 'test_control_secret' must be null or 16 to 512 characters of A-Z a-z 0-9 "
                          "- . _ ~ + / (a Bearer token)")
    return KmsConfig(
        tls_cert=_str(tls, "cert", "tls"), tls_key=_str(tls, "key", "tls"), kms_uri=kms_uri,
        idm=IdmTrust(_str(idm, "issuer", "idm"), _str(idm, "jwks_uri", "idm"), _str(idm, "ca", "idm")),
        audience=_str(config, "audience", _WHERE), scopes=_strings(config, "scopes"),
        servers=_strings(config, "servers"), ibc=provconfig.parse(config.get("ibc"), kms_uri),
        host=_str({"host": config.get("host", "127.0.0.1")}, "host", _WHERE),
        port=_port(config, "port", _WHERE, 0), leeway_s=_int(config, "leeway_s", 30, 0, MAX_LEEWAY_S),
        cek_lifetime_s=_int(config, "cek_lifetime_s", 3600, 1, 10 * 365 * 86400), faults=faults,
        rotation=_rotation(config), test_control=test_control, test_control_secret=secret,
    )
