"""The SIP core: a transaction-stateful, record-routing proxy between SIP-1 (MCPTT clients) and
SIP-2 (the MCPTT AS), with the registrar of its users.

* REGISTER on SIP-1: digest authentication (see :mod:`mcsec.impl.core.authentication`), To must be the
  user's IMPU, then the REGISTER goes to the AS with ``P-Asserted-Identity`` and the AS's final
  response comes back; a 2xx records (or, with expires 0, removes) the binding.
* Other requests on SIP-1: only on the flow of a live registration (else 403); the identity is
  asserted, the request record-routed twice (RFC 5658) and sent to the AS, the AS being the core's
  only SIP-2 peer.
* Requests on SIP-2 (from the AS's address only): to a registered IMPU (retargeted to its contact,
  sent over the registered flow), or along Route / Request-URI for in-dialog requests; unknown user
  404, known but unregistered 480.
* ACK for 2xx is forwarded statelessly; CANCEL is answered hop by hop by the endpoint (200 and 487)
  and sent on to the downstream INVITE; stray 2xx retransmissions are forwarded by their Via.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mcsec.impl.core.authentication import Challenge401, RegisterAuthenticator
from mcsec.impl.core.config import CoreConfig, CoreUser, uri_key
from mcsec.impl.core.refusal import CoreRefusal, bad_request, forbidden
from mcsec.impl.core.registrar import Binding, Registrar, flow_key
from mcsec.impl.core.routing import (
    Face,
    Target,
    add_record_routes,
    assert_identity,
    check_max_forwards,
    decrement_max_forwards,
    next_hop,
    pop_own_routes,
    request_uri,
    stateless_branch,
    uri_target,
    via_destination,
    without_top_via,
)
from mcsec.impl.sip import (
    Headers,
    InvalidHeaderValue,
    Request,
    Response,
    SipError,
    SipUri,
    TransactionTimeout,
    TransportError,
    new_branch,
)
from mcsec.impl.sip.aio import RequestContext, SipEndpoint
from mcsec.impl.sip.transaction_base import server_key
from mcsec.impl.sip.aio.transport import Flow

log = logging.getLogger("mcsec.core")

#: Methods relayed in both directions (REGISTER only from SIP-1; CANCEL by the endpoint; ACK apart).
PROXIED_METHODS = ("INVITE", "BYE", "MESSAGE", "OPTIONS", "INFO", "UPDATE", "PRACK", "SUBSCRIBE",
                   "NOTIFY", "PUBLISH", "REFER")
#: Timer C of RFC 3261 16.6 step 11 (an INVITE that got a provisional waits at most this long).
TIMER_C_S = 180.0

Handler = Callable[[Request, RequestContext], Awaitable[Response]]


@dataclass(eq=False)
class _PendingInvite:
    forwarded: Request
    endpoint: SipEndpoint
    target: Target


@dataclass(frozen=True)
class _RegistrationChange:
    """What a successful REGISTER does to the bindings: add/refresh, remove, or nothing (query)."""

    binding: Binding | None = None
    remove: bool = False


class SipCore:
    """Request handling of the core on two started endpoints (one per face)."""

    def __init__(self, config: CoreConfig, sip1: SipEndpoint, sip2: SipEndpoint) -> None:
        self.config = config
        self.sip1 = sip1
        self.sip2 = sip2
        self.face1 = Face("SIP-1", config.sip1_host, sip1.udp_address[1])
        self.face2 = Face("SIP-2", config.sip2_host, sip2.udp_address[1])
        self.faces = (self.face1, self.face2)
        self.registrar = Registrar()
        self.authenticator = RegisterAuthenticator(config)
        self._trust_client = "core_trust_client_identity" in config.faults
        self._invite_timeout = TIMER_C_S * config.timers_scale
        self._pending: dict[tuple[str, ...], _PendingInvite] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- wiring -------------------------------------------------------------------------------------
    def install(self) -> None:
        self.sip1.on_request("REGISTER", self._guarded(self._register))
        for method in PROXIED_METHODS:
            self.sip1.on_request(method, self._guarded(self._from_client))
            self.sip2.on_request(method, self._guarded(self._from_as))
        self.sip1.on_request("ACK", self._ack_from_client)
        self.sip2.on_request("ACK", self._ack_from_as)
        self.sip1.on_cancel = self._cancel_downstream
        self.sip2.on_cancel = self._cancel_downstream
        self.sip1.on_stray_response = self._stray_handler(self.face1, self.sip2)
        self.sip2.on_stray_response = self._stray_handler(self.face2, self.sip1)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _guarded(self, handler: Handler) -> Handler:
        async def run(request: Request, ctx: RequestContext) -> Response:
            try:
                return await handler(request, ctx)
            except CoreRefusal as refusal:
                log.info("%s from %s/%s:%d refused: %d %s", request.method, ctx.transport, *ctx.source,
                         refusal.status, refusal.reason)
                return ctx.response(refusal.status, refusal.reason)
            except (InvalidHeaderValue, KeyError):
                return ctx.response(400, "Bad Request (unreadable header)")

        return run

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- SIP-1: REGISTER ----------------------------------------------------------------------------
    async def _register(self, request: Request, ctx: RequestContext) -> Response:
        now = self.registrar.now()
        outcome = self.authenticator.authenticate(request, flow_key(ctx.transport, ctx.source), now)
        if isinstance(outcome, Challenge401):
            return ctx.response(401, headers=[("WWW-Authenticate", outcome.www_authenticate)])
        user = outcome
        to_uri = request.to.uri
        if to_uri is None or uri_key(str(to_uri)) != uri_key(user.impu):
            raise forbidden("To is not the IMPU of the authenticated user")
        change = self._registration_change(request, user, ctx, now)
        check_max_forwards(request)
        forwarded = request.copy()
        forwarded.uri = self.config.as_peer.uri
        forwarded.headers.remove("Authorization")
        assert_identity(forwarded, user.impu, trust_client=self._trust_client)
        decrement_max_forwards(forwarded)
        if change.remove:
            self._unbind(user.impu)
        response = await self._forward(forwarded, ctx, self.sip2, self.face2, self._as_target())
        binding = change.binding
        if binding is not None and response.is_success:
            self.registrar.bind(binding)
            log.info("registered %s over %s/%s:%d", user.impu, binding.transport, *binding.source)
            if "Contact" not in response.headers:
                response.headers.add(
                    "Contact", f"<{binding.contact}>;expires={binding.remaining_s(self.registrar.now())}")
        return response

    def _unbind(self, impu: str) -> None:
        if self.registrar.unbind(impu) is not None:
            log.info("deregistered %s", impu)

    def _registration_change(self, request: Request, user: CoreUser, ctx: RequestContext,
                             now: float) -> _RegistrationChange:
        contacts = request.contacts
        header_expires = request.headers.get("Expires")
        if not contacts:
            return _RegistrationChange()
        if any(c.wildcard for c in contacts):
            if len(contacts) != 1 or header_expires is None or _expires(header_expires) != 0:
                raise bad_request("Contact: * needs Expires: 0")
            return _RegistrationChange(remove=True)
        contact = contacts[0]
        text = contact.param("expires") or header_expires
        expires = _expires(text) if text is not None else self.config.default_expires_s
        expires = min(expires, self.config.max_expires_s)
        if expires == 0:
            return _RegistrationChange(remove=True)
        return _RegistrationChange(Binding(user.impu, str(contact.uri), ctx.transport, ctx.source,
                                           now + expires))

    # -- SIP-1: other requests ----------------------------------------------------------------------
    async def _from_client(self, request: Request, ctx: RequestContext) -> Response:
        binding = self.registrar.by_flow(flow_key(ctx.transport, ctx.source))
        if binding is None:
            raise forbidden("no registration on this flow")
        check_max_forwards(request)
        forwarded = request.copy()
        pop_own_routes(forwarded, self.faces)
        assert_identity(forwarded, binding.impu, trust_client=self._trust_client)
        decrement_max_forwards(forwarded)
        target = self._sip2_target(forwarded)
        add_record_routes(forwarded, inbound=self.face1, inbound_transport=ctx.transport,
                          outbound=self.face2, outbound_transport=target.transport)
        return await self._forward(forwarded, ctx, self.sip2, self.face2, target)

    # -- SIP-2 --------------------------------------------------------------------------------------
    def _from_sip2_peer(self, source: tuple[str, int]) -> bool:
        """Whether a request on SIP-2 comes from the AS's host (or a routed peer's host)."""
        return source[0] == self.config.as_peer.host or any(source[0] == r.host for r in self.config.routes)

    def _check_as_source(self, ctx: RequestContext) -> None:
        if not self._from_sip2_peer(ctx.source):
            raise forbidden("SIP-2 serves the MCPTT AS only")

    async def _from_as(self, request: Request, ctx: RequestContext) -> Response:
        self._check_as_source(ctx)
        check_max_forwards(request)
        forwarded = request.copy()
        pop_own_routes(forwarded, self.faces)
        target, fallback = self._client_target(forwarded)
        decrement_max_forwards(forwarded)
        add_record_routes(forwarded, inbound=self.face2, inbound_transport=ctx.transport,
                          outbound=self.face1, outbound_transport=target.transport)
        return await self._forward(forwarded, ctx, self.sip1, self.face1, target, fallback)

    def _client_target(self, request: Request) -> tuple[Target, Target | None]:
        """Where a request from the AS goes; retargets a registered IMPU to its contact."""
        if request.headers.get_list("Route"):
            uri = next_hop(request)
            if uri is None:
                raise CoreRefusal(416)
            binding = self.registrar.by_contact(str(uri))
            if binding is not None:
                return self._binding_targets(binding)
            return self._literal_target(uri), None
        uri = request_uri(request)
        if uri is None:
            raise CoreRefusal(416)
        binding = self.registrar.by_impu(request.uri)
        if binding is not None:
            request.uri = binding.contact
            return self._binding_targets(binding)
        if self.config.user_by_impu(request.uri) is not None:
            raise CoreRefusal(480)
        binding = self.registrar.by_contact(request.uri)
        if binding is not None:
            return self._binding_targets(binding)
        return self._literal_target(uri), None

    def _literal_target(self, uri: object) -> Target:
        if not isinstance(uri, SipUri):
            raise CoreRefusal(416)
        if any(face.names(uri) for face in self.faces):
            raise CoreRefusal(482)
        target = uri_target(uri)
        if target is None:
            raise CoreRefusal(404)
        return target

    @staticmethod
    def _binding_targets(binding: Binding) -> tuple[Target, Target | None]:
        """The registered flow, and for TCP the contact's address should that connection be gone."""
        primary = Target(binding.source, binding.transport)
        if binding.transport != "tcp":
            return primary, None
        address = binding.contact_address()
        if address is None or address == binding.source:
            return primary, None
        return primary, Target(address, "tcp")

    def _as_target(self) -> Target:
        peer = self.config.as_peer
        return Target(peer.address, peer.transport)

    def _sip2_target(self, request: Request) -> Target:
        """Where a request from SIP-1 goes on SIP-2: a configured route when its Request-URI is the route's
        service identity or names the route's address (an in-dialog request to the remote target); else
        the AS."""
        if self.config.routes:
            key = uri_key(request.uri)
            uri = request_uri(request)
            for route in self.config.routes:
                if key == uri_key(route.uri):
                    return Target(route.address, route.transport)
                if uri is not None and uri.host.strip("[]") == route.host and (uri.port or 5060) == route.port:
                    return Target(route.address, route.transport)
        return self._as_target()

    # -- forwarding ---------------------------------------------------------------------------------
    async def _forward(self, forwarded: Request, ctx: RequestContext, endpoint: SipEndpoint, face: Face,
                       target: Target, fallback: Target | None = None) -> Response:
        """Send ``forwarded`` in a client transaction, relay provisionals, return the final response
        without the core's Via (408 when nobody answers, 503/480 when the next hop is unreachable)."""
        forwarded.headers.prepend("Via", face.via(target.transport, new_branch()))
        key = ctx.transaction.key
        if forwarded.method == "INVITE":
            self._pending[key] = _PendingInvite(forwarded, endpoint, target)

        def provisional(response: Response) -> None:
            if response.status > 100:
                ctx.respond(without_top_via(response))

        timeout = self._invite_timeout if forwarded.method == "INVITE" else None
        try:
            try:
                final = await endpoint.send_request(forwarded, target.address, transport=target.transport,
                                                    add_via=False, timeout=timeout,
                                                    on_provisional=provisional)
            except TransportError:
                if fallback is None:
                    raise
                if key in self._pending:
                    self._pending[key] = _PendingInvite(forwarded, endpoint, fallback)
                final = await endpoint.send_request(forwarded, fallback.address, transport=fallback.transport,
                                                    add_via=False, timeout=timeout,
                                                    on_provisional=provisional)
        except TransactionTimeout:
            raise CoreRefusal(408) from None
        except TransportError:
            raise CoreRefusal(503 if face is self.face2 else 480) from None
        finally:
            self._pending.pop(key, None)
        return without_top_via(final)

    # -- ACK for 2xx (stateless) --------------------------------------------------------------------
    async def _ack_from_client(self, request: Request, ctx: RequestContext) -> None:
        if self.registrar.by_flow(flow_key(ctx.transport, ctx.source)) is None:
            log.info("ACK from unregistered flow %s/%s dropped", ctx.transport, ctx.source)
            return
        await self._forward_ack(request, self.sip2, self.face2, lambda ack: (self._sip2_target(ack), None))

    async def _ack_from_as(self, request: Request, ctx: RequestContext) -> None:
        if not self._from_sip2_peer(ctx.source):
            log.info("ACK on SIP-2 from %s dropped", ctx.source)
            return
        await self._forward_ack(request, self.sip1, self.face1, self._client_target)

    async def _forward_ack(self, request: Request, endpoint: SipEndpoint, face: Face,
                           route: Callable[[Request], tuple[Target, Target | None]]) -> None:
        try:
            forwarded = request.copy()
            pop_own_routes(forwarded, self.faces)
            if forwarded.max_forwards == 0:
                return
            target, fallback = route(forwarded)
            decrement_max_forwards(forwarded)
            forwarded.headers.prepend("Via", face.via(target.transport, stateless_branch(request)))
            try:
                await endpoint.send_stateless(forwarded, target.address, target.transport)
            except TransportError:
                if fallback is None:
                    raise
                await endpoint.send_stateless(forwarded, fallback.address, fallback.transport)
        except (CoreRefusal, SipError, KeyError) as exc:
            log.info("ACK not forwarded: %s", exc if isinstance(exc, CoreRefusal) else type(exc).__name__)

    # -- CANCEL and stray responses -----------------------------------------------------------------
    def _cancel_downstream(self, cancel: Request, invite: Request) -> None:
        """The endpoint answered a CANCEL (200, and 487 to the INVITE): cancel the forwarded INVITE."""
        pending = self._pending.get(server_key(invite))
        if pending is not None:
            self._spawn(self._send_cancel(pending))

    async def _send_cancel(self, pending: _PendingInvite) -> None:
        invite = pending.forwarded
        headers = Headers()
        headers.add("Via", invite.headers.get_list("Via")[0])
        for value in invite.headers.get_all("Route"):
            headers.add("Route", value)
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, invite.headers.get(name) or "")
        headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
        headers.add("Content-Length", "0")
        cancel = Request(method="CANCEL", uri=invite.uri, headers=headers)
        try:
            await pending.endpoint.send_request(cancel, pending.target.address,
                                                transport=pending.target.transport, add_via=False)
        except SipError as exc:
            log.info("CANCEL not answered downstream: %s", type(exc).__name__)

    def _stray_handler(self, face: Face, onward: SipEndpoint) -> Callable[[Response, Flow], None]:
        """Responses matching no transaction: a 2xx to INVITE (retransmitted by the UAS core) whose top
        Via is the core's is relayed statelessly by the next Via; others are dropped."""

        def relay(response: Response, flow: Flow) -> None:
            try:
                via = response.top_via
            except (InvalidHeaderValue, KeyError):
                return
            if via.host.lower() != face.host.lower() or via.port != face.port:
                return
            if not response.is_success or response.cseq.method != "INVITE":
                return  # only 2xx to INVITE outlive their client transaction
            relayed = without_top_via(response)
            destination = via_destination(relayed)
            if destination is not None:
                self._spawn(self._send_stray(onward, relayed, destination))

        return relay

    @staticmethod
    async def _send_stray(endpoint: SipEndpoint, response: Response, target: Target) -> None:
        try:
            await endpoint.send_stateless(response, target.address, target.transport)
        except SipError as exc:
            log.info("stray response not relayed: %s", type(exc).__name__)


def _expires(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not value.isascii() or len(value) > 10:
        raise bad_request("bad expires value")
    return int(value)
