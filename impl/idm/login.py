"""Client side of the IdM: discovery, the code grant with PKCE, client credentials.

Used by the reference MCPTT client (user login), the MCPTT server (its own
access token) and the suite's steps. It speaks HTTPS only and trusts what the
given `ssl.SSLContext` trusts. Every failure is an `IdmError`:
`status` is the HTTP status (0 when the IdM could not be reached or answered
something unusable), `error` the OAuth error code (or a short local code such
as `bad_response`), `description` a readable explanation. Secrets never
appear in an `IdmError`.

    discovery = discover("https://127.0.0.1:8443", ctx)
    tokens = login_with_pkce(discovery, "mcptt-client", "http://127.0.0.1/callback", "alice", pw, ctx)
    server_tokens = client_credentials(discovery, "mcptt-as", secret, ctx)
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode, urlsplit

DISCOVERY_PATH = "/.well-known/openid-configuration"
TIMEOUT_S = 10.0


class IdmError(Exception):
    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(f"IdM error {status} {error}: {description}" if description else f"IdM error {status} {error}")
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    scopes_supported: tuple[str, ...]
    document: dict
    timeout_s: float = TIMEOUT_S  # for every later request to this IdM

    @property
    def default_scope(self) -> str:
        """`openid` plus every other scope the IdM advertises (the KMS scope)."""
        return " ".join(dict.fromkeys(("openid", *self.scopes_supported)))


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    id_token: str | None
    expires_in: int
    scope: str


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> dict:
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise IdmError(self.status, "bad_response", "the IdM's answer is not JSON") from None
        if not isinstance(value, dict):
            raise IdmError(self.status, "bad_response", "the IdM's answer is not a JSON object")
        return value


def _request(method: str, url: str, ssl_context: ssl.SSLContext, *, body: bytes | None = None,
             headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S) -> _Answer:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise IdmError(0, "bad_endpoint", f"not an https URL: {parts.scheme}://{parts.netloc}{parts.path}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=ssl_context, timeout=timeout)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        data = response.read()
        return _Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    except (OSError, http.client.HTTPException) as exc:
        # The message names the endpoint by host and path only: a query may hold secrets.
        raise IdmError(0, "unreachable", f"{method} {parts.netloc}{parts.path}: {exc}") from None
    finally:
        connection.close()


def _raise_for(answer: _Answer, what: str) -> None:
    try:
        body = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        raise IdmError(answer.status, body["error"], str(body.get("error_description", "")))
    raise IdmError(answer.status, "http_error", f"{what} answered {answer.status}")


def _form_post(url: str, ssl_context: ssl.SSLContext, fields: dict[str, str],
               headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S) -> _Answer:
    return _request("POST", url, ssl_context, body=urlencode(fields).encode("ascii"),
                    headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
                    timeout=timeout)


def discover(base_url: str, ssl_context: ssl.SSLContext, *, expected_issuer: str | None = None,
             timeout_s: float = TIMEOUT_S) -> Discovery:
    """Read the IdM's OpenID provider metadata from `base_url` + /.well-known/openid-configuration.

    `timeout_s` bounds this and every later request made with the returned Discovery."""
    answer = _request("GET", base_url.rstrip("/") + DISCOVERY_PATH, ssl_context, timeout=timeout_s)
    if answer.status != 200:
        _raise_for(answer, "discovery")
    document = answer.json()
    fields = {}
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise IdmError(answer.status, "bad_response", f"discovery lacks {name}")
        fields[name] = value
    if expected_issuer is not None and fields["issuer"] != expected_issuer:
        raise IdmError(answer.status, "bad_response", f"issuer is {fields['issuer']}, expected {expected_issuer}")
    scopes = document.get("scopes_supported", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise IdmError(answer.status, "bad_response", "scopes_supported is not a list of strings")
    return Discovery(scopes_supported=tuple(scopes), document=document, timeout_s=timeout_s, **fields)


def fetch_jwks(discovery: Discovery, ssl_context: ssl.SSLContext) -> dict:
    """The IdM's JSON Web Key Set, as published at jwks_uri."""
    answer = _request("GET", discovery.jwks_uri, ssl_context, timeout=discovery.timeout_s)
    if answer.status != 200:
        _raise_for(answer, "jwks")
    jwks = answer.json()
    if not isinstance(jwks.get("keys"), list):
        raise IdmError(answer.status, "bad_response", "the JWKS has no keys list")
    return jwks


def _token_set(answer: _Answer) -> TokenSet:
    if answer.status != 200:
        _raise_for(answer, "token endpoint")
    body = answer.json()
    access_token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(access_token, str) or not access_token:
        raise IdmError(answer.status, "bad_response", "no access_token in the token response")
    if str(body.get("token_type", "")).lower() != "bearer":
        raise IdmError(answer.status, "bad_response", "token_type is not Bearer")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise IdmError(answer.status, "bad_response", "expires_in is not an integer")
    id_token = body.get("id_token")
    return TokenSet(access_token, id_token if isinstance(id_token, str) else None, expires_in,
                    str(body.get("scope", "")))


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 characters, RFC 7636 4.1
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return verifier, challenge.decode("ascii")


def _authorization_response(answer: _Answer, redirect_uri: str, state: str, issuer: str) -> str:
    """The code from the /authorize redirect, after checking where it points, its state and iss."""
    if answer.status != 302:
        _raise_for(answer, "authorization endpoint")
    location = answer.headers.get("location", "")
    target, received = urlsplit(location), urlsplit(redirect_uri)
    if (target.scheme, target.netloc, target.path) != (received.scheme, received.netloc, received.path):
        raise IdmError(answer.status, "bad_response", "the IdM redirected somewhere other than redirect_uri")
    values = {k: v[0] for k, v in parse_qs(target.query, keep_blank_values=True).items()}
    if "iss" in values and values["iss"] != issuer:
        raise IdmError(answer.status, "bad_response", "the authorization response names another issuer")
    if values.get("state") != state:
        raise IdmError(answer.status, "bad_response", "the authorization response's state does not match")
    if "error" in values:
        raise IdmError(answer.status, values["error"], values.get("error_description", ""))
    code = values.get("code")
    if not code:
        raise IdmError(answer.status, "bad_response", "the authorization response has no code")
    return code


def login_with_pkce(discovery: Discovery, client_id: str, redirect_uri: str, username: str, password: str,
                    ssl_context: ssl.SSLContext, scope: str | None = None, nonce: str | None = None) -> TokenSet:
    """Sign `username` in with the code grant and PKCE S256, as a non-browser client.

    GET /authorize (the login page), POST /authorize with the credentials, take
    the code from the 302 without following it, then exchange it at /token.
    `scope` defaults to `discovery.default_scope` (openid and the KMS scope).
    """
    verifier, challenge = _pkce_pair()
    state = secrets.token_urlsafe(16)
    request = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope if scope is not None else discovery.default_scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if nonce is not None:
        request["nonce"] = nonce
    page = _request("GET", discovery.authorization_endpoint + "?" + urlencode(request, quote_via=quote), ssl_context,
                    timeout=discovery.timeout_s)
    if page.status == 302:
        _authorization_response(page, redirect_uri, state, discovery.issuer)  # raises the redirected error
    if page.status != 200:
        _raise_for(page, "authorization endpoint")
    login = _form_post(discovery.authorization_endpoint, ssl_context,
                       {**request, "username": username, "password": password}, timeout=discovery.timeout_s)
    code = _authorization_response(login, redirect_uri, state, discovery.issuer)
    answer = _form_post(discovery.token_endpoint, ssl_context, {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": verifier,
    }, timeout=discovery.timeout_s)
    return _token_set(answer)


def client_credentials(discovery: Discovery, client_id: str, client_secret: str, ssl_context: ssl.SSLContext,
                       scope: str | None = None) -> TokenSet:
    """An access token for a server principal (HTTP Basic client authentication, RFC 6749 2.3.1)."""
    credentials = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode("utf-8")
    fields = {"grant_type": "client_credentials"}
    if scope is not None:
        fields["scope"] = scope
    answer = _form_post(discovery.token_endpoint, ssl_context, fields,
                        {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")},
                        timeout=discovery.timeout_s)
    return _token_set(answer)
