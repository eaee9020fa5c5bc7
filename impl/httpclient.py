"""A minimal HTTPS client for talking to the IdM and KMS roles (reference or external).

Connection failures and time-outs raise `PeerUnavailable`, so a silent or
absent peer is told apart from a peer that answered wrongly. Nothing here logs.
"""
from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 1024 * 1024


class PeerUnavailable(Exception):
    """The peer could not be reached or did not answer in time."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


def request(method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None,
            context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> HttpReply:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(method, target, body=body or None, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            raise PeerUnavailable(f"{parts.hostname}:{port} answered more than {MAX_RESPONSE_BYTES} bytes")
        return HttpReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    except (OSError, http.client.HTTPException) as exc:
        raise PeerUnavailable(f"{method} {parts.scheme}://{parts.hostname}:{port}{parts.path}: "
                              f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def post_with_bearer(url: str, token: str | None, body: bytes, content_type: str, *,
                     context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> HttpReply:
    """POST ``body`` with the access token as ``Authorization: Bearer`` (none when ``token`` is None)."""
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request("POST", url, body=body, headers=headers, context=context, timeout=timeout)
