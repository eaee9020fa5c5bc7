"""The KMS compares the identity a token names with the URI a request names exactly; the near-miss faults
plant a case-insensitive and a begins-with comparison."""
import pytest

from mcsec.impl.faults import Faults
from mcsec.impl.kms.server import KmsService

ALICE = "sip:alice@example.org"


def _service(*faults):
    return KmsService(kms_uri="kms.example.org", verifier=None, store=None, servers=["sip:mcptt-as@example.org"],
                      faults=Faults(list(faults)))


@pytest.mark.parametrize("token_identity,faults", [
    (ALICE.upper(), ("kms_identity_case_insensitive",)),
    ("sip:Alice@example.org", ("kms_identity_case_insensitive",)),
    (ALICE[:-1], ("kms_identity_prefix_match",)),
    (ALICE + "x", ()),
    ("x" + ALICE, ()),
    (None, ()),
    ([ALICE], ()),
])
def test_only_the_same_string_is_the_same_identity(token_identity, faults):
    assert _service()._same_identity(ALICE, ALICE)
    assert not _service()._same_identity(token_identity, ALICE)
    for fault in ("kms_identity_case_insensitive", "kms_identity_prefix_match"):
        assert _service(fault)._same_identity(token_identity, ALICE) is (fault in faults)
