"""Key IDs whose 28 low bits must look drawn at random: a counter, a repeat, an ordered run or unbalanced
bits are found; random draws are not."""
import datetime as dt
import secrets

from mcsec.fixtures.oracles.key_ids import random_low_bits_findings
from mcsec.impl.faults import Faults
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG, CekStore

TAG = CEK_PURPOSE_TAG << 28


def test_random_draws_pass():
    assert random_low_bits_findings([TAG | secrets.randbits(28) for _ in range(40)], "Key IDs") == []


def test_a_counter_is_found_even_interleaved():
    ids = [TAG | v for v in (10, 500, 11, 900, 12, 70000, 4, 99)]
    assert any("follow each other by one" in f for f in random_low_bits_findings(ids, "Key IDs"))


def test_a_repeat_a_rising_run_and_unbalanced_bits_are_found():
    assert any("repeat" in f for f in random_low_bits_findings([TAG | 7, TAG | 9000, TAG | 7, TAG | 123456], "Key IDs"))
    assert any("rise with every issue" in f
               for f in random_low_bits_findings([TAG | (v << 8) for v in range(1, 9)], "Key IDs"))
    assert any("one bits" in f for f in random_low_bits_findings([TAG | (1 << v) for v in range(28)], "Key IDs"))


def test_too_few_to_judge():
    assert random_low_bits_findings([TAG | 1, TAG | 5000], "Key IDs") == ["2 Key IDs are too few to judge"]


def test_the_store_issues_random_key_ids_and_under_its_fault_a_counter():
    now = dt.datetime.now(dt.timezone.utc)
    for faults, expect_findings in (([], False), (["kms_counter_key_ids"], True)):
        store = CekStore(3600, Faults(faults))
        ids = [store.issue("sip:alice@example.org", "sip:mcptt-as@example.org", now).key_id for _ in range(40)]
        assert bool(random_low_bits_findings(ids, "Key IDs")) is expect_findings
