"""The replay stamp: an authenticated attribute giving a body its freshness.

Carried in the authAttrs of AuthEnvelopedData, so the GCM tag covers it
(RFC 5083 2.2). Attribute type `ID_MCSEC_REPLAY_STAMP` (project arc, see
`oids.py`), exactly one value:

    ReplayStamp ::= SEQUENCE {
        sendingTime  GeneralizedTime,          -- UTC ("Z"), at most ms precision
        nonce        OCTET STRING (SIZE (16)), -- random, fresh per body
        sipContext   SipContext OPTIONAL }     -- the message the body belongs to

    SipContext ::= SEQUENCE {
        callId       UTF8String,               -- Call-ID, compared exactly
        cseqNumber   INTEGER (0..2147483647),  -- CSeq sequence number
        cseqMethod   UTF8String,               -- CSeq method, case-sensitive
        statusCode   [0] IMPLICIT INTEGER (100..699) OPTIONAL }  -- responses only

The receiver-side checks live in `replay_guard.py`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone

from asn1crypto import core

from mcsec.impl.smime.attributes import Attribute
from mcsec.impl.smime.errors import MalformedCms
from mcsec.impl.smime.oids import ID_MCSEC_REPLAY_STAMP

STAMP_NONCE_SIZE = 16
_MAX_CSEQ = 2**31 - 1


class _SipContextAsn1(core.Sequence):
    _fields = [
        ("call_id", core.UTF8String),
        ("cseq_number", core.Integer),
        ("cseq_method", core.UTF8String),
        ("status_code", core.Integer, {"implicit": 0, "optional": True}),
    ]


class _ReplayStampAsn1(core.Sequence):
    _fields = [
        ("sending_time", core.GeneralizedTime),
        ("nonce", core.OctetString),
        ("sip_context", _SipContextAsn1, {"optional": True}),
    ]


@dataclass(frozen=True)
class SipContext:
    """The SIP message a protected body belongs to.

    `status_code` is None for a body in a request and the response's status
    code for a body in a response, so a body cannot move between the two.
    """

    call_id: str
    cseq: int
    method: str
    status_code: int | None = None

    def __post_init__(self) -> None:
        if not self.call_id or not self.method:
            raise ValueError("Call-ID and CSeq method must not be empty")
        if not 0 <= self.cseq <= _MAX_CSEQ:
            raise ValueError("CSeq number must be below 2**31 (RFC 3261 8.1.1.5)")
        if self.status_code is not None and not 100 <= self.status_code <= 699:
            raise ValueError("status code must be 100..699")


@dataclass(frozen=True)
class ReplayStamp:
    """Sending time, random nonce and optional SIP binding of one body."""

    sent_at: datetime
    nonce: bytes
    context: SipContext | None = None

    def __post_init__(self) -> None:
        if self.sent_at.tzinfo is None:
            raise ValueError("sent_at must be timezone-aware")
        if len(self.nonce) != STAMP_NONCE_SIZE:
            raise ValueError("nonce must be 16 octets")

    @classmethod
    def new(cls, *, context: SipContext | None = None, now: datetime | None = None) -> ReplayStamp:
        """A stamp for a body sent now (or at `now`), with a fresh random nonce."""
        moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return cls(sent_at=moment, nonce=os.urandom(STAMP_NONCE_SIZE), context=context)

    def to_der(self) -> bytes:
        value: dict[str, object] = {
            "sending_time": self.sent_at.astimezone(timezone.utc),
            "nonce": self.nonce,
        }
        if self.context is not None:
            ctx: dict[str, object] = {
                "call_id": self.context.call_id,
                "cseq_number": self.context.cseq,
                "cseq_method": self.context.method,
            }
            if self.context.status_code is not None:
                ctx["status_code"] = self.context.status_code
            value["sip_context"] = ctx
        return _ReplayStampAsn1(value).dump(force=True)

    def to_attribute(self) -> Attribute:
        return Attribute(ID_MCSEC_REPLAY_STAMP, (self.to_der(),))

    @classmethod
    def from_der(cls, der: bytes) -> ReplayStamp:
        """Decode a stamp value; `MalformedCms` unless it is DER of the schema."""
        try:
            parsed = _ReplayStampAsn1.load(der, strict=True)
            sent_at = parsed["sending_time"].native
            nonce = parsed["nonce"].native
            context = None
            if not isinstance(parsed["sip_context"], core.Void):
                ctx = parsed["sip_context"]
                status = ctx["status_code"]
                context = SipContext(
                    call_id=ctx["call_id"].native,
                    cseq=ctx["cseq_number"].native,
                    method=ctx["cseq_method"].native,
                    status_code=None if isinstance(status, core.Void) else status.native,
                )
            stamp = cls(sent_at=sent_at, nonce=nonce, context=context)
            canonical = stamp.to_der()
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            raise MalformedCms(f"replay stamp is malformed ({type(exc).__name__})") from None
        if canonical != der:
            raise MalformedCms("replay stamp is not DER encoded")
        return stamp
