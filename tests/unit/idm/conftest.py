"""Fixtures: a test CA and two IdM processes (test control off / on), shared by the whole package."""
from __future__ import annotations

import secrets
import ssl
from pathlib import Path

import pytest

from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl.testca import TestCA
from tests.unit.idm.wire import IdmUnderTest

KMS_AUDIENCE = "kms.example.org"
KMS_SCOPE = "3gpp:mc:ptt_key_management_service"
CLIENT_ID = "mcptt-client"
OTHER_CLIENT_ID = "other-client"
REDIRECT_URI = "http://127.0.0.1/callback"
SERVER_ID = "mcptt-as"
SERVER_URI = "sip:mcptt-as@example.org"


def idm_config(ca: TestCA, run_dir: Path, **overrides: object) -> tuple[dict, dict[str, str], str]:
    """A complete configuration with fresh random credentials: (config, passwords, server secret)."""
    credentials = ca.issue_server(run_dir.name)
    passwords = {"alice": "pw-alice-" + secrets.token_hex(8), "bob": "pw-bob-" + secrets.token_hex(8)}
    server_secret = "as-secret-" + secrets.token_hex(8) + "+/ :%"
    config = {
        "host": "127.0.0.1", "port": 0,
        "tls": {"cert": str(credentials.cert_path), "key": str(credentials.key_path)},
        "issuer": None,
        "users": [
            {"username": "alice", "password": passwords["alice"], "mcptt_id": "sip:alice@example.org"},
            {"username": "bob", "password": passwords["bob"], "mcptt_id": "sip:bob@example.org"},
        ],
        "clients": [
            {"client_id": CLIENT_ID, "redirect_uris": [REDIRECT_URI, "http://127.0.0.1/other?keep=1"]},
            {"client_id": OTHER_CLIENT_ID, "redirect_uris": [REDIRECT_URI]},
        ],
        "servers": [{"client_id": SERVER_ID, "client_secret": server_secret, "uri": SERVER_URI}],
        "kms_audience": KMS_AUDIENCE, "kms_scope": KMS_SCOPE,
        "access_token_lifetime_s": 300, "id_token_lifetime_s": 240, "code_lifetime_s": 60,
        "test_control": False, "faults": [], "log_level": "INFO",
    }
    config.update(overrides)
    return config, passwords, server_secret


@pytest.fixture(scope="package")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.create(tmp_path_factory.mktemp("idm-ca"))


@pytest.fixture(scope="package")
def ca_context(test_ca: TestCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(test_ca.cert_path))


def _start(test_ca: TestCA, ca_context: ssl.SSLContext, run_dir: Path, **overrides: object):
    config, passwords, server_secret = idm_config(test_ca, run_dir, **overrides)
    process = RoleProcess("idm", "mcsec.impl.idm", config, run_dir)
    info = process.start()
    idm = IdmUnderTest(
        info=info, ssl_context=ca_context, log_path=process.log_path, passwords=passwords,
        mcptt_ids={u["username"]: u["mcptt_id"] for u in config["users"]},
        client_id=CLIENT_ID, other_client_id=OTHER_CLIENT_ID, redirect_uri=REDIRECT_URI,
        server_id=SERVER_ID, server_secret=server_secret, server_uri=SERVER_URI,
        kms_audience=KMS_AUDIENCE, kms_scope=KMS_SCOPE,
    )
    return process, idm


@pytest.fixture(scope="package")
def idm(test_ca: TestCA, ca_context: ssl.SSLContext, tmp_path_factory: pytest.TempPathFactory):
    """The IdM as deployed: test control off, normal lifetimes."""
    process, running = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-run"))
    yield running
    process.stop()


@pytest.fixture(scope="package")
def idm_ctl(test_ca: TestCA, ca_context: ssl.SSLContext, tmp_path_factory: pytest.TempPathFactory):
    """The IdM with the test control surface on and one-second authorization codes."""
    process, running = _start(test_ca, ca_context, tmp_path_factory.mktemp("idm-ctl-run"),
                              test_control=True, code_lifetime_s=1)
    yield running
    process.stop()
