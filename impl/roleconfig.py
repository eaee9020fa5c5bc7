"""Readers for items of a role's JSON configuration: each names the bad item in a ConfigError."""
from __future__ import annotations

from mcsec.impl import rotation as _rotation
from mcsec.impl.rolemain import ConfigError


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
