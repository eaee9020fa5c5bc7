"""Test peers around the SIP core process: an event loop thread, a fake MCPTT AS and test UAs.

Every wait is bounded: coroutines run on the loop thread with a deadline, transactions use scaled
timers, and the core process is started and stopped with RoleProcess timeouts.
"""
from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.sip import Request, Response, TimerConfig, make_request
from mcsec.impl.sip.aio import RequestContext, SipEndpoint
from mcsec.impl.sip.digest import Challenge, authorization

T = TypeVar("T")

FAST = TimerConfig().scaled(0.05)  # T1 = 25 ms, Timer B/F = 1.6 s
UA_TIMERS = TimerConfig().scaled(0.2)  # UAs give up after the core (Timer F = 6.4 s)
CORE_TIMERS_SCALE = 0.05
DOMAIN = "ims.example.org"
AS_URI = "sip:mcptt-as@example.org"
USERS = ("alice", "bob", "carol", "dave", "erin")


def impu(user: str) -> str:
    return f"sip:{user}@{DOMAIN}"


class LoopThread:
    """An asyncio loop in a daemon thread; ``run(coro)`` waits for the result with a deadline."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop).result(timeout + 1)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@dataclass
class Received:
    request: Request
    source: tuple[str, int]
    transport: str


Responder = Callable[[Request, RequestContext], "Response | Awaitable[Response | None] | None"]


@dataclass(eq=False)
class FakeAs:
    """The MCPTT AS side of the core: records what reaches it and answers through ``responder``."""

    endpoint: SipEndpoint
    received: list[Received] = field(default_factory=list)
    acks: list[Received] = field(default_factory=list)
    cancels: list[Request] = field(default_factory=list)
    responder: Responder | None = None

    @classmethod
    async def start(cls) -> FakeAs:
        endpoint = await SipEndpoint.start(host="127.0.0.1", udp_port=0, tcp_port=0, timers=FAST)
        fake = cls(endpoint)
        for method in ("REGISTER", "MESSAGE", "INVITE", "BYE", "OPTIONS", "INFO"):
            endpoint.on_request(method, fake._handle)
        endpoint.on_request("ACK", fake._ack)
        endpoint.on_cancel = lambda cancel, invite: fake.cancels.append(cancel)
        return fake

    @property
    def udp_port(self) -> int:
        return self.endpoint.udp_address[1]

    @property
    def contact(self) -> str:
        return f"<sip:mcptt-as@127.0.0.1:{self.udp_port}>"

    def reset(self) -> None:
        self.received.clear()
        self.acks.clear()
        self.cancels.clear()
        self.responder = None

    def of_method(self, method: str) -> list[Received]:
        return [r for r in self.received if r.request.method == method]

    async def _handle(self, request: Request, ctx: RequestContext) -> Response | None:
        self.received.append(Received(request, ctx.source, ctx.transport))
        if self.responder is not None:
            result = self.responder(request, ctx)
            if asyncio.iscoroutine(result):
                result = await result
            return result  # type: ignore[return-value]
        if request.method == "INVITE":
            return ctx.response(200, headers=[("Contact", self.contact)])
        return ctx.response(200)

    def _ack(self, request: Request, ctx: RequestContext) -> None:
        self.acks.append(Received(request, ctx.source, ctx.transport))


@dataclass(eq=False)
class TestUa:
    """An MCPTT client stand-in talking to the core's SIP-1 face over one transport."""

    endpoint: SipEndpoint
    core: tuple[str, int]
    transport: str
    user: str
    received: list[Received] = field(default_factory=list)
    sent: list[Request] = field(default_factory=list)
    last_authorization: str = ""
    __test__ = False  # not a pytest class

    @classmethod
    async def start(cls, core: tuple[str, int], transport: str, user: str) -> TestUa:
        endpoint = await SipEndpoint.start(host="127.0.0.1", udp_port=0, tcp_port=0, timers=UA_TIMERS)
        ua = cls(endpoint, core, transport, user)
        for method in ("MESSAGE", "INVITE", "BYE", "OPTIONS"):
            endpoint.on_request(method, ua._handle)
        return ua

    async def close(self) -> None:
        await self.endpoint.close()

    @property
    def contact_uri(self) -> str:
        port = self.endpoint.address(self.transport)[1]
        suffix = ";transport=tcp" if self.transport == "tcp" else ""
        return f"sip:{self.user}@127.0.0.1:{port}{suffix}"

    def _handle(self, request: Request, ctx: RequestContext) -> Response:
        self.received.append(Received(request, ctx.source, ctx.transport))
        return ctx.response(200)

    def new_request(self, method: str, *, to_user: str = "mcptt-as", body: bytes = b"",
                    content_type: str | None = None, headers: list[tuple[str, str]] | None = None,
                    uri: str | None = None) -> Request:
        to = f"<sip:{to_user}@{DOMAIN}>" if to_user != "mcptt-as" else f"<{AS_URI}>"
        return make_request(method, uri or to.strip("<>"), from_=f"<{impu(self.user)}>", to=to,
                            contact=f"<{self.contact_uri}>", headers=headers or [], body=body,
                            content_type=content_type)

    async def send(self, request: Request) -> Response:
        return await self.endpoint.send_request(request, self.core, transport=self.transport, timeout=5)

    def register_request(self, *, call_id: str, cseq: int, to_user: str | None = None,
                         expires: int = 600, body: bytes = b"", content_type: str | None = None,
                         extra: list[tuple[str, str]] | None = None) -> Request:
        to = f"<{impu(to_user or self.user)}>"
        headers = [("Expires", str(expires)), *(extra or [])]
        return make_request("REGISTER", f"sip:{DOMAIN}", from_=f"<{impu(self.user)}>", to=to,
                            call_id=call_id, cseq=cseq, contact=f"<{self.contact_uri}>",
                            headers=headers, body=body, content_type=content_type)

    async def register(self, password: str, *, username: str | None = None, to_user: str | None = None,
                       expires: int = 600, body: bytes = b"", content_type: str | None = None,
                       extra: list[tuple[str, str]] | None = None) -> tuple[Response, Response]:
        """REGISTER, answer the challenge; returns (401, final response)."""
        call_id = secrets.token_hex(8)
        first = await self.send(self.register_request(call_id=call_id, cseq=1, to_user=to_user,
                                                      expires=expires, body=body,
                                                      content_type=content_type, extra=extra))
        if first.status != 401:
            return first, first
        challenge = Challenge.parse(first.headers.get("WWW-Authenticate") or "")
        request = self.register_request(call_id=call_id, cseq=2, to_user=to_user, expires=expires,
                                        body=body, content_type=content_type, extra=extra)
        self.last_authorization = authorization(
            challenge, username=username or self.user, password=password, method="REGISTER",
            uri=request.uri)
        request.headers.add("Authorization", self.last_authorization)
        self.sent.append(request)
        return first, await self.send(request)


def core_config(run_dir: Path, as_port: int, passwords: dict[str, str], *, as_transport: str = "udp",
                faults: list[str] | None = None, **extra: object) -> dict:
    return {**extra,
        "host": "127.0.0.1", "sip1_port": 0, "sip2_port": 0, "domain": DOMAIN,
        "as": {"host": "127.0.0.1", "port": as_port, "transport": as_transport, "uri": AS_URI},
        "users": [{"impu": impu(u), "username": u, "password": passwords[u]} for u in USERS],
        "timers_scale": CORE_TIMERS_SCALE, "trace_path": str(run_dir / "core-trace.jsonl"),
        "faults": faults or [], "log_level": "INFO",
    }


@dataclass(eq=False)
class CoreUnderTest:
    process: RoleProcess
    fake_as: FakeAs
    passwords: dict[str, str]

    @property
    def sip1(self) -> tuple[str, int]:
        info = self.process.info["sip1"]
        return (info["host"], info["port"])

    @property
    def sip2(self) -> tuple[str, int]:
        info = self.process.info["sip2"]
        return (info["host"], info["port"])

    @property
    def trace_path(self) -> Path:
        return Path(self.process.info["trace_path"])


def start_core(loop: LoopThread, run_dir: Path, *, faults: list[str] | None = None,
               as_transport: str = "udp", **extra: object) -> CoreUnderTest:
    """The fake AS first (the core needs its address), then the core process."""
    fake_as = loop.run(FakeAs.start())
    passwords = {u: f"pw-{u}-{secrets.token_hex(12)}" for u in USERS}
    as_port = fake_as.endpoint.address(as_transport)[1]
    process = RoleProcess("core", "mcsec.impl.core", core_config(run_dir, as_port, passwords,
                                                           as_transport=as_transport, faults=faults, **extra),
                          run_dir)
    try:
        process.start(timeout=15)
    except BaseException:
        loop.run(fake_as.endpoint.close())
        raise
    return CoreUnderTest(process, fake_as, passwords)


def stop_core(loop: LoopThread, core: CoreUnderTest) -> None:
    core.process.stop(timeout=5)
    loop.run(core.fake_as.endpoint.close())


async def eventually(check: Callable[[], bool], limit: float = 3.0) -> None:
    """Wait until ``check()`` holds (bounded)."""
    for _ in range(int(limit / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")
