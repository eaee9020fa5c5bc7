"""The MCPTT server as a real process, with a real IdM and KMS: protected MESSAGE, REGISTER, PUBLISH
and INVITE answered 200 with the sensitive answer protected under the same CEK; several CEKs at once."""
from __future__ import annotations

import base64
import time

import pytest

import mcsec.impl.smime as smime
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.kms.cekxml import KmsCek
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding, key_id_of, open_info, read_body
from mcsec.impl.sip import Response
from tests.unit.server.harness import CorePeer, LabUsers, read_trace, run, server_address

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 96\r\n"


def key(cek: KmsCek) -> SealingKey:
    return SealingKey(cek.key_id, cek.key)


def open_answer(response: Response, cek: KmsCek) -> McpttInfo:
    part = read_body(response).info_part
    assert part is not None and part.protected, response.headers.get("Content-Type")
    assert key_id_of(part) == cek.key_id
    return open_info(part, key_lookup=lambda k: cek.key if k == cek.key_id else None,
                     guard=smime.ReplayGuard(), binding=SipBinding.of_response(response)).info


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_protected_message_gets_protected_echo(server: RoleProcess, users: LabUsers, profile: Profile,
                                               transport: str) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id, called_party_id=profile.ixit.user("bob").mcptt_id,
                     request_uri="sip:mcptt-as@example.org")

    async def exchange() -> Response:
        core = await CorePeer.start(server_address(server))
        try:
            return await core.send(core.request("MESSAGE", impu=alice.impu, info=info, key=key(cek)), transport)
        finally:
            await core.close()

    response = run(exchange)
    assert (response.status, response.reason) == (200, "OK")
    assert response.headers.get("Content-Disposition") == "attachment; handling=required"
    assert alice.mcptt_id.encode() not in response.body
    assert open_answer(response, cek) == info


def test_calling_user_is_filled_from_the_asserted_identity(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")

    async def exchange() -> Response:
        core = await CorePeer.start(server_address(server))
        try:
            return await core.send(core.request("MESSAGE", impu=alice.impu, key=key(cek),
                                                info=McpttInfo(called_party_id="sip:bob@example.org")))
        finally:
            await core.close()

    echoed = open_answer(run(exchange), cek)
    assert echoed.calling_user_id == alice.mcptt_id


def test_two_ceks_live_at_once_each_body_opened_with_the_one_it_names(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    first, second = users.cek("alice"), users.cek("alice")
    assert first.key_id != second.key_id
    info = McpttInfo(calling_user_id=alice.mcptt_id)

    async def exchange() -> list[Response]:
        core = await CorePeer.start(server_address(server))
        answers = []
        try:
            for cek in (first, second, first, second):
                answers.append(await core.send(core.request("MESSAGE", impu=alice.impu, info=info, key=key(cek))))
        finally:
            await core.close()
        return answers

    answers = run(exchange)
    assert [a.status for a in answers] == [200, 200, 200, 200]
    for response, cek in zip(answers, (first, second, first, second)):
        assert open_answer(response, cek) == info  # answered under the CEK the request named


def test_register_and_publish(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id)

    async def exchange() -> list[Response]:
        core = await CorePeer.start(server_address(server))
        try:
            return [await core.send(core.request(method, impu=alice.impu, info=info, key=key(cek)))
                    for method in ("REGISTER", "PUBLISH")]
        finally:
            await core.close()

    for response in run(exchange):
        assert response.status == 200
        assert open_answer(response, cek) == info


def test_invite_answered_with_sdp_and_protected_info(server, users, profile) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id, calling_group_id="sip:group1@example.org")

    async def exchange() -> Response:
        core = await CorePeer.start(server_address(server))
        try:
            return await core.send(core.request("INVITE", impu=alice.impu, info=info, key=key(cek), sdp=SDP), "tcp")
        finally:
            await core.close()

    response = run(exchange)
    assert response.status == 200
    assert response.headers.get("Content-Type").startswith("multipart/mixed")
    assert response.headers.get("Contact", "").startswith("<sip:mcptt-as@127.0.0.1:")
    received = read_body(response)
    assert received.sdp is not None and received.sdp.startswith(b"v=0")
    assert open_answer(response, cek) == info


def test_trace_holds_exact_bytes_and_no_clear_identity_or_secret(server, users, profile, lab) -> None:
    alice = profile.ixit.user("alice")
    cek = users.cek("alice")
    info = McpttInfo(calling_user_id=alice.mcptt_id)
    sent: list[bytes] = []

    async def exchange() -> Response:
        core = await CorePeer.start(server_address(server))
        try:
            request = core.request("MESSAGE", impu=alice.impu, info=info, key=key(cek))
            response = await core.send(request)
            sent.append(request.to_bytes())
            return response
        finally:
            await core.close()

    response = run(exchange)
    assert response.status == 200
    mine: list[dict] = []
    for _ in range(100):  # bounded: the server writes the line as it sends
        mine = [line for line in read_trace(server.run_dir / "server-trace.jsonl")
                if line["call_id"] == response.call_id]
        if any(line["dir"] == "out" for line in mine):
            break
        time.sleep(0.02)
    incoming = [line for line in mine if line["dir"] == "in"]  # the request and any UDP retransmission
    outgoing = [line for line in mine if line["dir"] == "out"]
    assert incoming and outgoing
    assert all(line["role"] == "server" and line["ref"] == "SIP-2" and line["transport"] == "udp" for line in mine)
    assert base64.b64decode(incoming[0]["raw_b64"]) == sent[0]  # the exact bytes received
    assert base64.b64decode(outgoing[0]["raw_b64"]) == response.to_bytes()  # the exact bytes sent
    assert incoming[0]["first_line"].startswith("MESSAGE ") and outgoing[0]["first_line"] == "SIP/2.0 200 OK"
    assert incoming[0]["content_type"].startswith("application/pkcs7-mime")
    assert incoming[0]["dst"] == "127.0.0.1:%d" % server_address(server)[1]
    for line in mine:
        assert alice.mcptt_id.encode() not in base64.b64decode(line["raw_b64"])
    secrets = [cek.key.hex().encode(), base64.b64encode(cek.key), profile.ixit.server("mcptt-as").client_secret.encode()]
    for path in (server.log_path, server.run_dir / "server-trace.jsonl"):
        text = path.read_bytes()
        assert not any(secret in text for secret in secrets), path
