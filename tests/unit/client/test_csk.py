"""Clause 7.14 at the MCPTT client process: IBC key material from the real KMS, the CSK created and
uploaded in a MIKEY-SAKKE I_MESSAGE through a test SIP core to the reference MCPTT server, then used
exactly like a KMS CEK; and the client's 7.14 faults."""
from __future__ import annotations

import base64
import json

import pytest

from mcsec.fixtures.profile import Profile
from mcsec.impl.client import config as client_config
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey import key_id_of
from mcsec.impl.rolemain import ConfigError
from tests.unit.client.conftest import UpperTesterClient
from tests.unit.server.harness import read_trace


def provisioned(client: UpperTesterClient) -> dict:
    assert client.post("/ut/v1/login")[0] == 200
    status, answer = client.post("/ut/v1/ibc/provision")
    assert status == 200, answer
    return answer


def test_preconditions(start_client) -> None:
    client = start_client()
    assert client.get("/ut/v1/info")[1]["state"]["ibc_provisioned"] is False
    assert client.post("/ut/v1/ibc/provision") == (409, {"error": "not_logged_in", "detail": "POST /ut/v1/login first"})
    assert client.post("/ut/v1/login")[0] == 200
    status, answer = client.post("/ut/v1/csk")
    assert (status, answer["error"]) == (409, "not_provisioned")
    assert client.post("/ut/v1/ibc/provision", {"x": 1})[0] == 400
    assert client.post("/ut/v1/register", {"with_info": "no"})[0] == 400


def test_provision_upload_and_use(start_client, profile: Profile) -> None:
    client = start_client()
    alice = profile.ixit.user("alice")
    material = provisioned(client)
    assert material["user_uri"] == alice.mcptt_id and material["kms_uri"] == profile.ixit.kms_uri
    assert material["checks"] == ["kms", "revoked", "uid", "ssk", "rsk", "key_period"]
    assert client.get("/ut/v1/info")[1]["state"]["ibc_provisioned"] is True
    status, register = client.post("/ut/v1/register", {"with_info": False})
    assert status == 200 and register["status"] == 200 and register["request_body"]["protected"] is False
    status, upload = client.post("/ut/v1/csk")
    assert status == 200 and upload["accepted"] is True and upload["status"] == 200, upload
    csk_id = upload["key_id"]
    assert len(csk_id) == 8 and int(csk_id, 16) >> 28 == 2
    assert upload["active_key_id"] == csk_id and csk_id in upload["cek_key_ids"]
    status, message = client.post("/ut/v1/message", {"mcptt_info": {"called_party_id": "sip:bob@example.org"}})
    assert status == 200 and message["status"] == 200
    assert message["request_body"] == {"protected": True, "key_id": csk_id}
    body = message["response_body"]
    assert body["protected"] is True and body["key_id"] == csk_id and body["problem"] is None
    assert body["mcptt_info"]["calling_user_id"] == alice.mcptt_id
    sent = [line for line in read_trace(client.trace_path) if line["dir"] == "out"
            and "application/mikey" in (line.get("content_type") or "")]
    assert len({line["raw_b64"] for line in sent}) == 1  # one upload (UDP retransmissions are copies)
    raw = base64.b64decode(sent[0]["raw_b64"])
    i_message = decode_i_message(raw.split(b"\r\n\r\n", 1)[1])
    assert f"{key_id_of(i_message):08X}" == csk_id
    text = json.dumps(upload) + json.dumps(material)
    assert "UserDecryptKey" not in text and "ssk\":" not in text


def test_fault_client_wrong_purpose(start_client) -> None:
    client = start_client(faults=["client_wrong_purpose"])
    provisioned(client)
    assert client.post("/ut/v1/register", {"with_info": False})[1]["status"] == 200
    status, upload = client.post("/ut/v1/csk")
    assert status == 200 and upload["accepted"] is False and upload["status"] == 403
    assert int(upload["key_id"], 16) >> 28 == 0 and "not a CSK" in upload["warning"]
    assert upload["active_key_id"] is None


def test_fault_client_skip_key_validation(start_client) -> None:
    client = start_client(faults=["client_skip_key_validation"])
    assert provisioned(client)["checks"] == []


@pytest.mark.parametrize("item", [[], {"x": 1}, {"user_id_format": "b32"}, {"server_identity": ""}])
def test_bad_ibc_items(item) -> None:
    with pytest.raises(ConfigError):
        client_config._ibc(item)


def test_ibc_defaults() -> None:
    assert client_config._ibc(None) == client_config.IbcConfig("hex", None)
