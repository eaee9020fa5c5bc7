"""The SIP core as a role process: an asyncio loop in a thread behind start()/stop().

``build(config)`` validates the configuration and returns the service and the ready-line info, which
``start()`` completes with the bound addresses: ``{"sip1": {"host", "port"}, "sip2": {"host", "port"},
"domain", "trace_path"}``. Each face serves UDP and TCP on one port number.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from mcsec.impl.core.config import CoreConfig, load_config
from mcsec.impl.core.proxy import SipCore
from mcsec.impl.core.trace import TraceWriter
from mcsec.impl.rotation import UNBOUNDED
from mcsec.impl.sip import TimerConfig
from mcsec.impl.sip.aio import SipEndpoint
from mcsec.impl.sip.aio.transport import TcpLimits, free_port_pair

log = logging.getLogger("mcsec.core")

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 4.0
_PORT_ATTEMPTS = 20


class CoreStartError(RuntimeError):
    """The core could not bind its ports or open its trace."""


async def bind_face(host: str, port: int, timers: TimerConfig, tcp_limits: TcpLimits | None = None,
                    bind_outgoing: bool = False) -> SipEndpoint:
    """An endpoint serving UDP and TCP on the same port (a free one when ``port`` is 0)."""
    options = {"timers": timers, "tcp_limits": tcp_limits, "bind_outgoing": bind_outgoing}
    if port:
        return await SipEndpoint.start(host=host, udp_port=port, tcp_port=port, **options)
    last: OSError | None = None
    for _ in range(_PORT_ATTEMPTS):
        try:
            candidate = free_port_pair(host)
            return await SipEndpoint.start(host=host, udp_port=candidate, tcp_port=candidate, **options)
        except OSError as exc:  # taken between the probe and the bind: try another
            last = exc
    raise CoreStartError(f"no port free for both UDP and TCP on {host}: {last}")


class CoreService:
    """Startable: runs :class:`SipCore` on its own event loop thread."""

    def __init__(self, config: CoreConfig, info: dict) -> None:
        self.config = config
        self.info = info
        unbounded = "core_unbounded_trace" in config.faults
        self.trace = TraceWriter(config.trace_path, rotation=UNBOUNDED if unbounded else config.rotation)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def start(self) -> None:
        try:
            self.trace.open()
        except OSError as exc:
            raise CoreStartError(f"trace_path: cannot open {self.trace.path}: {exc.strerror}") from None
        self._thread = threading.Thread(target=self._run, name="sip-core", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise CoreStartError(f"not serving within {START_TIMEOUT_S:.0f} s")
        if self._error is not None:
            self.trace.close()
            if isinstance(self._error, OSError):
                # an address taken between the lab choosing it and the core binding it: said as such
                # (impl/rolemain.py: "cannot serve ... in use"), so the lab chooses its ports again
                raise self._error
            raise CoreStartError(str(self._error)) from self._error

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # loop already closed
                pass
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S + 1.0)
            if self._thread.is_alive():
                log.warning("core loop did not stop in time")
        self.trace.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() if it happens before ready
            if not self._ready.is_set():
                self._error = exc
                self._ready.set()
            else:
                log.error("core loop ended: %s", type(exc).__name__)

    async def _main(self) -> None:
        config = self.config
        timers = TimerConfig().scaled(config.timers_scale)
        sip1 = sip2 = None
        try:
            limits = config.tcp.unbounded if "core_keep_idle_tcp" in config.faults else config.tcp
            sip1 = await bind_face(config.sip1_host, config.sip1_port, timers, limits)
            # Requests to the MCPTT server leave SIP-2 from its listening port over TCP too, as over UDP:
            # the server trusts P-Asserted-Identity from that address and port only (RFC 3325).
            sip2 = await bind_face(config.sip2_host, config.sip2_port, timers, limits, bind_outgoing=True)
            sip1.ua_core = sip2.ua_core = False  # a proxy relays 2xx retransmissions and ACKs, it makes none
            if "core_drop_malformed" in config.faults:
                sip1.answer_malformed = sip2.answer_malformed = False
            if "core_answer_unanswerable" in config.faults:
                sip1.answer_malformed = sip2.answer_malformed = "always"
        except (OSError, CoreStartError) as exc:
            for endpoint in (sip1, sip2):
                if endpoint is not None:
                    await endpoint.close()
            self._error = exc
            self._ready.set()
            return
        for endpoint, ref in ((sip1, "SIP-1"), (sip2, "SIP-2")):
            for transport in (endpoint.udp, endpoint.tcp):
                assert transport is not None
                transport.on_wire = self.trace.hook(ref)
        core = SipCore(config, sip1, sip2)
        core.install()
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self.info.update({
            "sip1": {"host": config.sip1_host, "port": sip1.udp_address[1]},
            "sip2": {"host": config.sip2_host, "port": sip2.udp_address[1]},
            "domain": config.domain,
            "trace_path": str(self.trace.path),
        })
        log.info("SIP-1 on %s:%d, SIP-2 on %s:%d, AS at %s/%s:%d", config.sip1_host, sip1.udp_address[1],
                 config.sip2_host, sip2.udp_address[1], config.as_peer.transport, *config.as_peer.address)
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            try:
                await asyncio.wait_for(self._close(core, sip1, sip2), STOP_TIMEOUT_S)
            except asyncio.TimeoutError:
                log.warning("core endpoints did not close in time")

    @staticmethod
    async def _close(core: SipCore, sip1: SipEndpoint, sip2: SipEndpoint) -> None:
        await core.close()
        await sip1.close()
        await sip2.close()


def build(config: dict) -> tuple[list[CoreService], dict]:
    """The role builder for :func:`mcsec.impl.rolemain.run_role`; raises ConfigError naming a bad item."""
    core_config = load_config(config)
    info: dict = {"domain": core_config.domain, "trace_path": core_config.trace_path}
    return [CoreService(core_config, info)], info
