import datetime as dt

import pytest

from mcsec.impl.faults import Faults
from mcsec.impl.kms import cekxml
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG, CekStore, purpose_of
from mcsec.impl.kms.xmlparse import MAX_XML_BYTES, XmlError

NOW = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.timezone.utc)


def test_request_round_trip():
    for req in (cekxml.CekRequest("sip:a@x", "kms.x", "sip:as@x"), cekxml.CekFetch("sip:as@x", "kms.x", 0xF1234567)):
        assert cekxml.parse_request(cekxml.build_request(req)) == req


def test_response_round_trip_and_repr_hides_the_key():
    cek = cekxml.KmsCek(0xF0000001, bytes(range(16)), "sip:a@x", "sip:as@x", NOW, NOW + dt.timedelta(hours=1))
    answer = cekxml.parse_response(cekxml.build_cek_response("kms.x", "sip:a@x", cek, NOW))
    assert answer.cek == cek and answer.error is None
    assert bytes(range(16)).hex() not in repr(cek) and "000102" not in repr(answer)
    err = cekxml.parse_response(cekxml.build_error_response("kms.x", 5, "no", NOW))
    assert err.error == cekxml.KmsErrorInfo(5, "no") and err.cek is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<KmsRequest xmlns="urn:mcsec:ns:cekKMSInterface:1.0" Version="1.0.0"><UserUri>&lol2;</UserUri>
<KmsUri>k</KmsUri><CekRequest><ServerUri>s</ServerUri></CekRequest></KmsRequest>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<KmsRequest xmlns="urn:mcsec:ns:cekKMSInterface:1.0" Version="1.0.0"><UserUri>&x;</UserUri>
<KmsUri>k</KmsUri><CekRequest><ServerUri>s</ServerUri></CekRequest></KmsRequest>"""


@pytest.mark.parametrize("data,why", [
    (BILLION_LAUGHS, "document type"),
    (XXE, "document type"),
    (b"<KmsRequest", "well-formed"),
    (b"x" * (MAX_XML_BYTES + 1), "larger"),
    (cekxml.build_request(cekxml.CekRequest("sip:a@x", "k", "s")).replace(b"cekKMSInterface", b"other"), "schema"),
    (cekxml.build_request(cekxml.CekFetch("sip:a@x", "k", 1)).replace(b"00000001", b"0000001G"), "schema"),
    (cekxml.build_request(cekxml.CekFetch("sip:a@x", "k", 1)).replace(b"<KmsUri>k</KmsUri>", b""), "schema"),
])
def test_hostile_or_invalid_requests_are_refused(data, why):
    with pytest.raises(XmlError, match=why):
        cekxml.parse_request(data)


def test_a_response_is_validated_too():
    with pytest.raises(XmlError):
        cekxml.parse_response(cekxml.build_request(cekxml.CekFetch("sip:a@x", "k", 1)))


def test_store_issues_unique_tagged_key_ids_bound_to_one_server():
    store = CekStore(3600, Faults())
    records = [store.issue("sip:a@x", "sip:as@x", NOW) for _ in range(2000)]
    assert len({r.key_id for r in records}) == 2000
    assert all(purpose_of(r.key_id) == CEK_PURPOSE_TAG for r in records)
    first = records[0]
    assert store.for_server(first.key_id, "sip:as@x", NOW) == first
    assert store.for_server(first.key_id, "sip:other@x", NOW) is None
    assert store.for_server(first.key_id, "sip:as@x", NOW + dt.timedelta(hours=2)) is None, "expired CEK given"
    issued = {r.key_id for r in records}
    never = next(k for k in range(CEK_PURPOSE_TAG << 28, (CEK_PURPOSE_TAG << 28) + 5000) if k not in issued)
    assert store.for_server(never, "sip:as@x", NOW) is None


@pytest.mark.parametrize("fault,observe", [
    ("kms_reuse_key_ids", lambda s: len({s.issue("o", "s", NOW).key_id for _ in range(50)}) < 50),
    ("kms_wrong_purpose_tag", lambda s: purpose_of(s.issue("o", "s", NOW).key_id) != CEK_PURPOSE_TAG),
    ("kms_ignore_server_binding", lambda s: s.for_server(s.issue("o", "s", NOW).key_id, "other", NOW) is not None),
    ("kms_answer_unknown_key_id", lambda s: s.for_server(0xF0000000, "s", NOW) is not None),
])
def test_each_store_fault_is_observable(fault, observe):
    assert not observe(CekStore(3600, Faults()))
    assert observe(CekStore(3600, Faults([fault])))


def test_expired_cek_records_are_dropped_and_live_ones_kept():
    store = CekStore(60, Faults())
    old = [store.issue("sip:a@x", "sip:as@x", NOW) for _ in range(500)]
    later = NOW + dt.timedelta(seconds=30)
    young = store.issue("sip:a@x", "sip:as@x", later)
    assert len(store) == 501
    at_expiry = NOW + dt.timedelta(seconds=60)  # the first 500 are refused from this instant
    assert store.for_server(old[0].key_id, "sip:as@x", at_expiry) is None
    assert len(store) == 1
    assert store.for_server(young.key_id, "sip:as@x", at_expiry) == young
    store.issue("sip:a@x", "sip:as@x", later + dt.timedelta(seconds=60))
    assert len(store) == 1, "the CEK issued at +30 s should be gone at +90 s"


def test_the_fault_kms_keep_expired_ceks_keeps_them():
    store = CekStore(60, Faults(["kms_keep_expired_ceks"]))
    records = [store.issue("sip:a@x", "sip:as@x", NOW) for _ in range(100)]
    store.issue("sip:a@x", "sip:as@x", NOW + dt.timedelta(hours=1))
    assert len(store) == 101
    assert store.for_server(records[0].key_id, "sip:as@x", NOW + dt.timedelta(hours=1)) is None  # still refused


def test_key_ids_never_repeat_and_need_no_record_of_the_past():
    store = CekStore(1, Faults())
    ids = set()
    for i in range(20_000):  # each CEK has expired before the next is issued: nothing is held
        ids.add(store.issue("o", "s", NOW + dt.timedelta(seconds=2 * i)).key_id)
    assert len(ids) == 20_000 and len(store) == 1
    assert all(purpose_of(k) == CEK_PURPOSE_TAG for k in ids)
    low = sorted(k & 0x0FFFFFFF for k in ids)
    assert low[-1] - low[0] > 1 << 26, "Key IDs are spread over the 28 bits, not a counter"


def test_the_key_id_permutation_is_one_to_one_and_keyed():
    from mcsec.impl.kms.cekstore import KeyIdPermutation
    permute = KeyIdPermutation(b"k" * 32)
    outputs = {permute(n) for n in range(1 << 16)}
    assert len(outputs) == 1 << 16 and max(outputs) < 1 << 28
    assert [permute(n) for n in range(8)] != [KeyIdPermutation(b"j" * 32)(n) for n in range(8)]


def test_the_server_binding_holds_on_every_fetch_and_its_fault_checks_it_once():
    now = dt.datetime.now(dt.timezone.utc)
    for faults, second_server_served in (([], False), (["kms_binding_checked_once"], True)):
        store = CekStore(3600, Faults(faults))
        record = store.issue("sip:alice@example.org", "sip:mcptt-as@example.org", now)
        assert store.for_server(record.key_id, "sip:mcptt-as-2@example.org", now) is None  # before any fetch
        assert store.for_server(record.key_id, "sip:mcptt-as@example.org", now) == record
        assert (store.for_server(record.key_id, "sip:mcptt-as-2@example.org", now) == record) is second_server_served


def test_the_key_id_permutation_runs_backwards():
    from mcsec.impl.kms.cekstore import KeyIdPermutation
    permute = KeyIdPermutation(b"k" * 32)
    assert all(permute.inverse(permute(n)) == n for n in (0, 1, 2, 12345, (1 << 28) - 1))


def test_a_pinned_key_id_is_issued_once_to_its_owner_and_never_drawn_again():
    from mcsec.impl.kms.cekstore import KeyIdPermutation
    store = CekStore(3600, Faults())
    store._permute = KeyIdPermutation(b"k" * 32)  # so the Key ID the count gives next is known
    next_drawn = (CEK_PURPOSE_TAG << 28) | store._permute(0)
    store.pin("sip:carol@example.org", next_drawn)
    assert store.issue("sip:alice@example.org", "s", NOW).key_id != next_drawn  # alice's CEK skips it
    assert store.issue("sip:carol@example.org", "s", NOW).key_id == next_drawn  # carol's takes it, once
    again = store.issue("sip:carol@example.org", "s", NOW).key_id
    assert again != next_drawn and purpose_of(again) == CEK_PURPOSE_TAG


@pytest.mark.parametrize("key_id, why", [
    (0x1234_5678, "purpose tag"), (0xF << 28 | 7, "issued or pinned"), (None, "dropped"),
])
def test_a_pin_is_refused_for_another_purpose_or_a_key_id_issued_or_pinned_already(key_id, why):
    from mcsec.impl.kms.cekstore import KeyIdNotPinnable
    store = CekStore(3600, Faults(["kms_counter_key_ids"]))
    for _ in range(8):  # the counter has given low bits 0..7
        store.issue("sip:alice@example.org", "s", NOW)
    if key_id is None:
        store.pin("sip:carol@example.org", 0xF << 28 | 100)
        store.pin("sip:carol@example.org", None)
        assert store.issue("sip:carol@example.org", "s", NOW).key_id == 0xF << 28 | 8
        with pytest.raises(KeyIdNotPinnable, match="issued or pinned"):
            store.pin("sip:bob@example.org", 0xF << 28 | 100)  # a pin dropped still reserves its Key ID
        return
    with pytest.raises(KeyIdNotPinnable, match=why):
        store.pin("sip:carol@example.org", key_id)


def test_at_most_so_many_key_ids_are_pinned():
    from mcsec.impl.kms.cekstore import MAX_PINNED, KeyIdNotPinnable
    store = CekStore(3600, Faults(["kms_counter_key_ids"]))
    for n in range(MAX_PINNED):
        store.pin(f"sip:u{n}@example.org", 0xF << 28 | (1000 + n))
    with pytest.raises(KeyIdNotPinnable, match="at most"):
        store.pin("sip:one-more@example.org", 0xF << 28 | 5000)
