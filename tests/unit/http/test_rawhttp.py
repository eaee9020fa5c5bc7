"""The test system's raw HTTPS exchange (fixtures/agents/rawhttp.py): it reads until the peer closes, the
timeout passes, or every request it wrote has its answer."""
from __future__ import annotations

import ssl

import pytest

from mcsec.fixtures.agents import rawhttp
from mcsec.impl.httpserver import HttpsServer, Response, Router
from mcsec.impl.testca import TestCA

AMBIGUOUS = (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
             b"GET /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
LONG_S = 30.0  # only an exchange that does not stop when it should waits this long (and then fails)


@pytest.fixture
def https(tmp_path):
    ca = TestCA.create(tmp_path / "ca")
    tls = ca.issue_server("peer")
    started: list[HttpsServer] = []

    def make(lax: bool) -> HttpsServer:
        router = Router()
        router.add("POST", "/echo", lambda r: Response(200, r.body))
        router.add("GET", "/second", lambda r: Response.text("second"))
        server = HttpsServer(router, host="127.0.0.1", port=0, cert=str(tls.cert_path), key=str(tls.key_path), name="t",
                             lax_framing=lax)
        server.start()
        started.append(server)
        return server

    yield make, ssl.create_default_context(cafile=str(ca.cert_path))
    for server in started:
        server.stop()


def test_a_peer_that_refuses_and_closes_ends_the_exchange_at_its_close(https):
    make, context = https
    host, port = make(lax=False).address
    got = rawhttp.exchange(host, port, AMBIGUOUS, context, LONG_S, requests=2)
    assert [r.status for r in got.responses] == [400] and got.closed_by_peer and not got.all_answered


def test_a_peer_that_answers_every_request_ends_the_exchange_at_the_last_answer(https):
    make, context = https
    host, port = make(lax=True).address
    got = rawhttp.exchange(host, port, AMBIGUOUS, context, LONG_S, requests=2)
    # the lax peer took the first Content-Length, so "d" + the second request is its next one (501)
    assert [r.status for r in got.responses] == [200, 501] and got.all_answered and not got.closed_by_peer


def test_without_a_request_count_the_exchange_reads_until_the_peer_closes(https):
    make, context = https
    host, port = make(lax=True).address
    got = rawhttp.exchange(host, port, AMBIGUOUS, context, LONG_S)
    # after its 501 the peer closes: what it sent after the second answer was read too
    assert [r.status for r in got.responses] == [200, 501] and not got.all_answered and got.closed_by_peer


def test_one_answer_of_two_is_not_all_answered(https):
    make, context = https
    host, port = make(lax=True).address
    one = b"GET /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    got = rawhttp.exchange(host, port, one, context, 0.3, requests=2)
    assert len(got.responses) == 1 and not got.all_answered and not got.closed_by_peer
