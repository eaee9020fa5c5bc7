"""Whole runs in the network-namespace topology ([lab] topology = "netns"): the MCPTT clients in the ue
namespace, the SIP core in core, the MCPTT server in as; SIP-1 and SIP-2 are veth links captured by
interface, and the test system's own SIP traffic (its user agents, injections) crosses them too."""
import os

import pytest

from mcsec.fixtures.wire.capture import read_pcap
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.fixtures.lab.netns import existing_namespaces
from tests.e2e.conftest import all_applicable_pass, RunResult, mcsec_run

# The addresses of fixtures/netns.py: ue-sip1 / core-sip1 on SIP-1, core-sip2 / as-sip2 on SIP-2.
LINK_HOSTS = {SIP1: {"10.79.1.1", "10.79.1.2"}, SIP2: {"10.79.1.5", "10.79.1.6"}}
WIRE = "7.13/on-the-wire.feature"
INJECTION = "sip-smime/injection.feature"


def _hosts(messages) -> set[str]:
    return {endpoint.rsplit(":", 1)[0] for m in messages for endpoint in (m.src, m.dst)}


def _pcaps(run: RunResult, scenario: dict) -> dict[str, list]:
    found = {}
    for path in scenario["evidence"]:
        for name, point in (("sip1.pcap", SIP1), ("sip2.pcap", SIP2)):
            if path.endswith("/" + name):
                found[point] = read_pcap(run.out / path, point)
    return found


@pytest.fixture(scope="module")
def netns_run(tmp_path_factory) -> tuple[RunResult, set[str]]:
    before = existing_namespaces()
    return mcsec_run(tmp_path_factory.mktemp("netns"), "--topology", "netns"), before


def test_every_feature_passes_with_each_role_in_its_namespace(netns_run):
    run, before = netns_run
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    doc = run.results
    assert doc["sut"]["topology"] == "netns"
    assert len(doc["scenarios"]) > 100 and not all_applicable_pass(doc["scenarios"])
    assert existing_namespaces() == before, "the run removes the namespaces it made"


def test_sip1_and_sip2_are_captured_each_on_its_own_link(netns_run):
    run, _ = netns_run
    wire = [s for s in run.results["scenarios"] if s["feature"] == WIRE]
    assert wire
    for scenario in wire:
        pcaps = _pcaps(run, scenario)
        assert set(pcaps) == {SIP1, SIP2}, scenario["evidence"]
        method = scenario["name"].split()[2]  # "A protected MESSAGE leaves ..."
        for point, messages in pcaps.items():
            assert _hosts(messages) == LINK_HOSTS[point], (point, _hosts(messages))
            assert any(m.first_line.startswith(f"{method} ") for m in messages if m.message is not None)


def test_injections_leave_from_the_test_system_on_the_link_they_attack(netns_run):
    run, _ = netns_run
    injected = [s for s in run.results["scenarios"] if s["feature"] == INJECTION and "SIP-" in s["name"]]
    assert injected
    for scenario in injected:
        point = SIP1 if "SIP-1" in scenario["name"] else SIP2
        messages = _pcaps(run, scenario)[point]
        assert messages and _hosts(messages) <= LINK_HOSTS[point], (scenario["name"], _hosts(messages))


def test_kamailio_serves_as_the_sip_core_inside_the_core_namespace(tmp_path):
    run = mcsec_run(tmp_path, "--topology", "netns", "--sip-core", "kamailio", "--requirement", "R713-CONF-SIP1")
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    wire = [s for s in run.results["scenarios"] if s["feature"] == WIRE]
    assert wire and all(s["verdict"] == "pass" for s in wire)
    for scenario in wire:
        for point, messages in _pcaps(run, scenario).items():
            assert messages and _hosts(messages) == LINK_HOSTS[point]


def test_a_sensitive_body_sent_in_clear_is_caught_on_the_sip1_link(tmp_path):
    # The client sends clear and the server accepts it: neither end objects, only the wire shows it.
    run = mcsec_run(tmp_path, "--topology", "netns", "--fault", "client_send_clear_body",
                    "--fault", "server_accept_clear_body", "--requirement", "R713-CONF-SIP1")
    assert run.status == 1, run.stdout + run.stderr
    wire = [s for s in run.results["scenarios"] if s["feature"] == WIRE]
    assert wire and all(s["verdict"] == "fail" and "readable (plain) on SIP-1" in s["reason"]
                        and "10.79.1.1:" in s["reason"] for s in wire), [(s["verdict"], s["reason"]) for s in wire]


def test_a_server_ignoring_the_key_id_is_caught_by_injection_on_both_links(tmp_path):
    run = mcsec_run(tmp_path, "--topology", "netns", "--fault", "server_ignore_key_id",
                    "--requirement", "R713-KEYID-SELECT")
    assert run.status == 1, run.stdout + run.stderr
    injected = [s for s in run.results["scenarios"] if s["feature"] == INJECTION]
    assert {SIP1 if f" {SIP1}" in s["name"] else SIP2 for s in injected} == {SIP1, SIP2}
    assert all(s["verdict"] == "fail" for s in injected), [s["reason"] for s in injected]


def test_without_the_privilege_for_namespaces_every_scenario_is_inconclusive(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("this test needs root, to drop CAP_SYS_ADMIN from it")
    run = mcsec_run(tmp_path / "out", "--topology", "netns", "--requirement", "R713-KEYID-SELECT",
                    drop_caps=("sys_admin",))
    assert run.status == 3, run.stdout + run.stderr
    assert run.results["scenarios"]
    for s in run.results["scenarios"]:
        assert s["verdict"] == "inconclusive" and "network-namespace topology" in s["reason"], s
