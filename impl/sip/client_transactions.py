"""Client transactions (RFC 3261 section 17.1): non-INVITE (Figure 6) and INVITE (Figure 5). No I/O."""

from __future__ import annotations

from .derived import make_non2xx_ack
from .errors import TransactionError
from .message import Request, Response
from .timers import TimerConfig
from .transaction_base import (
    Action,
    CancelTimer,
    ClientKey,
    PassToTU,
    Send,
    StartTimer,
    Terminated,
    Timeout,
    TransactionState,
    TransportFailed,
    client_key,
)

__all__ = ["ClientTransaction", "NonInviteClientTransaction", "InviteClientTransaction",
           "new_client_transaction"]

S = TransactionState


class ClientTransaction:
    """Common part: the request, the transport kind, timers, state and a retransmission counter."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None) -> None:
        self.request = request
        self.reliable = reliable
        self.timers = timers or TimerConfig()
        self.key: ClientKey = client_key(request)
        self.state: TransactionState | None = None
        self.retransmissions = 0
        self.last_response: Response | None = None

    @property
    def terminated(self) -> bool:
        return self.state is S.TERMINATED

    def start(self) -> list[Action]:
        raise NotImplementedError

    def receive_response(self, response: Response) -> list[Action]:
        raise NotImplementedError

    def timer_fired(self, name: str) -> list[Action]:
        raise NotImplementedError

    def transport_error(self) -> list[Action]:
        """The transport could not send: terminate and tell the TU (RFC 3261 section 17.1.4)."""
        if self.state is S.TERMINATED:
            return []
        self.state = S.TERMINATED
        return [TransportFailed(), Terminated()]

    def _check_started(self) -> None:
        if self.state is None:
            raise TransactionError("transaction not started")

    def _terminate(self, *extra: Action) -> list[Action]:
        self.state = S.TERMINATED
        return [*extra, Terminated()]


class NonInviteClientTransaction(ClientTransaction):
    """REGISTER, MESSAGE, PUBLISH, OPTIONS, BYE, ... (RFC 3261 section 17.1.2)."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None) -> None:
        if request.method in ("INVITE", "ACK"):
            raise TransactionError(f"{request.method} does not use a non-INVITE client transaction")
        super().__init__(request, reliable=reliable, timers=timers)
        self._interval = self.timers.e

    def start(self) -> list[Action]:
        if self.state is not None:
            raise TransactionError("transaction already started")
        self.state = S.TRYING
        actions: list[Action] = [Send(self.request), StartTimer("F", self.timers.f)]
        if not self.reliable:
            actions.append(StartTimer("E", self._interval))
        return actions

    def timer_fired(self, name: str) -> list[Action]:
        self._check_started()
        if name == "E" and self.state in (S.TRYING, S.PROCEEDING):
            if self.state is S.TRYING:
                self._interval = min(2 * self._interval, self.timers.t2)
            else:
                self._interval = self.timers.t2
            self.retransmissions += 1
            return [Send(self.request, retransmission=True), StartTimer("E", self._interval)]
        if name == "F" and self.state in (S.TRYING, S.PROCEEDING):
            return self._terminate(CancelTimer("E"), Timeout("F"))
        if name == "K" and self.state is S.COMPLETED:
            return self._terminate()
        return []

    def receive_response(self, response: Response) -> list[Action]:
        self._check_started()
        if self.state in (S.TRYING, S.PROCEEDING):
            self.last_response = response
            if response.is_provisional:
                self.state = S.PROCEEDING
                return [PassToTU(response)]
            self.state = S.COMPLETED
            actions: list[Action] = [CancelTimer("E"), CancelTimer("F"), PassToTU(response)]
            if self.reliable:
                return self._terminate(*actions)
            return [*actions, StartTimer("K", self.timers.k)]
        return []  # Completed: retransmitted finals are absorbed


class InviteClientTransaction(ClientTransaction):
    """INVITE (RFC 3261 section 17.1.1), including the ACK for 300-699 responses."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None) -> None:
        if request.method != "INVITE":
            raise TransactionError(f"{request.method} does not use an INVITE client transaction")
        super().__init__(request, reliable=reliable, timers=timers)
        self._interval = self.timers.a
        self.ack: Request | None = None

    def start(self) -> list[Action]:
        if self.state is not None:
            raise TransactionError("transaction already started")
        self.state = S.CALLING
        actions: list[Action] = [Send(self.request), StartTimer("B", self.timers.b)]
        if not self.reliable:
            actions.append(StartTimer("A", self._interval))
        return actions

    def timer_fired(self, name: str) -> list[Action]:
        self._check_started()
        if name == "A" and self.state is S.CALLING:
            self._interval *= 2
            self.retransmissions += 1
            return [Send(self.request, retransmission=True), StartTimer("A", self._interval)]
        if name == "B" and self.state is S.CALLING:
            return self._terminate(CancelTimer("A"), Timeout("B"))
        if name == "D" and self.state is S.COMPLETED:
            return self._terminate()
        return []

    def receive_response(self, response: Response) -> list[Action]:
        self._check_started()
        if self.state in (S.CALLING, S.PROCEEDING):
            self.last_response = response
            if response.is_provisional:
                self.state = S.PROCEEDING
                return [CancelTimer("A"), CancelTimer("B"), PassToTU(response)]
            if response.is_success:
                # 2xx: the TU acknowledges end to end (RFC 3261 section 13.2.2.4).
                return self._terminate(CancelTimer("A"), CancelTimer("B"), PassToTU(response))
            self.state = S.COMPLETED
            self.ack = make_non2xx_ack(self.request, response)
            actions: list[Action] = [CancelTimer("A"), CancelTimer("B"), Send(self.ack),
                                     PassToTU(response)]
            if self.reliable:
                return self._terminate(*actions)
            return [*actions, StartTimer("D", self.timers.d)]
        if self.state is S.COMPLETED and not response.is_provisional and not response.is_success:
            assert self.ack is not None
            return [Send(self.ack, retransmission=True)]
        return []


def new_client_transaction(request: Request, *, reliable: bool,
                           timers: TimerConfig | None = None) -> ClientTransaction:
    """The client transaction kind ``request`` needs (ACK has none: raises TransactionError)."""
    if request.method == "INVITE":
        return InviteClientTransaction(request, reliable=reliable, timers=timers)
    return NonInviteClientTransaction(request, reliable=reliable, timers=timers)
