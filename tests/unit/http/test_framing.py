"""Message framing of the roles' HTTP server (RFC 9112 6): one Content-Length of digits or nothing; a
transfer coding it does not implement is a 501, a repeated or malformed Content-Length a 400, and either
closes the connection so that no byte after it is read as a request."""
from __future__ import annotations

import re
import socket

import pytest

from mcsec.impl.httpserver import HttpsServer, Response, Router

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
N = len(SMUGGLED)


@pytest.fixture
def served():
    def make(lax: bool = False):
        hits: list[str] = []
        router = Router()
        router.add("POST", "/echo", lambda r: (hits.append("echo"), Response(200, r.body))[1])
        router.add("GET", "/smuggled", lambda r: (hits.append("smuggled"), Response.text("smuggled"))[1])
        server = HttpsServer(router, host="127.0.0.1", port=0, cert=None, key=None, name="t",
                             **({"lax_framing": True} if lax else {}))
        server.start()
        started.append(server)
        return server, hits
    started: list[HttpsServer] = []
    yield make
    for server in started:
        server.stop()


def _exchange(server: HttpsServer, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection (bounded by a socket timeout that
    only a hung server reaches)."""
    with socket.create_connection(server.address, timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _statuses(data: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)]


def _post(headers: str, body: bytes) -> bytes:
    return f"POST /echo HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode() + body


@pytest.mark.parametrize("headers,body,status", [
    (f"Content-Length: 0\r\nContent-Length: {N}\r\n", SMUGGLED, 400),
    (f"Content-Length: {N}\r\nContent-Length: {N}\r\n", SMUGGLED, 400),
    (f"Content-Length: {N}, {N}\r\n", SMUGGLED, 400),
    (f"Content-Length: +{N}\r\n", SMUGGLED, 400),
    ("Content-Length: 3_5\r\n", SMUGGLED, 400),
    ("Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED, 501),
    ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"hello" + SMUGGLED, 501),
    ("Transfer-Encoding: gzip\r\n", b"x", 501),
], ids=["conflicting lengths", "duplicate lengths", "length list", "signed length", "underscore length",
        "chunked", "chunked and a length", "unknown coding"])
def test_a_body_that_cannot_be_delimited_is_refused_and_the_connection_closed(served, headers, body, status):
    server, hits = served()
    answer = _exchange(server, _post(headers, body))
    assert _statuses(answer) == [status]
    assert b"Connection: close" in answer
    assert hits == []


def test_one_content_length_delimits_the_body_and_keeps_the_connection(served):
    server, hits = served()
    answer = _exchange(server, _post("Content-Length: 5\r\n", b"hello") + SMUGGLED)
    assert _statuses(answer) == [200, 200]
    assert hits == ["echo", "smuggled"]  # a pipelined request after a delimited body is a request


@pytest.mark.parametrize("headers", [f"Content-Length: 0\r\nContent-Length: {N}\r\n", f"Content-Length: 0, {N}\r\n",
                                     f"Content-Length: 0 , {N}\r\n"],
                         ids=["first of two headers", "first of a list", "first of a spaced list"])
def test_the_lax_framing_of_the_fault_reads_the_rest_of_the_stream_as_a_request(served, headers):
    server, hits = served(lax=True)
    answer = _exchange(server, _post(headers, SMUGGLED))
    assert _statuses(answer) == [200, 200]
    assert hits == ["echo", "smuggled"]



def test_an_unknown_method_with_a_large_body_gets_its_501_not_a_reset(tmp_path):
    """The 501 of a method the server has no handler for comes after the announced body was read, so a
    client still sending it reads the answer instead of a reset (RFC 9112 9.6). Found by `mcsec fuzz`: a
    PATCH with a 200 kB form to the IdM got no answer now and then (about one in fifteen over TLS), so the
    test sends sixty."""
    import ssl

    from mcsec.impl import httpclient
    from mcsec.impl.testca import TestCA

    ca = TestCA.create(tmp_path)
    credentials = ca.issue_server("127.0.0.1")
    router = Router()
    router.add("POST", "/token", lambda r: Response(200, b"ok"))
    server = HttpsServer(router, host="127.0.0.1", port=0, cert=credentials.cert_path, key=credentials.key_path,
                         name="t")
    server.start()
    context = ssl.create_default_context(cafile=str(ca.cert_path))
    try:
        answers = []
        for _ in range(60):
            try:
                answers.append(httpclient.request("PATCH", f"https://127.0.0.1:{server.address[1]}/token",
                                                  body=b"grant_type=x&x=" + b"a" * 200000, context=context,
                                                  timeout=10).status)
            except httpclient.PeerUnavailable:
                answers.append(None)
    finally:
        server.stop()
    assert answers == [501] * 60
