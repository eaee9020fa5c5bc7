"""Exceptions raised by the S/MIME body codec.

Every exception is an `SmimeError` and carries the SIP status code a UAS
answers with when a request body fails that way (RFC 3261 section 23.2,
RFC 8591). Messages describe the structure that failed, never key material.
"""
from __future__ import annotations

from typing import ClassVar


class SmimeError(Exception):
    """Base class: a protected body could not be produced or accepted."""

    sip_status: ClassVar[int] = 493
    sip_reason: ClassVar[str] = "Undecipherable"


class MalformedCms(SmimeError):
    """The body is not a well-formed CMS ContentInfo of the supported profile."""


class UnsupportedCms(MalformedCms):
    """Well-formed CMS, but a structure or algorithm outside the profile
    (e.g. EnvelopedData, a key-transport recipient, AES-CCM, a 12-octet ICV)."""


class UnknownKeyId(SmimeError):
    """No CEK is known for the Key ID named in the KEKRecipientInfo.

    `key_id` is the identifier found in the body (an identifier, not a key).
    """

    def __init__(self, message: str, *, key_id: bytes) -> None:
        super().__init__(message)
        self.key_id = key_id


class Undecipherable(SmimeError):
    """The key unwrap or the GCM authentication failed: wrong CEK, or the
    body was altered in transit."""


class UnsupportedBodyType(SmimeError):
    """The body's media type, smime-type or transfer encoding is not one the
    receiver handles. `accept` is the value for the 415 response's Accept."""

    sip_status: ClassVar[int] = 415
    sip_reason: ClassVar[str] = "Unsupported Media Type"
    accept: ClassVar[str] = "application/pkcs7-mime"


class MalformedMime(SmimeError):
    """A MIME entity whose header section cannot be parsed."""

    sip_status: ClassVar[int] = 400
    sip_reason: ClassVar[str] = "Bad Request"


class ReplayRefused(SmimeError):
    """An authentic body refused by the receiver's replay policy.

    Project choice: answered with 403, because the body was deciphered and
    authenticated; only its freshness is refused.
    """

    sip_status: ClassVar[int] = 403
    sip_reason: ClassVar[str] = "Forbidden"


class MissingReplayStamp(ReplayRefused):
    """The policy requires a replay stamp and the body carries none."""


class StaleReplayStamp(ReplayRefused):
    """The stamp's sending time lies outside the receiver's window."""


class DuplicateNonce(ReplayRefused):
    """The stamp's nonce was already accepted within the window."""


class ContextMismatch(ReplayRefused):
    """The stamp binds the body to another SIP message (Call-ID, CSeq, method
    or status code differ), or the policy requires a binding and there is none."""
