"""Steps where the test system itself uploads CSKs in MIKEY-SAKKE I_MESSAGEs (clause 7.14).

Every I_MESSAGE is built with impl/ibc from key material the test system obtained from the KMS in
the users' names, or minted itself for "another KMS"; defects are made the way an attacker or a
broken client would make them (altered in transit, signed with the wrong key, addressed elsewhere,
old, replayed, ...). Each is sent in a MESSAGE, as the reference client sends its own.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.ibc import eccsi
from mcsec.impl.ibc.kms_keys import IbcKms
from mcsec.impl.ibc.mikey import BuiltIMessage, KeyPurpose, build_i_message
from mcsec.impl.ibc.mikey_codec import decode_i_message, encode_i_message, encode_unsigned
from mcsec.impl.ibc.mikey_payloads import SakkePayload
from mcsec.impl.ibc.uid import unix_to_ntp
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import Request
from mcsec.steps.common import World
from mcsec.steps.ibc_state import IbcWorld

OTHER_KMS_URI = "kms.other.example"


def _flip(data: bytes, index: int) -> bytes:
    altered = bytearray(data)
    altered[index] ^= 0x01
    return bytes(altered)


def _build(ibc: IbcWorld, user: str, **kwargs) -> BuiltIMessage:
    return build_i_message(kms=kwargs.pop("kms", ibc.cert()), initiator=kwargs.pop("initiator", ibc.key_set(user)),
                           responder_uri=kwargs.pop("responder_uri", ibc.profile.servers[0].uri), **kwargs)


def _resigned(ibc: IbcWorld, user: str, built: BuiltIMessage, change: Callable) -> bytes:
    """The I_MESSAGE with its payloads changed by ``change``, signed again by ``user`` (a client that
    sends what it signed)."""
    message = decode_i_message(built.data)
    unsigned = encode_unsigned(message.header, [change(p) for p in message.payloads])
    return encode_i_message(unsigned, eccsi.sign(unsigned, ibc.key_set(user).signing_key(), ibc.cert().kpak))


def _sed_offset(built: BuiltIMessage) -> int:
    return built.data.index(decode_i_message(built.data).sakke.sed)


# --- the defects, by the words of the features ---------------------------------------------------

def _valid(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user)
    return built, built.data


def _signature_altered(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user)
    return built, _flip(built.data, len(built.data) - 129 + 7)  # inside r of r || s || PVT


def _signed_by_other(other: str):
    def make(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
        own = ibc.key_set(user)
        borrowed = dataclasses.replace(ibc.key_set(other), user_id=own.user_id, _rsk_key=[])
        built = _build(ibc, user, initiator=borrowed)  # names the user, signed with the other's SSK and PVT
        return built, built.data
    return make


def _sed_altered_in_transit(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user)
    return built, _flip(built.data, _sed_offset(built) + 272)  # the last octet of H


def _sed_corrupted_then_signed(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user)

    def corrupt(payload):
        if isinstance(payload, SakkePayload):
            return dataclasses.replace(payload, sed=_flip(payload.sed, 272))
        return payload
    return built, _resigned(ibc, user, built, corrupt)


def _for_other_server(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    if len(ibc.profile.servers) < 2:
        raise Inconclusive("the profile names only one MCPTT server identity")
    built = _build(ibc, user, responder_uri=ibc.profile.servers[1].uri)
    return built, built.data


def _other_kms(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    cert = ibc.cert()
    kms = IbcKms.generate(OTHER_KMS_URI, cert.key_period)
    keys = kms.issue_key_set(ibc.profile.user(user).mcptt_id, ibc.now_period())
    built = _build(ibc, user, kms=kms.certificate(), initiator=keys)
    return built, built.data


def _expired_period(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    period = ibc.cert().key_period
    previous = ibc.now_period() - 1
    at = period.start_of(previous) + period.length / 2
    built = _build(ibc, user, initiator=ibc.key_set(user, previous), ntp_seconds=at)
    return built, built.data


def _old_timestamp(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    at = unix_to_ntp(time.time()) - 600
    number = ibc.cert().key_period.number_at(at)
    built = _build(ibc, user, initiator=ibc.key_set(user, number), ntp_seconds=at)
    return built, built.data


def _gmk_key_id(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user, purpose=KeyPurpose.GMK)
    return built, built.data


def _cut_short(ibc: IbcWorld, user: str) -> tuple[BuiltIMessage, bytes]:
    built = _build(ibc, user)
    return built, built.data[:-40]  # ends inside the PVT of the signature


DEFECTS: dict[str, Callable[[IbcWorld, str], tuple[BuiltIMessage, bytes]]] = {
    "that is valid": _valid,
    "whose signature was altered in transit": _signature_altered,
    'signed with the key of "bob"': _signed_by_other("bob"),
    'signed with the key of "alice"': _signed_by_other("alice"),
    "whose SAKKE payload was altered in transit": _sed_altered_in_transit,
    "whose SAKKE payload was corrupted before it was signed": _sed_corrupted_then_signed,
    "encapsulated for another MCPTT server's identity": _for_other_server,
    "made with the key material of another KMS": _other_kms,
    "of an expired key period": _expired_period,
    "timestamped ten minutes ago": _old_timestamp,
    "whose key ID carries the GMK purpose tag": _gmk_key_id,
    "cut short inside its signature": _cut_short,
}


# --- sending ---------------------------------------------------------------------------------------

def upload(ibc: IbcWorld, user: str, data: bytes, *, as_user: str | None = None) -> None:
    """Send ``data`` as a CSK upload from ``as_user`` (default ``user``)."""
    sender = as_user or user
    ibc.i_message = data
    ibc.send(_impu(ibc, sender), lambda request: build_mikey_body(data).apply(request), user=sender)


def _impu(ibc: IbcWorld, user: str) -> str:
    if ibc.direct is not None and ibc.direct in ibc.processes:
        for entry in ibc.processes[ibc.direct].config.get("users", []):
            if entry["mcptt_id"] == ibc.uri_of(user) or entry["mcptt_id"].startswith(f"sip:{user}@"):
                return entry["impu"]
    return ibc.profile.user(user).impu


@when(parsers.parse('the test system, registered as "{user}", uploads a CSK in an I_MESSAGE {defect}'))
@given(parsers.parse('the test system, registered as "{user}", uploads a CSK in an I_MESSAGE {defect}'))
def ts_uploads(ibc: IbcWorld, user: str, defect: str) -> None:
    try:
        make = DEFECTS[defect]
    except KeyError:
        raise KeyError(f"unknown I_MESSAGE defect {defect!r}; known: {', '.join(DEFECTS)}") from None
    built, data = make(ibc, user)
    ibc.crafted = (built.key_id, built.key)
    upload(ibc, user, data)


@given(parsers.parse('the test system, registered as "{user}", has uploaded a CSK that the MCPTT server accepted'))
def ts_uploaded(ibc: IbcWorld, world: World, user: str) -> None:
    ts_uploads(ibc, user, "that is valid")
    if world.answer.status != 200:
        raise Failed(f"the MCPTT server answered a valid CSK upload {world.answer.status} {world.answer.reason} "
                     f"(Warning {world.answer.headers.get('Warning')!r})")


@when(parsers.parse('the test system, registered as "{user}", sends that I_MESSAGE again'))
def ts_sends_again(ibc: IbcWorld, user: str) -> None:
    if ibc.i_message is None:
        raise RuntimeError("no I_MESSAGE was sent before")
    upload(ibc, user, ibc.i_message)


@when(parsers.parse('the test system, registered as "{user}", sends the I_MESSAGE of "{owner}"'))
def ts_sends_foreign(ibc: IbcWorld, user: str, owner: str) -> None:
    built, data = _valid(ibc, owner)
    ibc.crafted = (built.key_id, built.key)
    upload(ibc, owner, data, as_user=user)


@given(parsers.parse('the test system holds the IBC key material of "{first}" and "{second}" from the KMS'))
def ts_holds_keys(ibc: IbcWorld, first: str, second: str) -> None:
    for user in (first, second):
        ibc.key_set(user).validate(ibc.cert())


# --- using the CSK ---------------------------------------------------------------------------------

def _protected_message(ibc: IbcWorld, user: str, key: SealingKey) -> None:
    info = McpttInfo(calling_user_id=ibc.uri_of(user))

    def build(request: Request) -> None:
        build_body(info, key=key, binding=SipBinding.of_request(request)).apply(request)
    ibc.send(_impu(ibc, user), build, user=user)


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under that CSK'))
@then(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under that CSK'))
def ts_sends_under_csk(ibc: IbcWorld, user: str) -> None:
    if ibc.crafted is None:
        raise RuntimeError("the test system built no I_MESSAGE")
    _protected_message(ibc, user, SealingKey(*ibc.crafted))


@then("the MCPTT server holds no CSK from that I_MESSAGE")
def server_holds_no_csk(ibc: IbcWorld, world: World) -> None:
    refusal = world.answer
    user = next(iter(u for u in ibc.uas if not u.startswith("direct:")), None) or ibc.profile.users[0].username
    ts_sends_under_csk(ibc, user)
    got = world.answer
    world.answer = refusal
    if got.status != 493:
        raise Failed(f"a body under the refused CSK was answered {got.status} {got.reason}, not 493: "
                     "the MCPTT server took the CSK")


@then("the answer names no key")
def answer_names_no_key(world: World) -> None:
    a = world.answer
    if a.body:
        raise Failed(f"the refusal carries a body of {len(a.body)} octets")
