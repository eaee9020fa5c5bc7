"""Steps that judge the MCPTT client in clause 7.14 and its access token: the CSK uploads it sends (each
I_MESSAGE as it crossed SIP-1, opened by the test system with the MCPTT server's key material from the
KMS), what it does with defective key material its KMS provisions (armed at the KMS's test control
surface), and whether its KMS access token shows in anything it sent but to the KMS.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.agents.kms_control import ArmedDefect, KmsControl, KmsControlError
from mcsec.fixtures.agents.uppertester import UpperTesterError
from mcsec.fixtures.oracles import csk as csk_oracle
from mcsec.fixtures.oracles.client_bodies import client_sent, distinct, protected_info_findings
from mcsec.fixtures.oracles.token_leak import Plaintext, header_segment, token_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.fixtures.wire.capture import WireMessage
from mcsec.fixtures.wire.points import SIP1
from mcsec.impl import smime
from mcsec.impl.ibc.mikey import key_id_of
from mcsec.impl.ibc.mikey_codec import decode_i_message
from mcsec.impl.ibc.mikey_errors import MikeyError
from mcsec.impl.mcptt.body import read_body
from mcsec.impl.mcptt.errors import BodyError
from mcsec.impl.mcptt.mikey_body import MIKEY_TYPE, read_mikey_body
from mcsec.impl.sip import InvalidHeaderValue
from mcsec.steps import phrases
from mcsec.steps.client_iut import ClientState
from mcsec.steps.context import ScenarioContext, failed_if, require_ics
from mcsec.steps.sip import GROUP_ID, SipState, ut_call
from mcsec.steps.tokens import TokenState

TRANSIENT = ("idm_unreachable", "kms_unreachable", "sip_timeout", "sip_transport_error")


@dataclass
class Upload:
    answer: dict | None            # the upper tester's answer to POST /csk (None: it refused the command)
    data: bytes | None = None      # the I_MESSAGE as it crossed SIP-1
    crossed_at: float = 0.0


@dataclass
class CskState:
    ctx: ScenarioContext
    client: ClientState
    uploads: list[Upload] = field(default_factory=list)
    csk: bytes | None = None        # the CSK the test system recovered from the last I_MESSAGE
    armed: ArmedDefect | None = None
    provisioned: dict | None = None
    refusal: UpperTesterError | None = None

    def i_messages(self) -> list[bytes]:
        """The I_MESSAGEs of the uploads, as judged by 'sent one I_MESSAGE on SIP-1 for each upload'."""
        data = [u.data for u in self.uploads]
        if not data or any(d is None for d in data):
            raise RuntimeError("the uploads were not matched to what crossed SIP-1")
        return data  # type: ignore[return-value]


@pytest.fixture
def csk(ctx: ScenarioContext, client: ClientState) -> CskState:
    return CskState(ctx, client)


def _media(m: WireMessage) -> str:
    try:
        return (m.message.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    except InvalidHeaderValue:
        return ""


def _mikey(m: WireMessage) -> bytes | None:
    try:
        return read_mikey_body(m.message)
    except BodyError:
        return None


# --- uploads ------------------------------------------------------------------------------------------

def _upload(ctx: ScenarioContext, user: str) -> Upload:
    try:
        return Upload(ctx.upper_tester(user).call("POST", "/csk"))
    except UpperTesterError as exc:
        if exc.code in TRANSIENT:
            raise Inconclusive(f"the MCPTT client could not act: {exc}") from None
        raise Failed(f"the MCPTT client refused to upload a CSK: {exc}") from None


@when(parsers.parse('the MCPTT client of "{user}" uploads a CSK {count:d} times'))
def client_uploads_many(ctx: ScenarioContext, csk: CskState, user: str, count: int) -> None:
    if not 1 <= count <= 64:
        raise ValueError("between 1 and 64 uploads")
    for _ in range(count):
        csk.uploads.append(_upload(ctx, user))


@when(parsers.parse('the MCPTT client of "{user}" uploads a CSK'))
def client_uploads(ctx: ScenarioContext, csk: CskState, sip: SipState, user: str) -> None:
    upload = _upload(ctx, user)
    csk.uploads.append(upload)
    if upload.answer.get("accepted") and upload.answer.get("key_id"):
        sip.cek_ids.setdefault(user, []).append(upload.answer["key_id"])


@then(parsers.parse('the MCPTT client of "{user}" sent one I_MESSAGE on SIP-1 for each upload'))
def one_i_message_per_upload(csk: CskState, user: str) -> None:
    findings = []
    for n, upload in enumerate(csk.uploads, 1):
        call_id = upload.answer.get("call_id")
        sent = [m for m in csk.client.sent_by_client([call_id] if call_id else [])
                if m.message.method == "MESSAGE"]
        transactions = {m.message.headers.get("CSeq"): m for m in sent}
        if len(transactions) != 1:
            findings.append(f"upload {n}: the MCPTT client sent {len(transactions)} MESSAGE transactions on SIP-1 "
                            f"in its exchange (Call-ID {call_id!r}), expected one")
            continue
        m = next(iter(transactions.values()))
        if _media(m) != MIKEY_TYPE:
            findings.append(f"upload {n}: the MESSAGE carries {_media(m) or 'no body'}, not {MIKEY_TYPE}")
            continue
        data = _mikey(m)
        if data is None:
            findings.append(f"upload {n}: the {MIKEY_TYPE} body cannot be read")
            continue
        upload.data, upload.crossed_at = data, m.time
    failed_if(findings)


@then("every I_MESSAGE decapsulates with the MCPTT server's RSK to a CSK no other upload carried")
def every_csk_fresh(csk: CskState) -> None:
    keys = csk.client.server_keys()
    cert, server = keys.certificate(), keys.key_set()
    recovered, findings = [], []
    for n, data in enumerate(csk.i_messages(), 1):
        key, problems = csk_oracle.decapsulate(data, cert, server)
        findings += [f"upload {n}: {p}" for p in problems]
        if key is not None:
            recovered.append(key)
    failed_if(findings + csk_oracle.fresh_key_findings(recovered))


@then("the CSK-IDs of the I_MESSAGEs carry the CSK purpose tag and 28 low bits that look drawn at random")
def csk_ids_random(csk: CskState) -> None:
    ids = []
    for n, data in enumerate(csk.i_messages(), 1):
        try:
            ids.append(key_id_of(decode_i_message(data)))
        except MikeyError as exc:
            raise Failed(f"upload {n}: the I_MESSAGE does not decode: {exc}") from None
    failed_if(csk_oracle.csk_id_findings(ids))


@then(parsers.parse('the I_MESSAGE has every field TS 36.579-1 table 5.5.9.1-1 gives, naming "{user}" and the MCPTT '
                    'server'))
def i_message_fields(ctx: ScenarioContext, csk: CskState, user: str) -> None:
    cert = csk.client.server_keys().certificate()
    failed_if([f for data in csk.i_messages() for f in csk_oracle.field_findings(
        data, cert, user_uri=ctx.ixit.user(user).mcptt_id, server_uri=ctx.ixit.servers[0].uri)])


@then(parsers.parse('the I_MESSAGE\'s ECCSI signature verifies with the UID of "{user}" and the KPAK'))
def i_message_signed(ctx: ScenarioContext, csk: CskState, user: str) -> None:
    cert = csk.client.server_keys().certificate()
    failed_if([f for data in csk.i_messages()
               for f in csk_oracle.signature_findings(data, cert, user_uri=ctx.ixit.user(user).mcptt_id)])


@then("the I_MESSAGE decapsulates with the MCPTT server's RSK of the current key period")
def i_message_for_server(csk: CskState) -> None:
    keys = csk.client.server_keys()
    data = csk.i_messages()[-1]
    key, findings = csk_oracle.decapsulate(data, keys.certificate(), keys.key_set())
    failed_if(findings)
    csk.csk = key


@then(parsers.parse('that MESSAGE the MCPTT client of "{user}" sent on SIP-1 is protected under the uploaded CSK-ID '
                    'and opens with the decapsulated CSK'))
def message_under_csk(csk: CskState, sip: SipState, user: str) -> None:
    csk_id = key_id_of(decode_i_message(csk.i_messages()[-1]))
    sent = csk.client.sent_by_client([sip.answer.call_id])
    failed_if(protected_info_findings(sent, key_id=csk_id, cek_for=lambda k: csk.csk if k == csk_id else None))


@then("the I_MESSAGE's timestamp is the time it crossed SIP-1, within the clock skew of the profile")
def i_message_current(ctx: ScenarioContext, csk: CskState) -> None:
    skew = ctx.ixit.timers.clock_skew_s
    failed_if([f for u in csk.uploads
               for f in csk_oracle.timestamp_findings(u.data, crossed_at=u.crossed_at, skew_s=skew)])


# --- defective key material from the KMS ----------------------------------------------------------------

@given(parsers.parse('the MCPTT client of "{user}" has logged in'))
def client_logged_in(ctx: ScenarioContext, user: str) -> None:
    ut_call(ctx.upper_tester(user).login)


KM_DEFECTS = phrases.Phrases("KeyDefect", {
    "an RSK and SSK issued for another identifier": "other_identifier",
    "the key set of an expired key period": "expired_period",
    "a key set marked revoked": "revoked",
    "an SSK with the PVT of another issue": "pvt_mismatch",
    "a key set of another KMS": "other_kms",
    "a UserID that is not the UID of her MCPTT ID": "wrong_user_id",
})
"""The defects the KMS's test control surface arms (impl/kms/testcontrol.py)."""


@given(phrases.parse('the KMS will provision "{user}" next with {defect:KeyDefect}', KM_DEFECTS))
def kms_armed(ctx: ScenarioContext, csk: CskState, user: str, defect) -> None:
    require_ics(ctx.profile.ics.kms_test_control, "kms_test_control (the KMS's test control surface)")
    control = KmsControl(ctx.endpoints.kms_url, ctx.lab.ssl_context, ctx.endpoints.kms_test_control_secret,
                         ctx.ixit.timers.http_timeout_s)
    uri = ctx.ixit.user(user).mcptt_id
    try:
        csk.armed = control.arm(uri, defect.value)
    except KmsControlError as exc:
        raise Inconclusive(str(exc)) from None
    ctx.record.cleanups.append(lambda: control.disarm(uri))


@when(parsers.parse('the MCPTT client of "{user}" provisions her IBC key material'))
def client_provisions(ctx: ScenarioContext, csk: CskState, user: str) -> None:
    try:
        csk.provisioned = ctx.upper_tester(user).call("POST", "/ibc/provision")
    except UpperTesterError as exc:
        if exc.code in TRANSIENT:
            raise Inconclusive(f"the MCPTT client could not act: {exc}") from None
        csk.refusal = exc


@then("the MCPTT client reports the key material refused")
def client_refused_key_material(csk: CskState) -> None:
    if csk.refusal is None:
        raise Failed(f"the MCPTT client took the defective key material: {csk.provisioned}")
    if csk.refusal.code != "key_material_rejected":
        raise Failed(f"the MCPTT client answered {csk.refusal.status} {csk.refusal.code}, not key_material_rejected")


@when(parsers.parse('the MCPTT client of "{user}" is asked to upload a CSK'))
def client_asked_upload(ctx: ScenarioContext, csk: CskState, user: str) -> None:
    try:
        csk.uploads.append(Upload(ctx.upper_tester(user).call("POST", "/csk")))
    except UpperTesterError as exc:
        if exc.code in TRANSIENT:
            raise Inconclusive(f"the MCPTT client could not act: {exc}") from None
        csk.uploads.append(Upload(None))  # no usable key material: nothing to sign with


@then(parsers.parse('no I_MESSAGE the MCPTT client of "{user}" sent on SIP-1 is signed with the defective key set'))
def nothing_signed_with_defect(ctx: ScenarioContext, csk: CskState, user: str) -> None:
    impu = ctx.ixit.user(user).impu
    sent = distinct([m for m in ctx.wire_messages() if m.point == SIP1 and m.is_request
                     and m.message.method == "MESSAGE" and _media(m) == MIKEY_TYPE
                     and impu in (m.message.headers.get("From") or "")])
    failed_if(csk_oracle.signed_with_findings([d for d in map(_mikey, sent) if d is not None], csk.armed.pvt))


# --- the access token --------------------------------------------------------------------------------

@when(parsers.parse('the MCPTT client of "{user}" registers, and sends a MESSAGE, an INVITE and a PUBLISH'))
def client_session(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    info = {"mcptt_info": {"called_party_id": ctx.ixit.user("bob").mcptt_id}}
    ut = ctx.upper_tester(user)
    for action, body in (("register", {}), ("message", info), ("invite", {"group_id": GROUP_ID, **info}),
                         ("publish", info)):
        sip.answered(ut_call(ut.sip, action, body))


def _plaintexts(csk: CskState, sent: list[WireMessage]) -> list[Plaintext]:
    """Every protected mcptt-info the client sent, opened as its recipient would: with the CEK the KMS gives
    the MCPTT server for its Key ID, or the CSK of an I_MESSAGE the client uploaded in this scenario."""
    keys = csk.client.server_keys()
    csks: dict[int, bytes] = {}
    for upload in csk.uploads:
        if upload.data is not None:
            key, _ = csk_oracle.decapsulate(upload.data, keys.certificate(), keys.key_set())
            if key is not None:
                csks[key_id_of(decode_i_message(upload.data))] = key
    out = []
    for m in sent:
        try:
            part = read_body(m.message, honour_handling=False).info_part
        except BodyError:
            continue
        if part is None or not part.protected:
            continue
        try:
            opened = smime.open(part.data, key_lookup=lambda raw: csks.get(int.from_bytes(raw, "big"))
                                or keys.cek_bytes(int.from_bytes(raw, "big")))
        except (smime.SmimeError, ValueError):
            continue
        out.append(Plaintext(f"'{m.first_line}'", opened.content))
    return out


@then(parsers.parse('no access token is in what the MCPTT client of "{user}" sent on SIP-1, nor in its protected '
                    'bodies opened'))
def no_token_on_sip(ctx: ScenarioContext, csk: CskState, sip: SipState, tokens: TokenState, user: str) -> None:
    call_ids = [a.call_id for a in sip.answers] + [u.answer["call_id"] for u in csk.uploads
                                                    if u.answer and u.answer.get("call_id")]
    for upload in csk.uploads:  # the CSKs the test system will open the later bodies with
        call_id = upload.answer.get("call_id") if upload.answer else None
        for m in csk.client.sent_by_client([call_id] if call_id else []):
            upload.data = upload.data or _mikey(m)
    sent = distinct(client_sent(ctx.wire_messages(), ctx.endpoints.core_sip1, call_ids))
    if not sent:
        raise Failed(f"the MCPTT client of {user!r} sent nothing on SIP-1 in the scenario's exchanges")
    opened = _plaintexts(csk, sent)
    if not opened:
        raise Failed("none of the protected bodies the MCPTT client sent opens with the keys of its recipient")
    failed_if(token_findings(sent, opened, header=header_segment(tokens.of(user))))
