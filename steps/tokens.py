"""Steps about authentication at the IdM and about access tokens."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, when

from mcsec.fixtures.agents import nearmiss, tokenforge
from mcsec.fixtures.oracles.tokens import access_token_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.idm.login import IdmError
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if, require_ics


@dataclass
class TokenState:
    """The tokens the test system holds in this scenario, by principal (username or server client_id)."""
    ctx: ScenarioContext
    access: dict[str, str] = field(default_factory=dict)
    id_tokens: dict[str, str] = field(default_factory=dict)
    jwks: dict | None = None
    minted: str | None = None

    def login_user(self, username: str) -> str:
        try:
            tokens = self.ctx.idm.login_user(username)
        except IdmError as exc:
            raise Failed(f"the IdM refused the login of {username!r}: {exc}") from None
        self.access[username] = tokens.access_token
        self.id_tokens[username] = tokens.id_token
        return tokens.access_token

    def login_server(self, client_id: str) -> str:
        try:
            tokens = self.ctx.idm.client_credentials(client_id)
        except IdmError as exc:
            raise Failed(f"the IdM refused the client credentials of {client_id!r}: {exc}") from None
        self.access[client_id] = tokens.access_token
        return tokens.access_token

    def of(self, principal: str) -> str:
        """The access token of a user or an MCPTT server (logged in on first use)."""
        if principal not in self.access:
            if principal in {s.client_id for s in self.ctx.ixit.servers}:
                self.login_server(principal)
            else:
                self.login_user(principal)
        return self.access[principal]

    def jwk_of(self, token: str) -> dict:
        kid = tokenforge.split(token)[0].get("kid")
        for key in (self.jwks or {}).get("keys", []):
            if key.get("kid") == kid:
                return key
        raise Failed("the IdM JWKS does not hold the key its own token names")


@pytest.fixture
def tokens(ctx: ScenarioContext) -> TokenState:
    return TokenState(ctx)


FORGERIES = phrases.Phrases("Forgery", {
    "unsigned, with alg none": lambda t, s: tokenforge.unsigned(t),
    "signed with another key under the IdM kid": lambda t, s: tokenforge.signed_with_other_key(t),
    "signed with a key id the IdM never issued": lambda t, s: tokenforge.signed_with_unknown_kid(t),
    "MACed with HS256 keyed by the IdM public key": lambda t, s: tokenforge.hmac_with_public_key(t, s.jwk_of(t)),
    "with its expiry extended after signing": lambda t, s: tokenforge.expiry_extended(t),
    "with its signature cut off": lambda t, s: tokenforge.signature_removed(t),
})
"""Tokens made from a genuine one and the IdM's public JWKS only, as any party could."""


def forged(state: TokenState, principal: str, forgery: phrases.Phrase) -> str:
    return forgery.value(state.of(principal), state)


MINTED_DEFECTS = phrases.Phrases("Minted", {
    "that expired ten minutes ago": lambda now: {"claims": {"iat": now - 1200, "nbf": now - 1200, "exp": now - 600}},
    "that is not valid for ten more minutes": lambda now: {"claims": {"iat": now, "nbf": now + 600, "exp": now + 1200}},
    "for another audience": lambda now: {"claims": {"aud": "kms.other.example"}},
    "from another issuer": lambda now: {"claims": {"iss": "https://idm.other.example"}},
    "without the key management scope": lambda now: {"claims": {"scope": "openid"}},
    "under a key id its JWKS does not publish": lambda now: {"header": {"kid": "retired-" + secrets.token_hex(6)}},
    "whose exp is a string an hour ahead": lambda now: {"claims": {"exp": str(now + 3600)}},
    "whose exp is NaN": lambda now: {"non_finite": {"exp": "NaN"}},
    "whose exp is Infinity": lambda now: {"non_finite": {"exp": "Infinity"}},
    "whose nbf is minus Infinity": lambda now: {"non_finite": {"nbf": "-Infinity"}},
    "whose iat is a string": lambda now: {"claims": {"iat": str(now)}},
    "issued in the year 33658": lambda now: {"claims": {"iat": 10 ** 12, "exp": 10 ** 12 + 300}},
})
"""Tokens only the IdM can sign: what to ask its test control surface for."""


@given("the IdM server and the KMS are reachable")
def roles_reachable(ctx: ScenarioContext, tokens: TokenState) -> None:
    """A peer that did not answer earlier in the run is not waited for again: the scenario is
    inconclusive at once, with the first failure as the reason."""
    dead = ctx.lab.dead_roles()
    if dead:
        raise Inconclusive(f"role process(es) not running: {', '.join(dead)}")
    silent = ctx.session.silent
    if "idm" in silent:
        raise Inconclusive(f"the IdM did not answer earlier in this run: {silent['idm']}")
    try:
        status, body = ctx.idm.jwks()
    except Inconclusive as exc:
        silent["idm"] = str(exc)
        raise
    if status != 200:
        raise Inconclusive(f"the IdM JWKS answered HTTP {status}")
    try:
        tokens.jwks = json.loads(body)
    except ValueError:
        raise Failed("the IdM JWKS is not JSON") from None


@given(parsers.parse('"{username}" has authenticated at the IdM with the authorization code flow and PKCE'))
def user_authenticated(tokens: TokenState, username: str) -> None:
    tokens.login_user(username)


@given(parsers.parse('the MCPTT server "{client_id}" authenticates at the IdM with its client credentials'))
@when(parsers.parse('the MCPTT server "{client_id}" authenticates at the IdM with its client credentials'))
def server_authenticated(tokens: TokenState, client_id: str) -> None:
    tokens.login_server(client_id)


@given(parsers.parse('the KMS access token of "{username}" is signed by the IdM and names her MCPTT ID'))
def token_signed_by_idm(ctx: ScenarioContext, tokens: TokenState, username: str) -> None:
    x = ctx.ixit
    failed_if(access_token_findings(tokens.access[username], tokens.jwks, audience=x.kms_uri,
                                    issuer=ctx.endpoints.idm_issuer, leeway_s=x.token_leeway_s, scope=x.kms_scope,
                                    mcptt_id=x.user(username).mcptt_id))


@given(phrases.parse('the IdM mints for "{username}" a signed token {defect:Minted}', MINTED_DEFECTS))
def idm_mints(ctx: ScenarioContext, tokens: TokenState, username: str, defect: phrases.Phrase) -> None:
    require_ics(ctx.profile.ics.idm_test_control, "ics.idm_test_control (the IdM mints tokens for negative tests)")
    tokens.minted = ctx.idm.mint(username, **defect.value(int(time.time())))


# --- near misses of the identity claims and of the validity window (docs/near-miss.md) -------------

NEAR_CLAIMS = phrases.Phrases("NearClaim", {
    "aud": lambda ctx, principal: ctx.ixit.kms_uri,
    "iss": lambda ctx, principal: ctx.endpoints.idm_issuer,
    "scope": lambda ctx, principal: ctx.ixit.kms_scope,
    "mcptt_id": lambda ctx, principal: ctx.ixit.user(principal).mcptt_id,
    "sub": lambda ctx, principal: ctx.ixit.server(principal).uri,
})
"""A claim the KMS compares with a value it knows, and that value as the profile gives it: the KMS's
audience (ixit.kms_uri), the IdM's issuer identifier, the key management scope, a user's MCPTT ID, an
MCPTT server's URI (the sub of its token)."""

NEAR_MISSES = phrases.Phrases("NearMiss", {
    "the right value with a character appended": nearmiss.extended,
    "the right value with a character put in front": nearmiss.prefixed,
    "the right value cut short": nearmiss.cut_short,
    "the right value in the other case": nearmiss.other_case,
    "the right value with a trailing slash": nearmiss.slash_appended,
    "a list holding the right value": lambda v: [v],
    "a list holding another value and the right value": lambda v: [nearmiss.prefixed(v), v],
    "a list holding only a near miss of the right value": lambda v: [nearmiss.extended(v)],
    "an object naming the right value": lambda v: {v: True},
    "a number": lambda v: 1,
    "null": lambda v: None,
})
"""What the claim holds instead of the right value: a string one step from it, or the right value in a
JSON type the claim does not have."""


@given(phrases.parse('the IdM mints for "{principal}" a signed token whose {claim:NearClaim} is {miss:NearMiss}',
                     NEAR_CLAIMS, NEAR_MISSES))
def idm_mints_near_miss(ctx: ScenarioContext, tokens: TokenState, principal: str, claim: phrases.Phrase,
                        miss: phrases.Phrase) -> None:
    require_ics(ctx.profile.ics.idm_test_control, "ics.idm_test_control (the IdM mints tokens for negative tests)")
    right = claim.value(ctx, principal)
    try:
        value = miss.value(right)
    except nearmiss.NoNearMiss as exc:
        raise Inconclusive(f"the {claim.text} of the profile has no such near miss: {exc}") from None
    tokens.minted = ctx.idm.mint(principal, claims={claim.text: value})


def edge_margin(leeway_s: int) -> int:
    """How far from the edge of the validity window (exp or nbf, widened by the declared leeway) a token
    is placed: a third of the leeway. Within the margin of the edge the test system's own delay between
    minting and the KMS's check decides, so neither side is judged there."""
    if leeway_s < 3:
        raise Inconclusive(f"the declared leeway of {leeway_s} s is too small to place a token within it and one "
                           f"beyond it with a margin of whole seconds (ixit.token_leeway_s)")
    return leeway_s // 3


def _edge_claims(now: int, *, exp: int | None = None, nbf: int | None = None) -> dict:
    if exp is not None:
        return {"iat": exp - 300, "nbf": exp - 300, "exp": exp}
    return {"iat": now, "nbf": nbf, "exp": nbf + 300}


TIME_EDGES = phrases.Phrases("TimeEdge", {
    "that expired just beyond the leeway": lambda now, lw, m: _edge_claims(now, exp=now - lw - m),
    "that expired just within the leeway": lambda now, lw, m: _edge_claims(now, exp=now - lw + m),
    "that becomes valid just beyond the leeway": lambda now, lw, m: _edge_claims(now, nbf=now + lw + m),
    "that becomes valid just within the leeway": lambda now, lw, m: _edge_claims(now, nbf=now + lw - m),
})
"""Tokens whose exp or nbf lies a margin (edge_margin) beyond or within the KMS's declared leeway
(ixit.token_leeway_s): beyond must be refused, within accepted (RFC 7519 4.1.4 and 4.1.5: "some small
leeway, usually no more than a few minutes, to account for clock skew")."""


@given(phrases.parse('the IdM mints for "{principal}" a signed token {edge:TimeEdge}', TIME_EDGES))
def idm_mints_at_edge(ctx: ScenarioContext, tokens: TokenState, principal: str, edge: phrases.Phrase) -> None:
    require_ics(ctx.profile.ics.idm_test_control, "ics.idm_test_control (the IdM mints tokens for negative tests)")
    leeway = ctx.ixit.token_leeway_s
    margin = edge_margin(leeway)
    tokens.minted = ctx.idm.mint(principal, claims=edge.value(int(time.time()), leeway, margin))
