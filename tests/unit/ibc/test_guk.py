"""GUK-ID <-> GMK-ID (TS 33.180 User Salt, F.1.3) against the independent GMK vectors."""
from __future__ import annotations

import dataclasses

import pytest

from mcsec.impl.ibc import guk
from mcsec.impl.ibc.mikey import decode_i_message
from mcsec.impl.ibc.mikey_errors import GukIdMismatchError


@pytest.fixture(scope="module")
def gmk_vector(mikey_vectors) -> dict:
    return next(m for m in mikey_vectors["i_messages"] if m["name"] == "GMK")


@pytest.fixture(scope="module")
def legacy_vector(mikey_vectors) -> dict:
    return next(m for m in mikey_vectors["i_messages"] if m["name"].startswith("GMK (legacy"))


def test_the_vectors_guk_id_gives_its_gmk_id_for_the_receiving_member(gmk_vector):
    gmk = bytes.fromhex(gmk_vector["GMK"])
    member = gmk_vector["Responder URI"]                       # sip:alice@streamwide.com
    guk_id, gmk_id = int(gmk_vector["GUK-ID"], 16), int(gmk_vector["GMK-ID"], 16)
    assert guk.user_salt(gmk, member) == guk_id ^ gmk_id == 0x0B5896D3
    assert guk.gmk_id_from_guk_id(guk_id, gmk, member) == gmk_id
    assert guk.guk_id(gmk_id, gmk, member) == guk_id
    # the salt is the receiver's: the sender's URI, or the URI without its scheme, give other values
    assert guk.gmk_id_from_guk_id(guk_id, gmk, gmk_vector["Initiator URI"]) != gmk_id
    assert guk.gmk_id_from_guk_id(guk_id, gmk, "alice@streamwide.com") != gmk_id


def test_the_vectors_messages_carry_the_guk_id_in_their_header(gmk_vector, legacy_vector):
    gmk = bytes.fromhex(gmk_vector["GMK"])
    message = decode_i_message(bytes.fromhex(gmk_vector["i_message_hex"]))
    assert guk.carries_guk_id(message) and message.header.csb_id == int(gmk_vector["GUK-ID"], 16)
    ids = guk.group_key_ids(message, gmk, gmk_vector["Responder URI"])
    assert ids.gmk_id == int(gmk_vector["GMK-ID"], 16)
    assert ids.mki == bytes.fromhex(gmk_vector["GMK-ID"] + gmk_vector["GUK-ID"])
    # the legacy format for an IWF: SRTP-ID map, no MKI; the same GMK reaches another member under another GUK-ID
    legacy = decode_i_message(bytes.fromhex(legacy_vector["i_message_hex"]))
    assert legacy.header.csb_id != message.header.csb_id
    ids = guk.group_key_ids(legacy, bytes.fromhex(legacy_vector["GMK"]), legacy_vector["Responder URI"])
    assert ids.gmk_id == int(legacy_vector["GMK-ID"], 16) and ids.mki is None


def test_an_mki_that_disagrees_is_refused(gmk_vector):
    gmk = bytes.fromhex(gmk_vector["GMK"])
    message = decode_i_message(bytes.fromhex(gmk_vector["i_message_hex"]))
    with pytest.raises(GukIdMismatchError, match="does not match the GMK-ID"):
        guk.group_key_ids(message, gmk, gmk_vector["Initiator URI"])       # the wrong member's salt
    entry = message.header.cs_entries[0]
    bad_spi = bytes([entry.spi[0] ^ 0x01]) + entry.spi[1:]
    header = dataclasses.replace(message.header, cs_entries=(dataclasses.replace(entry, spi=bad_spi),))
    with pytest.raises(GukIdMismatchError):
        guk.group_key_ids(dataclasses.replace(message, header=header), gmk, gmk_vector["Responder URI"])


def test_other_purposes_carry_no_guk_id(csk_vector, gmk_vector):
    message = decode_i_message(bytes.fromhex(csk_vector["i_message_hex"]))
    assert not guk.carries_guk_id(message)
    with pytest.raises(ValueError, match="GMK purpose tag"):
        guk.group_key_ids(message, bytes.fromhex(gmk_vector["GMK"]), csk_vector["Responder URI"])


@pytest.mark.parametrize("call", [
    lambda: guk.user_salt(b"", "sip:a@b"),
    lambda: guk.user_salt(b"\x01" * 16, ""),
    lambda: guk.user_salt(b"\x01" * 16, "x" * 65536),
    lambda: guk.guk_id(1 << 32, b"\x01" * 16, "sip:a@b"),
    lambda: guk.gmk_id_from_guk_id(-1, b"\x01" * 16, "sip:a@b"),
])
def test_bad_arguments_are_refused(call):
    with pytest.raises(ValueError):
        call()
