"""The IdM's configuration: JSON in, a checked `IdmConfig` out.

Every item is checked here, before any socket is opened; a bad or missing
item raises `ConfigError` whose message names the item (e.g. `users[1].password`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mcsec.impl.faults import Faults, UnknownFault
from mcsec.impl.roleconfig import rotation as _rotation
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.rotation import Rotation

DEFAULT_KMS_SCOPE = "3gpp:mc:ptt_key_management_service"

_KNOWN_ITEMS = frozenset({
    "host", "port", "tls", "issuer", "users", "clients", "servers", "kms_audience", "kms_scope",
    "access_token_lifetime_s", "id_token_lifetime_s", "code_lifetime_s", "test_control", "test_control_secret",
    "faults", "log_level", "rotation",
})
# The test control secret travels as a Bearer token: RFC 6750 b64token characters, 16 to 512 of them.
_SECRET = re.compile(r"[A-Za-z0-9\-._~+/]{16,512}=*")
_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})


@dataclass(frozen=True)
class User:
    username: str
    password: str = field(repr=False)
    mcptt_id: str


@dataclass(frozen=True)
class PublicClient:
    """A client that cannot keep a secret (the MCPTT client): PKCE is required."""

    client_id: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class ServerPrincipal:
    """A confidential client (e.g. the MCPTT AS) using the client credentials grant."""

    client_id: str
    client_secret: str = field(repr=False)
    uri: str


@dataclass(frozen=True)
class IdmConfig:
    host: str
    port: int
    tls_cert: Path
    tls_key: Path
    issuer: str | None
    users: tuple[User, ...]
    clients: tuple[PublicClient, ...]
    servers: tuple[ServerPrincipal, ...]
    kms_audience: str
    kms_scope: str
    access_token_lifetime_s: int
    id_token_lifetime_s: int
    code_lifetime_s: int
    test_control: bool
    faults: tuple[str, ...]
    log_level: str
    test_control_secret: str | None = field(default=None, repr=False)  # None: made at each start
    rotation: Rotation = field(default_factory=Rotation)  # size cap of its log

    def to_json(self) -> dict:
        """The JSON configuration :func:`parse_config` reads back as this configuration (the lab writes it)."""
        out = {
            "host": self.host, "port": self.port, "tls": {"cert": str(self.tls_cert), "key": str(self.tls_key)},
            "users": [{"username": u.username, "password": u.password, "mcptt_id": u.mcptt_id} for u in self.users],
            "clients": [{"client_id": c.client_id, "redirect_uris": list(c.redirect_uris)} for c in self.clients],
            "servers": [{"client_id": s.client_id, "client_secret": s.client_secret, "uri": s.uri}
                        for s in self.servers],
            "kms_audience": self.kms_audience, "kms_scope": self.kms_scope,
            "access_token_lifetime_s": self.access_token_lifetime_s, "id_token_lifetime_s": self.id_token_lifetime_s,
            "code_lifetime_s": self.code_lifetime_s, "test_control": self.test_control,
            "faults": list(self.faults), "log_level": self.log_level, "rotation": self.rotation.to_json(),
        }
        if self.issuer is not None:
            out["issuer"] = self.issuer
        if self.test_control_secret is not None:
            out["test_control_secret"] = self.test_control_secret
        return out

    def user(self, username: str) -> User | None:
        return next((u for u in self.users if u.username == username), None)

    def client(self, client_id: str) -> PublicClient | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def server(self, client_id: str) -> ServerPrincipal | None:
        return next((s for s in self.servers if s.client_id == client_id), None)


def _string(raw: dict, key: str, where: str, *, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}{key}: must be a non-empty string")
    return value


def _integer(raw: dict, key: str, default: int, *, minimum: int, maximum: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(f"{key}: must be an integer from {minimum} to {maximum}")
    return value


def _objects(raw: dict, key: str) -> list[dict]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{key}: must be a list")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"{key}[{index}]: must be an object")
    return value


def _redirect_uri(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: must be a non-empty string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        # RFC 6749 3.1.2: an absolute URI without a fragment component.
        raise ConfigError(f"{where}: must be an absolute http(s) URI without a fragment")
    return value


def _users(raw: dict) -> tuple[User, ...]:
    users = []
    for index, item in enumerate(_objects(raw, "users")):
        where = f"users[{index}]."
        users.append(User(_string(item, "username", where), _string(item, "password", where),
                          _string(item, "mcptt_id", where)))
    return tuple(users)


def _clients(raw: dict) -> tuple[PublicClient, ...]:
    clients = []
    for index, item in enumerate(_objects(raw, "clients")):
        where = f"clients[{index}]."
        uris = item.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise ConfigError(f"{where}redirect_uris: must be a non-empty list")
        checked = tuple(_redirect_uri(u, f"{where}redirect_uris[{i}]") for i, u in enumerate(uris))
        clients.append(PublicClient(_string(item, "client_id", where), checked))
    return tuple(clients)


def _servers(raw: dict) -> tuple[ServerPrincipal, ...]:
    servers = []
    for index, item in enumerate(_objects(raw, "servers")):
        where = f"servers[{index}]."
        servers.append(ServerPrincipal(_string(item, "client_id", where), _string(item, "client_secret", where),
                                       _string(item, "uri", where)))
    return tuple(servers)


def _issuer(raw: dict) -> str | None:
    value = raw.get("issuer")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError("issuer: must be a string or null")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        # OpenID Connect Discovery 1.0, 3: an https URL without query or fragment.
        raise ConfigError("issuer: must be an https URL without query or fragment")
    return value


def _tls(raw: dict) -> tuple[Path, Path]:
    tls = raw.get("tls")
    if not isinstance(tls, dict):
        raise ConfigError("tls: must be an object with cert and key")
    paths = []
    for key in ("cert", "key"):
        path = Path(_string(tls, key, "tls."))
        if not path.is_file():
            raise ConfigError(f"tls.{key}: no such file")
        paths.append(path)
    return paths[0], paths[1]


def _check_unique(config_users: tuple[User, ...], clients: tuple[PublicClient, ...],
                  servers: tuple[ServerPrincipal, ...]) -> None:
    usernames: set[str] = set()
    for user in config_users:
        if user.username in usernames:
            raise ConfigError(f"users: duplicate username {user.username!r}")
        usernames.add(user.username)
    client_ids: set[str] = set()
    for item, cid in [("clients", c.client_id) for c in clients] + [("servers", s.client_id) for s in servers]:
        if cid in client_ids:
            raise ConfigError(f"{item}: duplicate client_id {cid!r}")
        client_ids.add(cid)
        # The test control surface names a principal by username or server client_id.
        if item == "servers" and cid in usernames:
            raise ConfigError(f"servers: client_id {cid!r} is also a username")


def parse_config(raw: object) -> IdmConfig:
    if not isinstance(raw, dict):
        raise ConfigError("configuration: must be a JSON object")
    unknown = sorted(set(raw) - _KNOWN_ITEMS)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown configuration item")
    cert, key = _tls(raw)
    users, clients, servers = _users(raw), _clients(raw), _servers(raw)
    _check_unique(users, clients, servers)
    test_control = raw.get("test_control", False)
    if not isinstance(test_control, bool):
        raise ConfigError("test_control: must be true or false")
    secret = raw.get("test_control_secret")
    if secret is not None and (not isinstance(secret, str) or not _SECRET.fullmatch(secret)):
        raise ConfigError("test_control_secret: must be null or 16 to 512 characters of A-Z a-z 0-9 - . _ ~ + / "
                          "(a Bearer token)")
    faults = raw.get("faults", [])
    if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
        raise ConfigError("faults: must be a list of fault names")
    try:
        active = Faults(faults, role="idm").names()
    except UnknownFault as exc:
        raise ConfigError(f"faults: {exc}") from None
    log_level = raw.get("log_level", "INFO")
    if log_level not in _LOG_LEVELS:
        raise ConfigError(f"log_level: must be one of {', '.join(sorted(_LOG_LEVELS))}")
    return IdmConfig(
        host=_string(raw, "host", "", default="127.0.0.1"),
        port=_integer(raw, "port", 0, minimum=0, maximum=65535),
        tls_cert=cert,
        tls_key=key,
        issuer=_issuer(raw),
        users=users,
        clients=clients,
        servers=servers,
        kms_audience=_string(raw, "kms_audience", ""),
        kms_scope=_scope(raw),
        access_token_lifetime_s=_integer(raw, "access_token_lifetime_s", 300, minimum=1, maximum=86400),
        id_token_lifetime_s=_integer(raw, "id_token_lifetime_s", 300, minimum=1, maximum=86400),
        code_lifetime_s=_integer(raw, "code_lifetime_s", 60, minimum=1, maximum=600),
        test_control=test_control,
        faults=tuple(active),
        log_level=log_level,
        test_control_secret=secret,
        rotation=_rotation(raw),
    )


def _scope(raw: dict) -> str:
    value = _string(raw, "kms_scope", "", default=DEFAULT_KMS_SCOPE)
    # RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if any(ch in ' "\\' or not 0x21 <= ord(ch) <= 0x7E for ch in value) or value == "openid":
        raise ConfigError("kms_scope: must be a single scope token other than openid")
    return value
