"""Structured SIP header values and URIs, one parser per input chosen by the first octet.

``parse_uri`` refuses with :class:`MalformedUri`; ``parse_via``, ``parse_name_address``,
``parse_cseq``, ``parse_media_type``, ``parse_content_length`` and ``parse_max_forwards`` with
:class:`InvalidHeaderValue`; ``Headers.get_list`` (list headers such as Contact and Route) with
:class:`InvalidHeaderValue`; the Digest ``Challenge.parse`` / ``Credentials.parse`` with
:class:`DigestError`, and ``Verifier.check`` answers true or false for any credentials. What parses
serialises to text that parses to the same value.
"""
from __future__ import annotations

import random

from mcsec.impl.sip import Headers, InvalidHeaderValue, MalformedUri, parse_uri
from mcsec.impl.sip.digest import Challenge, Credentials, DigestError, Verifier, authorization
from mcsec.impl.sip.header_values import (
    parse_content_length,
    parse_cseq,
    parse_max_forwards,
    parse_media_type,
    parse_name_address,
    parse_via,
)
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import EDGE_TEXT, bytes_mutator

_VERIFIER = Verifier(realm="example.org")
_NONCE = _VERIFIER.challenge(0.0).nonce

SAMPLES: dict[str, list[str]] = {
    "uri": ["sip:alice@example.org", "sips:bob:pw@[2001:db8::1]:5061;transport=tls;lr?subject=x%20y",
            "sip:192.0.2.1:5060;maddr=10.0.0.1", "tel:+1-555-0100", "urn:service:sos", "sip:h.example.org."],
    "via": ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport=5062;received=192.0.2.9",
            "SIP / 2.0 / TCP host.example.org ;branch=z9hG4bK1;ttl=16", "SIP/2.0/TLS [::1]:5061;rport"],
    "name_address": ['"Alice \\"A\\"" <sip:alice@example.org>;tag=12', "sip:bob@example.org;tag=3",
                     "Bob <sips:bob@example.org:5061;transport=tcp>;expires=60", "*", "<tel:+1234>;x"],
    "cseq": ["1 INVITE", "2147483647 MESSAGE", "  7\tACK "],
    "media_type": ["application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m",
                   'multipart/mixed;boundary="a b"', "text/plain"],
    "content_length": ["0", "  12 ", "9999999999"],
    "max_forwards": ["70", "0", "255"],
    "list": ["<sip:a@b>;expires=3, \"x, y\" <sip:c@d>", "<sip:p1.example.org;lr>,<sip:p2.example.org;lr>"],
    "challenge": ['Digest realm="example.org", nonce="abc", algorithm=SHA-256, qop="auth", opaque="o"',
                  'Digest realm="r",nonce="n",qop="auth,auth-int",algorithm=MD5'],
    "credentials": [authorization(Challenge("example.org", _NONCE), username="alice", password="pw",
                                  method="REGISTER", uri="sip:example.org")],
}
MODES = list(SAMPLES)
TOKENS = (b"sip:", b"sips:", b"@", b":", b";", b",", b"<", b">", b'"', b"\\", b"[", b"]", b"%", b"?", b"=",
          b"SIP/2.0/", b";branch=", b";received=", b";rport", b";ttl=", b";tag=", b"Digest ", b'="',
          "\u00b2".encode(), "\u0661".encode(), b"\t", b" ")


def seeds() -> list[bytes]:
    return [with_mode(MODES.index(kind), text.encode()) for kind in MODES for text in SAMPLES[kind]]


def _uri(text: str) -> None:
    try:
        uri = parse_uri(text)
    except MalformedUri:
        return
    assert parse_uri(str(uri)) == uri


def _via(text: str) -> None:
    try:
        via = parse_via(text)
    except InvalidHeaderValue:
        return
    via.rport, via.branch, via.received, via.wants_rport, via.sent_by
    assert parse_via(str(via)) == via


def _name_address(text: str) -> None:
    try:
        address = parse_name_address(text, header="To")
    except InvalidHeaderValue:
        return
    address.tag
    assert parse_name_address(str(address), header="To") == address


def _simple(parse, text: str) -> None:
    try:
        value = parse(text)
    except InvalidHeaderValue:
        return
    assert parse(str(value)) == value


def _list(text: str) -> None:
    headers = Headers([("Contact", "<sip:first@example.org>")])
    headers.add("Contact", text.replace("\r", " ").replace("\n", " "))  # the parser refuses CR and LF
    try:
        elements = headers.get_list("Contact")
    except InvalidHeaderValue:
        return
    for element in elements:
        try:
            parse_name_address(element, header="Contact")
        except InvalidHeaderValue:
            pass
    headers.pop_first_element("Contact")


def _challenge(text: str) -> None:
    try:
        challenge = Challenge.parse(text)
    except DigestError:
        return
    Challenge.parse(challenge.header())


def _credentials(text: str) -> None:
    try:
        credentials = Credentials.parse(text)
    except DigestError:
        return
    # a fresh copy each time, so a lucky match does not use the nonce up
    verifier = Verifier(realm="example.org", _nonces={_NONCE: 0.0})
    assert verifier.check(credentials, password="pw", method="REGISTER", now=1.0) in (True, False)


PARSERS = {
    "uri": _uri, "via": _via, "name_address": _name_address,
    "cseq": lambda t: _simple(parse_cseq, t), "media_type": lambda t: _simple(parse_media_type, t),
    "content_length": lambda t: _simple(parse_content_length, t),
    "max_forwards": lambda t: _simple(parse_max_forwards, t),
    "list": _list, "challenge": _challenge, "credentials": _credentials,
}


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, len(MODES))
    # header values reach these parsers as text decoded from UTF-8 (the parser refuses the rest)
    PARSERS[MODES[mode]](rest.decode("utf-8", errors="replace"))


def _edge(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    cut = rng.randint(0, len(text))
    return (text[:cut] + rng.choice(EDGE_TEXT) + text[cut + rng.randint(0, 3):]).encode("utf-8", "surrogatepass")


HARNESS = Harness(
    name="sip_header_values",
    decoder="mcsec.impl.sip parse_uri, parse_via, parse_name_address, parse_cseq, parse_media_type, "
            "parse_content_length, parse_max_forwards, Headers.get_list, digest Challenge/Credentials/Verifier",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * len(MODES), lambda d, r: _edge(d, r) if r.random() < 0.5
                         else bytes_mutator(TOKENS)(d, r)),
    tokens=TOKENS,
)
