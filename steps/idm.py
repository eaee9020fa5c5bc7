"""Steps about the IdM under test: signing in with the code grant and PKCE, redeeming codes, client
credentials, and the KMS access tokens it issues. The test system acts through the IdM agent's raw
exchanges (mcsec.fixtures.agents.idm); the IdM's answers are judged by the oracles of
mcsec.fixtures.oracles.idm_answers and .access_token_claims. Near-miss values come from
mcsec.fixtures.agents.nearmiss; the words that choose one are phrase tables.

Nothing here writes a password, a secret, a code or a token into a verdict: the findings name what was
wrong, never the value.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.agents import nearmiss
from mcsec.fixtures.agents.idm import AuthorizationRequest
from mcsec.fixtures.oracles import access_token_claims as claims_oracle
from mcsec.fixtures.oracles import idm_answers
from mcsec.fixtures.oracles.idm_answers import TokenRefusal
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.httpclient import HttpReply
from mcsec.impl.idm.login import IdmError
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if


@dataclass
class IdmState:
    """What the test system did at the IdM in this scenario and what the IdM answered."""
    ctx: ScenarioContext
    jwks: dict | None = None
    request: AuthorizationRequest | None = None
    sign_in_answers: list[tuple[str, HttpReply]] = field(default_factory=list, repr=False)  # may hold a code
    signed_in: str | None = None         # who the last sign-in named
    code: str | None = field(default=None, repr=False)
    token_answer: HttpReply | None = field(default=None, repr=False)                         # may hold a token
    token_received_at: float = 0.0
    token_user: str | None = None        # whose token the last token answer holds: a user ...
    token_server: str | None = None      # ... or a server principal

    # --- acting ----------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, *, client_id: str | None = None,
                redirect_uri: str | None = None) -> None:
        """The login page, then the login form posted: both answers kept for the verdict."""
        idm = self.ctx.idm
        self.request = idm.authorization_request(client_id=client_id, redirect_uri=redirect_uri)
        self.sign_in_answers = [("the login page", idm.authorization_page(self.request)),
                                ("the posted sign-in", idm.sign_in(self.request, username, password))]
        self.signed_in, self.code = username, None

    def take_code(self) -> str:
        """The code of the last sign-in; a sign-in that should have succeeded and gave none fails."""
        if self.request is None or not self.sign_in_answers:
            raise RuntimeError("no sign-in in this scenario to take a code from")
        try:
            self.code = self.ctx.idm.code_of(self.request, self.sign_in_answers[-1][1])
        except IdmError as exc:
            raise Failed(f"the IdM issued no authorization code to a right sign-in: HTTP {exc.status} "
                         f"{exc.error}") from None
        return self.code

    def verifier_of_another_sign_in(self) -> str:
        """The verifier of a second right sign-in of the same user, whose code stays outstanding: a
        verifier the IdM knows, of the same client and user, only not of this code."""
        idm, user = self.ctx.idm, self.signed_in
        if user is None:
            raise RuntimeError("no sign-in in this scenario to repeat")
        other = idm.authorization_request()
        idm.authorization_page(other)
        try:
            idm.code_of(other, idm.sign_in(other, user, self.ctx.ixit.user(user).password))
        except IdmError as exc:
            raise Failed(f"the IdM issued no authorization code to a right sign-in: HTTP {exc.status} "
                         f"{exc.error}") from None
        return other.verifier

    def redeem(self, verifier: str | None, redirect_uri: str | None = None) -> HttpReply:
        if self.request is None or self.code is None:
            raise RuntimeError("no authorization code in this scenario to redeem")
        self.token_user, self.token_server = self.signed_in, None
        return self._received(self.ctx.idm.redeem(self.code, self.request, verifier=verifier,
                                                  redirect_uri=redirect_uri))

    def client_credentials(self, client_id: str, secret: str) -> HttpReply:
        self.token_user, self.token_server = None, client_id
        return self._received(self.ctx.idm.client_credentials_request(client_id, secret))

    def client_id_only(self, client_id: str) -> HttpReply:
        self.token_user, self.token_server = None, client_id
        return self._received(self.ctx.idm.client_id_only_request(client_id))

    def _received(self, answer: HttpReply) -> HttpReply:
        self.token_answer, self.token_received_at = answer, time.time()
        return answer

    # --- what was received -------------------------------------------------------------------
    def access_token(self) -> str:
        """The access token of the last token answer; a positive step that got none fails."""
        token = idm_answers.access_token_of(self.token_reply())
        if token is None:
            raise Failed(f"the IdM issued no access token: HTTP {self.token_reply().status}"
                         f"{idm_answers.error_of(self.token_reply())}")
        return token

    def token_reply(self) -> HttpReply:
        if self.token_answer is None:
            raise RuntimeError("no token request in this scenario")
        return self.token_answer

    def expected(self) -> claims_oracle.Expected:
        x, idm = self.ctx.ixit, self.ctx.idm
        if self.jwks is None:
            raise RuntimeError("the IdM's JWKS was not read (Background step)")
        return claims_oracle.Expected(
            jwks=self.jwks, audience=x.kms_uri, issuer=idm.discovery().issuer, scope=x.kms_scope,
            lifetime_s=x.access_token_lifetime_s, leeway_s=x.token_leeway_s, received_at=self.token_received_at,
            mcptt_id=x.user(self.token_user).mcptt_id if self.token_user else None,
            subject=x.server(self.token_server).uri if self.token_server else None)

    def idm_origins(self) -> list[str]:
        d = self.ctx.idm.discovery()
        return [idm_answers.origin_of(u) for u in (self.ctx.endpoints.idm_url, d.issuer, d.authorization_endpoint)]


@pytest.fixture
def idm_state(ctx: ScenarioContext) -> IdmState:
    return IdmState(ctx)


def _near(make: Callable[[str], str], value: str) -> str:
    try:
        return make(value)
    except nearmiss.NoNearMiss as exc:
        raise Inconclusive(f"the test system cannot make this near miss from the profile's value: {exc}") from None


def _other(names: list[str], name: str, what: str) -> str:
    others = [n for n in names if n != name]
    if not others:
        raise Inconclusive(f"the profile names no {what} other than {name!r}")
    return others[0]


# --- phrase tables -------------------------------------------------------------------------------

PASSWORDS = phrases.Phrases("Password", {
    "the right password": lambda x, user: x.user(user).password,
    "the right password with its last character changed":
        lambda x, user: _near(nearmiss.last_character_changed, x.user(user).password),
    "the right password cut short by its last character": lambda x, user: _near(nearmiss.cut_short, x.user(user).password),
    "the right password in the other case": lambda x, user: _near(nearmiss.other_case, x.user(user).password),
    "the password of another user":
        lambda x, user: x.user(_other([u.username for u in x.users], user, "user")).password,
})
"""What a user signs in with: (ixit, username) -> password."""

CLIENTS = phrases.Phrases("Client", {
    "the OAuth client's id with its last character changed":
        lambda x: _near(nearmiss.last_character_changed, x.oauth_client_id),
    "the OAuth client's id in upper case": lambda x: _near(nearmiss.upper_case, x.oauth_client_id),
    "the client id of the first MCPTT server": lambda x: x.servers[0].client_id,
})
"""A client_id the IdM must not know as a public client of the code grant: ixit -> client_id."""

REDIRECT_NEAR_MISSES = phrases.Phrases("RedirectNearMiss", {
    "with a trailing slash added": nearmiss.trailing_slash_added,
    "with the case of its path changed": nearmiss.path_case_changed,
    "with a query added": nearmiss.query_added,
})
"""A near miss of the registered redirect URI: registered URI -> near miss."""

VERIFIERS = phrases.Phrases("Verifier", {
    "its PKCE verifier": lambda s: s.request.verifier,
    "its PKCE verifier with its last character changed":
        lambda s: _near(nearmiss.last_character_changed, s.request.verifier),
    "the PKCE code challenge in place of the verifier": lambda s: s.request.code_challenge,
    "the PKCE verifier of another sign-in of the same user": lambda s: s.verifier_of_another_sign_in(),
    "no PKCE verifier": lambda s: None,
})
"""The code_verifier a token request carries: IdmState -> verifier (None: the parameter is left out)."""

SECRETS = phrases.Phrases("ClientSecret", {
    "its own secret": lambda x, server: x.server(server).client_secret,
    "its own secret with its last character changed":
        lambda x, server: _near(nearmiss.last_character_changed, x.server(server).client_secret),
    "its own secret cut short by its last character":
        lambda x, server: _near(nearmiss.cut_short, x.server(server).client_secret),
    "the secret of another MCPTT server":
        lambda x, server: x.server(_other([s.client_id for s in x.servers], server, "MCPTT server")).client_secret,
})
"""What a server principal authenticates with: (ixit, client_id) -> secret."""

TOKEN_REFUSALS = phrases.Phrases("TokenRefusal", {
    'HTTP 400 and the error "invalid_grant"': TokenRefusal(400, frozenset({"invalid_grant"})),
    'HTTP 400 and the error "invalid_request" or "invalid_grant"':
        TokenRefusal(400, frozenset({"invalid_request", "invalid_grant"})),
    'HTTP 401, a Basic challenge and the error "invalid_client"':
        TokenRefusal(401, frozenset({"invalid_client"}), challenge="Basic"),
    'HTTP 400 or 401 and the error "invalid_client"':
        TokenRefusal(400, frozenset({"invalid_client"}), other_statuses=frozenset({401})),
})
"""How RFC 6749 5.2 (with RFC 7636 4.6) says a token request is refused."""

TOKEN_PROPERTIES = phrases.Phrases("TokenProperty", {
    "is signed ES256 with a key the IdM's JWKS publishes": claims_oracle.signature_findings,
    "names the KMS as its audience": claims_oracle.audience_findings,
    "names the IdM's issuer": claims_oracle.issuer_findings,
    "carries the key management scope": claims_oracle.scope_findings,
    "names the MCPTT ID of the user who signed in": claims_oracle.mcptt_id_findings,
    "expires in the future, within the configured lifetime": claims_oracle.expiry_findings,
    "was not issued in the future": claims_oracle.issued_at_findings,
})
"""One property of the KMS access token, and the oracle that judges it."""


# --- Given ---------------------------------------------------------------------------------------

@given("the IdM is reachable and publishes its discovery document and JWKS")
def idm_reachable(ctx: ScenarioContext, idm_state: IdmState) -> None:
    silent = ctx.session.silent
    if "idm" in silent:
        raise Inconclusive(f"the IdM did not answer earlier in this run: {silent['idm']}")
    try:
        ctx.idm.discovery()
        status, body = ctx.idm.jwks()
    except Inconclusive as exc:
        silent["idm"] = str(exc)
        raise
    except IdmError as exc:
        raise Failed(f"the IdM's discovery document is unusable: {exc.description or exc.error}") from None
    if status != 200:
        raise Failed(f"the IdM's JWKS answered HTTP {status}")
    try:
        jwks = json.loads(body)
    except ValueError:
        raise Failed("the IdM's JWKS is not JSON") from None
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise Failed("the IdM's JWKS is not a JSON object with a keys list")
    idm_state.jwks = jwks


@given(parsers.parse('"{user}" has signed in at the IdM and holds an authorization code'))
def holds_code(ctx: ScenarioContext, idm_state: IdmState, user: str) -> None:
    idm_state.sign_in(user, ctx.ixit.user(user).password)
    idm_state.take_code()


@given("the test system has redeemed the authorization code with its PKCE verifier and obtained a token")
def redeemed_once(idm_state: IdmState) -> None:
    idm_state.redeem(idm_state.request.verifier)
    idm_state.access_token()


# --- When ----------------------------------------------------------------------------------------

@when(phrases.parse('"{user}" signs in at the IdM with {password:Password}', PASSWORDS))
def sign_in(ctx: ScenarioContext, idm_state: IdmState, user: str, password: phrases.Phrase) -> None:
    idm_state.sign_in(user, password.value(ctx.ixit, user))


@when(phrases.parse('"{user}" signs in at the IdM with the right password, naming as client {client:Client}',
                    CLIENTS))
def sign_in_as_client(ctx: ScenarioContext, idm_state: IdmState, user: str, client: phrases.Phrase) -> None:
    idm_state.sign_in(user, ctx.ixit.user(user).password, client_id=client.value(ctx.ixit))


@when(phrases.parse('"{user}" signs in at the IdM with the right password, asking for the registered redirect '
                    'URI {near:RedirectNearMiss}', REDIRECT_NEAR_MISSES))
def sign_in_redirect_near_miss(ctx: ScenarioContext, idm_state: IdmState, user: str, near: phrases.Phrase) -> None:
    idm_state.sign_in(user, ctx.ixit.user(user).password,
                      redirect_uri=_near(near.value, ctx.ixit.oauth_redirect_uri))


@when(parsers.parse('the MCPTT server "{server}" signs in at the IdM\'s login form with its client_id and secret'))
def server_at_login_form(ctx: ScenarioContext, idm_state: IdmState, server: str) -> None:
    principal = ctx.ixit.server(server)
    idm_state.sign_in(principal.client_id, principal.client_secret)


@when("the test system redeems the authorization code of the sign-in with its PKCE verifier")
def redeem_signed_in(idm_state: IdmState) -> None:
    idm_state.take_code()
    idm_state.redeem(idm_state.request.verifier)


@when(phrases.parse("the test system redeems the authorization code with {verifier:Verifier}", VERIFIERS))
def redeem_with(idm_state: IdmState, verifier: phrases.Phrase) -> None:
    idm_state.redeem(verifier.value(idm_state))


@when(phrases.parse("the test system redeems the authorization code with its PKCE verifier, naming the registered "
                    "redirect URI {near:RedirectNearMiss}", REDIRECT_NEAR_MISSES))
def redeem_redirect_near_miss(ctx: ScenarioContext, idm_state: IdmState, near: phrases.Phrase) -> None:
    idm_state.redeem(idm_state.request.verifier, redirect_uri=_near(near.value, ctx.ixit.oauth_redirect_uri))


@when(phrases.parse('the MCPTT server "{server}" asks the IdM for a token with its client_id and {secret:ClientSecret}',
                    SECRETS))
def server_client_credentials(ctx: ScenarioContext, idm_state: IdmState, server: str, secret: phrases.Phrase) -> None:
    idm_state.client_credentials(ctx.ixit.server(server).client_id, secret.value(ctx.ixit, server))


@when(parsers.parse('the MCPTT server "{server}" asks the IdM for a token with its client_id in the form and no secret'))
def server_client_id_only(ctx: ScenarioContext, idm_state: IdmState, server: str) -> None:
    idm_state.client_id_only(ctx.ixit.server(server).client_id)


@when(parsers.parse('"{user}" asks the IdM for a token with the client credentials grant, her username and password '
                    'as client_id and secret'))
def user_client_credentials(ctx: ScenarioContext, idm_state: IdmState, user: str) -> None:
    principal = ctx.ixit.user(user)
    idm_state.client_credentials(principal.username, principal.password)
    idm_state.token_user, idm_state.token_server = user, None


# --- Then ----------------------------------------------------------------------------------------

@then("the IdM issues no authorization code and redirects only to the registered redirect URI, with an error")
def sign_in_refused(ctx: ScenarioContext, idm_state: IdmState) -> None:
    failed_if(idm_answers.sign_in_refused_findings(
        idm_state.sign_in_answers, registered_redirect_uri=ctx.ixit.oauth_redirect_uri,
        idm_origins=idm_state.idm_origins(), base_url=ctx.idm.discovery().authorization_endpoint))


@then("the IdM issues no authorization code and does not redirect away from itself")
def not_redirected(ctx: ScenarioContext, idm_state: IdmState) -> None:
    failed_if(idm_answers.not_redirected_findings(
        idm_state.sign_in_answers, idm_origins=idm_state.idm_origins(),
        base_url=ctx.idm.discovery().authorization_endpoint))


@then(phrases.parse("the IdM refuses the token request with {refusal:TokenRefusal} and issues no access token",
                    TOKEN_REFUSALS))
def token_refused(idm_state: IdmState, refusal: phrases.Phrase) -> None:
    failed_if(idm_answers.token_refused_findings(idm_state.token_reply(), refusal.value))


@then("the IdM answers with a Bearer access token that no cache may store")
def token_answered(idm_state: IdmState) -> None:
    failed_if(idm_answers.token_response_findings(idm_state.token_reply()))


@then(parsers.parse('the access token is a KMS access token for "{user}" signed by the IdM'))
def user_token(idm_state: IdmState, user: str) -> None:
    if idm_state.token_user != user:
        raise RuntimeError(f"the last token of this scenario is not {user!r}'s")
    failed_if(claims_oracle.kms_access_token_findings(idm_state.access_token(), idm_state.expected()))


@then(parsers.parse('the access token is a KMS access token for the MCPTT server "{server}" signed by the IdM'))
def server_token(idm_state: IdmState, server: str) -> None:
    if idm_state.token_server != server:
        raise RuntimeError(f"the last token of this scenario is not {server!r}'s")
    failed_if(claims_oracle.kms_access_token_findings(idm_state.access_token(), idm_state.expected()))


@then(phrases.parse("the access token {property:TokenProperty}", TOKEN_PROPERTIES))
def token_property(idm_state: IdmState, property: phrases.Phrase) -> None:
    failed_if(property.value(idm_state.access_token(), idm_state.expected()))
