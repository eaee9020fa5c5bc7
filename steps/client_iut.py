"""Steps that judge the MCPTT client (clause 7.13): what it sent on SIP-1, what it did with the answers of the
test system's scripted MCPTT server, and how it answered the requests the test system sent it as the MCPTT
server. The client is driven through its upper tester; every verdict comes from the capture of SIP-1 or
from what the client's peer (the test system) received, and an answer's fate from the upper tester's
report of a refusal and from what the client sent next.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.agents.scripted_server import ScriptedServer
from mcsec.fixtures.agents.server_keys import ServerKeys
from mcsec.fixtures.agents.uppertester import SipAnswer, UpperTesterError
from mcsec.fixtures.oracles.client_bodies import (
    answer_refused_findings,
    client_sent,
    distinct,
    handling_findings,
    protected_info_findings,
)
from mcsec.fixtures.oracles.confidentiality import exposure_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.fixtures.wire import surgery
from mcsec.fixtures.wire.capture import WireMessage
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG
from mcsec.impl.mcptt import sdp
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_bytes, parse_key_id
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import Request, Response, make_2xx_ack, make_request
from mcsec.impl.sip.aio import RequestContext
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if
from mcsec.steps.sip import GROUP_ID, METHODS, ORDINALS, SipState, cek_of, sensitive_values, ut_call
from mcsec.steps.tokens import TokenState


@dataclass
class ClientState:
    """What the test system learnt about the client under test in this scenario: the exchanges it was
    asked for (with the Key ID each should carry), the request the test system sent it and its answer."""
    ctx: ScenarioContext
    sip: SipState
    tokens: TokenState
    asked: list[tuple[SipAnswer, str]] = field(default_factory=list)  # (the client's report, Key ID asked)
    to_client: Request | None = None       # the request the test system sent the client
    from_client: Response | None = None    # the client's final answer to it
    _server_keys: ServerKeys | None = None

    def server_keys(self) -> ServerKeys:
        """The keys the MCPTT server is entitled to, fetched from the KMS with its credentials."""
        if self._server_keys is None:
            x = self.ctx.ixit
            server = x.servers[0]
            self._server_keys = ServerKeys(server_uri=server.uri, token=lambda: self.tokens.of(server.client_id),
                                           ceks=self.ctx.cek_client(), provisioning=self.ctx.prov_client())
        return self._server_keys

    def cek_id(self, user: str, which: int = -1) -> int:
        ids = self.sip.cek_ids.get(user)
        if not ids:
            raise RuntimeError(f"the MCPTT client of {user!r} holds no CEK in this scenario")
        return parse_key_id(ids[which])

    def cek(self, user: str) -> SealingKey:
        """The active CEK of ``user``'s client, as the KMS gives it to the MCPTT server."""
        key_id = self.cek_id(user)
        cek = self.server_keys().cek_bytes(key_id)
        if cek is None:
            raise Inconclusive(f"the KMS gave the MCPTT server no CEK for the Key ID {key_id:08X} of {user!r}")
        return SealingKey(key_id, cek)

    def sent_by_client(self, call_ids, *, requests: bool = True) -> list[WireMessage]:
        core = self.ctx.endpoints.core_sip1
        if core is None:
            raise Inconclusive("no SIP core in the lab: the client's SIP-1 is not known")
        return distinct(client_sent(self.ctx.wire_messages(), core, call_ids, requests=requests))

    def scripted(self) -> ScriptedServer:
        server = self.ctx.lab.scripted_server
        if server is None:
            raise Inconclusive("the lab runs no SIP core with a route to the test system's scripted MCPTT server "
                               "(a SIP core outside the lab, or a profile with one MCPTT server identity)")
        self.ctx.record.cleanups.append(server.reset)
        return server


@pytest.fixture
def client(ctx: ScenarioContext, sip: SipState, tokens: TokenState) -> ClientState:
    return ClientState(ctx, sip, tokens)


def _info_asked(ctx: ScenarioContext, user: str, method: str) -> dict[str, str]:
    """What the upper tester asked the client to carry (``client_sends`` of steps/sip.py): its own MCPTT ID as
    calling user and, but in a REGISTER, "bob" as called party and the scenario's group."""
    asked = {"calling_user_id": ctx.ixit.user(user).mcptt_id}
    if method != "REGISTER":
        asked.update(called_party_id=ctx.ixit.user("bob").mcptt_id, calling_group_id=GROUP_ID)
    return asked


# --- what the client sends --------------------------------------------------------------------------

@then(phrases.parse('every {method:Method} the MCPTT client of "{user}" sent on SIP-1 carries its mcptt-info '
                    'protected under the Key ID of her CEK, opening with that CEK to what the upper tester asked for',
                    METHODS))
def client_requests_protected(ctx: ScenarioContext, client: ClientState, sip: SipState, user: str, method) -> None:
    sent = [m for m in client.sent_by_client([a.call_id for a in sip.answers]) if m.message.method == method.text]
    failed_if(protected_info_findings(sent, key_id=client.cek_id(user), cek_for=client.server_keys().cek_bytes,
                                      expected=_info_asked(ctx, user, method.text)))


@then(parsers.parse('nothing the MCPTT client of "{user}" sent on SIP-1 reveals an MCPTT ID or group ID of the '
                    'scenario'))
def client_reveals_nothing(ctx: ScenarioContext, client: ClientState, sip: SipState, user: str) -> None:
    call_ids = [a.call_id for a in sip.answers]
    sent = client.sent_by_client(call_ids)
    if client.to_client is not None:
        sent += client.sent_by_client([client.to_client.call_id], requests=False)
    if not sent:
        raise Failed(f"the MCPTT client of {user!r} sent nothing on SIP-1 in the scenario's exchanges")
    failed_if(exposure_findings(sent, sensitive_values(ctx), where="in what the MCPTT client sent on SIP-1"))


@then(phrases.parse('every protected body of the {method:Method} requests the MCPTT client of "{user}" sent on SIP-1 '
                    'carries Content-Disposition with handling=required', METHODS))
def client_requests_handling(client: ClientState, sip: SipState, user: str, method) -> None:
    sent = [m for m in client.sent_by_client([a.call_id for a in sip.answers]) if m.message.method == method.text]
    failed_if(handling_findings(sent))


CHOICES = phrases.Phrases("Choice", {"named in the command": "named", "made the active one before": "active"})


@when(phrases.parse('the MCPTT client of "{user}" sends a MESSAGE under her {which:Ordinal} CEK, {choice:Choice}',
                    ORDINALS, CHOICES))
def client_sends_chosen(ctx: ScenarioContext, client: ClientState, sip: SipState, user: str, which, choice) -> None:
    key_id = sip.cek_ids[user][which.value]
    ut = ctx.upper_tester(user)
    body = {"mcptt_info": {"called_party_id": ctx.ixit.user("bob").mcptt_id}}
    if choice.value == "named":
        body["key_id"] = key_id
    else:
        ut_call(ut.use_cek, key_id)
    answer = sip.answered(ut_call(ut.sip, "message", body))
    client.asked.append((answer, key_id))


@then(parsers.parse('each MESSAGE the MCPTT client of "{user}" sent on SIP-1 names the Key ID of the CEK it was '
                    'sent under and opens with that CEK'))
def client_each_under_chosen(client: ClientState, user: str) -> None:
    findings = []
    for answer, key_id in client.asked:
        sent = client.sent_by_client([answer.call_id])
        findings += protected_info_findings(sent, key_id=parse_key_id(key_id), cek_for=client.server_keys().cek_bytes)
    failed_if(findings)


@then(parsers.parse('that MESSAGE the MCPTT client of "{user}" sent on SIP-1 is protected under the Key ID of her CEK'))
def client_next_under_own(client: ClientState, sip: SipState, user: str) -> None:
    sent = client.sent_by_client([sip.answer.call_id])
    failed_if(protected_info_findings(sent, key_id=client.cek_id(user), cek_for=client.server_keys().cek_bytes))


# --- answers of the scripted MCPTT server -------------------------------------------------------------

def _answer_info(ctx: ScenarioContext, user: str) -> McpttInfo:
    x = ctx.ixit
    return McpttInfo(calling_user_id=x.user(user).mcptt_id, called_party_id=x.user("bob").mcptt_id)


def _mutation(client: ClientState, defect: str):
    """What the scripted server does to its protected answer: flip the tag, or name another Key ID."""
    if defect == "tag":
        return surgery.flip_tag
    if defect == "never issued":
        unknown = key_id_bytes((CEK_PURPOSE_TAG << 28) | secrets.randbits(28))
        return lambda response: surgery.swap_key_id(response, unknown)
    if defect == "bob":
        other = cek_of(client.ctx, client.tokens, "bob")
        return lambda response: surgery.swap_key_id(response, key_id_bytes(other.key_id))
    raise ValueError(defect)


ANSWER_DEFECTS = phrases.Phrases("AnswerDefect", {
    "under her CEK whose authentication tag was altered": "tag",
    "under a Key ID the KMS never issued": "never issued",
    'under the Key ID of a CEK of "bob"': "bob",
    "in clear": "clear",
})
"""Protected answers are sealed under the client's own CEK (so a client that ignored the Key ID or the tag
would open them); only the named part differs."""


@given(phrases.parse('the scripted MCPTT server answers 200 with an mcptt-info {defect:AnswerDefect}', ANSWER_DEFECTS))
def scripted_answers(ctx: ScenarioContext, client: ClientState, defect) -> None:
    server = client.scripted()
    info = _answer_info(ctx, "alice")
    key = None if defect.value == "clear" else client.cek("alice")
    mutate = None if key is None else _mutation(client, defect.value)

    def answer(request: Request, rctx: RequestContext) -> Response:
        binding = SipBinding.of_request(request).for_status(200)
        offer = sdp.answer(rctx.flow.local[0]) if request.method == "INVITE" else None
        response = rctx.response(200, headers=[("Contact", server.contact(rctx.transport))]
                                 if request.method == "INVITE" else [])
        build_body(info, key=key, binding=binding, sdp=offer).apply(response)
        return mutate(response) if mutate is not None else response
    server.script(answer)


SCRIPTED = phrases.Phrases("Scripted", {"MESSAGE": "message", "INVITE": "invite", "PUBLISH": "publish"})


@when(phrases.parse('the MCPTT client of "{user}" sends a {method:Scripted} to the scripted MCPTT server', SCRIPTED))
def client_sends_to_scripted(ctx: ScenarioContext, client: ClientState, sip: SipState, user: str, method) -> None:
    server = client.scripted()
    body = {"to": server.uri, "mcptt_info": {"called_party_id": ctx.ixit.user("bob").mcptt_id}}
    if method.text == "INVITE":
        body["group_id"] = GROUP_ID
    answer = sip.answered(ut_call(ctx.upper_tester(user).sip, method.value, body))
    if not server.received(method.text):
        raise Inconclusive(f"the {method.text} did not reach the scripted MCPTT server (answered {answer.status} "
                           f"{answer.reason}): the SIP core has no route to it")
    if answer.status != 200:
        raise Inconclusive(f"the client reported the scripted server's answer as {answer.status} {answer.reason}")


PROBLEMS = phrases.Phrases("Problem", {"undecipherable": ("undecipherable",), "unprotected": ("unprotected",)})


@then(phrases.parse("the MCPTT client reports the answer's mcptt-info {problem:Problem} and takes nothing of it",
                    PROBLEMS))
def client_refused_answer(sip: SipState, problem) -> None:
    failed_if(answer_refused_findings(sip.answer.response_body, problems=problem.value))


# --- requests the test system sends the client ------------------------------------------------------

@given(parsers.parse('the upper tester has asked the MCPTT client of "{user}" to answer with an mcptt-info naming '
                     '"{other}" and the group "{group}"'))
def client_answer_info(ctx: ScenarioContext, user: str, other: str, group: str) -> None:
    ut = ctx.upper_tester(user)
    try:
        ut.call("POST", "/answer", {"mcptt_info": {"called_party_id": ctx.ixit.user(other).mcptt_id,
                                                   "calling_group_id": group}})
    except UpperTesterError as exc:
        if exc.code in ("not_found", "method_not_allowed"):
            raise Inconclusive(f"the upper tester does not implement POST /ut/v1/answer: {exc}") from None
        raise Failed(f"the MCPTT client refused the command: {exc}") from None
    ctx.record.cleanups.append(lambda: ut.call("POST", "/answer", {}))


def _to_client(ctx: ScenarioContext, server: ScriptedServer, user: str, method: str, body) -> Request:
    x = ctx.ixit
    target = x.user(user).impu
    request = make_request(method, target, from_=f"<{x.servers[0].uri}>", to=f"<{target}>", cseq=1,
                           contact=server.contact())
    offer = sdp.offer(server.address.host) if method == "INVITE" else None
    built = body(SipBinding.of_request(request), offer)
    built.apply(request)
    return request


REQUEST_DEFECTS = phrases.Phrases("RequestDefect", {
    "protected under her CEK": "valid",
    "protected under a Key ID the KMS never issued": "unknown",
    "under her CEK whose ciphertext was altered": "altered",
})


@when(phrases.parse('the test system, as the MCPTT server, sends "{user}" a {method:Scripted} {defect:RequestDefect}',
                    SCRIPTED, REQUEST_DEFECTS))
def ts_sends_to_client(ctx: ScenarioContext, client: ClientState, user: str, method, defect) -> None:
    server = client.scripted()
    x = ctx.ixit
    info = McpttInfo(calling_user_id=x.user("bob").mcptt_id, called_party_id=x.user(user).mcptt_id)
    if method.text == "INVITE":
        info = info.merged(calling_group_id=GROUP_ID, request_uri=GROUP_ID)
    if defect.value == "unknown":
        key = SealingKey((CEK_PURPOSE_TAG << 28) | secrets.randbits(28), secrets.token_bytes(16))
    else:
        key = client.cek(user)
    request = _to_client(ctx, server, user, method.text,
                         lambda binding, offer: build_body(info, key=key, binding=binding, sdp=offer))
    if defect.value == "altered":
        request = surgery.flip_ciphertext(request)
    client.to_client = request
    response = client.from_client = server.send(request)
    if response.status == 200 and method.text == "INVITE":
        server.send_stateless(make_2xx_ack(request, response))
    if not client.sent_by_client([request.call_id], requests=False):
        raise Inconclusive(f"the {method.text} did not reach the MCPTT client of {user!r}: the SIP core answered "
                           f"{response.status} {response.reason}")


@then(parsers.parse('the MCPTT client of "{user}" answers {status:d}'))
def client_answers(client: ClientState, user: str, status: int) -> None:
    got = client.from_client
    if got is None or got.status != status:
        raise Failed(f"the MCPTT client of {user!r} answered {got.status if got else None} "
                     f"{got.reason if got else ''}, expected {status}".rstrip())


def _client_final(client: ClientState) -> list[WireMessage]:
    return [m for m in client.sent_by_client([client.to_client.call_id], requests=False) if m.message.status >= 200]


@then(parsers.parse('its answer on SIP-1 carries its mcptt-info protected under the Key ID of her CEK, opening with '
                    'that CEK to what the upper tester asked for'))
def client_answer_protected(ctx: ScenarioContext, client: ClientState) -> None:
    expected = {"called_party_id": ctx.ixit.user("bob").mcptt_id, "calling_group_id": GROUP_ID}
    failed_if(protected_info_findings(_client_final(client), key_id=client.cek_id("alice"),
                                      cek_for=client.server_keys().cek_bytes, expected=expected))


@then("every protected body of its answer on SIP-1 carries Content-Disposition with handling=required")
def client_answer_handling(client: ClientState) -> None:
    failed_if(handling_findings(_client_final(client)))
