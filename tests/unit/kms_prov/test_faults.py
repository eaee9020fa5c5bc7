"""Each provisioning fault of the reference KMS observably changes its answer, and names the R714
requirement it violates."""
from __future__ import annotations

import datetime as dt

import pytest

from mcsec.impl.faults import REGISTRY
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.provclient import KeySetRejected, validate_key_set, validate_rsk, validate_ssk
from tests.unit.kms_prov.conftest import client_for, current_period

ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"
PROV_FAULTS = {
    "kms_prov_no_token_required": {"R714-KM-TOKEN", "R714-KM-AUTH-FIRST"},
    "kms_prov_ignore_subject": {"R714-KM-SUBJECT"},
    "kms_prov_accept_expired": {"R714-KM-CLAIMS"},
    "kms_prov_wrong_period": {"R714-KM-PROV"},
    "kms_prov_invalid_keys": {"R714-KM-PROV"},
}


@pytest.mark.parametrize("name", sorted(PROV_FAULTS))
def test_fault_is_registered_for_the_kms_with_its_requirements(name):
    fault = REGISTRY[name]
    assert fault.role == "kms" and set(fault.requirements) == PROV_FAULTS[name]


def _faulty(lab, start_kms, fault: str):
    kms = start_kms(f"kms-{fault}", faults=[fault])
    return kms, client_for(lab, kms.url)


def test_no_token_required(lab, start_kms, client):
    assert client.keyprov(None, ALICE).status == 401  # the reference KMS without the fault
    kms, faulty = _faulty(lab, start_kms, "kms_prov_no_token_required")
    reply = faulty.keyprov(None, ALICE)
    assert reply.status == 200 and reply.key_sets[0].user_uri == ALICE
    assert faulty.init(None).status == 200 and faulty.certcache(None).status == 200


def test_ignore_subject(lab, start_kms, client, tokens):
    assert client.keyprov(tokens.user("alice"), BOB).status == 403
    kms, faulty = _faulty(lab, start_kms, "kms_prov_ignore_subject")
    reply = faulty.keyprov(tokens.user("alice"), BOB)
    assert reply.status == 200 and reply.key_sets[0].user_uri == BOB
    validate_key_set(reply.key_sets[0], faulty.init(tokens.user("alice")).certificate)  # bob's real keys


def test_accept_expired_on_provisioning_only(lab, start_kms, client, tokens):
    expired = tokens.expired("alice")
    assert client.keyprov(expired).status == 401
    kms, faulty = _faulty(lab, start_kms, "kms_prov_accept_expired")
    reply = faulty.keyprov(expired)
    assert reply.status == 200 and reply.key_sets[0].user_uri == ALICE
    cek = CekClient(kms.url, kms.kms_uri, lab.ssl_context).issue(expired, ALICE, "sip:mcptt-as@example.org")
    assert cek.status == 401  # the CEK service still refuses it


def test_wrong_period(lab, start_kms, client, tokens):
    now = dt.datetime.now(dt.timezone.utc)
    asked = unix_to_ntp(now.timestamp())
    good = client.keyprov(tokens.user("alice"), ALICE, asked).key_sets[0]
    assert good.key_period_no == current_period() and good.valid_to > now
    kms, faulty = _faulty(lab, start_kms, "kms_prov_wrong_period")
    (prov,) = faulty.keyprov(tokens.user("alice"), ALICE, asked).key_sets
    assert prov.key_period_no == current_period() - 1 and prov.valid_to < now  # expired


def test_invalid_keys(lab, start_kms, client, tokens):
    kms, faulty = _faulty(lab, start_kms, "kms_prov_invalid_keys")
    cert = faulty.init(tokens.user("alice")).certificate
    (prov,) = faulty.keyprov(tokens.user("alice")).key_sets
    with pytest.raises(KeySetRejected) as ssk:
        validate_ssk(prov.key_set, cert)
    assert ssk.value.check == "ssk"
    with pytest.raises(KeySetRejected) as rsk:
        validate_rsk(prov.key_set, cert)
    assert rsk.value.check == "rsk"
    with pytest.raises(KeySetRejected):
        validate_key_set(prov, cert)
