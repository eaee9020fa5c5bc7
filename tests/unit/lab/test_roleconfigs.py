"""The typed role configurations: what the lab writes is what each role reads back, item for item."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from mcsec.fixtures.lab import roleconfigs
from mcsec.fixtures.profile import load
from mcsec.impl.client import config as client_config
from mcsec.impl.core import config as core_config
from mcsec.impl.hostport import HostPort
from mcsec.impl.idm import config as idm_config
from mcsec.impl.kms import config as kms_config
from mcsec.impl.peer_endpoints import KmsEndpoint, ServiceEndpoint
from mcsec.impl.rolemain import ConfigError
from mcsec.impl.server import config as server_config
from mcsec.impl.testca import TestCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> TestCA:
    return TestCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def profile():
    return load(extra_faults=["kms_accept_expired", "server_ignore_key_id", "client_wrong_key_id",
                              "core_drop_malformed"])


def _endpoints() -> tuple[ServiceEndpoint, KmsEndpoint]:
    return ServiceEndpoint("https://127.0.0.1:1", "ca.pem"), KmsEndpoint("https://127.0.0.1:2", "kms.example.org", "ca.pem")


def test_the_idm_reads_back_what_the_lab_writes(ca, profile):
    config = roleconfigs.idm(profile, ca.issue_server("idm"))
    assert idm_config.parse_config(config.to_json()) == config
    assert config.test_control and config.kms_audience == profile.ixit.kms_uri


def test_the_kms_reads_back_what_the_lab_writes(ca, profile):
    config = roleconfigs.kms(profile, ca.issue_server("kms"), issuer="https://127.0.0.1:1", jwks_uri="https://x/jwks",
                             idm_ca=str(ca.cert_path))
    again = kms_config.load(config.to_json())
    assert again == config and again.faults.names() == ["kms_accept_expired"]
    assert again.ibc.to_json() == config.ibc.to_json()


def test_the_server_reads_back_what_the_lab_writes(profile):
    idm, kms = _endpoints()
    config = roleconfigs.server(profile, sip=HostPort("127.0.0.1", 0), netns="mcsec-x-as", idm=idm, kms=kms,
                                trace_path="/tmp/t", core_sip2=HostPort("127.0.0.1", 5062, "tcp"))
    again = server_config.load(config.to_json())
    assert again == config and again.faults.names() == ["server_ignore_key_id"]
    assert again.trusted_peers == (HostPort("127.0.0.1", 5062),) and again.trusts(("127.0.0.1", 5062))
    assert not again.trusts(("127.0.0.1", 5063))
    assert again.replay.window == timedelta(seconds=profile.ixit.timers.replay_window_s)


def test_a_changed_copy_is_read_back_as_changed(profile):
    idm, kms = _endpoints()
    config = roleconfigs.server(profile, sip=HostPort("127.0.0.1", 0), netns=None, idm=idm, kms=kms, trace_path="t",
                                core_sip2=HostPort("127.0.0.1", 5062))
    revoked = dataclasses.replace(config, ibc=dataclasses.replace(config.ibc, revoked=frozenset({("sip:a@x", 7)})))
    assert server_config.load(revoked.to_json()).ibc.is_revoked("sip:a@x", 7)


def test_the_core_reads_back_what_the_lab_writes(profile):
    config = roleconfigs.core(profile, sip1=HostPort("10.79.1.2", 0), sip2=HostPort("10.79.1.5", 0),
                              server=HostPort("10.79.1.6", 5070), trace_path="/tmp/core.jsonl")
    again = core_config.load_config(config.to_json())
    assert again == config and again.sip1_host == "10.79.1.2" and again.sip2_host == "10.79.1.5"


def test_the_client_reads_back_what_the_lab_writes(ca, profile):
    idm, kms = _endpoints()
    user = profile.ixit.user("alice")
    config = roleconfigs.client(profile, user, host="127.0.0.1", netns=None, tls=ca.issue_server("ut"),
                                core=HostPort("127.0.0.1", 5060, "tcp"), idm=idm, kms=kms, trace_path="t")
    again = client_config.load(config.to_json())
    assert again == config and again.core.transport == "tcp"


def test_secrets_stay_out_of_the_configurations_repr(ca, profile):
    idm, kms = _endpoints()
    user = profile.ixit.user("alice")
    texts = [repr(roleconfigs.idm(profile, ca.issue_server("idm2"))),
             repr(roleconfigs.client(profile, user, host="127.0.0.1", netns=None, tls=ca.issue_server("ut2"),
                                     core=HostPort("127.0.0.1", 5060), idm=idm, kms=kms, trace_path="t"))]
    for text in texts:
        assert user.password not in text and user.sip_password not in text


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":5060", "host:x", "[::1]5060"])
def test_a_bad_host_port_is_refused_with_what_is_wrong(text):
    with pytest.raises(ValueError, match="host:port"):
        HostPort.parse(text)


def test_host_port_forms():
    assert HostPort.parse("[::1]:5060") == HostPort("::1", 5060)
    assert str(HostPort("::1", 5060)) == "[::1]:5060" and HostPort.parse("h:1", "tcp").transport == "tcp"
    with pytest.raises(ValueError):
        HostPort("h", 1, "sctp")


def test_a_kms_configuration_names_its_bad_item():
    with pytest.raises(ConfigError, match="leeway_s"):
        kms_config.load({"tls": {"cert": "c", "key": "k"}, "kms_uri": "k", "idm": {"issuer": "i", "jwks_uri": "j",
                         "ca": "c"}, "audience": "a", "scopes": ["s"], "servers": ["s"], "leeway_s": 61})


def test_the_kms_test_control_and_the_core_route_are_read_back(ca, profile):
    config = roleconfigs.kms(profile, ca.issue_server("kms-tc"), issuer="https://127.0.0.1:1",
                             jwks_uri="https://x/jwks", idm_ca=str(ca.cert_path), secret="S" * 24)
    again = kms_config.load(config.to_json())
    assert again.test_control and again.test_control_secret == "S" * 24 and "S" * 24 not in repr(again)
    core = roleconfigs.core(profile, sip1=HostPort("127.0.0.1", 0), sip2=HostPort("127.0.0.1", 0),
                            server=HostPort("127.0.0.1", 5070), trace_path="/tmp/core.jsonl",
                            scripted=HostPort("127.0.0.1", 5072))
    routed = core_config.load_config(core.to_json())
    assert routed == core and [(r.uri, r.port) for r in routed.routes] == [(profile.ixit.servers[1].uri, 5072)]


def test_the_server_reads_back_other_kmses_and_user_homes(profile):
    idm, kms = _endpoints()
    config = roleconfigs.server(profile, sip=HostPort("127.0.0.1", 0), netns=None, idm=idm, kms=kms, trace_path="t",
                                core_sip2=HostPort("127.0.0.1", 5062))
    bob = profile.ixit.user("bob").mcptt_id
    homed = dataclasses.replace(config, other_kms=(KmsEndpoint("https://127.0.0.1:2", "kms-b.example.org", "ca.pem"),),
                                user_kms={bob: "kms-b.example.org"})
    again = server_config.load(homed.to_json())
    assert again == homed and again.user_kms == {bob: "kms-b.example.org"}
    raw = homed.to_json()
    raw["users"][0]["kms_uri"] = "kms.nowhere.example"
    with pytest.raises(ConfigError, match="neither 'kms' nor in 'other_kms'"):
        server_config.load(raw)
    raw = homed.to_json()
    raw["other_kms"].append(raw["other_kms"][0])
    with pytest.raises(ConfigError, match="given twice"):
        server_config.load(raw)


def test_the_second_kms_is_a_sound_peer_of_its_own_kms_uri_with_test_control_on(ca, profile):
    config = roleconfigs.other_kms(profile, ca.issue_server("kms-2"), kms_uri="kms2.example.org",
                                   issuer="https://127.0.0.1:1", jwks_uri="https://x/jwks", idm_ca=str(ca.cert_path),
                                   port=0, secret="s" * 24)
    again = kms_config.load(config.to_json())
    assert again == config and again.kms_uri == "kms2.example.org"
    assert again.faults.names() == []  # the profile's KMS faults are the lab's KMS's, not this peer's
    assert again.audience == profile.ixit.kms_uri  # the lab's one IdM issues tokens for both
    assert again.test_control and again.test_control_secret == "s" * 24


def test_the_lab_homes_a_user_at_the_second_kms_only_when_it_runs_one(profile):
    idm, kms = _endpoints()
    carol = profile.ixit.user("carol")
    assert carol.kms_uri == "kms2.example.org" and profile.ixit.other_kms_uris == ("kms2.example.org",)
    second = KmsEndpoint("https://127.0.0.1:3", "kms2.example.org", "ca.pem")
    assert roleconfigs.homes(profile, (second,)) == {carol.mcptt_id: second}
    assert roleconfigs.homes(profile, ()) == {}
    with_second = roleconfigs.server(profile, sip=HostPort("127.0.0.1", 0), netns=None, idm=idm, kms=kms,
                                     trace_path="t", core_sip2=HostPort("127.0.0.1", 5062), other_kms=(second,))
    again = server_config.load(with_second.to_json())
    assert again.other_kms == (second,) and again.user_kms == {carol.mcptt_id: "kms2.example.org"}
    without = roleconfigs.server(profile, sip=HostPort("127.0.0.1", 0), netns=None, idm=idm, kms=kms,
                                 trace_path="t", core_sip2=HostPort("127.0.0.1", 5062))
    assert without.other_kms == () and without.user_kms == {}  # carol is then homed at the lab's KMS
