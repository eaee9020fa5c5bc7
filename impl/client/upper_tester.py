"""The upper-tester control API of the reference MCPTT client (docs/upper-tester.md), version 1.

JSON over HTTPS under ``/ut/v1/``. Errors are ``{"error": code, "detail": text}``: 400 for a bad
request, 409 when a precondition is missing (not logged in, no CEK, a Key ID not held), 502 when the
IdM, the KMS or the SIP transport failed, 504 when the SIP peer did not answer in time.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from mcsec.impl.client.config import ClientConfig
from mcsec.impl.client.errors import UtError, bad_request
from mcsec.impl.client.ibc import ClientIbc
from mcsec.impl.client.session import ClientSession
from mcsec.impl.client.uas import ClientUas
from mcsec.impl.client.ua import McpttUa, Outcome
from mcsec.impl.httpserver import HttpError, Request, Response, Router
from mcsec.impl.mcptt.body import parse_key_id
from mcsec.impl.mcptt.info import McpttInfo
from mcsec.impl.mcptt.runtime import SipRuntime

log = logging.getLogger("mcsec.client.ut")

API_VERSION = "1"
PREFIX = "/ut/v1"


def _body(request: Request, allowed: set[str]) -> dict:
    try:
        data = request.json() if request.body.strip() else {}
    except HttpError as exc:
        raise bad_request(exc.message) from None
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise bad_request(f"unknown field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    return data


def _string(data: dict, key: str, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and (not isinstance(value, str) or not value):
        raise bad_request(f"{key} must be a non-empty string")
    return value


def _int(data: dict, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_request(f"{key} must be an integer {low}..{high}")
    return value


def _key_id(data: dict) -> int | None:
    text = _string(data, "key_id")
    if text is None:
        return None
    try:
        return parse_key_id(text)
    except ValueError:
        raise bad_request("key_id must be 8 hex digits") from None


def _info(data: dict) -> McpttInfo:
    try:
        return McpttInfo.from_dict(data.get("mcptt_info") or {})
    except ValueError as exc:
        raise bad_request(str(exc)) from None


class UpperTester:
    def __init__(self, config: ClientConfig, session: ClientSession, ua: McpttUa, runtime: SipRuntime,
                 ibc: ClientIbc | None = None, uas: ClientUas | None = None) -> None:
        self.config = config
        self.session = session
        self.ua = ua
        self.runtime = runtime
        self.ibc = ibc
        self.uas = uas

    def routes(self, router: Router) -> None:
        router.add("GET", f"{PREFIX}/info", self._wrap(self.info))
        router.add("POST", f"{PREFIX}/login", self._wrap(self.login))
        router.add("POST", f"{PREFIX}/cek", self._wrap(self.cek))
        router.add("POST", f"{PREFIX}/register", self._wrap(self.register))
        router.add("POST", f"{PREFIX}/message", self._wrap(self.message))
        router.add("POST", f"{PREFIX}/invite", self._wrap(self.invite))
        router.add("POST", f"{PREFIX}/publish", self._wrap(self.publish))
        router.add("POST", f"{PREFIX}/ibc/provision", self._wrap(self.ibc_provision))
        router.add("POST", f"{PREFIX}/csk", self._wrap(self.csk))
        router.add("POST", f"{PREFIX}/answer", self._wrap(self.answer))
        known = {f"{PREFIX}/{name}" for name in ("info", "login", "cek", "register", "message", "invite", "publish",
                                                  "ibc/provision", "csk", "answer")}

        def unknown(request: Request) -> dict:
            if request.path in known:
                raise UtError(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")
            raise UtError(404, "not_found", f"no endpoint {request.path} (this is API version {API_VERSION})")

        for method in ("GET", "POST", "PUT", "DELETE"):
            router.add(method, "/", self._wrap(unknown), prefix=True)

    @staticmethod
    def _wrap(handler: Callable[[Request], dict]) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            try:
                return Response.json(handler(request))
            except UtError as exc:
                log.info("%s %s -> %d %s", request.method, request.path, exc.status, exc.code)
                return Response.json({"error": exc.code, "detail": exc.detail}, exc.status)
        return wrapped

    def _sip(self, coro: Coroutine[Any, Any, Outcome]) -> dict:
        try:
            outcome = self.runtime.run(coro, self.config.sip_timeout_s + 5)
        except TimeoutError:
            raise UtError(504, "sip_timeout", "the SIP exchange did not end in time") from None
        return outcome.to_json()

    # --- endpoints ------------------------------------------------------------------------------
    def info(self, request: Request) -> dict:
        user = self.config.user
        return {
            "api_version": API_VERSION,
            "role": "mcptt-client",
            "impu": user.impu,
            "mcptt_id": user.mcptt_id,
            "server_uri": self.config.server_uri,
            "protection_required": self.config.protection_required,
            "state": {
                "logged_in": self.session.logged_in,
                "cek_key_ids": self.session.key_ids(),
                "active_key_id": self.session.active_key_id(),
                "registered": self.session.registered,
                "ibc_provisioned": self.ibc is not None and self.ibc.provisioned is not None,
            },
        }

    def login(self, request: Request) -> dict:
        _body(request, set())
        return self.session.login()

    def cek(self, request: Request) -> dict:
        data = _body(request, {"key_id"})
        key_id = _key_id(data)
        cek = self.session.issue_cek() if key_id is None else self.session.select(key_id)
        return {**self.session.describe(cek), "active_key_id": self.session.active_key_id(),
                "cek_key_ids": self.session.key_ids()}

    def register(self, request: Request) -> dict:
        data = _body(request, {"expires", "key_id", "with_info"})
        expires = _int(data, "expires", 600, 0, 86400)
        with_info = data.get("with_info", True)
        if not isinstance(with_info, bool):
            raise bad_request("with_info must be true or false")
        key = self.session.sealing_key(_key_id(data)) if with_info else None
        return self._sip(self.ua.register(expires=expires, key=key, with_info=with_info))

    def answer(self, request: Request) -> dict:
        """What the client's 200 to an incoming MESSAGE or INVITE carries as mcptt-info (protected under the
        request's CEK); ``{}`` or no ``mcptt_info`` goes back to the default (docs/upper-tester.md)."""
        if self.uas is None:
            raise UtError(404, "not_found", "this client takes no incoming requests")
        data = _body(request, {"mcptt_info"})
        if data.get("mcptt_info") is None:
            self.uas.set_answer_info(None)
            return {"mcptt_info": None}
        info = _info(data)
        self.uas.set_answer_info(info)
        return {"mcptt_info": info.to_dict()}

    # --- clause 7.14 ------------------------------------------------------------------------------
    def _ibc(self) -> ClientIbc:
        if self.ibc is None:
            raise UtError(404, "not_found", "this client has no IBC key management")
        return self.ibc

    def ibc_provision(self, request: Request) -> dict:
        _body(request, set())
        return self._ibc().provision(self.session.token).describe()

    def csk(self, request: Request) -> dict:
        data = _body(request, {"to"})
        to = _string(data, "to", self.config.server_uri)
        built, csk = self._ibc().new_csk()
        try:
            response = self.runtime.run(self.ua.upload_csk(to=to, i_message=built.data),
                                        self.config.sip_timeout_s + 5)
        except TimeoutError:
            raise UtError(504, "sip_timeout", "the SIP exchange did not end in time") from None
        accepted = response.status == 200
        if accepted:
            self.session.hold(csk)
        return {"key_id": f"{csk.key_id:08X}", "accepted": accepted, "status": response.status,
                "reason": response.reason, "warning": response.headers.get("Warning"),
                "call_id": response.call_id, "active_key_id": self.session.active_key_id(),
                "cek_key_ids": self.session.key_ids()}

    def message(self, request: Request) -> dict:
        data = _body(request, {"to", "mcptt_info", "key_id"})
        to = _string(data, "to", self.config.server_uri)
        info = _info(data).merged(calling_user_id=self.config.user.mcptt_id)
        key = self.session.sealing_key(_key_id(data))
        return self._sip(self.ua.message(to=to, info=info, key=key))

    def publish(self, request: Request) -> dict:
        data = _body(request, {"to", "mcptt_info", "key_id", "event", "expires"})
        to = _string(data, "to", self.config.server_uri)
        event = _string(data, "event", "poc.settings")
        expires = _int(data, "expires", 3600, 0, 86400)
        info = _info(data).merged(calling_user_id=self.config.user.mcptt_id)
        key = self.session.sealing_key(_key_id(data))
        return self._sip(self.ua.publish(to=to, info=info, key=key, event=event or "poc.settings",
                                         expires=expires))

    def invite(self, request: Request) -> dict:
        data = _body(request, {"to", "group_id", "mcptt_info", "key_id"})
        group_id = _string(data, "group_id")
        if group_id is None:
            raise bad_request("group_id is required")
        to = _string(data, "to", self.config.server_uri)
        try:
            info = _info(data).merged(calling_user_id=self.config.user.mcptt_id, calling_group_id=group_id,
                                      request_uri=group_id)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        key = self.session.sealing_key(_key_id(data))
        return self._sip(self.ua.invite(to=to, info=info, key=key))
