"""Fixtures: a lab (real IdM and KMS), the MCPTT server, a test SIP core in front of it, and MCPTT
client processes driven through their upper tester."""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcsec.fixtures.lab import Lab
from mcsec.fixtures.profile import Profile, load
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.sip.aio import free_port_pair
from tests.unit.client.proxy import TestCore
from tests.unit.server.harness import server_address, start_server

UT_TIMEOUT_S = 20.0


@dataclass
class UpperTesterClient:
    """Calls the upper-tester API of one client process."""

    base: str
    context: ssl.SSLContext
    process: RoleProcess
    trace_path: Path

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=UT_TIMEOUT_S) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        return self.call("POST", path, body if body is not None else {})

    def get(self, path: str) -> tuple[int, dict]:
        return self.call("GET", path)


@pytest.fixture(scope="package")
def profile() -> Profile:
    return load()


@pytest.fixture(scope="package")
def lab(profile: Profile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(profile, tmp_path_factory.mktemp("client-lab"), roles=("idm", "kms")) as running:
        yield running


@pytest.fixture(scope="package")
def core_port() -> int:
    """The test SIP core's port, chosen before the server starts: the server trusts it (RFC 3325)."""
    return free_port_pair("127.0.0.1")


@pytest.fixture(scope="package")
def server(lab: Lab, profile: Profile, core_port: int,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleProcess]:
    process = start_server(lab, profile, tmp_path_factory.mktemp("client-server"),
                           trusted_peers=[f"127.0.0.1:{core_port}"])
    yield process
    process.stop()


@pytest.fixture(scope="package")
def core(server: RoleProcess, profile: Profile, core_port: int) -> Iterator[TestCore]:
    proxy = TestCore(server_address(server),
                     {u.username: (u.impu, u.sip_password) for u in profile.ixit.users}, port=core_port)
    proxy.start()
    yield proxy
    proxy.stop()


def client_config(lab: Lab, profile: Profile, test_core: TestCore, run_dir: Path, username: str = "alice",
                  **overrides: object) -> dict:
    assert lab.endpoints is not None and lab.ca is not None
    tls = lab.ca.issue_server(f"client-ut-{run_dir.name}")
    user = profile.ixit.user(username)
    config = {
        "host": "127.0.0.1", "sip_port": 0,
        "upper_tester": {"port": 0, "tls": {"cert": str(tls.cert_path), "key": str(tls.key_path)}},
        "core": {"host": test_core.address[0], "port": test_core.address[1], "transport": "udp"},
        "idm": {"url": lab.endpoints.idm_url, "ca": str(lab.endpoints.ca_path)},
        "oauth_client": {"client_id": profile.ixit.oauth_client_id, "redirect_uri": profile.ixit.oauth_redirect_uri},
        "kms": {"url": lab.endpoints.kms_url, "kms_uri": profile.ixit.kms_uri, "ca": str(lab.endpoints.ca_path)},
        "user": {"username": user.username, "password": user.password, "mcptt_id": user.mcptt_id,
                 "impu": user.impu, "sip_password": user.sip_password},
        "server_uri": "sip:mcptt-as@example.org",
        "protection_required": True,
        "timers_scale": 0.05, "sip_timeout_s": 8,
        "trace_path": str(run_dir / "client-trace.jsonl"),
        "faults": [], "log_level": "INFO",
    }
    config.update(overrides)
    return config


@pytest.fixture
def start_client(lab: Lab, profile: Profile, core: TestCore, tmp_path: Path):
    """Start a client process (``start_client(username="alice", **config overrides)``)."""
    started: list[RoleProcess] = []

    def start(username: str = "alice", **overrides: object) -> UpperTesterClient:
        run_dir = tmp_path / f"client-{len(started)}"
        run_dir.mkdir()
        config = client_config(lab, profile, core, run_dir, username, **overrides)
        process = RoleProcess("client", "mcsec.impl.client", config, run_dir)
        started.append(process)
        info = process.start()
        return UpperTesterClient(info["upper_tester"], lab.ssl_context, process,
                                 Path(config["trace_path"]))

    yield start
    for process in started:
        process.stop()
