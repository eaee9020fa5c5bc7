"""Talking to the IdM under test over HTTPS, as any peer would: raw requests, PKCE values, JWKS checks."""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jwt


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> dict:
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        return json.loads(self.body)

    def redirect_params(self) -> dict[str, str]:
        assert self.status == 302, (self.status, self.body)
        query = urlsplit(self.headers["location"]).query
        return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


@dataclass
class IdmUnderTest:
    """One running IdM process and what the tests know about it."""

    info: dict
    ssl_context: ssl.SSLContext
    log_path: Path
    passwords: dict[str, str]
    mcptt_ids: dict[str, str]
    client_id: str
    other_client_id: str
    redirect_uri: str
    server_id: str
    server_secret: str
    server_uri: str
    kms_audience: str
    kms_scope: str
    seen_secrets: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def issuer(self) -> str:
        return self.info["issuer"]

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(self.url)
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=self.ssl_context, timeout=10)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path: str, params: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path + ("?" + urlencode(params) if params else ""))

    def post_form(self, path: str, fields: dict[str, str] | list[tuple[str, str]],
                  headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_json(self, path: str, value: object, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, json.dumps(value).encode(),
                            {"Content-Type": "application/json", **(headers or {})})

    @property
    def test_control_secret(self) -> str:
        """The secret the IdM demands on its test control surface (from its ready line)."""
        return self.info["test_control_secret"]

    def mint(self, value: object) -> Answer:
        """POST /test/tokens with the test control secret."""
        return self.post_json("/test/tokens", value, {"Authorization": f"Bearer {self.test_control_secret}"})

    # --- the code grant, step by step -------------------------------------------------
    def authorization_request(self, **overrides: str | None) -> tuple[dict[str, str], str]:
        """Parameters of a valid authorization request (None removes one) and the PKCE verifier."""
        verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "scope": f"openid {self.kms_scope}", "state": secrets.token_urlsafe(12),
            "code_challenge": challenge, "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}, verifier

    def login(self, params: dict[str, str], username: str = "alice", password: str | None = None) -> Answer:
        password = self.passwords[username] if password is None else password
        return self.post_form("/authorize", {**params, "username": username, "password": password})

    def obtain_code(self, **overrides: str | None) -> tuple[str, str, dict[str, str]]:
        """A fresh authorization code for alice: (code, verifier, request parameters)."""
        params, verifier = self.authorization_request(**overrides)
        answer = self.login(params)
        redirected = answer.redirect_params()
        assert "code" in redirected, redirected
        self.seen_secrets += [redirected["code"], verifier]
        return redirected["code"], verifier, params

    def redeem(self, code: str, verifier: str | None, /, **overrides: str | None) -> Answer:
        fields: dict[str, str | None] = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "client_id": self.client_id, "code_verifier": verifier,
        }
        fields.update(overrides)
        answer = self.post_form("/token", {k: v for k, v in fields.items() if v is not None})
        if answer.status == 200:
            body = answer.json()
            self.seen_secrets += [body["access_token"], body.get("id_token", "")]
        return answer

    # --- tokens ---------------------------------------------------------------------
    def jwks(self) -> dict:
        return self.get("/jwks").json()

    def verify(self, token: str, *, audience: str, typ: str, **options: bool) -> dict:
        """Claims of `token` after checking its ES256 signature with the published key named by its kid."""
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "ES256" and header["typ"] == typ, header
        keys = {k["kid"]: k for k in self.jwks()["keys"]}
        assert header["kid"] in keys, (header["kid"], list(keys))
        key = jwt.PyJWK(keys[header["kid"]]).key
        return jwt.decode(token, key, algorithms=["ES256"], audience=audience, issuer=self.issuer,
                          options={"require": ["exp", "iat", "iss", "sub", "aud"], **options})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """A fresh code verifier and its S256 challenge (RFC 7636 4.1, 4.2)."""
    verifier = b64url(secrets.token_bytes(40))  # 54 characters
    return verifier, b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def basic(client_id: str, secret: str) -> dict[str, str]:
    """An HTTP Basic header; id and secret are form-urlencoded first (RFC 6749 2.3.1)."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
