"""Responses built from requests, ACKs, new requests and the reason phrase table."""

from __future__ import annotations

import pytest

from mcsec.impl.sip import (
    MAGIC_COOKIE,
    Request,
    make_2xx_ack,
    make_non2xx_ack,
    make_request,
    make_response,
    new_branch,
    parse_message,
    reason_phrase,
)

from .samples import INVITE_COMPACT, MESSAGE_REQUEST


def parsed_request(data: bytes) -> Request:
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


def test_response_copies_transaction_headers_and_adds_tag() -> None:
    request = parsed_request(INVITE_COMPACT)
    response = make_response(request, 486, to_tag="xyz")
    assert response.start_line() == "SIP/2.0 486 Busy Here"
    assert response.headers.get_all("Via") == request.headers.get_all("Via")
    assert response.headers.get("From") == request.headers.get("From")
    assert response.to.tag == "xyz"
    assert response.call_id == request.call_id and response.cseq == request.cseq
    assert response.content_length == 0
    again = parse_message(response.to_bytes())
    assert again.headers == response.headers


def test_100_has_no_new_tag_and_existing_tag_is_kept() -> None:
    request = parsed_request(MESSAGE_REQUEST)
    assert make_response(request, 100).to.tag is None
    assert make_response(request, 200).to.tag  # fresh tag
    request.headers.set("To", "<sip:mcptt-server@example.org>;tag=existing")
    assert make_response(request, 200, to_tag="other").to.tag == "existing"


def test_response_with_body_and_extra_headers() -> None:
    request = parsed_request(MESSAGE_REQUEST)
    request.headers.add("Record-Route", "<sip:p1.example.org;lr>")
    response = make_response(request, 200, "Fine", headers=[("Contact", "<sip:s@192.0.2.7>")],
                             body=b"<xml/>", content_type="application/xml")
    assert response.reason == "Fine"
    assert response.headers.get("Record-Route") == "<sip:p1.example.org;lr>"
    assert response.content_type is not None and response.content_type.mime_type == "application/xml"
    assert parse_message(response.to_bytes()).body == b"<xml/>"
    assert "Record-Route" not in make_response(request, 404).headers


@pytest.mark.parametrize(("status", "phrase"), [(100, "Trying"), (180, "Ringing"), (200, "OK"),
                                                (400, "Bad Request"), (415, "Unsupported Media Type"),
                                                (481, "Call/Transaction Does Not Exist"),
                                                (493, "Undecipherable"), (505, "Version Not Supported"),
                                                (513, "Message Too Large"), (603, "Decline"),
                                                (499, "Client Error")])
def test_reason_phrases(status: int, phrase: str) -> None:
    assert reason_phrase(status) == phrase


def test_reason_phrase_range() -> None:
    with pytest.raises(ValueError):
        reason_phrase(700)


def test_non2xx_ack() -> None:
    invite = parsed_request(INVITE_COMPACT)
    invite.headers.add("Route", "<sip:p1.example.org;lr>")
    response = make_response(invite, 486, to_tag="t1")
    ack = make_non2xx_ack(invite, response)
    assert ack.start_line() == "ACK sip:bob@biloxi.example.com SIP/2.0"
    assert ack.headers.get_list("Via") == [invite.headers.get_list("Via")[0]]
    assert ack.top_via.branch == invite.top_via.branch
    assert ack.to.tag == "t1" and ack.from_.tag == invite.from_.tag
    assert (ack.cseq.seq, ack.cseq.method) == (2, "ACK")
    assert ack.headers.get("Route") == "<sip:p1.example.org;lr>"
    assert parse_message(ack.to_bytes()).headers == ack.headers


def test_2xx_ack_targets_contact_with_new_branch() -> None:
    invite = parsed_request(INVITE_COMPACT)
    response = make_response(invite, 200, to_tag="t2", headers=[("Contact", "<sip:bob@192.0.2.4:5070>")])
    response.headers.add("Record-Route", "<sip:p2.example.org;lr>, <sip:p1.example.org;lr>")
    branch = new_branch()
    ack = make_2xx_ack(invite, response, via=f"SIP/2.0/UDP 192.0.2.1:5060;branch={branch}")
    assert ack.uri == "sip:bob@192.0.2.4:5070"
    assert ack.top_via.branch == branch != invite.top_via.branch
    assert ack.headers.get_all("Route") == ["<sip:p1.example.org;lr>", "<sip:p2.example.org;lr>"]
    assert ack.to.tag == "t2" and ack.cseq.method == "ACK"


def test_make_request_and_identifiers() -> None:
    request = make_request("MESSAGE", "sip:server@example.org", from_="<sip:alice@example.org>",
                           to="<sip:server@example.org>", via=f"SIP/2.0/TCP h:5060;branch={new_branch()}",
                           body=b"secret", content_type="application/pkcs7-mime", cseq=7)
    parsed = parse_message(request.to_bytes(), stream=True)
    assert isinstance(parsed, Request) and parsed.method == "MESSAGE"
    assert parsed.from_.tag and parsed.cseq.seq == 7 and parsed.body == b"secret"
    assert parsed.top_via.branch is not None and parsed.top_via.branch.startswith(MAGIC_COOKIE)
    assert new_branch() != new_branch()
