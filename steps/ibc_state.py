"""What the test system holds in a clause 7.14 scenario: IBC key material it obtained from the KMS in
the users' names (the suite has their credentials), its own SIP user agents, and the extra role
processes a scenario starts for itself (an MCPTT server with its own configuration, a KMS emulator).

The test system talks to the SIP core as a registered user, or straight to an extra MCPTT server
playing the SIP core (it then inserts the P-Asserted-Identity the core would assert).
"""
from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mcsec.fixtures.roleprocess import RoleProcess, RoleStartError
from mcsec.fixtures.capture import SIP1, SIP2
from mcsec.fixtures.sipua import Peer, TestUA
from mcsec.fixtures.verdicts import Inconclusive
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.kms.provclient import ProvisioningClient, ProvReply
from mcsec.impl.sip import Request, Response, make_request
from mcsec.steps.common import World, peer
from mcsec.steps.tokens import authenticate_server, authenticate_user


@dataclass
class IbcWorld:
    """The test system's 7.14 state for one scenario."""

    world: World
    certificate: KmsCertificate | None = None
    key_sets: dict[tuple[str, int], UserKeySet] = field(default_factory=dict)  # (principal, period) -> keys
    uas: dict[str, TestUA] = field(default_factory=dict)          # username or extra role -> its SIP UA
    processes: dict[str, RoleProcess] = field(default_factory=dict)
    direct: str | None = None              # the extra MCPTT server the test system talks to, if any
    crafted: tuple[int, bytes] | None = None  # CSK-ID and CSK of the last I_MESSAGE the test system built
    i_message: bytes | None = None          # the last I_MESSAGE it sent
    client_csk: dict[str, str] = field(default_factory=dict)   # user -> CSK-ID her MCPTT client uploaded
    upload: dict | None = None              # the upper tester's answer to the last CSK upload
    prov: ProvReply | None = None           # the last provisioning answer of the KMS
    refused: object | None = None           # the upper tester's refusal of the last command
    emulated_client: str | None = None      # upper tester of a client served by the KMS emulator

    # --- the KMS ----------------------------------------------------------------------------------
    @property
    def profile(self):
        return self.world.profile

    def prov_client(self, url: str | None = None) -> ProvisioningClient:
        return ProvisioningClient(url or self.world.lab.endpoints.kms_url, self.world.lab.ssl_context,
                                  self.profile.user_id_format, kms_uri=self.profile.kms_uri,
                                  timeout=self.profile.timers.http_timeout_s)

    def token(self, principal: str) -> str:
        if principal not in self.world.tokens:
            if principal in {s.client_id for s in self.profile.servers}:
                authenticate_server(self.world, principal)
            else:
                authenticate_user(self.world, principal)
        return self.world.tokens[principal]

    def cert(self) -> KmsCertificate:
        if self.certificate is None:
            with peer("the KMS"):
                reply = self.prov_client().init(self.token(self.profile.users[0].username))
            if reply.certificate is None:
                raise Inconclusive(f"the KMS gave the test system no certificate: HTTP {reply.status}")
            self.certificate = reply.certificate
        return self.certificate

    def now_period(self) -> int:
        return self.cert().key_period.number_at(unix_to_ntp(time.time()))

    def uri_of(self, principal: str) -> str:
        servers = {s.client_id: s.uri for s in self.profile.servers}
        return servers[principal] if principal in servers else self.profile.user(principal).mcptt_id

    def key_set(self, principal: str, period: int | None = None) -> UserKeySet:
        """The key set of a user (or MCPTT server) for a key period (default: now), from the KMS."""
        number = self.now_period() if period is None else period
        if (principal, number) not in self.key_sets:
            at = self.cert().key_period.start_of(number) + 60
            with peer("the KMS"):
                reply = self.prov_client().keyprov(self.token(principal), self.uri_of(principal), at)
            if not reply.key_sets:
                raise Inconclusive(f"the KMS gave the test system no key set of {principal!r} for key period "
                                   f"{number}: HTTP {reply.status}")
            self.key_sets[(principal, number)] = reply.key_sets[0].key_set
        return self.key_sets[(principal, number)]

    # --- SIP --------------------------------------------------------------------------------------
    def _ua(self, name: str, target: Peer, point: str = SIP1) -> TestUA:
        """The test system's UA ``name`` speaking on ``point``: SIP-1 as a client, SIP-2 as the SIP core."""
        if name not in self.uas:
            ua = TestUA(target, timeout_s=self.profile.timers.sip_timeout_s, side=self.world.lab.endpoints.side(point))
            ua.start()
            self.uas[name] = ua
        return self.uas[name]

    def registered(self, user: str) -> TestUA:
        """A UA registered at the SIP core as ``user`` (REGISTER without a body)."""
        fresh = user not in self.uas
        sip1 = self.world.lab.endpoints.core_sip1
        if sip1 is None:
            raise Inconclusive("no SIP core in the lab")
        ua = self._ua(user, Peer(sip1.host, sip1.port, sip1.transport))
        if fresh:
            u = self.profile.user(user)
            response = ua.register(u.impu, u.username, u.sip_password)
            if response.status != 200:
                raise Inconclusive(f"the test system could not register as {user!r}: {response.status}")
        return ua

    def send(self, user_impu: str, build, *, target_uri: str | None = None, user: str | None = None) -> Response:
        """A MESSAGE from ``user_impu`` to the MCPTT server: through the SIP core as the registered
        ``user``, or straight to the extra server with the asserted identity inserted."""
        target_uri = target_uri or self.profile.servers[0].uri
        if self.direct is not None:
            process = self.processes[self.direct]
            sip = process.info["sip"]
            ua = self._ua(f"direct:{self.direct}", Peer(sip["host"], sip["port"]), SIP2)
            headers = [("P-Asserted-Identity", f"<{user_impu}>")]
        else:
            ua = self.registered(user or "")
            headers = []
        request: Request = make_request("MESSAGE", target_uri, from_=f"<{user_impu}>", to=f"<{target_uri}>",
                                        cseq=ua.next_cseq(), headers=headers)
        build(request)
        response = ua.send(request)
        self.world.answer = response
        self.world.answers.append(response)
        return response

    # --- extra role processes ---------------------------------------------------------------------
    def start_role(self, name: str, base: str, module: str, overrides: dict) -> RoleProcess:
        """Start a role process with the configuration of the lab's role ``base`` changed by
        ``overrides`` (stopped at the end of the scenario)."""
        lab_role = self.world.lab.roles.get(base)
        if lab_role is None:
            raise Inconclusive(f"the lab runs no {base} to take a configuration from")
        config = copy.deepcopy(lab_role.config)
        config.update(overrides)
        run_dir = Path(self.world.lab.run_dir) / "scenario-roles"
        process = RoleProcess(name, module, config, run_dir, netns=getattr(lab_role, "netns", None))
        try:
            process.start()
        except RoleStartError as exc:
            raise Inconclusive(f"the test system could not start its {name}: {exc}") from None
        self.processes[name] = process
        return process

    def close(self) -> None:
        for ua in self.uas.values():
            ua.stop()
        for process in self.processes.values():
            process.stop()


@pytest.fixture
def ibc(world: World) -> Iterator[IbcWorld]:
    state = IbcWorld(world)
    try:
        yield state
    finally:
        state.close()
