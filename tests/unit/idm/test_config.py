"""Configuration checks: a bad or missing item is refused, and the refusal names the item."""
from __future__ import annotations

import copy

import pytest

from mcsec.fixtures.lab.roleprocess import RoleProcess, RoleStartError
from mcsec.impl.idm.config import parse_config
from mcsec.impl.idm.login import discover
from mcsec.impl.rolemain import ConfigError
from tests.unit.idm.conftest import idm_config


@pytest.fixture(scope="module")
def good_config(test_ca, tmp_path_factory):
    config, _, _ = idm_config(test_ca, tmp_path_factory.mktemp("idm-config"))
    return config


def _without(config: dict, key: str) -> dict:
    changed = copy.deepcopy(config)
    del changed[key]
    return changed


def _with(config: dict, path: str, value: object) -> dict:
    changed = copy.deepcopy(config)
    target = changed
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return changed


def test_good_configuration_is_accepted(good_config):
    config = parse_config(good_config)
    assert config.user("alice") is not None and config.server("mcptt-as") is not None
    assert config.issuer is None and config.test_control is False


BAD = {
    "tls missing": (lambda c: _without(c, "tls"), "tls"),
    "tls cert file missing": (lambda c: _with(c, "tls.cert", "/nonexistent/idm.pem"), "tls.cert"),
    "tls key not a string": (lambda c: _with(c, "tls.key", 5), "tls.key"),
    "kms_audience missing": (lambda c: _without(c, "kms_audience"), "kms_audience"),
    "kms_scope with a space": (lambda c: _with(c, "kms_scope", "a b"), "kms_scope"),
    "users not a list": (lambda c: _with(c, "users", {"alice": "x"}), "users"),
    "user without password": (lambda c: _with(c, "users.1", {"username": "bob", "mcptt_id": "sip:b@x"}),
                               "users[1].password"),
    "duplicate username": (lambda c: _with(c, "users.1.username", "alice"), "users"),
    "redirect uri with fragment": (lambda c: _with(c, "clients.0.redirect_uris", ["http://127.0.0.1/cb#x"]),
                                   "clients[0].redirect_uris[0]"),
    "client without redirect uris": (lambda c: _with(c, "clients.1.redirect_uris", []), "clients[1].redirect_uris"),
    "server without uri": (lambda c: _with(c, "servers.0", {"client_id": "s", "client_secret": "x"}),
                           "servers[0].uri"),
    "server id equals a client id": (lambda c: _with(c, "servers.0.client_id", "mcptt-client"), "servers"),
    "server id equals a username": (lambda c: _with(c, "servers.0.client_id", "alice"), "servers"),
    "port out of range": (lambda c: _with(c, "port", 70000), "port"),
    "zero code lifetime": (lambda c: _with(c, "code_lifetime_s", 0), "code_lifetime_s"),
    "lifetime not an integer": (lambda c: _with(c, "access_token_lifetime_s", "300"), "access_token_lifetime_s"),
    "plain http issuer": (lambda c: _with(c, "issuer", "http://idm.example.org"), "issuer"),
    "test_control not a boolean": (lambda c: _with(c, "test_control", "yes"), "test_control"),
    "test control secret too short": (lambda c: _with(c, "test_control_secret", "short"), "test_control_secret"),
    "test control secret with a space": (lambda c: _with(c, "test_control_secret", "x" * 20 + " y"),
                                         "test_control_secret"),
    "test control secret not a string": (lambda c: _with(c, "test_control_secret", 12345678901234567),
                                         "test_control_secret"),
    "unknown fault": (lambda c: _with(c, "faults", ["idm_no_such_fault"]), "faults"),
    "rotation cap too small": (lambda c: _with(c, "rotation", {"max_bytes": 10}), "rotation.max_bytes"),
    "unknown item": (lambda c: _with(c, "issuers", None), "issuers"),
    "bad log level": (lambda c: _with(c, "log_level", "LOUD"), "log_level"),
}


@pytest.mark.parametrize(("mutate", "item"), BAD.values(), ids=BAD.keys())
def test_bad_item_is_refused_by_name(good_config, mutate, item):
    with pytest.raises(ConfigError) as refused:
        parse_config(mutate(good_config))
    assert str(refused.value).startswith(item + ":"), str(refused.value)


def test_configured_issuer_is_used(good_config):
    assert parse_config(_with(good_config, "issuer", "https://idm.example.org")).issuer == "https://idm.example.org"


def test_process_refuses_a_bad_configuration_with_a_not_ready_line(good_config, tmp_path):
    process = RoleProcess("idm", "mcsec.impl.idm", _with(good_config, "users.0.mcptt_id", ""), tmp_path)
    with pytest.raises(RoleStartError, match=r"users\[0\]\.mcptt_id"):
        process.start()
    assert not process.alive()


def test_process_refuses_an_unusable_certificate(good_config, tmp_path):
    not_a_cert = tmp_path / "not-a-cert.pem"
    not_a_cert.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    process = RoleProcess("idm", "mcsec.impl.idm", _with(good_config, "tls.cert", str(not_a_cert)), tmp_path / "run")
    with pytest.raises(RoleStartError, match=r"tls"):
        process.start()


def test_process_with_a_configured_issuer_announces_it(good_config, tmp_path, ca_context):
    process = RoleProcess("idm", "mcsec.impl.idm", _with(good_config, "issuer", "https://idm.example.org"), tmp_path)
    try:
        info = process.start()
        discovery = discover(info["url"], ca_context)
    finally:
        process.stop()
    assert info["issuer"] == discovery.issuer == "https://idm.example.org"
    assert discovery.token_endpoint == info["token_endpoint"] == info["url"] + "/token"
