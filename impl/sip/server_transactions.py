"""Server transactions (RFC 3261 section 17.2): INVITE (Figure 7) and non-INVITE (Figure 8). No I/O.

The transaction is created for a request that matched no existing transaction; the driver hands that
request to the TU itself. Later requests matching the key go to :meth:`receive_request`
(retransmissions, and the ACK of a 300-699 answer to an INVITE); responses from the TU go through
:meth:`send_response`.
"""

from __future__ import annotations

from .derived import make_response
from .errors import TransactionError
from .message import Request, Response
from .timers import TimerConfig
from .transaction_base import (
    Action,
    CancelTimer,
    Send,
    ServerKey,
    StartTimer,
    Terminated,
    Timeout,
    TransactionState,
    TransportFailed,
    server_key,
)

__all__ = ["ServerTransaction", "NonInviteServerTransaction", "InviteServerTransaction",
           "new_server_transaction"]

S = TransactionState


class ServerTransaction:
    """Common part: the request, transport kind, timers, state and counters."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None) -> None:
        self.request = request
        self.reliable = reliable
        self.timers = timers or TimerConfig()
        self.key: ServerKey = server_key(request)
        self.state: TransactionState = S.TRYING
        self.retransmissions = 0  # responses sent again
        self.requests_absorbed = 0  # request retransmissions seen
        self.last_provisional: Response | None = None
        self.final_response: Response | None = None

    @property
    def terminated(self) -> bool:
        return self.state is S.TERMINATED

    def start(self) -> list[Action]:
        """Actions to perform when the transaction is created."""
        return []

    def receive_request(self, request: Request) -> list[Action]:
        raise NotImplementedError

    def send_response(self, response: Response) -> list[Action]:
        raise NotImplementedError

    def timer_fired(self, name: str) -> list[Action]:
        raise NotImplementedError

    def transport_error(self) -> list[Action]:
        if self.state is S.TERMINATED:
            return []
        self.state = S.TERMINATED
        return [TransportFailed(), Terminated()]

    def _terminate(self, *extra: Action) -> list[Action]:
        self.state = S.TERMINATED
        return [*extra, Terminated()]

    def _resend(self, response: Response | None) -> list[Action]:
        if response is None:
            return []
        self.retransmissions += 1
        return [Send(response, retransmission=True)]


class NonInviteServerTransaction(ServerTransaction):
    """RFC 3261 section 17.2.2."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None) -> None:
        if request.method in ("INVITE", "ACK"):
            raise TransactionError(f"{request.method} does not use a non-INVITE server transaction")
        super().__init__(request, reliable=reliable, timers=timers)

    def receive_request(self, request: Request) -> list[Action]:
        self.requests_absorbed += 1
        if self.state is S.PROCEEDING:
            return self._resend(self.last_provisional)
        if self.state is S.COMPLETED:
            return self._resend(self.final_response)
        return []  # Trying: discarded

    def send_response(self, response: Response) -> list[Action]:
        if self.state not in (S.TRYING, S.PROCEEDING):
            raise TransactionError(f"cannot send a response in state {self.state.value}")
        if response.is_provisional:
            self.state = S.PROCEEDING
            self.last_provisional = response
            return [Send(response)]
        self.state = S.COMPLETED
        self.final_response = response
        if self.reliable:
            return self._terminate(Send(response))
        return [Send(response), StartTimer("J", self.timers.j)]

    def timer_fired(self, name: str) -> list[Action]:
        if name == "J" and self.state is S.COMPLETED:
            return self._terminate()
        return []


class InviteServerTransaction(ServerTransaction):
    """RFC 3261 section 17.2.1. With ``send_trying`` a 100 (Trying) goes out on creation."""

    def __init__(self, request: Request, *, reliable: bool, timers: TimerConfig | None = None,
                 send_trying: bool = True) -> None:
        if request.method != "INVITE":
            raise TransactionError(f"{request.method} does not use an INVITE server transaction")
        super().__init__(request, reliable=reliable, timers=timers)
        self.state = S.PROCEEDING
        self.send_trying = send_trying
        self._interval = self.timers.g
        self.ack: Request | None = None

    def start(self) -> list[Action]:
        if not self.send_trying:
            return []
        trying = make_response(self.request, 100)
        self.last_provisional = trying
        return [Send(trying)]

    def receive_request(self, request: Request) -> list[Action]:
        if request.method == "ACK":
            if self.state is S.COMPLETED:
                self.ack = request
                self.state = S.CONFIRMED
                actions: list[Action] = [CancelTimer("G"), CancelTimer("H")]
                if self.reliable:
                    return self._terminate(*actions)
                return [*actions, StartTimer("I", self.timers.i)]
            self.requests_absorbed += 1
            return []
        self.requests_absorbed += 1
        if self.state is S.PROCEEDING:
            return self._resend(self.last_provisional)
        if self.state is S.COMPLETED:
            return self._resend(self.final_response)
        return []

    def send_response(self, response: Response) -> list[Action]:
        if self.state is not S.PROCEEDING:
            raise TransactionError(f"cannot send a response in state {self.state.value}")
        if response.is_provisional:
            self.last_provisional = response
            return [Send(response)]
        self.final_response = response
        if response.is_success:
            # The TU retransmits 2xx until the ACK arrives (RFC 3261 section 13.3.1.4).
            return self._terminate(Send(response))
        self.state = S.COMPLETED
        actions: list[Action] = [Send(response), StartTimer("H", self.timers.h)]
        if not self.reliable:
            actions.append(StartTimer("G", self._interval))
        return actions

    def timer_fired(self, name: str) -> list[Action]:
        if name == "G" and self.state is S.COMPLETED:
            self._interval = min(2 * self._interval, self.timers.t2)
            return [*self._resend(self.final_response), StartTimer("G", self._interval)]
        if name == "H" and self.state is S.COMPLETED:
            return self._terminate(CancelTimer("G"), Timeout("H"))
        if name == "I" and self.state is S.CONFIRMED:
            return self._terminate()
        return []


def new_server_transaction(request: Request, *, reliable: bool, timers: TimerConfig | None = None,
                           send_trying: bool = True) -> ServerTransaction:
    """The server transaction kind ``request`` needs (not for ACK: raises TransactionError)."""
    if request.method == "INVITE":
        return InviteServerTransaction(request, reliable=reliable, timers=timers,
                                       send_trying=send_trying)
    return NonInviteServerTransaction(request, reliable=reliable, timers=timers)
