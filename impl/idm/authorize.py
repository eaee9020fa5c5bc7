"""The authorization endpoint: the code grant with PKCE (RFC 6749 4.1, RFC 7636).

`GET /authorize` checks the request and answers a small HTML login form.
`POST /authorize` (form-encoded: the same parameters plus `username` and
`password`) is the login itself, for browsers and for non-browser clients.

Errors, in the order they are checked:
- unknown `client_id`, or `redirect_uri` missing or not exactly registered:
  400 with a JSON error and no redirect (RFC 6749 4.1.2.1);
- anything else is answered by redirecting to the redirect URI with `error`
  (`invalid_request`, `unsupported_response_type`, `invalid_scope`,
  `access_denied`), `state` when the request had one, and `iss` (RFC 9207).
PKCE is required: a missing or malformed `code_challenge`, or a
`code_challenge_method` other than S256, is `invalid_request`.
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from mcsec.impl.httpserver import Request, Response
from mcsec.impl.idm import pkce
from mcsec.impl.idm.codes import CodeStore, Grant
from mcsec.impl.idm.config import IdmConfig, User
from mcsec.impl.idm.oauth import OAuthError, Params, parse_scope, secret_matches

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_FORM_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                "code_challenge_method", "nonce")


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    nonce: str | None


def login_principal(config: IdmConfig, username: str) -> User | None:
    """The user the login form signs in as `username`: a configured user only (with the fault
    idm_shared_principals, a server principal too, its client_id and secret taken as a user's)."""
    user = config.user(username)
    if user is None and "idm_shared_principals" in config.faults:
        server = config.server(username)
        if server is not None:
            return User(server.client_id, server.client_secret, server.uri)
    return user


def is_form(request: Request) -> bool:
    content_type = (request.header("content-type") or "").split(";", 1)[0].strip().lower()
    return content_type == FORM_CONTENT_TYPE


def redirect_with(redirect_uri: str, values: dict[str, str | None]) -> Response:
    """302 to `redirect_uri` with `values` added to its query (RFC 6749 4.1.2: keep the existing query)."""
    parts = urlsplit(redirect_uri)
    added = urlencode({k: v for k, v in values.items() if v is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return Response(302, b"", "text/plain; charset=utf-8", {"Location": location})


class AuthorizationEndpoint:
    def __init__(self, config: IdmConfig, codes: CodeStore, issuer: str, path: str) -> None:
        self._config = config
        self._codes = codes
        self._issuer = issuer
        self._path = path
        self._scopes = ("openid", config.kms_scope)
        self._default_scope = f"openid {config.kms_scope}"

    # --- HTTP handlers ------------------------------------------------------------
    def get(self, request: Request) -> Response:
        return self._handle(Params(request.query), login=False)

    def post(self, request: Request) -> Response:
        if not is_form(request):
            return OAuthError("invalid_request", f"the body must be {FORM_CONTENT_TYPE}").response()
        try:
            params = Params.from_form(request.body)
        except OAuthError as exc:
            return exc.response()
        return self._handle(params, login=True)

    # --- the request --------------------------------------------------------------
    def _handle(self, params: Params, *, login: bool) -> Response:
        try:
            client_id, redirect_uri = self._client_and_redirect(params)
        except OAuthError as exc:
            return exc.response()  # never redirect to an unverified URI
        state_repeated = params.repeated("state")
        state = None if state_repeated else params.get("state")
        try:
            if state_repeated:
                raise OAuthError("invalid_request", "parameter state is repeated")
            request = self._authorization_request(params, client_id, redirect_uri, state)
            if not login:
                return self._login_form(request)
            user = self._authenticate(params)
            code = self._codes.issue(Grant(
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                username=user.username,
                scope=request.scope,
                nonce=request.nonce,
                auth_time=int(time.time()),
            ))
            return redirect_with(redirect_uri, {"code": code, "state": state, "iss": self._issuer})
        except OAuthError as exc:
            return redirect_with(redirect_uri, {"error": exc.error, "error_description": exc.description,
                                                "state": state, "iss": self._issuer})

    def _client_and_redirect(self, params: Params) -> tuple[str, str]:
        client_id = params.get("client_id")
        client = self._config.client(client_id) if client_id is not None else None
        redirect_uri = params.get("redirect_uri")
        faults = self._config.faults
        if client is None and client_id is not None and "idm_accept_unknown_client" in faults:
            registered = [u for c in self._config.clients for u in c.redirect_uris]
            if redirect_uri in registered:
                return client_id, redirect_uri
        if client is None:
            raise OAuthError("invalid_request", "unknown client_id")
        if redirect_uri is None or not self._registered(redirect_uri, client.redirect_uris):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        return client.client_id, redirect_uri

    def _registered(self, redirect_uri: str, registered: tuple[str, ...]) -> bool:
        """Simple string comparison (RFC 3986 6.2.1), as OpenID Connect Core 3.1.2.1 demands."""
        if "idm_redirect_prefix_match" in self._config.faults:
            return any(redirect_uri.lower().startswith(uri.lower()) for uri in registered)
        return redirect_uri in registered

    def _authorization_request(self, params: Params, client_id: str, redirect_uri: str,
                               state: str | None) -> AuthorizationRequest:
        response_type = params.require("response_type")
        if response_type != "code":
            raise OAuthError("unsupported_response_type", "only response_type=code is supported")
        challenge = params.get("code_challenge")
        if challenge is None:
            raise OAuthError("invalid_request", "PKCE code_challenge is required")
        if params.get("code_challenge_method") != pkce.METHOD:
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        if not pkce.valid_challenge(challenge):
            raise OAuthError("invalid_request", "code_challenge is not a base64url SHA-256 value")
        scope = parse_scope(params.get("scope"), self._scopes, self._default_scope)
        return AuthorizationRequest(client_id, redirect_uri, scope, state, challenge, params.get("nonce"))

    def _authenticate(self, params: Params) -> User:
        username = params.get("username") or ""
        password = params.get("password") or ""
        user = login_principal(self._config, username)
        matched = secret_matches(password, user.password if user is not None else None)
        if "idm_accept_any_password" in self._config.faults and user is not None:
            matched = True
        if user is None or not matched:
            raise OAuthError("access_denied", "the username or password is not correct")
        return user

    # --- the login page -----------------------------------------------------------
    def _login_form(self, request: AuthorizationRequest) -> Response:
        values = {
            "response_type": "code", "client_id": request.client_id, "redirect_uri": request.redirect_uri,
            "scope": request.scope, "state": request.state, "code_challenge": request.code_challenge,
            "code_challenge_method": pkce.METHOD, "nonce": request.nonce,
        }
        hidden = "\n".join(
            f'  <input type="hidden" name="{name}" value="{html.escape(values[name], quote=True)}">'
            for name in _FORM_FIELDS if values[name] is not None
        )
        page = (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MCPTT sign-in</title></head>\n"
            "<body>\n<h1>MCPTT sign-in</h1>\n"
            f'<p>{html.escape(request.client_id)} asks to sign you in.</p>\n'
            f'<form method="post" action="{html.escape(self._path, quote=True)}">\n{hidden}\n'
            '  <label>Username <input name="username" autocomplete="username" required></label>\n'
            '  <label>Password <input name="password" type="password" autocomplete="current-password" required>'
            "</label>\n"
            '  <button type="submit">Sign in</button>\n</form>\n</body></html>\n'
        )
        headers = {"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8", headers)
