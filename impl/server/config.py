"""Configuration of the reference MCPTT server (``python -m mcsec.impl.server --config CONFIG.json``).

    {"host": "127.0.0.1", "port": 0, "uri": "sip:mcptt-as@example.org",
     "idm": {"url": "https://127.0.0.1:8443", "ca": "ca.pem"},
     "client_id": "mcptt-as", "client_secret": "...",
     "kms": {"url": "https://127.0.0.1:8444", "kms_uri": "kms.example.org", "ca": "ca.pem"},
     "users": [{"impu": "sip:alice@ims.example.org", "mcptt_id": "sip:alice@example.org"}],
     "protection_required": true, "replay": {"window_s": 60, "require_stamp": true},
     "timers_scale": 1.0, "trace_path": "server-trace.jsonl", "faults": [], "log_level": "INFO",
     "ibc": {...}}

``ibc`` (optional) configures the clause 7.14 CSK upload: see impl/server/ibc_config.py.
``sip_netns`` (optional): the network namespace the SIP sockets are opened in (``host`` is an address
there); the HTTPS clients (IdM, KMS) stay in the process's own namespace.

``other_kms`` (default none): more KMSes, each ``{"url", "kms_uri", "ca"}``, whose users' CEKs the
server fetches; a user's ``"kms_uri"`` (default the one of ``kms``) names the user's home KMS, where the
server fetches the CEKs that user shares. A CEK is identified by (KMS URI, Key ID): two KMSes may issue
the same Key ID.

``trusted_peers`` (default none): the ``"address:port"`` of the SIP core's SIP-2 face, from which alone a
P-Asserted-Identity is trusted (RFC 3325); a request from anywhere else is taken as carrying none.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta

from mcsec.impl.faults import Faults
from mcsec.impl.hostport import HostPort
from mcsec.impl.peer_endpoints import KmsEndpoint, ServiceEndpoint
from mcsec.impl.roleconfig import (optional_string, rotation as _rotation, string as _str, table as _table,
                                   tcp_limits, tcp_limits_json)
from mcsec.impl.rotation import Rotation
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.server import ibc_config
from mcsec.impl.server.ibc_config import IbcSettings
from mcsec.impl.sip import SipError, SipUri, parse_uri
from mcsec.impl.sip.aio.transport import TcpLimits
from mcsec.impl.smime import ReplayPolicy


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    uri: str
    idm: ServiceEndpoint
    client_id: str
    client_secret: str = field(repr=False)
    kms: KmsEndpoint = field(default=None)  # type: ignore[assignment]
    users: dict[str, str] = field(default_factory=dict)  # IMPU -> MCPTT ID
    protection_required: bool = True
    replay: ReplayPolicy = field(default_factory=ReplayPolicy)
    timers_scale: float = 1.0
    trace_path: str | None = None
    netns: str | None = None  # the network namespace its SIP sockets are opened in (impl/netns.py)
    faults: Faults = field(default_factory=Faults)
    ibc: IbcSettings = field(default_factory=IbcSettings)
    rotation: Rotation = field(default_factory=Rotation)  # size cap of its trace and log
    tcp: TcpLimits = field(default_factory=TcpLimits)  # bounds of its TCP connections
    # Where P-Asserted-Identity is trusted from (RFC 3325): the SIP core's SIP-2 face, by address and port.
    trusted_peers: tuple[HostPort, ...] = ()
    other_kms: tuple[KmsEndpoint, ...] = ()  # KMSes besides ``kms`` that users are homed at
    user_kms: dict[str, str] = field(default_factory=dict)  # MCPTT ID -> KMS URI of its home KMS (when not ``kms``)

    def trusts(self, remote: tuple[str, int]) -> bool:
        """Whether a request from ``remote`` (its flow's source address and port) comes from the trust domain."""
        return any(_same_host(peer.host, remote[0]) and peer.port == remote[1] for peer in self.trusted_peers)

    def to_json(self) -> dict:
        """The JSON configuration :func:`load` reads back as this configuration (the lab writes it)."""
        out = {
            "host": self.host, "port": self.port, "uri": self.uri,
            "idm": {"url": self.idm.url, "ca": self.idm.ca},
            "client_id": self.client_id, "client_secret": self.client_secret,
            "kms": {"url": self.kms.url, "kms_uri": self.kms.kms_uri, "ca": self.kms.ca},
            "users": [{"impu": impu, "mcptt_id": mcptt_id,
                       **({"kms_uri": self.user_kms[mcptt_id]} if mcptt_id in self.user_kms else {})}
                      for impu, mcptt_id in self.users.items()],
            "protection_required": self.protection_required,
            "replay": {"window_s": self.replay.window.total_seconds(), "require_stamp": self.replay.require_stamp},
            "timers_scale": self.timers_scale, "faults": self.faults.names(), "ibc": self.ibc.to_json(),
            "rotation": self.rotation.to_json(), "tcp": tcp_limits_json(self.tcp),
            "trusted_peers": [str(peer) for peer in self.trusted_peers],
        }
        if self.other_kms:
            out["other_kms"] = [{"url": k.url, "kms_uri": k.kms_uri, "ca": k.ca} for k in self.other_kms]
        if self.trace_path is not None:
            out["trace_path"] = self.trace_path
        if self.netns is not None:
            out["sip_netns"] = self.netns
        return out

    @property
    def ibc_identity(self) -> str:
        """The server's IBC identity: the URI its MIKEY-SAKKE key sets are issued for."""
        return self.ibc.identity or self.uri

    @property
    def warn_agent(self) -> str:
        """The warn-agent of the Warning headers: the host of the server's URI."""
        uri = parse_uri(self.uri)
        return uri.host if isinstance(uri, SipUri) else "mcptt-as"


def load(config: dict) -> ServerConfig:
    where = "server configuration"
    try:
        faults = Faults(config.get("faults", []), role="server")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    port = config.get("port", 0)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ConfigError(f"{where}: 'port' must be an integer 0..65535")
    uri = _str(config, "uri", where)
    try:
        if not isinstance(parse_uri(uri), SipUri):
            raise ValueError
    except (ValueError, SipError):
        raise ConfigError(f"{where}: 'uri' must be a SIP URI") from None
    idm = _table(config, "idm", where)
    kms = _table(config, "kms", where)
    users: dict[str, str] = {}
    user_kms: dict[str, str] = {}
    raw_users = config.get("users", [])
    if not isinstance(raw_users, list):
        raise ConfigError(f"{where}: 'users' must be a list")
    for index, user in enumerate(raw_users):
        if not isinstance(user, dict):
            raise ConfigError(f"{where}: users[{index}] must be an object")
        users[_str(user, "impu", f"users[{index}]")] = _str(user, "mcptt_id", f"users[{index}]")
        if "kms_uri" in user:
            user_kms[user["mcptt_id"]] = _str(user, "kms_uri", f"users[{index}]")
    main_kms = KmsEndpoint(_str(kms, "url", "kms"), _str(kms, "kms_uri", "kms"), _str(kms, "ca", "kms"))
    other_kms = _other_kms(config, main_kms)
    known = {main_kms.kms_uri} | {k.kms_uri for k in other_kms}
    for mcptt_id, kms_uri in user_kms.items():
        if kms_uri not in known:
            raise ConfigError(f"{where}: the KMS {kms_uri!r} of user {mcptt_id!r} is neither 'kms' nor in 'other_kms'")
    replay = config.get("replay", {})
    if not isinstance(replay, dict):
        raise ConfigError(f"{where}: 'replay' must be an object")
    window = replay.get("window_s", 60)
    if not isinstance(window, (int, float)) or isinstance(window, bool) or window <= 0:
        raise ConfigError(f"{where}: replay.window_s must be a positive number")
    scale = config.get("timers_scale", 1.0)
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale <= 0:
        raise ConfigError(f"{where}: 'timers_scale' must be a positive number")
    protection = config.get("protection_required", True)
    require_stamp = replay.get("require_stamp", True)
    if not isinstance(protection, bool) or not isinstance(require_stamp, bool):
        raise ConfigError(f"{where}: protection_required and replay.require_stamp must be true or false")
    trace = config.get("trace_path")
    if trace is not None and not isinstance(trace, str):
        raise ConfigError(f"{where}: 'trace_path' must be a string")
    return ServerConfig(
        host=config.get("host", "127.0.0.1"), port=port, uri=uri,
        idm=ServiceEndpoint(_str(idm, "url", "idm"), _str(idm, "ca", "idm")),
        client_id=_str(config, "client_id", where), client_secret=_str(config, "client_secret", where),
        kms=main_kms, users=users, protection_required=protection,
        replay=ReplayPolicy(window=timedelta(seconds=window), require_stamp=require_stamp),
        timers_scale=float(scale), trace_path=trace, netns=optional_string(config, "sip_netns", where),
        faults=faults, ibc=ibc_config.parse(config.get("ibc")), rotation=_rotation(config),
        tcp=tcp_limits(config), trusted_peers=_trusted_peers(config), other_kms=other_kms, user_kms=user_kms,
    )


def _same_host(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a.strip("[]")) == ipaddress.ip_address(b.strip("[]"))
    except ValueError:
        return False


def _trusted_peers(config: dict) -> tuple[HostPort, ...]:
    value = config.get("trusted_peers", [])
    if not isinstance(value, list):
        raise ConfigError("server configuration: 'trusted_peers' must be a list of \"address:port\"")
    peers = []
    for index, text in enumerate(value):
        try:
            peer = HostPort.parse(text)
            ipaddress.ip_address(peer.host)
        except ValueError:
            raise ConfigError(f"server configuration: trusted_peers[{index}] must be \"IP address:port\" "
                              f"(port 1..65535)") from None
        peers.append(peer)
    return tuple(peers)


def _other_kms(config: dict, main: KmsEndpoint) -> tuple[KmsEndpoint, ...]:
    value = config.get("other_kms", [])
    if not isinstance(value, list):
        raise ConfigError("server configuration: 'other_kms' must be a list of {\"url\", \"kms_uri\", \"ca\"}")
    out: list[KmsEndpoint] = []
    for index, item in enumerate(value):
        where = f"other_kms[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"server configuration: {where} must be an object")
        endpoint = KmsEndpoint(_str(item, "url", where), _str(item, "kms_uri", where), _str(item, "ca", where))
        if endpoint.kms_uri in {main.kms_uri} | {k.kms_uri for k in out}:
            raise ConfigError(f"server configuration: {where}: KMS URI {endpoint.kms_uri!r} given twice")
        out.append(endpoint)
    return tuple(out)
