"""What every transaction shares: states, the actions a state machine asks its driver to perform, and
the matching keys of RFC 3261 sections 17.1.3 and 17.2.3.

Transactions are sans-IO: each input (``start``, ``receive_*``, ``send_response``, ``timer_fired``,
``transport_error``) returns a list of actions. The driver sends :class:`Send` messages on the
transaction's transport, arms timers for :class:`StartTimer` (re-arming replaces a pending timer of the
same name) and calls ``timer_fired(name)`` when one expires, cancels on :class:`CancelTimer`, hands
:class:`PassToTU` messages to the transaction user, and forgets the transaction on :class:`Terminated`.
A timer that fires in a state where it no longer applies is ignored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import InvalidHeaderValue
from .identifiers import is_rfc3261_branch
from .message import Request, Response

__all__ = [
    "TransactionState",
    "Send",
    "StartTimer",
    "CancelTimer",
    "PassToTU",
    "Timeout",
    "TransportFailed",
    "Terminated",
    "Action",
    "ClientKey",
    "ServerKey",
    "client_key",
    "server_key",
]


class TransactionState(enum.Enum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


@dataclass(frozen=True)
class Send:
    """Send ``message`` on the transaction's transport (a retransmission when ``retransmission``)."""

    message: Request | Response
    retransmission: bool = False


@dataclass(frozen=True)
class StartTimer:
    """Arm timer ``name`` to fire after ``delay`` seconds (replacing a pending one of that name)."""

    name: str
    delay: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class PassToTU:
    """Hand ``message`` to the transaction user (a response for client transactions)."""

    message: Request | Response


@dataclass(frozen=True)
class Timeout:
    """The transaction timed out; ``timer`` names the timer that fired (B, F or H)."""

    timer: str


@dataclass(frozen=True)
class TransportFailed:
    """The transport reported a failure; the transaction is terminated."""


@dataclass(frozen=True)
class Terminated:
    """The transaction has ended; the driver may drop it and its timers."""


Action = Send | StartTimer | CancelTimer | PassToTU | Timeout | TransportFailed | Terminated

#: Client transaction key: (branch of the top Via, CSeq method) - RFC 3261 section 17.1.3.
ClientKey = tuple[str, str]
#: Server transaction key - RFC 3261 section 17.2.3; the first item says which rule made it.
ServerKey = tuple[str, ...]


def client_key(message: Request | Response) -> ClientKey:
    """Key of the client transaction a request creates or a response belongs to.

    Responses match on the top Via branch and the CSeq method (so a CANCEL's 200 never matches the
    INVITE). Raises :class:`InvalidHeaderValue` when there is no branch.
    """
    branch = message.top_via.branch
    if not branch:
        raise InvalidHeaderValue("top Via has no branch")
    method = message.method if isinstance(message, Request) else message.cseq.method
    return (branch, method)


def server_key(request: Request) -> ServerKey:
    """Key of the server transaction a request belongs to.

    With an RFC 3261 branch (magic cookie): branch, sent-by and method, ACK counting as INVITE. For
    older peers (RFC 2543 branch or none): Request-URI, From tag, Call-ID, CSeq number, top Via and method
    (ACK as INVITE). The To tag is left out so that an ACK finds its INVITE transaction.
    """
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    if is_rfc3261_branch(via.branch):
        return ("3261", via.branch or "", via.sent_by.lower(), method)
    return ("2543", request.uri, request.from_.tag or "", request.call_id, str(request.cseq.seq),
            str(via).lower(), method)
