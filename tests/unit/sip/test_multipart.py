"""multipart/mixed bodies: parsing parts with their own headers, building, errors."""

from __future__ import annotations

import pytest

from mcsec.impl.sip import BodyPart, Headers, MalformedMultipart, build_multipart, parse_message, parse_multipart

from .samples import join

SMIME = bytes(range(256)) + b"\r\n--not-the-boundary\r\n"
BODY = (b"preamble text\r\n"
        b"--boundary42\r\n"
        b"Content-Type: application/sdp\r\n"
        b"\r\n"
        b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"
        b"\r\n--boundary42  \r\n"
        b"Content-Type: application/pkcs7-mime;smime-type=enveloped-data;name=smime.p7m\r\n"
        b"Content-Disposition: attachment;handling=required\r\n"
        b"\r\n" + SMIME +
        b"\r\n--boundary42\r\n"
        b"\r\n"
        b"no headers here"
        b"\r\n--boundary42--\r\n"
        b"epilogue")


def test_parse_parts_with_their_headers() -> None:
    mp = parse_multipart('multipart/mixed; boundary="boundary42"', BODY)
    assert mp.boundary == "boundary42"
    assert [p.body for p in mp.parts] == [b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", SMIME, b"no headers here"]
    first, second, third = mp.parts
    assert first.content_type is not None and first.content_type.mime_type == "application/sdp"
    assert second.content_type is not None and second.content_type.param("smime-type") == "enveloped-data"
    assert second.headers.get("Content-Disposition") == "attachment;handling=required"
    assert len(third.headers) == 0
    assert mp.preamble == b"preamble text" and mp.epilogue == b"epilogue"


def test_build_then_parse_round_trip() -> None:
    parts = [BodyPart(Headers([("Content-Type", "application/mikey")]), b"\x01\x00\x1a" * 10),
             BodyPart(Headers([("Content-Type", "application/pkcs7-mime;smime-type=authEnveloped-data")]),
                      SMIME)]
    content_type, body = build_multipart(parts)
    assert content_type.startswith("multipart/mixed;boundary=")
    parsed = parse_multipart(content_type, body)
    assert [p.body for p in parsed.parts] == [p.body for p in parts]
    assert [p.headers for p in parsed.parts] == [p.headers for p in parts]


def test_build_with_given_boundary_and_in_a_message() -> None:
    content_type, body = build_multipart([BodyPart(Headers([("Content-Type", "text/plain")]), b"hi")],
                                         boundary="simple")
    assert content_type == "multipart/mixed;boundary=simple"
    assert body == b"--simple\r\nContent-Type: text/plain\r\n\r\nhi\r\n--simple--\r\n"
    data = join(b"MESSAGE sip:b@example.org SIP/2.0", b"Via: SIP/2.0/UDP h;branch=z9hG4bK1",
                b"From: <sip:a@example.org>;tag=1", b"To: <sip:b@example.org>", b"Call-ID: c",
                b"CSeq: 1 MESSAGE", b"Content-Type: " + content_type.encode(),
                b"Content-Length: %d" % len(body), body=body)
    message = parse_message(data)
    assert message.content_type is not None
    assert parse_multipart(message.content_type, message.body).parts[0].body == b"hi"


def test_build_quotes_boundary_when_needed_and_rejects_collisions() -> None:
    content_type, _ = build_multipart([BodyPart(body=b"x")], boundary="a b")
    assert content_type.endswith('boundary="a b"')
    with pytest.raises(ValueError):
        build_multipart([BodyPart(body=b"--clash")], boundary="clash")
    with pytest.raises(ValueError):
        build_multipart([])


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b"--b\r\n\r\nx\r\n--b--"),
    ("multipart/mixed", b"--b\r\n\r\nx\r\n--b--"),
    ("multipart/mixed;boundary=b", b"no delimiter at all"),
    ("multipart/mixed;boundary=b", b"--b\r\n\r\nx\r\n--b"),  # no close delimiter
    ("multipart/mixed;boundary=b", b"--b\r\nBad Header\r\n\r\nx\r\n--b--"),
    ("multipart/mixed;boundary=b", b"--b\r\nContent-Type: x/y\r\nbody without empty line\r\n--b--"),
    ("multipart/mixed;boundary=b", b"--bjunk\r\n\r\nx\r\n--b--"),
    ("multipart/mixed;boundary=b", b"--b--"),
    ("multipart/mixed;boundary=" + "x" * 71, b"--x\r\n\r\nx\r\n--x--"),
    ("multipart/", b""),
])
def test_malformed_multipart(content_type: str, body: bytes) -> None:
    with pytest.raises(MalformedMultipart) as info:
        parse_multipart(content_type, body)
    assert info.value.status == 400
