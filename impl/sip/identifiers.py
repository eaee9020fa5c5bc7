"""Fresh identifiers: Via branch (with the RFC 3261 magic cookie), From/To tags and Call-IDs."""

from __future__ import annotations

import secrets

__all__ = ["MAGIC_COOKIE", "new_branch", "new_tag", "new_call_id", "is_rfc3261_branch"]

#: Every branch created by an RFC 3261 element starts with this (RFC 3261 section 8.1.1.7).
MAGIC_COOKIE = "z9hG4bK"


def new_branch() -> str:
    """A branch parameter unique in space and time: the magic cookie plus 96 random bits."""
    return MAGIC_COOKIE + secrets.token_hex(12)


def new_tag() -> str:
    """A From/To tag with 64 random bits (RFC 3261 section 19.3 asks for at least 32)."""
    return secrets.token_hex(8)


def new_call_id(host: str | None = None) -> str:
    """A Call-ID: 128 random bits, optionally ``@host``."""
    local = secrets.token_hex(16)
    return f"{local}@{host}" if host else local


def is_rfc3261_branch(branch: str | None) -> bool:
    """True when ``branch`` carries the magic cookie (case-sensitive, RFC 3261 section 17.2.3)."""
    return bool(branch) and branch.startswith(MAGIC_COOKIE)  # type: ignore[union-attr]
