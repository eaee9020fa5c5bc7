"""The one exception the core's request handling raises: a request refused with a SIP status."""
from __future__ import annotations

from mcsec.impl.sip import reason_phrase


class CoreRefusal(Exception):
    """Answer the request with ``status`` (and ``reason``, the standard phrase when ``None``)."""

    def __init__(self, status: int, reason: str | None = None) -> None:
        self.status = status
        self.reason = reason if reason is not None else reason_phrase(status)
        super().__init__(f"{status} {self.reason}")


def forbidden(why: str) -> CoreRefusal:
    return CoreRefusal(403, f"Forbidden ({why})")


def bad_request(why: str) -> CoreRefusal:
    return CoreRefusal(400, f"Bad Request ({why})")
