"""What the server and client tests share: a lab (real IdM and KMS), users with their tokens and
CEKs, the MCPTT server as a real process, and a SIP peer that plays the SIP core towards it
(inserting P-Asserted-Identity as the core does). Every wait is bounded."""
from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.idm.login import discover, login_with_pkce
from mcsec.impl.kms.cekclient import CekClient
from mcsec.impl.kms.cekxml import KmsCek
from mcsec.impl.mcptt import McpttInfo, SealingKey, SipBinding, build_body
from mcsec.impl.sip import Request, Response, TimerConfig, make_request
from mcsec.impl.sip.aio import SipEndpoint, free_port_pair

T = TypeVar("T")
SERVER_URI = "sip:mcptt-as@example.org"
OTHER_SERVER_URI = "sip:mcptt-as-2@example.org"
FAST_TIMERS = TimerConfig().scaled(0.05)
WAIT_S = 8.0
CORE_SIDE_PORT = free_port_pair("127.0.0.1")  # where CorePeer plays the SIP core from; the servers trust it


def run(coro_factory: Callable[[], Awaitable[T]], limit: float = 15.0) -> T:
    """Run an async test body under a hard time limit."""
    async def bounded() -> T:
        return await asyncio.wait_for(coro_factory(), limit)
    return asyncio.run(bounded())


@dataclass
class LabUsers:
    """Tokens per username, and helpers to get CEKs from the lab's KMS."""

    lab: Lab
    profile: Profile

    def __post_init__(self) -> None:
        assert self.lab.endpoints is not None
        self._discovery = discover(self.lab.endpoints.idm_url, self.lab.ssl_context)
        self._tokens: dict[str, str] = {}
        self.kms = CekClient(self.lab.endpoints.kms_url, self.profile.ixit.kms_uri, self.lab.ssl_context)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            user = self.profile.ixit.user(username)
            tokens = login_with_pkce(self._discovery, self.profile.ixit.oauth_client_id,
                                     self.profile.ixit.oauth_redirect_uri, user.username, user.password,
                                     self.lab.ssl_context)
            self._tokens[username] = tokens.access_token
        return self._tokens[username]

    def cek(self, username: str, server_uri: str = SERVER_URI) -> KmsCek:
        user = self.profile.ixit.user(username)
        reply = self.kms.issue(self.token(username), user.mcptt_id, server_uri)
        assert reply.status == 200 and reply.cek is not None, (reply.status, reply.problem)
        return reply.cek


def server_config(lab: Lab, profile: Profile, run_dir: Path, *, faults: tuple[str, ...] = (),
                  **overrides: Any) -> dict:
    assert lab.endpoints is not None
    principal = profile.ixit.server("mcptt-as")
    config = {
        "host": "127.0.0.1", "port": 0, "uri": principal.uri,
        "idm": {"url": lab.endpoints.idm_url, "ca": str(lab.endpoints.ca_path)},
        "client_id": principal.client_id, "client_secret": principal.client_secret,
        "kms": {"url": lab.endpoints.kms_url, "kms_uri": profile.ixit.kms_uri, "ca": str(lab.endpoints.ca_path)},
        "users": [{"impu": u.impu, "mcptt_id": u.mcptt_id} for u in profile.ixit.users],
        "protection_required": True,
        "replay": {"window_s": 60, "require_stamp": True},
        "timers_scale": 0.05,
        "trace_path": str(run_dir / "server-trace.jsonl"),
        "faults": list(faults),
        "log_level": "INFO",
        "trusted_peers": [f"127.0.0.1:{CORE_SIDE_PORT}"],  # where CorePeer speaks from
    }
    config.update(overrides)
    return config


def start_server(lab: Lab, profile: Profile, run_dir: Path, *, faults: tuple[str, ...] = (),
                 **overrides: Any) -> RoleProcess:
    run_dir.mkdir(parents=True, exist_ok=True)
    process = RoleProcess("server", "mcsec.impl.server",
                          server_config(lab, profile, run_dir, faults=faults, **overrides), run_dir)
    process.start()
    return process


def server_address(process: RoleProcess) -> tuple[str, int]:
    sip = process.info["sip"]
    return sip["host"], sip["port"]


def read_trace(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def user_request(method: str, *, impu: str | None, info: McpttInfo | None = None,
                 key: SealingKey | None = None, sdp: bytes | None = None,
                 target: str = SERVER_URI) -> Request:
    """A request from ``impu`` (asserted) with the mcptt-info sealed under ``key`` (clear when None)."""
    sender = impu or "sip:unknown@ims.example.org"
    request = make_request(method, target, from_=f"<{sender}>", to=f"<{target}>",
                           call_id=secrets.token_hex(10) + "@core.test",
                           contact=f"<{sender.replace('sip:', 'sip:ue-')}>" if method == "INVITE" else None)
    if impu is not None:
        request.headers.add("P-Asserted-Identity", f"<{impu}>")
    if method == "REGISTER":
        request.headers.add("Expires", "600")
    body = build_body(info, key=key, binding=SipBinding.of_request(request), sdp=sdp)
    if body is not None:
        body.apply(request)
    return request


class CorePeer:
    """Plays the SIP core towards the server: builds requests from a user, asserts its IMPU."""

    def __init__(self, endpoint: SipEndpoint, destination: tuple[str, int]) -> None:
        self.endpoint = endpoint
        self.destination = destination

    @classmethod
    async def start(cls, destination: tuple[str, int], *, trusted: bool = True) -> CorePeer:
        """From the SIP core's address and port, which the servers trust (``trusted``), or from another
        port of the same host, as any other local process would."""
        if not trusted:
            return cls(await SipEndpoint.start(timers=FAST_TIMERS), destination)
        return cls(await SipEndpoint.start(timers=FAST_TIMERS, udp_port=CORE_SIDE_PORT, tcp_port=CORE_SIDE_PORT,
                                           bind_outgoing=True), destination)

    async def close(self) -> None:
        await self.endpoint.close()

    request = staticmethod(user_request)

    async def send(self, request: Request, transport: str = "udp") -> Response:
        return await self.endpoint.send_request(request, self.destination, transport=transport, timeout=WAIT_S)
