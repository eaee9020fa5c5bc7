"""MIKEY-SAKKE I_MESSAGE processing by a responder: ``process_i_message``.

The first octet chooses the vector (its responder's key set, the initiator URI given or not, the
purpose expected) and whether the harness re-signs the message as its initiator before processing
it: re-signed, a hostile message passes the ECCSI check and reaches the freshness policy, SAKKE
decapsulation and the key ID checks. Every refusal must be a :class:`MikeyError`.
"""
from __future__ import annotations

from mcsec.impl.ibc import eccsi
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.freshness import AcceptAll
from mcsec.impl.ibc.mikey import KeyPurpose, process_i_message
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey_errors import MikeyDecodeError, MikeyError
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mikey import key_sets_by_uri, kms, mikey_mutation, vector_messages
from tests.fuzz.mikey_decode import TOKENS
from tests.fuzz.mutators import bytes_mutator, mixed

_PURPOSES = {"GMK": KeyPurpose.GMK, "CSK": KeyPurpose.CSK, "PCK": KeyPurpose.PCK}
MODES = 16  # bits 0-1: vector; bit 2: re-sign; bit 3: name the initiator and the purpose


def seeds() -> list[bytes]:
    out = []
    for index, message in enumerate(vector_messages()):
        for flags in (0, 4, 8, 12):
            out.append(with_mode(index | flags, bytes.fromhex(message["i_message_hex"])))
    return out


def _resigned(data: bytes, initiator_uri: str) -> bytes:
    try:
        message = decode_i_message(data)
    except MikeyDecodeError:
        return data
    signer = key_sets_by_uri().get(initiator_uri)
    if signer is None:
        return data
    try:
        signature = eccsi.sign(message.signed_data, signer.signing_key(), kms().kpak)
    except IbcError:
        return data
    if len(signature) != len(message.signature.value):
        return data
    return message.signed_data + signature


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, MODES)
    vector = vector_messages()[mode & 3]
    initiator = vector["Initiator URI"]
    if mode & 4:
        rest = _resigned(rest, initiator)
    named = bool(mode & 8)
    try:
        process_i_message(rest, kms=kms(), responder=key_sets_by_uri()[vector["Responder URI"]],
                          freshness=AcceptAll(), initiator_uri=initiator if named else None,
                          expected_purpose=_PURPOSES.get(vector["name"]) if named else None)
    except MikeyError:
        pass


HARNESS = Harness(
    name="mikey_process",
    decoder="mcsec.impl.ibc.mikey.process_i_message as a responder, with messages re-signed by their initiator",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * MODES, mixed(mikey_mutation, mikey_mutation, bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
