"""Steps about the MCPTT client establishing a CSK with MIKEY-SAKKE (clause 7.14), driven through its
upper tester, and about what the SIP core relayed of it."""
from __future__ import annotations

from pytest_bdd import given, parsers, then

from mcsec.fixtures.oracles.confidentiality import protection_findings
from mcsec.fixtures.oracles.imessage import csk_upload_findings
from mcsec.fixtures.verdicts import Failed
from mcsec.fixtures.wire.points import SIP2
from mcsec.impl.ibc.mikey import KeyPurpose
from mcsec.impl.mcptt.body import key_id_bytes
from mcsec.impl.mcptt.mikey_body import MIKEY_TYPE
from mcsec.steps.context import ScenarioContext, failed_if
from mcsec.steps.ibc import IbcState
from mcsec.steps.sip import SipState, ut_call


def _media_type(m) -> str:
    return (m.message.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@given(parsers.parse('the MCPTT client of "{user}" has logged in and provisioned her IBC key material'))
def client_provisioned(ctx: ScenarioContext, user: str) -> None:
    ut = ctx.upper_tester(user)
    ut_call(ut.login)
    answer = ut_call(ut.call, "POST", "/ibc/provision")
    if answer.get("user_uri") != ctx.ixit.user(user).mcptt_id:
        raise Failed(f"the client provisioned key material for {answer.get('user_uri')!r}")


@given(parsers.parse('the MCPTT client of "{user}" has registered through the SIP core before holding any key'))
def client_registered_bare(ctx: ScenarioContext, user: str) -> None:
    answer = ut_call(ctx.upper_tester(user).sip, "register", {"with_info": False})
    if answer.status != 200:
        raise Failed(f"REGISTER through the SIP core was answered {answer.status} {answer.reason}")


@given(parsers.parse('the MCPTT client of "{user}" has uploaded a CSK to the MCPTT server in a MIKEY-SAKKE '
                     'I_MESSAGE'))
def client_uploaded(ctx: ScenarioContext, ibc: IbcState, sip: SipState, user: str) -> None:
    answer = ut_call(ctx.upper_tester(user).call, "POST", "/csk")
    ibc.upload = answer
    if not answer.get("accepted") or answer.get("status") != 200:
        raise Failed(f"the MCPTT server answered the CSK upload {answer.get('status')} {answer.get('reason')} "
                     f"(Warning {answer.get('warning')!r})")
    ibc.client_csk[user] = answer["key_id"]
    sip.cek_ids.setdefault(user, []).append(answer["key_id"])
    if answer.get("active_key_id") != answer["key_id"]:
        raise Failed(f"the accepted CSK {answer['key_id']} is not the client's active key")


@then(parsers.parse('the CSK-ID of "{user}" is 32 bits with the CSK purpose tag in its 4 most significant bits'))
def csk_id_tagged(ibc: IbcState, user: str) -> None:
    text = ibc.client_csk[user]
    key_id = int(text, 16)
    if len(text) != 8 or key_id >> 28 != KeyPurpose.CSK:
        raise Failed(f"CSK-ID {text} does not carry the CSK purpose tag {int(KeyPurpose.CSK)}")


@then(parsers.parse('the SIP core relayed to the MCPTT server one MESSAGE with an application/mikey body, '
                    'an I_MESSAGE signed by "{user}" for the MCPTT server\'s identity naming her CSK-ID'))
def core_relayed_i_message(ctx: ScenarioContext, ibc: IbcState, user: str) -> None:
    relayed = [m for m in ctx.core_messages() if m.point == SIP2 and m.is_request and m.message is not None
               and m.message.method == "MESSAGE" and _media_type(m) == MIKEY_TYPE]
    # One transaction: a retransmission (same Call-ID and CSeq, over UDP on a busy machine) is not a second.
    transactions = {(m.message.call_id, m.message.headers.get("CSeq")): m for m in relayed}
    if len(transactions) != 1:
        raise Failed(f"the SIP core relayed {len(transactions)} application/mikey MESSAGE transactions to the "
                     f"MCPTT server")
    relayed = list(transactions.values())
    failed_if(csk_upload_findings(relayed[0].message.body, ibc.cert(), initiator_uri=ctx.ixit.user(user).mcptt_id,
                                  responder_uri=ctx.ixit.servers[0].uri, key_id_hex=ibc.client_csk[user],
                                  who=repr(user)))


@then(parsers.parse('the Key ID is the CSK-ID the MCPTT client of "{user}" uploaded'))
def key_id_is_csk(ibc: IbcState, sip: SipState, user: str) -> None:
    named = sip.answer.request_body.get("key_id")
    if named != ibc.client_csk[user]:
        raise Failed(f"the body names Key ID {named}, the uploaded CSK-ID is {ibc.client_csk[user]}")


@then(parsers.parse('every mcptt-info body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the '
                    'CSK-ID of "{user}"'))
def core_saw_csk_protected(ctx: ScenarioContext, ibc: IbcState, user: str) -> None:
    def carries_info(m) -> bool:
        return m.message is not None and bool(m.message.body) and _media_type(m) != MIKEY_TYPE

    key_id = key_id_bytes(int(ibc.client_csk[user], 16))
    for where, messages in ctx.views():
        failed_if(protection_findings(messages, key_id, where=where, select=carries_info))
