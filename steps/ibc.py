"""What the test system holds in a clause 7.14 scenario: IBC key material it obtained from the KMS in the
users' names (the suite has their credentials), its own SIP user agents, and an MCPTT server the scenario
started for itself, which the test system then talks to directly, playing the SIP core (it inserts the
P-Asserted-Identity the core would assert).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from mcsec.fixtures.agents.sipua import TestUA
from mcsec.fixtures.lab import RoleProcess
from mcsec.fixtures.verdicts import Inconclusive
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.impl.hostport import HostPort
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.sip import Request, Response, make_request
from mcsec.impl.sip.aio import free_port_pair
from mcsec.steps.context import ScenarioContext, peer
from mcsec.steps.sip import SipState
from mcsec.steps.tokens import TokenState


@dataclass
class IbcState:
    ctx: ScenarioContext
    tokens: TokenState
    sip: SipState
    certificate: KmsCertificate | None = None
    key_sets: dict[tuple[str, int], UserKeySet] = field(default_factory=dict)  # (principal, period) -> keys
    uas: dict[str, TestUA] = field(default_factory=dict)       # username, or "direct", -> the test system's UA
    direct: RoleProcess | None = None       # the MCPTT server of this scenario the test system talks to
    crafted: tuple[int, bytes] | None = None  # CSK-ID and CSK of the last I_MESSAGE the test system built
    i_message: bytes | None = None          # the last I_MESSAGE it sent
    client_csk: dict[str, str] = field(default_factory=dict)   # user -> CSK-ID her MCPTT client uploaded
    upload: dict | None = None              # the upper tester's answer to the last CSK upload
    _core_side: HostPort | None = None      # where the test system plays the SIP core from (core_side())

    # --- key material from the KMS ------------------------------------------------------------
    def cert(self) -> KmsCertificate:
        """The KMS certificate, as the test system obtained it once for the run."""
        memo = self.ctx.session.memo
        if self.certificate is None and ("kms-cert", self.ctx.endpoints.kms_url) in memo:
            self.certificate = memo[("kms-cert", self.ctx.endpoints.kms_url)]
        if self.certificate is None:
            with peer("the KMS"):
                reply = self.ctx.prov_client().init(self.tokens.of(self.ctx.ixit.users[0].username))
            if reply.certificate is None:
                raise Inconclusive(f"the KMS gave the test system no certificate: HTTP {reply.status}")
            self.certificate = reply.certificate
            memo[("kms-cert", self.ctx.endpoints.kms_url)] = reply.certificate
        return self.certificate

    def now_period(self) -> int:
        return self.cert().key_period.number_at(unix_to_ntp(time.time()))

    def uri_of(self, principal: str) -> str:
        servers = {s.client_id: s.uri for s in self.ctx.ixit.servers}
        return servers[principal] if principal in servers else self.ctx.ixit.user(principal).mcptt_id

    def key_set(self, principal: str, period: int | None = None) -> UserKeySet:
        """The key set of a user (or MCPTT server) for a key period (default: now), from the KMS: the test
        system's own key material, obtained once for the run (the scenarios that judge provisioning ask
        the KMS themselves)."""
        number = self.now_period() if period is None else period
        memo_key = ("key-set", self.ctx.endpoints.kms_url, principal, number)
        if (principal, number) not in self.key_sets and memo_key in self.ctx.session.memo:
            self.key_sets[(principal, number)] = self.ctx.session.memo[memo_key]
        if (principal, number) not in self.key_sets:
            at = self.cert().key_period.start_of(number) + 60
            with peer("the KMS"):
                reply = self.ctx.prov_client().keyprov(self.tokens.of(principal), self.uri_of(principal), at)
            if not reply.key_sets:
                raise Inconclusive(f"the KMS gave the test system no key set of {principal!r} for key period "
                                   f"{number}: HTTP {reply.status}")
            self.key_sets[(principal, number)] = self.ctx.session.memo[memo_key] = reply.key_sets[0].key_set
        return self.key_sets[(principal, number)]

    # --- SIP ----------------------------------------------------------------------------------
    def core_side(self) -> HostPort:
        """Where the test system speaks from when it plays the SIP core towards an MCPTT server of the
        scenario's own: chosen before that server starts, which is told to trust it (``trusted_peers``)."""
        if self._core_side is None:
            side = self.ctx.endpoints.side(SIP2)
            self._core_side = HostPort(side.host, free_port_pair(side.host, side.netns))
        return self._core_side

    def _ua(self, name: str, target: HostPort, point: str = SIP1) -> TestUA:
        """The test system's UA ``name`` speaking on ``point``: SIP-1 as a client, SIP-2 as the SIP core (for
        the scenario's own server, from :meth:`core_side`)."""
        if name not in self.uas:
            local_port = self.core_side().port if name == "direct" else None
            ua = TestUA(target, timeout_s=self.ctx.ixit.timers.sip_timeout_s, side=self.ctx.endpoints.side(point),
                        local_port=local_port)
            ua.start()
            self.ctx.record.cleanups.append(ua.stop)
            self.uas[name] = ua
        return self.uas[name]

    def registered(self, user: str) -> TestUA:
        """A UA registered at the SIP core as ``user`` (REGISTER without a body)."""
        fresh = user not in self.uas
        sip1 = self.ctx.endpoints.core_sip1
        if sip1 is None:
            raise Inconclusive("no SIP core in the lab")
        ua = self._ua(user, sip1)
        if fresh:
            u = self.ctx.ixit.user(user)
            response = ua.register(u.impu, u.username, u.sip_password)
            if response.status != 200:
                raise Inconclusive(f"the test system could not register as {user!r}: {response.status}")
        return ua

    def use_direct(self, process: RoleProcess) -> None:
        """From now on, talk to ``process`` (an MCPTT server of the scenario's own) as its SIP core."""
        self.direct = process

    def impu_of(self, user: str) -> str:
        """The IMPU the MCPTT server knows ``user`` by (the scenario's own server may know other users)."""
        if self.direct is not None:
            for impu, mcptt_id in self.direct.config.users.items():
                if mcptt_id == self.uri_of(user) or mcptt_id.startswith(f"sip:{user}@"):
                    return impu
        return self.ctx.ixit.user(user).impu

    def send(self, user_impu: str, build: Callable[[Request], None], *, target_uri: str | None = None,
             user: str | None = None) -> Response:
        """A MESSAGE from ``user_impu`` to the MCPTT server: through the SIP core as the registered
        ``user``, or straight to the scenario's own server with the asserted identity inserted."""
        target_uri = target_uri or self.ctx.ixit.servers[0].uri
        if self.direct is not None:
            sip = self.direct.info["sip"]
            ua = self._ua("direct", HostPort(sip["host"], sip["port"]), SIP2)
            headers = [("P-Asserted-Identity", f"<{user_impu}>")]
        else:
            ua = self.registered(user or "")
            headers = []
        request = make_request("MESSAGE", target_uri, from_=f"<{user_impu}>", to=f"<{target_uri}>",
                               cseq=ua.next_cseq(), headers=headers)
        build(request)
        return self.sip.answered(ua.send(request))


@pytest.fixture
def ibc(ctx: ScenarioContext, tokens: TokenState, sip: SipState) -> IbcState:
    return IbcState(ctx, tokens, sip)
