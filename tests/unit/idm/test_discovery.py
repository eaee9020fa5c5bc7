"""Discovery (OpenID Connect Discovery 1.0) and the JWKS (RFC 7517, kid per RFC 7638)."""
from __future__ import annotations

import hashlib
import http.client
import json
from urllib.parse import urlsplit

from tests.unit.idm.wire import b64url


def test_ready_line_names_every_endpoint(idm):
    base = idm.info["url"]
    assert base.startswith("https://127.0.0.1:")
    assert idm.info["role"] == "idm" and idm.info["ready"] is True
    assert idm.info["issuer"] == base  # no issuer configured: the base URL
    assert idm.info["jwks_uri"] == base + "/jwks"
    assert idm.info["token_endpoint"] == base + "/token"
    assert idm.info["authorization_endpoint"] == base + "/authorize"


def test_discovery_document_lists_endpoints_and_capabilities(idm):
    answer = idm.get("/.well-known/openid-configuration")
    assert answer.status == 200
    document = answer.json()
    assert document["issuer"] == idm.issuer
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        assert document[name] == idm.info[name]
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "client_credentials"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert {"none", "client_secret_basic"} <= set(document["token_endpoint_auth_methods_supported"])
    assert set(document["scopes_supported"]) == {"openid", idm.kms_scope}


def test_jwks_publishes_one_public_p256_signing_key(idm):
    answer = idm.get("/jwks")
    assert answer.status == 200
    keys = answer.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert "d" not in key  # never the private part
    for coordinate in ("x", "y"):
        assert len(key[coordinate]) == 43 and "=" not in key[coordinate]  # 32 bytes, base64url


def test_jwks_kid_is_the_rfc7638_thumbprint(idm):
    key = idm.jwks()["keys"][0]
    canonical = json.dumps({"crv": key["crv"], "kty": key["kty"], "x": key["x"], "y": key["y"]},
                           separators=(",", ":"), sort_keys=True)
    assert key["kid"] == b64url(hashlib.sha256(canonical.encode()).digest())


def test_each_process_makes_its_own_signing_key(idm, idm_ctl):
    assert idm.jwks()["keys"][0]["kid"] != idm_ctl.jwks()["keys"][0]["kid"]


def test_unknown_path_is_404(idm):
    assert idm.get("/nowhere").status == 404


def test_discovery_is_not_served_over_plain_http(idm):
    parts = urlsplit(idm.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", "/.well-known/openid-configuration")
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None  # the TLS server drops a plaintext request
    finally:
        connection.close()
    assert status != 200
