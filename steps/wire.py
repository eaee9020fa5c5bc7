"""Steps judged from captured packets, and steps that inject crafted packets onto SIP-1 or SIP-2.

Capture is armed by the conformance plugin for every scenario; without raw-socket privilege there is
no capture, and the scenarios judged from it are inconclusive with that reason, never pass.
"""
from __future__ import annotations

from dataclasses import dataclass

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures import inject
from mcsec.fixtures.capture import SIP1, SIP2, WireMessage
from mcsec.fixtures.exposure import describe, find_exposures, unprotected
from mcsec.fixtures.verdicts import Failed, Inconclusive, NotApplicable
from mcsec.impl.mcptt.body import key_id_bytes
from mcsec.impl.mcptt.info import McpttInfo, build as build_info
from mcsec.impl.mcptt.info import CONTENT_TYPE as INFO_CONTENT_TYPE
from mcsec.impl.sip import Request, Response
from mcsec.steps.common import World
from mcsec.steps.sip import GROUP_ID, _send

ANSWER_TIMEOUT_S = 5.0


@dataclass
class Injection:
    answer: Response | None
    point: str


def _capture(world: World):
    wire = world.wire
    if wire is None:
        raise Inconclusive("no capture was armed for this scenario")
    if wire.capture is None:
        raise Inconclusive(f"no wire verdict without a capture: {wire.unavailable}")
    return wire.capture


@given("the SIP traffic on SIP-1 and SIP-2 is being captured")
def capturing(world: World) -> None:
    _capture(world)


def _captured(world: World) -> list[WireMessage]:
    messages = _capture(world).checkpoint()
    for point in (SIP1, SIP2):
        if not any(m.point == point for m in messages):
            raise Inconclusive(f"nothing was captured on {point}: the capture saw none of the scenario's traffic")
    return messages


@then("no MCPTT ID or group ID of the scenario crossed SIP-1 or SIP-2, in any encoding")
def nothing_readable_on_the_wire(world: World) -> None:
    values = [u.mcptt_id for u in world.profile.users] + [GROUP_ID]
    findings = find_exposures(_captured(world), values)
    if findings:
        raise Failed("sensitive values crossed the wire readable: " + describe(findings))


@then(parsers.parse('every SIP body captured on SIP-1 and SIP-2 is S/MIME protected under the Key ID of the CEK '
                    'of "{user}"'))
def every_body_protected(world: World, user: str) -> None:
    messages = _captured(world)
    key_id = key_id_bytes(int(world.answer.request_body["key_id"], 16))
    with_body = {m.point for m in messages if m.message is not None and m.message.body}
    if with_body != {SIP1, SIP2}:
        raise Failed(f"bodies were captured on {sorted(with_body)} only, expected SIP-1 and SIP-2")
    bad = unprotected(messages, key_id=key_id)
    if bad:
        raise Failed("bodies not protected as required: " + "; ".join(c.describe() for c in bad[:4]))


# --- injection -----------------------------------------------------------------------------------

@given(parsers.parse('the MCPTT client of "{user}" has sent a MESSAGE protected under her second CEK, '
                     'captured on SIP-1 and SIP-2'))
def captured_message(world: World, user: str) -> None:
    key_id = world.cek_ids[user][1]
    answer = _send(world, user, "MESSAGE", {"key_id": key_id, "mcptt_info": {
        "called_party_id": world.profile.user("bob").mcptt_id}})
    if answer.status != 200:
        raise Inconclusive(f"the MESSAGE to capture was answered {answer.status} {answer.reason}")
    world.injected_user = user
    world.captured = {}
    for m in _captured(world):
        if m.is_request and m.message.method == "MESSAGE" and m.message.call_id == answer.call_id:
            world.captured.setdefault(m.point, m.message)
    missing = {SIP1, SIP2} - set(world.captured)
    if missing:
        raise Inconclusive(f"the MESSAGE was not captured on {', '.join(sorted(missing))}")


def _core_must_be_under_test(world: World, point: str, what: str) -> None:
    if point == SIP1 and not world.lab.core_under_test:
        raise NotApplicable(f"{what} on SIP-1 is answered by the SIP core, here Kamailio, a lab component "
                            f"and not the implementation under test ([lab] sip_core)")


def _target(world: World, point: str) -> tuple[str, int]:
    e = world.lab.endpoints
    address = e.core_sip1 if point == SIP1 else e.server
    return (address.host, address.port)


def _injector(world: World, point: str) -> inject.UdpInjector:
    """A UDP port of the test system; on SIP-1 registered at the SIP core as the captured user,
    as a client on SIP-1 must be; on SIP-2 it plays the SIP core towards the MCPTT server."""
    injector = inject.UdpInjector(world.lab.endpoints.side(point))
    world.injectors.append(injector)
    if point == SIP1:
        u = world.profile.user(world.injected_user)
        try:
            answer = inject.register(injector, _target(world, SIP1), impu=u.impu, username=u.username,
                                     password=u.sip_password)
        except inject.InjectionUnavailable as exc:
            raise Inconclusive(str(exc)) from None
        except inject.PeerNotServing as exc:
            raise Inconclusive(f"the SIP core did not answer the test system's REGISTER: {exc}") from None
        if answer.status != 200:
            raise Inconclusive(f"the test system could not register at the SIP core: {answer.status}")
    return injector


def _retarget(request: Request, host: str, port: int, transport: str = "udp") -> Request:
    """The captured request as the test system sends it: its own Via on top, nothing else changed."""
    out = Request(method=request.method, uri=request.uri, headers=request.headers.copy(), body=request.body)
    out.headers.remove("Via")
    out.headers.prepend("Via", inject.via_line(transport, host, port))
    return out


_FIRST_CEK = "with its Key ID swapped for her first CEK's"


def _mutate(world: World, request: Request, mutation: str):
    if mutation == "replayed as captured":
        return request
    if mutation == "with a bit flipped in the ciphertext":
        return inject.flip_ciphertext(request)
    if mutation == "with a bit flipped in the authentication tag":
        return inject.flip_tag(request)
    if mutation == "with a bit flipped in the wrapped content key":
        return inject.flip_wrapped_key(request)
    if mutation == _FIRST_CEK:
        return inject.swap_key_id(request, key_id_bytes(int(world.cek_ids[world.injected_user][0], 16)))
    if mutation == "with its mcptt-info sent in clear":
        u = world.profile.user(world.injected_user)
        clear = build_info(McpttInfo(calling_user_id=u.mcptt_id, called_party_id=world.profile.user("bob").mcptt_id))
        return inject.strip_protection(request, clear, INFO_CONTENT_TYPE)
    if mutation == "truncated inside the CMS body":
        return inject.truncate_body(request, len(request.body) // 2, fix_length=True)
    raise KeyError(f"unknown mutation {mutation!r}")


@when(parsers.parse("the test system injects on {point} the captured MESSAGE {mutation}"))
def inject_captured(world: World, point: str, mutation: str) -> None:
    captured = world.captured[point]
    target = _target(world, point)
    if mutation.startswith("grown beyond the maximum message size"):
        _core_must_be_under_test(world, point, "an oversized request")
    try:
        if mutation.startswith("grown beyond the maximum message size"):
            side = world.lab.endpoints.side(point)
            with inject.TcpInjector(target, ANSWER_TIMEOUT_S, side) as tcp:
                data = inject.oversize(_retarget(captured, side.host, tcp.port, "tcp"), 70000)
                answer = tcp.exchange(data)
        else:
            injector = _injector(world, point)
            mutated = _mutate(world, _retarget(captured, injector.host, injector.port), mutation)
            data = mutated if isinstance(mutated, bytes) else mutated.to_bytes()
            answer = injector.exchange(data, target, ANSWER_TIMEOUT_S)
    except inject.InjectionUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    except inject.PeerNotServing as exc:
        raise Inconclusive(f"the peer on {point} could not be reached: {exc}") from None
    world.injection = Injection(answer, point)


@then(parsers.parse("the answer to the injected request is {status:d}"))
def injected_answer(world: World, status: int) -> None:
    answer = world.injection.answer
    if answer is None:
        raise Failed(f"no answer to the injected request on {world.injection.point}; expected {status}")
    if answer.status != status:
        raise Failed(f"the injected request on {world.injection.point} was answered {answer.status} "
                     f"{answer.reason}, expected {status}")


@then(parsers.parse("the peer on {point} still serves"))
def still_serves(world: World, point: str) -> None:
    try:
        inject.liveness(_target(world, point), "udp", ANSWER_TIMEOUT_S, world.lab.endpoints.side(point))
    except inject.PeerNotServing as exc:
        raise Failed(f"after the injection the peer on {point} no longer serves: {exc}") from None


_CASES = {case.name: case for case in inject.TORTURE}


@when(parsers.parse('the test system sends the malformed request "{case}" on {point}'))
def send_torture(world: World, case: str, point: str) -> None:
    c = _CASES[case]
    _core_must_be_under_test(world, point, "a malformed request")
    target = _target(world, point)
    side = world.lab.endpoints.side(point)
    try:
        if c.transport == "tcp":
            with inject.TcpInjector(target, ANSWER_TIMEOUT_S, side) as tcp:
                craft = inject.Craft(f"sip:{target[0]}:{target[1]}", side.host, tcp.port, "tcp")
                answer = tcp.exchange(c.build(craft), timeout=ANSWER_TIMEOUT_S if c.expected.status
                                      else inject.SILENCE_S)
        else:
            injector = inject.UdpInjector(side)
            world.injectors.append(injector)
            craft = inject.Craft(f"sip:{target[0]}:{target[1]}", side.host, injector.port)
            answer = injector.exchange(c.build(craft), target,
                                       ANSWER_TIMEOUT_S if c.expected.status else inject.SILENCE_S)
    except inject.InjectionUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    world.injection = Injection(answer, point)


@then(parsers.parse('it is answered as RFC 3261 expects for "{case}"'))
def torture_answer(world: World, case: str) -> None:
    expected = _CASES[case].expected
    answer = world.injection.answer
    if expected.status is None:
        if answer is not None:
            raise Failed(f"{case}: expected {expected.describe()}, got {answer.status} {answer.reason}")
        return
    if answer is None:
        raise Failed(f"{case}: expected {expected.describe()}, got no answer")
    if answer.status != expected.status:
        raise Failed(f"{case}: expected {expected.describe()}, got {answer.status} {answer.reason}")
