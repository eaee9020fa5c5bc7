"""What every step of a scenario works with: the scenario's record, the lab, the profile, and the test
system's agents towards each role. Subject state (tokens held, CEKs obtained, SIP answers, ...) lives in
the fixture of its own step module."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import cached_property

import pytest

from mcsec.fixtures.agents.idm import IdmAgent
from mcsec.fixtures.agents.uppertester import UpperTester
from mcsec.fixtures.lab import Lab, LabEndpoints, RoleProcess, RoleStartError
from mcsec.fixtures.profile import Ixit, Profile
from mcsec.fixtures.session import ConformanceSession, ScenarioRecord, call_id_of
from mcsec.fixtures.verdicts import Failed, Inconclusive, NotApplicable
from mcsec.fixtures.wire import record as core_record
from mcsec.fixtures.wire.capture import CaptureUnavailable, WireMessage
from mcsec.impl import httpclient
from mcsec.impl.idm import login
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.provclient import ProvisioningClient


@contextlib.contextmanager
def peer(name: str):
    """Turn 'the peer did not answer' into an inconclusive verdict naming the peer."""
    try:
        yield
    except httpclient.PeerUnavailable as exc:
        raise Inconclusive(f"{name} did not answer: {exc}") from None
    except login.IdmError as exc:
        if exc.status == 0 and exc.error == "unreachable":
            raise Inconclusive(f"{name} did not answer: {exc.description}") from None
        raise


def require_ics(claimed: bool, item: str) -> None:
    if not claimed:
        raise NotApplicable(f"the ICS does not claim {item}")


def failed_if(findings: list[str]) -> None:
    """The step's verdict from an oracle's findings: fail, naming them, unless there are none."""
    if findings:
        raise Failed("; ".join(findings))


@dataclass
class ScenarioContext:
    record: ScenarioRecord
    lab: Lab
    session: ConformanceSession
    closers: list = field(default_factory=list)

    @property
    def profile(self) -> Profile:
        return self.lab.profile

    @property
    def ixit(self) -> Ixit:
        return self.lab.profile.ixit

    @property
    def endpoints(self) -> LabEndpoints:
        return self.lab.endpoints

    def http(self, method: str, url: str, **kwargs) -> httpclient.HttpReply:
        return httpclient.request(method, url, context=self.lab.ssl_context,
                                  timeout=self.ixit.timers.http_timeout_s, **kwargs)

    # --- agents towards each role ----------------------------------------------------------
    @cached_property
    def idm(self) -> IdmAgent:
        return IdmAgent(self.endpoints.idm_url, self.endpoints.jwks_uri, self.lab.ssl_context, self.profile,
                        self.endpoints.idm_test_control_secret)

    def cek_client(self) -> CekClient:
        return CekClient(self.endpoints.kms_url, self.ixit.kms_uri, self.lab.ssl_context,
                         timeout=self.ixit.timers.http_timeout_s)

    def prov_client(self, url: str | None = None) -> ProvisioningClient:
        return ProvisioningClient(url or self.endpoints.kms_url, self.lab.ssl_context, self.ixit.user_id_format,
                                  kms_uri=self.ixit.kms_uri, timeout=self.ixit.timers.http_timeout_s)

    def upper_tester(self, user: str, url: str | None = None) -> UpperTester:
        url = url or self.endpoints.upper_testers.get(user)
        if url is None:
            raise Inconclusive(f"no MCPTT client of {user!r} in the lab")
        return UpperTester(url, self.lab.ssl_context, self.ixit.timers.sip_timeout_s + 5)

    def spawn(self, base: str, *, name: str, **changes) -> RoleProcess:
        """A role process of the scenario's own: the lab's ``base`` with its configuration changed; stopped
        when the scenario ends."""
        if base not in self.lab.configs:
            raise Inconclusive(f"the lab runs no {base} to take a configuration from")
        try:
            process = self.lab.spawn(base, name=name, **changes)
        except RoleStartError as exc:
            raise Inconclusive(f"the test system could not start its {name}: {exc}") from None
        self.record.spawned.append(process)
        return process

    # --- what crossed SIP-1 and SIP-2 ---------------------------------------------------------
    def wire_messages(self) -> list[WireMessage]:
        """Every SIP message captured on SIP-1 and SIP-2 so far in this scenario; without a capture (no
        raw-socket privilege) there is no verdict that needs one: inconclusive with the reason."""
        wire = self.record.wire
        if wire is None:
            raise Inconclusive("no wire verdict without a capture: none armed")
        try:
            return self._own(wire.messages())
        except CaptureUnavailable as exc:
            raise Inconclusive(f"no wire verdict without a capture: {exc}") from None

    def _own(self, messages: list[WireMessage]) -> list[WireMessage]:
        """Leave out late retransmissions of an earlier scenario's transactions (and their answers): they
        were judged in their own scenario, under their own keys."""
        earlier = self.session.earlier_call_ids
        return [m for m in messages if call_id_of(m.message) not in earlier] if earlier else messages

    def core_messages(self) -> list[WireMessage]:
        """Every message the SIP core received or sent during this scenario: from its own record when it
        keeps one (the reference core), otherwise from the capture of SIP-1 and SIP-2."""
        if not self.lab.core_keeps_record:
            return self.wire_messages()
        messages = self._own(core_record.messages_of(self.lab.trace_since(self.record.log_offsets)))
        if not messages:
            raise Inconclusive("the SIP core recorded no message during the scenario")
        return messages

    def views(self) -> list[tuple[str, list[WireMessage]]]:
        """What the SIP core received and sent, as the confidentiality verdicts judge it: the packets
        captured on SIP-1 and SIP-2 (always), and the core's own record when it keeps one; each with the
        words a failure names it by."""
        views = [("on the wire (SIP-1 and SIP-2 captured)", self.wire_messages())]
        if self.lab.core_keeps_record:
            views.append(("in the SIP core's own record", self.core_messages()))
        return views


@pytest.fixture
def ctx(scenario: ScenarioRecord, lab: Lab, conformance_session: ConformanceSession) -> ScenarioContext:
    return ScenarioContext(scenario, lab, conformance_session)
