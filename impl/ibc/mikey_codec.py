"""Sans-IO codec for MIKEY-SAKKE I_MESSAGEs: octets in, typed payloads out, and back.

Framing follows RFC 3830: every payload but SIGN starts with a next-payload octet
naming the payload after it; HDR's next-payload names the first payload; SIGN has
no next-payload field and ends the message. The ECCSI signature covers every
octet before the signature field, the SIGN type/length octets included.

Decoding refuses, each with its own exception (see mikey_errors): truncation,
inconsistent lengths, trailing octets, unknown payload types, duplicate
payloads that may occur once, missing mandatory payloads, and values outside
the profile (version, data type, map type, timestamp type, SAKKE parameters).
"""
from __future__ import annotations

from typing import Optional, Sequence

from mcsec.impl.ibc.mikey_errors import (
    DuplicatePayloadError,
    LengthMismatchError,
    MissingPayloadError,
    TrailingBytesError,
    TruncatedMessageError,
    UnknownPayloadError,
    UnsupportedValueError,
)
from mcsec.impl.ibc.mikey_payloads import (
    MIKEY_VERSION,
    SAKKE_ID_SCHEME_3GPP,
    SAKKE_PARAMS_SET_1,
    SUPPORTED_PAYLOADS,
    CsEntry,
    CsIdMapType,
    DataType,
    GeneralExtension,
    GenericCsEntry,
    Header,
    Idr,
    IdRole,
    IdType,
    IMessage,
    Payload,
    PayloadType,
    PolicyParam,
    Rand,
    SakkePayload,
    SecurityPolicy,
    Signature,
    SignatureType,
    SrtpCsEntry,
    Timestamp,
    TimestampType,
)

SED_LEN_SET_1 = 273
ECCSI_SIGNATURE_LEN = 129
_TS_LEN = {TimestampType.NTP_UTC: 8, TimestampType.NTP: 8, TimestampType.COUNTER: 4}
_KNOWN_ROLES = frozenset(int(r) for r in IdRole)
_KNOWN_ID_TYPES = frozenset(int(t) for t in IdType)


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining():
            raise TruncatedMessageError(
                f"{what}: need {n} octets at offset {self.pos}, only {self.remaining()} left"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")


# -- decoding ------------------------------------------------------------------------------


def _decode_header(r: _Reader) -> tuple[Header, int]:
    version = r.u8("HDR version")
    if version != MIKEY_VERSION:
        raise UnsupportedValueError(f"HDR: MIKEY version {version}, expected {MIKEY_VERSION}")
    data_type = r.u8("HDR data type")
    if data_type != DataType.SAKKE_I_MESSAGE:
        raise UnsupportedValueError(f"HDR: data type {data_type} is not a SAKKE I_MESSAGE (26)")
    next_payload = r.u8("HDR next payload")
    vprf = r.u8("HDR V/PRF")
    csb_id = r.u32("HDR CSB ID")
    n_cs = r.u8("HDR #CS")
    map_type = r.u8("HDR CS ID map type")
    entries: list[CsEntry] = []
    if map_type == CsIdMapType.SRTP_ID:
        for i in range(n_cs):
            entries.append(
                SrtpCsEntry(policy_no=r.u8("SRTP-ID policy"), ssrc=r.u32("SRTP-ID SSRC"), roc=r.u32("SRTP-ID ROC"))
            )
    elif map_type == CsIdMapType.EMPTY:
        if n_cs != 0:
            raise LengthMismatchError(f"HDR: empty CS ID map with #CS = {n_cs}")
    elif map_type == CsIdMapType.GENERIC_ID:
        for i in range(n_cs):
            cs_id = r.u8("GENERIC-ID CS ID")
            prot = r.u8("GENERIC-ID prot type")
            sp = r.u8("GENERIC-ID S/#P")
            policies = tuple(r.take(sp & 0x7F, "GENERIC-ID policies"))
            session_data = r.take(r.u16("GENERIC-ID session data length"), "GENERIC-ID session data")
            spi = r.take(r.u8("GENERIC-ID SPI length"), "GENERIC-ID SPI")
            entries.append(
                GenericCsEntry(cs_id=cs_id, prot_type=prot, session_data_flag=bool(sp & 0x80),
                               policies=policies, session_data=session_data, spi=spi)
            )
    else:
        raise UnsupportedValueError(f"HDR: CS ID map type {map_type} is not supported")
    header = Header(
        version=version, data_type=data_type, v_flag=bool(vprf & 0x80), prf=vprf & 0x7F,
        csb_id=csb_id, cs_map_type=map_type, cs_entries=tuple(entries),
    )
    return header, next_payload


def _decode_payload(kind: int, r: _Reader) -> tuple[Payload, int]:
    name = PayloadType(kind).name
    nxt = r.u8(f"{name} next payload")
    if kind == PayloadType.T:
        ts_type = r.u8("T type")
        if ts_type not in _TS_LEN:
            raise UnsupportedValueError(f"T: timestamp type {ts_type} unknown")
        value = int.from_bytes(r.take(_TS_LEN[TimestampType(ts_type)], "T value"), "big")
        return Timestamp(ts_type=ts_type, value=value), nxt
    if kind == PayloadType.RAND:
        length = r.u8("RAND length")
        if length == 0:
            raise LengthMismatchError("RAND: zero length")
        return Rand(value=r.take(length, "RAND value")), nxt
    if kind == PayloadType.IDR:
        role = r.u8("IDR role")
        id_type = r.u8("IDR type")
        if role not in _KNOWN_ROLES:
            raise UnsupportedValueError(f"IDR: role {role} is not supported")
        if id_type not in _KNOWN_ID_TYPES:
            raise UnsupportedValueError(f"IDR: ID type {id_type} is not supported")
        length = r.u16("IDR length")
        if length == 0:
            raise LengthMismatchError("IDR: zero-length identity")
        return Idr(role=role, id_type=id_type, data=r.take(length, "IDR data")), nxt
    if kind == PayloadType.SP:
        policy_no = r.u8("SP policy no")
        prot = r.u8("SP prot type")
        length = r.u16("SP policy param length")
        body = _Reader(r.take(length, "SP policy params"))
        params = []
        while body.remaining():
            ptype = body.u8("SP param type")
            plen = body.u8("SP param length")
            if plen > body.remaining():
                raise LengthMismatchError("SP: a policy parameter overruns the policy param length")
            params.append(PolicyParam(type=ptype, value=body.take(plen, "SP param value")))
        return SecurityPolicy(policy_no=policy_no, prot_type=prot, params=tuple(params)), nxt
    if kind == PayloadType.SAKKE:
        params = r.u8("SAKKE params")
        scheme = r.u8("SAKKE ID scheme")
        length = r.u16("SAKKE data length")
        data = r.take(length, "SAKKE data")
        if params != SAKKE_PARAMS_SET_1:
            raise UnsupportedValueError(f"SAKKE: parameter set {params} is not supported")
        if scheme != SAKKE_ID_SCHEME_3GPP:
            raise UnsupportedValueError(f"SAKKE: ID scheme {scheme} is not supported")
        if length != SED_LEN_SET_1:
            raise LengthMismatchError(f"SAKKE: SED is {length} octets, parameter set 1 needs {SED_LEN_SET_1}")
        return SakkePayload(params=params, id_scheme=scheme, sed=data), nxt
    if kind == PayloadType.GENERAL_EXT:
        ext_type = r.u8("extension type")
        length = r.u16("extension length")
        return GeneralExtension(ext_type=ext_type, data=r.take(length, "extension data")), nxt
    raise UnknownPayloadError(f"payload type {kind} is not supported")  # pragma: no cover


def _decode_signature(r: _Reader) -> Signature:
    word = r.u16("SIGN type/length")
    sig_type, length = word >> 12, word & 0x0FFF
    if sig_type != SignatureType.ECCSI:
        raise UnsupportedValueError(f"SIGN: signature type {sig_type} is not ECCSI (2)")
    if length != ECCSI_SIGNATURE_LEN:
        raise LengthMismatchError(f"SIGN: ECCSI signature length {length}, expected {ECCSI_SIGNATURE_LEN}")
    return Signature(sig_type=sig_type, value=r.take(length, "SIGN signature"))


_SINGLE = {PayloadType.T: "T", PayloadType.RAND: "RAND", PayloadType.SAKKE: "SAKKE", PayloadType.SP: "SP"}


def decode_i_message(data: bytes) -> IMessage:
    """Decode a complete, signed MIKEY-SAKKE I_MESSAGE."""
    data = bytes(data)
    r = _Reader(data)
    header, nxt = _decode_header(r)
    payloads: list[Payload] = []
    seen: set[int] = set()
    roles: set[int] = set()
    signature: Optional[Signature] = None
    signed_end = 0
    while True:
        if nxt == PayloadType.LAST:
            break
        if nxt not in SUPPORTED_PAYLOADS:
            raise UnknownPayloadError(f"payload type {nxt} at offset {r.pos} is not supported")
        if nxt == PayloadType.SIGN:
            signed_end = r.pos + 2
            signature = _decode_signature(r)
            break
        kind = nxt
        payload, nxt = _decode_payload(kind, r)
        if kind in _SINGLE:
            if kind in seen:
                raise DuplicatePayloadError(f"{_SINGLE[kind]} payload occurs twice")
            seen.add(kind)
        if isinstance(payload, Idr):
            if payload.role in roles:
                raise DuplicatePayloadError(f"IDR role {payload.role} occurs twice")
            roles.add(payload.role)
        payloads.append(payload)
    if r.remaining():
        raise TrailingBytesError(f"{r.remaining()} octets after the last payload")
    for kind, name in ((PayloadType.T, "T"), (PayloadType.RAND, "RAND"), (PayloadType.SAKKE, "SAKKE")):
        if kind not in seen:
            raise MissingPayloadError(f"I_MESSAGE has no {name} payload")
    if signature is None:
        raise MissingPayloadError("I_MESSAGE has no SIGN payload")
    return IMessage(header=header, payloads=tuple(payloads), signature=signature, signed_data=data[:signed_end])


# -- encoding ------------------------------------------------------------------------------


def _u16(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise LengthMismatchError(f"{what}: {value} does not fit in 16 bits")
    return value.to_bytes(2, "big")


def _u8(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFF:
        raise LengthMismatchError(f"{what}: {value} does not fit in 8 bits")
    return bytes([value])


def encode_header(header: Header, next_payload: int) -> bytes:
    out = bytearray()
    out += _u8(header.version, "version") + _u8(header.data_type, "data type") + _u8(next_payload, "next")
    out += _u8((0x80 if header.v_flag else 0) | (header.prf & 0x7F), "V/PRF")
    out += header.csb_id.to_bytes(4, "big")
    out += _u8(len(header.cs_entries), "#CS") + _u8(header.cs_map_type, "map type")
    for e in header.cs_entries:
        if isinstance(e, SrtpCsEntry):
            out += _u8(e.policy_no, "policy") + e.ssrc.to_bytes(4, "big") + e.roc.to_bytes(4, "big")
        else:
            if len(e.policies) > 0x7F:
                raise LengthMismatchError("GENERIC-ID: too many policies")
            out += _u8(e.cs_id, "CS ID") + _u8(e.prot_type, "prot type")
            out += _u8((0x80 if e.session_data_flag else 0) | len(e.policies), "S/#P") + bytes(e.policies)
            out += _u16(len(e.session_data), "session data length") + e.session_data
            out += _u8(len(e.spi), "SPI length") + e.spi
    return bytes(out)


def payload_type_of(payload: Payload) -> PayloadType:
    for cls, kind in (
        (Timestamp, PayloadType.T), (Rand, PayloadType.RAND), (Idr, PayloadType.IDR),
        (SecurityPolicy, PayloadType.SP), (SakkePayload, PayloadType.SAKKE),
        (GeneralExtension, PayloadType.GENERAL_EXT),
    ):
        if isinstance(payload, cls):
            return kind
    raise TypeError(f"not a MIKEY payload: {payload!r}")


def encode_payload(payload: Payload, next_payload: int) -> bytes:
    head = _u8(next_payload, "next")
    if isinstance(payload, Timestamp):
        size = _TS_LEN.get(payload.ts_type)
        if size is None:
            raise UnsupportedValueError(f"T: timestamp type {payload.ts_type} unknown")
        return head + _u8(payload.ts_type, "T type") + payload.value.to_bytes(size, "big")
    if isinstance(payload, Rand):
        return head + _u8(len(payload.value), "RAND length") + payload.value
    if isinstance(payload, Idr):
        return head + _u8(payload.role, "role") + _u8(payload.id_type, "type") + _u16(
            len(payload.data), "IDR length") + payload.data
    if isinstance(payload, SecurityPolicy):
        body = b"".join(_u8(p.type, "param type") + _u8(len(p.value), "param length") + p.value
                        for p in payload.params)
        return head + _u8(payload.policy_no, "policy") + _u8(payload.prot_type, "prot") + _u16(
            len(body), "SP length") + body
    if isinstance(payload, SakkePayload):
        return head + _u8(payload.params, "params") + _u8(payload.id_scheme, "scheme") + _u16(
            len(payload.sed), "SAKKE length") + payload.sed
    if isinstance(payload, GeneralExtension):
        return head + _u8(payload.ext_type, "ext type") + _u16(len(payload.data), "ext length") + payload.data
    raise TypeError(f"not a MIKEY payload: {payload!r}")


def encode_unsigned(header: Header, payloads: Sequence[Payload],
                    sig_type: int = SignatureType.ECCSI, sig_len: int = ECCSI_SIGNATURE_LEN) -> bytes:
    """Everything the signature covers: HDR, the payloads, and the SIGN type/length octets."""
    kinds = [payload_type_of(p) for p in payloads]
    chain = kinds + [PayloadType.SIGN]
    out = bytearray(encode_header(header, chain[0]))
    for payload, nxt in zip(payloads, chain[1:]):
        out += encode_payload(payload, nxt)
    if not 0 <= sig_len <= 0x0FFF:
        raise LengthMismatchError("SIGN: length does not fit in 12 bits")
    out += ((sig_type << 12) | sig_len).to_bytes(2, "big")
    return bytes(out)


def encode_i_message(unsigned: bytes, signature: bytes) -> bytes:
    """Append the signature to the octets returned by :func:`encode_unsigned`."""
    declared = int.from_bytes(unsigned[-2:], "big") & 0x0FFF
    if len(signature) != declared:
        raise LengthMismatchError(f"SIGN: signature is {len(signature)} octets, header says {declared}")
    return bytes(unsigned) + bytes(signature)
