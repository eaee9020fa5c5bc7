"""The hand-written CMS codec against asn1crypto, the reference.

Writing: for any keys, Key IDs, contents, content types and authenticated attributes (the replay
stamp among them), `seal_with_content_key` gives the very bytes the asn1crypto encoder gives.
Reading: on valid bodies and on bodies altered by bit flips, truncations, length changes and
inserted or deleted octets, the direct reader either declines (the general reader then decides) or
returns exactly what the general reader returns; it never raises. Opening a body through both
readers gives the same result or the same typed error as through the general reader alone.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import core
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from mcsec.impl import smime
from mcsec.impl.smime import asn1_reader, cms_schema, der, lean_cms
from mcsec.impl.smime.attributes import Attribute, encode_attributes
from mcsec.impl.smime.oids import ID_DATA
from mcsec.impl.smime.replay_stamp import ReplayStamp, SipContext, _read_direct
from mcsec.impl.smime.shape import Envelope
from tests.unit.smime import asn1_reference

SETTINGS = settings(max_examples=250, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

keys = st.binary(min_size=16, max_size=16)
nonces = st.binary(min_size=12, max_size=12)
# Key IDs of every length form: the 4-octet KMS Key ID, short ones, and long-form lengths.
key_ids = st.one_of(st.binary(min_size=4, max_size=4), st.binary(min_size=1, max_size=300))
contents = st.one_of(st.binary(max_size=200), st.binary(min_size=100, max_size=70000))


@st.composite
def oids(draw: st.DrawFn) -> str:
    first = draw(st.integers(0, 2))
    second = draw(st.integers(0, 39)) if first < 2 else draw(st.integers(0, 2**40))
    rest = draw(st.lists(st.integers(0, 2**70), max_size=6))
    return ".".join(str(arc) for arc in [first, second, *rest])


@st.composite
def der_values(draw: st.DrawFn) -> bytes:
    """One DER value of a few kinds: primitive, constructed, long-form lengths."""
    kind = draw(st.sampled_from(["octets", "utf8", "integer", "oid", "sequence", "null"]))
    if kind == "octets":
        return core.OctetString(draw(st.binary(max_size=300))).dump()
    if kind == "utf8":
        return core.UTF8String(draw(st.text(max_size=40))).dump()
    if kind == "integer":
        return core.Integer(draw(st.integers(-2**70, 2**70))).dump()
    if kind == "oid":
        return core.ObjectIdentifier(draw(oids())).dump()
    if kind == "null":
        return core.Null().dump()
    return draw(st.lists(der_values(), max_size=3).map(lambda items: der.tlv(0x30, b"".join(items))))


attributes = st.builds(Attribute, oids(), st.lists(der_values(), min_size=1, max_size=3).map(tuple))
times = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)),
                                                timezone(timedelta(hours=-8))]))
contexts = st.builds(SipContext, st.text(min_size=1, max_size=80), st.integers(0, 2**31 - 1),
                     st.text(min_size=1, max_size=12),
                     st.one_of(st.none(), st.integers(100, 699)))
stamps = st.builds(ReplayStamp, times, st.binary(min_size=16, max_size=16), st.one_of(st.none(), contexts))


def _surrogate_free(stamp: ReplayStamp | None) -> bool:
    texts = [] if stamp is None or stamp.context is None else [stamp.context.call_id, stamp.context.method]
    return all(not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text) for text in texts)


# ------------------------------------------------------------------------------------- writing

@SETTINGS
@given(content=contents, cek=keys, content_key=keys, nonce=nonces, key_id=key_ids,
       content_type=st.one_of(st.just(ID_DATA), oids()),
       extra=st.lists(attributes, max_size=3), stamp=st.one_of(st.none(), stamps),
       write_icv_len=st.booleans())
@example(content=b"", cek=bytes(16), content_key=bytes(16), nonce=bytes(12), key_id=b"\x00",
         content_type=ID_DATA, extra=[], stamp=None, write_icv_len=True)
def test_lean_seal_gives_the_bytes_of_asn1crypto(content, cek, content_key, nonce, key_id, content_type,
                                                 extra, stamp, write_icv_len):
    assume(_surrogate_free(stamp))
    kwargs = dict(cek=cek, key_id=key_id, content_key=content_key, nonce=nonce, content_type=content_type,
                  auth_attributes=extra, replay_stamp=stamp, write_icv_len=write_icv_len)
    assert smime.seal_with_content_key(content, **kwargs) == asn1_reference.seal_with_content_key(content, **kwargs)


@SETTINGS
@given(stamps)
def test_lean_stamp_gives_the_bytes_of_asn1crypto(stamp):
    assume(_surrogate_free(stamp))
    assert stamp.to_der() == asn1_reference.stamp_der(stamp)


@SETTINGS
@given(st.lists(attributes, min_size=1, max_size=5))
def test_lean_attributes_give_the_bytes_of_asn1crypto(items):
    assert encode_attributes(items) == asn1_reference.encode_attributes(items)


@SETTINGS
@given(oids())
def test_object_identifiers_match_asn1crypto(dotted):
    encoded = der.encode_oid(dotted)
    assert encoded == core.ObjectIdentifier(dotted).dump()
    assert der.decode_oid(encoded[2:] if encoded[1] < 0x80 else encoded[2 + (encoded[1] & 0x7F):]) == dotted


@pytest.mark.parametrize("dotted", ["1", "1.40", "3.1", "01.2", "1.02", "1.-2", " 1.2", "1.2.", "1..2", ""])
def test_odd_object_identifier_spellings_are_refused(dotted):
    with pytest.raises(ValueError):
        der.encode_oid(dotted)


@pytest.mark.parametrize("value", [b"", b"\x04", b"\x04\x02a", b"\x04\x01ab", b"\x04\x81\x01a", b"\x30\x80\x00\x00",
                                   b"\x1f\x05\x00", b"\x20\x00", b"\x80\x00",
                                   b"\x9f\x1f\x00"])
def test_attribute_values_must_be_one_der_value(value):
    with pytest.raises(ValueError, match="one DER-encoded value"):
        encode_attributes([Attribute("1.2.3", (value,))])


# ------------------------------------------------------------------------------------- reading

def _general(data: bytes):
    """What the general reader makes of ``data``: the Envelope, or the error type and message."""
    try:
        return asn1_reader.read(data)
    except smime.MalformedCms as exc:
        return (type(exc), str(exc))


def _der_of_the_fixed_shape(data: bytes) -> bool:
    """True when ``data`` is DER (as asn1crypto re-encodes it) with no optional field the profile's
    shape leaves out: originatorInfo, unauthAttrs, a KEK date or other key attribute."""
    try:
        info = cms_schema.ContentInfo.load(data, strict=True)
        aed = info["content"].parse(cms_schema.AuthEnvelopedData)
        kekid = aed["recipient_infos"][0].chosen["kekid"]
        aed["auth_encrypted_content_info"]["content_encryption_algorithm"]["parameters"].parse(
            cms_schema.GcmParameters)
        optional = (aed["originator_info"], aed["unauth_attrs"], kekid["date"], kekid["other"])
        return all(isinstance(item, core.Void) for item in optional) and info.dump(force=True) == data
    except (ValueError, TypeError, KeyError, IndexError):
        return False


def _check_reader(data: bytes) -> None:
    """The direct reader takes exactly the bodies the general one takes, but for those outside the
    fixed shape, which it leaves to the general one; what it takes, it reads alike."""
    lean = lean_cms.read(data)
    general = _general(data)
    if lean is not None:
        assert lean == general, "the direct reader took a body differently from the general one"
    elif isinstance(general, Envelope):
        assert not _der_of_the_fixed_shape(data), "the direct reader declined a body of the fixed shape"


@st.composite
def sealed_bodies(draw: st.DrawFn) -> bytes:
    stamp = draw(st.one_of(st.none(), stamps))
    assume(_surrogate_free(stamp))
    content_type = draw(st.one_of(st.just(ID_DATA), oids()))
    return smime.seal_with_content_key(
        draw(st.binary(max_size=300)), cek=draw(keys), key_id=draw(key_ids), content_key=draw(keys),
        nonce=draw(nonces), content_type=content_type, replay_stamp=stamp,
        auth_attributes=draw(st.lists(attributes, max_size=2)))


@SETTINGS
@given(sealed_bodies())
def test_both_readers_take_a_sealed_body_alike(body):
    lean = lean_cms.read(body)
    assert lean is not None
    assert lean == asn1_reader.read(body)


def _length_offsets(data: bytes, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets of the first length octet of every TLV in ``data`` (constructed ones recursively)."""
    end = len(data) if end is None else end
    offsets = []
    pos = start
    while pos < end:
        first, contents, stop = der.read_header(data, pos, end)
        offsets.append(pos + 1)
        if first & 0x20:
            offsets.extend(_length_offsets(data, contents, stop))
        pos = stop
    return offsets


@st.composite
def altered_bodies(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(sealed_bodies()))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "truncate", "length", "insert", "delete"]))
        if kind == "flip":
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data) - 1)):]
        elif kind == "length":
            try:
                offsets = _length_offsets(bytes(data))
            except der.NotDer:
                offsets = [draw(st.integers(0, len(data) - 1))]
            position = draw(st.sampled_from(offsets))
            data[position] = (data[position] + draw(st.sampled_from([-2, -1, 1, 2, 0x80]))) % 256
        elif kind == "insert":
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.binary(min_size=1, max_size=3))
        else:
            position = draw(st.integers(0, len(data) - 1))
            del data[position:position + draw(st.integers(1, 3))]
    return bytes(data)


@settings(SETTINGS, max_examples=1500)
@given(altered_bodies())
def test_on_altered_bodies_the_direct_reader_declines_or_agrees(data):
    _check_reader(data)


@SETTINGS
@given(st.binary(max_size=400))
def test_on_arbitrary_bytes_the_direct_reader_declines_or_agrees(data):
    _check_reader(data)


CEK = bytes(range(16))
KEY_ID = b"\x20\x00\x00\x01"


def _sealed(**kwargs) -> bytes:
    return smime.seal(b"<mcpttinfo/>", cek=CEK, key_id=KEY_ID,
                      replay_stamp=ReplayStamp.new(context=SipContext("c@h", 1, "MESSAGE")), **kwargs)


def _reencoded(body: bytes, change) -> bytes:
    info = cms_schema.ContentInfo.load(body)
    aed = info["content"].parse(cms_schema.AuthEnvelopedData)
    change(aed)
    content = cms_schema.AuthEnvelopedData.load(aed.dump(force=True), explicit=0)
    return cms_schema.ContentInfo({"content_type": info["content_type"].dotted, "content": content}).dump(force=True)


def _kekid(aed):
    return aed["recipient_infos"][0].chosen["kekid"]


def _set(holder, key, value):
    holder[key] = value


def _long_form_length(body: bytes) -> bytes:
    # the outer SEQUENCE's length written with one octet more than needed (BER, not DER)
    first, start, _ = der.read_header(body, 0, len(body))
    size = len(body) - start
    return bytes((first, 0x83)) + size.to_bytes(3, "big") + body[start:]


def _indefinite_length(body: bytes) -> bytes:
    _, start, _ = der.read_header(body, 0, len(body))
    return b"\x30\x80" + body[start:] + b"\x00\x00"


SHAPE_VARIANTS = {
    # well-formed CMS outside the fixed shape, taken by the general reader
    "unauthAttrs": lambda body: _reencoded(body, lambda aed: _set(aed, "unauth_attrs", cms_schema.CmsAttributes.load(
        encode_attributes([Attribute("1.2.3.4", (core.Null().dump(),))])))),
    "originatorInfo": lambda body: _reencoded(body, lambda aed: _set(aed, "originator_info",
                                                                    cms_schema.OpaqueSequence.load(b"\x30\x00"))),
    "kek-date": lambda body: _reencoded(body, lambda aed: _set(_kekid(aed), "date",
                                                              datetime(2030, 1, 1, tzinfo=timezone.utc))),
    "long-form-length": _long_form_length,
    "indefinite-length": _indefinite_length,
    # outside the profile: refused by the general reader with its typed error
    "wrap-parameters-null": lambda body: _reencoded(body, lambda aed: _set(
        aed["recipient_infos"][0].chosen["key_encryption_algorithm"], "parameters", core.Null())),
    "short-mac": lambda body: _reencoded(body, lambda aed: _set(aed, "mac", bytes(12))),
    "version-2": lambda body: _reencoded(body, lambda aed: _set(aed, "version", 2)),
    "trailing-octet": lambda body: body + b"\x00",
}


@pytest.mark.parametrize("variant", sorted(SHAPE_VARIANTS))
def test_bodies_outside_the_fixed_shape_go_to_the_general_reader(variant):
    body = SHAPE_VARIANTS[variant](_sealed())
    assert body != _sealed()
    assert lean_cms.read(body) is None
    general = _general(body)
    taken = variant in ("unauthAttrs", "originatorInfo", "kek-date", "long-form-length", "indefinite-length")
    assert isinstance(general, Envelope) == taken
    outcome = _open_outcome(body, lambda _key_id: CEK)
    if taken:
        assert outcome.content == b"<mcpttinfo/>"
    else:
        assert outcome[0] in (smime.MalformedCms, smime.UnsupportedCms)
        with pytest.raises(outcome[0]):
            smime.open(body, key_lookup=lambda _key_id: CEK)


def test_attribute_values_out_of_set_of_order_go_to_the_general_reader():
    one, two = core.Integer(1).dump(), core.Integer(2).dump()
    body = _sealed(auth_attributes=[Attribute("1.2.3.4", (one, two))])
    swapped = body.replace(one + two, two + one)
    assert lean_cms.read(swapped) is None
    with pytest.raises(smime.MalformedCms, match="order"):
        smime.open(swapped, key_lookup=lambda _key_id: CEK)


@pytest.mark.parametrize("first", [0x20, 0x80, 0xA0, 0x0E, 0x0F])
def test_attribute_value_of_a_tag_asn1crypto_does_not_take_goes_to_the_general_reader(first):
    # e.g. the replay stamp's SEQUENCE tag flipped to 0x20 (universal 0, reserved)
    stamp = ReplayStamp.new(context=SipContext("c@h", 1, "MESSAGE"))
    body = smime.seal(b"<mcpttinfo/>", cek=CEK, key_id=KEY_ID, replay_stamp=stamp)
    stamp_at = body.index(stamp.to_der())
    altered = body[:stamp_at] + bytes((first,)) + body[stamp_at + 1:]
    assert lean_cms.read(altered) is None
    with pytest.raises(smime.MalformedCms):
        smime.open(altered, key_lookup=lambda _key_id: CEK)


def test_non_minimal_length_inside_an_attribute_value_goes_to_the_general_reader():
    # one DER value outside (as seal checks), a non-minimal length inside it
    body = _sealed(auth_attributes=[Attribute("1.2.3.4", (b"\x30\x04\x04\x81\x01a",))])
    assert lean_cms.read(body) is None
    with pytest.raises(smime.MalformedCms, match="minimal"):
        smime.open(body, key_lookup=lambda _key_id: CEK)


def _open_outcome(data: bytes, key_lookup):
    try:
        opened = smime.open(data, key_lookup=key_lookup)
    except smime.SmimeError as exc:
        return (type(exc), str(exc))
    return opened


@settings(SETTINGS, max_examples=600)
@given(altered_bodies())
def test_opening_gives_the_outcome_of_the_general_reader(monkeypatch_module, data):
    cek = bytes(range(16))
    outcome = _open_outcome(data, lambda _key_id: cek)
    with monkeypatch_module.context() as patch:
        patch.setattr(lean_cms, "read", lambda _data: None)
        assert outcome == _open_outcome(data, lambda _key_id: cek)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# --------------------------------------------------------------------------------- replay stamp

@st.composite
def altered_stamps(draw: st.DrawFn) -> bytes:
    stamp = draw(stamps)
    assume(_surrogate_free(stamp))
    data = bytearray(stamp.to_der())
    kind = draw(st.sampled_from(["flip", "truncate", "length", "replace"]))
    if kind == "truncate":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    if kind == "length":
        position = draw(st.sampled_from(_length_offsets(bytes(data))))
        data[position] = (data[position] + draw(st.sampled_from([-1, 1, 0x80]))) % 256
        return bytes(data)
    position = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        data[position] ^= 1 << draw(st.integers(0, 7))
    else:
        data[position] = draw(st.sampled_from(b"0123456789.Z+-\x00\x80\xff"))
    return bytes(data)


@settings(SETTINGS, max_examples=800)
@given(altered_stamps())
def test_on_altered_stamps_the_direct_reader_declines_or_agrees(data):
    direct = _read_direct(data)
    try:
        general = ReplayStamp._from_der_asn1(data)
    except smime.MalformedCms:
        assert direct is None
        return
    if type(general.sent_at) is not datetime:  # year 0: asn1crypto's extended_datetime, left to it
        assert direct is None
        return
    assert direct == general  # both take only the canonical DER of the schema


def test_a_stamp_of_year_0_goes_to_the_general_reader():
    data = bytes.fromhex("3023180f") + b"00000101000000Z" + bytes.fromhex("0410") + bytes(16)
    assert _read_direct(data) is None
    assert ReplayStamp.from_der(data).sent_at.year == 0


@SETTINGS
@given(stamps)
def test_both_stamp_readers_take_a_stamp_alike(stamp):
    assume(_surrogate_free(stamp))
    data = stamp.to_der()
    assert _read_direct(data) == ReplayStamp._from_der_asn1(data) == stamp
