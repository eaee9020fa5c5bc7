"""The oracles that judge the MCPTT client (fixtures/oracles: client_bodies, csk, token_leak), in process:
each passes what a conforming client sends and names what a deviating one sends."""
from __future__ import annotations

import base64
import secrets
import time
import urllib.parse

import pytest

from mcsec.fixtures.oracles import csk as oracle
from mcsec.fixtures.oracles.client_bodies import (
    answer_refused_findings,
    client_sent,
    distinct,
    handling_findings,
    protected_info_findings,
)
from mcsec.fixtures.oracles.token_leak import Plaintext, header_segment, token_findings
from mcsec.fixtures.wire.capture import WireMessage
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.impl.client import deviations
from mcsec.impl.hostport import HostPort
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.mikey import KeyPurpose, build_i_message, make_key_id
from mcsec.impl.ibc.uid import KeyPeriod, unix_to_ntp
from mcsec.impl.mcptt.body import OutgoingBody, SealingKey, SipBinding, build_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import make_request

CORE = HostPort("127.0.0.1", 5060)
CLIENT = "127.0.0.1:40000"
ALICE = "sip:alice@example.org"
SERVER = "sip:mcptt-as@example.org"
KEY = SealingKey(0xF1234567, secrets.token_bytes(16))


def _wire(message, *, point: str = SIP1, src: str = CLIENT, dst: str = "127.0.0.1:5060", at: float = 0.0):
    return WireMessage(at or time.time(), src, dst, "udp", message.to_bytes(), message, None, point)


def _message(key: SealingKey | None = KEY, *, info: McpttInfo | None = None, sdp: bytes | None = None,
             change=None, call_id: str = "c1"):
    request = make_request("INVITE" if sdp else "MESSAGE", SERVER, from_="<sip:alice@ims.example.org>",
                           to=f"<{SERVER}>", call_id=call_id)
    body = build_body(info or McpttInfo(calling_user_id=ALICE), key=key, binding=SipBinding.of_request(request),
                      sdp=sdp)
    if change is not None:
        body = change(body)
    body.apply(request)
    return request


def _lookup(key_id: int) -> bytes | None:
    return KEY.cek if key_id == KEY.key_id else None


# --- client_bodies -----------------------------------------------------------------------------------

def test_client_sent_takes_the_client_s_messages_to_the_core_in_the_exchanges() -> None:
    mine, other = _message(call_id="c1"), _message(call_id="c2")
    messages = [_wire(mine), _wire(mine), _wire(other), _wire(mine, point=SIP2), _wire(mine, dst="127.0.0.1:5999")]
    assert len(client_sent(messages, CORE, ["c1"])) == 2
    assert len(distinct(client_sent(messages, CORE, ["c1"]))) == 1
    assert client_sent(messages, CORE, ["c1"], requests=False) == []


def test_a_protected_body_opening_to_what_was_asked_passes() -> None:
    sent = [_wire(_message()), _wire(_message(sdp=b"v=0\r\n"))]
    assert protected_info_findings(sent, key_id=KEY.key_id, cek_for=_lookup,
                                   expected={"calling_user_id": ALICE}) == []
    assert handling_findings(sent) == []


@pytest.mark.parametrize("message, expected, finding", [
    (lambda: _message(None), None, "in clear"),
    (lambda: _message(SealingKey(0xF7654321, KEY.cek)), None, "Key ID F7654321, expected F1234567"),
    (lambda: _message(SealingKey(KEY.key_id, secrets.token_bytes(16))), None, "does not open"),
    (lambda: _message(), {"calling_user_id": "sip:bob@example.org"}, "opens to an mcptt-info with"),
])
def test_what_a_deviating_client_sends_is_named(message, expected, finding) -> None:
    findings = protected_info_findings([_wire(message())], key_id=KEY.key_id, cek_for=_lookup, expected=expected)
    assert len(findings) == 1 and finding in findings[0]
    assert protected_info_findings([], key_id=KEY.key_id, cek_for=_lookup) == \
        ["the MCPTT client sent no such message on SIP-1"]


@pytest.mark.parametrize("change, finding", [
    (deviations.without_disposition, "has no Content-Disposition"),
    (lambda b: OutgoingBody(b.content_type, b.body, "attachment;handling=optional"), "without handling=required"),
    (lambda b: OutgoingBody(b.content_type, b.body, "attachment"), "without handling=required"),
])
def test_a_protected_body_without_handling_required_is_named(change, finding) -> None:
    assert finding in handling_findings([_wire(_message(change=change))])[0]
    multipart = _message(sdp=b"v=0\r\n", change=deviations.without_disposition)
    assert "part 2 of multipart/mixed has no Content-Disposition" in handling_findings([_wire(multipart)])[0]
    assert "carries no S/MIME protected body" in handling_findings([_wire(_message(None))])[0]


def test_an_answer_is_refused_only_with_a_problem_and_no_mcptt_info() -> None:
    assert answer_refused_findings({"problem": "undecipherable", "mcptt_info": None},
                                   problems=("undecipherable",)) == []
    assert "took the answer's mcptt-info" in answer_refused_findings(
        {"problem": None, "mcptt_info": {"calling_user_id": ALICE}}, problems=("undecipherable",))[0]
    assert "reported problem None" in answer_refused_findings({"problem": None, "mcptt_info": None},
                                                              problems=("unprotected",))[0]


# --- csk ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kms():
    ibc = IbcKms.generate("kms.example.org", KeyPeriod(2_592_000, 0))
    period = ibc.key_period.number_at(unix_to_ntp(time.time()))
    return ibc, ibc.issue_key_set(ALICE, period), ibc.issue_key_set(SERVER, period)


def _built(kms, **kwargs):
    ibc, alice, _ = kms
    return build_i_message(kms=ibc.certificate(), initiator=alice, responder_uri=SERVER, **kwargs)


def test_a_conforming_i_message_passes_every_check(kms) -> None:
    ibc, alice, server = kms
    built = _built(kms)
    cert = ibc.certificate()
    assert oracle.field_findings(built.data, cert, user_uri=ALICE, server_uri=SERVER) == []
    assert oracle.signature_findings(built.data, cert, user_uri=ALICE) == []
    assert oracle.decapsulate(built.data, cert, server) == (built.key, [])
    assert oracle.timestamp_findings(built.data, crossed_at=time.time(), skew_s=30) == []
    assert oracle.pvt_of(built.data) == alice.pvt
    assert oracle.signed_with_findings([built.data], alice.pvt)
    assert oracle.signed_with_findings([built.data], b"\x04" + bytes(64)) == []


def test_each_deviating_i_message_is_named(kms) -> None:
    ibc, alice, server = kms
    cert = ibc.certificate()
    v_bit = _built(kms, key_id=(key := make_key_id(KeyPurpose.CSK)), header=deviations.v_bit_header(key))
    assert oracle.field_findings(v_bit.data, cert, user_uri=ALICE, server_uri=SERVER) == \
        ["HDR V bit is 1, expected 0 (no verification message for a CSK upload)"]
    gmk = _built(kms, purpose=KeyPurpose.GMK)
    assert any("purpose tag 0010" in f for f in oracle.field_findings(gmk.data, cert, user_uri=ALICE,
                                                                       server_uri=SERVER))
    other = build_i_message(kms=cert, initiator=alice, responder_uri="sip:mcptt-as-2@example.org")
    assert oracle.field_findings(other.data, cert, user_uri=ALICE, server_uri=SERVER) == \
        [f"IDRr is not the MCPTT server's UID for key period {alice.key_period_no}"]
    unsigned = deviations.signed_without_sign_header(_built(kms), alice, cert)
    assert "does not verify" in oracle.signature_findings(unsigned.data, cert, user_uri=ALICE)[0]
    to_self = deviations.sakke_to_self(_built(kms), alice, cert)
    assert oracle.decapsulate(to_self.data, cert, server)[0] is None
    old = _built(kms, ntp_seconds=deviations.old_timestamp())
    assert "240 s behind" in oracle.timestamp_findings(old.data, crossed_at=time.time(), skew_s=30)[0]
    assert "not an I_MESSAGE" in oracle.field_findings(b"\x01\x1a", cert, user_uri=ALICE, server_uri=SERVER)[0]


def test_fresh_keys_and_random_csk_ids() -> None:
    assert oracle.fresh_key_findings([secrets.token_bytes(16) for _ in range(8)]) == []
    key = secrets.token_bytes(16)
    assert oracle.fresh_key_findings([key, key, secrets.token_bytes(16)]) == \
        ["1 of 3 uploads carried a CSK an earlier upload carried"]
    assert oracle.csk_id_findings([make_key_id(KeyPurpose.CSK) for _ in range(8)]) == []
    base = 0x2123_4560
    assert any("follow each other by one" in f for f in oracle.csk_id_findings([base + i for i in range(8)]))
    assert any("rise with every upload" in f for f in oracle.csk_id_findings([base + 16 * i for i in range(8)]))
    assert any("repeat" in f for f in oracle.csk_id_findings([base, base + 64, base, base + 8]))
    assert any("one bits" in f for f in oracle.csk_id_findings([0x2000_0000 | (1 << i) for i in range(0, 24, 3)]))
    assert any("purpose tag" in f for f in oracle.csk_id_findings([make_key_id(KeyPurpose.GMK)] * 4))
    assert oracle.csk_id_findings([base]) == ["1 CSK-IDs are too few to judge"]


# --- token_leak ---------------------------------------------------------------------------------------

TOKEN = ("eyJhbGciOiJFUzI1NiIsImtpZCI6ImstMSIsInR5cCI6ImF0K2p3dCJ9."
         "eyJzdWIiOiJhbGljZSIsImF1ZCI6Imttcy5leGFtcGxlLm9yZyJ9.c2lnbmF0dXJlc2lnbmF0dXJl")


@pytest.mark.parametrize("carry", [
    lambda t: t.encode(),
    lambda t: urllib.parse.quote(t, safe="").encode(),
    lambda t: base64.b64encode(b"Bearer " + t.encode()),
])
def test_a_token_on_the_wire_is_found_in_any_encoding(carry) -> None:
    request = make_request("REGISTER", "sip:ims.example.org", from_="<sip:alice@ims.example.org>",
                           to="<sip:alice@ims.example.org>", headers=[("X-Carry", carry(TOKEN).decode())])
    findings = token_findings([_wire(request)], [], header=header_segment(TOKEN))
    assert findings and all(TOKEN not in f for f in findings)
    assert token_findings([_wire(_message())], [], header=header_segment(TOKEN)) == []


def test_a_token_inside_a_protected_body_is_found_and_not_shown() -> None:
    findings = token_findings([], [Plaintext("'MESSAGE'", b"<mcpttString>" + TOKEN.encode() + b"</mcpttString>")],
                              header=header_segment(TOKEN))
    assert findings == ["an access token inside the protected body of 'MESSAGE', readable to its recipient"]
    with pytest.raises(ValueError):
        header_segment("not-a-jws")
