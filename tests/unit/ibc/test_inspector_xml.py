"""`mcsec mikey inspect` with the key material as Annex D XML (KmsInit / KmsKeySet documents)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.kms import provxml
from tests.unit.ibc.test_inspector import run

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _element(document: bytes, name: str) -> bytes:
    """One element of a KmsResponse as a document of its own."""
    return etree.tostring(etree.fromstring(document).find(f".//{{{provxml.NS}}}{name}"))


@pytest.fixture(scope="module")
def xml_files(tmp_path_factory, mikey_vectors, csk_vector):
    d = tmp_path_factory.mktemp("inspect-xml")
    kms_uri = mikey_vectors["kms_init"]["KmsUri"]
    cert = provxml.ProvisionedCertificate(KmsCertificate.from_mapping(mikey_vectors["kms_init"]), "cert1", "iss",
                                          T0, T0 + dt.timedelta(days=365))

    def key_set(name: str) -> provxml.ProvisionedKeySet:
        ks = UserKeySet.from_mapping(mikey_vectors["key_sets"][name])
        return provxml.ProvisionedKeySet(ks, kms_uri, "cert1", "iss", T0, T0 + dt.timedelta(days=30))

    (d / "csk.hex").write_text(csk_vector["i_message_hex"])
    init = provxml.build_init_response(kms_uri, None, cert, T0)
    (d / "init-response.xml").write_bytes(init)
    (d / "kms-init.xml").write_bytes(_element(init, "KmsInit"))
    # several key sets: the inspector picks the responder's (GMS) whatever the order
    prov = provxml.build_keyprov_response(kms_uri, None, [key_set("Bob"), key_set("GMS")], T0, "base64")
    (d / "keyprov-response.xml").write_bytes(prov)
    one = provxml.build_keyprov_response(kms_uri, None, [key_set("GMS")], T0, "hex")
    (d / "gms-key-set.xml").write_bytes(_element(one, "KmsKeySet"))
    (d / "xxe.xml").write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                b'<KmsInit xmlns="' + provxml.NS.encode() + b'">&x;</KmsInit>')
    error = provxml.build_error_response(kms_uri, 3, "no", T0)
    (d / "error.xml").write_bytes(error)
    return d


@pytest.mark.parametrize("kms_file, key_file", [
    ("kms-init.xml", "gms-key-set.xml"),
    ("init-response.xml", "keyprov-response.xml"),
])
def test_xml_key_material_verifies_and_decrypts(xml_files, csk_vector, kms_file, key_file):
    out = run(str(xml_files / "csk.hex"), "--kms-init", str(xml_files / kms_file),
              "--key-set", str(xml_files / key_file), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["signature_valid"] is True and report["decrypted"] is True
    assert report["key"] == csk_vector["CSK"]


@pytest.mark.parametrize("kms_file, key_file, needle", [
    ("xxe.xml", None, "document type"),
    ("error.xml", None, "KmsError"),
    ("gms-key-set.xml", None, "no KmsCertificate"),
    ("kms-init.xml", "init-response.xml", "no KmsKeySet"),
])
def test_unusable_xml_is_a_usage_error(xml_files, kms_file, key_file, needle):
    args = [str(xml_files / "csk.hex"), "--kms-init", str(xml_files / kms_file)]
    if key_file:
        args += ["--key-set", str(xml_files / key_file)]
    out = run(*args)
    assert out.returncode == 2
    assert needle in out.stderr.decode()
