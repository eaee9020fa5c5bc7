"""State shared by the steps of one scenario, and the steps about the lab itself."""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given

from fixtures.lab import Lab
from fixtures.profile import Profile
from fixtures.verdicts import Inconclusive, NotApplicable
from impl import httpclient
from impl.kms.cekclient import CekClient, CekReply
from impl.kms.cekxml import KmsCek


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

    @property
    def kms(self) -> CekClient:
        return CekClient(self.lab.endpoints.kms_url, self.profile.kms_uri, self.lab.ssl_context)


@contextlib.contextmanager
def peer(name: str):
    """Turn 'the peer did not answer' into an inconclusive verdict naming the peer."""
    try:
        yield
    except httpclient.PeerUnavailable as exc:
        raise Inconclusive(f"{name} did not answer: {exc}") from None


def require_ics(claimed: bool, item: str) -> None:
    if not claimed:
        raise NotApplicable(f"the ICS does not claim {item}")


@pytest.fixture
def world(lab: Lab) -> World:
    return World(lab=lab, profile=lab.profile)


@given("the IdM server and the KMS are reachable")
def roles_reachable(world: World) -> None:
    dead = world.lab.dead_roles()
    if dead:
        raise Inconclusive(f"role process(es) not running: {', '.join(dead)}")
    with peer("IdM"):
        reply = httpclient.request("GET", world.lab.endpoints.jwks_uri, context=world.lab.ssl_context)
    if reply.status != 200:
        raise Inconclusive(f"the IdM JWKS answered HTTP {reply.status}")
    world.jwks = json.loads(reply.body)
