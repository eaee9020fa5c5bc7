"""The provisioning XML codec without a network: round trips, the vectors file's key material in Annex D
XML, bare documents, UserID encodings, and the client's checks before use."""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pytest

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.kms import provxml
from mcsec.impl.kms.provclient import KeySetRejected, check_user_id, validate_key_set, validate_rsk, validate_ssk
from mcsec.impl.kms.provservice import parse_ntp_hex
from mcsec.impl.kms.xmlparse import XmlError
from tests.unit.ibc.conftest import load_vectors

VECTORS = load_vectors("mikey-sakke-vectors.json")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)


def vector_certificate() -> provxml.ProvisionedCertificate:
    return provxml.ProvisionedCertificate(KmsCertificate.from_mapping(VECTORS["kms_init"]), "cert1.kms", "issuer",
                                          T0, T1)


def vector_key_set(name: str = "GMS", revoked: bool = False) -> provxml.ProvisionedKeySet:
    ks = UserKeySet.from_mapping(VECTORS["key_sets"][name])
    return provxml.ProvisionedKeySet(ks, VECTORS["kms_init"]["KmsUri"], "cert1.kms", "issuer", T0, T1, revoked)


@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_key_set_round_trip_keeps_the_vectors_key_material(encoding):
    sent = vector_key_set()
    data = provxml.build_keyprov_response("kms.mydev.streamwide.com", sent.user_uri, [sent], T0, encoding)
    answer = provxml.parse_response(data, encoding)
    (got,) = answer.key_sets
    assert got.key_set == sent.key_set
    assert (got.kms_uri, got.cert_uri, got.issuer, got.valid_from, got.valid_to, got.revoked) == \
        (sent.kms_uri, sent.cert_uri, sent.issuer, T0, T1, False)
    uid = bytes.fromhex(VECTORS["key_sets"]["GMS"]["UserID"])
    assert got.user_id_text == (uid.hex() if encoding == "hex" else base64.b64encode(uid).decode())


def test_vectors_key_material_validates_after_the_xml_round_trip():
    cert = vector_certificate()
    data = provxml.build_init_response(cert.kms_uri, None, cert, T0)
    got_cert = provxml.parse_response(data).certificates[0]
    assert got_cert.certificate == cert.certificate
    for name in ("GMS", "Alice"):
        prov = vector_key_set(name)
        got = provxml.parse_response(provxml.build_keyprov_response(cert.kms_uri, prov.user_uri, [prov], T0, "hex"))
        validate_key_set(got.key_sets[0], got_cert.certificate)


def test_certcache_round_trip():
    cert = vector_certificate()
    data = provxml.build_certcache_response(cert.kms_uri, None, [cert, cert], T0, cache_num=7)
    answer = provxml.parse_response(data)
    assert answer.message == "KmsCertCache" and len(answer.certificates) == 2


def test_error_round_trip():
    answer = provxml.parse_response(provxml.build_error_response("kms.example.org", 5, "why", T0, "sip:a@b"))
    assert answer.message == "KmsError" and answer.error == provxml.ProvError(5, "why")
    assert not answer.key_sets and answer.user_uri == "sip:a@b"


def test_request_round_trip():
    req = provxml.ProvRequest("sip:alice@example.org", "kms.example.org", T0, "client", "device",
                              "https://kms.example.org/keymanagement/identity/v1/init")
    assert provxml.parse_request(provxml.build_request(req)) == req


def test_bare_documents_and_enc_key_type():
    ks = VECTORS["key_sets"]["Bob"]
    fields = "".join(f"<{n}>{v}</{n}>" for n, v in (
        ("KmsUri", "kms.mydev.streamwide.com"), ("CertUri", "c"), ("Issuer", "i"), ("UserUri", ks["UserUri"]),
        ("UserID", ks["UserID"]), ("ValidFrom", "2026-01-01T00:00:00"), ("ValidTo", "2026-02-01T00:00:00"),
        ("KeyPeriodNo", ks["KeyPeriodNo"]), ("Revoked", "false")))
    keys = "".join(f'<{n} xsi:type="EncKey">{ks[n]}</{n}>'
                   for n in ("UserDecryptKey", "UserSigningKeySSK", "UserPubTokenPVT"))
    doc = (f'<KmsKeySet xmlns="{provxml.NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           f'Version="1.1.0">{fields}{keys}</KmsKeySet>').encode()
    got = provxml.parse_key_material(doc)
    assert got.key_sets[0].key_set == UserKeySet.from_mapping(ks)
    assert got.key_sets[0].valid_from.tzinfo is not None  # no zone given: UTC


def test_document_with_bad_key_material_is_refused():
    cert = vector_certificate()
    data = provxml.build_init_response(cert.kms_uri, None, cert, T0).replace(b"<UserIdFormat>2<", b"<UserIdFormat>1<")
    with pytest.raises(provxml.ProvDocumentError, match="UserIdFormat"):
        provxml.parse_response(data)
    bad_point = provxml.build_init_response(cert.kms_uri, None, cert, T0).replace(
        cert.certificate.kpak.hex().encode(), b"04" + b"00" * 64)
    with pytest.raises(provxml.ProvDocumentError, match="PubAuthKey"):
        provxml.parse_response(bad_point)


def test_schema_refuses_a_key_set_without_its_keys():
    prov = vector_key_set()
    data = provxml.build_keyprov_response("k", prov.user_uri, [prov], T0, "hex")
    start = data.index(b"<UserPubTokenPVT>")
    end = data.index(b"</UserPubTokenPVT>") + len(b"</UserPubTokenPVT>")
    with pytest.raises(XmlError, match="schema"):
        provxml.parse_response(data[:start] + data[end:])


def test_checks_before_use_catch_tampered_key_sets():
    cert = vector_certificate().certificate
    ks = UserKeySet.from_mapping(VECTORS["key_sets"]["GMS"])
    other = UserKeySet.from_mapping(VECTORS["key_sets"]["Bob"])
    with pytest.raises(KeySetRejected, match="ssk"):
        validate_ssk(dataclasses.replace(ks, ssk=ks.ssk ^ 1), cert)
    with pytest.raises(KeySetRejected, match="rsk"):
        validate_rsk(dataclasses.replace(ks, rsk=other.rsk, _rsk_key=[]), cert)
    with pytest.raises(KeySetRejected, match="uid"):
        check_user_id(dataclasses.replace(ks, user_id=other.user_id), cert)
    with pytest.raises(KeySetRejected, match="revoked"):
        validate_key_set(vector_key_set(revoked=True), cert)
    wrong_kms = dataclasses.replace(vector_key_set(), kms_uri="kms.other")
    with pytest.raises(KeySetRejected, match="kms"):
        validate_key_set(wrong_kms, cert)


@pytest.mark.parametrize("text, seconds", [
    ("EC000000", 0xEC000000), ("1", 1.0), ("EC00000080000000", 0xEC000000 + 0.5),
])
def test_ntp_time_path_segment(text, seconds):
    assert parse_ntp_hex(text) == seconds


@pytest.mark.parametrize("text", ["", "G1", "1" * 17, "-1"])
def test_bad_ntp_time_path_segment(text):
    with pytest.raises(ValueError):
        parse_ntp_hex(text)
