"""The UA core's end-to-end 2xx/ACK exchange for INVITE (RFC 3261 sections 13.3.1.4 and 13.2.2.4).

Transactions end at a 2xx to an INVITE, so its delivery is the UA cores' affair: the UAS sends the 2xx
again after T1, doubling up to T2, until the ACK with its Call-ID and CSeq number arrives or 64*T1 has
passed; the UAC sends its ACK again, byte for byte, for each retransmission of that 2xx during 64*T1.
:class:`OkExchange` keeps both on behalf of a :class:`~mcsec.impl.sip.aio.endpoint.SipEndpoint`.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidHeaderValue, TransportError
from ..message import Request, Response
from ..timers import TimerConfig
from .transport import Address, Flow

log = logging.getLogger("mcsec.sip.endpoint")

Key = tuple[str, int]  # Call-ID, CSeq number


@dataclass(eq=False)
class _UnackedOk:
    """A 2xx to an INVITE sent by the UAS core and not yet acknowledged."""

    data: bytes
    flow: Flow
    destination: Address | None
    interval: float
    deadline: float
    handle: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class _SentAck:
    """An ACK for a 2xx, kept to answer retransmissions of that 2xx."""

    data: bytes
    flow: Flow
    expires: float


def _key(message: Request | Response) -> Key | None:
    try:
        return (message.call_id, message.cseq.seq)
    except (InvalidHeaderValue, KeyError, ValueError):
        return None


class OkExchange:
    """Unacknowledged 2xx responses (UAS side) and the ACKs sent for 2xx responses (UAC side).

    ``stats`` is the endpoint's counter object (``ok_retransmissions_sent``, ``ok_unacknowledged``,
    ``acks_resent``)."""

    def __init__(self, timers: TimerConfig, stats: Any) -> None:
        self._timers = timers
        self._stats = stats
        self._unacked: dict[Key, _UnackedOk] = {}
        self._acks: dict[Key, _SentAck] = {}

    # -- UAS: the 2xx until its ACK -------------------------------------------------------------------
    def sent(self, response: Response, data: bytes, flow: Flow, destination: Address | None) -> None:
        """``response``, a 2xx to an INVITE, has just been sent as ``data``: send it again until ACKed."""
        key = _key(response)
        if key is None:
            return
        self._forget_unacked(key)
        loop = asyncio.get_running_loop()
        unacked = _UnackedOk(data, flow, destination, self._timers.t1, loop.time() + 64 * self._timers.t1)
        self._unacked[key] = unacked
        unacked.handle = loop.call_later(unacked.interval, self._resend, key, unacked)

    def _resend(self, key: Key, unacked: _UnackedOk) -> None:
        if self._unacked.get(key) is not unacked:
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= unacked.deadline:
            del self._unacked[key]
            self._stats.ok_unacknowledged += 1
            log.info("no ACK for the 2xx of INVITE %s within 64*T1", key[1])
            return
        try:
            unacked.flow.send(unacked.data, unacked.destination)
        except TransportError:
            del self._unacked[key]
            return
        self._stats.ok_retransmissions_sent += 1
        unacked.interval = min(2 * unacked.interval, self._timers.t2)
        unacked.handle = loop.call_later(unacked.interval, self._resend, key, unacked)

    def acknowledged(self, ack: Request) -> None:
        """An ACK arrived: its 2xx is delivered."""
        key = _key(ack)
        if key is not None:
            self._forget_unacked(key)

    def _forget_unacked(self, key: Key) -> None:
        unacked = self._unacked.pop(key, None)
        if unacked is not None and unacked.handle is not None:
            unacked.handle.cancel()

    # -- UAC: the ACK again for each retransmitted 2xx ------------------------------------------------
    def ack_sent(self, ack: Request, data: bytes, flow: Flow) -> None:
        key = _key(ack)
        if key is None:
            return
        now = asyncio.get_running_loop().time()
        for old in [k for k, sent in self._acks.items() if sent.expires <= now]:
            del self._acks[old]
        self._acks[key] = _SentAck(data, flow, now + 64 * self._timers.t1)

    def ack_again(self, response: Response) -> bool:
        """True when ``response`` is a retransmitted 2xx to an INVITE this UA acknowledged: the same
        ACK has been sent again."""
        if not response.is_success:
            return False
        key = _key(response)
        sent = self._acks.get(key) if key is not None else None
        try:
            is_invite = response.cseq.method == "INVITE"
        except (InvalidHeaderValue, KeyError, ValueError):
            return False
        if sent is None or not is_invite or sent.expires <= asyncio.get_running_loop().time():
            return False
        try:
            sent.flow.send(sent.data)
        except TransportError:
            return True
        self._stats.acks_resent += 1
        return True

    def close(self) -> None:
        for key in list(self._unacked):
            self._forget_unacked(key)
        self._acks.clear()
