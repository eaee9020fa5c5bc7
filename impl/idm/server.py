"""The reference IdM server: discovery, JWKS, /authorize, /token, and the test control surface.

`build(raw_config)` is the `mcsec.impl.rolemain` builder: it checks the
configuration, makes the ES256 signing key, binds the HTTPS server and
returns it with the endpoint URLs for the ready line.
"""
from __future__ import annotations

import logging
import secrets
import ssl

from mcsec.impl.httpserver import HttpsServer, Response, Router
from mcsec.impl.idm.authorize import AuthorizationEndpoint
from mcsec.impl.idm.codes import CodeStore
from mcsec.impl.idm.config import IdmConfig, parse_config
from mcsec.impl.idm.keys import ALGORITHM, SigningKey
from mcsec.impl.idm.testcontrol import TOKENS_PATH, TestControl
from mcsec.impl.idm.token_endpoint import TokenEndpoint
from mcsec.impl.idm.tokens import TokenIssuer
from mcsec.impl.rolemain import ConfigError, Startable

log = logging.getLogger("mcsec.idm")

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"
AUTHORIZE_PATH = "/authorize"
TOKEN_PATH = "/token"


def discovery_document(config: IdmConfig, issuer: str, base_url: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": base_url + AUTHORIZE_PATH,
        "token_endpoint": base_url + TOKEN_PATH,
        "jwks_uri": base_url + JWKS_PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", config.kms_scope],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "mcptt_id"],
        "authorization_response_iss_parameter_supported": True,
    }


def _bind(config: IdmConfig, router: Router) -> HttpsServer:
    try:
        return HttpsServer(router, host=config.host, port=config.port, cert=config.tls_cert, key=config.tls_key,
                           name="mcsec-idm", lax_framing="idm_lax_http_framing" in config.faults)
    except ssl.SSLError as exc:
        raise ConfigError(f"tls: cannot use the certificate and key: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"port: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None


def build(raw_config: dict) -> tuple[list[Startable], dict]:
    config = parse_config(raw_config)
    routes = Router()
    server = _bind(config, routes)  # routes are added below, before the server starts
    base_url = server.url
    issuer = config.issuer or base_url
    key = SigningKey.generate()
    tokens = TokenIssuer(config, key, issuer)
    codes = CodeStore(config.code_lifetime_s, reusable="idm_code_reusable" in config.faults)
    document = discovery_document(config, issuer, base_url)
    authorize = AuthorizationEndpoint(config, codes, issuer, AUTHORIZE_PATH)
    token = TokenEndpoint(config, codes, tokens)
    routes.add("GET", DISCOVERY_PATH, lambda _request: Response.json(document))
    routes.add("GET", JWKS_PATH, lambda _request: Response.json(key.jwks()))
    routes.add("GET", AUTHORIZE_PATH, authorize.get)
    routes.add("POST", AUTHORIZE_PATH, authorize.post)
    routes.add("POST", TOKEN_PATH, token.post)
    secret = None
    if config.test_control:
        secret = config.test_control_secret or secrets.token_urlsafe(32)
        routes.add("POST", TOKENS_PATH, TestControl(config, tokens, secret).mint)
        log.warning("test control surface is on: %s mints tokens for requests carrying the test control secret "
                    "(%s)", TOKENS_PATH, "configured" if config.test_control_secret else "made at start")
    log.info("IdM at %s, issuer %s, signing key %s", base_url, issuer, key.kid)
    info = {
        "url": base_url,
        "issuer": issuer,
        "jwks_uri": document["jwks_uri"],
        "token_endpoint": document["token_endpoint"],
        "authorization_endpoint": document["authorization_endpoint"],
    }
    if secret is not None:
        info["test_control_secret"] = secret  # the ready line goes to the process that started the IdM
    return [server], info
