"""Steps about the HTTPS interfaces of the KMS and the IdM as such: request framing, and the IdM's test
control surface (who may use it, and what a request it cannot process does to it)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from pytest_bdd import parsers, then, when

from mcsec.fixtures.agents import rawhttp
from mcsec.fixtures.oracles.tokens import signed_for_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl import httpclient
from mcsec.impl.kms import cekxml
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if, require_ics
from mcsec.steps.tokens import TokenState

ROLES = phrases.Phrases("HttpRole", {"KMS": "kms", "IdM": "idm"})


def _framed(body: bytes, headers: list[str]) -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


FRAMINGS = phrases.Phrases("Framing", {
    "two different Content-Length headers": lambda body: ([f"Content-Length: {len(body)}",
                                                          f"Content-Length: {len(body) + 7}"], body),
    # differing members: RFC 9110 8.6 lets a recipient take a list of one value repeated ("4, 4") as that value
    "a Content-Length listing two different values": lambda body: ([f"Content-Length: {len(body)}, {len(body) + 7}"],
                                                                   body),
    "a Content-Length with a plus sign": lambda body: ([f"Content-Length: +{len(body)}"], body),
    "Transfer-Encoding chunked": lambda body: (["Transfer-Encoding: chunked"], _chunked(body)),
})
"""Request bodies whose length the server cannot take from exactly one valid Content-Length (RFC 9112 6.3)."""


@dataclass
class HttpState:
    exchange: rawhttp.RawExchange | None = None
    reply: httpclient.HttpReply | None = None


@pytest.fixture
def http_state() -> HttpState:
    return HttpState()


def _target(ctx: ScenarioContext, role: str) -> tuple[str, str, str]:
    """Host, port and a POST path of the role's HTTPS interface, with a body it would accept."""
    url = ctx.endpoints.kms_url if role == "kms" else ctx.endpoints.idm_url
    if not url:
        raise Inconclusive(f"no {role} in the lab")
    return url, cekxml.CEK_ISSUE_PATH if role == "kms" else "/token", role


@when(phrases.parse("the test system sends the {role:HttpRole} a request with {framing:Framing}, then a second "
                    "request on the same connection", ROLES, FRAMINGS))
def send_ambiguous(ctx: ScenarioContext, http_state: HttpState, role, framing) -> None:
    url, path, _ = _target(ctx, role.value)
    parts = urlsplit(url)
    body = b"grant_type=client_credentials" if role.value == "idm" else b"<x/>"
    headers, payload = framing.value(body)
    first = _framed(payload, [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: text/plain",
                              *headers])
    second = _framed(b"", ["GET /mcsec-smuggled HTTP/1.1", f"Host: {parts.netloc}", "Content-Length: 0"])
    try:
        http_state.exchange = rawhttp.exchange(parts.hostname, parts.port or 443, first + second,
                                               ctx.lab.ssl_context, ctx.ixit.timers.http_timeout_s, requests=2)
    except OSError as exc:
        raise Inconclusive(f"the {role} could not be reached: {exc}") from None


@then(phrases.parse("the {role:HttpRole} answers {status:d} and closes the connection", ROLES))
def refused_and_closed(http_state: HttpState, role, status: int) -> None:
    exchange = http_state.exchange
    if not exchange.responses:
        raise Failed(f"the {role} gave no HTTP answer ({len(exchange.unparsable)} other octets)")
    first = exchange.responses[0]
    if first.status != status:
        raise Failed(f"the {role} answered {first.status}, expected {status}")
    if exchange.all_answered:  # it read on after the first request: it did not close where it had to
        raise Failed(f"the {role} answered the second request on the connection ({exchange.responses[1].status}) "
                     "after a request it could not delimit, instead of closing the connection")
    if not exchange.closed_by_peer:
        raise Failed(f"the {role} kept the connection open after a request it could not delimit")


@then("the second request gets no answer")
def second_unanswered(http_state: HttpState) -> None:
    if len(http_state.exchange.responses) > 1:
        raise Failed(f"the second request on the connection was answered {http_state.exchange.responses[1].status}:"
                     " the rest of the stream was read as another request")


# --- the IdM's test control surface -------------------------------------------------------------------

CREDENTIALS = phrases.Phrases("Credential", {
    "without the test control secret": lambda secret: None,
    "with a wrong secret": lambda secret: "Bearer " + "x" * len(secret),
    "with the secret cut by one character": lambda secret: "Bearer " + secret[:-1],
    "with the secret in upper case": lambda secret: "Bearer " + (secret.upper() if secret.upper() != secret
                                                                 else secret.lower()),
    "with the secret as a Basic credential": lambda secret: "Basic " + secret,
    "with its secret": lambda secret: "Bearer " + secret,
})


def _secret(ctx: ScenarioContext) -> str:
    require_ics(ctx.profile.ics.idm_test_control, "ics.idm_test_control (the IdM's test control surface)")
    secret = ctx.idm.test_control_secret
    if not secret:
        raise Inconclusive("the profile gives no ixit.idm_test_control_secret for the IdM's test control surface")
    return secret


@when(phrases.parse('the test system asks the IdM\'s test control surface for a token for "{user}" '
                    '{credential:Credential}', CREDENTIALS))
def ask_test_control(ctx: ScenarioContext, http_state: HttpState, user: str, credential) -> None:
    body = json.dumps({"principal": user}).encode()
    http_state.reply = ctx.idm.test_control(body, credential.value(_secret(ctx)))


@when(parsers.parse("the test system sends the IdM's test control surface, with its secret, a JSON body nested "
                    "{depth:d} levels deep"))
def send_deep(ctx: ScenarioContext, http_state: HttpState, depth: int) -> None:
    body = b'{"principal": "alice", "claims": {"x": ' + b"[" * depth + b"]" * depth + b"}}"
    http_state.reply = ctx.idm.test_control(body, "Bearer " + _secret(ctx))


def _token_in(reply: httpclient.HttpReply) -> str | None:
    try:
        token = json.loads(reply.body).get("token")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None


@then(parsers.parse("the IdM answers {status:d} and gives no token"))
def refused_no_token(http_state: HttpState, status: int) -> None:
    reply = http_state.reply
    if reply.status != status:
        raise Failed(f"the IdM answered {reply.status}, expected {status}")
    if _token_in(reply) is not None or b"eyJ" in reply.body:
        raise Failed("the IdM gave a token")


@then(parsers.parse('the IdM gives a token for "{user}" signed by a key of its JWKS'))
def gave_signed_token(ctx: ScenarioContext, http_state: HttpState, tokens: TokenState, user: str) -> None:
    reply = http_state.reply
    token = _token_in(reply) if reply.status == 200 else None
    if token is None:
        raise Failed(f"the IdM answered {reply.status} without a token")
    failed_if(signed_for_findings(token, tokens.jwks, subject=user))


@then(parsers.parse('the IdM\'s test control surface still mints a token for "{user}"'))
def still_mints(ctx: ScenarioContext, user: str) -> None:
    reply = ctx.idm.test_control(json.dumps({"principal": user}).encode(), "Bearer " + _secret(ctx))
    if reply.status != 200 or _token_in(reply) is None:
        raise Failed(f"afterwards the IdM answered {reply.status} to a well-formed request")
