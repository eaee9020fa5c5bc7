"""The reference MCPTT client's named faults (impl/faults.py, role "client"): the deliberate deviations
the suite must catch, each off by default. The client's own modules call these only when the fault is
on, so the code a conforming client runs stays plain.

Every function here makes what a broken client would: a body without its disposition, a CSK-ID from a
counter, an I_MESSAGE signed over the wrong octets, an answer opened without its authentication tag...
None of them logs a key or a token.
"""
from __future__ import annotations

import time

from cryptography.hazmat.primitives import keywrap
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mcsec.impl import smime
from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey import BuiltIMessage, KeyPurpose, make_key_id
from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_i_message, encode_unsigned
from mcsec.impl.ibc.mikey_payloads import GenericCsEntry, Header, CsIdMapType, SakkePayload
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.mcptt import info as info_codec
from mcsec.impl.mcptt.body import MULTIPART_MIXED, OutgoingBody, SealingKey, SipBinding, key_id_bytes
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import BodyPart, Headers, build_multipart, parse_multipart
from mcsec.impl.smime import mime as smime_mime
from mcsec.impl.smime.attributes import find_single
from mcsec.impl.smime.envelope import _parse as parse_envelope  # the fault reads the envelope itself

OLD_TIMESTAMP_S = 240  # inside the reference server's freshness window (300 s), far outside a clock skew
CSK_CS_ID = 6


# --- bodies -----------------------------------------------------------------------------------------

def without_disposition(body: OutgoingBody) -> OutgoingBody:
    """``client_no_handling_required``: the protected body (or part) without its Content-Disposition."""
    if body.content_type.split(";")[0].strip().lower() != MULTIPART_MIXED:
        return OutgoingBody(body.content_type, body.body, None)
    multipart = parse_multipart(body.content_type, body.body)
    parts = []
    for part in multipart.parts:
        headers = Headers([(f.name, f.value) for f in part.headers if f.name.lower() != "content-disposition"])
        parts.append(BodyPart(headers, part.body))
    content_type, data = build_multipart(parts)
    return OutgoingBody(content_type, data)


def with_token(info: McpttInfo, key: SealingKey | None, binding: SipBinding, token: str, *,
               stamp: bool = True) -> OutgoingBody:
    """``client_token_on_sip``: the mcptt-info carries the KMS access token in an mcptt-access-token element
    (the element TS 24.379 has for the MCPTT access token), protected or not as the body would be."""
    document = info_codec.build(info).replace(
        b"</mcptt-Params>",
        b'<mcptt-access-token type="Normal"><mcpttString>' + token.encode("ascii") +
        b"</mcpttString></mcptt-access-token></mcptt-Params>")
    if key is None:
        return OutgoingBody(info_codec.CONTENT_TYPE, document)
    entity = f"Content-Type: {info_codec.CONTENT_TYPE}\r\n\r\n".encode("ascii") + document
    replay_stamp = smime.ReplayStamp.new(context=binding.context()) if stamp else None
    der = smime.seal(entity, cek=key.cek, key_id=key_id_bytes(key.key_id), replay_stamp=replay_stamp)
    return OutgoingBody(smime_mime.CONTENT_TYPE, der, smime_mime.CONTENT_DISPOSITION)


def open_unauthenticated(der: bytes, cek: bytes) -> smime.Opened:
    """``client_accept_unauthenticated_answer``: AES-GCM decrypted as counter mode, the tag never checked
    (RFC 5116 forbids releasing such plaintext). The content key is unwrapped with ``cek``."""
    envelope = parse_envelope(der)
    content_key = keywrap.aes_key_unwrap(cek, envelope.wrapped_key)
    if len(envelope.nonce) != 12:
        raise smime.Undecipherable("nonce is not 96 bits")
    counter = envelope.nonce + (2).to_bytes(4, "big")  # GCM: the first counter block after J0 (NIST SP 800-38D)
    decryptor = Cipher(algorithms.AES(content_key), modes.CTR(counter)).decryptor()
    content = decryptor.update(envelope.ciphertext) + decryptor.finalize()
    stamp_der = find_single(envelope.auth_attributes, smime.ID_MCSEC_REPLAY_STAMP)
    stamp = smime.ReplayStamp.from_der(stamp_der) if stamp_der is not None else None
    return smime.Opened(content=content, key_id=envelope.key_id, content_type=envelope.content_type,
                        auth_attributes=envelope.auth_attributes, replay_stamp=stamp)


# --- CSK I_MESSAGEs ---------------------------------------------------------------------------------

class CskDeviations:
    """The state the CSK faults keep between uploads (the first CSK, the counter)."""

    def __init__(self) -> None:
        self._first_key: bytes | None = None
        self._counter: int | None = None

    def reused_key(self, key: bytes) -> bytes:
        """``client_reuse_csk``: every upload carries the first CSK."""
        if self._first_key is None:
            self._first_key = key
        return self._first_key

    def counter_key_id(self) -> int:
        """``client_counter_csk_id``: the 28 low bits count up from a random start."""
        if self._counter is None:
            self._counter = make_key_id(KeyPurpose.CSK) & 0x0FFFFFFF
        self._counter = (self._counter + 1) & 0x0FFFFFFF
        return make_key_id(KeyPurpose.CSK, self._counter)


def v_bit_header(key_id: int) -> Header:
    """``client_mikey_v_bit``: the reference header with the V bit set (a verification message asked for)."""
    entry = GenericCsEntry(cs_id=CSK_CS_ID, prot_type=0, policies=(0,), spi=key_id.to_bytes(4, "big"))
    return Header(csb_id=key_id, v_flag=True, cs_map_type=CsIdMapType.GENERIC_ID, cs_entries=(entry,))


def old_timestamp() -> float:
    """``client_old_timestamp``: an NTP time some minutes in the past."""
    return unix_to_ntp(time.time() - OLD_TIMESTAMP_S)


def signed_without_sign_header(built: BuiltIMessage, initiator: UserKeySet, kms: KmsCertificate) -> BuiltIMessage:
    """``client_sign_without_sign_header``: the ECCSI signature made over the octets before the SIGN
    payload only, leaving out its type and length (RFC 6509 signs everything before the signature)."""
    signed = decode_i_message(built.data).signed_data
    signature = eccsi.sign(signed[:-2], initiator.signing_key(), kms.kpak)
    return _replace_data(built, encode_i_message(signed, signature))


def sakke_to_self(built: BuiltIMessage, initiator: UserKeySet, kms: KmsCertificate) -> BuiltIMessage:
    """``client_sakke_to_self``: the CSK encapsulated to the client's own UID (as a SAKKE-to-self payload
    would be) in the one SAKKE payload, the message still addressed to the MCPTT server, signed again."""
    message = decode_i_message(built.data)
    sed = sakke.encapsulate(initiator.user_id, kms.z_t, built.key).sed
    payloads = [SakkePayload(sed=sed, params=p.params, id_scheme=p.id_scheme) if isinstance(p, SakkePayload) else p
                for p in message.payloads]
    unsigned = encode_unsigned(message.header, payloads)
    return _replace_data(built, encode_i_message(unsigned, eccsi.sign(unsigned, initiator.signing_key(), kms.kpak)))


def _replace_data(built: BuiltIMessage, data: bytes) -> BuiltIMessage:
    return BuiltIMessage(data=data, key=built.key, key_id=built.key_id, purpose=built.purpose, rand=built.rand,
                         ntp_seconds=built.ntp_seconds, initiator_uid=built.initiator_uid,
                         responder_uid=built.responder_uid)


__all__ = ["CskDeviations", "old_timestamp", "open_unauthenticated", "sakke_to_self",
           "signed_without_sign_header", "v_bit_header", "with_token", "without_disposition"]
