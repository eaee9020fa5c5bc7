"""Exposure search over synthetic wire messages: every encoding and alignment, and near misses."""
from __future__ import annotations

import base64
import os

import pytest

from mcsec.fixtures.wire.capture import WireMessage
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.fixtures.wire.exposure import (
    Case,
    SensitiveValue,
    base64_fragments,
    check_protection,
    describe,
    find_exposures,
    search_bytes,
    unprotected,
)
from mcsec.impl.sip import BodyPart, Headers, build_multipart, make_request, parse_message
from mcsec.impl.smime import seal
from mcsec.impl.smime.mime import CONTENT_TYPE, encode_base64

MCPTT_ID = "sip:alice.mcptt@example.org"
GROUP_ID = "sip:fleet-7@mcptt.example.org"


def wire(body: bytes, *, content_type: str = "application/vnd.3gpp.mcptt-info+xml", point: str = SIP1,
         extra: list[tuple[str, str]] | None = None) -> WireMessage:
    request = make_request("MESSAGE", "sip:mcptt-as@example.org", from_="<sip:anonymous@anonymous.invalid>",
                           to="<sip:mcptt-as@example.org>", headers=[("Via", "SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bK1"),
                                                                      *(extra or [])],
                           body=body, content_type=content_type if body else None)
    raw = request.to_bytes()
    return WireMessage(1.0, "127.0.0.1:5", "127.0.0.1:5060", "udp", raw, parse_message(raw), None, point)


def encodings(text: str) -> list[str]:
    return [f.encoding for f in find_exposures([wire(text.encode())], [MCPTT_ID])]


def xml_body(inner: str) -> str:
    return f'<?xml version="1.0"?><mcpttinfo><mcptt-request-uri>{inner}</mcptt-request-uri></mcpttinfo>'


@pytest.mark.parametrize("inner, expected", [
    (MCPTT_ID, "plain"),
    ("SIP:alice.mcptt@EXAMPLE.ORG", "plain"),                       # scheme and host: any case
    ("sip:alice.mcptt&#64;example.org", "xml-escaped"),              # decimal reference
    ("sip:alice.mcptt&#x0040;example.org", "xml-escaped"),           # hex, leading zeros
    ("&#X73;&#X69;&#X70;:alice.mcptt@example.org", "xml-escaped"),   # upper-case X and digits
    ("".join(f"&#{ord(c)};" for c in MCPTT_ID), "xml-escaped"),      # every character escaped
    ("sip%3aalice.mcptt%40example.org", "percent-encoded"),          # reserved only, lower case
    ("".join(f"%{b:02X}" for b in MCPTT_ID.encode()), "percent-encoded"),  # every octet, upper case
    ("sip:%61lice.mcptt@example.org", "percent-encoded"),            # unreserved escaped in the user part
    ("sip:alice.mcptt&#37;40example.org", None),                     # XML-escaped percent sign: not decoded twice
])
def test_text_encodings_are_found(inner: str, expected: str | None) -> None:
    found = encodings(xml_body(inner))
    assert found == ([expected] if expected else [])


def test_the_named_entities_are_read() -> None:
    value = SensitiveValue('<a&b "c" \'d\'>', case=Case.EXACT)
    escaped = b"x &lt;a&amp;b &quot;c&quot; &apos;d&apos;&gt; y"
    assert [(e, o) for _, e, o in search_bytes(escaped, [value])] == [("xml-escaped", 2)]


@pytest.mark.parametrize("prefix_len", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("urlsafe", [False, True])
def test_base64_is_found_at_every_alignment_inside_a_longer_string(prefix_len: int, urlsafe: bool) -> None:
    data = os.urandom(prefix_len) + MCPTT_ID.encode() + os.urandom(7)
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data)
    hits = {e for _, e, _ in search_bytes(b"payload=" + encoded + b";", [MCPTT_ID])}
    alignment = prefix_len % 3
    assert any(h.endswith(f"(alignment {alignment})") for h in hits), hits


def test_base64_split_over_mime_lines_is_found() -> None:
    body = encode_base64(os.urandom(70) + MCPTT_ID.encode() + os.urandom(70))  # 76-character lines
    assert b"\r\n" in body
    msg = wire(body, content_type="application/octet-stream", extra=[("Content-Transfer-Encoding", "base64")])
    assert any(f.encoding.startswith("base64") for f in find_exposures([msg], [MCPTT_ID]))


def test_base64_fragments_cover_the_value_bits_only() -> None:
    value = b"alice"
    for align, fragment in base64_fragments(value):
        for filler in (b"\x00\x00\x00", b"\xff\xff\xff"):
            assert fragment in base64.b64encode(filler[:align] + value + filler)


@pytest.mark.parametrize("near_miss", [
    "sip:alice.mcptt@example.com",          # other host
    "sip:alice.mcpt@example.org",           # one character short
    "sip:Alice.mcptt@example.org",          # the user part is case-sensitive
    "sip:alice.mcptt%2540example.org",      # percent-encoded twice
    "sip:alice.mcptt&amp;#64;example.org",  # an escaped reference is not a reference
    "sip:alice.mcptt@@example.org",
])
def test_near_misses_are_not_findings(near_miss: str) -> None:
    assert encodings(xml_body(near_miss)) == []
    assert encodings(base64.b64encode(near_miss.encode()).decode()) == []


def test_near_miss_base64_is_not_a_finding() -> None:
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + b"sip:alicx.mcptt@example.org")
        assert search_bytes(encoded, [MCPTT_ID]) == []


def test_exact_values_and_labels() -> None:
    value = SensitiveValue("Fleet-7", label="group name")
    assert search_bytes(b"name=fleet-7", [value]) == []
    hits = find_exposures([wire(b"name=Fleet-7", point=SIP2)], [value])
    assert [(f.label, f.point, f.encoding) for f in hits] == [("group name", SIP2, "plain")]
    assert "group name 'Fleet-7' readable (plain) on SIP-2" in describe(hits)
    assert hits[0].first_line == "MESSAGE sip:mcptt-as@example.org SIP/2.0"
    raw = wire(b"name=Fleet-7").raw
    assert raw[hits[0].offset:hits[0].offset + 7] == b"Fleet-7"


def test_headers_are_searched_too() -> None:
    msg = wire(b"", extra=[("P-Asserted-Identity", f"<{GROUP_ID}>")])
    assert [f.value for f in find_exposures([msg], [MCPTT_ID, GROUP_ID])] == [GROUP_ID]


def test_unparsable_bytes_are_searched() -> None:
    junk = WireMessage(1.0, "a", "b", "tcp", b"\x00garbage " + MCPTT_ID.encode(), None, "incomplete", SIP1)
    assert [f.encoding for f in find_exposures([junk], [MCPTT_ID])] == ["plain"]


def test_protected_body_has_no_finding_and_passes_the_protection_check() -> None:
    der = seal(xml_body(MCPTT_ID).encode(), cek=os.urandom(16), key_id=b"kid-7")
    msg = wire(der, content_type=CONTENT_TYPE)
    assert find_exposures([msg], [MCPTT_ID, GROUP_ID]) == []
    check = check_protection(msg, key_id=b"kid-7")
    assert check.protected and check.key_id == b"kid-7", check.describe()
    wrong = check_protection(msg, key_id=b"kid-8")
    assert not wrong.protected and "6b69642d37" in (wrong.problem or "")


def test_protected_part_of_multipart_mixed() -> None:
    der = seal(b"secret", cek=os.urandom(16), key_id=b"kid-9")
    part_headers = Headers()
    part_headers.add("Content-Type", CONTENT_TYPE)
    part_headers.add("Content-Transfer-Encoding", "base64")
    sdp_headers = Headers()
    sdp_headers.add("Content-Type", "application/sdp")
    content_type, body = build_multipart([BodyPart(sdp_headers, b"v=0\r\n"),
                                          BodyPart(part_headers, encode_base64(der))])
    assert check_protection(wire(body, content_type=content_type)).key_id == b"kid-9"


@pytest.mark.parametrize("content_type, body, problem", [
    ("application/vnd.3gpp.mcptt-info+xml", b"<x/>", "not application/pkcs7-mime"),
    ("application/pkcs7-mime; smime-type=enveloped-data", None, "smime-type is enveloped-data"),
    ("application/pkcs7-mime", None, "smime-type is absent"),
    (CONTENT_TYPE, b"\x30\x03\x02\x01\x00", "not a CMS AuthEnvelopedData"),
])
def test_protection_problems_are_named(content_type: str, body: bytes | None, problem: str) -> None:
    der = body if body is not None else seal(b"x", cek=os.urandom(16), key_id=b"k")
    msg = wire(der, content_type=content_type)
    failed = unprotected([msg, wire(b"")])
    assert len(failed) == 1 and problem in (failed[0].problem or ""), failed[0].describe()
