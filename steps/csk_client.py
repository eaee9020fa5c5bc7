"""Steps about the MCPTT client establishing a CSK with MIKEY-SAKKE (clause 7.14), driven through its
upper tester, and about what the SIP core relayed of it."""
from __future__ import annotations

import hmac

from pytest_bdd import given, parsers, then

from mcsec.fixtures.exposure import unprotected
from mcsec.fixtures.verdicts import Failed
from mcsec.impl.ibc import eccsi
from mcsec.impl.ibc.errors import IbcError
from mcsec.impl.ibc.mikey import KeyPurpose, key_id_of
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey_errors import MikeyError
from mcsec.impl.ibc.mikey_payloads import IdRole
from mcsec.impl.mcptt.body import key_id_bytes
from mcsec.impl.mcptt.mikey_body import MIKEY_TYPE
from mcsec.steps.common import World
from mcsec.steps.ibc_state import IbcWorld
from mcsec.steps.sip import _ut, _ut_call, core_messages, observed


@given(parsers.parse('the MCPTT client of "{user}" has logged in and provisioned her IBC key material'))
def client_provisioned(world: World, ibc: IbcWorld, user: str) -> None:
    ut = _ut(world, user)
    _ut_call(ut.login)
    answer = _ut_call(ut.call, "POST", "/ibc/provision")
    if answer.get("user_uri") != world.profile.user(user).mcptt_id:
        raise Failed(f"the client provisioned key material for {answer.get('user_uri')!r}")


@given(parsers.parse('the MCPTT client of "{user}" has registered through the SIP core before holding any key'))
def client_registered_bare(world: World, user: str) -> None:
    answer = _ut_call(_ut(world, user).sip, "register", {"with_info": False})
    if answer.status != 200:
        raise Failed(f"REGISTER through the SIP core was answered {answer.status} {answer.reason}")


@given(parsers.parse('the MCPTT client of "{user}" has uploaded a CSK to the MCPTT server in a MIKEY-SAKKE '
                     'I_MESSAGE'))
def client_uploaded(world: World, ibc: IbcWorld, user: str) -> None:
    answer = _ut_call(_ut(world, user).call, "POST", "/csk")
    ibc.upload = answer
    if not answer.get("accepted") or answer.get("status") != 200:
        raise Failed(f"the MCPTT server answered the CSK upload {answer.get('status')} {answer.get('reason')} "
                     f"(Warning {answer.get('warning')!r})")
    ibc.client_csk[user] = answer["key_id"]
    world.cek_ids.setdefault(user, []).append(answer["key_id"])
    if answer.get("active_key_id") != answer["key_id"]:
        raise Failed(f"the accepted CSK {answer['key_id']} is not the client's active key")


@then(parsers.parse('the CSK-ID of "{user}" is 32 bits with the CSK purpose tag in its 4 most significant bits'))
def csk_id_tagged(ibc: IbcWorld, user: str) -> None:
    text = ibc.client_csk[user]
    key_id = int(text, 16)
    if len(text) != 8 or key_id >> 28 != KeyPurpose.CSK:
        raise Failed(f"CSK-ID {text} does not carry the CSK purpose tag {int(KeyPurpose.CSK)}")


@then(parsers.parse('the SIP core relayed to the MCPTT server one MESSAGE with an application/mikey body, '
                    'an I_MESSAGE signed by "{user}" for the MCPTT server\'s identity naming her CSK-ID'))
def core_relayed_i_message(world: World, ibc: IbcWorld, user: str) -> None:
    relayed = [m for m in core_messages(world) if m.point == "SIP-2" and m.is_request and m.message is not None
               and m.message.method == "MESSAGE"
               and (m.message.headers.get("Content-Type") or "").split(";")[0].strip().lower() == MIKEY_TYPE]
    if len(relayed) != 1:
        raise Failed(f"the SIP core relayed {len(relayed)} application/mikey MESSAGEs to the MCPTT server")
    try:
        message = decode_i_message(relayed[0].message.body)
    except MikeyError as exc:
        raise Failed(f"the application/mikey body is not an I_MESSAGE: {exc}") from None
    cert = ibc.cert()
    ts = message.timestamp.ntp_seconds
    period = cert.key_period.number_at(ts)
    initiator = cert.key_period.uid(world.profile.user(user).mcptt_id, cert.kms_uri, period)
    responder = cert.key_period.uid(world.profile.servers[0].uri, cert.kms_uri, period)
    idr_i, idr_r = message.idr(IdRole.UID_INITIATOR), message.idr(IdRole.UID_RESPONDER)
    if idr_i is None or not hmac.compare_digest(idr_i.data, initiator):
        raise Failed(f"the I_MESSAGE does not name the UID of {user!r} as initiator")
    if idr_r is None or not hmac.compare_digest(idr_r.data, responder):
        raise Failed("the I_MESSAGE is not addressed to the UID of the MCPTT server's identity")
    try:
        eccsi.verify(message.signed_data, message.signature.value, initiator, cert.kpak)
    except IbcError as exc:
        raise Failed(f"the ECCSI signature does not verify for {user!r}: {exc}") from None
    if len(message.sakke.sed) != 273:
        raise Failed(f"the SAKKE payload holds {len(message.sakke.sed)} octets, expected 273 (parameter set 1)")
    if f"{key_id_of(message):08X}" != ibc.client_csk[user]:
        raise Failed(f"the I_MESSAGE carries key ID {key_id_of(message):08X}, the client holds {ibc.client_csk[user]}")


@then(parsers.parse('the Key ID is the CSK-ID the MCPTT client of "{user}" uploaded'))
def key_id_is_csk(world: World, ibc: IbcWorld, user: str) -> None:
    named = world.answer.request_body.get("key_id")
    if named != ibc.client_csk[user]:
        raise Failed(f"the body names Key ID {named}, the uploaded CSK-ID is {ibc.client_csk[user]}")


@then(parsers.parse('every mcptt-info body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the '
                    'CSK-ID of "{user}"'))
def core_saw_csk_protected(world: World, ibc: IbcWorld, user: str) -> None:
    def carries_info(m) -> bool:
        if m.message is None or not m.message.body:
            return False
        return (m.message.headers.get("Content-Type") or "").split(";")[0].strip().lower() != MIKEY_TYPE

    for where, messages in observed(world):
        points = {m.point for m in messages if carries_info(m)}
        if points != {"SIP-1", "SIP-2"}:
            raise Failed(f"protected bodies were seen {where} on {sorted(points)}, expected both SIP-1 and SIP-2")
        bad = unprotected(messages, key_id=key_id_bytes(int(ibc.client_csk[user], 16)), select=carries_info)
        if bad:
            raise Failed(f"bodies not protected under the CSK {where}: " + "; ".join(c.describe() for c in bad[:4]))
