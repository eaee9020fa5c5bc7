"""Steps where the test system itself uploads CSKs in MIKEY-SAKKE I_MESSAGEs (clause 7.14).

Every I_MESSAGE is built by the test system's forge (mcsec.fixtures.agents.mikey_forge) from key material
it obtained from the KMS in the users' names, or minted itself for "another KMS"; defects are made the
way an attacker or a broken client would make them. Each is sent in a MESSAGE, as the reference client
sends its own.
"""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mcsec.fixtures.agents.mikey_forge import DEFECTS, ForgeUnavailable, IMessageForge
from mcsec.fixtures.verdicts import Failed, Inconclusive
from mcsec.impl.mcptt.body import SealingKey, SipBinding, build_body
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import Request
from mcsec.steps import phrases
from mcsec.steps.ibc import IbcState
from mcsec.steps.sip import SipState

I_MESSAGE_DEFECTS = phrases.Phrases("Defect", DEFECTS)


def forge(ibc: IbcState) -> IMessageForge:
    return IMessageForge(ibc, tuple(s.uri for s in ibc.ctx.ixit.servers))


# --- sending ---------------------------------------------------------------------------------------

def upload(ibc: IbcState, user: str, data: bytes, *, as_user: str | None = None) -> None:
    """Send ``data`` as a CSK upload from ``as_user`` (default ``user``)."""
    sender = as_user or user
    ibc.i_message = data
    ibc.send(ibc.impu_of(sender), lambda request: build_mikey_body(data).apply(request), user=sender)


def _made(ibc: IbcState, user: str, make) -> bytes:
    try:
        built, data = make(forge(ibc))(user)
    except ForgeUnavailable as exc:
        raise Inconclusive(str(exc)) from None
    ibc.crafted = (built.key_id, built.key)
    ibc.ctx.session.key_log.record("CSK", built.key_id, built.key)
    return data


@when(phrases.parse('the test system, registered as "{user}", uploads a CSK in an I_MESSAGE {defect:Defect}',
                    I_MESSAGE_DEFECTS))
@given(phrases.parse('the test system, registered as "{user}", uploads a CSK in an I_MESSAGE {defect:Defect}',
                     I_MESSAGE_DEFECTS))
def ts_uploads(ibc: IbcState, user: str, defect) -> None:
    upload(ibc, user, _made(ibc, user, defect.value))


IMESSAGE_EDGES = phrases.Phrases("TimestampEdge", {
    "timestamped just beyond the window in the past": lambda window, margin: window + margin,
    "timestamped just within the window in the past": lambda window, margin: window - margin,
    "timestamped just beyond the window in the future": lambda window, margin: -(window + margin),
    "timestamped just within the window in the future": lambda window, margin: -(window - margin),
})
"""How many seconds ago an I_MESSAGE is timestamped: the MCPTT server's declared window
(ixit.timers.imessage_window_s) plus or minus a margin (timestamp_margin), in the past or the future."""


def timestamp_margin(window_s: float, clock_skew_s: float) -> float:
    """How far from the edge of the window a timestamp is placed: the clock skew the profile allows between
    the product and the test system (ixit.timers.clock_skew_s), which also covers the test system's own
    delay between stamping and sending."""
    if clock_skew_s >= window_s:
        raise Inconclusive(f"the I_MESSAGE window of {window_s:g} s is not wider than the allowed clock skew of "
                           f"{clock_skew_s:g} s: no timestamp lies surely within it (ixit.timers)")
    return clock_skew_s


@when(phrases.parse('the test system, registered as "{user}", uploads a CSK in an I_MESSAGE {edge:TimestampEdge}',
                    IMESSAGE_EDGES))
def ts_uploads_at_edge(ibc: IbcState, user: str, edge) -> None:
    timers = ibc.ctx.ixit.timers
    seconds_ago = edge.value(timers.imessage_window_s, timestamp_margin(timers.imessage_window_s, timers.clock_skew_s))
    upload(ibc, user, _made(ibc, user, lambda f: f.timestamped(seconds_ago)))


@given(parsers.parse('the test system, registered as "{user}", has uploaded a CSK that the MCPTT server accepted'))
def ts_uploaded(ibc: IbcState, sip: SipState, user: str) -> None:
    upload(ibc, user, _made(ibc, user, DEFECTS["that is valid"]))
    if sip.answer.status != 200:
        raise Failed(f"the MCPTT server answered a valid CSK upload {sip.answer.status} {sip.answer.reason} "
                     f"(Warning {sip.answer.headers.get('Warning')!r})")


@when(parsers.parse('the test system, registered as "{user}", sends that I_MESSAGE again'))
def ts_sends_again(ibc: IbcState, user: str) -> None:
    if ibc.i_message is None:
        raise RuntimeError("no I_MESSAGE was sent before")
    upload(ibc, user, ibc.i_message)


@when(parsers.parse('the test system, registered as "{user}", sends the I_MESSAGE of "{owner}"'))
def ts_sends_foreign(ibc: IbcState, user: str, owner: str) -> None:
    upload(ibc, owner, _made(ibc, owner, DEFECTS["that is valid"]), as_user=user)


@given(parsers.parse('the test system holds the IBC key material of "{first}" and "{second}" from the KMS'))
def ts_holds_keys(ibc: IbcState, first: str, second: str) -> None:
    for user in (first, second):
        ibc.key_set(user).validate(ibc.cert())


# --- using the CSK ---------------------------------------------------------------------------------

def _protected_message(ibc: IbcState, user: str, key: SealingKey) -> None:
    info = McpttInfo(calling_user_id=ibc.uri_of(user))

    def build(request: Request) -> None:
        build_body(info, key=key, binding=SipBinding.of_request(request),
                   stamp=ibc.ctx.profile.ics.replay_stamp).apply(request)
    ibc.send(ibc.impu_of(user), build, user=user)


@when(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under that CSK'))
@then(parsers.parse('the test system, registered as "{user}", sends a MESSAGE protected under that CSK'))
def ts_sends_under_csk(ibc: IbcState, user: str) -> None:
    if ibc.crafted is None:
        raise RuntimeError("the test system built no I_MESSAGE")
    _protected_message(ibc, user, SealingKey(*ibc.crafted))


@then("the MCPTT server holds no CSK from that I_MESSAGE")
def server_holds_no_csk(ibc: IbcState, sip: SipState) -> None:
    refusal = sip.answer
    user = next(iter(u for u in ibc.uas if u != "direct"), None) or ibc.ctx.ixit.users[0].username
    ts_sends_under_csk(ibc, user)
    got = sip.answer
    sip.answer = refusal
    if got.status != 493:
        raise Failed(f"a body under the refused CSK was answered {got.status} {got.reason}, not 493: "
                     "the MCPTT server took the CSK")


@then("the answer names no key")
def answer_names_no_key(sip: SipState) -> None:
    a = sip.answer
    if a.body:
        raise Failed(f"the refusal carries a body of {len(a.body)} octets")
