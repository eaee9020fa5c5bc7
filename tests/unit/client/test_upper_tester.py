"""The MCPTT client as a real process, driven through its upper tester, talking through a test SIP
core (digest on REGISTER, P-Asserted-Identity inserted) to the MCPTT server, with a real IdM and KMS."""
from __future__ import annotations

import base64
import json
import socket
import urllib.request

from mcsec.fixtures.profile import Profile
from tests.unit.client.conftest import UpperTesterClient
from tests.unit.client.proxy import TestCore
from tests.unit.server.harness import read_trace


def ready(client: UpperTesterClient) -> str:
    """Log in and get a CEK; the Key ID."""
    assert client.post("/ut/v1/login")[0] == 200
    status, answer = client.post("/ut/v1/cek")
    assert status == 200, answer
    return answer["key_id"]


def test_info_before_anything(start_client, profile: Profile) -> None:
    client = start_client()
    status, info = client.get("/ut/v1/info")
    assert status == 200
    alice = profile.ixit.user("alice")
    assert info["api_version"] == "1"
    assert (info["impu"], info["mcptt_id"], info["server_uri"]) == (alice.impu, alice.mcptt_id,
                                                                    "sip:mcptt-as@example.org")
    assert info["state"] == {"logged_in": False, "cek_key_ids": [], "active_key_id": None, "registered": False,
                             "ibc_provisioned": False}


def test_login_cek_register_message_invite_publish(start_client, core: TestCore, profile: Profile) -> None:
    client = start_client()
    alice = profile.ixit.user("alice")
    status, login = client.post("/ut/v1/login")
    assert status == 200 and login["logged_in"] is True
    assert "3gpp:mc:ptt_key_management_service" in login["scope"].split()
    status, cek = client.post("/ut/v1/cek")
    assert status == 200
    key_id = cek["key_id"]
    assert len(key_id) == 8 and key_id[0] == "F"  # purpose tag 15
    assert (cek["owner_uri"], cek["server_uri"]) == (alice.mcptt_id, "sip:mcptt-as@example.org")

    challenges = core.challenges
    status, register = client.post("/ut/v1/register")
    assert status == 200 and register["status"] == 200, register
    assert core.challenges == challenges + 1  # the core challenged, the client answered with digest
    assert register["request_body"] == {"protected": True, "key_id": key_id}
    assert register["response_body"]["mcptt_info"] == {"calling_user_id": alice.mcptt_id}

    status, message = client.post("/ut/v1/message", {"mcptt_info": {"called_party_id": "sip:bob@example.org"}})
    assert status == 200
    assert (message["status"], message["reason"]) == (200, "OK")
    body = message["response_body"]
    assert body["protected"] is True and body["key_id"] == key_id and body["problem"] is None
    assert body["mcptt_info"] == {"calling_user_id": alice.mcptt_id, "called_party_id": "sip:bob@example.org"}

    acks = core.relayed.count("ACK")
    status, invite = client.post("/ut/v1/invite", {"group_id": "sip:group1@example.org"})
    assert status == 200 and invite["status"] == 200
    assert invite["response_body"]["protected"] is True
    assert invite["response_body"]["mcptt_info"]["calling_group_id"] == "sip:group1@example.org"
    assert invite["response_body"]["sdp_answer"].startswith("v=0")
    for _ in range(50):
        if core.relayed.count("ACK") > acks:
            break
        __import__("time").sleep(0.02)
    assert core.relayed.count("ACK") == acks + 1  # the 2xx was acknowledged

    status, publish = client.post("/ut/v1/publish", {"mcptt_info": {"session_type": "prearranged"}})
    assert status == 200 and publish["status"] == 200
    assert publish["response_body"]["mcptt_info"]["session_type"] == "prearranged"

    state = client.get("/ut/v1/info")[1]["state"]
    assert state == {"logged_in": True, "cek_key_ids": [key_id], "active_key_id": key_id, "registered": True,
                     "ibc_provisioned": False}

    # The trace holds the exact bytes on SIP-1: no MCPTT ID in clear, ciphertext instead.
    trace = read_trace(client.trace_path)
    assert trace and all(line["role"] == "client" and line["ref"] == "SIP-1" for line in trace)
    sent = [line for line in trace if line["dir"] == "out" and line["cseq"] and "MESSAGE" in line["cseq"]]
    assert sent and sent[0]["content_type"].startswith("application/pkcs7-mime")
    for line in trace:
        assert alice.mcptt_id.encode() not in base64.b64decode(line["raw_b64"])
    for secret in (alice.password, alice.sip_password):
        assert secret.encode() not in client.process.log_path.read_bytes()
        assert secret.encode() not in client.trace_path.read_bytes()


def test_several_ceks_and_selection(start_client) -> None:
    client = start_client()
    first = ready(client)
    status, second = client.post("/ut/v1/cek")
    assert status == 200 and second["key_id"] != first
    assert second["cek_key_ids"] == [first, second["key_id"]] and second["active_key_id"] == second["key_id"]

    status, message = client.post("/ut/v1/message", {"key_id": first})
    assert status == 200 and message["status"] == 200
    assert message["request_body"]["key_id"] == first and message["response_body"]["key_id"] == first

    status, selected = client.post("/ut/v1/cek", {"key_id": first})
    assert status == 200 and selected["active_key_id"] == first
    status, message = client.post("/ut/v1/message", {})
    assert message["response_body"]["key_id"] == first


def test_errors(start_client) -> None:
    client = start_client()
    assert client.post("/ut/v1/cek") == (409, {"error": "not_logged_in", "detail": "POST /ut/v1/login first"})
    assert client.post("/ut/v1/message")[1]["error"] == "no_cek"
    assert client.post("/ut/v1/register")[0] == 409
    ready(client)
    for body in ({"key_id": "xyz"}, {"nope": 1}, {"mcptt_info": {"calling_user_id": "alice"}},
                 {"mcptt_info": {"unknown": "sip:a@b"}}, {"to": 5}):
        status, answer = client.post("/ut/v1/message", body)
        assert status == 400 and answer["error"] == "bad_request", body
    assert client.post("/ut/v1/invite", {})[0] == 400
    assert client.post("/ut/v1/cek", {"key_id": "F0000000"})[1]["error"] == "unknown_key_id"
    assert client.post("/ut/v1/message", {"key_id": "F0000000"})[0] == 409
    request = urllib.request.Request(client.base + "/ut/v1/message", data=b"{not json", method="POST")
    try:
        urllib.request.urlopen(request, context=client.context, timeout=10)
        raise AssertionError("expected 400")
    except urllib.error.HTTPError as err:
        assert err.code == 400 and json.loads(err.read())["error"] == "bad_request"
    assert client.get("/ut/v2/info") == (404, {"error": "not_found",
                                             "detail": "no endpoint /ut/v2/info (this is API version 1)"})
    assert client.get("/ut/v1/login")[1]["error"] == "method_not_allowed"


def test_silent_sip_peer_gives_504(start_client) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        client = start_client(core={"host": "127.0.0.1", "port": silent.getsockname()[1], "transport": "udp"},
                              protection_required=False, sip_timeout_s=1)
        status, answer = client.post("/ut/v1/message", {})
    assert status == 504 and answer["error"] == "sip_timeout"


def test_tcp_to_the_core(start_client, core: TestCore) -> None:
    client = start_client(core={"host": core.address[0], "port": core.address[1], "transport": "tcp"})
    ready(client)
    status, message = client.post("/ut/v1/message", {})
    assert status == 200 and message["status"] == 200 and message["response_body"]["protected"] is True
    assert {line["transport"] for line in read_trace(client.trace_path)} == {"tcp"}


def test_client_send_clear_body(start_client, profile: Profile) -> None:
    reference, faulty = start_client(), start_client(faults=["client_send_clear_body"])
    results = []
    for client in (reference, faulty):
        ready(client)
        status, message = client.post("/ut/v1/message", {})
        assert status == 200
        results.append((message["status"], message["request_body"]["protected"]))
    assert results == [(200, True), (403, False)]
    clear = [base64.b64decode(line["raw_b64"]) for line in read_trace(faulty.trace_path) if line["dir"] == "out"]
    assert any(profile.ixit.user("alice").mcptt_id.encode() in raw for raw in clear)  # the evidence on the wire


def test_client_wrong_key_id(start_client) -> None:
    reference, faulty = start_client(), start_client(faults=["client_wrong_key_id"])
    results = []
    for client in (reference, faulty):
        key_id = ready(client)
        message = client.post("/ut/v1/message", {})[1]
        results.append((message["status"], message["request_body"]["key_id"] == key_id))
    assert results == [(200, True), (493, False)]


def test_bob_cannot_use_alices_identity(start_client, profile: Profile) -> None:
    bob = start_client("bob")
    ready(bob)
    status, message = bob.post("/ut/v1/message", {"mcptt_info": {"calling_user_id": profile.ixit.user("alice").mcptt_id}})
    assert status == 200 and message["status"] == 403
