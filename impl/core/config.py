"""The SIP core's configuration: read from the role's JSON, every bad item named in a ConfigError."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from mcsec.impl.faults import Faults, UnknownFault
from mcsec.impl.roleconfig import rotation as _rotation, tcp_limits, tcp_limits_json
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.rotation import Rotation
from mcsec.impl.sip import MalformedUri, SipUri, parse_uri
from mcsec.impl.sip.aio.transport import TcpLimits

TRANSPORTS = ("udp", "tcp")


@dataclass(frozen=True)
class AsPeer:
    """The MCPTT application server: the core's only SIP-2 peer."""

    host: str
    port: int
    transport: str
    uri: str

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


@dataclass(frozen=True)
class AsRoute:
    """A second SIP-2 peer: requests from SIP-1 whose Request-URI is ``uri`` (a service identity), or
    whose Request-URI names this peer's address (in-dialog requests), go to it instead of the AS. The lab
    points it at the test system's scripted MCPTT server (docs/sip-core.md, "Routes")."""

    uri: str
    host: str
    port: int
    transport: str

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


@dataclass(frozen=True)
class CoreUser:
    """A subscriber: the IMPU it registers and its SIP digest credentials."""

    impu: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CoreConfig:
    host: str  # both faces, unless sip1_host / sip2_host say otherwise
    sip1_port: int
    sip2_port: int
    domain: str
    as_peer: AsPeer
    users: tuple[CoreUser, ...]
    trace_path: str
    timers_scale: float = 1.0
    faults: Faults = field(default_factory=lambda: Faults([], role="core"))
    max_auth_failures: int = 3
    auth_lockout_s: float = 60.0
    default_expires_s: int = 3600
    max_expires_s: int = 7200
    sip1_host: str = ""  # SIP-1 face's address (a network-namespace topology puts each face on its link)
    sip2_host: str = ""
    rotation: Rotation = field(default_factory=Rotation)  # size cap of its trace and log
    tcp: TcpLimits = field(default_factory=TcpLimits)  # bounds of the TCP connections of both faces
    routes: tuple[AsRoute, ...] = ()  # further SIP-2 peers, by service identity (docs/sip-core.md, "Routes")

    def __post_init__(self) -> None:
        object.__setattr__(self, "sip1_host", self.sip1_host or self.host)
        object.__setattr__(self, "sip2_host", self.sip2_host or self.host)

    def to_json(self) -> dict:
        """The JSON configuration :func:`load_config` reads back as this configuration (the lab writes it)."""
        out = {
            "host": self.host, "sip1_port": self.sip1_port, "sip2_port": self.sip2_port, "domain": self.domain,
            "as": {"host": self.as_peer.host, "port": self.as_peer.port, "transport": self.as_peer.transport,
                   "uri": self.as_peer.uri},
            "users": [{"impu": u.impu, "username": u.username, "password": u.password} for u in self.users],
            "trace_path": self.trace_path, "timers_scale": self.timers_scale, "faults": self.faults.names(),
            "max_auth_failures": self.max_auth_failures, "auth_lockout_s": self.auth_lockout_s,
            "rotation": self.rotation.to_json(), "tcp": tcp_limits_json(self.tcp),
        }
        if self.routes:
            out["routes"] = [{"uri": r.uri, "host": r.host, "port": r.port, "transport": r.transport}
                             for r in self.routes]
        if self.sip1_host != self.host:
            out["sip1_host"] = self.sip1_host
        if self.sip2_host != self.host:
            out["sip2_host"] = self.sip2_host
        return out

    def user_by_username(self, username: str) -> CoreUser | None:
        return next((u for u in self.users if u.username == username), None)

    def user_by_impu(self, impu: str) -> CoreUser | None:
        key = uri_key(impu)
        return next((u for u in self.users if uri_key(u.impu) == key), None)


def uri_key(text: str) -> str:
    """A comparable form of a public identity: scheme, user and host (lower case), port; no parameters.

    Text that is not a SIP URI compares as itself.
    """
    try:
        uri = parse_uri(text.strip())
    except MalformedUri:
        return text.strip()
    if not isinstance(uri, SipUri):
        return str(uri)
    port = f":{uri.port}" if uri.port is not None else ""
    user = f"{uri.user}@" if uri.user is not None else ""
    return f"{uri.scheme.lower()}:{user}{uri.host.lower()}{port}"


def _item(config: dict, name: str, kind: type | tuple[type, ...], where: str = "") -> object:
    label = f"{where}{name}"
    if name not in config:
        raise ConfigError(f"{label}: missing")
    value = config[name]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(f"{label}: wrong type")
    if not isinstance(value, kind):
        raise ConfigError(f"{label}: wrong type")
    return value


def _port(config: dict, name: str, where: str = "", allow_zero: bool = True) -> int:
    value = _item(config, name, int, where)
    assert isinstance(value, int)
    low = 0 if allow_zero else 1
    if not low <= value <= 65535:
        raise ConfigError(f"{where}{name}: not a port number")
    return value


def _host(config: dict, name: str, where: str = "") -> str:
    value = _item(config, name, str, where)
    assert isinstance(value, str)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(f"{where}{name}: must be an IP address") from None
    return value


def _sip_uri(value: str, label: str) -> str:
    try:
        uri = parse_uri(value)
    except MalformedUri:
        raise ConfigError(f"{label}: not a SIP URI") from None
    if not isinstance(uri, SipUri):
        raise ConfigError(f"{label}: not a SIP URI")
    return value


def _as_peer(config: dict) -> AsPeer:
    value = config.get("as")
    if value is None:
        raise ConfigError("as: missing (start the MCPTT AS first and give its address)")
    if not isinstance(value, dict):
        raise ConfigError("as: wrong type")
    transport = _item(value, "transport", str, "as.")
    if transport not in TRANSPORTS:
        raise ConfigError("as.transport: must be udp or tcp")
    uri = _item(value, "uri", str, "as.")
    assert isinstance(uri, str) and isinstance(transport, str)
    return AsPeer(_host(value, "host", "as."), _port(value, "port", "as.", allow_zero=False),
                  transport, _sip_uri(uri, "as.uri"))


def _routes(config: dict, as_peer: AsPeer) -> tuple[AsRoute, ...]:
    value = config.get("routes", [])
    if not isinstance(value, list):
        raise ConfigError("routes: wrong type")
    routes: list[AsRoute] = []
    for index, entry in enumerate(value):
        where = f"routes[{index}]."
        if not isinstance(entry, dict):
            raise ConfigError(f"routes[{index}]: wrong type")
        unknown = sorted(set(entry) - {"uri", "host", "port", "transport"})
        if unknown:
            raise ConfigError(f"{where}{unknown[0]}: unknown item")
        transport = _item(entry, "transport", str, where)
        if transport not in TRANSPORTS:
            raise ConfigError(f"{where}transport: must be udp or tcp")
        uri = _item(entry, "uri", str, where)
        assert isinstance(uri, str) and isinstance(transport, str)
        route = AsRoute(_sip_uri(uri, f"{where}uri"), _host(entry, "host", where),
                        _port(entry, "port", where, allow_zero=False), transport)
        if uri_key(route.uri) == uri_key(as_peer.uri):
            raise ConfigError(f"{where}uri: is the AS's own URI")
        if route.address == as_peer.address:
            raise ConfigError(f"{where}port: is the AS's own address")
        routes.append(route)
    if len({uri_key(r.uri) for r in routes}) != len(routes):
        raise ConfigError("routes: duplicate uri")
    return tuple(routes)


def _users(config: dict) -> tuple[CoreUser, ...]:
    value = _item(config, "users", list)
    assert isinstance(value, list)
    users: list[CoreUser] = []
    for index, entry in enumerate(value):
        where = f"users[{index}]."
        if not isinstance(entry, dict):
            raise ConfigError(f"users[{index}]: wrong type")
        impu = _item(entry, "impu", str, where)
        username = _item(entry, "username", str, where)
        password = _item(entry, "password", str, where)
        assert isinstance(impu, str) and isinstance(username, str) and isinstance(password, str)
        _sip_uri(impu, f"{where}impu")
        if not username or not password:
            raise ConfigError(f"{where}username/password: must not be empty")
        users.append(CoreUser(impu, username, password))
    if len({u.username for u in users}) != len(users):
        raise ConfigError("users: duplicate username")
    if len({uri_key(u.impu) for u in users}) != len(users):
        raise ConfigError("users: duplicate impu")
    return tuple(users)


def _positive(config: dict, name: str, default: float) -> float:
    value = config.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{name}: must be a positive number")
    return float(value)


def load_config(config: dict) -> CoreConfig:
    """Validate the role configuration. Raises ConfigError naming the first bad item."""
    if not isinstance(config, dict):
        raise ConfigError("configuration: must be a JSON object")
    domain = _item(config, "domain", str)
    trace_path = _item(config, "trace_path", str)
    assert isinstance(domain, str) and isinstance(trace_path, str)
    if not domain:
        raise ConfigError("domain: must not be empty")
    if not trace_path:
        raise ConfigError("trace_path: must not be empty")
    faults_value = config.get("faults", [])
    if not isinstance(faults_value, list) or not all(isinstance(f, str) for f in faults_value):
        raise ConfigError("faults: must be a list of fault names")
    try:
        faults = Faults(faults_value, role="core")
    except UnknownFault as exc:
        raise ConfigError(f"faults: {exc}") from None
    sip1_port = _port(config, "sip1_port")
    sip2_port = _port(config, "sip2_port")
    if sip1_port and sip1_port == sip2_port:
        raise ConfigError("sip2_port: must differ from sip1_port")
    max_failures = config.get("max_auth_failures", 3)
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 1:
        raise ConfigError("max_auth_failures: must be a positive integer")
    as_peer = _as_peer(config)
    return CoreConfig(
        host=_host(config, "host"), sip1_host=_host(config, "sip1_host") if "sip1_host" in config else "",
        sip2_host=_host(config, "sip2_host") if "sip2_host" in config else "", sip1_port=sip1_port, sip2_port=sip2_port, domain=domain,
        as_peer=as_peer, users=_users(config), trace_path=trace_path, routes=_routes(config, as_peer),
        timers_scale=_positive(config, "timers_scale", 1.0), faults=faults,
        max_auth_failures=max_failures, auth_lockout_s=_positive(config, "auth_lockout_s", 60.0),
        rotation=_rotation(config), tcp=tcp_limits(config),
    )
