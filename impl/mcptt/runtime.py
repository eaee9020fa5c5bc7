"""The asyncio runtime an MCPTT role runs its SIP endpoint in.

The role processes are threaded (``mcsec.impl.rolemain``, the HTTPS servers); SIP runs on its own event
loop in a thread. :class:`SipRuntime` binds one :class:`~mcsec.impl.sip.SipEndpoint` on the same port for
UDP and TCP, and lets other threads run coroutines on the loop with a bounded wait.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from mcsec.impl.mcptt.trace import SipTrace
from mcsec.impl.sip import TimerConfig
from mcsec.impl.sip.aio import SipEndpoint
from mcsec.impl.sip.aio.transport import TcpLimits, free_port_pair

T = TypeVar("T")
_PORT_ATTEMPTS = 20


class RuntimeStartError(RuntimeError):
    """The SIP endpoint could not be bound."""


class SipRuntime:
    """An event loop thread with one SIP endpoint (UDP and TCP on one port)."""

    def __init__(self, *, host: str, port: int, timers: TimerConfig, trace: SipTrace | None = None,
                 setup: Callable[[SipEndpoint], None] | None = None, netns: str | None = None,
                 tcp_limits: TcpLimits | None = None) -> None:
        self.host = host
        self.netns = netns  # the network namespace the SIP sockets are opened in (None: the process's own)
        self._port = port
        self._timers = timers
        self._trace = trace
        self._setup = setup
        self._tcp_limits = tcp_limits
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sip", daemon=True)
        self.endpoint: SipEndpoint | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def port(self) -> int:
        assert self.endpoint is not None, "runtime not started"
        return self.endpoint.udp_address[1]

    def start(self, timeout: float = 10.0) -> None:
        """Start the loop and bind the endpoint (``setup`` registers the handlers first)."""
        self._thread.start()
        last: Exception | None = None
        for _ in range(_PORT_ATTEMPTS if self._port == 0 else 1):
            try:
                port = self._port or free_port_pair(self.host, self.netns)
            except OSError as exc:
                self.stop()
                raise RuntimeStartError(f"cannot bind SIP on {self.host}: {exc}") from None
            try:
                self.endpoint = self.run(SipEndpoint.start(host=self.host, udp_port=port, tcp_port=port,
                                                           timers=self._timers, netns=self.netns,
                                                           tcp_limits=self._tcp_limits), timeout)
                break
            except OSError as exc:  # the port was taken between the probe and the bind
                last = exc
        else:
            self.stop()
            raise RuntimeStartError(f"cannot bind SIP on {self.host}:{self._port}: {last}")
        if self._trace is not None:
            self._trace.attach(self.endpoint)
        if self._setup is not None:
            self._setup(self.endpoint)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop from another thread; ``TimeoutError`` after ``timeout`` s."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"not done within {timeout} s") from None

    def stop(self) -> None:
        if self.endpoint is not None and self._loop.is_running():
            try:
                self.run(self.endpoint.close(), 5.0)
            except Exception:  # stopping anyway
                pass
            self.endpoint = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if self._trace is not None:
            self._trace.close()
