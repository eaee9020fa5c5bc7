"""A minimal HTTPS client for talking to the IdM and KMS roles (reference or external).

Connection failures and time-outs raise `PeerUnavailable`, so a silent or
absent peer is told apart from a peer that answered wrongly. Nothing here logs.

Connections are kept alive and reused (a pool per peer and TLS context): a TLS handshake per request
costs more than the request. An idle connection is dropped after ``POOL_IDLE_S``, shorter than the
reference roles' 10 s keep-alive, and a reused connection that turns out closed before any byte of the
response is retried once on a fresh one (the peer closed it while it was idle).
"""
from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 1024 * 1024
POOL_IDLE_S = 5.0
POOL_PER_PEER = 8


class PeerUnavailable(Exception):
    """The peer could not be reached or did not answer in time."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class _Pool:
    """Idle kept-alive connections by (scheme, host, port, TLS context)."""

    def __init__(self) -> None:
        self._idle: dict[tuple, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        with self._lock:
            stack = self._idle.get(key, [])
            while stack:
                conn, since = stack.pop()
                if now - since < POOL_IDLE_S:
                    return conn
                conn.close()
        return None

    def give(self, key: tuple, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            stack = self._idle.setdefault(key, [])
            if len(stack) >= POOL_PER_PEER:
                conn.close()
            else:
                stack.append((conn, time.monotonic()))

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for stack in idle.values():
            for conn, _ in stack:
                conn.close()


_POOL = _Pool()
_STALE = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected, ssl.SSLEOFError)
"""What a kept-alive connection the peer closed while it was idle raises before any response byte."""


def close_idle_connections() -> None:
    _POOL.clear()


def _connect(scheme: str, host: str, port: int, context: ssl.SSLContext | None,
             timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    return http.client.HTTPConnection(host, port, timeout=timeout)


def request(method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None,
            context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> HttpReply:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    key = (parts.scheme, parts.hostname, port, context)
    conn = _POOL.take(key)
    reused = conn is not None
    if conn is None:
        conn = _connect(parts.scheme, parts.hostname, port, context, timeout)
    keep = False
    try:
        while True:
            try:
                if conn.sock is not None:
                    conn.sock.settimeout(timeout)
                conn.request(method, target, body=body or None, headers=dict(headers or {}))
                resp = conn.getresponse()
                break
            except _STALE:
                if not reused:
                    raise
                conn.close()  # closed by the peer while idle: once more, on a fresh connection
                conn = _connect(parts.scheme, parts.hostname, port, context, timeout)
                reused = False
        data = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            raise PeerUnavailable(f"{parts.hostname}:{port} answered more than {MAX_RESPONSE_BYTES} bytes")
        keep = not resp.will_close
        return HttpReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    except (OSError, http.client.HTTPException) as exc:
        raise PeerUnavailable(f"{method} {parts.scheme}://{parts.hostname}:{port}{parts.path}: "
                              f"{type(exc).__name__}: {exc}") from None
    finally:
        if keep:
            _POOL.give(key, conn)
        else:
            conn.close()


def post_with_bearer(url: str, token: str | None, body: bytes, content_type: str, *,
                     context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> HttpReply:
    """POST ``body`` with the access token as ``Authorization: Bearer`` (none when ``token`` is None)."""
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request("POST", url, body=body, headers=headers, context=context, timeout=timeout)
