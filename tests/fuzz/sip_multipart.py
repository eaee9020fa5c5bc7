"""``multipart/*`` bodies: ``parse_multipart(content_type, body)``.

The input is the Content-Type value, a line feed, then the body. A refusal is
:class:`MalformedMultipart`; the parts of a body that splits give their Content-Type or
:class:`InvalidHeaderValue`, and rebuilding them with ``build_multipart`` gives a body that splits
into the same parts.
"""
from __future__ import annotations

from mcsec.impl.sip import BodyPart, Headers, InvalidHeaderValue, MalformedMultipart, build_multipart, parse_multipart
from tests.fuzz.harness import Harness
from tests.fuzz.mutators import bytes_mutator, header_mutation, mixed

TOKENS = (b"--", b"\r\n", b"\r\n\r\n", b"boundary=", b'boundary="', b"multipart/mixed;", b"Content-Type: ",
          b"Content-Disposition: ", b"--b", b"--b--", b"\r\n--b\r\n", b" \t", b"\n")


def seeds() -> list[bytes]:
    parts = [BodyPart(Headers([("Content-Type", "application/sdp")]), b"v=0\r\n"),
             BodyPart(Headers([("Content-Type", "application/pkcs7-mime; smime-type=authEnveloped-data"),
                               ("Content-Disposition", "attachment; handling=required")]), bytes(range(40))),
             BodyPart(Headers(), b"no headers")]
    out = []
    for boundary in (None, "b", "a b'()+_,-./:=?"):
        content_type, body = build_multipart(parts, boundary=boundary)
        out.append(content_type.encode() + b"\n" + body)
    out.append(b"multipart/alternative; boundary=x\npreamble\r\n--x\r\n\r\nonly\r\n--x--\r\nepilogue")
    return out


def one_input(data: bytes) -> None:
    head, _, body = data.partition(b"\n")
    content_type = head.decode("utf-8", errors="replace")
    try:
        result = parse_multipart(content_type, body)
    except MalformedMultipart:
        return
    assert result.parts
    for part in result.parts:
        try:
            part.content_type
        except InvalidHeaderValue:
            pass
    try:
        rebuilt_type, rebuilt = build_multipart(result.parts, boundary=result.boundary)
    except ValueError:
        return  # a part holds the boundary (possible once a part lost its CRLF): not rebuildable
    again = parse_multipart(rebuilt_type, rebuilt)
    assert [(p.headers, p.body) for p in again.parts] == [(p.headers, p.body) for p in result.parts]


def _body_mutation(data, rng):
    head, _, body = data.partition(b"\n")
    return head + b"\n" + header_mutation(body, rng, [b"Content-Type", b"Content-Disposition", b"--b"],
                                          [b"text/plain", b"", b"--b", b"\xff"])


HARNESS = Harness(
    name="sip_multipart",
    decoder="mcsec.impl.sip.parse_multipart (Content-Type value and body), build_multipart round trip",
    one_input=one_input,
    seeds=seeds,
    mutate=mixed(_body_mutation, bytes_mutator(TOKENS)),
    tokens=TOKENS,
)
