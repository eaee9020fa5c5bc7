"""A tiny SIP core for the client tests: challenges REGISTER with digest, then relays every request
to the MCPTT server with the sender's IMPU in P-Asserted-Identity (replacing any the client put), and
relays the answers back. It runs on its own SIP runtime thread, so blocking tests can drive the client.
"""
from __future__ import annotations

import time

from mcsec.impl.mcptt.runtime import SipRuntime
from mcsec.impl.sip import Request, Response, TimerConfig, new_branch
from mcsec.impl.sip.aio import RequestContext, SipEndpoint
from mcsec.impl.sip.digest import Credentials, DigestError, Verifier
from mcsec.impl.sip.header_values import parse_name_address


class TestCore:
    __test__ = False

    def __init__(self, server: tuple[str, int], users: dict[str, tuple[str, str]], *,
                 transport: str = "udp", port: int = 0) -> None:
        """``users``: digest username -> (IMPU, SIP password); ``port``: where it listens and sends from (the
        address and port the MCPTT server trusts P-Asserted-Identity from)."""
        self.server = server
        self.users = users
        self.transport = transport
        self.verifier = Verifier("ims.example.org")
        self.challenges = 0
        self.relayed: list[str] = []
        self.runtime = SipRuntime(host="127.0.0.1", port=port, timers=TimerConfig().scaled(0.05), setup=self._install)

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.runtime.port

    def start(self) -> None:
        self.runtime.start()

    def stop(self) -> None:
        self.runtime.stop()

    def _install(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        for method in ("REGISTER", "MESSAGE", "PUBLISH", "INVITE", "BYE"):
            endpoint.on_request(method, self._relay)
        endpoint.on_request("ACK", self._relay_ack)

    def _impu_of(self, request: Request) -> str | None:
        sender = str(parse_name_address(request.headers.get("From") or "", header="From").uri)
        for impu, _ in self.users.values():
            if impu == sender:
                return impu
        return None

    def _authenticated(self, request: Request) -> bool:
        value = request.headers.get("Authorization")
        if value is None:
            return False
        try:
            credentials = Credentials.parse(value)
        except DigestError:
            return False
        user = self.users.get(credentials.username)
        if user is None:
            return False
        return self.verifier.check(credentials, password=user[1], method="REGISTER", now=time.monotonic())

    async def _relay(self, request: Request, ctx: RequestContext) -> Response:
        if request.method == "REGISTER" and not self._authenticated(request):
            self.challenges += 1
            challenge = self.verifier.challenge(time.monotonic())
            return ctx.response(401, headers=[("WWW-Authenticate", challenge.header())])
        impu = self._impu_of(request)
        if impu is None:
            return ctx.response(403)
        forward = request.copy()
        forward.headers.remove("P-Asserted-Identity")
        forward.headers.remove("Authorization")
        forward.headers.add("P-Asserted-Identity", f"<{impu}>")
        self.relayed.append(request.method)
        response = await self.endpoint.send_request(forward, self.server, transport=self.transport,
                                                    add_via=True, timeout=8)
        answer = response.copy()
        answer.headers.pop_first_element("Via")
        return answer

    async def _relay_ack(self, request: Request, ctx: RequestContext) -> None:
        forward = request.copy()
        host, port = self.endpoint.udp_address
        forward.headers.prepend("Via", f"SIP/2.0/{self.transport.upper()} {host}:{port};branch={new_branch()}")
        self.relayed.append("ACK")
        await self.endpoint.send_stateless(forward, self.server, self.transport)
