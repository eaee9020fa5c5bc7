"""A test double of an MCPTT server for load tests: a real UDP SIP endpoint that answers REGISTER,
and answers each MESSAGE with the status a policy gives, or not at all (a server that stops answering,
a server of bounded capacity). A MESSAGE is decided once, on its first arrival; retransmissions get the
same treatment."""
from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from mcsec.impl.sip import Request, parse_message
from mcsec.impl.sip.derived import make_response

Policy = Callable[[int, float], "int | None"]   # (number of the MESSAGE from 1, arrival time) -> status, or silence


def answers_first(count: int) -> Policy:
    """Answers the first ``count`` MESSAGEs with 200, then stops answering."""
    return lambda number, _now: 200 if number <= count else None


def in_turn(statuses: list[int | None]) -> Policy:
    """Answers the n-th MESSAGE with ``statuses[n - 1]`` (None: no answer), 200 after the list."""
    return lambda number, _now: statuses[number - 1] if number <= len(statuses) else 200


def capacity(per_second: int) -> Policy:
    """Answers a MESSAGE only when fewer than ``per_second`` were answered in the second before it."""
    answered: deque[float] = deque()

    def decide(_number: int, now: float) -> int | None:
        while answered and answered[0] <= now - 1.0:
            answered.popleft()
        if len(answered) >= per_second:
            return None
        answered.append(now)
        return 200
    return decide


class StubServer:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.decisions: dict[str, int | None] = {}
        self.registers = 0
        self.messages: dict[str, Request] = {}   # Call-ID -> the MESSAGE as it first arrived
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stub-server", daemon=True)

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    @property
    def answered(self) -> int:
        return sum(d is not None for d in self.decisions.values())

    @property
    def ignored(self) -> int:
        return sum(d is None for d in self.decisions.values())

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                message = parse_message(data)
            except Exception:  # a test double: what it cannot read, it ignores
                continue
            if not isinstance(message, Request):
                continue
            if message.method == "REGISTER":
                self.registers += 1
                expires = message.headers.get("Expires") or "600"
                reply = make_response(message, 200, headers=[("Expires", expires)])
            elif message.method == "MESSAGE":
                call_id = message.call_id
                if call_id not in self.decisions:
                    self.messages[call_id] = message
                    self.decisions[call_id] = self.policy(len(self.decisions) + 1, time.monotonic())
                status = self.decisions[call_id]
                if status is None:
                    continue
                reply = make_response(message, status, reason="Stub" if status == 499 else None)
            else:
                reply = make_response(message, 405)
            self.sock.sendto(reply.to_bytes(), source)
