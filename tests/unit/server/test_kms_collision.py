"""A CEK is identified by (KMS URI, Key ID): two KMSes that issue the same Key ID, each the home KMS
of one user, and the MCPTT server (a real process) opens each user's body with that user's KMS's CEK
and answers it under the same CEK, judged from the answer on the wire."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.fixtures.profile import Profile
from mcsec.impl.faults import Faults
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.cekxml import KmsCek
from mcsec.impl.mcptt import McpttInfo, SealingKey
from mcsec.impl.server.keystore import KeyStore
from mcsec.impl.sip import Response
from tests.unit.server.harness import SERVER_URI, CorePeer, LabUsers, run, server_address, start_server
from tests.unit.server.test_keystore import server_token
from tests.unit.server.test_protected_exchange import open_answer

OTHER_KMS_URI = "kms-b.example.org"


@pytest.fixture(scope="module")
def twin_kmses(lab: Lab, profile: Profile) -> Iterator[tuple[RoleProcess, RoleProcess]]:
    """Two KMSes (A under the lab's KMS URI, B under another) that issue Key IDs in counting order,
    so the first CEK each issues has the same Key ID."""
    counting = Faults(["kms_counter_key_ids"], role="kms")
    started: list[RoleProcess] = []
    try:
        for name, kms_uri in (("kms-a", profile.ixit.kms_uri), ("kms-b", OTHER_KMS_URI)):
            started.append(lab.spawn("kms", name=name, port=0, kms_uri=kms_uri, faults=counting))
        yield started[0], started[1]
    finally:
        for process in started:
            process.stop()


def issue(lab: Lab, users: LabUsers, profile: Profile, kms: RoleProcess, username: str) -> KmsCek:
    client = CekClient(kms.info["url"], kms.info["kms_uri"], lab.ssl_context)
    reply = client.issue(users.token(username), profile.ixit.user(username).mcptt_id, SERVER_URI)
    assert reply.status == 200 and reply.cek is not None, (reply.status, reply.problem)
    return reply.cek


@pytest.fixture(scope="module")
def colliding(lab: Lab, users: LabUsers, profile: Profile,
              twin_kmses: tuple[RoleProcess, RoleProcess]) -> tuple[KmsCek, KmsCek]:
    """alice's CEK from KMS A and bob's from KMS B: one Key ID, two keys."""
    kms_a, kms_b = twin_kmses
    first, second = issue(lab, users, profile, kms_a, "alice"), issue(lab, users, profile, kms_b, "bob")
    assert first.key_id == second.key_id and first.key != second.key
    return first, second


def homes(profile: Profile, twin_kmses: tuple[RoleProcess, RoleProcess], ca: Path) -> dict:
    """Server configuration: KMS A its own KMS, KMS B another, bob homed at KMS B."""
    kms_a, kms_b = twin_kmses
    return {
        "kms": {"url": kms_a.info["url"], "kms_uri": kms_a.info["kms_uri"], "ca": str(ca)},
        "other_kms": [{"url": kms_b.info["url"], "kms_uri": kms_b.info["kms_uri"], "ca": str(ca)}],
        "users": [{"impu": u.impu, "mcptt_id": u.mcptt_id,
                   **({"kms_uri": OTHER_KMS_URI} if u.username == "bob" else {})} for u in profile.ixit.users],
    }


def test_keystore_keeps_colliding_key_ids_of_two_kmses_apart(lab: Lab, profile: Profile, twin_kmses,
                                                             colliding) -> None:
    kms_a, kms_b = twin_kmses
    alice_cek, bob_cek = colliding
    alice, bob = profile.ixit.user("alice"), profile.ixit.user("bob")
    store = KeyStore(server_uri=SERVER_URI, kms=CekClient(kms_a.info["url"], kms_a.info["kms_uri"], lab.ssl_context),
                     other_kms=[CekClient(kms_b.info["url"], OTHER_KMS_URI, lab.ssl_context)],
                     homes={bob.mcptt_id: OTHER_KMS_URI}, token=server_token(lab, profile), faults=Faults())
    assert store.cek_for(alice_cek.key_id, alice.mcptt_id).key == alice_cek.key
    assert store.needs_kms(bob_cek.key_id, bob.mcptt_id)  # the Key ID held from KMS A does not name bob's CEK
    assert store.cek_for(bob_cek.key_id, bob.mcptt_id).key == bob_cek.key
    assert store.cek_for(alice_cek.key_id, alice.mcptt_id).key == alice_cek.key  # still A's for alice
    assert store.held() == [(profile.ixit.kms_uri, alice_cek.key_id), (OTHER_KMS_URI, bob_cek.key_id)]


def test_keystore_refuses_a_user_homed_at_an_unknown_kms(lab: Lab, profile: Profile) -> None:
    assert lab.endpoints is not None
    with pytest.raises(ValueError, match="not one the server knows"):
        KeyStore(server_uri=SERVER_URI, kms=CekClient(lab.endpoints.kms_url, profile.ixit.kms_uri, lab.ssl_context),
                 homes={"sip:bob@example.org": "kms.nowhere.example"}, token=server_token(lab, profile),
                 faults=Faults())


def test_server_opens_each_body_with_its_senders_kms_cek(lab: Lab, profile: Profile, users: LabUsers, twin_kmses,
                                                         colliding, tmp_path: Path) -> None:
    assert lab.endpoints is not None
    alice_cek, bob_cek = colliding
    server = start_server(lab, profile, tmp_path / "server", **homes(profile, twin_kmses, lab.endpoints.ca_path))
    try:
        alice, bob = profile.ixit.user("alice"), profile.ixit.user("bob")

        async def exchange() -> tuple[Response, Response]:
            core = await CorePeer.start(server_address(server))
            try:
                sent = []
                for user, cek in ((alice, alice_cek), (bob, bob_cek)):
                    info = McpttInfo(calling_user_id=user.mcptt_id, request_uri=SERVER_URI)
                    sent.append(await core.send(core.request("MESSAGE", impu=user.impu, info=info,
                                                             key=SealingKey(cek.key_id, cek.key))))
                return sent[0], sent[1]
            finally:
                await core.close()

        to_alice, to_bob = run(exchange)
        assert (to_alice.status, to_bob.status) == (200, 200)
        assert open_answer(to_alice, alice_cek).calling_user_id == alice.mcptt_id
        assert open_answer(to_bob, bob_cek).calling_user_id == bob.mcptt_id  # sealed under KMS B's CEK
    finally:
        server.stop()
