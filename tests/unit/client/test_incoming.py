"""The MCPTT client process as a UAS: the MESSAGE and INVITE the MCPTT server sends it, answered with the
mcptt-info the upper tester set (POST /ut/v1/answer), protected under the CEK of the request, with 493 for
a body it cannot open; and the client faults that change those answers."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile
from mcsec.impl.idm.login import client_credentials, discover
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.mcptt import sdp
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_of, open_info, read_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import Request, Response, make_request
from mcsec.impl.sip.aio import SipEndpoint
from tests.unit.client.conftest import UpperTesterClient
from tests.unit.server.harness import FAST_TIMERS, SERVER_URI

GROUP = "sip:group-fire-7@example.org"


def _server_cek(lab: Lab, profile: Profile, key_id: str) -> SealingKey:
    """The CEK as the MCPTT server fetches it from the KMS by its Key ID."""
    server = profile.ixit.servers[0]
    token = client_credentials(discover(lab.endpoints.idm_url, lab.ssl_context), server.client_id,
                               server.client_secret, lab.ssl_context).access_token
    reply = CekClient(lab.endpoints.kms_url, profile.ixit.kms_uri, lab.ssl_context).fetch(token, server.uri,
                                                                                           int(key_id, 16))
    assert reply.cek is not None, reply.status
    return SealingKey(reply.cek.key_id, reply.cek.key)


def _send(client: UpperTesterClient, profile: Profile, method: str, key: SealingKey | None, *,
          info: McpttInfo | None = None) -> tuple[Request, Response]:
    alice = profile.ixit.user("alice")
    target = client.process.info["sip"]
    info = info or McpttInfo(calling_user_id=profile.ixit.user("bob").mcptt_id, called_party_id=alice.mcptt_id)

    async def go():
        endpoint = await SipEndpoint.start(timers=FAST_TIMERS)
        try:
            request = make_request(method, alice.impu, from_=f"<{SERVER_URI}>", to=f"<{alice.impu}>",
                                   contact="<sip:mcptt-as@127.0.0.1>")
            offer = sdp.offer("127.0.0.1") if method == "INVITE" else None
            body = build_body(info, key=key, binding=SipBinding.of_request(request), sdp=offer)
            body.apply(request)
            response = await endpoint.send_request(request, (target["host"], target["port"]), timeout=8)
            return request, response
        finally:
            await endpoint.close()
    return asyncio.run(asyncio.wait_for(go(), 15))


def _ready(client: UpperTesterClient) -> str:
    assert client.post("/ut/v1/login")[0] == 200
    status, answer = client.post("/ut/v1/cek")
    assert status == 200, answer
    return answer["key_id"]


def _opened(response: Response, key: SealingKey) -> dict:
    part = read_body(response, honour_handling=False).info_part
    assert part is not None and part.protected and key_id_of(part) == key.key_id
    return open_info(part, key_lookup=lambda _k: key.cek, guard=None,
                     binding=SipBinding.of_response(response)).info.to_dict()


@pytest.mark.parametrize("method", ["MESSAGE", "INVITE"])
def test_a_protected_request_is_answered_under_its_cek_with_the_set_mcptt_info(
        start_client, lab: Lab, profile: Profile, method: str) -> None:
    client = start_client()
    key = _server_cek(lab, profile, _ready(client))
    bob = profile.ixit.user("bob").mcptt_id
    assert client.post("/ut/v1/answer", {"mcptt_info": {"called_party_id": bob, "calling_group_id": GROUP}}) == \
        (200, {"mcptt_info": {"called_party_id": bob, "calling_group_id": GROUP}})
    _, response = _send(client, profile, method, key)
    assert response.status == 200
    assert _opened(response, key) == {"called_party_id": bob, "calling_group_id": GROUP}
    if method == "INVITE":
        assert read_body(response).sdp is not None and response.headers.get("Contact")
        assert "handling=required" in response.body.decode("latin-1")
    else:
        assert response.headers.get("Content-Disposition") == "attachment; handling=required"
    # back to the default: the request's mcptt-info, the client as called party when none was named
    assert client.post("/ut/v1/answer", {}) == (200, {"mcptt_info": None})
    info = McpttInfo(calling_user_id=bob)
    _, response = _send(client, profile, method, key, info=info)
    assert _opened(response, key) == {"calling_user_id": bob,
                                      "called_party_id": profile.ixit.user("alice").mcptt_id}


def test_requests_the_client_cannot_take(start_client, lab: Lab, profile: Profile) -> None:
    client = start_client()
    key = _server_cek(lab, profile, _ready(client))
    unknown = SealingKey(key.key_id ^ 0x00F0F0F0, secrets.token_bytes(16))
    assert _send(client, profile, "MESSAGE", unknown)[1].status == 493
    wrong_key = SealingKey(key.key_id, secrets.token_bytes(16))
    refused = _send(client, profile, "MESSAGE", wrong_key)[1]
    assert (refused.status, refused.body, refused.headers.get("Warning")) == (493, b"", None)
    clear = _send(client, profile, "MESSAGE", None)[1]
    assert clear.status == 403 and "S/MIME protection required" in (clear.headers.get("Warning") or "")
    assert client.post("/ut/v1/answer", {"mcptt_info": {"called_party_id": "not a uri"}})[0] == 400
    assert client.post("/ut/v1/answer", {"other": 1})[0] == 400


def test_fault_client_answer_clear(start_client, lab: Lab, profile: Profile) -> None:
    client = start_client(faults=["client_answer_clear"])
    key = _server_cek(lab, profile, _ready(client))
    _, response = _send(client, profile, "MESSAGE", key)
    part = read_body(response).info_part
    assert response.status == 200 and part is not None and not part.protected


def test_fault_client_accept_undecipherable_request(start_client, lab: Lab, profile: Profile) -> None:
    client = start_client(faults=["client_accept_undecipherable_request"])
    key = _server_cek(lab, profile, _ready(client))
    assert _send(client, profile, "MESSAGE", SealingKey(key.key_id, secrets.token_bytes(16)))[1].status == 200


def test_fault_client_no_handling_required(start_client, lab: Lab, profile: Profile) -> None:
    client = start_client(faults=["client_no_handling_required"])
    key = _server_cek(lab, profile, _ready(client))
    _, response = _send(client, profile, "INVITE", key)
    assert response.status == 200 and b"Content-Disposition" not in response.body
    _, response = _send(client, profile, "MESSAGE", key)
    assert response.status == 200 and response.headers.get("Content-Disposition") is None
