"""The KMS XML codecs and endpoints, its token verifier and the IdM's endpoints under
structure-aware mutation (tests/fuzz harnesses)."""
from __future__ import annotations

import pytest
from hypothesis import given

from mcsec.impl.idm.oauth import Params
from tests.fuzz import idm_endpoints, kms_cekxml, kms_provxml, kms_tokens
from tests.unit.fuzz.conftest import fuzz_settings


@fuzz_settings()
@given(kms_cekxml.HARNESS.strategy())
def test_mutated_cek_documents(data):
    kms_cekxml.HARNESS.one_input(data)


@fuzz_settings(60)
@given(kms_provxml.HARNESS.strategy())
def test_mutated_provisioning_documents(data):
    kms_provxml.HARNESS.one_input(data)


@fuzz_settings(200)
@given(kms_tokens.HARNESS.strategy())
def test_mutated_tokens(data):
    kms_tokens.HARNESS.one_input(data)


@fuzz_settings(200)
@given(idm_endpoints.HARNESS.strategy())
def test_mutated_idm_requests(data):
    idm_endpoints.HARNESS.one_input(data)


def test_seed_requests_reach_the_answers_they_are_seeds_of():
    answers = {}
    for harness in (kms_cekxml, kms_provxml):
        for seed in harness.seeds():
            mode, rest = seed[0], seed[1:]
            if harness is kms_cekxml and mode == 2:
                answers["issue"] = harness.SERVICE.issue(kms_cekxml.request(kms_cekxml.cekxml.CEK_ISSUE_PATH, rest))
            if harness is kms_provxml and mode == 6:
                answers.setdefault("keyprov", harness.service().keyprov(
                    kms_provxml.request(kms_provxml.provxml.KEYPROV_PATH, rest)))
    assert answers["issue"].status == 200 and answers["keyprov"].status == 200


def test_seed_tokens_are_accepted():
    principal = kms_tokens.STRICT.from_authorization(kms_tokens.seeds()[0][1:].decode())
    assert principal.mcptt_id == "sip:alice@example.org"


@pytest.mark.parametrize("harness, target, name, mode", [
    (kms_cekxml, kms_cekxml.cekxml, "parse_request", 0),
    (kms_provxml, kms_provxml.provxml, "parse_response", 1),
    (kms_tokens, kms_tokens.STRICT, "verify", 0),
    (idm_endpoints, Params, "from_form", 1),
])
def test_the_oracle_lets_any_other_exception_through(monkeypatch, harness, target, name, mode):
    def broken(*args, **kwargs):
        raise TypeError("decoder bug")
    monkeypatch.setattr(target, name, broken)
    seed = next(s for s in harness.HARNESS.seed_list if s[0] == mode)
    with pytest.raises(TypeError):
        harness.HARNESS.one_input(seed)
