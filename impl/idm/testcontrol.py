"""The test control surface: properly signed tokens with chosen defects.

Only served when the configuration says `"test_control": true`; otherwise
its paths answer 404 like any unknown path. Every request must carry the
test control secret as `Authorization: Bearer <secret>` (configured, or made
at each start and reported in the ready line only); a request without it, or
with another value (compared in constant time), gets 401 with a Bearer
challenge and nothing else, before its body is read.

`POST /test/tokens` with a JSON object:
- `principal` (required): a username or a server principal's client_id;
- `claims`: claims to add or replace in the normal KMS access token;
- `omit`: names of claims to leave out;
- `lifetime_s`: seconds from iat to exp (negative gives an expired token);
- `header`: `kid` and/or `typ` to put in the JOSE header instead of the usual values;
- `non_finite`: claims to write as the JSON-like literals `NaN`, `Infinity` or `-Infinity`, which JSON
  cannot carry (`{"exp": "Infinity"}`): a signed token a KMS must refuse (RFC 7519 NumericDate).
Answer: `{"token": JWT, "claims": {...the signed claims...}}`, signed ES256
with the IdM's real key. An unknown principal is a 404 JSON error.
"""
from __future__ import annotations

import hmac
import json

from mcsec.impl.httpserver import HttpError, Request, Response
from mcsec.impl.idm.config import IdmConfig
from mcsec.impl.idm.keys import SigningKey
from mcsec.impl.idm.tokens import ACCESS_TOKEN_TYP, TokenIssuer

TOKENS_PATH = "/test/tokens"
REALM = "mcsec-idm-test-control"
TEST_CONTROL_CLIENT_ID = "mcsec-test-control"
_HEADER_ITEMS = frozenset({"kid", "typ"})
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class TestControl:
    __test__ = False  # not a pytest test class

    def __init__(self, config: IdmConfig, tokens: TokenIssuer, secret: str) -> None:
        self._config = config
        self._tokens = tokens
        self._secret = secret.encode("ascii")
        # fault idm_test_control_unpublished_key: a key of the surface's own, which the JWKS never shows,
        # used under the kid of the published one
        self._unpublished = (SigningKey.generate() if "idm_test_control_unpublished_key" in config.faults
                             else None)

    def _authorised(self, request: Request) -> bool:
        if "idm_test_control_open" in self._config.faults:
            return True
        scheme, _, given = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode("utf-8", "replace"), self._secret)

    def mint(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
        body = self._body(request)
        principal = body.get("principal")
        if not isinstance(principal, str) or not principal:
            raise HttpError(400, "principal: must be a non-empty string")
        claims = body.get("claims", {})
        if not isinstance(claims, dict):
            raise HttpError(400, "claims: must be an object")
        omit = body.get("omit", [])
        if not isinstance(omit, list) or not all(isinstance(name, str) for name in omit):
            raise HttpError(400, "omit: must be a list of claim names")
        lifetime_s = body.get("lifetime_s")
        if lifetime_s is not None and (isinstance(lifetime_s, bool) or not isinstance(lifetime_s, int)):
            raise HttpError(400, "lifetime_s: must be an integer")
        header = body.get("header", {})
        if (not isinstance(header, dict) or not set(header) <= _HEADER_ITEMS
                or not all(isinstance(v, str) for v in header.values())):
            raise HttpError(400, "header: may hold only kid and typ, as strings")
        non_finite = body.get("non_finite", {})
        if not isinstance(non_finite, dict) or not all(v in _NON_FINITE for v in non_finite.values()):
            raise HttpError(400, "non_finite: must map claim names to NaN, Infinity or -Infinity")

        signed = self._base_claims(principal, lifetime_s)
        signed.update(claims)
        signed.update({name: _NON_FINITE[literal] for name, literal in non_finite.items()})
        for name in omit:
            signed.pop(name, None)
        kid, typ = header.get("kid"), header.get("typ", ACCESS_TOKEN_TYP)
        try:
            if self._unpublished is not None:  # the fault: another key, under the published key's kid
                token = self._unpublished.sign(signed, kid=kid or self._tokens.access_kid, typ=typ)
            else:
                token = self._tokens.sign_access(signed, kid=kid, typ=typ)
        except (TypeError, ValueError) as exc:
            raise HttpError(400, f"claims cannot be signed: {exc}") from None
        return Response.json({"token": token, "claims": signed})

    def _body(self, request: Request) -> dict:
        if "idm_unbounded_json" not in self._config.faults:
            return request.json()
        # The fault: Python's own parser, unbounded; a deep enough nesting escapes as RecursionError.
        try:
            value = json.loads(request.body or b"null")
        except ValueError:
            raise HttpError(400, "body is not JSON") from None
        if not isinstance(value, dict):
            raise HttpError(400, "JSON body must be an object")
        return value

    def _base_claims(self, principal: str, lifetime_s: int | None) -> dict:
        scope = self._config.kms_scope
        user = self._config.user(principal)
        if user is not None:
            client_id = self._config.clients[0].client_id if self._config.clients else TEST_CONTROL_CLIENT_ID
            return self._tokens.user_access_claims(user, client_id, scope, lifetime_s)
        server = self._config.server(principal)
        if server is not None:
            return self._tokens.server_access_claims(server, scope, lifetime_s)
        raise HttpError(404, "unknown principal")
