"""SIP messages: ``parse_message`` as a datagram, off a stream or with strict lengths (the first
octet chooses; the rest is the message).

A refusal must be a :class:`SipParseError` carrying a 4xx/5xx status and a one-line reason, and
``make_error_response`` must build the answer (or decline to) without failing. A message that
parses must give its typed headers (Call-ID, CSeq, From, To, Via, Max-Forwards, Content-*), must
serialise to bytes that parse to the same message, and a request must be answerable with
``make_response`` by a response that parses in turn.
"""
from __future__ import annotations

from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import (
    InvalidHeaderValue,
    Request,
    SipParseError,
    make_error_response,
    make_request,
    make_response,
    parse_message,
)
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, header_mutation, mixed
from tests.unit.sip.samples import INVITE_COMPACT, MESSAGE_REQUEST, RESPONSE_200

HEADER_NAMES = [b"Via", b"v", b"From", b"f", b"To", b"t", b"Call-ID", b"i", b"CSeq", b"Max-Forwards",
                b"Content-Length", b"l", b"Content-Type", b"c", b"Contact", b"m", b"Route", b"Record-Route",
                b"Content-Disposition", b"P-Asserted-Identity", b"X y", b"", b" Via", b"Via\t"]
HEADER_VALUES = [
    b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx", b"SIP/2.0/TCP [2001:db8::1]:5061;rport;received=::1",
    b"SIP/2.0/UDP h;ttl=\xc2\xb2", b"SIP/2.0/UDP h:\xc2\xb2", b"SIP / 2.0 / UDP h ; branch = x",
    b"<sip:a@b>;tag=1", b'"A \\"q\\"" <sip:a@b:5060;transport=tcp?x=y>;tag=2', b"sip:a@b;tag=3",
    b"<sip:a@b:99999>", b"<sip:a@[::1>", b"<tel:+1234>", b"*", b"1 MESSAGE", b"4294967296 MESSAGE",
    b"\xd9\xa1 MESSAGE", b"1 INVITE", b"70", b"256", b"-1", b"0", b"99999999999", b"text/plain",
    b"multipart/mixed;boundary=b", b"application/pkcs7-mime; smime-type=authEnveloped-data",
    b'text/plain;charset="utf', b"", b"\xff\xfe", b"a, b, c", b"<sip:x@y>, <sip:z@w>",
]
TOKENS = tuple(HEADER_NAMES[:18]) + (b"SIP/2.0", b"\r\n", b"\r\n\r\n", b": ", b";branch=z9hG4bK", b";tag=",
                                     b"<sip:", b"sips:", b"@", b"[::1]", b";rport", b";received=", b"\t",
                                     b"\r\n ", b"MESSAGE", b"INVITE", b"ACK", b"SIP/2.0 200 OK")


OPTIONS = ({}, {"stream": True}, {"strict_length": True})


def seeds() -> list[bytes]:
    return [with_mode(mode, message) for message in messages() for mode in range(len(OPTIONS))]


def messages() -> list[bytes]:
    out = [MESSAGE_REQUEST, INVITE_COMPACT, RESPONSE_200]
    info = McpttInfo(request_uri="sip:mcptt-as@example.org", calling_user_id="sip:alice@example.org")
    key = SealingKey(0x2A000001, bytes(range(16)))
    for method, sdp in (("MESSAGE", None), ("INVITE", b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n")):
        request = make_request(method, "sip:mcptt-as@example.org", from_="<sip:alice@example.org>",
                               to="<sip:mcptt-as@example.org>", call_id="fuzz-1@example.org", cseq=7,
                               via="SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKfuzz;rport",
                               contact="<sip:alice@192.0.2.10:5060;transport=tcp>",
                               headers=[("P-Asserted-Identity", "<sip:alice@example.org>")])
        body = build_body(info, key=key, binding=SipBinding.of_request(request), sdp=sdp)
        assert body is not None
        body.apply(request)
        out.append(request.to_bytes())
        response = make_response(request, 200, to_tag="t1")
        build_body(info, key=key, binding=SipBinding.of_response(response), sdp=sdp).apply(response)
        out.append(response.to_bytes())
    return out


def _check_refusal(error: SipParseError) -> None:
    assert 400 <= error.status <= 599, error.status
    assert "\r" not in error.reason and "\n" not in error.reason
    answer = make_error_response(error)
    if answer is not None:
        answer.to_bytes()


def _use(message) -> None:
    """Read what the roles read of a parsed message; none of it may fail."""
    message.call_id
    message.cseq
    message.from_
    message.to
    top = message.top_via
    top.branch, top.rport, top.wants_rport, top.sent_by
    message.vias
    message.max_forwards
    message.content_length
    message.content_type
    try:
        message.contacts  # not checked by the parser: its own typed error
    except InvalidHeaderValue:
        pass


def _parse(data: bytes, **options: bool) -> None:
    try:
        message = parse_message(data, **options)
    except SipParseError as error:
        _check_refusal(error)
        return
    _use(message)
    wire = message.to_bytes()
    again = parse_message(wire, **options)
    assert again.to_bytes() == wire and again.body == message.body
    if isinstance(message, Request) and message.method != "ACK":
        answer = make_response(message, 200, to_tag="fuzz")
        parse_message(answer.to_bytes())


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, len(OPTIONS))
    _parse(rest, **OPTIONS[mode])


def _message_mutation(data, rng):
    return header_mutation(data, rng, HEADER_NAMES, HEADER_VALUES)


HARNESS = Harness(
    name="sip_message",
    decoder="mcsec.impl.sip.parse_message (datagram, stream, strict length), make_error_response, "
            "make_response, the typed header accessors",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * len(OPTIONS), mixed(_message_mutation, bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
