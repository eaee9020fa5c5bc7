"""Shared by the two MIKEY harnesses: the vectors' key material and messages, seeds built with
``build_i_message``, and a mutator that knows where the RFC 3830 framing fields of a message are."""
from __future__ import annotations

import functools
import json
import random
from importlib import resources

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey import KeyPurpose, build_i_message
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey_payloads import CsIdMapType, Header, SrtpCsEntry
from tests.fuzz.mutators import byte_mutation

PAYLOAD_TYPES = [0, 1, 2, 4, 5, 6, 10, 11, 14, 20, 21, 26, 255]


@functools.cache
def vectors() -> dict:
    return json.loads((resources.files("mcsec.fixtures") / "vectors" / "mikey-sakke-vectors.json").read_text())


@functools.cache
def kms() -> KmsCertificate:
    return KmsCertificate.from_mapping(vectors()["kms_init"])


@functools.cache
def key_sets_by_uri() -> dict[str, UserKeySet]:
    return {k.user_uri: k for k in (UserKeySet.from_mapping(v) for v in vectors()["key_sets"].values())}


def vector_messages() -> list[dict]:
    return vectors()["i_messages"]


def built_messages() -> list[bytes]:
    """Messages of every header map type, with and without optional payloads, signed as Alice."""
    csk = decode_i_message(bytes.fromhex(next(m for m in vector_messages() if m["name"] == "CSK")["i_message_hex"]))
    alice = key_sets_by_uri()["sip:alice@streamwide.com"]
    when = csk.timestamp.ntp_seconds
    out = []
    for purpose, header, policy, extension in (
        (KeyPurpose.CSK, None, None, b"\x01\x02"),
        (KeyPurpose.GMK, Header(csb_id=0x01234567, cs_map_type=CsIdMapType.SRTP_ID,
                                cs_entries=(SrtpCsEntry(0, 0xDEADBEEF, 1), SrtpCsEntry(1, 2, 3))), None, None),
        (KeyPurpose.PCK, None, ..., None),
    ):
        kwargs = {} if policy is ... else {"security_policy": policy}
        out.append(build_i_message(kms=kms(), initiator=alice, responder_uri="gms@streamwide.com", purpose=purpose,
                                   ntp_seconds=when, header=header, extension=extension, **kwargs).data)
    return out


def framing_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of the next-payload octets and length fields, read the way RFC 3830 lays
    them out, as far as the message can be walked."""
    fields: list[tuple[int, int]] = []
    if len(data) < 10:
        return fields
    fields += [(2, 1), (8, 1)]  # HDR next payload, #CS
    nxt, pos = data[2], 10
    n_cs, map_type = data[8], data[9]
    try:
        if map_type == 0:
            pos += 9 * n_cs
        elif map_type == 2:
            for _ in range(n_cs):
                fields.append((pos + 2, 1))
                pos += 3 + (data[pos + 2] & 0x7F)
                fields.append((pos, 2))
                pos += 2 + int.from_bytes(data[pos:pos + 2], "big")
                fields.append((pos, 1))
                pos += 1 + data[pos]
        while pos < len(data) and nxt not in (0, 4):
            kind, start = nxt, pos
            fields.append((pos, 1))
            nxt = data[pos]
            if kind == 5:
                pos += 2 + (4 if data[pos + 1] == 2 else 8)
            elif kind == 11:
                fields.append((pos + 1, 1))
                pos += 2 + data[pos + 1]
            elif kind in (14, 10, 26):
                fields.append((pos + 3, 2))
                pos += 5 + int.from_bytes(data[pos + 3:pos + 5], "big")
            elif kind == 21:
                fields.append((pos + 2, 2))
                pos += 4 + int.from_bytes(data[pos + 2:pos + 4], "big")
            else:
                break
            if pos <= start:
                break
        if nxt == 4:
            fields.append((pos, 2))  # SIGN type/length
    except IndexError:
        pass
    return [(o, w) for o, w in fields if o + w <= len(data)]


def mikey_mutation(data: bytes, rng: random.Random) -> bytes:
    """Change a next-payload octet or a length field, or repeat, drop or move a span between two
    framing fields; otherwise a byte-level edit."""
    fields = framing_fields(data)
    if not fields or rng.random() < 0.2:
        return byte_mutation(data, rng)
    out = bytearray(data)
    offset, width = rng.choice(fields)
    kind = rng.randrange(4)
    if kind == 0 and width == 1:
        out[offset] = rng.choice(PAYLOAD_TYPES + [rng.randrange(256)])
    elif kind <= 1:
        current = int.from_bytes(out[offset:offset + width], "big")
        limit = (1 << (8 * width)) - 1
        value = rng.choice([0, 1, current - 1, current + 1, limit, limit >> 1, rng.randrange(limit + 1)])
        out[offset:offset + width] = (value % (limit + 1)).to_bytes(width, "big")
    elif kind == 2:
        other, _ = rng.choice(fields)
        start, end = sorted((offset, other))
        out[end:end] = out[start:end] * rng.randint(1, 3)
    else:
        other, _ = rng.choice(fields)
        start, end = sorted((offset, other))
        del out[start:end]
    return bytes(out)
