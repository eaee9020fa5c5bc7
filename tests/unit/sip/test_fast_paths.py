"""The parser's shortcuts read every message exactly as the general code does.

The shortcuts: one regular-expression match for the common forms of Via and name-addr values, for
IPv4 hosts, for a header section free of stray CR, LF and controls, and for a plain "Name: value"
header line; character classes as patterns. Each test runs the same input with the shortcut and without it (the general code, or the
character-by-character reference kept here) and requires the same message, or the same error with
the same detail and the same partial message.
"""
from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcsec.impl.sip import grammar, header_values, parser, uri
from mcsec.impl.sip.grammar import is_token, split_outside_quotes
from mcsec.impl.sip.header_values import parse_media_type, parse_name_address, parse_via
from mcsec.impl.sip import SipParseError
from mcsec.impl.sip.message import SipMessage
from mcsec.impl.sip.parser import parse_message
from mcsec.impl.sip.uri import parse_host, parse_uri

from .samples import INVITE_COMPACT, MESSAGE_REQUEST, RESPONSE_200
from .test_malformed import CASES

SETTINGS = settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
NEVER = re.compile(r"(?!)")

# What the reference roles send, as the MCPTT server receives it behind the SIP core.
ROLE_MESSAGE = (
    b"MESSAGE sip:mcptt-as@example.org SIP/2.0\r\n"
    b"Record-Route: <sip:127.0.0.1:54834;lr>\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:54834;branch=z9hG4bK3d753d0c32f046c4b604b749;rport\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:46473;branch=z9hG4bK9282dc92be85;rport=46473;received=127.0.0.1\r\n"
    b"Max-Forwards: 69\r\n"
    b"From: <sip:alice@ims.example.org>;tag=86afb40076371255\r\n"
    b"To: <sip:mcptt-as@example.org>\r\n"
    b"P-Asserted-Identity: <sip:alice@ims.example.org>\r\n"
    b"Call-ID: 6a2c2d1aab08ffb421e8b0dadff21f13\r\n"
    b"CSeq: 1 MESSAGE\r\n"
    b"Content-Length: 4\r\n"
    b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m\r\n"
    b"Content-Disposition: attachment; handling=required\r\n"
    b"\r\n0\x80\x00\x00"
)
# white space around names, colons and values, as RFC 3261 allows (HCOLON, trailing LWS)
SPACED = (MESSAGE_REQUEST.replace(b"Max-Forwards: 70", b"Max-Forwards \t:\t 70 \t")
          .replace(b"Call-ID: a84b", b"Call-ID:a84b").replace(b"CSeq: 314159 MESSAGE", b"CSeq:  314159 MESSAGE  "))
CORPUS = [ROLE_MESSAGE, MESSAGE_REQUEST, INVITE_COMPACT, RESPONSE_200, SPACED] + [case[1] for case in CASES]


@pytest.fixture(scope="module")
def general_only():
    """A context in which every shortcut is off."""
    def enter():
        patch = pytest.MonkeyPatch()
        patch.setattr(header_values, "_ANGLE_ADDRESS", NEVER)
        patch.setattr(header_values, "_SIP_2_0_VIA", NEVER)
        patch.setattr(uri, "IPV4_ADDRESS", NEVER)
        patch.setattr(header_values, "IPV4_ADDRESS", NEVER)
        patch.setattr(parser, "_clean_section", lambda _text, _start: False)  # every line on its own
        patch.setattr(parser, "_PLAIN_HEADER_LINE", NEVER)
        return patch
    return enter


def _outcome(function, *args, **kwargs):
    try:
        result = function(*args, **kwargs)
    except Exception as exc:  # the type and every detail must agree, whatever it is
        partial = getattr(exc, "partial", None)
        seen = None if partial is None else (partial.kind, partial.method, partial.uri, partial.status,
                                             partial.first_line, [(f.name, f.value, f.raw) for f in partial.headers])
        return ("error", type(exc), str(exc), getattr(exc, "reason", None), seen)
    if isinstance(result, SipMessage):
        return ("message", type(result), result.start_line(), [(f.name, f.value, f.raw) for f in result.headers],
                result.body)
    return ("value", result)


def _forget_parsed_values() -> None:
    for function in (parse_via, parse_name_address, parse_media_type, header_values.parse_cseq, parse_uri):
        function.cache_clear()


def _same_both_ways(general_only, function, *args, **kwargs) -> None:
    _forget_parsed_values()
    fast = _outcome(function, *args, **kwargs)
    patch = general_only()
    _forget_parsed_values()
    try:
        general = _outcome(function, *args, **kwargs)
    finally:
        patch.undo()
        _forget_parsed_values()
    assert fast == general


# -------------------------------------------------------------------------------- whole messages

@pytest.mark.parametrize("data", CORPUS, ids=range(len(CORPUS)))
@pytest.mark.parametrize("stream", [False, True])
def test_corpus_reads_alike(general_only, data, stream):
    _same_both_ways(general_only, parse_message, data, stream=stream)


SPECIAL = st.sampled_from([b"\r\n", b"\r", b"\n", b" ", b"\t", b":", b";", b",", b"<", b">", b'"', b"\\", b"=",
                           b"@", b"\x00", b"\x7f", b"\xff", b"SIP/2.0", b"z9hG4bK", b"[::1]", b"256", b"01", b".",
                           b"%", b"?", b"sip:", b"*"])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS[:5])))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(SPECIAL, st.binary(min_size=1, max_size=3)))
        if kind == "insert":
            data[position:position] = piece
        elif kind == "delete":
            del data[position:position + len(piece)]
        else:
            data[position:position + len(piece)] = piece
    return bytes(data)


@settings(SETTINGS, max_examples=1500)
@given(mutated(), st.booleans())
def test_mutated_messages_read_alike(general_only, data, stream):
    _same_both_ways(general_only, parse_message, data, stream=stream)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_read_alike(general_only, data):
    _same_both_ways(general_only, parse_message, data)


# ---------------------------------------------------------------------------------- header values

FRAGMENTS = st.sampled_from([
    "SIP/2.0/UDP ", "SIP/2.0/TCP ", "SIP/2.0/TLS ", "SIP / 2.0 / UDP ", "SIP/3.0/UDP ", "sip:", "sips:", "tel:+1",
    "alice", "@", "example.org", "127.0.0.1", "1.2.3.4", "300.1.1.1", "01.2.3.4", "[::1]", "[::1", "[2001:db8::9]",
    ":5060", ":99999", ":", ";branch=z9hG4bK", "abc", ";rport", ";rport=5062", ";received=", ";received=nowhere",
    ";lr", ";tag=", ";ttl=300", ";maddr=[::1]", ";", "=", "<", ">", '"Alice" ', '"A\\"b" ', " ", "\t", ",", "%41", "%4",
    "?h=v", ";transport=tcp", "-", "ex-.org", "a.b-c.d", "..", "user:pw@", "Bob ", "*", "x"])
VALUES = st.one_of(st.lists(FRAGMENTS, max_size=10).map("".join),
                   st.text(alphabet=st.sampled_from(list('ab1.:;=<>"\\@ \t[]%?,')), max_size=30))


@settings(SETTINGS, max_examples=2000)
@given(VALUES)
def test_header_values_read_alike(general_only, value):
    for function in (parse_via, parse_name_address, parse_media_type, parse_uri, parse_host):
        _same_both_ways(general_only, function, value)


@pytest.mark.parametrize("value", [
    "SIP/2.0/UDP 127.0.0.1:54834;branch=z9hG4bK3d75;rport",
    "SIP/2.0/UDP 127.0.0.1:46473;branch=z9hG4bK92;rport=46473;received=127.0.0.1",
    "SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKx",
    "SIP/2.0/UDP host.example.org;branch=z9hG4bKy;maddr=[::1]",
])
def test_common_via_forms_take_the_shortcut(value):
    assert header_values._SIP_2_0_VIA.fullmatch(value)
    via = parse_via(value)
    assert str(via) == value


@pytest.mark.parametrize("value", ["<sip:alice@ims.example.org>;tag=86afb400", "<sip:mcptt-as@example.org>",
                                   "<sip:127.0.0.1:34340;lr>", "<tel:+123>;x=1"])
def test_common_name_addr_forms_take_the_shortcut(value):
    assert header_values._ANGLE_ADDRESS.fullmatch(value)
    assert str(parse_name_address(value)) == value


# ------------------------------------------------- character classes against the character loops

TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-.!%*_+`'~")


def reference_split(text: str, sep: str, angle: bool = True) -> list[str]:
    """The character-by-character splitter the pattern-driven one replaced."""
    parts, current = [], []
    in_quotes = in_angle = escaped = False
    for ch in text:
        if in_quotes:
            current.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
            continue
        if ch == '"':
            in_quotes = True
        elif angle and ch == "<":
            if in_angle:
                raise ValueError("nested '<'")
            in_angle = True
        elif angle and ch == ">":
            if not in_angle:
                raise ValueError("unbalanced '>'")
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if in_quotes:
        raise ValueError("unterminated quoted string")
    if in_angle:
        raise ValueError("unterminated '<'")
    parts.append("".join(current))
    return parts


SPLIT_TEXT = st.text(alphabet=st.sampled_from(list('ab,;<>"\\ =\t')), max_size=40)


@settings(SETTINGS, max_examples=1500)
@given(SPLIT_TEXT, st.sampled_from([",", ";"]), st.booleans())
def test_split_outside_quotes_matches_the_character_loop(text, sep, angle):
    assert _outcome(split_outside_quotes, text, sep, angle=angle) == _outcome(reference_split, text, sep, angle)


@SETTINGS
@given(st.text(max_size=12))
def test_token_pattern_matches_the_character_set(text):
    assert is_token(text) == (bool(text) and all(ch in TOKEN_CHARS for ch in text))


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("ab=[]:\"\\ é\u00a0-~")), max_size=16))
def test_parameter_values_match_the_character_set(text):
    expected = (bool(text) and all(ch in TOKEN_CHARS or ch in "[]:" for ch in text)) if text[:1] != '"' else None
    if expected is not None:
        assert grammar._valid_param_value(text) == expected


_WORD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~()<>:\\\"/[]?{}")


def _is_word(text: str) -> bool:
    return bool(text) and all(ch in _WORD_CHARS for ch in text)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("a9-@ \t\"\\[]{}é;=,")), max_size=12))
def test_call_id_is_word_at_word_per_rfc_3261(text):
    """callid = word [ "@" word ] (RFC 3261 25.1): found by `mcsec fuzz --role core --seed 20261203`, which
    got a Call-ID of '@' through the core's parser (case 845)."""
    head, at, tail = text.partition("@")
    assert bool(parser._CALL_ID.fullmatch(text)) == (_is_word(head) and (not at or _is_word(tail)))


@pytest.mark.parametrize("call_id", ["@", "a@", "@b", "a@b@c", "a b", "a;b", "é"])
def test_a_request_whose_call_id_is_not_word_at_word_is_refused(call_id):
    text = (f"MESSAGE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
            f"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: {call_id}\r\nCSeq: 1 MESSAGE\r\n"
            f"Content-Length: 0\r\n\r\n").encode()
    with pytest.raises(SipParseError, match="Call-ID"):
        parse_message(text)


@SETTINGS
@given(st.text(max_size=20))
def test_uri_whitespace_and_control_check_matches_the_character_loop(text):
    assert (" " in text or not text.isprintable()) == (any(ch.isspace() for ch in text) or not text.isprintable())
