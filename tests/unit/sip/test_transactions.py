"""Transaction state machines (RFC 3261 section 17) driven by a simulated clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mcsec.impl.sip import (
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    Request,
    Response,
    TimerConfig,
    TransactionError,
    make_non2xx_ack,
    make_request,
    make_response,
    new_branch,
    parse_message,
)
from mcsec.impl.sip.transaction_base import (
    Action,
    CancelTimer,
    PassToTU,
    Send,
    StartTimer,
    Terminated,
    Timeout,
    TransactionState,
    client_key,
    server_key,
)

S = TransactionState
T = TimerConfig()  # RFC values: T1 0.5 s, T2 4 s, T4 5 s, 64*T1 = 32 s


@dataclass
class Clock:
    """Runs a transaction's timers on simulated time and records what it asked for."""

    txn: object
    now: float = 0.0
    timers: dict[str, float] = field(default_factory=dict)
    sent: list[tuple[float, Send]] = field(default_factory=list)
    passed: list[Request | Response] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    terminated_at: float | None = None

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.sent.append((self.now, action))
            elif isinstance(action, StartTimer):
                self.timers[action.name] = self.now + action.delay
            elif isinstance(action, CancelTimer):
                self.timers.pop(action.name, None)
            elif isinstance(action, PassToTU):
                self.passed.append(action.message)
            elif isinstance(action, Timeout):
                self.timeouts.append(action.timer)
            elif isinstance(action, Terminated):
                self.terminated_at = self.now
                self.timers.clear()

    def run_until(self, limit: float) -> None:
        for _ in range(1000):  # bounded
            if not self.timers:
                self.now = limit
                return
            name, due = min(self.timers.items(), key=lambda item: item[1])
            if due > limit:
                self.now = limit
                return
            del self.timers[name]
            self.now = due
            self.apply(self.txn.timer_fired(name))  # type: ignore[attr-defined]
        raise AssertionError("timer loop did not settle")

    def retransmission_times(self) -> list[float]:
        return [round(t, 3) for t, s in self.sent if s.retransmission]


def new_request(method: str, transport: str = "UDP") -> Request:
    request = make_request(method, "sip:bob@example.org", from_="<sip:alice@example.org>",
                           to="<sip:bob@example.org>",
                           via=f"SIP/2.0/{transport} 192.0.2.1:5060;branch={new_branch()}")
    parsed = parse_message(request.to_bytes())
    assert isinstance(parsed, Request)
    return parsed


# -- non-INVITE client ----------------------------------------------------------------------------------
def test_nict_udp_retransmits_with_backoff_until_timer_f() -> None:
    txn = NonInviteClientTransaction(new_request("MESSAGE"), reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    assert txn.state is S.TRYING and len(clock.sent) == 1
    clock.run_until(100)
    # E: 0.5, 1, 2, 4, 4, ... (capped at T2) -> sends at 0.5, 1.5, 3.5, 7.5, 11.5, ..., 31.5
    assert clock.retransmission_times() == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert txn.retransmissions == 10
    assert clock.timeouts == ["F"] and clock.terminated_at == 32.0 and txn.state is S.TERMINATED


def test_nict_tcp_never_retransmits() -> None:
    txn = NonInviteClientTransaction(new_request("REGISTER", "TCP"), reliable=True, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.run_until(100)
    assert clock.retransmission_times() == [] and clock.timeouts == ["F"]


def test_nict_proceeding_retransmits_every_t2_then_completes() -> None:
    request = new_request("PUBLISH")
    txn = NonInviteClientTransaction(request, reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.run_until(0.6)
    clock.apply(txn.receive_response(make_response(request, 100)))
    assert txn.state is S.PROCEEDING and clock.passed[-1].status == 100  # type: ignore[union-attr]
    clock.run_until(10)
    assert clock.retransmission_times() == [0.5, 1.5, 5.5, 9.5]
    final = make_response(request, 200)
    clock.apply(txn.receive_response(final))
    assert txn.state is S.COMPLETED and clock.passed[-1] is final
    clock.apply(txn.receive_response(final))  # retransmitted final is absorbed
    assert clock.passed.count(final) == 1
    clock.run_until(100)
    assert clock.terminated_at == pytest.approx(10 + T.t4) and clock.timeouts == []


def test_nict_reliable_final_terminates_at_once() -> None:
    request = new_request("OPTIONS", "TCP")
    txn = NonInviteClientTransaction(request, reliable=True, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.apply(txn.receive_response(make_response(request, 404)))
    assert txn.state is S.TERMINATED and clock.terminated_at == 0.0


# -- INVITE client --------------------------------------------------------------------------------------
def test_ict_udp_timer_a_doubles_until_timer_b() -> None:
    txn = InviteClientTransaction(new_request("INVITE"), reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    assert txn.state is S.CALLING
    clock.run_until(100)
    assert clock.retransmission_times() == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert clock.timeouts == ["B"] and clock.terminated_at == 32.0


def test_ict_non2xx_sends_ack_and_reacks_retransmissions() -> None:
    invite = new_request("INVITE")
    txn = InviteClientTransaction(invite, reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.apply(txn.receive_response(make_response(invite, 180, to_tag="r")))
    assert txn.state is S.PROCEEDING
    clock.run_until(20)
    assert clock.retransmission_times() == []  # no retransmission in Proceeding
    busy = make_response(invite, 486, to_tag="r")
    clock.apply(txn.receive_response(busy))
    assert txn.state is S.COMPLETED
    ack = clock.sent[-1][1].message
    assert isinstance(ack, Request) and ack.method == "ACK"
    assert ack.to_bytes() == make_non2xx_ack(invite, busy).to_bytes()
    assert ack.top_via.branch == invite.top_via.branch
    clock.apply(txn.receive_response(busy))
    assert clock.sent[-1][1].retransmission and clock.sent[-1][1].message is ack
    assert [m.status for m in clock.passed] == [180, 486]  # type: ignore[union-attr]
    clock.run_until(100)
    assert clock.terminated_at == pytest.approx(20 + T.d)


def test_ict_2xx_terminates_and_is_passed_up() -> None:
    invite = new_request("INVITE", "TCP")
    txn = InviteClientTransaction(invite, reliable=True, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    ok = make_response(invite, 200)
    clock.apply(txn.receive_response(ok))
    assert txn.state is S.TERMINATED and clock.passed == [ok]
    assert all(not isinstance(s.message, Request) or s.message.method == "INVITE" for _, s in clock.sent)


# -- non-INVITE server ----------------------------------------------------------------------------------
def test_nist_absorbs_and_resends_then_timer_j() -> None:
    request = new_request("MESSAGE")
    txn = NonInviteServerTransaction(request, reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.apply(txn.receive_request(request))
    assert clock.sent == [] and txn.state is S.TRYING
    trying = make_response(request, 100)
    clock.apply(txn.send_response(trying))
    clock.apply(txn.receive_request(request))
    assert clock.sent[-1][1].message is trying and clock.sent[-1][1].retransmission
    ok = make_response(request, 200)
    clock.apply(txn.send_response(ok))
    assert txn.state is S.COMPLETED
    clock.apply(txn.receive_request(request))
    assert clock.sent[-1][1].message is ok and txn.retransmissions == 2
    with pytest.raises(TransactionError):
        txn.send_response(make_response(request, 500))
    clock.run_until(100)
    assert clock.terminated_at == T.j and txn.state is S.TERMINATED


# -- INVITE server --------------------------------------------------------------------------------------
def test_ist_sends_trying_retransmits_final_until_ack() -> None:
    invite = new_request("INVITE")
    txn = InviteServerTransaction(invite, reliable=False, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    assert clock.sent[0][1].message.status == 100  # type: ignore[union-attr]
    clock.apply(txn.receive_request(invite))
    assert clock.sent[-1][1].retransmission and clock.sent[-1][1].message.status == 100  # type: ignore[union-attr]
    final = make_response(invite, 603, to_tag="d")
    clock.apply(txn.send_response(final))
    assert txn.state is S.COMPLETED
    clock.run_until(5)
    # G: 0.5, 1, 2, 4 (capped at T2)
    assert clock.retransmission_times()[1:] == [0.5, 1.5, 3.5]
    ack = make_non2xx_ack(invite, final)
    assert server_key(ack) == server_key(invite)
    clock.apply(txn.receive_request(ack))
    assert txn.state is S.CONFIRMED and "G" not in clock.timers and "H" not in clock.timers
    clock.run_until(100)
    assert clock.terminated_at == pytest.approx(5 + T.i) and clock.timeouts == []


def test_ist_timer_h_without_ack() -> None:
    invite = new_request("INVITE")
    txn = InviteServerTransaction(invite, reliable=False, timers=T, send_trying=False)
    clock = Clock(txn)
    assert txn.start() == []
    clock.apply(txn.send_response(make_response(invite, 404)))
    clock.run_until(100)
    assert clock.timeouts == ["H"] and clock.terminated_at == T.h
    assert clock.retransmission_times() == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]


def test_ist_2xx_terminates() -> None:
    invite = new_request("INVITE", "TCP")
    txn = InviteServerTransaction(invite, reliable=True, timers=T)
    clock = Clock(txn)
    clock.apply(txn.start())
    clock.apply(txn.send_response(make_response(invite, 180)))
    clock.apply(txn.send_response(make_response(invite, 200)))
    assert txn.state is S.TERMINATED
    assert [s.message.status for _, s in clock.sent] == [100, 180, 200]  # type: ignore[union-attr]


# -- matching and misuse --------------------------------------------------------------------------------
def test_matching_keys() -> None:
    invite = new_request("INVITE")
    response = make_response(invite, 200)
    assert client_key(response) == client_key(invite) == (invite.top_via.branch, "INVITE")
    cancel = invite.copy()
    cancel.method = "CANCEL"
    cancel.headers.set("CSeq", f"{invite.cseq.seq} CANCEL")
    assert server_key(cancel) != server_key(invite)
    assert client_key(make_response(cancel, 200)) != client_key(invite)
    other_sent_by = invite.copy()
    other_sent_by.headers.set("Via", f"SIP/2.0/UDP 192.0.2.99:5060;branch={invite.top_via.branch}")
    assert server_key(other_sent_by) != server_key(invite)


def test_rfc2543_matching_without_magic_cookie() -> None:
    invite = new_request("INVITE")
    invite.headers.set("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=oldstyle1")
    ack = make_non2xx_ack(invite, make_response(invite, 486, to_tag="x"))
    assert server_key(ack) == server_key(invite)
    assert server_key(ack)[0] == "2543"
    bye = new_request("BYE")
    assert server_key(bye) != server_key(invite)


def test_wrong_transaction_kind_and_double_start() -> None:
    with pytest.raises(TransactionError):
        NonInviteClientTransaction(new_request("INVITE"), reliable=False)
    with pytest.raises(TransactionError):
        InviteServerTransaction(new_request("MESSAGE"), reliable=False)
    txn = NonInviteClientTransaction(new_request("OPTIONS"), reliable=False)
    txn.start()
    with pytest.raises(TransactionError):
        txn.start()


def test_timer_config_scaling() -> None:
    fast = TimerConfig().scaled(0.01)
    assert fast.t1 == pytest.approx(0.005) and fast.b == pytest.approx(0.32) and fast.d == pytest.approx(0.32)
    assert (T.a, T.e, T.g) == (0.5, 0.5, 0.5) and (T.b, T.f, T.h, T.j) == (32, 32, 32, 32)
    assert (T.i, T.k) == (5, 5)
    with pytest.raises(ValueError):
        TimerConfig(t1=1, t2=0.5)
