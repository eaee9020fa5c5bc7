"""The protected body forms: build, find, open; every refusal with its SIP status."""
from __future__ import annotations

import os

import pytest

import mcsec.impl.smime as smime
from mcsec.impl.mcptt import (
    MalformedInfo,
    McpttInfo,
    ReplayedBody,
    SealingKey,
    SipBinding,
    UndecipherableBody,
    UnsupportedBody,
    accepted_types,
    build_body,
    key_id_of,
    open_info,
    read_body,
    read_clear,
)
from mcsec.impl.mcptt import info as codec
from mcsec.impl.mcptt.body import info_entity, key_id_bytes
from mcsec.impl.sip import BodyPart, Headers, Request, build_multipart, make_request, make_response, parse_message

CEK = os.urandom(16)
KEY = SealingKey(0xF1234567, CEK)
INFO = McpttInfo(calling_user_id="sip:alice@example.org", called_party_id="sip:bob@example.org")
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"


def new_request(method: str = "MESSAGE") -> Request:
    return make_request(method, "sip:mcptt-as@example.org", from_="<sip:alice@ims.example.org>",
                        to="<sip:mcptt-as@example.org>", via="SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + os.urandom(6).hex())


def protected(request: Request, info: McpttInfo = INFO, key: SealingKey = KEY, sdp: bytes | None = None) -> Request:
    body = build_body(info, key=key, binding=SipBinding.of_request(request), sdp=sdp)
    assert body is not None
    body.apply(request)
    return parse_message(request.to_bytes())  # as the receiver sees it


def lookup(key_id: int) -> bytes | None:
    return CEK if key_id == KEY.key_id else None


def test_protected_message_round_trip_and_wire_form() -> None:
    request = protected(new_request())
    assert request.headers.get("Content-Type") == \
        "application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m"
    assert request.headers.get("Content-Disposition") == "attachment; handling=required"
    assert b"alice@example.org" not in request.to_bytes()
    part = read_body(request).info_part
    assert part is not None and part.protected
    assert key_id_of(part) == KEY.key_id
    assert smime.peek_key_id(part.data) == bytes.fromhex("F1234567")  # 4 bytes, big-endian
    opened = open_info(part, key_lookup=lookup, guard=smime.ReplayGuard(), binding=SipBinding.of_request(request))
    assert opened.info == INFO and opened.protected and opened.key_id == KEY.key_id


def test_sealed_content_is_the_mcptt_info_entity_stamped_for_the_message() -> None:
    request = protected(new_request())
    opened = smime.open(read_body(request).info_part.data, key_lookup=lambda _: CEK)
    assert opened.content == info_entity(INFO)
    assert opened.content.startswith(b"Content-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n")
    stamp = opened.replay_stamp
    assert stamp is not None
    assert stamp.context == smime.SipContext(request.call_id, request.cseq.seq, "MESSAGE", None)


def test_invite_multipart_keeps_sdp_readable_and_protects_info() -> None:
    request = protected(new_request("INVITE"), sdp=SDP)
    assert request.headers.get("Content-Type").startswith("multipart/mixed;boundary=")
    received = read_body(request)
    assert received.sdp == SDP
    assert received.info_part is not None and received.info_part.protected
    assert open_info(received.info_part, key_lookup=lookup, guard=None,
                     binding=SipBinding.of_request(request)).info == INFO


def test_response_binding_includes_status() -> None:
    request = protected(new_request())
    response = make_response(request, 200)
    body = build_body(INFO, key=KEY, binding=SipBinding.of_request(request).for_status(200))
    body.apply(response)
    response = parse_message(response.to_bytes())
    part = read_body(response).info_part
    guard = smime.ReplayGuard()
    assert open_info(part, key_lookup=lookup, guard=guard, binding=SipBinding.of_response(response)).info == INFO
    # the same body is not acceptable as the request's body (status differs)
    with pytest.raises(ReplayedBody):
        open_info(part, key_lookup=lookup, guard=smime.ReplayGuard(), binding=SipBinding.of_request(request))


def test_clear_form() -> None:
    request = new_request()
    build_body(INFO, key=None, binding=None).apply(request)
    assert request.headers.get("Content-Type") == codec.CONTENT_TYPE
    part = read_body(parse_message(request.to_bytes())).info_part
    assert part is not None and not part.protected
    assert read_clear(part).info == INFO


def test_no_body_and_sdp_only() -> None:
    assert read_body(new_request()).info_part is None
    assert build_body(None, key=KEY, binding=None) is None
    request = new_request("INVITE")
    build_body(None, key=None, binding=None, sdp=SDP).apply(request)
    assert read_body(request).sdp == SDP and read_body(request).info_part is None


@pytest.mark.parametrize("key_lookup", [
    lambda key_id: None,                    # unknown Key ID
    lambda key_id: os.urandom(16),          # another CEK under the same Key ID
])
def test_key_failures_are_undecipherable(key_lookup) -> None:
    request = protected(new_request())
    with pytest.raises(UndecipherableBody) as refused:
        open_info(read_body(request).info_part, key_lookup=key_lookup, guard=None,
                  binding=SipBinding.of_request(request))
    assert refused.value.sip_status == 493 and refused.value.warning is None


def test_altered_ciphertext_is_undecipherable() -> None:
    request = protected(new_request())
    data = bytearray(request.body)
    data[-20] ^= 1
    request.set_body(bytes(data))
    with pytest.raises(UndecipherableBody):
        open_info(read_body(request).info_part, key_lookup=lookup, guard=None, binding=SipBinding.of_request(request))


def test_garbage_pkcs7_body_is_undecipherable() -> None:
    request = new_request()
    request.set_body(b"\x30\x03\x02\x01\x00", "application/pkcs7-mime; smime-type=authEnveloped-data")
    part = read_body(request).info_part
    with pytest.raises(UndecipherableBody):
        key_id_of(part)


def test_replay_and_move_are_refused_with_403() -> None:
    request = protected(new_request())
    guard = smime.ReplayGuard()
    binding = SipBinding.of_request(request)
    part = read_body(request).info_part
    open_info(part, key_lookup=lookup, guard=guard, binding=binding)
    with pytest.raises(ReplayedBody) as replayed:
        open_info(part, key_lookup=lookup, guard=guard, binding=binding)
    assert replayed.value.sip_status == 403
    other = new_request()  # another Call-ID: the body was moved
    with pytest.raises(ReplayedBody):
        open_info(part, key_lookup=lookup, guard=smime.ReplayGuard(), binding=SipBinding.of_request(other))


def test_unsupported_required_body_is_415_and_optional_is_ignored() -> None:
    request = new_request()
    request.set_body(b"hello", "text/plain")
    with pytest.raises(UnsupportedBody) as refused:
        read_body(request)  # no Content-Disposition: handling defaults to required
    assert refused.value.sip_status == 415 and refused.value.media_type == "text/plain"
    request.headers.set("Content-Disposition", "render; handling=optional")
    assert read_body(request).info_part is None and read_body(request).ignored == ("text/plain",)
    request.headers.set("Content-Disposition", "render; handling=required")
    assert read_body(request, honour_handling=False).info_part is None


def test_wrong_smime_type_is_415() -> None:
    request = protected(new_request())
    request.headers.set("Content-Type", "application/pkcs7-mime; smime-type=enveloped-data")
    with pytest.raises(UnsupportedBody):
        read_body(request)


def _seal_raw(request: Request, content: bytes) -> Request:
    stamp = smime.ReplayStamp.new(context=SipBinding.of_request(request).context())
    der = smime.seal(content, cek=CEK, key_id=key_id_bytes(KEY.key_id), replay_stamp=stamp)
    request.set_body(der, "application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m")
    return request


def test_sealed_malformed_info_is_400_and_sealed_other_type_is_415() -> None:
    request = _seal_raw(new_request(), b"Content-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n<mcpttinfo")
    with pytest.raises(MalformedInfo):
        open_info(read_body(request).info_part, key_lookup=lookup, guard=None, binding=SipBinding.of_request(request))
    request = _seal_raw(new_request(), b"Content-Type: text/plain\r\n\r\nhello")
    with pytest.raises(UnsupportedBody):
        open_info(read_body(request).info_part, key_lookup=lookup, guard=None, binding=SipBinding.of_request(request))


def test_two_info_parts_are_400() -> None:
    part = BodyPart(Headers([("Content-Type", codec.CONTENT_TYPE)]), codec.build(INFO))
    content_type, body = build_multipart([part, part])
    request = new_request()
    request.set_body(body, content_type)
    with pytest.raises(MalformedInfo):
        read_body(request)


def test_accept_lists_clear_info_only_when_allowed() -> None:
    assert codec.CONTENT_TYPE not in accepted_types(clear_info=False)
    assert codec.CONTENT_TYPE in accepted_types(clear_info=True)
    assert "application/pkcs7-mime" in accepted_types(clear_info=False)
