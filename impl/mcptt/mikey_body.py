"""The CSK upload body (clause 7.14): a MIKEY-SAKKE I_MESSAGE as a SIP message body.

    Content-Type: application/mikey
    Content-Disposition: render; handling=required

The body is the I_MESSAGE octets as they are (binary; SIP bodies are 8-bit clean and the length
is in Content-Length). A receiver also takes ``Content-Transfer-Encoding: base64``. No I/O.
"""
from __future__ import annotations

import base64
import binascii

from mcsec.impl.mcptt.body import OutgoingBody
from mcsec.impl.mcptt.errors import MalformedInfo
from mcsec.impl.sip.message import SipMessage
from mcsec.impl.smime import MalformedMime
from mcsec.impl.smime import mime as smime_mime

MIKEY_TYPE = "application/mikey"
MIKEY_DISPOSITION = "render;handling=required"


def build_mikey_body(i_message: bytes) -> OutgoingBody:
    """The body carrying an I_MESSAGE."""
    return OutgoingBody(MIKEY_TYPE, bytes(i_message), MIKEY_DISPOSITION)


def is_mikey_body(message: SipMessage) -> bool:
    """True when the whole body of ``message`` is ``application/mikey``."""
    content_type = message.headers.get("Content-Type")
    if not message.body or not content_type:
        return False
    try:
        return smime_mime.parse_header_value(content_type).value == MIKEY_TYPE
    except MalformedMime:
        return False


def read_mikey_body(message: SipMessage) -> bytes:
    """The I_MESSAGE octets of an ``application/mikey`` body; :class:`MalformedInfo` (400) when its
    transfer encoding cannot be read."""
    encoding = (message.headers.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding in ("binary", "8bit", "7bit"):
        return bytes(message.body)
    if encoding == "base64":
        try:
            return base64.b64decode(b"".join(message.body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedInfo("application/mikey body is not valid base64") from None
    raise MalformedInfo(f"application/mikey body in transfer encoding {encoding!r}")
