"""Sample SIP messages used across the SIP tests (written for this suite)."""

from __future__ import annotations

CRLF = b"\r\n"


def join(*lines: bytes, body: bytes = b"") -> bytes:
    """Header lines joined with CRLF, the empty line, then ``body``."""
    return CRLF.join(lines) + CRLF + CRLF + body


MESSAGE_REQUEST = join(
    b"MESSAGE sip:mcptt-server@example.org SIP/2.0",
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport",
    b"Max-Forwards: 70",
    b'From: "Alice" <sip:alice@example.org>;tag=1928301774',
    b"To: <sip:mcptt-server@example.org>",
    b"Call-ID: a84b4c76e66710@pc33.example.org",
    b"CSeq: 314159 MESSAGE",
    b"Content-Type: text/plain",
    b"Content-Length: 11",
    body=b"hello world",
)

# compact forms, folding, several Via in one line and in several lines, binary body
INVITE_COMPACT = join(
    b"INVITE sip:bob@biloxi.example.com SIP/2.0",
    b"v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9 , SIP/2.0/TCP proxy.example.com"
    b";branch=z9hG4bKnashds8;received=192.0.2.5",
    b"Via: SIP/2.0/UDP 10.0.0.1",
    b"   ;branch=z9hG4bKfolded",
    b"Max-Forwards: 69",
    b'f: "Alice \\"A.\\" Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    b"t: Bob <sip:bob@biloxi.example.com>",
    b"i: 3848276298220188511@atlanta.example.com",
    b"CSeq: 2 INVITE",
    b"m: <sip:alice@192.0.2.1;transport=udp>",
    b"Subject: a folded",
    b"\tsubject line",
    b"c: application/octet-stream",
    b"l: 8",
    body=b"\x00\r\n\r\n\xff\xfe\x01",
)

RESPONSE_200 = join(
    b"SIP/2.0 200 OK",
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5062;received=192.0.2.99",
    b'From: "Alice" <sip:alice@example.org>;tag=1928301774',
    b"To: <sip:mcptt-server@example.org>;tag=a6c85cf",
    b"Call-ID: a84b4c76e66710@pc33.example.org",
    b"CSeq: 314159 MESSAGE",
    b"Content-Length: 0",
)

MANDATORY = [
    b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmand",
    b"From: <sip:alice@example.org>;tag=abc",
    b"To: <sip:bob@example.org>",
    b"Call-ID: mand@example.org",
]


def request(start: bytes = b"OPTIONS sip:bob@example.org SIP/2.0", *extra: bytes,
            cseq: bytes = b"CSeq: 1 OPTIONS", body: bytes = b"", length: bool = True) -> bytes:
    """A small valid request (mandatory headers present) with ``extra`` header lines."""
    lines = [start, *MANDATORY, cseq, *extra]
    if length:
        lines.append(b"Content-Length: %d" % len(body))
    return join(*lines, body=body)
