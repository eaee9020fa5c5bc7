"""MIKEY-SAKKE I_MESSAGE decoding: ``decode_i_message``.

A refusal must be a :class:`MikeyDecodeError`. A message that decodes must encode back to the same
octets with ``encode_unsigned`` and ``encode_i_message``, and its accessors (timestamp, RAND, SAKKE,
IDRs, key ID) must answer.
"""
from __future__ import annotations

from mcsec.impl.ibc.mikey import key_id_of
from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_i_message, encode_unsigned
from mcsec.impl.ibc.mikey_errors import MikeyDecodeError
from tests.fuzz.harness import Harness
from tests.fuzz.mikey import built_messages, mikey_mutation, vector_messages
from tests.fuzz.mutators import bytes_mutator, mixed

TOKENS = (b"\x01\x1a", b"\x00", b"\x04", b"\x05", b"\x0b", b"\x0e", b"\x0a", b"\x15", b"\x1a", b"\x20\x81",
          b"\x01\x02\x01\x11", b"\xff\xff")


def seeds() -> list[bytes]:
    return [bytes.fromhex(m["i_message_hex"]) for m in vector_messages()] + built_messages()


def one_input(data: bytes) -> None:
    try:
        message = decode_i_message(data)
    except MikeyDecodeError:
        return
    message.timestamp.ntp_seconds, message.rand, message.sakke, message.security_policy, message.extensions
    for idr in message.idrs:
        idr.text
    key_id_of(message)
    unsigned = encode_unsigned(message.header, message.payloads, message.signature.sig_type,
                               len(message.signature.value))
    assert unsigned == message.signed_data
    assert encode_i_message(unsigned, message.signature.value) == data


HARNESS = Harness(
    name="mikey_decode",
    decoder="mcsec.impl.ibc.mikey_codec.decode_i_message and the encoder round trip",
    one_input=one_input,
    seeds=seeds,
    mutate=mixed(mikey_mutation, mikey_mutation, bytes_mutator(TOKENS)),
    tokens=TOKENS,
)
