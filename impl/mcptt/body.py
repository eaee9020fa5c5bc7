"""MCPTT bodies in SIP messages: the protected form (the one carrier of this suite) and the clear form.

The sensitive part is the MIME entity ``Content-Type: application/vnd.3gpp.mcptt-info+xml`` plus the
mcptt-info document. Protected, it is sealed with :mod:`mcsec.impl.smime` under the CEK (KEKRecipientInfo
key identifier = the 4-byte big-endian KMS Key ID) with a replay stamp bound to the SIP message
(Call-ID, CSeq number and method; the status code too in a response), and carried as

    Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m
    Content-Disposition: attachment; handling=required

An INVITE (and its 200) carries ``multipart/mixed``: the SDP readable, the mcptt-info protected.
Everything about the carrier lives here, so another body protection can be added beside it. No I/O.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import mcsec.impl.smime as smime
from mcsec.impl.mcptt import info as info_codec
from mcsec.impl.mcptt.errors import MalformedInfo, ReplayedBody, UndecipherableBody, UnsupportedBody
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import BodyPart, Headers, MalformedMultipart, Request, Response, build_multipart, parse_multipart
from mcsec.impl.sip.errors import InvalidHeaderValue
from mcsec.impl.sip.message import SipMessage
from mcsec.impl.smime import mime as smime_mime

SDP_TYPE = "application/sdp"
MULTIPART_MIXED = "multipart/mixed"
PROTECTED_TYPE = smime_mime.MEDIA_TYPE
PROTECTED_CONTENT_TYPE = smime_mime.CONTENT_TYPE
PROTECTED_DISPOSITION = smime_mime.CONTENT_DISPOSITION
KEY_ID_BYTES = 4


def accepted_types(*, clear_info: bool) -> list[str]:
    """The body types a receiver takes (the Accept of a 415); the clear mcptt-info only when the
    policy lets it in."""
    types = [PROTECTED_TYPE, MULTIPART_MIXED, SDP_TYPE]
    if clear_info:
        types.append(info_codec.CONTENT_TYPE)
    return types


def key_id_bytes(key_id: int) -> bytes:
    """The Key ID as it is written in the KEKRecipientInfo: 4 bytes, big-endian."""
    return key_id.to_bytes(KEY_ID_BYTES, "big")


def format_key_id(key_id: int) -> str:
    return f"{key_id:08X}"


def parse_key_id(text: str) -> int:
    """A Key ID from 8 hex digits; ``ValueError`` otherwise."""
    if not isinstance(text, str) or len(text) != 2 * KEY_ID_BYTES:
        raise ValueError("a Key ID is 8 hex digits")
    return int(text, 16)


@dataclass(frozen=True)
class SealingKey:
    """The CEK to seal with and the Key ID to name in the body."""

    key_id: int
    cek: bytes = field(repr=False)


@dataclass(frozen=True)
class SipBinding:
    """The SIP message a body belongs to (what its replay stamp binds)."""

    call_id: str
    cseq: int
    method: str
    status: int | None = None

    @classmethod
    def of_request(cls, request: Request) -> SipBinding:
        return cls(request.call_id, request.cseq.seq, request.cseq.method)

    @classmethod
    def of_response(cls, response: Response) -> SipBinding:
        return cls(response.call_id, response.cseq.seq, response.cseq.method, response.status)

    def for_status(self, status: int) -> SipBinding:
        """The binding of the response with ``status`` to this request."""
        return SipBinding(self.call_id, self.cseq, self.method, status)

    def context(self) -> smime.SipContext:
        return smime.SipContext(self.call_id, self.cseq, self.method, self.status)


@dataclass(frozen=True)
class OutgoingBody:
    """A SIP body with the headers it needs."""

    content_type: str
    body: bytes
    content_disposition: str | None = None

    def apply(self, message: SipMessage) -> None:
        """Put the body on ``message`` (Content-Type, Content-Disposition, Content-Length)."""
        message.set_body(self.body, self.content_type)
        if self.content_disposition is not None:
            message.headers.set("Content-Disposition", self.content_disposition)
        else:
            message.headers.remove("Content-Disposition")


# --- sending --------------------------------------------------------------------------------------

def info_entity(info: McpttInfo) -> bytes:
    """The sensitive MIME entity: its Content-Type and the mcptt-info document."""
    return f"Content-Type: {info_codec.CONTENT_TYPE}\r\n\r\n".encode("ascii") + info_codec.build(info)


def seal_info(info: McpttInfo, key: SealingKey, binding: SipBinding | None, *, stamp: bool = True,
              sent_at: datetime | None = None) -> bytes:
    """The DER CMS of the sensitive entity, with the replay stamp for ``binding`` (unbound when ``None``)
    dated ``sent_at`` (now when ``None``; a sender that prepares bodies ahead of a schedule gives the time
    each will be sent), or without one (``stamp`` False: the stamp is this project's attribute, an ICS
    item of a peer)."""
    replay_stamp = smime.ReplayStamp.new(context=binding.context() if binding is not None else None,
                                         now=sent_at) if stamp else None
    return smime.seal(info_entity(info), cek=key.cek, key_id=key_id_bytes(key.key_id), replay_stamp=replay_stamp)


def _info_part(info: McpttInfo, key: SealingKey | None, binding: SipBinding | None, stamp: bool) -> OutgoingBody:
    if key is None:
        return OutgoingBody(info_codec.CONTENT_TYPE, info_codec.build(info))
    return OutgoingBody(PROTECTED_CONTENT_TYPE, seal_info(info, key, binding, stamp=stamp), PROTECTED_DISPOSITION)


def build_body(info: McpttInfo | None, *, key: SealingKey | None, binding: SipBinding | None,
               sdp: bytes | None = None, stamp: bool = True) -> OutgoingBody | None:
    """The body of a message: the mcptt-info protected under ``key`` (clear when ``None``), beside
    an SDP in ``multipart/mixed`` when ``sdp`` is given. ``None`` when there is nothing to carry.
    ``stamp``: whether a protected body carries the replay stamp."""
    if info is None:
        return None if sdp is None else OutgoingBody(SDP_TYPE, sdp)
    part = _info_part(info, key, binding, stamp)
    if sdp is None:
        return part
    info_headers = Headers([("Content-Type", part.content_type)])
    if part.content_disposition is not None:
        info_headers.add("Content-Disposition", part.content_disposition)
    content_type, body = build_multipart([
        BodyPart(Headers([("Content-Type", SDP_TYPE)]), sdp),
        BodyPart(info_headers, part.body),
    ])
    return OutgoingBody(content_type, body)


# --- receiving ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SensitivePart:
    """The mcptt-info part as received: DER CMS when ``protected``, else the XML document."""

    protected: bool
    data: bytes = field(repr=False)

    @cached_property
    def envelope(self) -> smime.Envelope:
        """The CMS fields of a protected part, read once for the Key ID and the opening
        (`smime.MalformedCms` when it is not a body of the profile)."""
        return smime.read_envelope(self.data)


@dataclass(frozen=True)
class ReceivedBody:
    """What a message body holds: the sensitive part and the SDP, each when present, and the types
    of optional parts that were ignored."""

    info_part: SensitivePart | None = None
    sdp: bytes | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenedInfo:
    """The mcptt-info read from a body; ``key_id`` names the CEK when it was protected."""

    info: McpttInfo
    protected: bool
    key_id: int | None = None


def _media_type(content_type: str) -> str:
    try:
        return smime_mime.parse_header_value(content_type).value
    except smime.MalformedMime:
        raise MalformedInfo("unreadable Content-Type") from None


def _handling_required(disposition: str | None) -> bool:
    try:
        return smime_mime.handling_required(disposition)
    except smime.MalformedMime:
        raise MalformedInfo("unreadable Content-Disposition") from None


def _classify(content_type: str | None, disposition: str | None, encoding: str | None, body: bytes,
              honour_handling: bool) -> tuple[str, bytes | SensitivePart | None]:
    """One entity: ("info", part) | ("sdp", bytes) | ("ignored", media type)."""
    media = _media_type(content_type) if content_type else "application/octet-stream"
    if media in (PROTECTED_TYPE, smime_mime.LEGACY_MEDIA_TYPE):
        try:
            der = smime_mime.body_to_der(body, content_type=content_type, content_transfer_encoding=encoding)
        except smime.UnsupportedBodyType as exc:
            if honour_handling and _handling_required(disposition):
                raise UnsupportedBody(str(exc), media_type=media) from None
            return "ignored", None
        except smime.SmimeError:
            raise UndecipherableBody("protected body cannot be decoded") from None
        return "info", SensitivePart(True, der)
    if media == info_codec.CONTENT_TYPE:
        return "info", SensitivePart(False, body)
    if media == SDP_TYPE:
        return "sdp", body
    if honour_handling and _handling_required(disposition):
        raise UnsupportedBody(f"body type {media} is not supported", media_type=media)
    return "ignored", media.encode("ascii", "replace")


def read_body(message: SipMessage, *, honour_handling: bool = True) -> ReceivedBody:
    """Find the mcptt-info part and the SDP of a message (whole body, or parts of multipart/mixed).

    A body or part of a type this profile does not take is refused (:class:`UnsupportedBody`, 415)
    when its disposition requires handling (a missing ``handling`` means required, RFC 3261 20.11),
    and ignored otherwise or when ``honour_handling`` is false. Two mcptt-info parts, two SDPs, an
    unreadable Content-Type or Content-Disposition or a broken multipart body are :class:`MalformedInfo`
    (400).
    """
    if not message.body:
        return ReceivedBody()
    content_type = message.headers.get("Content-Type")
    entities: list[tuple[str | None, str | None, str | None, bytes]]
    if content_type is not None and _media_type(content_type) == MULTIPART_MIXED:
        try:
            multipart = parse_multipart(content_type, message.body)
        except (MalformedMultipart, InvalidHeaderValue):
            raise MalformedInfo("multipart body cannot be split into parts") from None
        entities = [(p.headers.get("Content-Type"), p.headers.get("Content-Disposition"),
                     p.headers.get("Content-Transfer-Encoding"), p.body) for p in multipart.parts]
    else:
        entities = [(content_type, message.headers.get("Content-Disposition"),
                     message.headers.get("Content-Transfer-Encoding"), message.body)]
    info_part: SensitivePart | None = None
    sdp: bytes | None = None
    ignored: list[str] = []
    for entity_type, disposition, encoding, body in entities:
        kind, value = _classify(entity_type, disposition, encoding, body, honour_handling)
        if kind == "info":
            if info_part is not None:
                raise MalformedInfo("more than one mcptt-info part")
            assert isinstance(value, SensitivePart)
            info_part = value
        elif kind == "sdp":
            if sdp is not None:
                raise MalformedInfo("more than one SDP part")
            assert isinstance(value, bytes)
            sdp = value
        elif isinstance(value, bytes):
            ignored.append(value.decode("ascii"))
    return ReceivedBody(info_part, sdp, tuple(ignored))


def key_id_of(part: SensitivePart) -> int:
    """The Key ID a protected part names; :class:`UndecipherableBody` when it cannot be read."""
    try:
        raw = part.envelope.key_id
    except smime.SmimeError:
        raise UndecipherableBody("protected body cannot be decoded") from None
    if len(raw) != KEY_ID_BYTES:
        raise UndecipherableBody("Key ID is not 4 bytes")
    return int.from_bytes(raw, "big")


def read_clear(part: SensitivePart) -> OpenedInfo:
    """The mcptt-info of a clear part."""
    return OpenedInfo(info_codec.parse(part.data), protected=False)


def open_info(part: SensitivePart, *, key_lookup: Callable[[int], bytes | None],
              guard: smime.ReplayGuard | None, binding: SipBinding) -> OpenedInfo:
    """Open a protected part and read its mcptt-info.

    ``key_lookup`` gives the CEK for a Key ID, or ``None`` for one it will not use. The replay stamp
    is checked by ``guard`` against ``binding`` (no check when ``guard`` is ``None``). Raises
    :class:`UndecipherableBody` (493) for every key or decryption failure, :class:`ReplayedBody`
    (403), :class:`UnsupportedBody` (415) for sealed content of another type and
    :class:`MalformedInfo` (400).
    """
    def lookup(raw: bytes) -> bytes | None:
        return key_lookup(int.from_bytes(raw, "big")) if len(raw) == KEY_ID_BYTES else None

    try:
        opened = smime.open(part.envelope, key_lookup=lookup)
        if guard is not None:
            guard.check(opened.replay_stamp, context=binding.context())
    except smime.ReplayRefused as exc:
        raise ReplayedBody(type(exc).__name__) from None
    except smime.SmimeError:
        raise UndecipherableBody("protected body cannot be opened") from None
    try:
        entity = smime_mime.parse_entity(opened.content)
    except smime.MalformedMime:
        raise MalformedInfo("sealed content is not a MIME entity") from None
    inner = entity.header("Content-Type")
    if inner is None or _media_type(inner) != info_codec.CONTENT_TYPE:
        raise UnsupportedBody("sealed content is not mcptt-info", media_type=inner or "none")
    return OpenedInfo(info_codec.parse(entity.body), protected=True,
                      key_id=int.from_bytes(opened.key_id, "big"))
