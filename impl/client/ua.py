"""The MCPTT client's SIP user agent: REGISTER (with digest at the SIP core), MESSAGE, PUBLISH and
INVITE carrying the mcptt-info protected under the CEK, and the reading of protected answers.

Every request goes to the SIP core (the outbound proxy of the configuration). Async; runs on the
client's SIP runtime loop.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from mcsec.impl.client.config import ClientConfig
from mcsec.impl.client.errors import UtError
from mcsec.impl.client.session import ClientSession
from mcsec.impl.mcptt import sdp
from mcsec.impl.client import deviations
from mcsec.impl.mcptt.body import (
    OpenedInfo,
    OutgoingBody,
    SealingKey,
    SensitivePart,
    SipBinding,
    build_body,
    format_key_id,
    key_id_of,
    open_info,
    read_body,
    read_clear,
)
from mcsec.impl.mcptt.errors import BodyError, MalformedInfo, ReplayedBody, UndecipherableBody, UnsupportedBody
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.info import parse as info_parse
from mcsec.impl.mcptt.mikey_body import build_mikey_body
from mcsec.impl.sip import (
    Request,
    Response,
    TransactionTimeout,
    TransportError,
    make_2xx_ack,
    make_request,
    new_call_id,
)
from mcsec.impl.sip.aio import SipEndpoint
from mcsec.impl.sip.digest import Challenge, DigestError, authorization
from mcsec.impl.smime import ReplayGuard, ReplayPolicy, SmimeError
from mcsec.impl.smime import mime as smime_mime

log = logging.getLogger("mcsec.client.sip")

_PROBLEMS = {UndecipherableBody: "undecipherable", ReplayedBody: "replayed", MalformedInfo: "malformed",
             UnsupportedBody: "unsupported"}
UNPROTECTED = "unprotected"  # a clear mcptt-info in an answer when protection is required: not taken


@dataclass(frozen=True)
class Outcome:
    """A request's final answer, as the upper tester reports it."""

    request: Request
    response: Response
    key: SealingKey | None
    response_body: dict

    def to_json(self) -> dict:
        return {
            "status": self.response.status,
            "reason": self.response.reason,
            "call_id": self.request.call_id,
            "request_body": {"protected": self.key is not None,
                             "key_id": format_key_id(self.key.key_id) if self.key is not None else None},
            "response_body": self.response_body,
        }


class McpttUa:
    def __init__(self, config: ClientConfig, session: ClientSession) -> None:
        self.config = config
        self.session = session
        self.endpoint: SipEndpoint | None = None
        self.guard = ReplayGuard(ReplayPolicy(require_stamp=config.replay_stamp))
        self._cseq = 0

    def attach(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint

    # --- helpers --------------------------------------------------------------------------------
    @property
    def _core(self) -> tuple[str, int]:
        return self.config.core.host, self.config.core.port

    def _next_cseq(self) -> int:
        self._cseq += 1
        return self._cseq

    def _contact(self) -> str:
        assert self.endpoint is not None
        host, port = self.endpoint.udp_address
        user = self.config.user.impu.split(":", 1)[-1].split("@", 1)[0]
        transport = ";transport=tcp" if self.config.core.transport == "tcp" else ""
        return f"<sip:{user}@{host}:{port}{transport}>"

    def _new_request(self, method: str, uri: str, to: str, *, call_id: str, cseq: int,
                     from_tag: str | None = None, headers: list[tuple[str, str]] | None = None) -> Request:
        user = self.config.user
        return make_request(method, uri, from_=f"<{user.impu}>", to=f"<{to}>", call_id=call_id, cseq=cseq,
                            from_tag=from_tag, contact=self._contact(), headers=headers or [])

    async def _send(self, request: Request) -> Response:
        assert self.endpoint is not None
        try:
            return await self.endpoint.send_request(request, self._core, transport=self.config.core.transport,
                                                    timeout=self.config.sip_timeout_s)
        except TransactionTimeout:
            raise UtError(504, "sip_timeout", f"no final response to {request.method} in time") from None
        except TransportError as exc:
            raise UtError(502, "sip_transport_error", str(exc)) from None

    def read_response(self, response: Response, sent_under: SealingKey | None = None) -> dict:
        """What a response's body holds: protected or not, the Key ID, the mcptt-info it opened to. A body
        that does not open with the CEK its Key ID names among the held ones, or a clear mcptt-info when
        protection is required, is reported as a ``problem`` and its mcptt-info is not taken."""
        faults = self.config.faults
        result: dict = {"protected": False, "key_id": None, "mcptt_info": None, "problem": None,
                        "content_type": response.headers.get("Content-Type")}
        try:
            received = read_body(response, honour_handling=False)
            part = received.info_part
            if part is None:
                return result
            if not part.protected:
                if self.config.protection_required and "client_accept_clear_answer" not in faults:
                    result["problem"] = UNPROTECTED
                    return result
                result["mcptt_info"] = read_clear(part).info.to_dict()
                return result
            result["protected"] = True
            key_id = key_id_of(part)
            result["key_id"] = format_key_id(key_id)
            lookup = self.session.lookup
            if "client_accept_foreign_key_id" in faults and sent_under is not None:
                lookup = lambda k: self.session.lookup(k) or sent_under.cek  # noqa: E731 - the fault
            binding = SipBinding.of_response(response)
            try:
                opened = open_info(part, key_lookup=lookup, guard=self.guard, binding=binding)
            except UndecipherableBody:
                if "client_accept_unauthenticated_answer" not in faults or lookup(key_id) is None:
                    raise
                opened = self._open_unauthenticated(part, lookup(key_id), binding)
            result["mcptt_info"] = opened.info.to_dict()
        except BodyError as exc:
            result["problem"] = _PROBLEMS.get(type(exc), "malformed")
        return result

    def _open_unauthenticated(self, part: SensitivePart, cek: bytes, binding: SipBinding) -> OpenedInfo:
        """The fault ``client_accept_unauthenticated_answer``: the content taken without its GCM tag."""
        try:
            opened = deviations.open_unauthenticated(part.data, cek)
            self.guard.check(opened.replay_stamp, context=binding.context())
            inner = smime_mime.parse_entity(opened.content)
            return OpenedInfo(info_parse(inner.body), protected=True, key_id=int.from_bytes(opened.key_id, "big"))
        except (SmimeError, ValueError):
            raise UndecipherableBody("protected body cannot be opened") from None

    def body_for(self, info: McpttInfo | None, key: SealingKey | None, binding: SipBinding,
                 offer: bytes | None = None) -> OutgoingBody | None:
        """The body of a message the client sends (a request, or its answer to one)."""
        faults = self.config.faults
        if info is not None and offer is None and "client_token_on_sip" in faults and self.session.token:
            body = deviations.with_token(info, key, binding, self.session.token, stamp=self.config.replay_stamp)
        else:
            body = build_body(info, key=key, binding=binding, sdp=offer, stamp=self.config.replay_stamp)
        if body is not None and key is not None and "client_no_handling_required" in faults:
            body = deviations.without_disposition(body)
        return body

    def _with_body(self, request: Request, info: McpttInfo | None, key: SealingKey | None,
                   offer: bytes | None = None) -> None:
        body = self.body_for(info, key, SipBinding.of_request(request), offer)
        if body is not None:
            body.apply(request)

    # --- operations -----------------------------------------------------------------------------
    async def register(self, *, expires: int, key: SealingKey | None, with_info: bool = True) -> Outcome:
        user = self.config.user
        info = McpttInfo(calling_user_id=user.mcptt_id) if with_info else None
        call_id = new_call_id()
        request = self._new_request("REGISTER", f"sip:{user.domain}", user.impu, call_id=call_id,
                                    cseq=self._next_cseq(), headers=[("Expires", str(expires))])
        tag = request.from_.tag
        self._with_body(request, info, key)
        response = await self._send(request)
        if response.status in (401, 407):
            header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            answer = "Authorization" if response.status == 401 else "Proxy-Authorization"
            try:
                challenge = Challenge.parse(response.headers.get(header) or "")
            except DigestError as exc:
                raise UtError(502, "sip_bad_challenge", str(exc)) from None
            request = self._new_request("REGISTER", f"sip:{user.domain}", user.impu, call_id=call_id,
                                        cseq=self._next_cseq(), from_tag=tag,
                                        headers=[("Expires", str(expires))])
            request.headers.add(answer, authorization(challenge, username=user.username,
                                                      password=user.sip_password, method="REGISTER",
                                                      uri=f"sip:{user.domain}"))
            self._with_body(request, info, key)
            response = await self._send(request)
        if response.is_success:
            self.session.registered = expires > 0
        log.info("REGISTER -> %d", response.status)
        return Outcome(request, response, key, self.read_response(response, key))

    async def upload_csk(self, *, to: str, i_message: bytes) -> Response:
        """A MESSAGE to the MCPTT server carrying the I_MESSAGE (clause 7.14 CSK upload)."""
        request = self._new_request("MESSAGE", to, to, call_id=new_call_id(), cseq=self._next_cseq())
        build_mikey_body(i_message).apply(request)
        response = await self._send(request)
        log.info("MESSAGE (CSK upload) -> %d", response.status)
        return response

    async def message(self, *, to: str, info: McpttInfo, key: SealingKey | None) -> Outcome:
        request = self._new_request("MESSAGE", to, to, call_id=new_call_id(), cseq=self._next_cseq())
        self._with_body(request, info, key)
        response = await self._send(request)
        log.info("MESSAGE -> %d", response.status)
        return Outcome(request, response, key, self.read_response(response, key))

    async def publish(self, *, to: str, info: McpttInfo, key: SealingKey | None, event: str,
                      expires: int) -> Outcome:
        request = self._new_request("PUBLISH", to, to, call_id=new_call_id(), cseq=self._next_cseq(),
                                    headers=[("Event", event), ("Expires", str(expires))])
        self._with_body(request, info, key)
        response = await self._send(request)
        log.info("PUBLISH -> %d", response.status)
        return Outcome(request, response, key, self.read_response(response, key))

    async def invite(self, *, to: str, info: McpttInfo, key: SealingKey | None) -> Outcome:
        assert self.endpoint is not None
        request = self._new_request("INVITE", to, to, call_id=new_call_id(), cseq=self._next_cseq())
        self._with_body(request, info, key, offer=sdp.offer(self.endpoint.host))
        response = await self._send(request)
        if response.is_success:
            ack = make_2xx_ack(request, response)
            try:
                await self.endpoint.send_stateless(ack, self._core, self.config.core.transport)
            except TransportError as exc:
                log.info("could not send the ACK: %s", exc)
        log.info("INVITE -> %d", response.status)
        outcome = Outcome(request, response, key, self.read_response(response, key))
        answer = None
        try:
            answer = read_body(response, honour_handling=False).sdp
        except BodyError:
            pass
        outcome.response_body["sdp_answer"] = answer.decode("utf-8", "replace") if answer else None
        return outcome
