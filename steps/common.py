"""State shared by the steps of one scenario, and the steps about the lab itself."""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.verdicts import Failed, Inconclusive, NotApplicable
from mcsec.impl import httpclient
from mcsec.impl.idm import login
from mcsec.impl.kms.cekclient import CekClient, CekReply
from mcsec.impl.kms.cekxml import KmsCek


@dataclass
class World:
    """What one scenario has learnt so far. Steps read and extend it."""
    lab: Lab
    profile: Profile
    tokens: dict[str, str] = field(default_factory=dict)          # principal -> access token
    id_tokens: dict[str, str] = field(default_factory=dict)
    ceks: dict[str, KmsCek] = field(default_factory=dict)         # holder -> CEK it obtained
    issued: list[KmsCek] = field(default_factory=list)
    minted: str | None = None
    last_key_id: int | None = None
    reply: CekReply | None = None
    jwks: dict | None = None
    offsets: dict[str, int] = field(default_factory=dict)          # where role logs and traces stood at start
    cek_ids: dict[str, list[str]] = field(default_factory=dict)    # user -> Key IDs their MCPTT client holds
    answer: object | None = None                                   # the last SIP answer (upper tester or test UA)
    answers: list = field(default_factory=list)
    ua: object | None = None                                       # the test system's own SIP UA, when used
    wire: object | None = None                                     # the scenario's WireCapture (SIP-1 and SIP-2)
    captured: dict = field(default_factory=dict)                   # reference point -> captured request
    injected_user: str | None = None
    injection: object | None = None                                # the last injection and its answer
    injectors: list = field(default_factory=list)

    @property
    def kms(self) -> CekClient:
        return CekClient(self.lab.endpoints.kms_url, self.profile.kms_uri, self.lab.ssl_context,
                         timeout=self.profile.timers.http_timeout_s)

    def http(self, method: str, url: str, **kwargs) -> httpclient.HttpReply:
        return httpclient.request(method, url, context=self.lab.ssl_context,
                                  timeout=self.profile.timers.http_timeout_s, **kwargs)


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


@pytest.fixture
def world(lab: Lab, request: pytest.FixtureRequest):
    from mcsec.fixtures.conformance import CAPTURE
    w = World(lab=lab, profile=lab.profile, offsets=lab.log_offsets(), wire=request.node.stash.get(CAPTURE, None))
    try:
        yield w
    finally:
        if w.ua is not None:
            w.ua.stop()
        for injector in w.injectors:
            injector.close()


_SILENT = pytest.StashKey[dict]()


@given("the IdM server and the KMS are reachable")
def roles_reachable(world: World, request: pytest.FixtureRequest) -> None:
    """A peer that did not answer earlier in the run is not waited for again: the scenario is
    inconclusive at once, with the first failure as the reason."""
    dead = world.lab.dead_roles()
    if dead:
        raise Inconclusive(f"role process(es) not running: {', '.join(dead)}")
    silent = request.config.stash.setdefault(_SILENT, {})
    if "idm" in silent:
        raise Inconclusive(f"the IdM did not answer earlier in this run: {silent['idm']}")
    try:
        with peer("the IdM"):
            reply = world.http("GET", world.lab.endpoints.jwks_uri)
    except Inconclusive as exc:
        silent["idm"] = str(exc)
        raise
    if reply.status != 200:
        raise Inconclusive(f"the IdM JWKS answered HTTP {reply.status}")
    try:
        world.jwks = json.loads(reply.body)
    except ValueError:
        raise Failed("the IdM JWKS is not JSON") from None
