"""Steps about SIP signalling protected with S/MIME under the CEK (clause 7.13 end to end).

The MCPTT client is driven through its upper tester; what the SIP core saw is read from the
core's own trace of every message it received and sent; requests no well-behaved client sends
come from the test system's own SIP user agent, registered at the core like a client.
"""
from __future__ import annotations

import base64
import secrets

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.capture import SIP1, WireMessage
from mcsec.fixtures.exposure import describe, find_exposures, unprotected
from mcsec.fixtures.sipua import Peer, TestUA
from mcsec.fixtures.uppertester import SipAnswer, UpperTester, UpperTesterError
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.kms.cekstore import CEK_PURPOSE_TAG
from mcsec.impl.mcptt.body import OutgoingBody, SealingKey, SipBinding, build_body, key_id_bytes
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import make_request, parse_message
from mcsec.impl.sip.errors import SipParseError
from mcsec.steps.common import World, peer
from mcsec.steps.tokens import authenticate_user

GROUP_ID = "sip:group-fire-7@example.org"


def _ut(world: World, user: str) -> UpperTester:
    url = world.lab.endpoints.upper_testers.get(user)
    if url is None:
        raise Inconclusive(f"no MCPTT client of {user!r} in the lab")
    return UpperTester(url, world.lab.ssl_context, world.profile.timers.sip_timeout_s + 5)


def _ut_call(fn, *args):
    try:
        return fn(*args)
    except UpperTesterError as exc:
        if exc.code in ("idm_unreachable", "kms_unreachable", "sip_timeout", "sip_transport_error"):
            raise Inconclusive(f"the MCPTT client could not act: {exc}") from None
        raise Failed(f"the MCPTT client refused the command: {exc}") from None


# --- the MCPTT client, through its upper tester ------------------------------------------------

@given(parsers.parse('the MCPTT client of "{user}" has logged in and holds a CEK shared with the MCPTT server'))
def client_logged_in_with_cek(world: World, user: str) -> None:
    ut = _ut(world, user)
    _ut_call(ut.login)
    world.cek_ids.setdefault(user, []).append(_ut_call(ut.new_cek))


@given(parsers.parse('the MCPTT client of "{user}" holds a second CEK shared with the MCPTT server'))
def client_second_cek(world: World, user: str) -> None:
    world.cek_ids.setdefault(user, []).append(_ut_call(_ut(world, user).new_cek))


@given(parsers.parse('the MCPTT client of "{user}" has registered through the SIP core'))
def client_registered(world: World, user: str) -> None:
    answer = _ut_call(_ut(world, user).sip, "register", {})
    if answer.status != 200:
        raise Failed(f"REGISTER through the SIP core was answered {answer.status} {answer.reason}")


def _send(world: World, user: str, method: str, body: dict) -> SipAnswer:
    action = {"MESSAGE": "message", "INVITE": "invite", "PUBLISH": "publish", "REGISTER": "register"}[method]
    if method == "INVITE":
        body = {"group_id": GROUP_ID, **body}
    if method == "REGISTER":
        body = {k: v for k, v in body.items() if k == "key_id"}
    answer = _ut_call(_ut(world, user).sip, action, body)
    world.answer = answer
    world.answers.append(answer)
    return answer


@when(parsers.parse('the MCPTT client of "{user}" sends a {method} whose mcptt-info names "{other}" '
                    'and the group "{group}"'))
def client_sends(world: World, user: str, method: str, other: str, group: str) -> None:
    _send(world, user, method, {"mcptt_info": {"called_party_id": world.profile.user(other).mcptt_id,
                                               "calling_group_id": group}})


@when(parsers.parse('the MCPTT client of "{user}" sends a MESSAGE protected under her {which} CEK'))
def client_sends_under(world: World, user: str, which: str) -> None:
    key_id = world.cek_ids[user][{"first": 0, "second": 1}[which]]
    _send(world, user, "MESSAGE", {"key_id": key_id, "mcptt_info": {"called_party_id": world.profile.user("bob").mcptt_id}})


@then("the MCPTT server answers 200 with an mcptt-info protected under the same Key ID")
def answered_protected_same_key(world: World) -> None:
    a = world.answer
    if a.status != 200:
        raise Failed(f"the MCPTT server answered {a.status} {a.reason}")
    if not a.request_body.get("protected"):
        raise Failed("the MCPTT client sent the mcptt-info in clear")
    if not a.response_body.get("protected") or a.response_body.get("problem"):
        raise Failed(f"the 200 carries no protected mcptt-info the client could open: {a.response_body}")
    if a.response_key_id != a.request_body.get("key_id"):
        raise Failed(f"the answer is protected under Key ID {a.response_key_id}, "
                     f"the request under {a.request_body.get('key_id')}")


@then(parsers.parse("the MCPTT server answers 200 with an mcptt-info protected under the {which} CEK's Key ID"))
def answered_under(world: World, which: str) -> None:
    answered_protected_same_key(world)
    user = next(iter(world.cek_ids))
    want = world.cek_ids[user][{"first": 0, "second": 1}[which]]
    if world.answer.request_body.get("key_id") != want:
        raise Failed(f"the client named Key ID {world.answer.request_body.get('key_id')}, expected {want}")


@then(parsers.parse("the answer's mcptt-info names \"{user}\" as the calling user"))
def answer_names_caller(world: World, user: str) -> None:
    info = world.answer.response_info or {}
    want = world.profile.user(user).mcptt_id
    if info.get("calling_user_id") != want:
        raise Failed(f"the server understood calling user {info.get('calling_user_id')!r}, expected {want!r}")


# --- what the SIP core saw -----------------------------------------------------------------------

def wire_messages(world: World) -> list[WireMessage]:
    """Every SIP message captured on SIP-1 and SIP-2 so far in this scenario; without a capture (no
    raw-socket privilege) there is no verdict that needs one: inconclusive with the reason."""
    if world.wire is None or world.wire.capture is None:
        reason = world.wire.unavailable if world.wire is not None else "no capture armed"
        raise Inconclusive(f"no wire verdict without a capture: {reason}")
    return world.wire.capture.checkpoint()


def observed(world: World) -> list[tuple[str, list[WireMessage]]]:
    """What the SIP core received and sent, as the confidentiality verdicts judge it: the packets
    captured on SIP-1 and SIP-2 (always), and the core's own record of its traffic when it keeps one.
    Each comes with the words a failure names it by."""
    views = [("on the wire (SIP-1 and SIP-2 captured)", wire_messages(world))]
    if world.lab.core_keeps_record:
        views.append(("in the SIP core's own record", core_messages(world)))
    return views


def core_messages(world: World) -> list[WireMessage]:
    """Every message the SIP core received or sent during this scenario: from its own record when
    it keeps one (the reference core), otherwise from the capture of SIP-1 and SIP-2."""
    if not world.lab.core_keeps_record:
        return wire_messages(world)
    messages = []
    for line in world.lab.trace_since(world.offsets):
        if line.get("role") != "core":
            continue
        raw = base64.b64decode(line.get("raw_b64", ""))
        try:
            parsed, error = parse_message(raw), None
        except SipParseError as exc:
            parsed, error = None, str(exc)
        messages.append(WireMessage(line.get("t", 0.0), line.get("src", ""), line.get("dst", ""),
                                    line.get("transport", ""), raw, parsed, error, line.get("ref")))
    if not messages:
        raise Inconclusive("the SIP core recorded no message during the scenario")
    return messages


def _sensitive_values(world: World) -> list[str]:
    return [u.mcptt_id for u in world.profile.users] + [GROUP_ID]


@then(parsers.parse('every body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the Key ID '
                    'of "{user}"\'s CEK'))
def core_saw_protected(world: World, user: str) -> None:
    key_id = key_id_bytes(int(world.answer.request_body["key_id"], 16))
    for where, messages in observed(world):
        points = {m.point for m in messages if m.message is not None and m.message.body}
        if points != {"SIP-1", "SIP-2"}:
            raise Failed(f"protected bodies were seen {where} on {sorted(points)}, expected both SIP-1 and SIP-2")
        bad = unprotected(messages, key_id=key_id)
        if bad:
            raise Failed(f"bodies not protected as required {where}: " + "; ".join(c.describe() for c in bad[:4]))


@then("no MCPTT ID or group ID of the scenario appears in anything the SIP core received or sent")
def core_saw_no_identity(world: World) -> None:
    for where, messages in observed(world):
        findings = find_exposures(messages, _sensitive_values(world))
        if findings:
            raise Failed(f"sensitive values readable {where}: " + describe(findings))


# --- the test system's own user agent ------------------------------------------------------------

def _ua_registered(world: World, user: str) -> TestUA:
    if world.ua is None:
        sip1 = world.lab.endpoints.core_sip1
        if sip1 is None:
            raise Inconclusive("no SIP core in the lab")
        world.ua = TestUA(Peer(sip1.host, sip1.port, sip1.transport), timeout_s=world.profile.timers.sip_timeout_s,
                          side=world.lab.endpoints.side(SIP1))
        world.ua.start()
    u = world.profile.user(user)
    response = world.ua.register(u.impu, u.username, u.sip_password)
    if response.status != 200:
        raise Inconclusive(f"the test system could not register as {user!r}: {response.status} {response.reason}")
    return world.ua


def _ua_message(world: World, user: str, body, *, extra_headers=()) -> None:
    ua = world.ua
    u = world.profile.user(user)
    request = make_request("MESSAGE", world.profile.servers[0].uri, from_=f"<{u.impu}>",
                           to=f"<{world.profile.servers[0].uri}>", cseq=ua.next_cseq(), headers=list(extra_headers))
    if callable(body):
        body = body(SipBinding.of_request(request))
    if body is not None:
        body.apply(request)
    world.answer = ua.send(request)
    world.answers.append(world.answer)


def _info(world: World, user: str) -> McpttInfo:
    return McpttInfo(calling_user_id=world.profile.user(user).mcptt_id,
                     called_party_id=world.profile.user("alice" if user != "alice" else "bob").mcptt_id)


def _cek_of(world: World, holder: str):
    """A CEK the test system obtains from the KMS in `holder`'s name (the suite has the credentials)."""
    if holder not in world.tokens:
        authenticate_user(world, holder)
    with peer("the KMS"):
        reply = world.kms.issue(world.tokens[holder], world.profile.user(holder).mcptt_id, world.profile.servers[0].uri)
    if reply.cek is None:
        raise Inconclusive(f"the KMS gave the test system no CEK for {holder!r}: HTTP {reply.status}")
    return reply.cek


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE with the mcptt-info in clear'))
def ua_sends_clear(world: World, user: str) -> None:
    _ua_registered(world, user)
    _ua_message(world, user, build_body(_info(world, user), key=None, binding=None))


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under a Key ID the KMS '
                    'never issued'))
def ua_sends_unknown_key(world: World, user: str) -> None:
    _ua_registered(world, user)
    key = SealingKey((CEK_PURPOSE_TAG << 28) | secrets.randbits(28), secrets.token_bytes(16))
    _ua_message(world, user, lambda b: build_body(_info(world, user), key=key, binding=b))


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE under her own CEK whose ciphertext '
                    'was altered'))
def ua_sends_tampered(world: World, user: str) -> None:
    cek = _cek_of(world, user)
    _ua_registered(world, user)

    def body(binding):
        out = build_body(_info(world, user), key=SealingKey(cek.key_id, cek.key), binding=binding)
        altered = bytearray(out.body)
        altered[-20] ^= 0x01  # inside the GCM ciphertext or tag, never the framing
        return OutgoingBody(out.content_type, bytes(altered), out.content_disposition)
    _ua_message(world, user, body)


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE under the CEK of "{owner}", '
                    'claiming "{owner}" in P-Asserted-Identity'))
def ua_sends_foreign_cek(world: World, user: str, owner: str) -> None:
    cek = _cek_of(world, owner)
    _ua_registered(world, user)
    claimed = world.profile.user(owner)
    _ua_message(world, user,
                lambda b: build_body(McpttInfo(calling_user_id=claimed.mcptt_id), key=SealingKey(cek.key_id, cek.key),
                                     binding=b),
                extra_headers=[("P-Asserted-Identity", f"<{claimed.impu}>")])


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE with a required body of type '
                    '"{content_type}"'))
def ua_sends_unknown_type(world: World, user: str, content_type: str) -> None:
    _ua_registered(world, user)
    body = OutgoingBody(
        content_type, b"opaque\r\n", "render;handling=required")
    _ua_message(world, user, body)


@when(parsers.parse('the test system, registered as "{user}", replays in a new MESSAGE the protected body the SIP '
                    'core relayed'))
def ua_replays(world: World, user: str) -> None:
    relayed = [m for m in core_messages(world) if m.point == "SIP-2" and m.is_request and m.message.body
               and m.message.method == "MESSAGE"]
    if not relayed:
        raise Inconclusive("the SIP core relayed no protected MESSAGE to replay")
    original = relayed[-1].message
    _ua_registered(world, user)
    captured = OutgoingBody(
        original.headers.get("Content-Type"), original.body, original.headers.get("Content-Disposition"))
    _ua_message(world, user, captured)


@then(parsers.parse("the MCPTT server answers {status:d}"))
def server_answers(world: World, status: int) -> None:
    a = world.answer
    got = getattr(a, "status", None)
    if got != status:
        raise Failed(f"the MCPTT server answered {got} {getattr(a, 'reason', '')}, expected {status}")


@then(parsers.parse('the answer carries a Warning with code 399 saying "{text}"'))
def answer_warning(world: World, text: str) -> None:
    warning = world.answer.headers.get("Warning") or ""
    if not warning.startswith("399 ") or text.lower() not in warning.lower():
        raise Failed(f"Warning is {warning!r}, expected 399 with {text!r}")


@then("the answer carries an Accept header listing application/pkcs7-mime")
def answer_accept(world: World) -> None:
    accept = world.answer.headers.get("Accept") or ""
    if "application/pkcs7-mime" not in accept:
        raise Failed(f"Accept is {accept!r}")


@then("the two refusals are identical apart from the transaction headers")
def identical_refusals(world: World) -> None:
    first, second = world.answers[-2], world.answers[-1]
    ignore = {"via", "from", "to", "call-id", "cseq", "content-length", "record-route"}

    def shape(r):
        return (r.status, r.reason, sorted((f.name.lower(), f.value) for f in r.headers
                                          if f.name.lower() not in ignore), r.body)
    if shape(first) != shape(second):
        raise Failed(f"the answers differ, revealing which check failed: {shape(first)} / {shape(second)}")


@then("the SIP core is told nothing by the answer about the key")
def answer_body_empty(world: World) -> None:
    a = world.answer
    if a.body or a.headers.get("Warning"):
        raise Failed(f"the 493 carries more than the status: Warning {a.headers.get('Warning')!r}, "
                     f"{len(a.body)} body bytes")


@when(parsers.parse('the MCPTT client of "{user}" sends a MESSAGE naming "{other}"'))
def client_sends_message(world: World, user: str, other: str) -> None:
    _send(world, user, "MESSAGE", {"mcptt_info": {"called_party_id": world.profile.user(other).mcptt_id}})

