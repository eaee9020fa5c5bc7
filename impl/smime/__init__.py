"""S/MIME bodies for SIP: CMS AuthEnvelopedData (AES-128-GCM) with one
KEKRecipientInfo naming the Key ID of a pre-shared CEK (TR 33.879 7.13/7.14).

    der = seal(content, cek=cek, key_id=key_id, replay_stamp=ReplayStamp.new(context=ctx))
    opened = open(der, key_lookup=keys.get)
    guard.check(opened.replay_stamp, context=ctx)

See docs/smime.md for the profile, the error mapping and the replay design.
"""
from mcsec.impl.smime.attributes import Attribute
from mcsec.impl.smime.envelope import Opened, open, peek_key_id, read_envelope, seal, seal_with_content_key
from mcsec.impl.smime.errors import (
    ContextMismatch,
    DuplicateNonce,
    MalformedCms,
    MalformedMime,
    MissingReplayStamp,
    ReplayRefused,
    SmimeError,
    StaleReplayStamp,
    Undecipherable,
    UnknownKeyId,
    UnsupportedBodyType,
    UnsupportedCms,
)
from mcsec.impl.smime.oids import ID_DATA, ID_MCSEC_REPLAY_STAMP
from mcsec.impl.smime.replay_guard import ReplayGuard, ReplayPolicy
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext
from mcsec.impl.smime.shape import Envelope

__all__ = [
    "Attribute",
    "ContextMismatch",
    "DuplicateNonce",
    "Envelope",
    "ID_DATA",
    "ID_MCSEC_REPLAY_STAMP",
    "MalformedCms",
    "MalformedMime",
    "MissingReplayStamp",
    "Opened",
    "ReplayGuard",
    "ReplayPolicy",
    "ReplayRefused",
    "ReplayStamp",
    "SipContext",
    "SmimeError",
    "StaleReplayStamp",
    "Undecipherable",
    "UnknownKeyId",
    "UnsupportedBodyType",
    "UnsupportedCms",
    "open",
    "peek_key_id",
    "read_envelope",
    "seal",
    "seal_with_content_key",
]
