"""asyncio transports for SIP: UDP datagrams and TCP streams (RFC 3261 section 18).

Both deliver what they receive to two callbacks: ``on_message(message, flow)`` for parsed messages and
``on_error(error, flow)`` for bytes that failed to parse (a :class:`SipParseError` with its partial
message). A :class:`Flow` says where a message came from and answers on the same path: the UDP socket
towards the source address, or the TCP connection the message arrived on.

Keep-alives are tolerated: empty/CRLF-only datagrams are ignored; on TCP a CRLFCRLF ping is answered
with a CRLF pong and lone CRLFs are skipped (RFC 5626 section 3.5.1). Only start lines are logged.

TCP connections are bounded (:class:`TcpLimits`): a connection with no traffic either way for
``idle_timeout_s`` is closed (traffic, keep-alive pings included, resets the timer, so a connection in
use stays open), and so is one holding part of a message that is not complete ``partial_timeout_s``
after its first byte (however slowly the rest trickles in). Accepted connections are capped per peer
address (``max_connections_per_peer``) and overall (``max_connections``, which counts the connections
the transport opened too); a connection beyond a cap is reset as soon as it is accepted. A peer that
does not read what is sent to it is cut off once ``max_write_buffer`` bytes wait for it.

A message trace can observe the exact bytes: set ``on_wire`` of a transport to a callable
``(direction, data, flow, peer, parsed)``, called with ``"in"`` for every datagram or TCP frame
received (once parsed, before it is handled; ``parsed`` is the message or the
:class:`SipParseError`, so the trace need not parse it again) and ``"out"`` for every message sent
(keep-alives excluded; ``parsed`` is None). ``None`` (the default) observes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from mcsec.impl.netns import socket_in

from ..errors import SipParseError, TransportError
from ..framing import Frame, FramingFailure, Ping, StreamFramer
from ..message import Request, Response
from ..parser import DEFAULT_MAX_MESSAGE_SIZE, parse_message

__all__ = ["ConnectionClock", "Flow", "TransportStats", "UdpTransport", "TcpTransport", "TcpConnection", "TcpLimits", "Address",
           "WireHook", "free_port_pair"]

log = logging.getLogger("mcsec.sip.transport")

Address = tuple[str, int]
OnMessage = Callable[[Request | Response, "Flow"], None]
OnError = Callable[[SipParseError, "Flow"], None]
Parsed = "Request | Response | SipParseError | None"
WireHook = Callable[[str, bytes, "Flow", Address, Parsed], None]

_READ_CHUNK = 65536


_PORT_ATTEMPTS = 20


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class PortReservation:
    """Ports held bound (not listening) while a caller chooses several at once, so that no two of its
    choices are the same port; ``release()`` frees them just before the servers that use them start."""

    def __init__(self) -> None:
        self._held: list[socket.socket] = []

    def tcp(self, host: str, netns: str | None = None) -> int:
        tcp = socket_in(netns, _family(host), socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((host, 0))
        self._held.append(tcp)
        return tcp.getsockname()[1]

    def pair(self, host: str, netns: str | None = None) -> int:
        """A port number free for both UDP and TCP on ``host`` (in namespace ``netns``): SIP serves both on
        one port. Raises OSError when none is found in a bounded number of tries."""
        family = _family(host)
        for _ in range(_PORT_ATTEMPTS):
            udp = socket_in(netns, family, socket.SOCK_DGRAM)
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            tcp = socket_in(netns, family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            self._held += [udp, tcp]
            return port
        raise OSError(f"no port free for both UDP and TCP on {host}")

    def release(self) -> None:
        held, self._held = self._held, []
        for sock in held:
            sock.close()


def free_port_pair(host: str, netns: str | None = None) -> int:
    """A port number free for both UDP and TCP on ``host`` (in namespace ``netns``) right now: SIP
    serves both on one port. Raises OSError when none is found in a bounded number of tries."""
    reservation = PortReservation()
    try:
        return reservation.pair(host, netns)
    finally:
        reservation.release()


@dataclass(frozen=True)
class TcpLimits:
    """Bounds of the TCP connections of one transport (docs/sip.md, "TCP connections")."""

    idle_timeout_s: float = 300.0          # no byte either way for this long: closed
    partial_timeout_s: float = 32.0        # a message not complete this long after its first byte: closed
    max_connections: int = 1024            # accepted ones are refused beyond this many in all
    max_connections_per_peer: int = 64     # accepted ones are refused beyond this many from one address
    max_write_buffer: int = 1024 * 1024    # bytes waiting for a peer that does not read: closed beyond
    enforced: bool = True                  # False only under a fault that restores unbounded connections

    def __post_init__(self) -> None:
        for name in ("idle_timeout_s", "partial_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        for name in ("max_connections", "max_connections_per_peer", "max_write_buffer"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def unbounded(self) -> "TcpLimits":
        """These limits switched off (the fault that restores idle and partial connections kept forever)."""
        return TcpLimits(self.idle_timeout_s, self.partial_timeout_s, self.max_connections,
                         self.max_connections_per_peer, self.max_write_buffer, enforced=False)


@dataclass
class ConnectionClock:
    """When a TCP connection is due to be closed, from its traffic (sans-IO: times are given).

    ``traffic(now, in_message)`` after bytes went either way; ``in_message`` says whether part of a
    message is now held waiting for the rest (None: unchanged, e.g. after a send). The deadline is
    the idle limit from the last traffic, or the partial-message limit from the first byte of the
    incomplete message, whichever comes first; more bytes of that message do not move the latter."""

    limits: TcpLimits
    last_traffic: float
    partial_since: float | None = None

    def traffic(self, now: float, in_message: bool | None = None) -> None:
        self.last_traffic = now
        if in_message is False:
            self.partial_since = None
        elif in_message and self.partial_since is None:
            self.partial_since = now

    def deadline(self) -> tuple[float, str]:
        idle = (self.last_traffic + self.limits.idle_timeout_s, "idle")
        if self.partial_since is None:
            return idle
        return min(idle, (self.partial_since + self.limits.partial_timeout_s, "partial"))


@dataclass
class TransportStats:
    """Counters of one transport (no message content is kept)."""

    received: int = 0
    sent: int = 0
    keepalives: int = 0
    parse_errors: int = 0
    connections_closed_on_error: int = 0
    connections_refused: int = 0          # accepted beyond a cap and reset at once
    connections_closed_idle: int = 0      # no traffic for idle_timeout_s
    connections_closed_partial: int = 0   # a message incomplete partial_timeout_s after its first byte
    connections_closed_unread: int = 0    # the peer did not read: max_write_buffer exceeded


@dataclass(eq=False)
class Flow:
    """The path a message arrived on, usable to answer: ``transport`` is ``"udp"`` or ``"tcp"``."""

    transport: str
    remote: Address
    local: Address
    udp: UdpTransport | None = field(default=None, repr=False)
    connection: TcpConnection | None = field(default=None, repr=False)

    @property
    def reliable(self) -> bool:
        return self.transport != "udp"

    def send(self, data: bytes, remote: Address | None = None) -> None:
        """Send bytes back on this flow (UDP: to ``remote`` or the source address)."""
        if self.connection is not None:
            self.connection.send(data)
        elif self.udp is not None:
            self.udp.send(data, remote or self.remote)
        else:  # pragma: no cover - a flow always has one of the two
            raise TransportError("flow without transport")


def _first_line(data: bytes) -> str:
    line = data.split(b"\r\n", 1)[0][:200]
    return line.decode("utf-8", errors="replace")


def _deliver(data: bytes, flow: Flow, *, stream: bool, max_size: int, stats: TransportStats,
             on_message: OnMessage, on_error: OnError, on_wire: WireHook | None) -> None:
    try:
        message = parse_message(data, stream=stream, max_size=max_size)
    except SipParseError as exc:
        if on_wire is not None:
            on_wire("in", data, flow, flow.remote, exc)
        stats.parse_errors += 1
        log.info("malformed message from %s/%s: %s (first line %r)", flow.transport, flow.remote,
                 exc.detail, _first_line(data))
        on_error(exc, flow)
        return
    if on_wire is not None:
        on_wire("in", data, flow, flow.remote, message)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("received %r from %s/%s", message.first_line(), flow.transport, flow.remote)
    on_message(message, flow)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple) -> None:  # type: ignore[type-arg]
        self.owner._datagram(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        log.info("UDP error: %s", exc)


class UdpTransport:
    """A bound UDP socket. Create with :meth:`bind`."""

    name = "udp"
    reliable = False

    def __init__(self, on_message: OnMessage, on_error: OnError, max_message_size: int) -> None:
        self._on_message = on_message
        self._on_error = on_error
        self.max_message_size = max_message_size
        self.stats = TransportStats()
        self.on_wire: WireHook | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self.local_address: Address = ("", 0)

    @classmethod
    async def bind(cls, host: str = "127.0.0.1", port: int = 0, *, on_message: OnMessage,
                   on_error: OnError, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
                   netns: str | None = None) -> UdpTransport:
        """Bind to ``host:port`` (``port=0`` picks a free port; see :attr:`local_address`), in the network
        namespace ``netns`` when given."""
        self = cls(on_message, on_error, max_message_size)
        loop = asyncio.get_running_loop()
        sock = socket_in(netns, _family(host), socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=sock)
        self._transport = transport
        sockname = transport.get_extra_info("sockname")
        self.local_address = (sockname[0], sockname[1])
        return self

    def _datagram(self, data: bytes, remote: Address) -> None:
        self.stats.received += 1
        if not data.strip(b"\r\n \t"):
            self.stats.keepalives += 1
            return
        flow = Flow("udp", remote, self.local_address, udp=self)
        _deliver(data, flow, stream=False, max_size=self.max_message_size, stats=self.stats,
                 on_message=self._on_message, on_error=self._on_error, on_wire=self.on_wire)

    def send(self, data: bytes, remote: Address) -> None:
        """Send one datagram."""
        if self._transport is None or self._transport.is_closing():
            raise TransportError("UDP transport is closed")
        self._transport.sendto(data, remote)
        self.stats.sent += 1
        if self.on_wire is not None:
            self.on_wire("out", data, self.flow_to(remote), remote, None)

    def flow_to(self, remote: Address) -> Flow:
        """A flow for sending to ``remote`` from this socket."""
        return Flow("udp", remote, self.local_address, udp=self)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class TcpConnection:
    """One TCP connection with its framer, its reader task and its idle / partial-message timer."""

    def __init__(self, owner: TcpTransport, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, *, accepted: bool = False) -> None:
        self.owner = owner
        self.accepted = accepted  # the peer opened it (counted against the per-peer cap)
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        sock = writer.get_extra_info("sockname")
        self.remote: Address = (peer[0], peer[1])
        self.local: Address = (sock[0], sock[1])
        self.framer = StreamFramer(owner.max_message_size)
        self.flow = Flow("tcp", self.remote, self.local, connection=self)
        self.closed = False
        self._task: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self.clock = ConnectionClock(owner.limits, self._loop.time())
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._task = self._loop.create_task(self._read_loop())
        self._arm()

    # --- the one timer: idle connection, or a message left incomplete --------------------------------
    def _arm(self) -> None:
        """Set the timer for the current deadline, unless it is set for that time or earlier already
        (it re-checks when it fires, so a deadline that traffic moved later needs nothing now)."""
        if self.closed or not self.owner.limits.enforced:
            return
        when, _ = self.clock.deadline()
        if self._timer is not None:
            if self._timer.when() <= when:
                return
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._check)

    def _check(self) -> None:
        """Fired at the earliest deadline known when armed; traffic since may have moved it later."""
        self._timer = None
        if self.closed:
            return
        when, why = self.clock.deadline()
        if self._loop.time() < when:
            self._arm()
            return
        stats = self.owner.stats
        if why == "idle":
            stats.connections_closed_idle += 1
            log.info("closing TCP connection from %s: no traffic for %.0f s", self.remote,
                     self.owner.limits.idle_timeout_s)
        else:
            stats.connections_closed_partial += 1
            log.info("closing TCP connection from %s: a message still incomplete %.0f s after its first byte",
                     self.remote, self.owner.limits.partial_timeout_s)
        self.close()

    def send(self, data: bytes) -> None:
        if self.closed or self.writer.is_closing():
            raise TransportError(f"TCP connection to {self.remote} is closed")
        limits = self.owner.limits
        if limits.enforced and self.writer.transport.get_write_buffer_size() + len(data) > limits.max_write_buffer:
            self.owner.stats.connections_closed_unread += 1
            log.info("closing TCP connection to %s: %d bytes wait for a peer that does not read", self.remote,
                     self.writer.transport.get_write_buffer_size())
            self.close()
            raise TransportError(f"TCP connection to {self.remote} closed: the peer does not read")
        self.writer.write(data)
        self.clock.traffic(self._loop.time())
        self.owner.stats.sent += 1
        if self.owner.on_wire is not None:
            self.owner.on_wire("out", data, self.flow, self.remote, None)

    async def _read_loop(self) -> None:
        stats = self.owner.stats
        try:
            while not self.closed:
                data = await self.reader.read(_READ_CHUNK)
                if not data:
                    break
                for event in self.framer.feed(data):
                    if isinstance(event, Ping):
                        stats.keepalives += 1
                        self.writer.write(b"\r\n")
                    elif isinstance(event, Frame):
                        stats.received += 1
                        _deliver(event.data, self.flow, stream=True,
                                 max_size=self.owner.max_message_size, stats=stats,
                                 on_message=self.owner._on_message, on_error=self.owner._on_error,
                                 on_wire=self.owner.on_wire)
                    elif isinstance(event, FramingFailure):
                        stats.parse_errors += 1
                        stats.connections_closed_on_error += 1
                        log.info("unframeable TCP stream from %s: %s", self.remote, event.error.detail)
                        self.owner._on_error(event.error, self.flow)
                        return
                self.clock.traffic(self._loop.time(), self.framer.in_message)
                self._arm()  # the first byte of a message brings the deadline forward
        except (ConnectionError, OSError) as exc:
            log.info("TCP connection to %s failed: %s", self.remote, exc)
        except asyncio.CancelledError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.owner._forget(self)
        self.writer.close()

    async def wait_closed(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


class TcpTransport:
    """A TCP listener plus the connections it accepted or opened. Create with :meth:`listen`."""

    name = "tcp"
    reliable = True

    def __init__(self, on_message: OnMessage, on_error: OnError, max_message_size: int,
                 limits: TcpLimits | None = None) -> None:
        self._on_message = on_message
        self._on_error = on_error
        self.max_message_size = max_message_size
        self.limits = limits or TcpLimits()
        self.stats = TransportStats()
        self.on_wire: WireHook | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[Address, TcpConnection] = {}
        self._all: set[TcpConnection] = set()
        self._per_peer: dict[str, int] = {}  # peer address (host) -> live connections it opened to us
        self.local_address: Address = ("", 0)
        self.netns: str | None = None
        self.source_port: int | None = None  # connections it opens leave from this port (bind_outgoing)

    @classmethod
    async def listen(cls, host: str = "127.0.0.1", port: int = 0, *, on_message: OnMessage,
                     on_error: OnError, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
                     netns: str | None = None, limits: TcpLimits | None = None,
                     bind_outgoing: bool = False) -> TcpTransport:
        """Listen on ``host:port`` (``port=0`` picks a free port; see :attr:`local_address`), in the network
        namespace ``netns`` when given; connections it opens are made there too. With ``bind_outgoing``
        the connections it opens leave from the listening address and port (SO_REUSEPORT on both), so a
        peer that trusts this address and port can tell them from any other local process's."""
        self = cls(on_message, on_error, max_message_size, limits)
        self.netns = netns
        sock = socket_in(netns, _family(host), socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if bind_outgoing:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(100)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._server = await asyncio.start_server(self._accepted, sock=sock)
        sockname = self._server.sockets[0].getsockname()
        self.local_address = (sockname[0], sockname[1])
        if bind_outgoing:
            self.source_port = self.local_address[1]
        return self

    @property
    def connection_count(self) -> int:
        """Live connections, accepted and opened."""
        return len(self._all)

    def connections_from(self, host: str) -> int:
        """Live connections that ``host`` opened to this transport."""
        return self._per_peer.get(host, 0)

    def _adopt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
               accepted: bool = False) -> TcpConnection:
        connection = TcpConnection(self, reader, writer, accepted=accepted)
        self._connections[connection.remote] = connection
        self._all.add(connection)
        if accepted:
            self._per_peer[connection.remote[0]] = self._per_peer.get(connection.remote[0], 0) + 1
        connection.start()
        return connection

    def _over_cap(self, host: str) -> str | None:
        if not self.limits.enforced:
            return None
        if len(self._all) >= self.limits.max_connections:
            return f"{len(self._all)} connections in all"
        if self._per_peer.get(host, 0) >= self.limits.max_connections_per_peer:
            return f"{self._per_peer[host]} connections from {host}"
        return None

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        reason = self._over_cap(peer[0]) if peer else None
        if reason is not None:
            self.stats.connections_refused += 1
            if self.stats.connections_refused == 1 or self.stats.connections_refused % 100 == 0:
                log.warning("refusing TCP connections beyond the cap (%s); %d refused so far", reason,
                            self.stats.connections_refused)
            sock = writer.get_extra_info("socket")
            if sock is not None:  # a reset, not a close: no TIME_WAIT left behind for refused connections
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()
            return
        self._adopt(reader, writer, accepted=True)

    def _forget(self, connection: TcpConnection) -> None:
        if self._connections.get(connection.remote) is connection:
            del self._connections[connection.remote]
        if connection in self._all:
            self._all.discard(connection)
            if not connection.accepted:
                return
            host = connection.remote[0]
            left = self._per_peer.get(host, 0) - 1
            if left > 0:
                self._per_peer[host] = left
            else:
                self._per_peer.pop(host, None)

    async def connect(self, remote: Address, *, timeout: float = 5.0) -> TcpConnection:
        """An open connection to ``remote``: an existing one (accepted or opened) or a new one."""
        existing = self._connections.get(remote)
        if existing is not None and not existing.closed:
            return existing
        try:
            reader, writer = await asyncio.wait_for(self._open(remote), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise TransportError(f"cannot connect to {remote[0]}:{remote[1]} over TCP: {exc}") from exc
        return self._adopt(reader, writer)

    async def _open(self, remote: Address) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.netns is None and self.source_port is None:
            return await asyncio.open_connection(*remote)
        sock = socket_in(self.netns, _family(remote[0]), socket.SOCK_STREAM)
        try:
            if self.source_port is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.bind((self.local_address[0], self.source_port))
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, remote)
        except BaseException:
            sock.close()
            raise
        return await asyncio.open_connection(sock=sock)

    async def flow_to(self, remote: Address) -> Flow:
        return (await self.connect(remote)).flow

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        connections = list(self._all)
        for connection in connections:
            connection.close()
        for connection in connections:
            await connection.wait_closed()
        if self._server is not None:
            await self._server.wait_closed()
