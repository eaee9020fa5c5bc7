"""Readers for items of a role's JSON configuration: each names the bad item in a ConfigError."""
from __future__ import annotations

from mcsec.impl import rotation as _rotation
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.sip.aio.transport import TcpLimits

_TCP_ITEMS = {"idle_timeout_s": (float, 0.01, 86400.0), "partial_timeout_s": (float, 0.01, 3600.0),
              "max_connections": (int, 1, 100_000), "max_connections_per_peer": (int, 1, 100_000),
              "max_write_buffer": (int, 4096, 1 << 30)}


def string(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return value


def optional_string(table: dict, key: str, where: str) -> str | None:
    """An optional item: absent or null is None, otherwise a non-empty string."""
    return None if table.get(key) is None else string(table, key, where)


def table(parent: dict, key: str, where: str) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key!r} must be an object")
    return value


def port(parent: dict, key: str, where: str, default: int | None = None) -> int:
    value = parent.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise ConfigError(f"{where}: {key!r} must be an integer 0..65535")
    return value


def rotation(config: dict) -> _rotation.Rotation:
    """The optional ``rotation`` item: the size cap and backups of the role's trace and log."""
    try:
        return _rotation.parse(config.get("rotation"))
    except _rotation.RotationError as exc:
        raise ConfigError(str(exc)) from None


def tcp_limits(config: dict) -> TcpLimits:
    """The optional ``tcp`` item of a SIP role: bounds of its TCP connections (docs/sip.md)."""
    value = config.get("tcp")
    if value is None:
        return TcpLimits()
    if not isinstance(value, dict):
        raise ConfigError("tcp: must be an object")
    unknown = sorted(set(value) - set(_TCP_ITEMS))
    if unknown:
        raise ConfigError(f"tcp.{unknown[0]}: unknown item (known: {', '.join(_TCP_ITEMS)})")
    checked: dict = {}
    for key, (kind, low, high) in _TCP_ITEMS.items():
        if key not in value:
            continue
        item = value[key]
        number = (int, float) if kind is float else int
        if isinstance(item, bool) or not isinstance(item, number) or not low <= item <= high:
            raise ConfigError(f"tcp.{key}: must be a {'number' if kind is float else 'whole number'} "
                              f"{low:g}..{high:g}")
        checked[key] = kind(item)
    return TcpLimits(**checked)


def tcp_limits_json(limits: TcpLimits) -> dict:
    return {key: getattr(limits, key) for key in _TCP_ITEMS}
