"""A small HTTPS server for the reference roles (IdM, KMS, upper tester).

Handlers are plain functions `handler(request) -> Response` registered on a
`Router` by method and path (exact, or a prefix for paths with parameters).
The server never logs request bodies, query strings or the Authorization
header: a log line holds the method, the path and the status only.

Message framing (RFC 9112 6): the body is delimited by one Content-Length of
decimal digits, or is empty. A request with Transfer-Encoding (this server
implements no transfer coding, chunked included) is answered 501; repeated,
listed or malformed Content-Length is answered 400; both close the
connection, since the rest of the stream cannot be told from a next request.
"""
from __future__ import annotations

import json
import logging
import re
import ssl
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from mcsec.impl import strictjson

log = logging.getLogger("mcsec.http")

MAX_BODY = 256 * 1024
_DIGITS = re.compile(r"[0-9]{1,12}")
DRAIN_LIMIT = 4 * 1024 * 1024  # an oversized body up to this size is read and dropped before the 413


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: tuple[str, int]

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def form(self) -> dict[str, str]:
        """The body as application/x-www-form-urlencoded; the first value of each field."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(400, "form body is not UTF-8") from None
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def json(self) -> dict:
        """The body as a JSON object, read strictly (impl/strictjson.py): anything else is a 400."""
        try:
            value = strictjson.loads(self.body or b"null")
        except strictjson.JsonRefused as exc:
            raise HttpError(400, f"body is not usable JSON: {exc}") from None
        if not isinstance(value, dict):
            raise HttpError(400, "JSON body must be an object")
        return value


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: object, status: int = 200, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, json.dumps(value).encode(), "application/json", dict(headers or {}))

    @classmethod
    def text(cls, text: str, status: int = 200) -> "Response":
        return cls(status, text.encode(), "text/plain; charset=utf-8")


class HttpError(Exception):
    """Raised by a handler to answer with `status`; `message` is safe to show."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


Handler = Callable[[Request], Response]


class Router:
    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Handler] = {}
        self._prefix: list[tuple[str, str, Handler]] = []

    def add(self, method: str, path: str, handler: Handler, *, prefix: bool = False) -> None:
        if prefix:
            self._prefix.append((method, path, handler))
            self._prefix.sort(key=lambda item: -len(item[1]))
        else:
            self._exact[(method, path)] = handler

    def resolve(self, method: str, path: str) -> Handler | None:
        handler = self._exact.get((method, path))
        if handler is not None:
            return handler
        for m, p, h in self._prefix:
            if m == method and (path == p or path.startswith(p.rstrip("/") + "/")):
                return h
        return None

    def knows_path(self, path: str) -> bool:
        return any(p == path for _, p in self._exact) or any(
            path == p or path.startswith(p.rstrip("/") + "/") for _, p, _ in self._prefix
        )


def _make_handler_class(router: Router, server_name: str,
                        lax_framing: bool = False) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        server_version = server_name
        sys_version = ""
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes (two TLS records); with Nagle on, the second
        # waits for the peer's delayed ACK, about 40 ms on every response.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # access lines are written by _dispatch without query or headers

        def _framing_refusal(self) -> Response | None:
            """RFC 9112 6.1, 6.3: a transfer coding this server does not implement (it implements none)
            is a 501; a Content-Length that is repeated, a list or not 1*DIGIT is a 400. Either way
            the body cannot be delimited, so the connection is closed after the answer."""
            if lax_framing:
                return None
            if self.headers.get_all("Transfer-Encoding"):
                return Response.text("Transfer-Encoding is not implemented", 501)
            lengths = self.headers.get_all("Content-Length") or []
            if len(lengths) > 1 or (lengths and not _DIGITS.fullmatch(lengths[0].strip(" \t"))):
                return Response.text("one Content-Length of decimal digits, please", 400)
            return None

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            refusal = self._framing_refusal()
            if refusal is not None:
                log.info("%s %s -> %d (message framing)", method, url.path, refusal.status)
                refusal.headers["Connection"] = "close"
                self._send(refusal)
                self.close_connection = True
                return
            raw_length = self.headers.get("Content-Length") or "0"
            if lax_framing:  # the first member of a list too (a fault only)
                raw_length = raw_length.split(",")[0]
            try:
                length = int(raw_length)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                if MAX_BODY < length <= DRAIN_LIMIT:
                    self._drain(length)  # so the client reads our 413 instead of a reset
                self._send(Response.text("bad or oversized Content-Length", 413 if length > MAX_BODY else 400))
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=method,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                client=self.client_address[:2],
            )
            handler = router.resolve(method, url.path)
            if handler is None:
                status = 405 if router.knows_path(url.path) else 404
                response = Response.text(HTTPStatus(status).phrase, status)
            else:
                try:
                    response = handler(request)
                except HttpError as exc:
                    response = Response.json({"error": exc.message}, exc.status, exc.headers)
                except Exception as exc:  # a bug in a handler must not kill the server
                    # The type only: an exception's text may quote the request. The traceback at DEBUG.
                    log.error("%s %s: handler failed: %s", method, url.path, type(exc).__name__)
                    log.debug("handler failure", exc_info=True)
                    response = Response.json({"error": "internal error"}, 500)
            log.info("%s %s -> %d", method, url.path, response.status)
            self._send(response)

        def _drain(self, length: int) -> None:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)

        def _send(self, response: Response) -> None:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            if not any(name.lower() == "cache-control" for name in response.headers):
                self.send_header("Cache-Control", "no-store")  # unless the handler chose its own
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """The answer to a method without a handler (501) or a request line that cannot be read: the
            body the request announced is read and dropped first (up to DRAIN_LIMIT), so the client reads
            the answer instead of a reset of a connection closed with its body unread (RFC 9112 9.6)."""
            headers = getattr(self, "headers", None)
            if code == HTTPStatus.NOT_IMPLEMENTED and headers is not None:
                try:
                    length = int(headers.get("Content-Length") or 0)
                except ValueError:
                    length = 0
                if 0 < length <= DRAIN_LIMIT:
                    self._drain(length)
            super().send_error(code, message, explain)

        def do_GET(self) -> None:  # noqa: N802
            self._dispatch("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._dispatch("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._dispatch("DELETE")

    return _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None):
        super().__init__(address, handler)
        self._context = context

    def get_request(self):  # type: ignore[override]
        sock, addr = super().get_request()
        sock.settimeout(10)
        if self._context is not None:
            # The handshake runs in the request thread (do_handshake_on_connect on first read).
            sock = self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        log.debug("connection from %s ended with an error", client_address[0])


class HttpsServer:
    """Serves `router` over TLS on `host:port` (port 0 picks a free one)."""

    def __init__(self, router: Router, *, host: str, port: int, cert: Path | None, key: Path | None, name: str,
                 lax_framing: bool = False):
        context = None
        if cert is not None and key is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(cert, key)
        # lax_framing: the first of several Content-Length headers or list members, Transfer-Encoding ignored
        # (a fault only)
        self._httpd = _Server((host, port), _make_handler_class(router, name, lax_framing), context)
        self.scheme = "https" if context else "http"
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
