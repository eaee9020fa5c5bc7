"""The token endpoint (RFC 6749 3.2, 4.1.3, 4.4).

`grant_type=authorization_code` (public clients: `client_id` in the form, no
secret; PKCE S256 verifier required) answers a KMS access token and, when the
grant's scope holds `openid`, an ID token. `grant_type=client_credentials`
(server principals: HTTP Basic, or `client_id` and `client_secret` in the
form, never both) answers a KMS access token for the server's URI.

Errors are RFC 6749 5.2 JSON: `invalid_request`, `invalid_client` (401; with
`WWW-Authenticate: Basic` when the client tried Basic), `invalid_grant`,
`unsupported_grant_type`, `invalid_scope`. Every answer is `no-store`.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from mcsec.impl.httpserver import Request, Response
from mcsec.impl.idm import pkce
from mcsec.impl.idm.authorize import FORM_CONTENT_TYPE, is_form, login_principal
from mcsec.impl.idm.codes import CodeStore
from mcsec.impl.idm.config import IdmConfig
from mcsec.impl.idm.oauth import OAuthError, Params, parse_scope, secret_matches
from mcsec.impl.idm.tokens import IssuedToken, TokenIssuer

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="mcsec-idm"'}


def _invalid_client(description: str, *, tried_basic: bool) -> OAuthError:
    return OAuthError("invalid_client", description, 401, BASIC_CHALLENGE if tried_basic else None)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client id and secret from `Authorization: Basic` (RFC 6749 2.3.1: each form-urlencoded first)."""
    header = request.header("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("only HTTP Basic client authentication is supported", tried_basic=True)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _invalid_client("the Basic credentials are malformed", tried_basic=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _invalid_client("the Basic credentials are malformed", tried_basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


def _token_response(body: dict, *, cacheable: bool = False) -> Response:
    if cacheable:  # fault idm_token_response_cacheable
        return Response.json(body, 200, {"Cache-Control": f"private, max-age={body['expires_in']}"})
    return Response.json(body, 200, {"Pragma": "no-cache"})


class TokenEndpoint:
    def __init__(self, config: IdmConfig, codes: CodeStore, tokens: TokenIssuer) -> None:
        self._config = config
        self._codes = codes
        self._tokens = tokens

    def post(self, request: Request) -> Response:
        try:
            return self._token(request)
        except OAuthError as exc:
            return exc.response()

    def _token(self, request: Request) -> Response:
        if not is_form(request):
            raise OAuthError("invalid_request", f"the body must be {FORM_CONTENT_TYPE}")
        params = Params.from_form(request.body)
        grant_type = params.require("grant_type")
        if grant_type == "authorization_code":
            return self._authorization_code(params)
        if grant_type == "client_credentials":
            return self._client_credentials(request, params)
        raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or client_credentials")

    # --- authorization code + PKCE ----------------------------------------------
    def _authorization_code(self, params: Params) -> Response:
        faults = self._config.faults
        client_id = params.require("client_id")
        code = params.require("code")
        redirect_uri = params.require("redirect_uri")
        skip_pkce = "idm_skip_pkce" in faults
        verifier = params.get("code_verifier") if skip_pkce else params.require("code_verifier")
        if self._config.client(client_id) is None:
            raise _invalid_client("unknown client_id", tried_basic=False)
        if not skip_pkce and not pkce.valid_verifier(verifier):
            raise OAuthError("invalid_request", "code_verifier must be 43 to 128 unreserved characters")
        grant = self._codes.redeem(code)  # spent from here on, whatever follows
        if grant is None:
            raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if grant.redirect_uri != redirect_uri and "idm_token_ignore_redirect_uri" not in faults:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
        if not skip_pkce and not pkce.verifier_matches(verifier, grant.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        user = login_principal(self._config, grant.username)
        if user is None:  # the configuration is fixed for the process's life
            raise OAuthError("invalid_grant", "the user no longer exists")
        access = self._tokens.user_access_token(user, client_id, grant.scope)
        body = {"access_token": access.token, "token_type": "Bearer", "expires_in": access.expires_in,
                "scope": access.scope}
        if "openid" in grant.scope.split(" "):
            body["id_token"] = self._tokens.id_token(user, client_id, grant.auth_time, grant.nonce)
        return _token_response(body, cacheable="idm_token_response_cacheable" in faults)

    # --- client credentials -------------------------------------------------------
    def _client_credentials(self, request: Request, params: Params) -> Response:
        basic = basic_credentials(request)
        form_id, form_secret = params.get("client_id"), params.get("client_secret")
        if basic is not None:
            if form_secret is not None:
                raise OAuthError("invalid_request", "use one client authentication method, not two")
            client_id, secret = basic
            if form_id is not None and form_id != client_id:
                raise OAuthError("invalid_request", "client_id differs from the authenticated client")
        elif form_id is not None and form_secret is not None:
            client_id, secret = form_id, form_secret
        elif form_id is not None and "idm_client_id_without_secret" in self._config.faults \
                and self._config.server(form_id) is not None:
            return self._issued(self._tokens.server_access_token(self._config.server(form_id),
                                                                 self._server_scope(params)))
        else:
            raise _invalid_client("client authentication is required", tried_basic=True)
        faults = self._config.faults
        server = self._config.server(client_id)
        matched = secret_matches(secret, server.client_secret if server is not None else None)
        if "idm_ignore_client_secret" in faults and server is not None:
            matched = True
        if server is None and "idm_shared_principals" in faults:
            user = self._config.user(client_id)
            if user is not None and secret_matches(secret, user.password):
                return self._issued(self._tokens.user_access_token(user, user.username, self._server_scope(params)))
        if server is None or not matched:
            raise _invalid_client("client authentication failed", tried_basic=basic is not None)
        return self._issued(self._tokens.server_access_token(server, self._server_scope(params)))

    def _server_scope(self, params: Params) -> str:
        return parse_scope(params.get("scope"), (self._config.kms_scope,), self._config.kms_scope)

    def _issued(self, access: IssuedToken) -> Response:
        return _token_response({"access_token": access.token, "token_type": "Bearer",
                                "expires_in": access.expires_in, "scope": access.scope},
                               cacheable="idm_token_response_cacheable" in self._config.faults)
