"""SIP inputs the fuzz harnesses found: each is refused with its typed error and SIP answer."""
from __future__ import annotations

import pytest

from mcsec.impl.sip import InvalidHeaderValue, MalformedUri, make_error_response, parse_message, parse_uri
from mcsec.impl.sip.digest import Challenge, Credentials, Verifier, authorization
from mcsec.impl.sip.header_values import parse_via
from tests.fuzz import sip_message

@pytest.mark.parametrize("uri", ["sip:a:\u00b2", "sip:alice@example.org:\u0665\u0660\u0666\u0660"])
def test_a_port_of_non_ascii_digits_is_a_malformed_uri(uri):
    with pytest.raises(MalformedUri):
        parse_uri(uri)


def test_a_request_uri_with_a_non_ascii_digit_port_is_answered_400():
    data = "OPTIONS sip:bob@example.org:\u00b2 SIP/2.0\r\n".encode() + b"\r\n".join([
        b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx", b"From: <sip:a@example.org>;tag=1",
        b"To: <sip:bob@example.org>", b"Call-ID: c1", b"CSeq: 1 OPTIONS", b"", b""])
    with pytest.raises(MalformedUri) as refused:
        parse_message(data)
    answer = make_error_response(refused.value)
    assert answer is not None and answer.status == 400
    sip_message.HARNESS.one_input(data)


@pytest.mark.parametrize("via", ["SIP/2.0/UDP h;ttl=\u00b2", "SIP/2.0/UDP h;rport=\u0661",
                                 "SIP/2.0/UDP h:\u00b2;branch=z9hG4bK1"])
def test_via_parameters_of_non_ascii_digits_are_invalid(via):
    with pytest.raises(InvalidHeaderValue):
        parse_via(via)


@pytest.mark.parametrize("value", ['"unterminated <sip:a@b>', "<sip:a@b", "sip:a@b>", "<sip:a<@b>"])
def test_an_unsplittable_list_header_is_invalid(value):
    message = parse_message(b"\r\n".join([
        b"MESSAGE sip:b@example.org SIP/2.0", b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx",
        b"From: <sip:a@example.org>;tag=1", b"To: <sip:b@example.org>", b"Call-ID: c1", b"CSeq: 1 MESSAGE",
        b"Contact: " + value.encode(), b"", b""]))
    with pytest.raises(InvalidHeaderValue):
        message.contacts
    with pytest.raises(InvalidHeaderValue):
        message.headers.get_list("Contact")


def test_digest_credentials_with_a_non_ascii_response_do_not_verify():
    verifier = Verifier(realm="example.org")
    nonce = verifier.challenge(0.0).nonce
    header = authorization(Challenge("example.org", nonce), username="alice", password="pw", method="REGISTER",
                           uri="sip:example.org")
    hostile = Credentials.parse(header.replace('response="', 'response="\u00b2', 1))
    assert verifier.check(hostile, password="pw", method="REGISTER", now=1.0) is False
    assert verifier.check(Credentials.parse(header), password="pw", method="REGISTER", now=1.0) is True
