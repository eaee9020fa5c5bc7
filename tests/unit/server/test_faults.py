"""Each server fault changes what a test observes: the same stimulus is answered one way by the
reference server and another way by a server with the fault on (proof that the suite can fail)."""
from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from mcsec.fixtures.profile import Profile
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.mcptt import McpttInfo, SealingKey, read_body
from mcsec.impl.sip import Request, Response
from tests.unit.server.conftest import ServerFarm
from tests.unit.server.harness import CorePeer, LabUsers, run, server_address, user_request


def exchange(server: RoleProcess, requests: list[Request]) -> list[Response]:
    async def go() -> list[Response]:
        core = await CorePeer.start(server_address(server))
        try:
            return [await core.send(request) for request in requests]
        finally:
            await core.close()
    return run(go)


Observation = Callable[[RoleProcess], object]


def observe_both(farm: ServerFarm, fault: str, observe: Observation) -> tuple[object, object]:
    return observe(farm.get("reference")), observe(farm.get(fault, faults=(fault,)))


def alice_info(profile: Profile) -> McpttInfo:
    return McpttInfo(calling_user_id=profile.ixit.user("alice").mcptt_id)


def test_server_accept_clear_body(farm: ServerFarm, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> int:
        return exchange(server, [user_request("MESSAGE", impu=alice.impu, info=alice_info(profile))])[0].status

    assert observe_both(farm, "server_accept_clear_body", observe) == (403, 200)


def test_server_ignore_key_id(farm: ServerFarm, users: LabUsers, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> list[int]:
        older, newer = users.cek("alice"), users.cek("alice")
        requests = [user_request("MESSAGE", impu=alice.impu, info=alice_info(profile),
                                 key=SealingKey(cek.key_id, cek.key)) for cek in (older, newer, older)]
        return [r.status for r in exchange(server, requests)]

    reference, faulty = observe_both(farm, "server_ignore_key_id", observe)
    assert reference == [200, 200, 200]
    assert faulty == [200, 200, 493]  # the third is opened with the newest CEK, not the one it names


def test_server_ignore_binding(farm: ServerFarm, users: LabUsers, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> int:
        bob_cek = users.cek("bob")
        request = user_request("MESSAGE", impu=alice.impu, info=alice_info(profile),
                               key=SealingKey(bob_cek.key_id, bob_cek.key))
        return exchange(server, [request])[0].status

    assert observe_both(farm, "server_ignore_binding", observe) == (493, 200)


def test_server_answer_clear(farm: ServerFarm, users: LabUsers, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> tuple[int, bool]:
        cek = users.cek("alice")
        [response] = exchange(server, [user_request("MESSAGE", impu=alice.impu, info=alice_info(profile),
                                                    key=SealingKey(cek.key_id, cek.key))])
        part = read_body(response).info_part
        return response.status, part is not None and part.protected

    assert observe_both(farm, "server_answer_clear", observe) == ((200, True), (200, False))


def test_server_no_replay_check(farm: ServerFarm, users: LabUsers, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> list[int]:
        cek = users.cek("alice")
        original = user_request("MESSAGE", impu=alice.impu, info=alice_info(profile),
                                key=SealingKey(cek.key_id, cek.key))
        replay = original.copy()
        replay.headers.remove("Via")
        return [r.status for r in exchange(server, [original, replay])]

    assert observe_both(farm, "server_no_replay_check", observe) == ([200, 403], [200, 200])


def test_server_accept_undecipherable(farm: ServerFarm, users: LabUsers, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> int:
        cek = users.cek("alice")
        unknown = SealingKey(0xF0000000 | secrets.randbits(28), cek.key)
        return exchange(server, [user_request("MESSAGE", impu=alice.impu, info=alice_info(profile),
                                              key=unknown)])[0].status

    assert observe_both(farm, "server_accept_undecipherable", observe) == (493, 200)


def test_server_ignore_handling_required(farm: ServerFarm, profile: Profile) -> None:
    alice = profile.ixit.user("alice")

    def observe(server: RoleProcess) -> int:
        request = user_request("MESSAGE", impu=alice.impu)
        request.set_body(b"<x/>", "application/x-unknown+xml")
        request.headers.set("Content-Disposition", "render; handling=required")
        return exchange(server, [request])[0].status

    assert observe_both(farm, "server_ignore_handling_required", observe) == (415, 200)


@pytest.mark.parametrize("fault", ["no_such_fault", "client_send_clear_body"])
def test_unknown_or_foreign_fault_names(farm: ServerFarm, fault: str) -> None:
    from mcsec.fixtures.lab.roleprocess import RoleStartError
    if fault == "no_such_fault":
        with pytest.raises(RoleStartError):
            farm.get(f"bad-{fault}", faults=(fault,))
    else:  # a fault of another role is not this role's: the server runs without it
        assert farm.get(f"foreign-{fault}", faults=(fault,)).info["faults"] == []
