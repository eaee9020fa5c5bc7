"""Malformed messages in the spirit of RFC 4475 (written for this suite): each must raise the right
error type, carry the right status, and be answered when the headers allow it."""

from __future__ import annotations

import pytest

from mcsec.impl.sip import (
    ContentLengthMismatch,
    CSeqMethodMismatch,
    IncompleteMessage,
    InvalidEncoding,
    InvalidHeaderValue,
    MalformedHeader,
    MalformedStartLine,
    MalformedUri,
    MessageTooLarge,
    MissingContentLength,
    MissingHeader,
    SipParseError,
    UnsupportedVersion,
    make_error_response,
    parse_message,
)
from mcsec.impl.sip.errors import MalformedMultipart

from .samples import MANDATORY, join, request

OPT = b"OPTIONS sip:bob@example.org SIP/2.0"


def without(prefix: bytes) -> list[bytes]:
    return [line for line in MANDATORY if not line.startswith(prefix)]


# (id, bytes, error type, status, answerable)
CASES: list[tuple[str, bytes, type[SipParseError], int, bool]] = [
    ("space-in-request-uri", request(b"OPTIONS sip:bob @example.org SIP/2.0"), MalformedStartLine, 400, False),
    ("double-space-request-line", request(b"OPTIONS  sip:bob@example.org SIP/2.0"), MalformedStartLine,
     400, False),
    ("no-version", request(b"OPTIONS sip:bob@example.org"), MalformedStartLine, 400, False),
    ("version-7", request(b"OPTIONS sip:bob@example.org SIP/7.0"), UnsupportedVersion, 505, True),
    ("version-garbage", request(b"OPTIONS sip:bob@example.org SIP/2.x"), MalformedStartLine, 400, True),
    ("method-not-token", request(b"OPT<IONS sip:bob@example.org SIP/2.0"), MalformedStartLine, 400,
     False),
    ("bad-ruri-port", request(b"OPTIONS sip:bob@example.org:99999 SIP/2.0"), MalformedUri, 400, True),
    ("bad-ruri-ipv4", request(b"OPTIONS sip:bob@300.1.1.1 SIP/2.0"), MalformedUri, 400, True),
    ("ruri-no-scheme", request(b"OPTIONS bob@example.org SIP/2.0"), MalformedUri, 400, True),
    ("ruri-bad-escape", request(b"OPTIONS sip:b%zzob@example.org SIP/2.0"), MalformedUri, 400, True),
    ("status-code-4-digits", join(b"SIP/2.0 2000 OK", *MANDATORY, b"CSeq: 1 OPTIONS"),
     MalformedStartLine, 400, False),
    ("status-code-out-of-range", join(b"SIP/2.0 099 Odd", *MANDATORY, b"CSeq: 1 OPTIONS"),
     MalformedStartLine, 400, False),
    ("empty-start-line", join(b"", *MANDATORY), MalformedStartLine, 400, False),
    ("missing-call-id", join(OPT, *without(b"Call-ID"), b"CSeq: 1 OPTIONS"), MissingHeader, 400, False),
    ("missing-via", join(OPT, *without(b"Via"), b"CSeq: 1 OPTIONS"), MissingHeader, 400, False),
    ("missing-from", join(OPT, *without(b"From"), b"CSeq: 1 OPTIONS"), MissingHeader, 400, False),
    ("missing-cseq", join(OPT, *MANDATORY), MissingHeader, 400, False),
    ("cseq-method-mismatch", request(cseq=b"CSeq: 1 INVITE"), CSeqMethodMismatch, 400, True),
    ("cseq-not-number", request(cseq=b"CSeq: abc OPTIONS"), InvalidHeaderValue, 400, True),
    ("cseq-too-big", request(cseq=b"CSeq: 4294967296 OPTIONS"), InvalidHeaderValue, 400, True),
    ("max-forwards-not-number", request(OPT, b"Max-Forwards: seventy"), InvalidHeaderValue, 400, True),
    ("max-forwards-too-big", request(OPT, b"Max-Forwards: 300"), InvalidHeaderValue, 400, True),
    ("content-length-negative", request(OPT, length=False) .replace(b"\r\n\r\n", b"\r\nContent-Length: -5\r\n\r\n"),
     InvalidHeaderValue, 400, True),
    ("content-length-too-large", request(OPT, length=False).replace(b"\r\n\r\n", b"\r\nl: 500\r\n\r\n")
     + b"short", ContentLengthMismatch, 400, True),
    ("two-content-lengths", request(OPT, b"Content-Length: 4"), InvalidHeaderValue, 400, True),
    ("two-to-headers", request(OPT, b"t: <sip:carol@example.org>"), InvalidHeaderValue, 400, True),
    ("header-without-colon", request(OPT, b"Subject hello"), MalformedHeader, 400, True),
    ("header-name-with-space", request(OPT, b"Sub ject: hello"), MalformedHeader, 400, True),
    ("continuation-first", join(OPT, b" continued", *MANDATORY, b"CSeq: 1 OPTIONS"), MalformedHeader,
     400, True),
    ("bare-lf-in-header", request(OPT, b"Subject: a\nb"), MalformedHeader, 400, True),
    ("bare-cr-in-header", request(OPT, b"Subject: a\rb"), MalformedHeader, 400, True),
    ("nul-in-header", request(OPT, b"Subject: a\x00b"), MalformedHeader, 400, True),
    ("latin1-header", request(OPT, b"Subject: caf\xe9"), InvalidEncoding, 400, True),
    ("unterminated-display-name", request(OPT).replace(b"From: <sip:alice@example.org>;tag=abc",
                                                       b'From: "Alice <sip:alice@example.org>;tag=abc'),
     InvalidHeaderValue, 400, True),
    ("to-unclosed-angle", request(OPT).replace(b"To: <sip:bob@example.org>", b"To: <sip:bob@example.org"),
     InvalidHeaderValue, 400, True),
    ("from-wildcard", request(OPT).replace(b"From: <sip:alice@example.org>;tag=abc", b"From: *"),
     InvalidHeaderValue, 400, True),
    ("via-no-sent-by", request(OPT).replace(b"Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKmand",
                                            b"Via: SIP/2.0/UDP"), InvalidHeaderValue, 400, False),
    ("via-bad-received", request(OPT).replace(b"branch=z9hG4bKmand", b"branch=z9hG4bKmand;received=nowhere"),
     InvalidHeaderValue, 400, False),
    ("second-via-bad", request(OPT, b"Via: SIP/2.0/UDP bad host"), InvalidHeaderValue, 400, True),
    ("call-id-with-space", request(OPT).replace(b"Call-ID: mand@example.org", b"Call-ID: a b"),
     InvalidHeaderValue, 400, True),
    ("body-without-content-type", request(OPT, body=b"v=0"), MissingHeader, 400, True),
    ("no-empty-line", request(OPT)[:-4], IncompleteMessage, 400, True),
    ("content-type-garbage", request(OPT, b"Content-Type: text", body=b"x"), InvalidHeaderValue, 400, True),
]


@pytest.mark.parametrize(("data", "error", "status", "answerable"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_message(data: bytes, error: type[SipParseError], status: int, answerable: bool) -> None:
    with pytest.raises(error) as info:
        parse_message(data)
    exc = info.value
    assert type(exc) is error
    assert exc.status == status
    assert exc.reason.startswith(("Bad Request (", "Version Not Supported (", "Message Too Large ("))
    assert "\r" not in exc.reason and "\n" not in exc.reason
    response = make_error_response(exc)
    assert (response is not None) == answerable
    if response is not None:
        assert response.status == status and response.reason == exc.reason
        # the headers a client matches on are copied as received; To gets a tag
        assert response.to_bytes().startswith(b"SIP/2.0 %d %s\r\n" % (status, exc.reason.encode()))
        assert response.headers.get_list("Via")[0].endswith("branch=z9hG4bKmand")
        assert response.headers.get("CSeq") == exc.partial.headers.get("CSeq")  # type: ignore[union-attr]
        assert ";tag=" in (response.headers.get("To") or "")


def test_error_reason_names_the_problem() -> None:
    with pytest.raises(MissingHeader) as info:
        parse_message(join(OPT, *without(b"Call-ID"), b"CSeq: 1 OPTIONS"))
    assert info.value.reason == "Bad Request (missing Call-ID)"


def test_message_too_large_maps_to_513_and_is_answerable() -> None:
    big = request(b"MESSAGE sip:bob@example.org SIP/2.0", b"Content-Type: text/plain",
                  cseq=b"CSeq: 1 MESSAGE", body=b"x" * 2000)
    with pytest.raises(MessageTooLarge) as info:
        parse_message(big, max_size=1000)
    assert info.value.status == 513
    response = make_error_response(info.value)
    assert response is not None and response.status == 513
    assert response.reason.startswith("Message Too Large")
    assert parse_message(big, max_size=4000).body == b"x" * 2000


def test_missing_content_length_on_stream() -> None:
    with pytest.raises(MissingContentLength) as info:
        parse_message(request(OPT, length=False), stream=True)
    assert info.value.status == 400


def test_no_response_to_malformed_ack() -> None:
    ack = request(b"ACK sip:bob@example.org SIP/2.0", cseq=b"CSeq: 1 INVITE")
    with pytest.raises(CSeqMethodMismatch) as info:
        parse_message(ack)
    assert make_error_response(info.value) is None


def test_malformed_multipart_is_a_parse_error() -> None:
    assert issubclass(MalformedMultipart, SipParseError) and MalformedMultipart("x").status == 400


def test_first_error_wins_and_partial_keeps_readable_headers() -> None:
    data = request(OPT, b"Bad Line", b"Subject: kept")
    with pytest.raises(MalformedHeader) as info:
        parse_message(data)
    partial = info.value.partial
    assert partial is not None and partial.kind == "request" and partial.method == "OPTIONS"
    assert partial.headers.get("Subject") == "kept"
    assert partial.first_line == OPT.decode()
