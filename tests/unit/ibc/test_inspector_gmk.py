"""`mcsec mikey inspect` derives the GMK-ID of the vectors' GMK I_MESSAGEs from their GUK-ID, with the
receiver's key material as JSON (vectors field names) and as Annex D XML, the message as hex, base64 and
an SDP key-mgmt line."""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.kms import provxml
from tests.unit.ibc.test_inspector import run
from tests.unit.ibc.test_inspector_xml import T0, _element


@pytest.fixture(scope="module")
def vectors(mikey_vectors) -> dict[str, dict]:
    """GMK: the GENERIC-ID format to Alice; LEGACY: the SRTP-ID format to the IWF."""
    by_name = {m["name"]: m for m in mikey_vectors["i_messages"]}
    return {"GMK": by_name["GMK"], "LEGACY": by_name["GMK (legacy format for IWF)"]}


@pytest.fixture(scope="module")
def files(tmp_path_factory, mikey_vectors, vectors):
    d = tmp_path_factory.mktemp("inspect-gmk")
    for name, v in vectors.items():
        raw = bytes.fromhex(v["i_message_hex"])
        (d / f"{name}.hex").write_text(v["i_message_hex"] + "\n")
        (d / f"{name}.b64").write_text(base64.b64encode(raw).decode() + "\n")
        (d / f"{name}.sdp").write_text("a=key-mgmt:mikey " + base64.b64encode(raw).decode() + "\n")
    (d / "kms.json").write_text(json.dumps(mikey_vectors["kms_init"]))
    for member in ("Alice", "IWF", "Bob"):
        (d / f"{member}.json").write_text(json.dumps(mikey_vectors["key_sets"][member]))
    renamed = dict(mikey_vectors["key_sets"]["IWF"], UserUri="sip:someone-else@streamwide.com")
    (d / "IWF-renamed.json").write_text(json.dumps(renamed))

    kms_uri = mikey_vectors["kms_init"]["KmsUri"]
    cert = provxml.ProvisionedCertificate(KmsCertificate.from_mapping(mikey_vectors["kms_init"]), "cert1", "iss",
                                          T0, T0 + dt.timedelta(days=365))

    def key_set(member: str) -> provxml.ProvisionedKeySet:
        ks = UserKeySet.from_mapping(mikey_vectors["key_sets"][member])
        return provxml.ProvisionedKeySet(ks, kms_uri, "cert1", "iss", T0, T0 + dt.timedelta(days=30))

    init = provxml.build_init_response(kms_uri, None, cert, T0)
    (d / "init-response.xml").write_bytes(init)
    (d / "kms-init.xml").write_bytes(_element(init, "KmsInit"))
    one = provxml.build_keyprov_response(kms_uri, None, [key_set("Alice")], T0, "hex")
    (d / "Alice-key-set.xml").write_bytes(_element(one, "KmsKeySet"))
    # several key sets: the inspector takes the message's responder's
    several = provxml.build_keyprov_response(kms_uri, None, [key_set("Bob"), key_set("Alice"), key_set("IWF")], T0,
                                             "base64")
    (d / "keyprov-response.xml").write_bytes(several)
    return d


CASES = [
    # (message, message file, KMS certificate, key set)
    ("GMK", "GMK.hex", "kms.json", "Alice.json"),
    ("GMK", "GMK.sdp", "kms-init.xml", "Alice-key-set.xml"),
    ("GMK", "GMK.b64", "init-response.xml", "keyprov-response.xml"),
    ("LEGACY", "LEGACY.b64", "kms.json", "IWF.json"),
    ("LEGACY", "LEGACY.sdp", "init-response.xml", "keyprov-response.xml"),
]


@pytest.mark.parametrize("name, message, kms_file, key_file", CASES)
def test_the_gmk_id_is_derived_from_the_guk_id(files, vectors, name, message, kms_file, key_file):
    v = vectors[name]
    out = run(str(files / message), "--kms-init", str(files / kms_file), "--key-set", str(files / key_file),
              "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["key"] == v["GMK"] and report["purpose"] == "GMK"
    group = report["group_key"]
    assert group["gmk_id"] == v["GMK-ID"]
    assert group["user_uri"] == v["Responder URI"]
    assert int(group["guk_id"], 16) ^ int(group["user_salt"], 16) == int(v["GMK-ID"], 16)
    if name == "GMK":
        assert group["guk_id"] == v["GUK-ID"] and group["mki"] == v["GMK-ID"] + v["GUK-ID"]
    else:
        assert group["guk_id"] == "048209a7" and group["mki"] is None   # the header's CSB ID, no MKI


def test_the_text_prints_the_guk_id_and_the_gmk_id(files, vectors):
    v = vectors["GMK"]
    out = run(str(files / "GMK.hex"), "--kms-init", str(files / "kms.json"), "--key-set", str(files / "Alice.json"))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert f"GUK-ID: {v['GUK-ID']} (the HDR CSB ID of a GMK)" in text
    assert (f"GMK-ID: {v['GMK-ID']} (GUK-ID XOR user salt 0b5896d3, from the GMK and {v['Responder URI']}; "
            f"the MKI {v['GMK-ID']}{v['GUK-ID']} agrees)") in text


def test_without_the_gmk_only_the_guk_id_is_known(files, vectors):
    out = run(str(files / "LEGACY.hex"), "--kms-init", str(files / "kms.json"), "--json")
    assert out.returncode == 0, out.stderr
    group = json.loads(out.stdout)["group_key"]
    assert group == {"guk_id": "048209a7", "user_uri": None, "user_salt": None, "gmk_id": None, "mki": None}
    text = run(str(files / "LEGACY.hex")).stdout.decode()
    assert "GUK-ID: 048209a7" in text and "GMK-ID: not derived" in text


def test_another_members_key_set_gives_no_gmk_id(files):
    out = run(str(files / "GMK.hex"), "--kms-init", str(files / "kms.json"), "--key-set", str(files / "Bob.json"),
              "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["group_key"]["gmk_id"] is None and "WrongResponder" in report["error"]


def test_a_key_set_naming_another_uri_gives_no_gmk_id(files):
    """The legacy message has no MKI to check against: the key set's URI must give its UserID."""
    out = run(str(files / "LEGACY.hex"), "--kms-init", str(files / "kms.json"), "--key-set",
              str(files / "IWF-renamed.json"), "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["group_key"]["gmk_id"] is None
    assert "KeyMaterialError" in report["error"] and "does not give its UserID" in report["error"]


def test_other_purposes_have_no_group_key(files, csk_vector, tmp_path):
    (tmp_path / "csk.hex").write_text(csk_vector["i_message_hex"])
    out = run(str(tmp_path / "csk.hex"), "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["group_key"] is None
    assert "GUK-ID" not in run(str(tmp_path / "csk.hex")).stdout.decode()
