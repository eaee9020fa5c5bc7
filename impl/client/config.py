"""Configuration of the reference MCPTT client (``python -m mcsec.impl.client --config CONFIG.json``).

    {"host": "127.0.0.1", "sip_port": 0,
     "upper_tester": {"port": 0, "tls": {"cert": "ut.pem", "key": "ut.key"}},
     "core": {"host": "127.0.0.1", "port": 5060, "transport": "udp"},
     "idm": {"url": "https://127.0.0.1:8443", "ca": "ca.pem"},
     "oauth_client": {"client_id": "mcptt-client", "redirect_uri": "http://127.0.0.1/mcptt/callback"},
     "kms": {"url": "https://127.0.0.1:8444", "kms_uri": "kms.example.org", "ca": "ca.pem"},
     "user": {"username": "alice", "password": "...", "mcptt_id": "sip:alice@example.org",
              "impu": "sip:alice@ims.example.org", "sip_password": "..."},
     "server_uri": "sip:mcptt-as@example.org", "protection_required": true,
     "timers_scale": 1.0, "sip_timeout_s": 10, "trace_path": "client-trace.jsonl", "faults": [],
     "log_level": "INFO",
     "ibc": {"user_id_format": "hex", "server_identity": "sip:mcptt-as@example.org"}}

``sip_netns`` (optional): the network namespace the SIP sockets are opened in (``host`` is an address
there); the upper tester and the HTTPS clients stay in the process's own namespace.

``ibc`` (optional, clause 7.14): how the KMS writes UserID (hex, base64, auto; default hex) and the
MCPTT server's IBC identity a CSK is encrypted to (default: ``server_uri``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mcsec.impl.faults import Faults
from mcsec.impl.hostport import HostPort
from mcsec.impl.peer_endpoints import KmsEndpoint, ServiceEndpoint
from mcsec.impl.roleconfig import optional_string, port as _port, rotation as _rotation, string as _str, table as _table
from mcsec.impl.rotation import Rotation
from mcsec.impl.rolemain import ConfigError


@dataclass(frozen=True)
class UserConfig:
    username: str
    password: str = field(repr=False)
    mcptt_id: str = ""
    impu: str = ""
    sip_password: str = field(default="", repr=False)

    @property
    def domain(self) -> str:
        """The home domain of the IMPU (the REGISTER Request-URI host)."""
        return self.impu.split("@", 1)[-1].split(";", 1)[0]


@dataclass(frozen=True)
class IbcConfig:
    user_id_format: str = "hex"
    server_identity: str | None = None


@dataclass(frozen=True)
class ClientConfig:
    host: str
    sip_port: int
    ut_port: int
    ut_cert: str
    ut_key: str
    core: HostPort  # where the client sends (the SIP core's SIP-1 face)
    idm: ServiceEndpoint
    client_id: str
    redirect_uri: str
    kms: KmsEndpoint
    user: UserConfig
    server_uri: str
    protection_required: bool = True
    replay_stamp: bool = True   # seal bodies with the replay stamp, and require it in answers (an ICS item)
    timers_scale: float = 1.0
    sip_timeout_s: float = 10.0
    trace_path: str | None = None
    netns: str | None = None  # the network namespace its SIP sockets are opened in (impl/netns.py)
    faults: Faults = field(default_factory=Faults)
    ibc: IbcConfig = field(default_factory=IbcConfig)
    rotation: Rotation = field(default_factory=Rotation)  # size cap of its trace and log

    def to_json(self) -> dict:
        """The JSON configuration :func:`load` reads back as this configuration (the lab writes it)."""
        out = {
            "host": self.host, "sip_port": self.sip_port,
            "upper_tester": {"port": self.ut_port, "tls": {"cert": self.ut_cert, "key": self.ut_key}},
            "core": self.core.to_json(),
            "idm": {"url": self.idm.url, "ca": self.idm.ca},
            "oauth_client": {"client_id": self.client_id, "redirect_uri": self.redirect_uri},
            "kms": {"url": self.kms.url, "kms_uri": self.kms.kms_uri, "ca": self.kms.ca},
            "user": {"username": self.user.username, "password": self.user.password, "mcptt_id": self.user.mcptt_id,
                     "impu": self.user.impu, "sip_password": self.user.sip_password},
            "server_uri": self.server_uri, "protection_required": self.protection_required,
            "replay_stamp": self.replay_stamp,
            "timers_scale": self.timers_scale, "sip_timeout_s": self.sip_timeout_s, "faults": self.faults.names(),
            "ibc": {"user_id_format": self.ibc.user_id_format,
                    **({"server_identity": self.ibc.server_identity} if self.ibc.server_identity else {})},
            "rotation": self.rotation.to_json(),
        }
        if self.trace_path is not None:
            out["trace_path"] = self.trace_path
        if self.netns is not None:
            out["sip_netns"] = self.netns
        return out

    @property
    def server_identity(self) -> str:
        """The MCPTT server's IBC identity (the responder of a CSK upload)."""
        return self.ibc.server_identity or self.server_uri


def _positive(table: dict, key: str, default: float) -> float:
    value = table.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"client configuration: {key!r} must be a positive number")
    return float(value)


def _ibc(value: object) -> IbcConfig:
    table = {} if value is None else value
    if not isinstance(table, dict):
        raise ConfigError("client configuration: 'ibc' must be an object")
    unknown = sorted(set(table) - {"user_id_format", "server_identity"})
    if unknown:
        raise ConfigError(f"client configuration: 'ibc.{unknown[0]}' is not a known item")
    fmt = table.get("user_id_format", "hex")
    if fmt not in ("hex", "base64", "auto"):
        raise ConfigError("client configuration: 'ibc.user_id_format' must be hex, base64 or auto")
    identity = table.get("server_identity")
    if identity is not None and (not isinstance(identity, str) or not identity):
        raise ConfigError("client configuration: 'ibc.server_identity' must be a non-empty string")
    return IbcConfig(fmt, identity)


def load(config: dict) -> ClientConfig:
    where = "client configuration"
    try:
        faults = Faults(config.get("faults", []), role="client")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    ut = _table(config, "upper_tester", where)
    tls = _table(ut, "tls", "upper_tester")
    core = _table(config, "core", where)
    transport = core.get("transport", "udp")
    if transport not in ("udp", "tcp"):
        raise ConfigError("core: 'transport' must be udp or tcp")
    idm = _table(config, "idm", where)
    oauth = _table(config, "oauth_client", where)
    kms = _table(config, "kms", where)
    user = _table(config, "user", where)
    protection = config.get("protection_required", True)
    stamp = config.get("replay_stamp", True)
    if not isinstance(protection, bool) or not isinstance(stamp, bool):
        raise ConfigError(f"{where}: 'protection_required' and 'replay_stamp' must be true or false")
    trace = config.get("trace_path")
    if trace is not None and not isinstance(trace, str):
        raise ConfigError(f"{where}: 'trace_path' must be a string")
    return ClientConfig(
        host=config.get("host", "127.0.0.1"), sip_port=_port(config, "sip_port", where, 0),
        ut_port=_port(ut, "port", "upper_tester", 0),
        ut_cert=_str(tls, "cert", "upper_tester.tls"), ut_key=_str(tls, "key", "upper_tester.tls"),
        core=HostPort(_str(core, "host", "core"), _port(core, "port", "core"), transport),
        idm=ServiceEndpoint(_str(idm, "url", "idm"), _str(idm, "ca", "idm")),
        client_id=_str(oauth, "client_id", "oauth_client"), redirect_uri=_str(oauth, "redirect_uri", "oauth_client"),
        kms=KmsEndpoint(_str(kms, "url", "kms"), _str(kms, "kms_uri", "kms"), _str(kms, "ca", "kms")),
        user=UserConfig(_str(user, "username", "user"), _str(user, "password", "user"),
                        _str(user, "mcptt_id", "user"), _str(user, "impu", "user"),
                        _str(user, "sip_password", "user")),
        server_uri=_str(config, "server_uri", where), protection_required=protection, replay_stamp=stamp,
        timers_scale=_positive(config, "timers_scale", 1.0), sip_timeout_s=_positive(config, "sip_timeout_s", 10.0),
        trace_path=trace, netns=optional_string(config, "sip_netns", where), faults=faults, ibc=_ibc(config.get("ibc")),
        rotation=_rotation(config),
    )
