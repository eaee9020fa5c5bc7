"""I_MESSAGE codec: the reference messages parse and re-encode byte-exactly; malformed input
is refused with the specific error type."""
from __future__ import annotations

import pytest

from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_header, encode_i_message, encode_payload, encode_unsigned
from mcsec.impl.ibc.mikey_errors import (
    DuplicatePayloadError,
    LengthMismatchError,
    MikeyDecodeError,
    MissingPayloadError,
    TrailingBytesError,
    TruncatedMessageError,
    UnknownPayloadError,
    UnsupportedValueError,
)
from mcsec.impl.ibc.mikey_payloads import (
    CsIdMapType,
    GeneralExtension,
    GenericCsEntry,
    Idr,
    IdRole,
    PayloadType,
    Rand,
    SakkePayload,
    SecurityPolicy,
    SrtpCsEntry,
    Timestamp,
)


@pytest.fixture(scope="module")
def csk_raw(csk_vector) -> bytes:
    return bytes.fromhex(csk_vector["i_message_hex"])


def _rebuild(msg, payloads=None, header=None, sig=None):
    unsigned = encode_unsigned(header or msg.header, msg.payloads if payloads is None else payloads)
    return encode_i_message(unsigned, sig or msg.signature.value)


def test_csk_message_structure(csk_raw, csk_vector):
    msg = decode_i_message(csk_raw)
    h = msg.header
    assert (h.version, h.data_type, h.prf, h.v_flag) == (1, 26, 1, False)
    assert h.csb_id == int(csk_vector["CSK-ID"], 16)
    assert h.cs_map_type == CsIdMapType.GENERIC_ID
    assert h.cs_entries == (GenericCsEntry(cs_id=6, prot_type=0, policies=(0,), spi=bytes.fromhex("2ddd5bf0")),)
    assert [type(p).__name__ for p in msg.payloads] == [
        "Timestamp", "Rand", "Idr", "Idr", "Idr", "Idr", "SecurityPolicy", "SakkePayload", "GeneralExtension"]
    assert msg.rand == bytes.fromhex(csk_vector["CSK-RAND"])
    assert [(i.role, i.id_type) for i in msg.idrs] == [(8, 1), (9, 1), (6, 1), (7, 1)]
    assert msg.idr(IdRole.KMS_RESPONDER).text == "kms.mydev.streamwide.com"
    assert msg.sakke.params == 1 and msg.sakke.id_scheme == 2 and len(msg.sakke.sed) == 273
    assert msg.extensions[0].ext_type == 7 and len(msg.extensions[0].data) == 0x44
    assert msg.signature.sig_type == 2 and len(msg.signature.value) == 129
    assert msg.signed_data == csk_raw[:-129]


def test_every_reference_message_round_trips_exactly(mikey_vectors):
    for m in mikey_vectors["i_messages"]:
        raw = bytes.fromhex(m["i_message_hex"])
        msg = decode_i_message(raw)
        assert _rebuild(msg) == raw, m["name"]


def test_srtp_and_empty_maps(mikey_vectors):
    by_name = {m["name"]: decode_i_message(bytes.fromhex(m["i_message_hex"])) for m in mikey_vectors["i_messages"]}
    assert by_name["PCK"].header.cs_map_type == CsIdMapType.EMPTY
    legacy = by_name["GMK (legacy format for IWF)"].header
    assert legacy.cs_map_type == CsIdMapType.SRTP_ID
    assert legacy.cs_entries[0] == SrtpCsEntry(policy_no=0, ssrc=0xCAFEBABE, roc=0)


def test_unknown_extension_is_preserved_verbatim(csk_raw):
    msg = decode_i_message(csk_raw)
    odd = GeneralExtension(ext_type=0x42, data=b"\x00\xffopaque\x01")
    payloads = msg.payloads + (odd,)
    again = decode_i_message(_rebuild(msg, payloads))
    assert again.extensions == (msg.extensions[0], odd)
    assert _rebuild(again) == _rebuild(msg, payloads)


def test_every_truncation_is_refused(csk_raw):
    for cut in range(len(csk_raw)):
        with pytest.raises(TruncatedMessageError):
            decode_i_message(csk_raw[:cut])


def test_trailing_bytes_are_refused(csk_raw):
    with pytest.raises(TrailingBytesError):
        decode_i_message(csk_raw + b"\x00")


def test_unknown_payload_type_is_refused(csk_raw):
    raw = bytearray(csk_raw)
    raw[2] = 0x63  # HDR next payload
    with pytest.raises(UnknownPayloadError):
        decode_i_message(bytes(raw))
    raw[2] = PayloadType.KEMAC  # known to MIKEY, not allowed in a SAKKE I_MESSAGE
    with pytest.raises(UnknownPayloadError):
        decode_i_message(bytes(raw))


@pytest.mark.parametrize("kind", [Timestamp, Rand, SakkePayload, SecurityPolicy])
def test_duplicate_single_payloads_are_refused(csk_raw, kind):
    msg = decode_i_message(csk_raw)
    dup = next(p for p in msg.payloads if isinstance(p, kind))
    with pytest.raises(DuplicatePayloadError):
        decode_i_message(_rebuild(msg, msg.payloads + (dup,)))


def test_duplicate_idr_role_is_refused(csk_raw):
    msg = decode_i_message(csk_raw)
    extra = Idr(role=IdRole.UID_RESPONDER, id_type=1, data=b"\x01" * 32)
    with pytest.raises(DuplicatePayloadError):
        decode_i_message(_rebuild(msg, msg.payloads + (extra,)))


@pytest.mark.parametrize("kind", [Timestamp, Rand, SakkePayload])
def test_missing_mandatory_payload_is_refused(csk_raw, kind):
    msg = decode_i_message(csk_raw)
    with pytest.raises(MissingPayloadError):
        decode_i_message(_rebuild(msg, tuple(p for p in msg.payloads if not isinstance(p, kind))))


def test_missing_signature_is_refused(csk_raw):
    msg = decode_i_message(csk_raw)
    body = encode_header(msg.header, PayloadType.T)
    kinds = [PayloadType.T, PayloadType.RAND, PayloadType.IDR, PayloadType.IDR, PayloadType.IDR, PayloadType.IDR,
             PayloadType.SP, PayloadType.SAKKE, PayloadType.GENERAL_EXT, PayloadType.LAST]
    for p, nxt in zip(msg.payloads, kinds[1:]):
        body += encode_payload(p, nxt)
    with pytest.raises(MissingPayloadError):
        decode_i_message(body)


def test_inconsistent_lengths_are_refused(csk_raw):
    msg = decode_i_message(csk_raw)
    short_sed = tuple(SakkePayload(sed=p.sed[:-1]) if isinstance(p, SakkePayload) else p for p in msg.payloads)
    with pytest.raises(LengthMismatchError):
        decode_i_message(_rebuild(msg, short_sed))
    # SIGN length field saying 128 while 129 octets follow
    raw = bytearray(csk_raw)
    raw[-130] = 0x80
    with pytest.raises(LengthMismatchError):
        decode_i_message(bytes(raw))
    # an SP parameter overrunning the SP length
    i = csk_raw.index(bytes.fromhex("1a0000001b"))
    raw = bytearray(csk_raw)
    raw[i + 5 + 25] = 0x09  # last parameter claims 9 octets
    with pytest.raises(LengthMismatchError):
        decode_i_message(bytes(raw))


@pytest.mark.parametrize("offset,value", [(0, 2), (1, 27)])
def test_unsupported_version_and_data_type(csk_raw, offset, value):
    raw = bytearray(csk_raw)
    raw[offset] = value
    with pytest.raises(UnsupportedValueError):
        decode_i_message(bytes(raw))


def test_all_decode_errors_share_one_base():
    for err in (TruncatedMessageError, LengthMismatchError, TrailingBytesError, UnknownPayloadError,
                DuplicatePayloadError, MissingPayloadError, UnsupportedValueError):
        assert issubclass(err, MikeyDecodeError)
