"""OAuth 2.0 request plumbing shared by the authorization and token endpoints.

`OAuthError` carries an RFC 6749 error code (4.1.2.1, 5.2); `Params` reads
form or query parameters and refuses a parameter given more than once
(RFC 6749 3.1, 3.2); `parse_scope` checks a scope string against what the
IdM supports (3.3).
"""
from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from mcsec.impl.httpserver import Response


class OAuthError(Exception):
    """An RFC 6749 error answer: `error` is the registered code, `description` is safe to show."""

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return Response.json(body, self.status, {"Pragma": "no-cache", **self.headers})


class Params:
    """Single-valued OAuth parameters; an empty value counts as absent (RFC 6749 3.1)."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    @classmethod
    def from_form(cls, body: bytes) -> "Params":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "the form body is not UTF-8") from None
        return cls(parse_qs(text, keep_blank_values=True))

    def repeated(self, name: str) -> bool:
        return len(self._values.get(name, [])) > 1

    def get(self, name: str) -> str | None:
        values = self._values.get(name, [])
        if len(values) > 1:
            raise OAuthError("invalid_request", f"parameter {name} is repeated")
        return values[0] if values and values[0] != "" else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise OAuthError("invalid_request", f"parameter {name} is missing")
        return value


def parse_scope(text: str | None, supported: tuple[str, ...], default: str) -> str:
    """The requested scope in request order without duplicates; `default` when none was requested."""
    tokens = (text if text is not None else default).split(" ")
    if any(t == "" for t in tokens):
        raise OAuthError("invalid_scope", "scope is malformed")
    unknown = [t for t in tokens if t not in supported]
    if unknown:
        raise OAuthError("invalid_scope", "scope holds a value the IdM does not grant")
    return " ".join(dict.fromkeys(tokens))


def secret_matches(given: str, expected: str | None) -> bool:
    """Constant-time comparison; an unknown principal still costs one comparison."""
    reference = (expected if expected is not None else "\x00unknown principal").encode("utf-8")
    same = hmac.compare_digest(given.encode("utf-8"), reference)
    return same and expected is not None
