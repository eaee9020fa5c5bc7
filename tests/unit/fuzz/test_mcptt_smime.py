"""The MCPTT body and S/MIME decoders under structure-aware mutation (tests/fuzz harnesses)."""
from __future__ import annotations

import pytest
from hypothesis import given

import mcsec.impl.smime as smime
from tests.fuzz import mcptt_body, smime_cms, smime_mime
from tests.unit.fuzz.conftest import fuzz_settings


@fuzz_settings()
@given(mcptt_body.HARNESS.strategy())
def test_mutated_mcptt_bodies(data):
    mcptt_body.HARNESS.one_input(data)


@fuzz_settings()
@given(smime_cms.HARNESS.strategy())
def test_mutated_cms_bodies(data):
    smime_cms.HARNESS.one_input(data)


@fuzz_settings()
@given(smime_mime.HARNESS.strategy())
def test_mutated_mime_forms(data):
    smime_mime.HARNESS.one_input(data)


def test_seed_bodies_open():
    bodies = [seed[1:] for seed in smime_cms.seeds() if seed[0] == 0]
    for body in bodies[:3]:  # the last is the deliberately non-conforming 12-octet ICV
        smime.open(body, key_lookup=smime_cms._lookup)
    with pytest.raises(smime.UnsupportedCms):
        smime.open(bodies[3], key_lookup=smime_cms._lookup)
    for seed in smime_cms.seeds():
        if seed[0] == 2:
            opened = smime.open(smime_cms.sealed_with_attributes(seed[1:]), key_lookup=smime_cms._lookup)
            assert opened.replay_stamp is not None  # hostile attributes reach the stamp decoder


def test_seed_mcptt_bodies_open_to_their_info():
    opened = []
    real = mcptt_body.read_clear, mcptt_body.open_info
    mcptt_body.read_clear = lambda part: opened.append(real[0](part))
    mcptt_body.open_info = lambda part, **kw: opened.append(real[1](part, **kw))
    try:
        for seed in mcptt_body.seeds():
            mcptt_body.one_input(seed)
    finally:
        mcptt_body.read_clear, mcptt_body.open_info = real
    assert [o.info for o in opened if o.info.calling_group_id] and any(o.protected for o in opened)


@pytest.mark.parametrize("harness, target, name, mode", [
    (mcptt_body, mcptt_body, "read_body", 0),
    (smime_cms, smime_cms.smime, "open", 0),
    (smime_mime, smime_mime.mime, "parse_entity", 1),
])
def test_the_oracle_lets_any_other_exception_through(monkeypatch, harness, target, name, mode):
    def broken(*args, **kwargs):
        raise KeyError("decoder bug")
    monkeypatch.setattr(target, name, broken)
    seed = next(s for s in harness.HARNESS.seed_list if s[0] == mode)
    with pytest.raises(KeyError):
        harness.HARNESS.one_input(seed)
