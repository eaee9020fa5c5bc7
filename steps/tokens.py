"""Steps about authentication at the IdM and about access tokens."""
from __future__ import annotations

import json
import secrets
import time

import jwt
from pytest_bdd import given, parsers, when

from mcsec.fixtures import tokenforge
from mcsec.fixtures.verdicts import Failed
from mcsec.impl.idm import login
from mcsec.steps.common import World, peer, require_ics


def _discovery(world: World):
    with peer("IdM"):
        try:
            return login.discover(world.lab.endpoints.idm_url, world.lab.ssl_context,
                                  timeout_s=world.profile.timers.http_timeout_s)
        except login.IdmError as exc:
            if exc.status == 0:
                raise
            raise Failed(f"the IdM's discovery document is unusable: {exc}") from None


def authenticate_user(world: World, username: str) -> str:
    user = world.profile.user(username)
    with peer("IdM"):
        try:
            tokens = login.login_with_pkce(
                _discovery(world), world.profile.oauth_client_id, world.profile.oauth_redirect_uri,
                user.username, user.password, world.lab.ssl_context)
        except login.IdmError as exc:
            raise Failed(f"the IdM refused the login of {username!r}: {exc}") from None
    world.tokens[username] = tokens.access_token
    world.id_tokens[username] = tokens.id_token
    return tokens.access_token


def authenticate_server(world: World, client_id: str) -> str:
    server = world.profile.server(client_id)
    with peer("IdM"):
        try:
            tokens = login.client_credentials(_discovery(world), server.client_id, server.client_secret,
                                              world.lab.ssl_context)
        except login.IdmError as exc:
            raise Failed(f"the IdM refused the client credentials of {client_id!r}: {exc}") from None
    world.tokens[client_id] = tokens.access_token
    return tokens.access_token


@given(parsers.parse('"{username}" has authenticated at the IdM with the authorization code flow and PKCE'))
def user_authenticated(world: World, username: str) -> None:
    authenticate_user(world, username)


@given(parsers.parse('the MCPTT server "{client_id}" authenticates at the IdM with its client credentials'))
@when(parsers.parse('the MCPTT server "{client_id}" authenticates at the IdM with its client credentials'))
def server_authenticated(world: World, client_id: str) -> None:
    authenticate_server(world, client_id)


@given(parsers.parse('the KMS access token of "{username}" is signed by the IdM and names her MCPTT ID'))
def token_signed_by_idm(world: World, username: str) -> None:
    token = world.tokens[username]
    header, _, _ = tokenforge.split(token)
    keys = {k.get("kid"): k for k in (world.jwks or {}).get("keys", [])}
    if header.get("alg") != "ES256" or header.get("kid") not in keys:
        raise Failed(f"the access token is not ES256 under a key of the IdM JWKS (header {header})")
    key = jwt.PyJWK(keys[header["kid"]], algorithm="ES256").key
    try:
        claims = jwt.decode(token, key, algorithms=["ES256"], audience=world.profile.kms_uri,
                            issuer=world.lab.endpoints.idm_issuer, leeway=world.profile.token_leeway_s)
    except jwt.PyJWTError as exc:
        raise Failed(f"the access token does not verify against the IdM JWKS: {exc}") from None
    for claim in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "mcptt_id"):
        if claim not in claims:
            raise Failed(f"the access token lacks the claim {claim!r}")
    if world.profile.kms_scope not in str(claims["scope"]).split():
        raise Failed(f"the access token scope {claims['scope']!r} lacks {world.profile.kms_scope!r}")
    expected = world.profile.user(username).mcptt_id
    if claims["mcptt_id"] != expected:
        raise Failed(f"the access token names MCPTT ID {claims['mcptt_id']!r}, expected {expected!r}")


_FORGERIES = {
    "unsigned, with alg none": lambda w, t: tokenforge.unsigned(t),
    "signed with another key under the IdM kid": lambda w, t: tokenforge.signed_with_other_key(t),
    "signed with a key id the IdM never issued": lambda w, t: tokenforge.signed_with_unknown_kid(t),
    "MACed with HS256 keyed by the IdM public key": lambda w, t: tokenforge.hmac_with_public_key(
        t, _jwk_for(w, t)),
    "with its expiry extended after signing": lambda w, t: tokenforge.expiry_extended(t),
    "with its signature cut off": lambda w, t: tokenforge.signature_removed(t),
}


def _jwk_for(world: World, token: str) -> dict:
    kid = tokenforge.split(token)[0].get("kid")
    for key in (world.jwks or {}).get("keys", []):
        if key.get("kid") == kid:
            return key
    raise Failed("the IdM JWKS does not hold the key its own token names")


def forge(world: World, token: str, forgery: str) -> str:
    try:
        return _FORGERIES[forgery](world, token)
    except KeyError:
        raise KeyError(f"unknown forgery {forgery!r}; known: {', '.join(_FORGERIES)}") from None


def _mint_request(defect: str) -> dict:
    """What to ask the IdM's test control surface for, per defect named in the features."""
    now = int(time.time())
    return {
        "that expired ten minutes ago": {"claims": {"iat": now - 1200, "nbf": now - 1200, "exp": now - 600}},
        "that is not valid for ten more minutes": {"claims": {"iat": now, "nbf": now + 600, "exp": now + 1200}},
        "for another audience": {"claims": {"aud": "kms.other.example"}},
        "from another issuer": {"claims": {"iss": "https://idm.other.example"}},
        "without the key management scope": {"claims": {"scope": "openid"}},
        "under a key id its JWKS does not publish": {"header": {"kid": "retired-" + secrets.token_hex(6)}},
    }[defect]


@given(parsers.parse('the IdM mints for "{username}" a signed token {defect}'))
def idm_mints(world: World, username: str, defect: str) -> None:
    require_ics(world.profile.idm_test_control, "ics.idm_test_control (the IdM mints tokens for negative tests)")
    with peer("IdM"):
        reply = world.http(
            "POST", world.lab.endpoints.idm_url + "/test/tokens",
            body=json.dumps({"principal": username, **_mint_request(defect)}).encode(),
            headers={"Content-Type": "application/json"})
    if reply.status != 200:
        raise RuntimeError(f"the IdM test control surface answered HTTP {reply.status}")
    world.minted = json.loads(reply.body)["token"]

