"""KmsInit, KmsKeyProv and KmsCertCache over HTTPS from the lab's KMS (default "ibc" configuration):
the key material validates and works for a MIKEY-SAKKE I_MESSAGE between a user and a server."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from lxml import etree

from mcsec.impl.ibc.freshness import WindowFreshnessPolicy
from mcsec.impl.ibc.mikey import KeyPurpose, build_i_message, process_i_message
from mcsec.impl.ibc.uid import derive_uid, unix_to_ntp
from mcsec.impl.kms import provxml
from mcsec.impl.kms.provclient import check_user_id, validate_key_set, validate_rsk, validate_ssk
from tests.unit.kms_prov.conftest import KEY_PERIOD, client_for, current_period, raw_post

NS = {"k": provxml.NS}


@pytest.fixture(scope="module")
def init(client, tokens):
    reply = client.init(tokens.user("alice"))
    assert reply.status == 200, (reply.status, reply.problem, reply.error)
    return reply


@pytest.fixture(scope="module")
def alice(client, tokens):
    reply = client.keyprov(tokens.user("alice"))
    assert reply.status == 200, (reply.status, reply.problem, reply.error)
    return reply


def test_ready_line_announces_the_provisioning_interface(lab):
    assert lab.roles["kms"].info.get("ibc") is True


def test_init_returns_the_kms_certificate(init, lab):
    assert init.problem is None and init.answer.message == "KmsInit"
    assert init.answer.kms_uri == lab.profile.ixit.kms_uri
    assert init.answer.user_uri == lab.profile.ixit.user("alice").mcptt_id
    (prov,) = init.certificates
    cert = prov.certificate
    assert cert.kms_uri == lab.profile.ixit.kms_uri
    assert cert.key_period == KEY_PERIOD
    assert len(cert.z_t) == 257 and cert.z_t[0] == 4
    assert len(cert.kpak) == 65 and cert.kpak[0] == 4
    assert prov.parameter_set == 1 and prov.revoked is False
    assert prov.cert_uri and prov.issuer
    assert prov.valid_from < dt.datetime.now(dt.timezone.utc) < prov.valid_to


def test_init_document_has_the_annex_d_fields(lab, tokens):
    reply = raw_post(lab, lab.endpoints.kms_url, provxml.INIT_PATH, tokens.user("alice"))
    assert reply.status == 200 and reply.header("content-type") == "application/xml"
    root = etree.fromstring(reply.body)
    assert root.tag == f"{{{provxml.NS}}}KmsResponse"
    cert = root.find("k:KmsMessage/k:KmsInit/k:KmsCertificate", NS)
    names = [etree.QName(c).localname for c in cert]
    assert names[:12] == ["CertUri", "KmsUri", "Issuer", "ValidFrom", "ValidTo", "Revoked", "UserIdFormat",
                          "UserKeyPeriod", "UserKeyOffset", "PubEncKey", "PubAuthKey", "ParameterSet"]
    assert cert.findtext("k:UserIdFormat", namespaces=NS) == "2"
    assert cert.findtext("k:UserKeyPeriod", namespaces=NS) == "2592000"
    assert cert.findtext("k:UserKeyOffset", namespaces=NS) == "0"
    bytes.fromhex(cert.findtext("k:PubEncKey", namespaces=NS))  # hex, as the vectors file


def test_keyprov_gives_alice_a_valid_key_set_for_the_current_period(alice, init, lab):
    assert alice.answer.message == "KmsKeyProv"
    (prov,) = alice.key_sets
    ks = prov.key_set
    assert ks.user_uri == lab.profile.ixit.user("alice").mcptt_id
    assert ks.key_period_no == current_period()
    assert prov.revoked is False and prov.kms_uri == lab.profile.ixit.kms_uri
    assert prov.valid_from <= dt.datetime.now(dt.timezone.utc) <= prov.valid_to
    assert (prov.valid_to - prov.valid_from).total_seconds() == KEY_PERIOD.length - 1
    assert ks.user_id == derive_uid(ks.user_uri, lab.profile.ixit.kms_uri, KEY_PERIOD.length, 0, ks.key_period_no)
    cert = init.certificate
    validate_ssk(ks, cert)
    validate_rsk(ks, cert)
    check_user_id(ks, cert)
    validate_key_set(prov, cert)


def test_keyprov_user_id_is_hex_by_default(alice):
    text = alice.key_sets[0].user_id_text
    assert len(text) == 64 and bytes.fromhex(text) == alice.key_sets[0].key_set.user_id


def test_keyprov_with_user_uri_in_path_and_empty_body(bare_client, tokens, alice, lab):
    reply = bare_client.keyprov(tokens.user("alice"), lab.profile.ixit.user("alice").mcptt_id)
    assert reply.status == 200, reply.error
    (prov,) = reply.key_sets
    assert prov.key_set == alice.key_sets[0].key_set  # derived once per UID and cached


def test_keyprov_for_a_past_time_gives_that_periods_keys(client, tokens, init, lab):
    past = time.time() - 2.5 * KEY_PERIOD.length
    reply = client.keyprov(tokens.user("alice"), lab.profile.ixit.user("alice").mcptt_id, unix_to_ntp(past))
    assert reply.status == 200, reply.error
    (prov,) = reply.key_sets
    assert prov.key_period_no == KEY_PERIOD.number_at_unix(past) < current_period() - 1
    assert prov.valid_from <= dt.datetime.fromtimestamp(past, dt.timezone.utc) <= prov.valid_to
    validate_key_set(prov, init.certificate)


def test_keyprov_far_in_the_future_is_refused(client, tokens, lab):
    future = time.time() + 5 * KEY_PERIOD.length
    reply = client.keyprov(tokens.user("alice"), lab.profile.ixit.user("alice").mcptt_id, unix_to_ntp(future))
    assert reply.status == 404 and reply.error.code == 5 and not reply.key_sets


def test_certcache_holds_the_certificate_of_init(client, tokens, init):
    reply = client.certcache(tokens.user("alice"))
    assert reply.status == 200 and reply.answer.message == "KmsCertCache"
    assert [c.certificate for c in reply.certificates] == [init.certificate]


def test_server_principal_gets_its_own_key_set(lab, tokens, init):
    server_uri = lab.profile.ixit.server("mcptt-as").uri
    reply = client_for(lab, lab.endpoints.kms_url).keyprov(tokens.server(), server_uri)
    assert reply.status == 200, reply.error
    (prov,) = reply.key_sets
    assert prov.user_uri == server_uri
    validate_key_set(prov, init.certificate)


def test_i_message_from_alice_is_processed_with_the_servers_key_set(lab, tokens, init, alice):
    server_uri = lab.profile.ixit.server("mcptt-as").uri
    server = client_for(lab, lab.endpoints.kms_url).keyprov(tokens.server(), server_uri).key_sets[0].key_set
    cert = init.certificate
    built = build_i_message(kms=cert, initiator=alice.key_sets[0].key_set, responder_uri=server_uri,
                            purpose=KeyPurpose.CSK)
    got = process_i_message(built.data, kms=cert, responder=server, freshness=WindowFreshnessPolicy(window=300),
                            initiator_uri=lab.profile.ixit.user("alice").mcptt_id, expected_purpose=KeyPurpose.CSK)
    assert got.key == built.key and got.key_id == built.key_id


def test_another_kms_instance_has_other_master_keys(lab, start_kms, tokens, init):
    other = start_kms("kms-generated")
    reply = client_for(lab, other.url).init(tokens.user("alice"))
    assert reply.status == 200
    assert reply.certificate.kpak != init.certificate.kpak
    assert reply.certificate.z_t != init.certificate.z_t
