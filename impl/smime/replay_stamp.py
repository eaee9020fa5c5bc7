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

The receiver-side checks live in `replay_guard.py`. The stamp is written and read by hand (`der.py`):
it is on every protected message's path. A value the direct reader does not take is read again with
asn1crypto, which decides and names the fault; both accept only the canonical DER of the schema.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from asn1crypto import core

from mcsec.impl.smime.attributes import Attribute
from mcsec.impl.smime.der import NotDer, decode_integer, encode_unsigned, read_header, tlv
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
        """The DER of the stamp (the attribute's one value)."""
        contents = tlv(_GENERALIZED_TIME, _generalized_time(self.sent_at)) + tlv(_OCTET_STRING, self.nonce)
        if self.context is not None:
            ctx = self.context
            fields = (tlv(_UTF8_STRING, ctx.call_id.encode("utf-8")) + tlv(_INTEGER, encode_unsigned(ctx.cseq))
                      + tlv(_UTF8_STRING, ctx.method.encode("utf-8")))
            if ctx.status_code is not None:
                fields += tlv(_STATUS_CODE, encode_unsigned(ctx.status_code))
            contents += tlv(_SEQUENCE, fields)
        return tlv(_SEQUENCE, contents)

    def to_attribute(self) -> Attribute:
        return Attribute(ID_MCSEC_REPLAY_STAMP, (self.to_der(),))

    @classmethod
    def from_der(cls, der: bytes) -> ReplayStamp:
        """Decode a stamp value; `MalformedCms` unless it is DER of the schema."""
        stamp = _read_direct(der)
        return stamp if stamp is not None else cls._from_der_asn1(der)

    @classmethod
    def _from_der_asn1(cls, der: bytes) -> ReplayStamp:
        """`from_der` through asn1crypto: takes what the direct reader declines, and names the fault."""
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


_SEQUENCE, _INTEGER, _OCTET_STRING, _UTF8_STRING, _GENERALIZED_TIME = 0x30, 0x02, 0x04, 0x0C, 0x18
_STATUS_CODE = 0x80  # [0] IMPLICIT INTEGER
# What `_generalized_time` writes: seconds, then a fraction without trailing zeros, if any, then Z.
_TIME = re.compile(rb"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]{0,5}[1-9]))?Z\Z")


def _generalized_time(moment: datetime) -> bytes:
    """GeneralizedTime in UTC, "Z", the fraction of a second without trailing zeros (X.690 11.7)."""
    utc = moment.astimezone(timezone.utc)
    text = (f"{utc.year:04d}{utc.month:02d}{utc.day:02d}"
            f"{utc.hour:02d}{utc.minute:02d}{utc.second:02d}")
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return (text + "Z").encode("ascii")


def _read_direct(der: bytes) -> ReplayStamp | None:
    """The stamp when ``der`` is its canonical DER; None for anything else (asn1crypto then decides).

    Exact without re-encoding: strict headers and minimal integers (`der.py`), the one time format
    `_generalized_time` writes, strict UTF-8, nothing after the last field.
    """
    try:
        tag, start, end = read_header(der, 0, len(der))
        if tag != _SEQUENCE or end != len(der):
            return None
        tag, time_start, time_end = read_header(der, start, end)
        if tag != _GENERALIZED_TIME:
            return None
        match = _TIME.match(der, time_start, time_end)
        if match is None:
            return None
        year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
        fraction = match.group(7)
        micro = int(fraction.ljust(6, b"0")) if fraction else 0
        sent_at = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
        tag, nonce_start, pos = read_header(der, time_end, end)
        if tag != _OCTET_STRING:
            return None
        context = None
        if pos < end:
            context = _read_context(der, pos, end)
            if context is None:
                return None
        return ReplayStamp(sent_at=sent_at, nonce=der[nonce_start:pos], context=context)
    except (NotDer, ValueError):
        return None


def _read_context(der: bytes, pos: int, end: int) -> SipContext | None:
    tag, pos, stop = read_header(der, pos, end)
    if tag != _SEQUENCE or stop != end:
        return None
    fields: list[bytes] = []
    for expected in (_UTF8_STRING, _INTEGER, _UTF8_STRING):
        tag, start, pos = read_header(der, pos, stop)
        if tag != expected:
            return None
        fields.append(der[start:pos])
    status = None
    if pos < stop:
        tag, start, pos = read_header(der, pos, stop)
        if tag != _STATUS_CODE or pos != stop:
            return None
        status = decode_integer(der[start:pos])
    call_id, cseq, method = fields
    return SipContext(call_id=call_id.decode("utf-8"), cseq=decode_integer(cseq), method=method.decode("utf-8"),
                      status_code=status)
