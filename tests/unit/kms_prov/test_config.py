"""The KMS's "ibc" configuration: UserID encoding, revocation, master keys loaded from configuration,
and refusal of unusable items."""
from __future__ import annotations

import pytest

from mcsec.fixtures.lab.roleprocess import RoleProcess, RoleStartError
from mcsec.impl.ibc.eccsi import EccsiKms
from mcsec.impl.ibc.sakke import PARAMETER_SET_1, SakkeKms
from mcsec.impl.kms import provconfig
from mcsec.impl.kms.provclient import KeySetRejected, validate_key_set
from mcsec.impl.rolemain import ConfigError
from tests.unit.kms_prov.conftest import client_for, current_period, kms_config

ALICE = "sip:alice@example.org"


def test_base64_user_id(lab, start_kms, tokens):
    kms = start_kms("kms-base64", ibc={"user_id_format": "base64"})
    b64 = client_for(lab, kms.url, "base64")
    reply = b64.keyprov(tokens.user("alice"), ALICE)
    assert reply.status == 200 and reply.problem is None
    (prov,) = reply.key_sets
    assert prov.user_id_text.endswith("=") and len(prov.user_id_text) == 44
    validate_key_set(prov, b64.init(tokens.user("alice")).certificate)
    # a client that expects hex cannot read this KMS's answer: the interoperability trap, reported
    hex_reply = client_for(lab, kms.url, "hex").keyprov(tokens.user("alice"), ALICE)
    assert hex_reply.status == 200 and hex_reply.answer is None and "UserID" in hex_reply.problem


def test_hex_user_id_read_as_base64_gives_a_uid_that_does_not_validate(lab, tokens):
    b64 = client_for(lab, lab.endpoints.kms_url, "base64")
    reply = b64.keyprov(tokens.user("alice"), ALICE)
    assert reply.status == 200 and reply.problem is None  # 64 hex digits are also valid base64 ...
    (prov,) = reply.key_sets
    assert len(prov.key_set.user_id) == 48  # ... of 48 octets, not the 32-octet UID
    with pytest.raises(KeySetRejected) as caught:
        validate_key_set(prov, b64.init(tokens.user("alice")).certificate)
    assert caught.value.check == "uid"


def test_revoked_key_set_is_marked(lab, start_kms, tokens):
    period = current_period()
    kms = start_kms("kms-revoked", ibc={"revoked": [{"user_uri": ALICE, "key_period_no": period},
                                                    ["sip:bob@example.org", period + 1]]})
    client = client_for(lab, kms.url)
    cert = client.init(tokens.user("alice")).certificate
    reply = client.keyprov(tokens.user("alice"))
    assert reply.status == 200
    (prov,) = reply.key_sets
    assert prov.key_period_no == period and prov.revoked is True
    with pytest.raises(KeySetRejected) as caught:
        validate_key_set(prov, cert)
    assert caught.value.check == "revoked"
    bob = client.keyprov(tokens.user("bob"), "sip:bob@example.org")
    assert bob.key_sets[0].revoked is False  # only the listed (user, period) pairs


def test_master_keys_from_configuration(lab, start_kms, tokens, rfc_vectors):
    ksak, z = rfc_vectors["rfc6507"]["KSAK"], rfc_vectors["rfc6508"]["z"]
    kms = start_kms("kms-master", ibc={"ibc_master": {"ksak": ksak, "z": z}, "user_key_period": 86400,
                                       "user_key_offset": 3600})
    client = client_for(lab, kms.url)
    reply = client.init(tokens.user("alice"))
    cert = reply.certificate
    assert cert.kpak.hex().upper() == rfc_vectors["rfc6507"]["KPAK"].upper()
    assert cert.z_t.hex().upper() == rfc_vectors["rfc6508"]["Z"].upper()
    assert (cert.key_period.length, cert.key_period.offset) == (86400, 3600)
    (prov,) = client.keyprov(tokens.user("alice")).key_sets
    validate_key_set(prov, cert)
    log = kms.log_path.read_text().lower()
    assert ksak.lower() not in log and z.lower() not in log


@pytest.fixture(scope="module")
def rfc_vectors():
    from tests.unit.ibc.conftest import load_vectors
    return load_vectors("rfc6507-rfc6508-vectors.json")


@pytest.mark.parametrize("ibc, item", [
    ({"user_id_format": "decimal"}, "ibc.user_id_format"),
    ({"user_key_period": 0}, "ibc.user_key_period"),
    ({"user_key_offset": -1}, "ibc.user_key_offset"),
    ({"revoked": [{"user_uri": ALICE}]}, "ibc.revoked[0]"),
    ({"ibc_master": {"ksak": "zz", "z": "01"}}, "ibc.ibc_master.ksak"),
    ({"ibc_master": {"ksak": "01"}}, "ibc.ibc_master"),
    ({"surprise": 1}, "ibc.surprise"),
    ("yes", "'ibc'"),
])
def test_unusable_configuration_is_refused_naming_the_item(ibc, item):
    with pytest.raises(ConfigError) as caught:
        provconfig.parse(ibc, "kms.example.org")
    assert item in str(caught.value)


def test_sakke_master_secret_out_of_range_is_refused():
    q = int(PARAMETER_SET_1.curve.q)
    with pytest.raises(ConfigError, match="ibc_master"):
        provconfig.parse({"ibc_master": {"ksak": "01", "z": f"{q:x}"}}, "kms.example.org")


def test_defaults_apply_without_an_ibc_item():
    config = provconfig.parse(None, "kms.example.org")
    assert (config.key_period.length, config.key_period.offset) == (2_592_000, 0)
    assert config.user_id_format == "hex" and not config.revoked and config.master is None
    assert config.cert_uri == "cert1.kms.example.org" and config.issuer == "kms.example.org"
    assert config.make_kms().certificate().kms_uri == "kms.example.org"


def test_configured_master_gives_the_same_keys_every_time():
    config = provconfig.parse({"ibc_master": {"ksak": "12345", "z": "abcdef"}}, "kms.example.org")
    kms = config.make_kms()
    assert kms.eccsi == EccsiKms.from_ksak(0x12345) and kms.sakke == SakkeKms.from_master_secret(0xABCDEF)
    assert "12345" not in repr(config) and "abcdef" not in repr(config)


def test_kms_process_with_unusable_ibc_item_is_not_ready(lab, tmp_path):
    proc = RoleProcess("kms-bad", "mcsec.impl.kms", kms_config(lab, "kms-bad", ibc={"user_id_format": "decimal"}),
                       tmp_path)
    with pytest.raises(RoleStartError, match="ibc.user_id_format"):
        proc.start()
    proc.stop()


def test_kms_process_on_a_taken_port_says_it_is_in_use(lab, tmp_path):
    """An address taken between the lab choosing it and the KMS binding it (another lab on the machine) is a
    not-ready line naming it "in use" (the lab then chooses its ports again; impl/rolemain.py), not a crash
    with exit status 1 that the lab cannot tell from any other."""
    import socket

    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        config = {**kms_config(lab, "kms-taken"), "port": holder.getsockname()[1]}
        proc = RoleProcess("kms-taken", "mcsec.impl.kms", config, tmp_path)
        with pytest.raises(RoleStartError, match=r"cannot serve: .*in use"):
            proc.start()
        assert not proc.alive()
    finally:
        holder.close()
