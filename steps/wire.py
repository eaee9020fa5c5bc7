"""Steps judged from captured packets, and steps that inject crafted packets onto SIP-1 or SIP-2.

Capture is armed by the conformance plugin for every scenario; without raw-socket privilege there is
no capture, and the scenarios judged from it are inconclusive with that reason, never pass.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.oracles.confidentiality import exposure_findings, protection_findings
from mcsec.fixtures.verdicts import Failed, Inconclusive, NotApplicable
from mcsec.fixtures.wire import inject, surgery
from mcsec.fixtures.wire.capture import WireMessage
from mcsec.fixtures.wire.points import POINTS, SIP1, SIP2
from mcsec.fixtures.wire.torture import TORTURE, Craft
from mcsec.impl.hostport import HostPort
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body, key_id_bytes
from mcsec.impl.mcptt.info import CONTENT_TYPE as INFO_CONTENT_TYPE
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.info import build as build_info
from mcsec.impl.sip import Request, Response, SipUri, make_request, parse_uri
from mcsec.steps import phrases
from mcsec.steps.context import ScenarioContext, failed_if
from mcsec.steps.sip import SipState, cek_of, info_of, sensitive_values, stamp_wanted
from mcsec.steps.tokens import TokenState

ANSWER_TIMEOUT_S = 5.0
OVERSIZE = "grown beyond the maximum message size, over TCP"
POINT = phrases.Phrases("Point", {p: p for p in POINTS})


@dataclass
class Injection:
    answer: Response | None
    point: str


@dataclass
class WireState:
    """The requests captured for injection (by reference point), whose user sent them, and the last
    injection with its answer."""
    ctx: ScenarioContext
    sip: SipState
    captured: dict[str, Request] = field(default_factory=dict)
    injected_user: str | None = None
    injection: Injection | None = None
    partial: inject.TcpInjector | None = None   # a connection holding part of a request

    def captured_messages(self) -> list[WireMessage]:
        """The capture so far; inconclusive when either reference point saw none of the scenario's traffic."""
        messages = self.ctx.wire_messages()
        for point in POINTS:
            if not any(m.point == point for m in messages):
                raise Inconclusive(f"nothing was captured on {point}: the capture saw none of the scenario's traffic")
        return messages

    def target(self, point: str) -> HostPort:
        return self.ctx.endpoints.target(point)

    def udp_injector(self, point: str) -> inject.UdpInjector:
        """A UDP port of the test system; on SIP-1 registered at the SIP core as the captured user, as a
        client on SIP-1 must be; on SIP-2 it plays the SIP core towards the MCPTT server: its datagrams claim
        the core's SIP-2 address and port, the one peer the server takes P-Asserted-Identity from (RFC 3325),
        as an attacker on SIP-2 can."""
        source = self.ctx.endpoints.core_sip2 if point == SIP2 else None
        injector = inject.UdpInjector(self.ctx.endpoints.side(point), source=source)
        self.ctx.record.cleanups.append(injector.close)
        if point == SIP1:
            u = self.ctx.ixit.user(self.injected_user)
            try:
                answer = inject.register(injector, self.target(SIP1), impu=u.impu, username=u.username,
                                         password=u.sip_password)
            except inject.InjectionUnavailable as exc:
                raise Inconclusive(str(exc)) from None
            except inject.PeerNotServing as exc:
                raise Inconclusive(f"the SIP core did not answer the test system's REGISTER: {exc}") from None
            if answer.status != 200:
                raise Inconclusive(f"the test system could not register at the SIP core: {answer.status}")
        return injector

    def core_must_be_under_test(self, point: str, what: str) -> None:
        if point == SIP1 and not self.ctx.lab.core_under_test:
            raise NotApplicable(f"{what} on SIP-1 is answered by the SIP core, here Kamailio, a lab component "
                                f"and not the implementation under test ([lab] sip_core)")


@pytest.fixture
def wire(ctx: ScenarioContext, sip: SipState) -> WireState:
    return WireState(ctx, sip)


@given("the SIP traffic on SIP-1 and SIP-2 is being captured")
def capturing(ctx: ScenarioContext) -> None:
    wire = ctx.record.wire
    if wire is None or wire.capture is None:
        raise Inconclusive(f"no wire verdict without a capture: {wire.unavailable if wire else 'none armed'}")


@then("no MCPTT ID or group ID of the scenario crossed SIP-1 or SIP-2, in any encoding")
def nothing_readable_on_the_wire(ctx: ScenarioContext, wire: WireState) -> None:
    failed_if(exposure_findings(wire.captured_messages(), sensitive_values(ctx), where="on the wire"))


@then(parsers.parse('every SIP body captured on SIP-1 and SIP-2 is S/MIME protected under the Key ID of the CEK '
                    'of "{user}"'))
def every_body_protected(wire: WireState, sip: SipState, user: str) -> None:
    key_id = key_id_bytes(int(sip.answer.request_body["key_id"], 16))
    failed_if(protection_findings(wire.captured_messages(), key_id, where="on the wire"))


# --- injection -----------------------------------------------------------------------------------

@given(parsers.parse('the MCPTT client of "{user}" has sent a MESSAGE protected under her second CEK, '
                     'captured on SIP-1 and SIP-2'))
def captured_message(ctx: ScenarioContext, wire: WireState, sip: SipState, user: str) -> None:
    answer = sip.client_sends(user, "MESSAGE", {"key_id": sip.cek_ids[user][1], "mcptt_info": {
        "called_party_id": ctx.ixit.user("bob").mcptt_id}})
    if answer.status != 200:
        raise Inconclusive(f"the MESSAGE to capture was answered {answer.status} {answer.reason}")
    wire.injected_user = user
    wire.captured = {}
    for m in wire.captured_messages():
        if m.is_request and m.message.method == "MESSAGE" and m.message.call_id == answer.call_id:
            wire.captured.setdefault(m.point, m.message)
    missing = {SIP1, SIP2} - set(wire.captured)
    if missing:
        raise Inconclusive(f"the MESSAGE was not captured on {', '.join(sorted(missing))}")


def _retarget(request: Request, host: str, port: int, transport: str = "udp", *, rport: bool = True) -> Request:
    """The captured request as the test system sends it: its own Via on top, nothing else changed (no
    rport when the datagram claims another source: the answer must still reach the test system)."""
    out = Request(method=request.method, uri=request.uri, headers=request.headers.copy(), body=request.body)
    out.headers.remove("Via")
    out.headers.prepend("Via", inject.via_line(transport, host, port, rport=rport))
    return out


def _strip(wire: WireState, request: Request) -> Request:
    x = wire.ctx.ixit
    clear = build_info(McpttInfo(calling_user_id=x.user(wire.injected_user).mcptt_id,
                                 called_party_id=x.user("bob").mcptt_id))
    return surgery.strip_protection(request, clear, INFO_CONTENT_TYPE)


def _first_cek(wire: WireState, request: Request) -> Request:
    return surgery.swap_key_id(request, key_id_bytes(int(wire.sip.cek_ids[wire.injected_user][0], 16)))


MUTATIONS = phrases.Phrases("Mutation", {
    "replayed as captured": lambda w, r: r,
    "with a bit flipped in the ciphertext": lambda w, r: surgery.flip_ciphertext(r),
    "with a bit flipped in the authentication tag": lambda w, r: surgery.flip_tag(r),
    "with a bit flipped in the wrapped content key": lambda w, r: surgery.flip_wrapped_key(r),
    "with its Key ID swapped for her first CEK's": _first_cek,
    "with its mcptt-info sent in clear": _strip,
    "truncated inside the CMS body": lambda w, r: surgery.truncate_body(r, len(r.body) // 2, fix_length=True),
    OVERSIZE: None,  # sent over TCP, see inject_captured
})


@when(phrases.parse("the test system injects on {point:Point} the captured MESSAGE {mutation:Mutation}",
                    POINT, MUTATIONS))
def inject_captured(wire: WireState, point, mutation) -> None:
    point = point.value
    captured = wire.captured[point]
    target = wire.target(point)
    if mutation.text == OVERSIZE:
        wire.core_must_be_under_test(point, "an oversized request")
    try:
        if mutation.text == OVERSIZE:
            side = wire.ctx.endpoints.side(point)
            with inject.TcpInjector(target, ANSWER_TIMEOUT_S, side) as tcp:
                data = surgery.oversize(_retarget(captured, side.host, tcp.port, "tcp"), 70000)
                answer = tcp.exchange(data)
        else:
            injector = wire.udp_injector(point)
            mutated = mutation.value(wire, _retarget(captured, injector.host, injector.port,
                                                     rport=injector.source is None))
            data = mutated if isinstance(mutated, bytes) else mutated.to_bytes()
            # On SIP-2 the MCPTT server answers both the injected request and a probe after it; on SIP-1
            # the core would answer a probe itself before the server's answer to the request came back.
            answer = injector.exchange(data, target, ANSWER_TIMEOUT_S, probe=point == SIP2)
    except inject.InjectionUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    except inject.PeerNotServing as exc:
        raise Inconclusive(f"the peer on {point} could not be reached: {exc}") from None
    wire.injection = Injection(answer, point)


def _impu_parts(impu: str) -> SipUri:
    uri = parse_uri(impu)
    if not isinstance(uri, SipUri) or not uri.user:
        raise Inconclusive(f"the IMPU {impu!r} is no SIP URI with a user part")
    return uri


def _other_case_user(impu: str) -> str:
    """The IMPU with its user part in the other case: another identity, as the userinfo of a SIP URI
    compares case-sensitively (RFC 3261 19.1.4)."""
    uri = _impu_parts(impu)
    if uri.user.swapcase() == uri.user:
        raise Inconclusive(f"the user part of {impu!r} has no letter to change the case of")
    return f"{uri.scheme}:{uri.user.swapcase()}@{uri.host}" + (f":{uri.port}" if uri.port else "")


def _stranger(impu: str) -> str:
    """A user of the IMPU's domain that no profile names, so no MCPTT server serves it."""
    uri = _impu_parts(impu)
    return f"{uri.scheme}:mcsec-stranger-{secrets.token_hex(6)}@{uri.host}"


ASSERTED = phrases.Phrases("Asserted", {
    "her own IMPU": lambda impu: impu,
    "her own IMPU with its user part in the other case": _other_case_user,
    "a user the MCPTT server does not serve": _stranger,
})
"""The identity the test system, playing the SIP core, asserts for a MESSAGE under a user's CEK."""


@when(phrases.parse('the test system, as the SIP core on SIP-2, sends the MCPTT server a fresh MESSAGE under the CEK '
                    'of "{user}" asserting {asserted:Asserted}', ASSERTED))
def inject_asserted(ctx: ScenarioContext, wire: WireState, tokens: TokenState, user: str, asserted) -> None:
    """A MESSAGE the test system makes itself (a fresh body, under a CEK the KMS gave it in ``user``'s name)
    and sends from the SIP core's SIP-2 address and port, the one peer the MCPTT server takes
    P-Asserted-Identity from (RFC 3325), asserting the phrase's identity in From and P-Asserted-Identity."""
    cek = cek_of(ctx, tokens, user)
    identity = asserted.value(ctx.ixit.user(user).impu)
    server = ctx.ixit.servers[0].uri
    try:
        injector = wire.udp_injector(SIP2)
        request = _retarget(make_request("MESSAGE", server, from_=f"<{identity}>", to=f"<{server}>",
                                         headers=[("P-Asserted-Identity", f"<{identity}>")]),
                            injector.host, injector.port, rport=injector.source is None)
        build_body(info_of(ctx, user), key=SealingKey(cek.key_id, cek.key), binding=SipBinding.of_request(request),
                   stamp=stamp_wanted(ctx)).apply(request)
        # no probe: the server may fetch the CEK from the KMS first and answer a probe before the MESSAGE
        answer = injector.exchange(request.to_bytes(), wire.target(SIP2), ctx.ixit.timers.sip_timeout_s)
    except inject.InjectionUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    except inject.PeerNotServing as exc:
        raise Inconclusive(f"the MCPTT server could not be reached on SIP-2: {exc}") from None
    wire.injection = Injection(answer, SIP2)


@then("the answer to the injected request is a refusal (4xx)")
def injected_refused(wire: WireState) -> None:
    """RFC 3261 21.4: a request the server will not fulfil for what it carries gets a 4xx; a 5xx says the
    server itself erred (21.5), and a 2xx that it was accepted."""
    answer = wire.injection.answer
    if answer is None:
        raise Failed(f"no answer to the injected request on {wire.injection.point}; expected a refusal (4xx)")
    if not 400 <= answer.status < 500:
        raise Failed(f"the injected request on {wire.injection.point} was answered {answer.status} "
                     f"{answer.reason}, expected a refusal (4xx)")


@then(parsers.parse("the answer to the injected request is {status:d}"))
def injected_answer(wire: WireState, status: int) -> None:
    answer = wire.injection.answer
    if answer is None:
        raise Failed(f"no answer to the injected request on {wire.injection.point}; expected {status}")
    if answer.status != status:
        raise Failed(f"the injected request on {wire.injection.point} was answered {answer.status} "
                     f"{answer.reason}, expected {status}")


@then(phrases.parse("the peer on {point:Point} still serves", POINT))
def still_serves(wire: WireState, point) -> None:
    try:
        inject.liveness(wire.target(point.value), "udp", ANSWER_TIMEOUT_S, wire.ctx.endpoints.side(point.value))
    except inject.PeerNotServing as exc:
        raise Failed(f"after the injection the peer on {point} no longer serves: {exc}") from None


@when(phrases.parse("the test system opens a TCP connection to the peer on {point:Point} and sends part of a request "
                    "on it", POINT))
def send_partial(wire: WireState, point) -> None:
    point = point.value
    wire.core_must_be_under_test(point, "a connection holding part of a request")
    target, side = wire.target(point), wire.ctx.endpoints.side(point)
    try:
        tcp = inject.TcpInjector(target, ANSWER_TIMEOUT_S, side)
    except inject.PeerNotServing as exc:
        raise Inconclusive(f"the peer on {point} took no TCP connection: {exc}") from None
    wire.ctx.record.cleanups.append(tcp.close)
    head = Craft(f"sip:{target}", side.host, tcp.port, "tcp").lines("MESSAGE")
    tcp.sock.sendall(("\r\n".join(head) + "\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
                      "only part of the body").encode())
    wire.partial = tcp


@then(phrases.parse("the peer on {point:Point} closes that connection within its partial-message limit", POINT))
def partial_closed(wire: WireState, point) -> None:
    timers = wire.ctx.ixit.timers
    bound = timers.tcp_partial_limit_s + timers.sip_timeout_s  # the stated limit, and a SIP timer's leeway
    if not wire.partial.closed_within(bound):
        raise Failed(f"the peer on {point} still holds the connection {bound:g} s after part of a request "
                     f"(ixit.timers.tcp_partial_limit_s = {timers.tcp_partial_limit_s:g})")


CASES = phrases.Phrases("Case", {case.name: case for case in TORTURE})


@when(phrases.parse('the test system sends the malformed request "{case:Case}" on {point:Point}', CASES, POINT))
def send_torture(wire: WireState, case, point) -> None:
    c, point = case.value, point.value
    wire.core_must_be_under_test(point, "a malformed request")
    target = wire.target(point)
    side = wire.ctx.endpoints.side(point)
    try:
        if c.transport == "tcp":
            with inject.TcpInjector(target, ANSWER_TIMEOUT_S, side) as tcp:
                craft = Craft(f"sip:{target}", side.host, tcp.port, "tcp")
                answer = tcp.exchange(c.build(craft), timeout=ANSWER_TIMEOUT_S if c.expected.status else inject.SILENCE_S)
        else:
            injector = inject.UdpInjector(side)
            wire.ctx.record.cleanups.append(injector.close)
            craft = Craft(f"sip:{target}", side.host, injector.port)
            answer = injector.exchange(c.build(craft), target, ANSWER_TIMEOUT_S, probe=True)
    except inject.InjectionUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    wire.injection = Injection(answer, point)


@then(phrases.parse('it is answered as RFC 3261 expects for "{case:Case}"', CASES))
def torture_answer(wire: WireState, case) -> None:
    expected = case.value.expected
    answer = wire.injection.answer
    if expected.status is None:
        if answer is not None:
            raise Failed(f"{case}: expected {expected.describe()}, got {answer.status} {answer.reason}")
        return
    if answer is None:
        raise Failed(f"{case}: expected {expected.describe()}, got no answer")
    if answer.status != expected.status:
        raise Failed(f"{case}: expected {expected.describe()}, got {answer.status} {answer.reason}")
