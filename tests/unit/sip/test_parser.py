"""Parser and serializer: valid messages, compact forms, folding, lists, Content-Length, round trips."""

from __future__ import annotations

import pytest

from mcsec.impl.sip import (
    ContentLengthMismatch,
    Headers,
    MissingContentLength,
    Request,
    Response,
    SipUri,
    parse_message,
)
from mcsec.impl.sip.header_values import parse_cseq, parse_name_address, parse_via
from mcsec.impl.sip.headers import canonical_name, header_key
from mcsec.impl.sip.uri import AbsoluteUri, parse_uri

from .samples import INVITE_COMPACT, MESSAGE_REQUEST, RESPONSE_200, join, request


def test_request_fields() -> None:
    msg = parse_message(MESSAGE_REQUEST)
    assert isinstance(msg, Request)
    assert (msg.method, msg.uri, msg.version) == ("MESSAGE", "sip:mcptt-server@example.org", "SIP/2.0")
    assert msg.call_id == "a84b4c76e66710@pc33.example.org"
    assert (msg.cseq.seq, msg.cseq.method) == (314159, "MESSAGE")
    assert msg.from_.display_name == "Alice"
    assert msg.from_.tag == "1928301774"
    assert msg.to.tag is None
    assert msg.max_forwards == 70
    assert msg.content_length == 11
    assert msg.content_type is not None and msg.content_type.mime_type == "text/plain"
    assert msg.body == b"hello world"
    via = msg.top_via
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "192.0.2.10", 5060, "z9hG4bK776asdhds")
    assert via.wants_rport and via.rport is None


def test_response_fields() -> None:
    msg = parse_message(RESPONSE_200)
    assert isinstance(msg, Response)
    assert (msg.status, msg.reason) == (200, "OK")
    assert msg.is_final and msg.is_success and not msg.is_provisional
    assert msg.to.tag == "a6c85cf"
    assert msg.top_via.received == "192.0.2.99"
    assert msg.top_via.rport == 5062


def test_status_line_reason_may_contain_spaces_or_be_empty() -> None:
    base = RESPONSE_200.replace(b"SIP/2.0 200 OK", b"SIP/2.0 480 Temporarily  Unavailable now")
    msg = parse_message(base)
    assert isinstance(msg, Response) and msg.reason == "Temporarily  Unavailable now"
    empty = parse_message(RESPONSE_200.replace(b"SIP/2.0 200 OK", b"SIP/2.0 200 "))
    assert isinstance(empty, Response) and empty.reason == ""


def test_compact_forms_are_normalised_on_lookup() -> None:
    msg = parse_message(INVITE_COMPACT)
    for compact, full in [("i", "Call-ID"), ("f", "From"), ("t", "To"), ("m", "Contact"),
                          ("c", "Content-Type"), ("l", "Content-Length"), ("v", "Via")]:
        assert msg.headers.get(compact) == msg.headers.get(full) == msg.headers.get(full.upper())
        assert compact in msg.headers and full.lower() in msg.headers
    assert header_key("k") == "supported" and header_key("e") == "content-encoding"
    assert header_key("s") == "subject" and header_key("o") == "event"
    assert canonical_name("i") == "Call-ID" and canonical_name("cseq") == "CSeq"
    # original spelling stays available
    assert [f.name for f in msg.headers][:2] == ["v", "Via"]


def test_folding_joins_continuation_lines() -> None:
    msg = parse_message(INVITE_COMPACT)
    assert msg.headers.get("Subject") == "a folded subject line"
    assert [v.branch for v in msg.vias] == ["z9hG4bK74bf9", "z9hG4bKnashds8", "z9hG4bKfolded"]


def test_multiple_via_in_one_line_and_several_lines() -> None:
    msg = parse_message(INVITE_COMPACT)
    vias = msg.vias
    assert len(vias) == 3
    assert msg.headers.count("Via") == 2
    assert vias[1].transport == "TCP" and vias[1].host == "proxy.example.com" and vias[1].port is None
    assert vias[1].received == "192.0.2.5"
    assert msg.top_via == vias[0]


def test_display_name_with_escaped_quotes() -> None:
    msg = parse_message(INVITE_COMPACT)
    assert msg.from_.display_name == 'Alice "A." Liddell'
    assert msg.to.display_name == "Bob"
    contact = msg.contacts[0]
    assert isinstance(contact.uri, SipUri) and contact.uri.transport == "udp"


def test_binary_body_is_preserved_exactly() -> None:
    msg = parse_message(INVITE_COMPACT)
    assert msg.body == b"\x00\r\n\r\n\xff\xfe\x01"


@pytest.mark.parametrize("sample", [MESSAGE_REQUEST, INVITE_COMPACT, RESPONSE_200])
def test_round_trip_is_byte_exact(sample: bytes) -> None:
    msg = parse_message(sample)
    assert msg.to_bytes() == sample
    again = parse_message(msg.to_bytes(normalize=True))
    assert again.headers == msg.headers and again.body == msg.body


def test_normalized_output_unfolds() -> None:
    out = parse_message(INVITE_COMPACT).to_bytes(normalize=True)
    assert b"Subject: a folded subject line\r\n" in out
    assert b"\r\n\t" not in out.split(b"\r\n\r\n")[0]


def test_leading_crlf_is_ignored() -> None:
    msg = parse_message(b"\r\n\r\n" + MESSAGE_REQUEST)
    assert isinstance(msg, Request) and msg.method == "MESSAGE"


def test_datagram_without_content_length_takes_rest() -> None:
    data = request(b"MESSAGE sip:x@example.org SIP/2.0", b"Content-Type: text/plain",
                   cseq=b"CSeq: 1 MESSAGE", body=b"all of it", length=False)
    assert parse_message(data).body == b"all of it"
    with pytest.raises(MissingContentLength):
        parse_message(data, stream=True)


def test_datagram_surplus_bytes_discarded_unless_strict() -> None:
    data = request(b"MESSAGE sip:x@example.org SIP/2.0", b"Content-Type: text/plain",
                   cseq=b"CSeq: 1 MESSAGE", body=b"abc") + b"junk"
    assert parse_message(data).body == b"abc"
    with pytest.raises(ContentLengthMismatch):
        parse_message(data, strict_length=True)
    with pytest.raises(ContentLengthMismatch):
        parse_message(data, stream=True)


def test_serializer_adds_content_length_only_when_absent() -> None:
    req = Request(method="OPTIONS", uri="sip:x@example.org", headers=Headers([("Call-ID", "1")]),
                  body=b"")
    assert req.to_bytes().endswith(b"Call-ID: 1\r\nContent-Length: 0\r\n\r\n")
    req.headers.add("Content-Length", "99")  # deliberately wrong, kept as is
    assert b"Content-Length: 99\r\n" in req.to_bytes() and b"Content-Length: 0" not in req.to_bytes()
    req.set_body(b"xyz", "text/plain")
    assert req.content_length == 3 and req.to_bytes().endswith(b"\r\n\r\nxyz")


def test_headers_api() -> None:
    h = Headers([("Via", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2"),
                 ("v", "SIP/2.0/UDP c;branch=z9hG4bK3"), ("To", "<sip:x@y>")])
    assert h.get_list("via") == ["SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/UDP b;branch=z9hG4bK2",
                                 "SIP/2.0/UDP c;branch=z9hG4bK3"]
    h.prepend("Via", "SIP/2.0/TCP top;branch=z9hG4bK0")
    assert h.get_list("Via")[0].startswith("SIP/2.0/TCP top")
    assert h.pop_first_element("Via") == "SIP/2.0/TCP top;branch=z9hG4bK0"
    assert h.pop_first_element("Via") == "SIP/2.0/UDP a;branch=z9hG4bK1"
    assert h.get_all("Via") == ["SIP/2.0/UDP b;branch=z9hG4bK2", "SIP/2.0/UDP c;branch=z9hG4bK3"]
    h.set("t", "<sip:z@y>")
    assert h.get("To") == "<sip:z@y>" and h.fields[-1].name == "To"
    assert h.remove("VIA") == 2 and "Via" not in h
    with pytest.raises(ValueError):
        h.add("X-Bad", "a\r\nInjected: 1")
    with pytest.raises(ValueError):
        h.add("Bad Name", "x")


def test_list_split_respects_quotes_and_brackets() -> None:
    h = Headers([("Contact", '"Smith, J" <sip:j@x;a=1,2>;q=0.5, <sip:k@y>')])
    assert h.get_list("m") == ['"Smith, J" <sip:j@x;a=1,2>;q=0.5', "<sip:k@y>"]


def test_name_addr_and_addr_spec_parameters() -> None:
    # addr-spec form: parameters after the URI belong to the header, not the URI
    addr = parse_name_address("sip:alice@example.org;tag=88sja8x")
    assert addr.tag == "88sja8x" and isinstance(addr.uri, SipUri) and addr.uri.params == ()
    # name-addr form: URI parameters stay inside <>
    addr = parse_name_address("Bob Smith <sip:bob@example.org;user=phone>;tag=x;expires=60")
    assert addr.display_name == "Bob Smith"
    assert isinstance(addr.uri, SipUri) and addr.uri.param("user") == "phone"
    assert (addr.tag, addr.param("expires")) == ("x", "60")
    assert str(addr.with_tag("new")) == '"Bob Smith" <sip:bob@example.org;user=phone>;tag=new;expires=60'
    tel = parse_name_address("<tel:+15551234567>")
    assert isinstance(tel.uri, AbsoluteUri) and tel.uri.scheme == "tel"
    assert parse_name_address("*").wildcard


def test_via_variants() -> None:
    via = parse_via("SIP / 2.0 / TCP [2001:db8::1]:5061 ;branch=z9hG4bKx;received=2001:db8::9;rport=7")
    assert (via.transport, via.host, via.port) == ("TCP", "[2001:db8::1]", 5061)
    assert via.received == "2001:db8::9" and via.rport == 7
    assert str(via.with_param("received", "192.0.2.1")).startswith("SIP/2.0/TCP [2001:db8::1]:5061")


def test_cseq_and_uri() -> None:
    assert parse_cseq("  4711   INVITE ").seq == 4711
    uri = parse_uri("sips:alice:secret@[::1]:5061;transport=tcp;lr?subject=hi")
    assert isinstance(uri, SipUri)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == ("sips", "alice", "secret", "[::1]", 5061)
    assert uri.param("lr") == "" and uri.headers == "subject=hi"
    assert str(uri) == "sips:alice:secret@[::1]:5061;transport=tcp;lr?subject=hi"


def test_version_case_insensitive_is_kept() -> None:
    msg = parse_message(request(b"OPTIONS sip:bob@example.org sip/2.0"))
    assert msg.version == "sip/2.0" and msg.to_bytes().startswith(b"OPTIONS sip:bob@example.org sip/2.0")


def test_unknown_method_and_extension_headers() -> None:
    data = request(b"FOO sip:bob@example.org SIP/2.0", b"X-Weird:   spaced value  ", cseq=b"CSeq: 1 FOO")
    msg = parse_message(data)
    assert isinstance(msg, Request) and msg.method == "FOO"
    assert msg.headers.get("x-weird") == "spaced value"
    assert parse_message(join(b"SIP/2.0 100 Trying", *(line for line in data.split(b"\r\n")[1:6])))
