"""The mcptt-info codec: round trips and hardened parsing (every refusal is a 400)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcsec.impl.mcptt import MalformedInfo, McpttInfo
from mcsec.impl.mcptt import info as codec

FULL = McpttInfo(request_uri="sip:group1@example.org", calling_user_id="sip:alice@example.org",
                 called_party_id="sip:bob@example.org", calling_group_id="sip:group1@example.org",
                 session_type="prearranged")


def doc(params: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><mcpttinfo xmlns="{codec.NS}">'
            f"<mcptt-Params>{params}</mcptt-Params></mcpttinfo>").encode()


def uri_element(name: str, value: str, kind: str = "Normal") -> str:
    return f'<{name} type="{kind}"><mcpttURI>{value}</mcpttURI></{name}>'


@pytest.mark.parametrize("info", [FULL, McpttInfo(), McpttInfo(calling_user_id="sip:alice@example.org")])
def test_round_trip(info: McpttInfo) -> None:
    assert codec.parse(codec.build(info)) == info


def test_wire_form_names_namespace_root_and_type() -> None:
    data = codec.build(McpttInfo(calling_user_id="sip:alice@example.org"))
    assert b'xmlns="urn:3gpp:ns:mcpttInfo:1.0"' in data
    assert b"<mcpttinfo" in data and b"<mcptt-Params>" in data
    assert (b'<mcptt-calling-user-id type="Normal"><mcpttURI>sip:alice@example.org</mcpttURI>'
            b"</mcptt-calling-user-id>") in data


def test_reads_a_document_written_by_hand_and_ignores_unknown_elements() -> None:
    data = doc(uri_element("mcptt-calling-user-id", "sip:alice@example.org")
               + "<mcptt-client-id type=\"Normal\"><mcpttString>x</mcpttString></mcptt-client-id>"
               + '<anyExt xmlns="urn:other"/>')
    assert codec.parse(data) == McpttInfo(calling_user_id="sip:alice@example.org")


def test_dict_round_trip_and_defaults() -> None:
    assert McpttInfo.from_dict(FULL.to_dict()) == FULL
    merged = McpttInfo(called_party_id="sip:bob@example.org").merged(calling_user_id="sip:alice@example.org")
    assert merged.calling_user_id == "sip:alice@example.org"
    assert McpttInfo(calling_user_id="sip:x@y").merged(calling_user_id="sip:z@y").calling_user_id == "sip:x@y"


@pytest.mark.parametrize("data", [
    {"nope": "sip:a@b"}, {"calling_user_id": 5}, {"calling_user_id": "not a uri"}, [],
])
def test_from_dict_refuses(data: object) -> None:
    with pytest.raises(ValueError):
        McpttInfo.from_dict(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params><mcptt-calling-user-id type="Normal">
<mcpttURI>sip:&lol2;@example.org</mcpttURI></mcptt-calling-user-id></mcptt-Params></mcpttinfo>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params>&x;</mcptt-Params></mcpttinfo>"""


@pytest.mark.parametrize("data", [
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    b"<mcpttinfo",                                                      # not well-formed
    b"",                                                                # empty
    b'<mcpttinfo xmlns="urn:other"><mcptt-Params/></mcpttinfo>',        # wrong namespace
    b'<other xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params/></other>',  # wrong root
    b'<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"/>',                  # no mcptt-Params
    doc(uri_element("mcptt-calling-user-id", "sip:a@b") * 2),           # duplicate element
    doc(uri_element("mcptt-calling-user-id", "sip:a@b", "Encrypted")),  # XML-encrypted content
    doc(uri_element("mcptt-calling-user-id", "alice")),                 # not a URI
    doc(uri_element("mcptt-calling-user-id", "")),                      # empty
    doc('<mcptt-calling-user-id type="Normal"><mcpttString>sip:a@b</mcpttString></mcptt-calling-user-id>'),
    doc(uri_element("mcptt-calling-user-id", "sip:" + "a" * 600 + "@b")),  # too long
    doc("<x/>" * 5000),                                                 # over the size limit
])
def test_hardened_parsing_refuses(data: bytes) -> None:
    with pytest.raises(MalformedInfo) as refused:
        codec.parse(data)
    assert refused.value.sip_status == 400


def test_external_entity_is_never_read(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "' + secret.as_uri().encode()
            + b'">]><mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params>'
            b'<mcptt-calling-user-id type="Normal"><mcpttURI>sip:&x;@b</mcpttURI></mcptt-calling-user-id>'
            b"</mcptt-Params></mcpttinfo>")
    with pytest.raises(MalformedInfo) as refused:
        codec.parse(data)
    assert "TOPSECRET" not in str(refused.value)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=20))
def test_value_check_refuses_exactly_white_space_and_controls(text: str) -> None:
    value = "sip:" + text
    expected_bad = any(c.isspace() or ord(c) < 0x20 for c in value)
    try:
        McpttInfo(calling_user_id=value)
    except MalformedInfo:
        assert expected_bad
    else:
        assert not expected_bad


def test_a_document_read_again_gives_the_same_value_and_a_refusal_recurs() -> None:
    info = McpttInfo(calling_user_id="sip:alice@example.org", request_uri="sip:mcptt-as@example.org")
    data = codec.build(info)
    assert codec.build(info) == data
    assert codec.parse(data) == codec.parse(bytes(data)) == info
    broken = data.replace(b"</mcpttinfo>", b"")
    for _ in range(2):
        with pytest.raises(MalformedInfo):
            codec.parse(broken)
