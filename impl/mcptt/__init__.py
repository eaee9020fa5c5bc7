"""MCPTT application bodies shared by the reference MCPTT client and server.

``info`` (the mcptt-info XML codec), ``body`` (the protected and clear body forms in SIP messages:
build, find, open; the one carrier of this suite), ``errors`` (refusals and the SIP answers they map
to), ``sdp`` (a minimal offer/answer). The codecs do no I/O. ``trace`` (the per-role SIP message
trace) and ``runtime`` (the event loop thread a role runs its SIP endpoint in) are the role plumbing
both roles share. docs/sip-protection.md describes the wire format and the answers.
"""
from mcsec.impl.mcptt.body import (
    OpenedInfo,
    OutgoingBody,
    ReceivedBody,
    SealingKey,
    SensitivePart,
    SipBinding,
    accepted_types,
    build_body,
    format_key_id,
    key_id_bytes,
    key_id_of,
    open_info,
    parse_key_id,
    read_body,
    read_clear,
    seal_info,
)
from mcsec.impl.mcptt.errors import (
    BodyError,
    MalformedInfo,
    ProtectionRequired,
    ReplayedBody,
    UndecipherableBody,
    UnsupportedBody,
    warning_header,
)
from mcsec.impl.mcptt.info import McpttInfo

__all__ = [
    "BodyError", "MalformedInfo", "McpttInfo", "OpenedInfo", "OutgoingBody", "ProtectionRequired",
    "ReceivedBody", "ReplayedBody", "SealingKey", "SensitivePart", "SipBinding", "UndecipherableBody",
    "UnsupportedBody", "accepted_types", "build_body", "format_key_id", "key_id_bytes", "key_id_of",
    "open_info", "parse_key_id", "read_body", "read_clear", "seal_info", "warning_header",
]
