"""impl.idm.login: the client side of the IdM, against the running IdM."""
from __future__ import annotations

import socket
import ssl

import jwt
import pytest

from mcsec.impl.idm.login import IdmError, TokenSet, client_credentials, discover, fetch_jwks, login_with_pkce


@pytest.fixture(scope="module")
def discovery(idm):
    return discover(idm.url, idm.ssl_context)


def _verified(idm, discovery, token: str, audience: str) -> dict:
    jwks = fetch_jwks(discovery, idm.ssl_context)
    key = jwt.PyJWK(jwks["keys"][0]).key
    return jwt.decode(token, key, algorithms=["ES256"], audience=audience, issuer=discovery.issuer)


def test_discover_reads_the_metadata(idm, discovery):
    assert discovery.issuer == idm.issuer
    assert discovery.authorization_endpoint == idm.info["authorization_endpoint"]
    assert discovery.token_endpoint == idm.info["token_endpoint"]
    assert discovery.jwks_uri == idm.info["jwks_uri"]
    assert discovery.default_scope == f"openid {idm.kms_scope}"


def test_discover_accepts_a_trailing_slash_and_checks_the_expected_issuer(idm):
    assert discover(idm.url + "/", idm.ssl_context, expected_issuer=idm.issuer).issuer == idm.issuer
    with pytest.raises(IdmError) as failed:
        discover(idm.url, idm.ssl_context, expected_issuer="https://other.example")
    assert failed.value.error == "bad_response"


def test_login_with_pkce_returns_verified_tokens(idm, discovery):
    tokens = login_with_pkce(discovery, idm.client_id, idm.redirect_uri, "alice", idm.passwords["alice"],
                             idm.ssl_context, nonce="n-login")
    assert isinstance(tokens, TokenSet)
    idm.seen_secrets += [tokens.access_token, tokens.id_token or ""]
    assert tokens.expires_in == 300
    assert tokens.scope == f"openid {idm.kms_scope}"
    claims = _verified(idm, discovery, tokens.access_token, idm.kms_audience)
    assert (claims["sub"], claims["mcptt_id"]) == ("alice", "sip:alice@example.org")
    assert tokens.id_token is not None
    assert _verified(idm, discovery, tokens.id_token, idm.client_id)["nonce"] == "n-login"


def test_login_with_kms_scope_only_has_no_id_token(idm, discovery):
    tokens = login_with_pkce(discovery, idm.client_id, idm.redirect_uri, "bob", idm.passwords["bob"],
                             idm.ssl_context, scope=idm.kms_scope)
    assert tokens.id_token is None and tokens.scope == idm.kms_scope


def test_login_with_wrong_password_raises_access_denied(idm, discovery):
    with pytest.raises(IdmError) as failed:
        login_with_pkce(discovery, idm.client_id, idm.redirect_uri, "alice", "wrong", idm.ssl_context)
    assert (failed.value.status, failed.value.error) == (302, "access_denied")
    assert "wrong" not in str(failed.value)


def test_login_with_unknown_client_raises_invalid_request(idm, discovery):
    with pytest.raises(IdmError) as failed:
        login_with_pkce(discovery, "nobody", idm.redirect_uri, "alice", idm.passwords["alice"], idm.ssl_context)
    assert (failed.value.status, failed.value.error) == (400, "invalid_request")
    assert failed.value.description


def test_login_with_unknown_scope_raises_invalid_scope(idm, discovery):
    with pytest.raises(IdmError) as failed:
        login_with_pkce(discovery, idm.client_id, idm.redirect_uri, "alice", idm.passwords["alice"],
                        idm.ssl_context, scope="openid admin")
    assert failed.value.error == "invalid_scope"


def test_client_credentials_returns_a_server_token(idm, discovery):
    tokens = client_credentials(discovery, idm.server_id, idm.server_secret, idm.ssl_context)
    idm.seen_secrets.append(tokens.access_token)
    assert tokens.id_token is None and tokens.scope == idm.kms_scope
    claims = _verified(idm, discovery, tokens.access_token, idm.kms_audience)
    assert claims["sub"] == idm.server_uri and "mcptt_id" not in claims


def test_client_credentials_with_bad_secret_raises_invalid_client(idm, discovery):
    with pytest.raises(IdmError) as failed:
        client_credentials(discovery, idm.server_id, idm.server_secret + "x", idm.ssl_context)
    assert (failed.value.status, failed.value.error) == (401, "invalid_client")
    assert idm.server_secret not in str(failed.value)


def test_untrusted_certificate_raises_unreachable(idm):
    with pytest.raises(IdmError) as failed:
        discover(idm.url, ssl.create_default_context())  # system roots do not know the test CA
    assert (failed.value.status, failed.value.error) == (0, "unreachable")


def test_closed_port_raises_unreachable(idm):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(IdmError) as failed:
        discover(f"https://127.0.0.1:{port}", idm.ssl_context)
    assert failed.value.status == 0


def test_plain_http_is_refused(idm):
    with pytest.raises(IdmError) as failed:
        discover(idm.url.replace("https://", "http://"), idm.ssl_context)
    assert failed.value.error == "bad_endpoint"


def test_non_idm_answer_is_a_clear_error(idm):
    with pytest.raises(IdmError) as failed:
        discover(idm.url + "/nowhere", idm.ssl_context)
    assert failed.value.status == 404
