"""Fixtures: one lab (reference IdM and KMS, no "ibc" configuration, so the defaults apply) for the
package, extra KMS processes with special configurations against the lab's IdM, and tokens."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcsec.fixtures import profile as profiles
from mcsec.fixtures.lab import Lab
from mcsec.fixtures.lab.roleprocess import RoleProcess
from mcsec.impl import httpclient
from mcsec.impl.idm import login
from mcsec.impl.ibc.uid import KeyPeriod
from mcsec.impl.kms.provclient import ProvisioningClient

KEY_PERIOD = KeyPeriod(2_592_000, 0)  # the default of the KMS configuration
SERVER_CLIENT_ID = "mcptt-as"


@dataclass
class ExtraKms:
    process: RoleProcess
    url: str
    kms_uri: str

    @property
    def log_path(self) -> Path:
        return self.process.log_path


class Tokens:
    """KMS access tokens of the lab's principals, fetched once each."""

    def __init__(self, lab: Lab):
        self._lab = lab
        self._cache: dict[str, str] = {}
        self._discovery = login.discover(lab.endpoints.idm_url, lab.ssl_context)

    def user(self, username: str) -> str:
        if username not in self._cache:
            u = self._lab.profile.ixit.user(username)
            p = self._lab.profile
            self._cache[username] = login.login_with_pkce(
                self._discovery, p.ixit.oauth_client_id, p.ixit.oauth_redirect_uri, u.username, u.password,
                self._lab.ssl_context).access_token
        return self._cache[username]

    def server(self, client_id: str = SERVER_CLIENT_ID) -> str:
        key = "server:" + client_id
        if key not in self._cache:
            s = self._lab.profile.ixit.server(client_id)
            self._cache[key] = login.client_credentials(self._discovery, s.client_id, s.client_secret,
                                                        self._lab.ssl_context).access_token
        return self._cache[key]

    def minted(self, principal: str, **request: object) -> str:
        """A token signed by the IdM with altered claims (its test control surface)."""
        reply = httpclient.request(
            "POST", self._lab.endpoints.idm_url + "/test/tokens",
            body=json.dumps({"principal": principal, **request}).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {self._lab.endpoints.idm_test_control_secret}"},
            context=self._lab.ssl_context)
        assert reply.status == 200, reply.body
        return json.loads(reply.body)["token"]

    def expired(self, principal: str) -> str:
        now = int(time.time())
        return self.minted(principal, claims={"iat": now - 1200, "nbf": now - 1200, "exp": now - 600})

    def all(self) -> list[str]:
        return list(self._cache.values())


@pytest.fixture(scope="package")
def lab(tmp_path_factory):
    with Lab(profiles.load(), tmp_path_factory.mktemp("kms-prov-lab"), roles=("idm", "kms")) as running:
        yield running


@pytest.fixture(scope="package")
def tokens(lab) -> Tokens:
    return Tokens(lab)


def kms_config(lab: Lab, name: str, *, ibc: dict | None = None, faults: list[str] | None = None) -> dict:
    """The configuration the lab gives its KMS, with `ibc` and `faults` set."""
    p = lab.profile
    tls = lab.ca.issue_server(name)
    config = {
        "host": "127.0.0.1", "port": 0,
        "tls": {"cert": str(tls.cert_path), "key": str(tls.key_path)},
        "kms_uri": p.ixit.kms_uri,
        "idm": {"issuer": lab.endpoints.idm_issuer, "jwks_uri": lab.endpoints.jwks_uri,
                "ca": str(lab.endpoints.ca_path)},
        "audience": p.ixit.kms_uri, "scopes": [p.ixit.kms_scope], "leeway_s": p.ixit.token_leeway_s,
        "cek_lifetime_s": p.ixit.cek_lifetime_s, "servers": [s.uri for s in p.ixit.servers],
        "faults": list(faults or []), "log_level": "INFO",
    }
    if ibc is not None:
        config["ibc"] = ibc
    return config


@pytest.fixture(scope="package")
def start_kms(lab):
    """Start (once per name) a further KMS against the lab's IdM; stopped with the package."""
    started: dict[str, ExtraKms] = {}

    def start(name: str, *, ibc: dict | None = None, faults: list[str] | None = None) -> ExtraKms:
        if name not in started:
            proc = RoleProcess(name, "mcsec.impl.kms", kms_config(lab, name, ibc=ibc, faults=faults), lab.run_dir)
            info = proc.start()
            started[name] = ExtraKms(proc, info["url"], info["kms_uri"])
        return started[name]

    yield start
    for extra in started.values():
        extra.process.stop()


@pytest.fixture(scope="package")
def client(lab) -> ProvisioningClient:
    """A client of the lab's KMS, sending a KmsRequest body for alice."""
    p = lab.profile
    return ProvisioningClient(lab.endpoints.kms_url, lab.ssl_context, "hex", kms_uri=p.ixit.kms_uri,
                              user_uri=p.ixit.user("alice").mcptt_id)


@pytest.fixture(scope="package")
def bare_client(lab) -> ProvisioningClient:
    """A client of the lab's KMS that sends empty bodies (the token alone says who asks)."""
    return ProvisioningClient(lab.endpoints.kms_url, lab.ssl_context, "hex")


def client_for(lab: Lab, url: str, user_id_format: str = "hex") -> ProvisioningClient:
    return ProvisioningClient(url, lab.ssl_context, user_id_format, kms_uri=lab.profile.ixit.kms_uri)


def current_period() -> int:
    return KEY_PERIOD.number_at_unix(time.time())


def raw_post(lab: Lab, url: str, path: str, token: str | None, body: bytes = b"",
             content_type: str = "application/xml") -> httpclient.HttpReply:
    """POST exactly `body` and return the raw reply."""
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpclient.request("POST", url + path, body=body, headers=headers, context=lab.ssl_context)
