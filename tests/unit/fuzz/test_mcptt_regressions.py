"""MCPTT body inputs the fuzz harnesses found: each refused with a BodyError and its SIP answer."""
from __future__ import annotations

import pytest

from mcsec.impl.mcptt import MalformedInfo, read_body
from mcsec.impl.sip import make_request
from tests.fuzz import mcptt_body


def _message(content_type: str, disposition: str, body: bytes = b"x"):
    request = make_request("MESSAGE", "sip:mcptt-as@example.org", from_="<sip:alice@example.org>",
                           to="<sip:mcptt-as@example.org>", via="SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr")
    request.set_body(body, content_type)
    request.headers.set("Content-Disposition", disposition)
    return request


@pytest.mark.parametrize("content_type", ["text/plain", "application/pkcs7-mime; smime-type=enveloped-data"])
@pytest.mark.parametrize("disposition", ["x;;", "render; handling", "multipart/oundary=b", ";"])
def test_an_unreadable_content_disposition_is_malformed_info_400(content_type, disposition):
    with pytest.raises(MalformedInfo) as refused:
        read_body(_message(content_type, disposition))
    assert refused.value.sip_status == 400
    entity = f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n\r\nx".encode()
    mcptt_body.HARNESS.one_input(bytes([0]) + entity)


def test_an_unreadable_disposition_does_not_matter_when_handling_is_not_honoured():
    assert read_body(_message("text/plain", "x;;"), honour_handling=False).ignored == ("text/plain",)
