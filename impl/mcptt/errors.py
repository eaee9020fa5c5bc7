"""Why a received MCPTT body is refused, each error with the SIP answer it maps to.

A UAS answers ``error.sip_status`` with ``error.sip_reason``; when ``warning`` is set it adds
``Warning: 399 <agent> "<warning>"`` (RFC 3261 20.43). ``UnsupportedBody`` also needs an Accept
header listing the body types the UAS takes. Every :class:`UndecipherableBody` is answered the
same way, whatever check failed (unknown Key ID, a key the receiver will not use for this sender,
a body that does not open): the answer is no oracle for which check it was. Messages never hold
key material.
"""
from __future__ import annotations

from typing import ClassVar


class BodyError(Exception):
    """Base class: the body cannot be accepted."""

    sip_status: ClassVar[int] = 400
    sip_reason: ClassVar[str] = "Bad Request"
    warning: ClassVar[str | None] = None


class MalformedInfo(BodyError):
    """The mcptt-info document (or the MIME entity holding it) cannot be read: 400."""


class UnsupportedBody(BodyError):
    """A body (or part) with ``handling=required`` in a type the receiver does not take: 415."""

    sip_status: ClassVar[int] = 415
    sip_reason: ClassVar[str] = "Unsupported Media Type"

    def __init__(self, message: str, *, media_type: str) -> None:
        super().__init__(message)
        self.media_type = media_type


class ProtectionRequired(BodyError):
    """A sensitive body arrived in clear and the policy requires protection: 403."""

    sip_status: ClassVar[int] = 403
    sip_reason: ClassVar[str] = "Forbidden"
    warning: ClassVar[str | None] = "S/MIME protection required"


class UndecipherableBody(BodyError):
    """The protected body cannot or will not be opened: 493, identical for every cause."""

    sip_status: ClassVar[int] = 493
    sip_reason: ClassVar[str] = "Undecipherable"


class ReplayedBody(BodyError):
    """An authentic body refused by the replay policy (replayed, stale, moved): 403."""

    sip_status: ClassVar[int] = 403
    sip_reason: ClassVar[str] = "Forbidden"
    warning: ClassVar[str | None] = "Protected body replayed or out of context"


def warning_header(agent: str, text: str) -> str:
    """The value of a ``Warning: 399`` header (RFC 3261 20.43), quotes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'399 {agent} "{escaped}"'
