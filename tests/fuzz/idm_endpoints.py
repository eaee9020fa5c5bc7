"""The IdM's request handling (impl/idm): what its endpoints read from a request.

The first octet chooses the endpoint; the rest is what the client sends:

0. ``GET /authorize``: the query string;
1. ``POST /authorize``: the form body (the login);
2. ``POST /token``: the form body; ``@CODE@`` in it is replaced by a code the harness has just
   obtained by logging Alice in with the PKCE verifier of the seeds, so hostile exchanges of a live
   code are reached;
3. ``POST /token``: an Authorization header value (first line; none when empty) and the form body;
4. ``POST /test/tokens``: the JSON body (test control on);
5. ``POST /token``: a Content-Type value (first line) and the body.

The server answers whatever a handler returns, and an ``HttpError`` with its status; anything else
becomes a 500. So a handler must return a response below 500 or raise ``HttpError``, and a redirect
from /authorize must go to the client's registered redirect URI.
"""
from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from mcsec.impl.httpserver import HttpError, Request, Response
from mcsec.impl.idm import pkce
from mcsec.impl.idm.authorize import AuthorizationEndpoint
from mcsec.impl.idm.codes import CodeStore
from mcsec.impl.idm.config import IdmConfig, PublicClient, ServerPrincipal, User
from mcsec.impl.idm.keys import SigningKey
from mcsec.impl.idm.testcontrol import TestControl
from mcsec.impl.idm.token_endpoint import TokenEndpoint
from mcsec.impl.idm.tokens import TokenIssuer
from tests.fuzz.harness import Harness, mode_split, moded_mutator, with_mode
from tests.fuzz.mutators import bytes_mutator, mixed

SCOPE = "3gpp:mc:ptt_key_management_service"
REDIRECT = "http://127.0.0.1/callback"
REDIRECTS = (REDIRECT, "http://127.0.0.1/other?keep=1")
VERIFIER = "v" * 43 + "-._~0123456789"
CHALLENGE = pkce.s256(VERIFIER)
CONFIG = IdmConfig(
    host="127.0.0.1", port=0, tls_cert=Path("unused"), tls_key=Path("unused"), issuer="https://idm.example.org",
    users=(User("alice", "pw-alice", "sip:alice@example.org"), User("bob", "pw-bob", "sip:bob@example.org")),
    clients=(PublicClient("mcptt-client", REDIRECTS),),
    servers=(ServerPrincipal("mcptt-as", "as-secret+/ :%", "sip:mcptt-as@example.org"),),
    kms_audience="kms.example.org", kms_scope=SCOPE, access_token_lifetime_s=300, id_token_lifetime_s=240,
    code_lifetime_s=60, test_control=True, faults=(), log_level="INFO",
)
FORM = "application/x-www-form-urlencoded"
TOKENS = (b"&", b"=", b"%", b"%00", b"%ff", b"+", b"client_id=", b"redirect_uri=", b"response_type=code",
          b"code_challenge=", b"code_challenge_method=S256", b"scope=", b"state=", b"nonce=", b"grant_type=",
          b"authorization_code", b"client_credentials", b"code_verifier=", b"code=@CODE@", b"username=alice",
          b"password=pw-alice", b"Basic ", b'"principal"', b'"claims"', b'"omit"', b'"lifetime_s"', b'"header"',
          b"[", b"{", b"1e999", b"NaN", b"-1")


CONTROL_SECRET = "fuzz-test-control-secret-0123456789"


@functools.cache
def endpoints() -> tuple[AuthorizationEndpoint, TokenEndpoint, TestControl]:
    codes = CodeStore(CONFIG.code_lifetime_s)
    tokens = TokenIssuer(CONFIG, SigningKey.generate(), CONFIG.issuer)
    return (AuthorizationEndpoint(CONFIG, codes, CONFIG.issuer, "/authorize"), TokenEndpoint(CONFIG, codes, tokens),
            TestControl(CONFIG, tokens, CONTROL_SECRET))


def _authorize_fields(**extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "mcptt-client", "redirect_uri": REDIRECT,
            "scope": f"openid {SCOPE}", "state": "s1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
            "nonce": "n1", **extra}


def seeds() -> list[bytes]:
    query = urlencode(_authorize_fields()).encode()
    login = urlencode(_authorize_fields(username="alice", password="pw-alice")).encode()
    exchange = b"code=@CODE@&" + urlencode({"grant_type": "authorization_code", "redirect_uri": REDIRECT,
                                            "client_id": "mcptt-client", "code_verifier": VERIFIER}).encode()
    credentials = b"grant_type=client_credentials&scope=" + SCOPE.encode()
    return [
        with_mode(0, query), with_mode(1, login), with_mode(2, exchange),
        with_mode(3, b"Basic bWNwdHQtYXM6YXMtc2VjcmV0JTJCJTJGKyUzQSUyNQ==\n" + credentials),
        with_mode(3, b"\n" + credentials + b"&client_id=mcptt-as&client_secret=as-secret%2B%2F+%3A%25"),
        with_mode(4, b'{"principal": "alice", "claims": {"aud": ["x", 1]}, "omit": ["nbf"], "lifetime_s": -5, '
                     b'"header": {"kid": "k", "typ": "JWT"}}'),
        with_mode(5, FORM.encode() + b"; charset=utf-8\n" + exchange),
    ]


def _request(method: str, path: str, *, body: bytes = b"", query: str = "", content_type: str | None = FORM,
             authorization: str | None = None) -> Request:
    headers = {}
    if content_type is not None:
        headers["content-type"] = content_type
    if authorization is not None:
        headers["authorization"] = authorization
    return Request(method=method, path=path, query=parse_qs(query, keep_blank_values=True), headers=headers,
                   body=body, client=("192.0.2.1", 40000))


def _live_code() -> str:
    authorize, _, _ = endpoints()
    login = urlencode(_authorize_fields(username="alice", password="pw-alice")).encode()
    answer = authorize.post(_request("POST", "/authorize", body=login))
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _answered(handler, request: Request) -> Response | None:
    try:
        response = handler(request)
    except HttpError as error:
        assert 400 <= error.status < 500, error.status
        return None
    assert isinstance(response, Response) and response.status < 500, response.status
    return response


def _check_redirect(response: Response | None) -> None:
    if response is None or response.status != 302:
        return
    target = urlsplit(response.headers["Location"])
    assert any((target.scheme, target.netloc, target.path) == urlsplit(uri)[:3] for uri in REDIRECTS), target


def one_input(data: bytes) -> None:
    mode, rest = mode_split(data, 6)
    authorize, token, control = endpoints()
    if mode == 0:
        # the server decodes the request target as latin-1 (http.server) before splitting the query
        _check_redirect(_answered(authorize.get, _request("GET", "/authorize", query=rest.decode("latin-1"))))
    elif mode == 1:
        _check_redirect(_answered(authorize.post, _request("POST", "/authorize", body=rest)))
    elif mode == 2:
        body = rest.replace(b"@CODE@", _live_code().encode()) if b"@CODE@" in rest else rest
        _answered(token.post, _request("POST", "/token", body=body))
    elif mode == 3:
        header, _, body = rest.partition(b"\n")
        _answered(token.post, _request("POST", "/token", body=body,
                                       authorization=header.decode("latin-1") if header else None))
    elif mode == 4:
        # the caller presents the secret: the body reaches the JSON reader (without it, 401 before reading)
        _answered(control.mint, _request("POST", "/test/tokens", body=rest, content_type="application/json",
                                         authorization=f"Bearer {CONTROL_SECRET}"))
    else:
        content_type, _, body = rest.partition(b"\n")
        body = body.replace(b"@CODE@", _live_code().encode()) if b"@CODE@" in body else body
        _answered(token.post, _request("POST", "/token", body=body, content_type=content_type.decode("latin-1")))


HARNESS = Harness(
    name="idm_endpoints",
    decoder="mcsec.impl.idm /authorize (GET query, POST form), /token (form, Basic credentials, "
            "Content-Type), /test/tokens (JSON), with live codes",
    one_input=one_input,
    seeds=seeds,
    mutate=moded_mutator([None] * 6, mixed(bytes_mutator(TOKENS))),
    tokens=TOKENS,
)
