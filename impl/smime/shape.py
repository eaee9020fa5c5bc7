"""The one body shape of the profile (docs/smime.md): its sizes and versions, and `Envelope`, every
field of a received body that opening needs, as both readers return it (`lean_cms` for the DER of
this shape, `asn1_reader` for everything else)."""
from __future__ import annotations

from dataclasses import dataclass, field

from mcsec.impl.smime.attributes import Attribute

KEY_SIZE = 16  # AES-128: the CEK and the per-message content key
NONCE_SIZE = 12  # RFC 5084 recommended GCM nonce size
ICV_SIZE = 16  # GCM tag length written and required by the profile
WRAPPED_KEY_SIZE = KEY_SIZE + 8  # RFC 3394 output: n+1 64-bit blocks

AUTH_ENVELOPED_DATA_VERSION = 0  # RFC 5083 2.1: "MUST be set to 0"
KEK_RECIPIENT_INFO_VERSION = 4  # RFC 5652 6.2.3: "always set to 4"


@dataclass(frozen=True)
class Envelope:
    """Every field of a parsed body that opening needs, read before any crypto."""

    key_id: bytes
    wrapped_key: bytes = field(repr=False)
    nonce: bytes
    ciphertext: bytes = field(repr=False)
    tag: bytes = field(repr=False)
    content_type: str
    aad: bytes
    auth_attributes: tuple[Attribute, ...]
