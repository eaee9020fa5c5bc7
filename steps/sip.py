"""Steps about SIP signalling protected with S/MIME under the CEK (clause 7.13 end to end).

The MCPTT client is driven through its upper tester; what the SIP core saw is judged from the capture of
SIP-1 and SIP-2 and from the core's own record; requests no well-behaved client sends come from the test
system's own SIP user agent, registered at the core like a client.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.agents.kms_control import KmsControl, KmsControlError
from mcsec.fixtures.agents.sipua import TestUA
from mcsec.fixtures.agents.uppertester import SipAnswer, UpperTesterError
from mcsec.fixtures.oracles.confidentiality import exposure_findings, protection_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG
from mcsec.impl.mcptt.body import (
    PROTECTED_CONTENT_TYPE,
    PROTECTED_DISPOSITION,
    OutgoingBody,
    SealingKey,
    SipBinding,
    build_body,
    key_id_bytes,
    seal_info,
)
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import make_request
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if, peer
from mcsec.steps.kms import log_cek
from mcsec.steps.tokens import TokenState

GROUP_ID = "sip:group-fire-7@example.org"
ORDINALS = phrases.Phrases("Ordinal", {"first": 0, "second": 1})
METHODS = phrases.Phrases("Method", {"MESSAGE": "message", "INVITE": "invite", "PUBLISH": "publish",
                                     "REGISTER": "register"})


def ut_call(fn, *args):
    """An upper-tester command; a client that could not act for want of a peer is inconclusive, a client
    that refused the command fails."""
    try:
        return fn(*args)
    except UpperTesterError as exc:
        if exc.code in ("idm_unreachable", "kms_unreachable", "sip_timeout", "sip_transport_error"):
            raise Inconclusive(f"the MCPTT client could not act: {exc}") from None
        raise Failed(f"the MCPTT client refused the command: {exc}") from None


@dataclass
class SipState:
    """The SIP answers of this scenario, the Key IDs each user's MCPTT client holds, and the test
    system's own user agent when it is used."""
    ctx: ScenarioContext
    answer: object | None = None      # the last final answer (SipAnswer from an upper tester, or a Response)
    answers: list = field(default_factory=list)
    sent_by: list[tuple[str, SipAnswer]] = field(default_factory=list)  # (user, answer) of each client's request
    cek_ids: dict[str, list[str]] = field(default_factory=dict)
    ua: TestUA | None = None

    def answered(self, answer):
        self.answer = answer
        self.answers.append(answer)
        return answer

    def client_sends(self, user: str, method: str, body: dict) -> SipAnswer:
        """The MCPTT client of ``user`` sends ``method`` through the SIP core (upper tester)."""
        if method == "INVITE":
            body = {"group_id": GROUP_ID, **body}
        if method == "REGISTER":
            body = {k: v for k, v in body.items() if k == "key_id"}
        answer = self.answered(ut_call(self.ctx.upper_tester(user).sip, METHODS[method], body))
        self.sent_by.append((user, answer))
        return answer

    def registered_ua(self, user: str) -> TestUA:
        """The test system's UA, registered at the SIP core as ``user``."""
        if self.ua is None:
            sip1 = self.ctx.endpoints.core_sip1
            if sip1 is None:
                raise Inconclusive("no SIP core in the lab")
            self.ua = TestUA(sip1, timeout_s=self.ctx.ixit.timers.sip_timeout_s,
                             side=self.ctx.endpoints.side(SIP1))
            self.ua.start()
            self.ctx.record.cleanups.append(self.ua.stop)
        u = self.ctx.ixit.user(user)
        response = self.ua.register(u.impu, u.username, u.sip_password)
        if response.status != 200:
            raise Inconclusive(f"the test system could not register as {user!r}: {response.status} {response.reason}")
        return self.ua

    def ua_message(self, user: str, body, *, extra_headers=()) -> None:
        """A MESSAGE from the registered UA to the MCPTT server; ``body`` is an OutgoingBody, or a function
        of the request's SIP binding that makes one."""
        ua = self.registered_ua(user)
        u = self.ctx.ixit.user(user)
        server = self.ctx.ixit.servers[0].uri
        request = make_request("MESSAGE", server, from_=f"<{u.impu}>", to=f"<{server}>", cseq=ua.next_cseq(),
                               headers=list(extra_headers))
        if callable(body):
            body = body(SipBinding.of_request(request))
        if body is not None:
            body.apply(request)
        self.answered(ua.send(request))


@pytest.fixture
def sip(ctx: ScenarioContext) -> SipState:
    return SipState(ctx)


# --- the MCPTT client, through its upper tester ------------------------------------------------

@given(parsers.parse('the MCPTT client of "{user}" has logged in and holds a CEK shared with the MCPTT server'))
def client_logged_in_with_cek(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    ut = ctx.upper_tester(user)
    ut_call(ut.login)
    sip.cek_ids.setdefault(user, []).append(ut_call(ut.new_cek))


@given(parsers.parse('the MCPTT client of "{user}" holds a second CEK shared with the MCPTT server'))
def client_second_cek(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    sip.cek_ids.setdefault(user, []).append(ut_call(ctx.upper_tester(user).new_cek))


@given(parsers.parse('the MCPTT client of "{user}", homed at another KMS than "{other}", has logged in and holds '
                      'a CEK with the Key ID of "{owner}"\'s CEK'))
def client_cek_colliding(ctx: ScenarioContext, sip: SipState, user: str, other: str, owner: str) -> None:
    """The user's home KMS (another than ``other``'s) is told to issue her next CEK under the Key ID
    ``owner``'s MCPTT client holds from its own KMS; her client then asks it for a CEK."""
    x = ctx.ixit
    home, others = x.home_kms(x.user(user)), x.home_kms(x.user(other))
    if home == others:
        raise Inconclusive(f"ixit.users: {user!r} and {other!r} are homed at the same KMS {home!r}")
    kms = ctx.endpoints.home_kms(home)
    if kms is None:
        raise Inconclusive(f"the lab runs no KMS {home!r}, the home KMS of {user!r}")
    wanted = sip.cek_ids[owner][0].upper()
    control = KmsControl(kms.url, ctx.lab.ssl_context, kms.test_control_secret, x.timers.http_timeout_s)
    try:
        control.pin_key_id(x.user(user).mcptt_id, wanted)
    except KmsControlError as exc:
        raise Inconclusive(f"the KMS {home!r} did not pin Key ID {wanted}: {exc}") from None
    ut = ctx.upper_tester(user)
    ut_call(ut.login)
    got = ut_call(ut.new_cek).upper()
    if got != wanted:
        raise Inconclusive(f"the MCPTT client of {user!r} holds Key ID {got} from {home!r}, not the pinned {wanted}")
    sip.cek_ids.setdefault(user, []).append(got)


@given(parsers.parse('the MCPTT client of "{user}" has registered through the SIP core'))
def client_registered(ctx: ScenarioContext, user: str) -> None:
    answer = ut_call(ctx.upper_tester(user).sip, "register", {})
    if answer.status != 200:
        raise Failed(f"REGISTER through the SIP core was answered {answer.status} {answer.reason}")


@when(phrases.parse('the MCPTT client of "{user}" sends a {method:Method} whose mcptt-info names "{other}" '
                    'and the group "{group}"', METHODS))
def client_sends(ctx: ScenarioContext, sip: SipState, user: str, method, other: str, group: str) -> None:
    sip.client_sends(user, method.text, {"mcptt_info": {"called_party_id": ctx.ixit.user(other).mcptt_id,
                                                        "calling_group_id": group}})


@when(phrases.parse('the MCPTT client of "{user}" sends a MESSAGE protected under her {which:Ordinal} CEK', ORDINALS))
def client_sends_under(ctx: ScenarioContext, sip: SipState, user: str, which) -> None:
    sip.client_sends(user, "MESSAGE", {"key_id": sip.cek_ids[user][which.value],
                                       "mcptt_info": {"called_party_id": ctx.ixit.user("bob").mcptt_id}})


@when(parsers.parse('the MCPTT client of "{user}" sends a MESSAGE naming "{other}"'))
def client_sends_message(ctx: ScenarioContext, sip: SipState, user: str, other: str) -> None:
    sip.client_sends(user, "MESSAGE", {"mcptt_info": {"called_party_id": ctx.ixit.user(other).mcptt_id}})


@then("the MCPTT server answers 200 with an mcptt-info protected under the same Key ID")
def answered_protected_same_key(sip: SipState) -> None:
    a = sip.answer
    if a.status != 200:
        raise Failed(f"the MCPTT server answered {a.status} {a.reason}")
    if not a.request_body.get("protected"):
        raise Failed("the MCPTT client sent the mcptt-info in clear")
    if not a.response_body.get("protected") or a.response_body.get("problem"):
        raise Failed(f"the 200 carries no protected mcptt-info the client could open: {a.response_body}")
    if a.response_key_id != a.request_body.get("key_id"):
        raise Failed(f"the answer is protected under Key ID {a.response_key_id}, "
                     f"the request under {a.request_body.get('key_id')}")


@then(phrases.parse("the MCPTT server answers 200 with an mcptt-info protected under the {which:Ordinal} CEK's "
                    "Key ID", ORDINALS))
def answered_under(sip: SipState, which) -> None:
    answered_protected_same_key(sip)
    user = next(iter(sip.cek_ids))
    want = sip.cek_ids[user][which.value]
    if sip.answer.request_body.get("key_id") != want:
        raise Failed(f"the client named Key ID {sip.answer.request_body.get('key_id')}, expected {want}")


@then("each answer of the MCPTT server is 200 with an mcptt-info its sender opened under the Key ID it sent, "
      "naming the sender as the calling user")
def each_answer_under_senders_cek(ctx: ScenarioContext, sip: SipState) -> None:
    """Every MESSAGE a client sent was answered under its own Key ID, and the sender's client, which holds
    only its own KMS's CEK under that Key ID, opened the answer: the server used that CEK."""
    if not sip.sent_by:
        raise Inconclusive("no MCPTT client sent a request in this scenario")
    for number, (user, a) in enumerate(sip.sent_by, start=1):
        where = f"request {number} (from {user!r})"
        if a.status != 200:
            raise Failed(f"{where}: the MCPTT server answered {a.status} {a.reason}")
        if not a.request_body.get("protected"):
            raise Failed(f"{where}: the MCPTT client sent the mcptt-info in clear")
        if not a.response_body.get("protected") or a.response_body.get("problem"):
            raise Failed(f"{where}: the 200 carries no protected mcptt-info the sender's client could open with "
                         f"its CEK: {a.response_body}")
        if a.response_key_id != a.request_body.get("key_id"):
            raise Failed(f"{where}: the answer is protected under Key ID {a.response_key_id}, "
                         f"the request under {a.request_body.get('key_id')}")
        caller = (a.response_info or {}).get("calling_user_id")
        if caller != ctx.ixit.user(user).mcptt_id:
            raise Failed(f"{where}: the server understood calling user {caller!r}, "
                         f"expected {ctx.ixit.user(user).mcptt_id!r}")


@then(parsers.parse("the answer's mcptt-info names \"{user}\" as the calling user"))
def answer_names_caller(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    info = sip.answer.response_info or {}
    want = ctx.ixit.user(user).mcptt_id
    if info.get("calling_user_id") != want:
        raise Failed(f"the server understood calling user {info.get('calling_user_id')!r}, expected {want!r}")


# --- what the SIP core saw -----------------------------------------------------------------------

def sensitive_values(ctx: ScenarioContext) -> list[str]:
    return [u.mcptt_id for u in ctx.ixit.users] + [GROUP_ID]


@then(parsers.parse('every body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the Key ID '
                    'of "{user}"\'s CEK'))
def core_saw_protected(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    key_id = key_id_bytes(int(sip.answer.request_body["key_id"], 16))
    for where, messages in ctx.views():
        failed_if(protection_findings(messages, key_id, where=where))


@then("no MCPTT ID or group ID of the scenario appears in anything the SIP core received or sent")
def core_saw_no_identity(ctx: ScenarioContext) -> None:
    for where, messages in ctx.views():
        failed_if(exposure_findings(messages, sensitive_values(ctx), where=where))


# --- the test system's own user agent ------------------------------------------------------------

def stamp_wanted(ctx: ScenarioContext) -> bool:
    """Whether the test system's protected bodies carry the replay stamp: when the profile claims it."""
    return ctx.profile.ics.replay_stamp


def info_of(ctx: ScenarioContext, user: str) -> McpttInfo:
    x = ctx.ixit
    return McpttInfo(calling_user_id=x.user(user).mcptt_id,
                     called_party_id=x.user("alice" if user != "alice" else "bob").mcptt_id)


def cek_of(ctx: ScenarioContext, tokens: TokenState, holder: str):
    """A CEK the test system obtains from the KMS in ``holder``'s name (the suite has the credentials)."""
    x = ctx.ixit
    with peer("the KMS"):
        reply = ctx.cek_client().issue(tokens.of(holder), x.user(holder).mcptt_id, x.servers[0].uri)
    if reply.cek is None:
        raise Inconclusive(f"the KMS gave the test system no CEK for {holder!r}: HTTP {reply.status}")
    log_cek(ctx, reply)
    return reply.cek


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE with the mcptt-info in clear'))
def ua_sends_clear(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    sip.ua_message(user, build_body(info_of(ctx, user), key=None, binding=None))


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under a Key ID the KMS '
                    'never issued'))
def ua_sends_unknown_key(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    key = SealingKey((CEK_PURPOSE_TAG << 28) | secrets.randbits(28), secrets.token_bytes(16))
    sip.ua_message(user, lambda b: build_body(info_of(ctx, user), key=key, binding=b, stamp=stamp_wanted(ctx)))


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE under her own CEK whose ciphertext '
                    'was altered'))
def ua_sends_tampered(ctx: ScenarioContext, sip: SipState, tokens: TokenState, user: str) -> None:
    cek = cek_of(ctx, tokens, user)

    def body(binding):
        out = build_body(info_of(ctx, user), key=SealingKey(cek.key_id, cek.key), binding=binding,
                         stamp=stamp_wanted(ctx))
        altered = bytearray(out.body)
        altered[-20] ^= 0x01  # inside the GCM ciphertext or tag, never the framing
        return OutgoingBody(out.content_type, bytes(altered), out.content_disposition)
    sip.ua_message(user, body)


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE under the CEK of "{owner}", '
                    'claiming "{owner}" in P-Asserted-Identity'))
def ua_sends_foreign_cek(ctx: ScenarioContext, sip: SipState, tokens: TokenState, user: str, owner: str) -> None:
    cek = cek_of(ctx, tokens, owner)
    claimed = ctx.ixit.user(owner)
    sip.ua_message(user, lambda b: build_body(McpttInfo(calling_user_id=claimed.mcptt_id),
                                              key=SealingKey(cek.key_id, cek.key), binding=b,
                                              stamp=stamp_wanted(ctx)),
                   extra_headers=[("P-Asserted-Identity", f"<{claimed.impu}>")])


def _stale_sent_at(ctx: ScenarioContext) -> datetime:
    """A sending time outside the MCPTT server's declared replay window (ixit.timers.replay_window_s) in the
    past, by the clock skew the profile allows (ixit.timers.clock_skew_s)."""
    timers = ctx.ixit.timers
    return datetime.now(timezone.utc) - timedelta(seconds=timers.replay_window_s + timers.clock_skew_s)


def _another_message(binding: SipBinding) -> SipBinding:
    """The binding of another MESSAGE of the same sender: a new Call-ID, the same CSeq and method."""
    return SipBinding(f"{secrets.token_hex(12)}@mcsec.invalid", binding.cseq, binding.method)


STAMP_DEFECTS = phrases.Phrases("StampDefect", {
    "whose replay stamp is older than the replay window":
        lambda ctx, key, info, binding: seal_info(info, key, binding, sent_at=_stale_sent_at(ctx)),
    "with no replay stamp":
        lambda ctx, key, info, binding: seal_info(info, key, binding, stamp=False),
    "whose replay stamp is bound to another MESSAGE":
        lambda ctx, key, info, binding: seal_info(info, key, _another_message(binding)),
})
"""A fresh protected body (a new nonce) whose replay stamp has one defect, and how the test system seals it."""


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE under her own CEK'))
def ua_sends_own_cek(ctx: ScenarioContext, sip: SipState, tokens: TokenState, user: str) -> None:
    cek = cek_of(ctx, tokens, user)
    sip.ua_message(user, lambda b: build_body(info_of(ctx, user), key=SealingKey(cek.key_id, cek.key), binding=b,
                                              stamp=stamp_wanted(ctx)))


@when(phrases.parse('the test system, registered as "{user}", sends a MESSAGE under her own CEK {defect:StampDefect}',
                    STAMP_DEFECTS))
def ua_sends_stamp_defect(ctx: ScenarioContext, sip: SipState, tokens: TokenState, user: str, defect) -> None:
    cek = cek_of(ctx, tokens, user)
    key = SealingKey(cek.key_id, cek.key)
    sip.ua_message(user, lambda b: OutgoingBody(PROTECTED_CONTENT_TYPE, defect.value(ctx, key, info_of(ctx, user), b),
                                                PROTECTED_DISPOSITION))


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE with a required body of type '
                    '"{content_type}"'))
def ua_sends_unknown_type(sip: SipState, user: str, content_type: str) -> None:
    sip.ua_message(user, OutgoingBody(content_type, b"opaque\r\n", "render;handling=required"))


@when(parsers.parse('the test system, registered as "{user}", replays in a new MESSAGE the protected body the SIP '
                    'core relayed'))
def ua_replays(ctx: ScenarioContext, sip: SipState, user: str) -> None:
    relayed = [m for m in ctx.core_messages() if m.point == "SIP-2" and m.is_request and m.message.body
               and m.message.method == "MESSAGE"]
    if not relayed:
        raise Inconclusive("the SIP core relayed no protected MESSAGE to replay")
    original = relayed[-1].message
    sip.ua_message(user, OutgoingBody(original.headers.get("Content-Type"), original.body,
                                      original.headers.get("Content-Disposition")))


@when(parsers.parse('the test system, from outside the SIP core, sends the MCPTT server a MESSAGE protected under '
                    'the CEK of "{owner}", asserting "{owner}"'))
def outsider_asserts(ctx: ScenarioContext, sip: SipState, tokens: TokenState, owner: str) -> None:
    """Straight to the MCPTT server, from the test system's SIP-2 side but another port than the SIP core's:
    an asserted identity from outside the trust domain, which RFC 3325 says is not to be trusted."""
    server = ctx.endpoints.server
    if server is None:
        raise Inconclusive("no MCPTT server in the lab")
    cek = cek_of(ctx, tokens, owner)
    claimed = ctx.ixit.user(owner)
    ua = TestUA(server, timeout_s=ctx.ixit.timers.sip_timeout_s, side=ctx.endpoints.side(SIP2))
    ua.start()
    ctx.record.cleanups.append(ua.stop)
    uri = ctx.ixit.servers[0].uri
    request = make_request("MESSAGE", uri, from_=f"<{claimed.impu}>", to=f"<{uri}>", cseq=ua.next_cseq(),
                           headers=[("P-Asserted-Identity", f"<{claimed.impu}>")])
    build_body(McpttInfo(calling_user_id=claimed.mcptt_id), key=SealingKey(cek.key_id, cek.key),
               binding=SipBinding.of_request(request), stamp=stamp_wanted(ctx)).apply(request)
    sip.answered(ua.send(request))


@then(parsers.parse("the MCPTT server answers {status:d}"))
def server_answers(sip: SipState, status: int) -> None:
    a = sip.answer
    got = getattr(a, "status", None)
    if got != status:
        raise Failed(f"the MCPTT server answered {got} {getattr(a, 'reason', '')}, expected {status}")


@then("the answer carries an Accept header listing application/pkcs7-mime")
def answer_accept(sip: SipState) -> None:
    accept = sip.answer.headers.get("Accept") or ""
    if "application/pkcs7-mime" not in accept:
        raise Failed(f"Accept is {accept!r}")


@then("the two refusals are identical apart from the transaction headers")
def identical_refusals(sip: SipState) -> None:
    first, second = sip.answers[-2], sip.answers[-1]
    ignore = {"via", "from", "to", "call-id", "cseq", "content-length", "record-route"}

    def shape(r):
        return (r.status, r.reason, sorted((f.name.lower(), f.value) for f in r.headers
                                          if f.name.lower() not in ignore), r.body)
    if shape(first) != shape(second):
        raise Failed(f"the answers differ, revealing which check failed: {shape(first)} / {shape(second)}")


@then("the SIP core is told nothing by the answer about the key")
def answer_body_empty(sip: SipState) -> None:
    a = sip.answer
    if a.body or a.headers.get("Warning"):
        raise Failed(f"the 493 carries more than the status: Warning {a.headers.get('Warning')!r}, "
                     f"{len(a.body)} body bytes")
