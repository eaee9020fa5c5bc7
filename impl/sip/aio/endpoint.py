"""An asyncio SIP endpoint: UDP and TCP transports plus the transaction layer (RFC 3261 sections 17-18).

* :meth:`SipEndpoint.send_request` sends a request in a client transaction and returns the final
  response, raising :class:`TransactionTimeout` (Timer B/F or the caller's timeout) or
  :class:`TransportError`.
* :meth:`SipEndpoint.on_request` registers a handler per method; the handler gets the request and a
  :class:`RequestContext` and returns the response (or ``None`` after answering with
  :meth:`RequestContext.respond`). Requests without a handler get 405 (with Allow); a handler that raises
  gets the peer a 500. An ACK for a 2xx (no transaction) goes to the ACK handler, if any.
* CANCEL is answered by the endpoint (RFC 3261 section 9.2): 200 and a 487 to the INVITE when it is
  still pending, 481 otherwise.
* Malformed requests are answered with the status their error maps to when the headers allow a
  response; otherwise they are dropped and counted (:attr:`SipEndpoint.stats`). Only start lines are
  logged, never bodies.

The UA core's 2xx duties (RFC 3261 sections 13.3.1.4 and 13.2.2.4): a 2xx to an INVITE is sent again
after T1, doubling up to T2, until the ACK with its Call-ID and CSeq number arrives or 64*T1 has
passed; an ACK sent with :meth:`SipEndpoint.send_stateless` is sent again for each retransmission of
that 2xx, for 64*T1 (impl/sip/ua_core.py). A proxy, which leaves both to the UAs, sets
:attr:`SipEndpoint.ua_core` False.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..client_transactions import ClientTransaction, new_client_transaction
from ..derived import make_error_response, make_response
from ..errors import (
    InvalidHeaderValue,
    SipError,
    SipParseError,
    TransactionError,
    TransactionTimeout,
    TransportError,
)
from ..identifiers import new_branch, new_tag
from ..message import Request, Response
from ..parser import DEFAULT_MAX_MESSAGE_SIZE
from ..server_transactions import InviteServerTransaction, ServerTransaction, new_server_transaction
from ..timers import TimerConfig
from ..transaction_base import (
    Action,
    CancelTimer,
    PassToTU,
    Send,
    StartTimer,
    Terminated,
    Timeout,
    TransactionState,
    TransportFailed,
    client_key,
    server_key,
)
from .transport import Address, Flow, TcpLimits, TcpTransport, UdpTransport
from .ua_core import OkExchange

__all__ = ["SipEndpoint", "RequestContext", "EndpointStats", "RequestHandler"]

log = logging.getLogger("mcsec.sip.endpoint")

RequestHandler = Callable[[Request, "RequestContext"], "Response | None | Awaitable[Response | None]"]


@dataclass
class EndpointStats:
    """Counters kept by an endpoint (no message content)."""

    requests_received: int = 0
    responses_received: int = 0
    malformed_answered: int = 0
    malformed_dropped: int = 0
    stray_responses: int = 0
    retransmissions_sent: int = 0
    request_retransmissions_absorbed: int = 0
    handler_errors: int = 0
    server_timeouts: int = 0
    ok_retransmissions_sent: int = 0   # 2xx to INVITE sent again while no ACK came
    acks_resent: int = 0               # ACK sent again for a retransmitted 2xx
    ok_unacknowledged: int = 0         # 2xx to INVITE given up after 64*T1 without ACK


@dataclass(eq=False)
class RequestContext:
    """What a request handler gets besides the request: where it came from and how to answer."""

    endpoint: SipEndpoint
    flow: Flow
    transaction: ServerTransaction = field(repr=False)
    to_tag: str = ""

    @property
    def source(self) -> Address:
        return self.flow.remote

    @property
    def transport(self) -> str:
        return self.flow.transport

    def respond(self, response: Response) -> None:
        """Send a provisional or final response now (later responses of the handler are ignored)."""
        self.endpoint._server_send(self.transaction, self.flow, response)

    def response(self, status: int, reason: str | None = None, **kwargs: object) -> Response:
        """``make_response`` for this request with the context's To tag (same tag for every response)."""
        return make_response(self.transaction.request, status, reason,  # type: ignore[arg-type]
                             to_tag=self.to_tag, **kwargs)


@dataclass(eq=False)
class _ClientEntry:
    transaction: ClientTransaction
    flow: Flow
    future: asyncio.Future[Response]
    on_provisional: Callable[[Response], None] | None
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)


@dataclass(eq=False)
class _ServerEntry:
    transaction: ServerTransaction
    flow: Flow
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)


def _answer_anyway(error: SipParseError) -> bytes:
    """A 400 for a message RFC 3261 says to drop: what a non-conforming stack would send."""
    readable = error.partial.headers if error.partial is not None else None
    lines = ["SIP/2.0 400 Bad Request", "Via: SIP/2.0/UDP invalid;branch=z9hG4bKmalformed"]
    for name, default in (("From", "<sip:invalid>;tag=x"),
                          ("To", "<sip:invalid>"), ("Call-ID", "malformed"), ("CSeq", "1 OPTIONS")):
        value = readable.get(name) if readable is not None else None
        lines.append(f"{name}: {value or default}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")


class SipEndpoint:
    """Transports plus transactions on one host. Create with :meth:`start`, end with :meth:`close`."""

    def __init__(self, *, host: str = "127.0.0.1", timers: TimerConfig | None = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.host = host
        self.timers = timers or TimerConfig()
        self.max_message_size = max_message_size
        self.stats = EndpointStats()
        self.udp: UdpTransport | None = None
        self.tcp: TcpTransport | None = None
        self._handlers: dict[str, RequestHandler] = {}
        self._clients: dict[tuple[str, str], _ClientEntry] = {}
        self._servers: dict[tuple[str, ...], _ServerEntry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_stray_response: Callable[[Response, Flow], None] | None = None
        #: Called with (cancel, invite) after a CANCEL ended a pending INVITE (a proxy relays it).
        self.on_cancel: Callable[[Request, Request], None] | None = None
        #: The UA core's 2xx duties (retransmit 2xx until ACK, ACK again each retransmitted 2xx): True
        #: for user agents; a proxy sets False and relays both.
        self.ua_core = True
        self._ok_exchange = OkExchange(self.timers, self.stats)
        #: Answer malformed requests with the status their error maps to (RFC 3261): True. False drops
        #: them all; "always" also answers what RFC 3261 drops (deliberate deviations for fault tests).
        self.answer_malformed: bool | str = True

    @classmethod
    async def start(cls, *, host: str = "127.0.0.1", udp_port: int | None = 0,
                    tcp_port: int | None = 0, timers: TimerConfig | None = None,
                    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, netns: str | None = None,
                    tcp_limits: TcpLimits | None = None, bind_outgoing: bool = False) -> SipEndpoint:
        """Bind UDP and/or TCP on ``host`` (port 0: any free port; ``None``: no such transport), with every
        socket in the network namespace ``netns`` when given (impl/netns.py). ``tcp_limits`` bound the TCP
        connections (default :class:`TcpLimits`); with ``bind_outgoing`` the TCP connections the endpoint
        opens leave from its TCP listening port, as its UDP datagrams leave from its UDP port."""
        self = cls(host=host, timers=timers, max_message_size=max_message_size)
        try:
            if udp_port is not None:
                self.udp = await UdpTransport.bind(host, udp_port, on_message=self._on_message,
                                                   on_error=self._on_parse_error,
                                                   max_message_size=max_message_size, netns=netns)
            if tcp_port is not None:
                self.tcp = await TcpTransport.listen(host, tcp_port, on_message=self._on_message,
                                                     on_error=self._on_parse_error,
                                                     max_message_size=max_message_size, netns=netns,
                                                     limits=tcp_limits, bind_outgoing=bind_outgoing)
        except BaseException:
            await self.close()
            raise
        return self

    @property
    def udp_address(self) -> Address:
        if self.udp is None:
            raise TransportError("no UDP transport")
        return self.udp.local_address

    @property
    def tcp_address(self) -> Address:
        if self.tcp is None:
            raise TransportError("no TCP transport")
        return self.tcp.local_address

    def address(self, transport: str) -> Address:
        """The bound address of ``"udp"`` or ``"tcp"``."""
        return self.udp_address if transport == "udp" else self.tcp_address

    async def close(self) -> None:
        """Stop handlers, timers and transports."""
        for entry in list(self._clients.values()):
            self._cancel_timers(entry.timers)
            if not entry.future.done():
                entry.future.set_exception(TransportError("endpoint closed"))
        for server in list(self._servers.values()):
            self._cancel_timers(server.timers)
        self._ok_exchange.close()
        self._clients.clear()
        self._servers.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.udp is not None:
            self.udp.close()
        if self.tcp is not None:
            await self.tcp.close()

    # -- handlers -----------------------------------------------------------------------------------
    def on_request(self, method: str, handler: RequestHandler) -> None:
        """Handle requests of ``method`` (``"ACK"`` receives ACKs for 2xx responses)."""
        self._handlers[method.upper()] = handler

    # -- sending ------------------------------------------------------------------------------------
    async def _flow(self, destination: Address, transport: str) -> Flow:
        if transport == "udp":
            if self.udp is None:
                raise TransportError("no UDP transport")
            return self.udp.flow_to(destination)
        if transport == "tcp":
            if self.tcp is None:
                raise TransportError("no TCP transport")
            return await self.tcp.flow_to(destination)
        raise TransportError(f"unknown transport {transport!r}")

    def _add_via(self, request: Request, flow: Flow) -> None:
        sent_by_port = self.tcp_address[1] if flow.transport == "tcp" else flow.local[1]
        request.headers.prepend(
            "Via", f"SIP/2.0/{flow.transport.upper()} {self.host}:{sent_by_port};branch={new_branch()};rport")

    async def send_raw(self, data: bytes, destination: Address, transport: str = "udp") -> None:
        """Send bytes as they are (crafted or malformed messages), outside any transaction."""
        flow = await self._flow(destination, transport)
        flow.send(data)

    async def send_stateless(self, message: Request | Response, destination: Address,
                             transport: str = "udp") -> None:
        """Send a message outside any transaction (e.g. the ACK for a 2xx). A request without Via
        gets one with a fresh branch."""
        flow = await self._flow(destination, transport)
        if isinstance(message, Request) and "Via" not in message.headers:
            self._add_via(message, flow)
        log.debug("sending %r to %s/%s", message.first_line(), transport, destination)
        data = message.to_bytes()
        flow.send(data)
        if self.ua_core and isinstance(message, Request) and message.method == "ACK":
            self._ok_exchange.ack_sent(message, data, flow)

    async def send_request(self, request: Request, destination: Address, *, transport: str = "udp",
                           timeout: float | None = None, add_via: bool | None = None,
                           on_provisional: Callable[[Response], None] | None = None) -> Response:
        """Send ``request`` in a new client transaction and return its final response.

        A Via with a fresh branch is added on top when ``add_via`` is true, or when ``None`` and the
        request has no Via (a proxy forwarding passes ``True``). ``timeout`` bounds the whole wait;
        without it, Timer B/F ends it (an INVITE that got a provisional waits for the final response).
        The request is modified in place (the added Via), so the caller can build a CANCEL or ACK
        from it. Raises :class:`TransactionTimeout`, :class:`TransportError`, or
        :class:`InvalidHeaderValue` when the top Via has no branch.
        """
        if request.method == "ACK":
            raise TransactionError("ACK has no client transaction; use send_stateless")
        flow = await self._flow(destination, transport)
        if add_via or (add_via is None and "Via" not in request.headers):
            self._add_via(request, flow)
        transaction = new_client_transaction(request, reliable=flow.reliable, timers=self.timers)
        if transaction.key in self._clients:
            raise TransactionError("a client transaction with this branch and method is pending")
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        entry = _ClientEntry(transaction, flow, future, on_provisional)
        self._clients[transaction.key] = entry
        self._run_client(entry, transaction.start())
        try:
            if timeout is None:
                return await future
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            self._drop_client(entry)  # abandoned by the caller: stop retransmitting
            raise TransactionTimeout(
                f"no final response to {request.method} within {timeout} s") from None
        except asyncio.CancelledError:
            self._drop_client(entry)
            raise

    # -- client side driver -------------------------------------------------------------------------
    def _run_client(self, entry: _ClientEntry, actions: list[Action]) -> None:
        txn = entry.transaction
        for action in actions:
            if isinstance(action, Send):
                if action.retransmission:
                    self.stats.retransmissions_sent += 1
                try:
                    entry.flow.send(action.message.to_bytes())
                except TransportError:
                    self._run_client(entry, txn.transport_error())
                    return
            elif isinstance(action, StartTimer):
                self._arm(entry.timers, action, lambda name, e=entry: self._client_timer(e, name))
            elif isinstance(action, CancelTimer):
                handle = entry.timers.pop(action.name, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(action, PassToTU):
                response = action.message
                assert isinstance(response, Response)
                if response.is_provisional:
                    if entry.on_provisional is not None:
                        entry.on_provisional(response)
                elif not entry.future.done():
                    entry.future.set_result(response)
            elif isinstance(action, Timeout):
                if not entry.future.done():
                    entry.future.set_exception(TransactionTimeout(
                        f"no final response to {txn.request.method} (Timer {action.timer} fired)",
                        timer=action.timer))
            elif isinstance(action, TransportFailed):
                if not entry.future.done():
                    entry.future.set_exception(TransportError(
                        f"transport failed while sending {txn.request.method}"))
            elif isinstance(action, Terminated):
                self._drop_client(entry)

    def _client_timer(self, entry: _ClientEntry, name: str) -> None:
        entry.timers.pop(name, None)
        if self._clients.get(entry.transaction.key) is entry:
            self._run_client(entry, entry.transaction.timer_fired(name))

    def _drop_client(self, entry: _ClientEntry) -> None:
        self._cancel_timers(entry.timers)
        if self._clients.get(entry.transaction.key) is entry:
            del self._clients[entry.transaction.key]

    # -- timers -------------------------------------------------------------------------------------
    @staticmethod
    def _arm(timers: dict[str, asyncio.TimerHandle], action: StartTimer,
             callback: Callable[[str], None]) -> None:
        old = timers.pop(action.name, None)
        if old is not None:
            old.cancel()
        timers[action.name] = asyncio.get_running_loop().call_later(action.delay, callback, action.name)

    @staticmethod
    def _cancel_timers(timers: dict[str, asyncio.TimerHandle]) -> None:
        for handle in timers.values():
            handle.cancel()
        timers.clear()

    # -- receiving ----------------------------------------------------------------------------------
    def _on_message(self, message: Request | Response, flow: Flow) -> None:
        try:
            if isinstance(message, Response):
                self._on_response(message, flow)
            else:
                self._on_request(message, flow)
        except (SipError, KeyError, ValueError) as exc:  # never let one message stop a transport
            log.info("could not process %r from %s/%s: %s", message.first_line(), flow.transport,
                     flow.remote, type(exc).__name__)

    def _on_parse_error(self, error: SipParseError, flow: Flow) -> None:
        response = make_error_response(error) if self.answer_malformed else None
        first = error.partial.first_line if error.partial is not None else ""
        if response is None and self.answer_malformed == "always":
            flow.send(_answer_anyway(error))
            return
        if response is None:
            self.stats.malformed_dropped += 1
            log.info("dropped malformed message from %s/%s: %s (first line %r)", flow.transport,
                     flow.remote, error.detail, first[:200])
            return
        self.stats.malformed_answered += 1
        log.info("answering malformed request from %s/%s with %d: %s", flow.transport, flow.remote,
                 response.status, error.detail)
        try:
            flow.send(response.to_bytes())
        except TransportError as exc:
            log.info("could not answer malformed request: %s", exc)

    def _on_response(self, response: Response, flow: Flow) -> None:
        self.stats.responses_received += 1
        try:
            key = client_key(response)
        except (InvalidHeaderValue, KeyError):
            self.stats.stray_responses += 1
            return
        entry = self._clients.get(key)
        if entry is None:
            self.stats.stray_responses += 1
            if self.ua_core and self._ok_exchange.ack_again(response):
                return
            if self.on_stray_response is not None:
                self.on_stray_response(response, flow)
            return
        self._run_client(entry, entry.transaction.receive_response(response))

    @staticmethod
    def _stamp_via(request: Request, flow: Flow) -> None:
        """Add ``received`` (and fill ``rport``) in the top Via (RFC 3261 18.2.1, RFC 3581)."""
        via = request.top_via
        source_host, source_port = flow.remote
        changed = via
        if via.host.strip("[]") != source_host:
            changed = changed.with_param("received", source_host)
        if via.wants_rport and via.rport is None:
            changed = changed.with_param("received", source_host).with_param("rport", str(source_port))
        if changed is not via:
            request.headers.replace_first_element("Via", str(changed))

    def _on_request(self, request: Request, flow: Flow) -> None:
        self.stats.requests_received += 1
        self._stamp_via(request, flow)
        key = server_key(request)
        existing = self._servers.get(key)
        if existing is not None:
            txn = existing.transaction
            if request.method != "ACK" or txn.state is not TransactionState.COMPLETED:
                self.stats.request_retransmissions_absorbed += 1
            self._run_server(existing, txn.receive_request(request))
            return
        if request.method == "ACK":
            self._ok_exchange.acknowledged(request)
            handler = self._handlers.get("ACK")
            if handler is not None:
                self._spawn(self._call_ack_handler(handler, request, flow))
            return
        if request.method == "CANCEL":
            self._answer_cancel(request, flow)
            return
        txn = new_server_transaction(request, reliable=flow.reliable, timers=self.timers)
        entry = _ServerEntry(txn, flow)
        self._servers[key] = entry
        self._run_server(entry, txn.start())
        self._spawn(self._call_handler(entry, request, flow))

    def _answer_cancel(self, cancel: Request, flow: Flow) -> None:
        invite_key = server_key(cancel)[:-1] + ("INVITE",)
        target = self._servers.get(invite_key)
        if target is None or not isinstance(target.transaction, InviteServerTransaction):
            flow.send(make_response(cancel, 481).to_bytes())
            return
        flow.send(make_response(cancel, 200).to_bytes())
        if target.transaction.state is TransactionState.PROCEEDING:
            self._server_send(target.transaction, target.flow,
                              make_response(target.transaction.request, 487))
            if self.on_cancel is not None:
                self.on_cancel(cancel, target.transaction.request)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call_ack_handler(self, handler: RequestHandler, request: Request, flow: Flow) -> None:
        try:
            result = handler(request, RequestContext(self, flow, _AckTransaction(request)))
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # a faulty handler must not stop the endpoint
            self.stats.handler_errors += 1
            log.warning("ACK handler failed: %s", type(exc).__name__)

    async def _call_handler(self, entry: _ServerEntry, request: Request, flow: Flow) -> None:
        txn = entry.transaction
        context = RequestContext(self, flow, txn, to_tag=new_tag())
        # RFC 3261 25.1: the methods are case-sensitive literals ("message" is an extension method, not MESSAGE)
        handler = self._handlers.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(m for m in self._handlers if m != "ACK"))
            extra = [("Allow", allow)] if allow else []
            self._server_send(txn, flow, context.response(405, headers=extra))
            return
        try:
            result = handler(request, context)
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.stats.handler_errors += 1
            log.warning("handler for %s failed: %s", request.method, type(exc).__name__)
            result = context.response(500)
        if result is None:
            if txn.final_response is None and not txn.terminated:
                result = context.response(500, "Server Internal Error (no response)")
            else:
                return
        self._server_send(txn, flow, result)

    def _server_send(self, txn: ServerTransaction, flow: Flow, response: Response) -> None:
        entry = self._servers.get(txn.key)
        if entry is None or entry.transaction is not txn:
            return  # transaction already over (e.g. cancelled and answered)
        try:
            actions = txn.send_response(response)
        except TransactionError:
            return  # a final response was already sent; later ones are ignored
        self._run_server(entry, actions)

    def _response_destination(self, response: Response, flow: Flow) -> Address | None:
        """RFC 3261 18.2.2 / RFC 3581 for unreliable transports: rport -> source; else received/sent-by."""
        if flow.reliable:
            return None
        try:
            via = response.top_via
        except (InvalidHeaderValue, KeyError):
            return None
        if via.rport is not None:
            return (via.received or flow.remote[0], via.rport)
        return (via.received or via.host.strip("[]"), via.port or 5060)

    def _run_server(self, entry: _ServerEntry, actions: list[Action]) -> None:
        txn = entry.transaction
        for action in actions:
            if isinstance(action, Send):
                if action.retransmission:
                    self.stats.retransmissions_sent += 1
                assert isinstance(action.message, Response)
                destination = self._response_destination(action.message, entry.flow)
                data = action.message.to_bytes()
                try:
                    entry.flow.send(data, destination)
                except TransportError:
                    self._run_server(entry, txn.transport_error())
                    return
                if (self.ua_core and not action.retransmission and txn.request.method == "INVITE"
                        and action.message.is_success):
                    self._ok_exchange.sent(action.message, data, entry.flow, destination)
            elif isinstance(action, StartTimer):
                self._arm(entry.timers, action, lambda name, e=entry: self._server_timer(e, name))
            elif isinstance(action, CancelTimer):
                handle = entry.timers.pop(action.name, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(action, Timeout):
                self.stats.server_timeouts += 1
                log.info("no ACK for %s (Timer %s)", txn.request.first_line(), action.timer)
            elif isinstance(action, Terminated):
                self._cancel_timers(entry.timers)
                if self._servers.get(txn.key) is entry:
                    del self._servers[txn.key]

    def _server_timer(self, entry: _ServerEntry, name: str) -> None:
        entry.timers.pop(name, None)
        if self._servers.get(entry.transaction.key) is entry:
            self._run_server(entry, entry.transaction.timer_fired(name))


class _AckTransaction(ServerTransaction):
    """Stands in for the transaction of an ACK to a 2xx (which has none); responding is refused."""

    def __init__(self, request: Request) -> None:  # noqa: D107 - no transaction behaviour
        self.request = request
        self.key = ("ack",)
        self.state = TransactionState.TERMINATED
        self.final_response = None

    def send_response(self, response: Response) -> list[Action]:
        raise TransactionError("an ACK is never answered")
