"""The KMS over real HTTPS: refusals that the features do not cover, and log hygiene."""
import base64

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import load
from mcsec.impl import httpclient
from mcsec.impl.idm import login
from mcsec.impl.kms import cekxml
from mcsec.impl.kms.cekclient import CekClient


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with Lab(load(), tmp_path_factory.mktemp("lab"), roles=("idm", "kms")) as lab:
        yield lab


@pytest.fixture(scope="module")
def alice_token(lab):
    p = lab.profile
    d = login.discover(lab.endpoints.idm_url, lab.ssl_context)
    u = p.ixit.user("alice")
    return login.login_with_pkce(d, p.ixit.oauth_client_id, p.ixit.oauth_redirect_uri, u.username, u.password,
                                 lab.ssl_context).access_token


def _post(lab, path, body, token):
    return httpclient.request("POST", lab.endpoints.kms_url + path, body=body, context=lab.ssl_context,
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})


def test_malformed_xml_is_kmserror_1(lab, alice_token):
    reply = _post(lab, cekxml.CEK_ISSUE_PATH, b"<not-xml", alice_token)
    assert reply.status == 400 and cekxml.parse_response(reply.body).error.code == 1


def test_request_for_another_kms_is_kmserror_2(lab, alice_token):
    body = cekxml.build_request(cekxml.CekRequest("sip:alice@example.org", "kms.other.example", "sip:mcptt-as@example.org"))
    reply = _post(lab, cekxml.CEK_ISSUE_PATH, body, alice_token)
    assert reply.status == 400 and cekxml.parse_response(reply.body).error.code == 2


def test_unknown_server_is_kmserror_4(lab, alice_token):
    client = CekClient(lab.endpoints.kms_url, lab.profile.ixit.kms_uri, lab.ssl_context)
    reply = client.issue(alice_token, "sip:alice@example.org", "sip:nobody@example.org")
    assert reply.status == 404 and reply.error.code == 4 and reply.cek is None


def test_fetch_body_on_issue_endpoint_is_refused(lab, alice_token):
    body = cekxml.build_request(cekxml.CekFetch("sip:alice@example.org", lab.profile.ixit.kms_uri, 0xF0000001))
    reply = _post(lab, cekxml.CEK_ISSUE_PATH, body, alice_token)
    assert reply.status == 400 and cekxml.parse_response(reply.body).error.code == 1


def test_wrong_method_and_unknown_path(lab):
    assert httpclient.request("GET", lab.endpoints.kms_url + cekxml.CEK_ISSUE_PATH, context=lab.ssl_context).status == 405
    assert httpclient.request("POST", lab.endpoints.kms_url + "/nope", context=lab.ssl_context).status == 404


def test_oversized_body_is_refused_without_reading_it(lab, alice_token):
    reply = _post(lab, cekxml.CEK_ISSUE_PATH, b"x" * (300 * 1024), alice_token)
    assert reply.status == 413


def test_no_key_or_token_reaches_the_logs(lab, alice_token):
    client = CekClient(lab.endpoints.kms_url, lab.profile.ixit.kms_uri, lab.ssl_context)
    cek = client.issue(alice_token, "sip:alice@example.org", "sip:mcptt-as@example.org").cek
    assert cek is not None
    secrets = [alice_token, alice_token.split(".")[2], cek.key.hex(), base64.b64encode(cek.key).decode()]
    secrets += [u.password for u in lab.profile.ixit.users] + [s.client_secret for s in lab.profile.ixit.servers]
    for role in lab.roles.values():
        text = role.log_path.read_text()
        assert text, f"{role.name} log is empty: the check would prove nothing"
        for secret in secrets:
            assert secret not in text, f"a secret reached the {role.name} log"


def _minted(lab, **request) -> str:
    import json
    reply = httpclient.request("POST", lab.endpoints.idm_url + "/test/tokens", context=lab.ssl_context,
                               body=json.dumps({"principal": "alice", **request}).encode(),
                               headers={"Content-Type": "application/json",
                                        "Authorization": f"Bearer {lab.endpoints.idm_test_control_secret}"})
    assert reply.status == 200, reply.body
    return json.loads(reply.body)["token"]


@pytest.mark.parametrize("request_", [{"non_finite": {"exp": "Infinity"}}, {"claims": {"exp": "99999999999"}},
                                      {"claims": {"iat": 10 ** 12}}], ids=["exp Infinity", "exp a string", "iat 10^12"])
def test_cek_issue_with_time_claims_that_are_not_numeric_dates_is_refused(lab, request_):
    client = CekClient(lab.endpoints.kms_url, lab.profile.ixit.kms_uri, lab.ssl_context)
    reply = client.issue(_minted(lab, **request_), "sip:alice@example.org", "sip:mcptt-as@example.org")
    assert reply.status == 401 and reply.cek is None
