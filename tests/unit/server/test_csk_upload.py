"""Clause 7.14 at the MCPTT server process: CSK upload in a MIKEY-SAKKE I_MESSAGE (application/mikey
MESSAGE), its refusals, the binding of the CSK to the uploader, and each 7.14 server fault changing
what is observed. The server gets its own key set from the real KMS of the lab at start-up."""
from __future__ import annotations

import dataclasses
import time

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.ibc import eccsi
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.mikey import BuiltIMessage, KeyPurpose, build_i_message
from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_i_message, encode_unsigned
from mcsec.impl.ibc.mikey_payloads import SakkePayload
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.kms.provclient import ProvisioningClient
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding, key_id_of, open_info, read_body
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import Request, Response
from tests.unit.server.conftest import ServerFarm
from tests.unit.server.harness import SERVER_URI, CorePeer, LabUsers, run, server_address, user_request


class Keys:
    """Key material the test obtains from the lab's KMS in the users' names."""

    def __init__(self, lab: Lab, profile: Profile, users: LabUsers) -> None:
        self.profile, self.users = profile, users
        assert lab.endpoints is not None
        self.client = ProvisioningClient(lab.endpoints.kms_url, lab.ssl_context, "hex", kms_uri=profile.ixit.kms_uri)
        reply = self.client.init(users.token("alice"))
        assert reply.certificate is not None
        self.cert: KmsCertificate = reply.certificate
        self._sets: dict[tuple[str, int], UserKeySet] = {}

    def period(self, at: float | None = None) -> int:
        return self.cert.key_period.number_at(at if at is not None else unix_to_ntp(time.time()))

    def key_set(self, username: str, period: int | None = None) -> UserKeySet:
        number = self.period() if period is None else period
        if (username, number) not in self._sets:
            reply = self.client.keyprov(self.users.token(username), self.profile.ixit.user(username).mcptt_id,
                                        self.cert.key_period.start_of(number) + 60)
            assert reply.key_sets, reply.status
            self._sets[(username, number)] = reply.key_sets[0].key_set
        return self._sets[(username, number)]

    def build(self, username: str = "alice", **kwargs) -> BuiltIMessage:
        return build_i_message(kms=self.cert, initiator=kwargs.pop("initiator", self.key_set(username)),
                               responder_uri=kwargs.pop("responder_uri", SERVER_URI), **kwargs)


@pytest.fixture(scope="module")
def keys(lab: Lab, profile: Profile, users: LabUsers) -> Keys:
    return Keys(lab, profile, users)


def upload_request(profile: Profile, username: str, data: bytes) -> Request:
    request = user_request("MESSAGE", impu=profile.ixit.user(username).impu)
    build_mikey_body(data).apply(request)
    return request


def protected(profile: Profile, username: str, built: BuiltIMessage) -> Request:
    return user_request("MESSAGE", impu=profile.ixit.user(username).impu,
                        info=McpttInfo(calling_user_id=profile.ixit.user(username).mcptt_id),
                        key=SealingKey(built.key_id, built.key))


def exchange(server: RoleProcess, requests: list[Request]) -> list[Response]:
    async def go() -> list[Response]:
        core = await CorePeer.start(server_address(server))
        try:
            return [await core.send(request) for request in requests]
        finally:
            await core.close()
    return run(go)


def statuses(responses: list[Response]) -> list[int]:
    return [r.status for r in responses]


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 1
    return bytes(out)


# --- accepted, then used ---------------------------------------------------------------------------

def test_csk_upload_then_protected_message(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    assert server.info["ibc_identity"] == SERVER_URI
    built = keys.build()
    upload, message = exchange(server, [upload_request(profile, "alice", built.data),
                                        protected(profile, "alice", built)])
    assert upload.status == 200 and not upload.body
    assert message.status == 200
    part = read_body(message).info_part
    assert part is not None and part.protected
    assert key_id_of(part) == built.key_id and built.key_id >> 28 == KeyPurpose.CSK
    opened = open_info(part, key_lookup=lambda k: built.key if k == built.key_id else None, guard=None,
                       binding=SipBinding.of_response(message))
    assert opened.info.calling_user_id == profile.ixit.user("alice").mcptt_id


def test_kms_ceks_still_work_beside_csks(server: RoleProcess, users: LabUsers, profile: Profile) -> None:
    cek = users.cek("alice")
    request = user_request("MESSAGE", impu=profile.ixit.user("alice").impu,
                           info=McpttInfo(calling_user_id=profile.ixit.user("alice").mcptt_id),
                           key=SealingKey(cek.key_id, cek.key))
    assert statuses(exchange(server, [request])) == [200]


# --- refusals ----------------------------------------------------------------------------------------

def _warning(response: Response) -> str:
    return response.headers.get("Warning") or ""


@pytest.mark.parametrize("case, warning", [
    ("bad_signature", "signature not valid"),
    ("other_server", "not addressed to this server"),
    ("gmk", "key is not a CSK"),
    ("old", "timestamp outside the window"),
    ("expired_period", "key period not current"),
])
def test_refused_with_warning(server: RoleProcess, keys: Keys, profile: Profile, case: str, warning: str) -> None:
    if case == "bad_signature":
        data = flip(keys.build().data, -100)
    elif case == "other_server":
        data = keys.build(responder_uri="sip:mcptt-as-2@example.org").data
    elif case == "gmk":
        data = keys.build(purpose=KeyPurpose.GMK).data
    elif case == "old":
        at = unix_to_ntp(time.time()) - 600
        data = keys.build(initiator=keys.key_set("alice", keys.period(at)), ntp_seconds=at).data
    else:
        previous = keys.period() - 1
        at = keys.cert.key_period.start_of(previous) + 100
        data = keys.build(initiator=keys.key_set("alice", previous), ntp_seconds=at).data
    [response] = exchange(server, [upload_request(profile, "alice", data)])
    assert response.status == 403
    assert _warning(response).startswith("399 ") and f"MIKEY-SAKKE: {warning}" in _warning(response)


def test_truncated_is_400_and_garbage_is_400(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    data = keys.build().data
    responses = exchange(server, [upload_request(profile, "alice", data[:-40]),
                                  upload_request(profile, "alice", b"\x01\x1a" + bytes(10))])
    assert statuses(responses) == [400, 400]


def test_undecipherable_sakke_payload_is_493(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    built = keys.build()
    message = decode_i_message(built.data)
    payloads = [dataclasses.replace(p, sed=flip(p.sed, 272)) if isinstance(p, SakkePayload) else p
                for p in message.payloads]
    unsigned = encode_unsigned(message.header, payloads)
    data = encode_i_message(unsigned, eccsi.sign(unsigned, keys.key_set("alice").signing_key(), keys.cert.kpak))
    [response] = exchange(server, [upload_request(profile, "alice", data)])
    assert (response.status, _warning(response), response.body) == (493, "", b"")


def test_replay_and_identity_checks(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    built = keys.build()
    bob_sends_alices = keys.build()
    responses = exchange(server, [
        upload_request(profile, "alice", built.data),
        upload_request(profile, "alice", built.data),             # replayed
        upload_request(profile, "bob", bob_sends_alices.data),    # not the asserted identity
        protected(profile, "bob", built),                         # alice's CSK used by bob
    ])
    assert statuses(responses) == [200, 403, 403, 493]
    assert "replayed" in _warning(responses[1])
    assert "initiator is not the asserted identity" in _warning(responses[2])


def test_csk_id_bound_to_another_user_is_not_taken_over(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    first = keys.build()
    second = keys.build("bob", key_id=first.key_id)
    responses = exchange(server, [upload_request(profile, "alice", first.data),
                                  upload_request(profile, "bob", second.data),
                                  protected(profile, "alice", first)])
    assert statuses(responses) == [200, 403, 200]
    assert "bound to another identity" in _warning(responses[1])


def test_mikey_body_on_other_methods_is_415(server: RoleProcess, keys: Keys, profile: Profile) -> None:
    request = user_request("PUBLISH", impu=profile.ixit.user("alice").impu)
    build_mikey_body(keys.build().data).apply(request)
    [response] = exchange(server, [request])
    assert response.status == 415 and "application/mikey" in (response.headers.get("Accept") or "")


# --- faults --------------------------------------------------------------------------------------------

def _observe(farm: ServerFarm, fault: str, observe) -> tuple[object, object]:
    return observe(farm.get("reference")), observe(farm.get(fault, faults=(fault,)))


def test_fault_accept_bad_signature(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    def observe(server: RoleProcess) -> list[int]:
        return statuses(exchange(server, [upload_request(profile, "alice", flip(keys.build().data, -100))]))
    assert _observe(farm, "server_accept_bad_signature", observe) == ([403], [200])


def test_fault_ignore_csk_binding(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    def observe(server: RoleProcess) -> list[int]:
        built = keys.build()
        return statuses(exchange(server, [upload_request(profile, "alice", built.data),
                                          protected(profile, "bob", built)]))
    assert _observe(farm, "server_ignore_csk_binding", observe) == ([200, 493], [200, 200])


def test_fault_csk_binding_checked_once(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    """The binding holds on every use: bob is refused under alice's CSK before and after alice used it."""
    def observe(server: RoleProcess) -> list[int]:
        built = keys.build()
        return statuses(exchange(server, [upload_request(profile, "alice", built.data), protected(profile, "bob", built),
                                          protected(profile, "alice", built), protected(profile, "bob", built)]))
    assert _observe(farm, "server_csk_binding_checked_once", observe) == ([200, 493, 200, 493], [200, 493, 200, 200])


def test_fault_csk_answer_clear(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    def observe(server: RoleProcess) -> bool:
        built = keys.build()
        _, answer = exchange(server, [upload_request(profile, "alice", built.data), protected(profile, "alice", built)])
        part = read_body(answer).info_part
        return part is not None and part.protected
    assert _observe(farm, "server_csk_answer_clear", observe) == (True, False)


def test_fault_trust_mikey_initiator(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    def observe(server: RoleProcess) -> list[int]:
        return statuses(exchange(server, [upload_request(profile, "bob", keys.build().data)]))
    assert _observe(farm, "server_trust_mikey_initiator", observe) == ([403], [200])


def test_fault_no_mikey_replay_check_and_ignore_timestamp(farm: ServerFarm, keys: Keys, profile: Profile) -> None:
    def replay(server: RoleProcess) -> list[int]:
        data = keys.build().data
        return statuses(exchange(server, [upload_request(profile, "alice", data) for _ in range(2)]))

    def old(server: RoleProcess) -> list[int]:
        at = unix_to_ntp(time.time()) - 900
        data = keys.build(initiator=keys.key_set("alice", keys.period(at)), ntp_seconds=at).data
        return statuses(exchange(server, [upload_request(profile, "alice", data)]))
    assert _observe(farm, "server_no_mikey_replay_check", replay) == ([200, 403], [200, 200])
    assert _observe(farm, "server_ignore_timestamp", old) == ([403], [200])
