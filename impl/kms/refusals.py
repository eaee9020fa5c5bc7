"""What both KMS interfaces (the 7.13 CEK service and Annex D provisioning) answer when they refuse.

Token failures are RFC 6750 Bearer challenges; every other refusal is a KmsError with the code of
the interface's own table, raised as `Refusal` by the handlers.
"""
from __future__ import annotations

import datetime as _dt
import enum

from mcsec.impl.kms.tokens import TokenRejected

REALM = "mcsec-kms"


class Refusal(Exception):
    """A request the KMS refuses with a KmsError: `code` from the interface's table, `message` safe to show."""

    def __init__(self, code: enum.IntEnum, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def bearer_challenge(rejected: TokenRejected, scope_hint: str) -> str:
    """The WWW-Authenticate value for a refused token (RFC 6750 section 3)."""
    parts = [f'Bearer realm="{REALM}"']
    if rejected.error:
        parts.append(f'error="{rejected.error}"')
        parts.append(f'error_description="{rejected.description}"')
    if rejected.error == "insufficient_scope":
        parts.append(f'scope="{scope_hint}"')
    return ", ".join(parts)
