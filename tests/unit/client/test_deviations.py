"""The client's reading of answers and its CSK I_MESSAGEs, in process: what a conforming client does, and
what each named fault (impl/client/deviations.py) changes, observed on the bytes it would send or on its
report about an answer."""
from __future__ import annotations

import datetime as dt
import secrets
import ssl
import time

import pytest

from mcsec.fixtures.wire import surgery
from mcsec.impl.client import config as client_config
from mcsec.impl.client.ibc import ClientIbc, Csk, Provisioned
from mcsec.impl.client.session import ClientSession
from mcsec.impl.client.ua import McpttUa
from mcsec.impl.ibc import eccsi, sakke
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.mikey import decode_i_message, decrypt_key, key_id_of
from mcsec.impl.ibc.mikey_errors import MikeyError
from mcsec.impl.ibc.uid import KeyPeriod, unix_to_ntp
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_bytes
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import make_request, make_response

ALICE = "sip:alice@example.org"
SERVER = "sip:mcptt-as@example.org"
KMS_URI = "kms.example.org"


def _config(faults: list[str]) -> client_config.ClientConfig:
    return client_config.load({
        "upper_tester": {"port": 0, "tls": {"cert": "ut.pem", "key": "ut.key"}},
        "core": {"host": "127.0.0.1", "port": 5060},
        "idm": {"url": "https://127.0.0.1:1", "ca": "ca.pem"},
        "oauth_client": {"client_id": "mcptt-client", "redirect_uri": "http://127.0.0.1/cb"},
        "kms": {"url": "https://127.0.0.1:2", "kms_uri": KMS_URI, "ca": "ca.pem"},
        "user": {"username": "alice", "password": "pw", "mcptt_id": ALICE, "impu": "sip:alice@ims.example.org",
                 "sip_password": "sip"},
        "server_uri": SERVER, "faults": faults})


def _holding(faults: list[str]) -> tuple[McpttUa, Csk]:
    config = _config(faults)
    session = ClientSession(config, ssl.create_default_context(), ssl.create_default_context())
    now = dt.datetime.now(dt.timezone.utc)
    key = Csk(key_id=0x2ABCDEF1, key=secrets.token_bytes(16), owner_uri=ALICE, server_uri=SERVER,
              valid_from=now, valid_to=now + dt.timedelta(hours=1))
    session.hold(key)
    return McpttUa(config, session), key


def _answer(key: Csk, change=None, *, clear: bool = False):
    request = make_request("MESSAGE", SERVER, from_="<sip:alice@ims.example.org>", to=f"<{SERVER}>")
    response = make_response(request, 200, to_tag="t")
    info = McpttInfo(calling_user_id=ALICE)
    body = build_body(info, key=None if clear else SealingKey(key.key_id, key.key),
                      binding=SipBinding.of_request(request).for_status(200))
    body.apply(response)
    return change(response) if change else response


ANSWERS = {
    "clear": (lambda key: _answer(key, clear=True), "unprotected", "client_accept_clear_answer"),
    "tag altered": (lambda key: _answer(key, surgery.flip_tag), "undecipherable",
                    "client_accept_unauthenticated_answer"),
    "foreign Key ID": (lambda key: _answer(key, lambda r: surgery.swap_key_id(r, key_id_bytes(0xF0000001))),
                       "undecipherable", "client_accept_foreign_key_id"),
}


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_an_answer_not_protected_under_a_held_cek_is_reported_and_not_taken(case: str) -> None:
    make, problem, fault = ANSWERS[case]
    ua, key = _holding([])
    sent_under = SealingKey(key.key_id, key.key)
    report = ua.read_response(make(key), sent_under)
    assert (report["problem"], report["mcptt_info"]) == (problem, None)
    assert ua.read_response(_answer(key), sent_under)["mcptt_info"] == {"calling_user_id": ALICE}
    faulty, key = _holding([fault])
    report = faulty.read_response(make(key), SealingKey(key.key_id, key.key))
    assert (report["problem"], report["mcptt_info"]) == (None, {"calling_user_id": ALICE})


def test_the_token_fault_puts_the_token_in_the_body_only_under_the_fault() -> None:
    ua, key = _holding(["client_token_on_sip"])
    ua.session._token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"  # a token-shaped value
    request = make_request("MESSAGE", SERVER, from_="<sip:alice@ims.example.org>", to=f"<{SERVER}>")
    clear = ua.body_for(McpttInfo(calling_user_id=ALICE), None, SipBinding.of_request(request))
    assert b"<mcptt-access-token" in clear.body and ua.session._token.encode() in clear.body
    plain, _ = _holding([])
    plain.session._token = ua.session._token
    assert ua.session._token.encode() not in plain.body_for(McpttInfo(calling_user_id=ALICE), None,
                                                            SipBinding.of_request(request)).body


# --- CSK I_MESSAGEs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kms() -> IbcKms:
    return IbcKms.generate(KMS_URI, KeyPeriod(2_592_000, 0))


def _ibc(kms: IbcKms, faults: list[str]) -> ClientIbc:
    ibc = ClientIbc(_config(faults), ssl.create_default_context())
    period = kms.key_period.number_at(unix_to_ntp(time.time()))
    ibc._material = Provisioned(kms.certificate(), kms.issue_key_set(ALICE, period), ())
    return ibc


def _server(kms: IbcKms):
    return kms.issue_key_set(SERVER, kms.key_period.number_at(unix_to_ntp(time.time())))


def test_a_conforming_csk_upload(kms: IbcKms) -> None:
    ibc = _ibc(kms, [])
    built, csk = ibc.new_csk()
    message = decode_i_message(built.data)
    cert = kms.certificate()
    assert key_id_of(message) == csk.key_id and csk.key_id >> 28 == 2 and not message.header.v_flag
    eccsi.verify(message.signed_data, message.signature.value, ibc.provisioned.key_set.user_id, cert.kpak)
    assert decrypt_key(message, _server(kms), cert) == csk.key
    assert abs(message.timestamp.ntp_seconds - unix_to_ntp(time.time())) < 5
    second, _ = ibc.new_csk()
    assert second.key != built.key and second.key_id != built.key_id


def test_client_reuse_csk_and_client_counter_csk_id(kms: IbcKms) -> None:
    reuse = _ibc(kms, ["client_reuse_csk"])
    keys = {reuse.new_csk()[0].key for _ in range(3)}
    assert len(keys) == 1
    counter = _ibc(kms, ["client_counter_csk_id"])
    ids = [counter.new_csk()[1].key_id for _ in range(3)]
    assert ids[1] == ids[0] + 1 and ids[2] == ids[1] + 1 and all(i >> 28 == 2 for i in ids)


def test_client_mikey_v_bit_and_client_old_timestamp(kms: IbcKms) -> None:
    built, _ = _ibc(kms, ["client_mikey_v_bit"]).new_csk()
    assert decode_i_message(built.data).header.v_flag
    built, _ = _ibc(kms, ["client_old_timestamp"]).new_csk()
    age = unix_to_ntp(time.time()) - decode_i_message(built.data).timestamp.ntp_seconds
    assert 200 < age < 300


def test_client_sign_without_sign_header(kms: IbcKms) -> None:
    ibc = _ibc(kms, ["client_sign_without_sign_header"])
    built, _ = ibc.new_csk()
    message = decode_i_message(built.data)
    with pytest.raises(IbcError):
        eccsi.verify(message.signed_data, message.signature.value, ibc.provisioned.key_set.user_id,
                     kms.certificate().kpak)
    eccsi.verify(message.signed_data[:-2], message.signature.value, ibc.provisioned.key_set.user_id,
                 kms.certificate().kpak)


def test_client_sakke_to_self(kms: IbcKms) -> None:
    ibc = _ibc(kms, ["client_sakke_to_self"])
    built, csk = ibc.new_csk()
    message = decode_i_message(built.data)
    with pytest.raises(MikeyError):
        decrypt_key(message, _server(kms), kms.certificate())
    own = ibc.provisioned.key_set
    assert sakke.decapsulate(message.sakke.sed, own.user_id, own.receiver_key(), kms.certificate().z_t) == csk.key
    eccsi.verify(message.signed_data, message.signature.value, own.user_id, kms.certificate().kpak)
