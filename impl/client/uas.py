"""The MCPTT client as a UAS: the MESSAGE and INVITE requests the MCPTT server sends it through the SIP core.

For each request: the mcptt-info part is found (an unsupported body with ``handling=required``: 415), a
protected one opened with the CEK its Key ID names among the keys the client holds (none, or a body that
does not open: 493, always the same answer, RFC 3261 21.4.28), its replay stamp checked (replayed or
moved: 403). A clear mcptt-info is refused with 403 when protection is required. The 200 carries the
answer's mcptt-info (set through the upper tester, ``POST /ut/v1/answer``; by default the request's
mcptt-info with ``mcptt-called-party-id`` set to the client's own MCPTT ID), protected under the CEK of
the request and stamped for the response, with ``Content-Disposition: attachment; handling=required``.
The 200 to an INVITE carries the SDP answer beside it. BYE is answered 200; ACK needs no answer.
"""
from __future__ import annotations

import logging
import threading

from mcsec.impl.client.config import ClientConfig
from mcsec.impl.client.session import ClientSession
from mcsec.impl.client.ua import McpttUa
from mcsec.impl.mcptt import sdp
from mcsec.impl.mcptt.body import SealingKey, SipBinding, accepted_types, key_id_of, open_info, read_body, read_clear
from mcsec.impl.mcptt.errors import BodyError, ProtectionRequired, UndecipherableBody, UnsupportedBody, warning_header
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.sip import Request, Response
from mcsec.impl.sip.aio import RequestContext, SipEndpoint

log = logging.getLogger("mcsec.client.uas")

METHODS = ("MESSAGE", "INVITE")


class ClientUas:
    def __init__(self, config: ClientConfig, session: ClientSession, ua: McpttUa) -> None:
        self.config = config
        self.session = session
        self.ua = ua
        self._lock = threading.Lock()
        self._answer_info: McpttInfo | None = None  # None: echo the request's, naming the client as called party

    @property
    def answer_info(self) -> McpttInfo | None:
        with self._lock:
            return self._answer_info

    def set_answer_info(self, info: McpttInfo | None) -> None:
        with self._lock:
            self._answer_info = info

    def install(self, endpoint: SipEndpoint) -> None:
        for method in METHODS:
            endpoint.on_request(method, self.handle)
        endpoint.on_request("ACK", lambda request, ctx: None)
        endpoint.on_request("BYE", lambda request, ctx: ctx.response(200))

    @property
    def _warn_agent(self) -> str:
        return self.config.user.domain

    def handle(self, request: Request, ctx: RequestContext) -> Response:
        try:
            response = self._handle(request, ctx)
        except UndecipherableBody as exc:
            if "client_accept_undecipherable_request" in self.config.faults:
                response = ctx.response(200)
            else:
                response = ctx.response(exc.sip_status, exc.sip_reason)
        except UnsupportedBody as exc:
            accept = ", ".join(accepted_types(clear_info=not self.config.protection_required))
            response = ctx.response(exc.sip_status, exc.sip_reason, headers=[("Accept", accept)])
        except BodyError as exc:
            extra = [("Warning", warning_header(self._warn_agent, exc.warning))] if exc.warning else []
            response = ctx.response(exc.sip_status, exc.sip_reason, headers=extra)
        log.info("%s %s received -> %d", request.method, request.call_id[:24], response.status)
        return response

    def _handle(self, request: Request, ctx: RequestContext) -> Response:
        binding = SipBinding.of_request(request)
        received = read_body(request)
        part = received.info_part
        key: SealingKey | None = None
        info: McpttInfo | None = None
        if part is not None and not part.protected:
            if self.config.protection_required:
                raise ProtectionRequired("mcptt-info in clear")
            info = read_clear(part).info
        elif part is not None:
            key_id = key_id_of(part)
            cek = self.session.lookup(key_id)
            if cek is None:
                raise UndecipherableBody("no CEK with this Key ID is held")
            info = open_info(part, key_lookup=lambda _k: cek, guard=self.ua.guard, binding=binding).info
            if "client_answer_clear" not in self.config.faults:
                key = SealingKey(key_id, cek)
        answer = self.answer_info
        if answer is None and info is not None:
            answer = info.merged(called_party_id=self.config.user.mcptt_id)
        offer = None
        extra: list[tuple[str, str]] = []
        if request.method == "INVITE":
            if received.sdp is not None:
                offer = sdp.answer(ctx.flow.local[0])
            host, port = ctx.flow.local
            transport = ";transport=tcp" if ctx.transport == "tcp" else ""
            user = self.config.user.impu.split(":", 1)[-1].split("@", 1)[0]
            extra.append(("Contact", f"<sip:{user}@{host}:{port}{transport}>"))
        body = self.ua.body_for(answer if part is not None else None, key, binding.for_status(200), offer)
        response = ctx.response(200, headers=extra)
        if body is not None:
            body.apply(response)
        return response
