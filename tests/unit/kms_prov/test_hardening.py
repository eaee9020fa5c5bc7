"""Hostile and malformed requests get a KmsError (code 1) and no key material; the token is checked first."""
from __future__ import annotations

import pytest

from mcsec.impl.kms import provxml
from tests.unit.kms_prov.conftest import raw_post

KMS_URI = "kms.example.org"
ALICE = "sip:alice@example.org"


def _request(user: str = ALICE, extra: str = "") -> bytes:
    return (f'<KmsRequest xmlns="{provxml.NS}" Version="1.0.0"><UserUri>{user}</UserUri>'
            f"<KmsUri>{KMS_URI}</KmsUri>{extra}</KmsRequest>").encode()


XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<KmsRequest xmlns="' + provxml.NS.encode() + b'" Version="1.0.0"><UserUri>&x;</UserUri>'
       b"<KmsUri>kms.example.org</KmsUri></KmsRequest>")
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                  b'<KmsRequest xmlns="' + provxml.NS.encode() + b'" Version="1.0.0"><UserUri>&b;</UserUri>'
                  b"<KmsUri>kms.example.org</KmsUri></KmsRequest>")
DOCTYPE_ONLY = b'<!DOCTYPE KmsRequest SYSTEM "http://127.0.0.1:9/x.dtd">' + _request()


def _utf16(document: bytes) -> bytes:
    """The same document in UTF-16, where a byte search for '<!DOCTYPE' finds nothing."""
    text = document.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    return text.encode("utf-16")

MALFORMED = {
    "xxe": XXE,
    "entity expansion": BILLION_LAUGHS,
    "doctype": DOCTYPE_ONLY,
    "xxe in utf-16": _utf16(XXE),
    "entity expansion in utf-16": _utf16(BILLION_LAUGHS),
    "oversized": _request(extra="<ClientId>" + "x" * 70_000 + "</ClientId>"),
    "not well formed": b"<KmsRequest",
    "not in the schema": _request(extra="<Surprise/>"),
    "wrong namespace": _request().replace(provxml.NS.encode(), b"urn:other"),
    "wrong root": f'<KmsError xmlns="{provxml.NS}"><ErrorCode>1</ErrorCode></KmsError>'.encode(),
    "not xml": b"\x00\x01\x02 binary",
    "time out of range": _request(extra="<Time>12345-01-01T00:00:00Z</Time>"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("path", [provxml.INIT_PATH, provxml.KEYPROV_PATH, provxml.CERTCACHE_PATH])
def test_malformed_request_gets_kms_error_1(lab, tokens, case, path):
    reply = raw_post(lab, lab.endpoints.kms_url, path, tokens.user("alice"), MALFORMED[case])
    assert reply.status == 400, case
    answer = provxml.parse_response(reply.body)
    assert answer.message == "KmsError" and answer.error.code == 1
    assert b"root:" not in reply.body  # nothing of /etc/passwd came back


def test_the_token_is_checked_before_the_body_is_read(lab):
    reply = raw_post(lab, lab.endpoints.kms_url, provxml.KEYPROV_PATH, None, XXE)
    assert reply.status == 401
    assert provxml.parse_response(reply.body).error.code == 0


@pytest.mark.parametrize("suffix", [
    "/sip%3Aalice%40example.org/not-hex",
    "/sip%3Aalice%40example.org/" + "F" * 17,
    "/sip%3Aalice%40example.org/EC00000000000000/extra",
    "/%FF%FE",
])
def test_malformed_keyprov_path_gets_kms_error_1(lab, tokens, suffix):
    reply = raw_post(lab, lab.endpoints.kms_url, provxml.KEYPROV_PATH + suffix, tokens.user("alice"))
    assert reply.status == 400
    assert provxml.parse_response(reply.body).error.code == 1


@pytest.mark.parametrize("suffix", ["/sip%3Aalice%40example.org/0", "/sip%3Aalice%40example.org/FFFFFFFF"])
def test_key_period_outside_the_certificate_or_too_far_ahead_gets_kms_error_5(lab, tokens, suffix):
    reply = raw_post(lab, lab.endpoints.kms_url, provxml.KEYPROV_PATH + suffix, tokens.user("alice"))
    assert reply.status == 404
    assert provxml.parse_response(reply.body).error.code == 5


@pytest.mark.parametrize("path", [provxml.INIT_PATH, provxml.CERTCACHE_PATH])
def test_init_and_certcache_take_no_path_parameters(lab, tokens, path):
    reply = raw_post(lab, lab.endpoints.kms_url, path + "/x", tokens.user("alice"))
    assert reply.status == 404  # not a route: the router answers


def test_get_is_not_served(lab, tokens):
    from mcsec.impl import httpclient
    reply = httpclient.request("GET", lab.endpoints.kms_url + provxml.INIT_PATH,
                               headers={"Authorization": "Bearer " + tokens.user("alice")}, context=lab.ssl_context)
    assert reply.status == 405


def _tls_exchange(lab, url: str, data: bytes) -> bytes:
    """``data`` on a TLS connection to the KMS at ``url``; everything it answers until it closes."""
    import socket
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        with lab.ssl_context.wrap_socket(raw, server_hostname=parts.hostname) as sock:
            sock.sendall(data)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    return received


def _smuggling(path: str, token: str) -> bytes:
    smuggled = (f"POST {path} HTTP/1.1\r\nHost: kms\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n"
                f"Connection: close\r\n\r\n")
    return (f"POST {path} HTTP/1.1\r\nHost: kms\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n"
            f"Content-Length: {len(smuggled)}\r\nConnection: keep-alive\r\n\r\n{smuggled}").encode()


def test_duplicate_content_length_is_a_400_that_closes_and_chunked_a_501(lab, tokens):
    token = tokens.user("alice")
    answer = _tls_exchange(lab, lab.endpoints.kms_url, _smuggling(provxml.INIT_PATH, token))
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.count(b"HTTP/1.1 ") == 1
    chunked = (f"POST {provxml.INIT_PATH} HTTP/1.1\r\nHost: kms\r\nAuthorization: Bearer {token}\r\n"
               f"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode()
    answer = _tls_exchange(lab, lab.endpoints.kms_url, chunked)
    assert answer.startswith(b"HTTP/1.1 501 ") and answer.count(b"HTTP/1.1 ") == 1


def test_the_fault_kms_lax_http_framing_serves_the_smuggled_request(lab, tokens, start_kms):
    kms = start_kms("kms-lax-framing", faults=["kms_lax_http_framing"])
    answer = _tls_exchange(lab, kms.url, _smuggling(provxml.INIT_PATH, tokens.user("alice")))
    assert answer.count(b"HTTP/1.1 200 ") == 2
