"""The MCPTT server's SIP UAS: REGISTER, MESSAGE, PUBLISH and INVITE with mcptt-info bodies.

For each request: the sender is the P-Asserted-Identity the SIP core inserted, trusted only when the
request came from the core's SIP-2 address and port (``trusted_peers``; none, or from elsewhere: 403); the
body's mcptt-info part is found (unsupported required body: 415), opened with the CEK its Key ID
names at the sender's KMS (a CEK is identified by (KMS URI, Key ID); any key or decryption failure:
493, always the same answer), its replay stamp checked (replayed or moved: 403), and its calling
user checked against the sender's MCPTT ID. A clear mcptt-info is refused with 403 and a Warning
when protection is required. The 200 echoes the mcptt-info the server understood, protected with the
same CEK and stamped for the response.

Clause 7.14: a MESSAGE whose body is ``application/mikey`` uploads a CSK in a MIKEY-SAKKE I_MESSAGE
(:mod:`mcsec.impl.server.csk_upload`); a body whose Key ID carries the CSK purpose tag is opened with the
CSK bound to its sender, never fetched from the KMS. docs/sip-protection.md lists every answer.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from mcsec.impl.faults import Faults
from mcsec.impl.kms.cekxml import KmsCek
from mcsec.impl.mcptt import sdp
from mcsec.impl.mcptt.body import (
    OpenedInfo,
    SealingKey,
    SensitivePart,
    SipBinding,
    accepted_types,
    build_body,
    key_id_of,
    open_info,
    read_body,
    read_clear,
)
from mcsec.impl.mcptt.errors import BodyError, ProtectionRequired, UndecipherableBody, UnsupportedBody, warning_header
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.mikey_body import MIKEY_TYPE, is_mikey_body, read_mikey_body
from mcsec.impl.server.config import ServerConfig
from mcsec.impl.server.csk_store import BoundCsk, CskStore
from mcsec.impl.server.csk_upload import CskReceiver, UploadRefused, Uploader
from mcsec.impl.server.keystore import KeyServiceUnavailable, KeyStore
from mcsec.impl.server.replay_faults import server_guard
from mcsec.impl.sip import InvalidHeaderValue, Request, Response, SipError, SipUri, parse_uri
from mcsec.impl.sip.aio import RequestContext, SipEndpoint
from mcsec.impl.sip.header_values import parse_name_address

log = logging.getLogger("mcsec.server")

METHODS = ("REGISTER", "MESSAGE", "PUBLISH", "INVITE")
CSK_PURPOSE_TAG = 2  # the 4 most significant bits of a CSK-ID (TS 33.180)


class Refusal(Exception):
    """A request refused before or after its body: status, reason and an optional Warning text."""

    def __init__(self, status: int, reason: str, warning: str | None = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.warning = warning


@dataclass(frozen=True)
class Sender:
    impu: str
    mcptt_id: str


def identity_key(uri_text: str) -> str | None:
    """A comparable form of a SIP URI (scheme, user, lower-case host; parameters ignored)."""
    try:
        uri = parse_uri(uri_text.strip())
    except (ValueError, SipError):
        return None
    if not isinstance(uri, SipUri):
        return None
    return f"{uri.scheme.lower()}:{uri.user or ''}@{uri.host.lower()}"


class McpttUas:
    """The request handlers of the MCPTT server; install with :meth:`install`."""

    def __init__(self, config: ServerConfig, keys: KeyStore, csk: CskReceiver | None = None) -> None:
        self.config = config
        self.keys = keys
        self.csk = csk
        self.csks: CskStore = csk.store if csk is not None else CskStore()
        self.faults: Faults = config.faults
        self._csks_used: set[int] = set()  # Key IDs of CSKs a body was opened under (used by a fault only)
        self.guard = server_guard(config.replay, self.faults)
        self.registrations: dict[str, str] = {}  # IMPU -> MCPTT ID
        self._users: dict[str, tuple[str, str]] = {}
        for impu, mcptt_id in config.users.items():
            key = identity_key(impu)
            if key is not None:
                self._users[key] = (impu, mcptt_id)

    def install(self, endpoint: SipEndpoint) -> None:
        for method in METHODS:
            endpoint.on_request(method, self.handle)
        endpoint.on_request("ACK", lambda request, ctx: None)
        endpoint.on_request("BYE", lambda request, ctx: ctx.response(200))
        if "server_drop_malformed" in self.faults:
            endpoint.answer_malformed = False
        elif "server_answer_unanswerable" in self.faults:
            endpoint.answer_malformed = "always"

    # --- the pipeline ---------------------------------------------------------------------------
    async def handle(self, request: Request, ctx: RequestContext) -> Response:
        try:
            response = await self._handle(request, ctx)
        except Refusal as refusal:
            response = self._refusal(ctx, refusal.status, refusal.reason, refusal.warning)
        except UndecipherableBody:
            if "server_accept_undecipherable" in self.faults:
                response = ctx.response(200)
            else:
                response = ctx.response(UndecipherableBody.sip_status, UndecipherableBody.sip_reason)
        except UploadRefused as exc:
            response = self._refusal(ctx, exc.status, exc.reason, exc.warning)
        except UnsupportedBody as exc:
            accept = ", ".join(accepted_types(clear_info=self._clear_allowed) + [MIKEY_TYPE])
            response = self._refusal(ctx, exc.sip_status, exc.sip_reason, None, [("Accept", accept)])
        except BodyError as exc:
            response = self._refusal(ctx, exc.sip_status, exc.sip_reason, exc.warning)
        except KeyServiceUnavailable as exc:
            log.warning("key service unavailable: %s", exc)
            response = ctx.response(503, headers=[("Retry-After", "5")])
        log.info("%s %s from %s -> %d", request.method, request.call_id[:24],
                 request.headers.get("P-Asserted-Identity") or "-", response.status)
        return response

    @property
    def _clear_allowed(self) -> bool:
        if "server_refuse_optional_clear" in self.faults:
            return False  # protection demanded of every sender, whatever the service provider's policy
        return not self.config.protection_required or "server_accept_clear_body" in self.faults

    def _refusal(self, ctx: RequestContext, status: int, reason: str, warning: str | None,
                 headers: list[tuple[str, str]] | None = None) -> Response:
        extra = list(headers or [])
        if warning is not None:
            extra.append(("Warning", warning_header(self.config.warn_agent, warning)))
        return ctx.response(status, reason, headers=extra)

    async def _handle(self, request: Request, ctx: RequestContext) -> Response:
        sender = self._sender(request, ctx.flow.remote)
        if request.method == "MESSAGE" and is_mikey_body(request):
            return await self._upload(request, ctx, sender)
        binding = SipBinding.of_request(request)
        received = read_body(request, honour_handling="server_ignore_handling_required" not in self.faults)
        opened, cek = await self._open(received.info_part, sender, binding)
        understood = self._act(request, sender, opened)
        answer_sdp = None
        if request.method == "INVITE" and received.sdp is not None:
            answer_sdp = sdp.answer(ctx.flow.local[0])
        key = None
        clear_answer = "server_csk_answer_clear" if isinstance(cek, BoundCsk) else "server_answer_clear"
        if cek is not None and clear_answer not in self.faults:
            key = SealingKey(cek.key_id, cek.key)
        body = build_body(understood, key=key, binding=binding.for_status(200), sdp=answer_sdp,
                          stamp=self.config.replay.require_stamp)
        extra: list[tuple[str, str]] = []
        if request.method == "INVITE":
            host, port = ctx.flow.local
            transport = ";transport=tcp" if ctx.transport == "tcp" else ""
            user = parse_uri(self.config.uri).user or "mcptt-as"  # type: ignore[union-attr]
            extra.append(("Contact", f"<sip:{user}@{host}:{port}{transport}>"))
        if request.method == "REGISTER" and request.headers.get("Expires") is not None:
            extra.append(("Expires", request.headers.get("Expires") or "0"))
        response = ctx.response(200, headers=extra)
        if body is not None:
            body.apply(response)
        return response

    def _sender(self, request: Request, source: tuple[str, int]) -> Sender:
        """The sender the SIP core asserts. RFC 3325: an asserted identity counts only from the trust
        domain (``trusted_peers``: the core's SIP-2 address and port); from anywhere else the request is
        taken as carrying none, and refused as such."""
        try:
            values = request.headers.get_list("P-Asserted-Identity")
        except InvalidHeaderValue:
            raise Refusal(400, "Bad Request (malformed P-Asserted-Identity)") from None
        trusted = self.config.trusts(source)
        if "server_core_at_default_port" in self.faults:
            trusted = trusted and source[1] == 5060
        if values and not trusted and "server_trust_any_asserted_identity" not in self.faults:
            log.info("P-Asserted-Identity from %s:%d ignored: not a trusted peer", *source[:2])
            values = []
        if not values:
            raise Refusal(403, "Forbidden", "No asserted identity")
        for value in values:
            try:
                address = parse_name_address(value, header="P-Asserted-Identity")
            except InvalidHeaderValue:
                raise Refusal(400, "Bad Request (malformed P-Asserted-Identity)") from None
            key = identity_key(str(address.uri)) if address.uri is not None else None
            if key is not None and "server_identity_ignore_case" in self.faults:
                key = next((k for k in self._users if k.lower() == key.lower()), key)
            if key is not None and key in self._users:
                impu, mcptt_id = self._users[key]
                return Sender(impu, mcptt_id)
            if key is not None and "server_unknown_identity_error" in self.faults:
                impu, mcptt_id = self._users[key]  # the fault: KeyError, answered 500
        raise Refusal(403, "Forbidden", "Unknown asserted identity")

    async def _upload(self, request: Request, ctx: RequestContext, sender: Sender) -> Response:
        """A CSK upload: 200 when the I_MESSAGE is accepted (the CSK is then bound to the sender)."""
        if self.csk is None:
            raise UnsupportedBody("CSK upload is not configured", media_type=MIKEY_TYPE)
        data = read_mikey_body(request)
        await asyncio.to_thread(self.csk.receive, data, Uploader(sender.impu, sender.mcptt_id))
        return ctx.response(200)

    def _csk_for(self, key_id: int, sender: Sender) -> BoundCsk | None:
        """The CSK a body names, when it is bound to the sender (any sender under the fault)."""
        csk = self.csks.get(key_id)
        if csk is None:
            return None
        if "server_csk_binding_checked_once" in self.faults and key_id in self._csks_used:
            return csk  # the fault: a CSK once used by its owner is taken as checked for good
        if not csk.bound_to(sender.impu, sender.mcptt_id) and "server_ignore_csk_binding" not in self.faults:
            log.info("CSK %08X is bound to another identity than the asserted sender", key_id)
            return None
        if "server_csk_binding_checked_once" in self.faults:
            self._csks_used.add(key_id)
        return csk

    async def _open(self, part: SensitivePart | None, sender: Sender,
                    binding: SipBinding) -> tuple[OpenedInfo | None, KmsCek | BoundCsk | None]:
        if part is None:
            return None, None
        if not part.protected:
            if not self._clear_allowed:
                raise ProtectionRequired("mcptt-info in clear")
            return read_clear(part), None
        key_id = key_id_of(part)
        cek: KmsCek | BoundCsk | None
        if key_id >> 28 == CSK_PURPOSE_TAG:
            cek = self._csk_for(key_id, sender)
        elif self.keys.needs_kms(key_id, sender.mcptt_id):
            cek = await asyncio.to_thread(self.keys.cek_for, key_id, sender.mcptt_id)
        else:
            cek = self.keys.cek_for(key_id, sender.mcptt_id)
        if cek is None:
            raise UndecipherableBody("no usable CEK")
        guard = None if "server_no_replay_check" in self.faults else self.guard
        opened = open_info(part, key_lookup=lambda _key_id: cek.key, guard=guard, binding=binding)
        return opened, cek

    def _act(self, request: Request, sender: Sender, opened: OpenedInfo | None) -> McpttInfo | None:
        """Apply the request; the mcptt-info the server understood (to echo), if any."""
        info = opened.info if opened is not None else None
        if info is not None and info.calling_user_id is not None and info.calling_user_id != sender.mcptt_id:
            raise Refusal(403, "Forbidden", "Calling user is not the asserted identity")
        if request.method == "REGISTER":
            if (request.headers.get("Expires") or "").strip() == "0":
                self.registrations.pop(sender.impu, None)
            else:
                self.registrations[sender.impu] = sender.mcptt_id
        if info is None:
            return None
        return info.merged(calling_user_id=sender.mcptt_id)
