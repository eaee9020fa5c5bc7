"""The KMS's test control surface (impl/kms/testcontrol.py): a defective key set armed for a user's next
keyprov, once, behind the test control secret; the KMS's own answers otherwise unchanged."""
from __future__ import annotations

import json

import pytest

from mcsec.impl import httpclient
from mcsec.impl.kms.provclient import KeySetRejected, validate_key_set
from mcsec.impl.kms.testcontrol import DEFECTS, DEFECTS_PATH
from tests.unit.kms_prov.conftest import current_period

ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"


def _post(lab, body: dict, secret: str | None, url: str | None = None) -> httpclient.HttpReply:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return httpclient.request("POST", (url or lab.endpoints.kms_url) + DEFECTS_PATH, body=json.dumps(body).encode(),
                              headers=headers, context=lab.ssl_context)


def _arm(lab, user_uri: str, defect: str | None) -> dict:
    reply = _post(lab, {"user_uri": user_uri, "defect": defect}, lab.endpoints.kms_test_control_secret)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def _keyprov(client, tokens, user: str = "alice"):
    reply = client.keyprov(tokens.user(user), f"sip:{user}@example.org")
    assert reply.status == 200 and len(reply.key_sets) == 1
    return reply.key_sets[0]


def _certificate(client, tokens):
    return client.init(tokens.user("alice")).certificate


@pytest.mark.parametrize("secret", [None, "not-the-test-control-secret", ""])
def test_the_surface_demands_its_secret(lab, secret) -> None:
    reply = _post(lab, {"user_uri": ALICE, "defect": "revoked"}, secret)
    assert reply.status == 401 and reply.headers.get("www-authenticate") == 'Bearer realm="mcsec-kms-test-control"'
    assert not reply.body


def test_a_kms_without_test_control_has_no_such_path(lab, start_kms) -> None:
    kms = start_kms("kms-no-test-control")
    reply = _post(lab, {"user_uri": ALICE, "defect": "revoked"}, lab.endpoints.kms_test_control_secret, kms.url)
    assert reply.status == 404


@pytest.mark.parametrize("defect, check", [
    ("other_identifier", "ssk"), ("revoked", "revoked"), ("pvt_mismatch", "ssk"), ("other_kms", "kms"),
    ("wrong_user_id", "uid"),
])
def test_each_defect_fails_its_check_once_and_carries_the_answered_pvt(lab, client, tokens, defect, check) -> None:
    armed = _arm(lab, ALICE, defect)
    assert armed["defect"] == defect and armed["key_period_no"] == current_period()
    cert = _certificate(client, tokens)
    bob = _keyprov(client, tokens, "bob")  # another user's key material is not touched
    validate_key_set(bob, cert)
    defective = _keyprov(client, tokens)
    assert defective.key_set.pvt.hex().upper() == armed["pvt"]
    with pytest.raises(KeySetRejected) as refused:
        validate_key_set(defective, cert)
    assert refused.value.check == check
    again = _keyprov(client, tokens)
    validate_key_set(again, cert)
    assert again.key_set.pvt != defective.key_set.pvt and again.key_period_no == current_period()


def test_an_expired_period_is_sound_key_material_of_the_period_before(lab, client, tokens) -> None:
    armed = _arm(lab, ALICE, "expired_period")
    defective = _keyprov(client, tokens)
    assert defective.key_period_no == armed["key_period_no"] == current_period() - 1
    validate_key_set(defective, _certificate(client, tokens))  # every check but the key period passes


def test_a_defect_can_be_disarmed(lab, client, tokens) -> None:
    armed = _arm(lab, ALICE, "revoked")
    assert _arm(lab, ALICE, None) == {"user_uri": ALICE, "defect": None}
    assert _keyprov(client, tokens).key_set.pvt.hex().upper() != armed["pvt"]


@pytest.mark.parametrize("body, error", [
    ({"user_uri": ALICE, "defect": "broken"}, "defect: expected one of"),
    ({"user_uri": ALICE}, "defect: missing"),
    ({"defect": "revoked"}, "user_uri: must be a string"),
    ({"user_uri": "", "defect": "revoked"}, "user_uri: must be a string"),
    ({"user_uri": ALICE, "defect": "revoked", "pvt": "00"}, "pvt: unknown item"),
])
def test_a_bad_request_is_named(lab, body: dict, error: str) -> None:
    reply = _post(lab, body, lab.endpoints.kms_test_control_secret)
    assert reply.status == 400 and error in reply.body.decode()


def test_the_defects_are_the_documented_ones() -> None:
    assert sorted(DEFECTS) == ["expired_period", "other_identifier", "other_kms", "pvt_mismatch", "revoked",
                               "wrong_user_id"]


def test_the_secret_never_reaches_the_kms_log(lab) -> None:
    _arm(lab, BOB, "revoked")
    _arm(lab, BOB, None)
    log = lab.roles["kms"].log_path.read_text()
    assert lab.endpoints.kms_test_control_secret not in log
    assert "test control surface is on" in log


def test_the_agent_arms_and_disarms_and_names_a_refusal(lab, client, tokens) -> None:
    from mcsec.fixtures.agents.kms_control import KmsControl, KmsControlError

    agent = KmsControl(lab.endpoints.kms_url, lab.ssl_context, lab.endpoints.kms_test_control_secret, 10)
    armed = agent.arm(ALICE, "pvt_mismatch")
    assert armed.defect == "pvt_mismatch" and armed.key_period_no == current_period() and len(armed.pvt) == 65
    agent.disarm(ALICE)
    assert _keyprov(client, tokens).key_set.pvt != armed.pvt
    with pytest.raises(KmsControlError, match="HTTP 401"):
        KmsControl(lab.endpoints.kms_url, lab.ssl_context, None, 10).arm(ALICE, "revoked")


def _pin(lab, body: dict, secret: str | None) -> httpclient.HttpReply:
    from mcsec.impl.kms.testcontrol import KEY_IDS_PATH
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return httpclient.request("POST", lab.endpoints.kms_url + KEY_IDS_PATH, body=json.dumps(body).encode(),
                              headers=headers, context=lab.ssl_context)


def _issue(lab, tokens, user: str):
    from mcsec.impl.kms.cekclient import CekClient
    client = CekClient(lab.endpoints.kms_url, lab.profile.ixit.kms_uri, lab.ssl_context)
    reply = client.issue(tokens.user(user), f"sip:{user}@example.org", lab.profile.ixit.servers[0].uri)
    assert reply.status == 200 and reply.cek is not None
    return reply.cek


@pytest.mark.parametrize("secret", [None, "not-the-test-control-secret"])
def test_pinning_a_key_id_demands_the_secret(lab, secret) -> None:
    reply = _pin(lab, {"user_uri": ALICE, "key_id": "F0000001"}, secret)
    assert reply.status == 401 and not reply.body


def test_a_pinned_key_id_is_the_next_cek_of_that_user_once(lab, tokens) -> None:
    issued = _issue(lab, tokens, "bob")
    wanted = f"{(issued.key_id ^ 0x0ABCDEF) | 0xF0000000:08X}"  # one this KMS has not issued
    secret = lab.endpoints.kms_test_control_secret
    reply = _pin(lab, {"user_uri": ALICE, "key_id": wanted.lower()}, secret)
    assert reply.status == 200 and json.loads(reply.body) == {"user_uri": ALICE, "key_id": wanted}
    assert f"{_issue(lab, tokens, 'bob').key_id:08X}" != wanted  # another user's CEK is not touched
    assert f"{_issue(lab, tokens, 'alice').key_id:08X}" == wanted
    assert f"{_issue(lab, tokens, 'alice').key_id:08X}" != wanted
    again = _pin(lab, {"user_uri": BOB, "key_id": wanted}, secret)  # issued now: never twice
    assert again.status == 409
    assert _pin(lab, {"user_uri": BOB, "key_id": f"{issued.key_id:08X}"}, secret).status == 409


@pytest.mark.parametrize("body", [
    {"user_uri": ALICE}, {"user_uri": ALICE, "key_id": "F00001"}, {"user_uri": ALICE, "key_id": 4026531841},
    {"user_uri": ALICE, "key_id": "G0000001"}, {"user_uri": "", "key_id": "F0000001"},
    {"user_uri": ALICE, "key_id": "F0000001", "other": 1},
])
def test_a_malformed_pin_is_a_400(lab, body) -> None:
    assert _pin(lab, body, lab.endpoints.kms_test_control_secret).status == 400


def test_a_key_id_of_another_purpose_cannot_be_pinned(lab) -> None:
    assert _pin(lab, {"user_uri": ALICE, "key_id": "20000001"}, lab.endpoints.kms_test_control_secret).status == 409
