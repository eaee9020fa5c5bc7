"""MCPTT bodies as the MCPTT server and client receive them (impl/mcptt/body.py, info.py).

The first octet chooses what the rest is:

0. the body header fields (Content-Type, Content-Disposition, Content-Transfer-Encoding), an empty
   line and the body of a MESSAGE: ``read_body``, then ``key_id_of`` and ``open_info`` with the
   right CEK for a protected part, or ``read_clear`` for a clear one;
1. the MIME entity sealed inside a protected body: the harness seals it with the CEK under a stamp
   bound to the message, so the content is authentic and hostile, then ``open_info`` reads it;
2. an mcptt-info document: ``info.parse``.

Every refusal must be a :class:`BodyError` (the SIP answer comes from its ``sip_status``).
"""
from __future__ import annotations

from datetime import timedelta

import mcsec.impl.smime as smime
from mcsec.impl.mcptt import info as info_codec
from mcsec.impl.mcptt.body import (
    SealingKey,
    SensitivePart,
    SipBinding,
    build_body,
    info_entity,
    key_id_bytes,
    key_id_of,
    open_info,
    read_body,
    read_clear,
)
from mcsec.impl.mcptt.errors import BodyError
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import Request, SipParseError, make_request
from mcsec.impl.sip.parser import parse_header_lines
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, der_mutation, header_mutation, mixed, xml_mutation

CEK = bytes(range(16))
KEY = SealingKey(0x2A000001, CEK)
INFO = McpttInfo(request_uri="sip:mcptt-as@example.org", calling_user_id="sip:alice@example.org",
                 called_party_id="sip:bob@example.org", calling_group_id="sip:group@example.org",
                 session_type="prearranged")
SDP = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
#: a window of decades: seeds stay fresh however long a run lasts
POLICY = smime.ReplayPolicy(window=timedelta(days=36500))


def _request() -> Request:
    return make_request("MESSAGE", "sip:mcptt-as@example.org", from_="<sip:alice@example.org>",
                        to="<sip:mcptt-as@example.org>", call_id="fuzz-body@example.org", cseq=3,
                        from_tag="f1", via="SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbody")


BINDING = SipBinding.of_request(_request())
NAMES = [b"Content-Type", b"Content-Disposition", b"Content-Transfer-Encoding", b"c", b"X"]
VALUES = [b"application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m",
          b"application/x-pkcs7-mime", b"application/pkcs7-mime; smime-type=enveloped-data",
          b"application/vnd.3gpp.mcptt-info+xml", b"application/sdp", b"multipart/mixed;boundary=b",
          b"attachment; handling=required", b"render;handling=optional", b"x;;", b";", b"base64", b"binary",
          b"gzip", b"", b'a/b; c="', b"text/plain"]
TOKENS = tuple(VALUES) + (b"\r\n", b"\r\n\r\n", b"--", b"<mcptt-Params>", b'type="Normal"', b"<mcpttURI>")


def _body_part(request: Request) -> bytes:
    head = b"".join(f"{f.name}: {f.value}\r\n".encode() for f in request.headers
                    if f.key.startswith("content-") and f.key != "content-length")
    return head + b"\r\n" + request.body


def seeds() -> list[bytes]:
    out = []
    for key in (KEY, None):
        for sdp in (None, SDP):
            request = _request()
            build_body(INFO, key=key, binding=BINDING, sdp=sdp).apply(request)
            out.append(with_mode(0, _body_part(request)))
    request = _request()
    build_body(None, key=None, binding=None, sdp=SDP).apply(request)
    out.append(with_mode(0, _body_part(request)))
    out.append(with_mode(1, info_entity(INFO)))
    out.append(with_mode(1, info_entity(McpttInfo(calling_user_id="tel:+1234"))))
    out.append(with_mode(2, info_codec.build(INFO)))
    return out


def _receive(data: bytes) -> None:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, body = data, b""
    try:
        fields = parse_header_lines(head)
    except SipParseError:
        return  # not a header block: the SIP parser refuses the whole message first
    request = _request()
    for field in fields:
        request.headers.append_field(field)
    request.set_body(body)
    try:
        received = read_body(request)
        part = received.info_part
        if part is None:
            return
        if not part.protected:
            read_clear(part)
            return
        key_id_of(part)
        open_info(part, key_lookup=lambda key_id: CEK if key_id == KEY.key_id else None,
                  guard=smime.ReplayGuard(POLICY), binding=BINDING)
    except BodyError:
        pass


def _sealed(entity: bytes) -> None:
    stamp = smime.ReplayStamp.new(context=BINDING.context())
    der = smime.seal(entity, cek=CEK, key_id=key_id_bytes(KEY.key_id), replay_stamp=stamp)
    try:
        open_info(SensitivePart(True, der), key_lookup=lambda key_id: CEK, guard=smime.ReplayGuard(POLICY),
                  binding=BINDING)
    except BodyError:
        pass


def _info(document: bytes) -> None:
    try:
        info = info_codec.parse(document)
    except BodyError:
        return
    assert info_codec.parse(info_codec.build(info)) == info


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 3)
    (_receive, _sealed, _info)[mode](rest)


def _receive_mutation(data, rng):
    return header_mutation(data, rng, NAMES, VALUES)


def _sealed_mutation(data, rng):
    return header_mutation(data, rng, NAMES, VALUES) if rng.random() < 0.4 else _xml_in_entity(data, rng)


def _xml_in_entity(data, rng):
    head, _, body = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + xml_mutation(body, rng, INFO_NAMES)


INFO_NAMES = [name for element, value in info_codec.FIELDS.values() for name in (element, value)] + [
    "mcpttinfo", "mcptt-Params"]


def _body_der_mutation(data, rng):
    head, _, body = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + der_mutation(body, rng)


HARNESS = Harness(
    name="mcptt_body",
    decoder="mcsec.impl.mcptt.body read_body, key_id_of, open_info (with sealed hostile entities), "
            "read_clear, mcptt.info.parse",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([mixed(_receive_mutation, _body_der_mutation, bytes_mutator(TOKENS)),
                          mixed(_sealed_mutation, bytes_mutator(TOKENS)),
                          lambda d, r: xml_mutation(d, r, INFO_NAMES)], bytes_mutator(TOKENS)),
    tokens=TOKENS,
)
