"""Wire scenarios in whole runs: Kamailio as the SIP core, no privilege, pcap evidence read back."""
from mcsec.fixtures.wire.capture import read_pcap
from mcsec.fixtures.wire.points import SIP1, SIP2
from tests.e2e.conftest import mcsec_run, other_side


def test_stored_pcaps_hold_the_scenario_messages(baseline_run):
    wire = [s for s in baseline_run.results["scenarios"] if s["feature"] == "7.13/on-the-wire.feature"]
    assert wire
    for scenario in wire:
        pcaps = {p.rsplit("/", 1)[1]: baseline_run.out / p for p in scenario["evidence"] if p.endswith(".pcap")}
        assert set(pcaps) == {"sip1.pcap", "sip2.pcap"}, scenario["evidence"]
        method = scenario["name"].split()[2]  # "A protected MESSAGE leaves ..."
        for name, point in (("sip1.pcap", SIP1), ("sip2.pcap", SIP2)):
            messages = read_pcap(pcaps[name], point)
            lines = [m.first_line for m in messages if m.message is not None]
            assert any(line.startswith(f"{method} ") for line in lines), (name, lines)
            assert any(line.startswith("SIP/2.0 200") for line in lines), (name, lines)
            assert all(m.point == point for m in messages)


def test_without_raw_socket_privilege_wire_verdicts_are_inconclusive_never_pass(tmp_path):
    run = mcsec_run(tmp_path / "out", "--requirement", "R713-CONF-SIP1", "--requirement", "R713-KEYID-SELECT",
                    drop_caps=("net_raw", "net_admin"))
    assert run.status == 3, run.stdout + run.stderr
    scenarios = run.results["scenarios"]
    # Judged from the capture: the on-the-wire feature, the injections (they replay a captured request),
    # the confidentiality verdicts of the protected round trips, and what the MCPTT client put on SIP-1.
    on_wire = [s for s in scenarios if s["feature"] in ("7.13/on-the-wire.feature", "sip-smime/injection.feature")
               or "round trip reveals no MCPTT identity" in s["name"] or s["feature"].startswith("client/")]
    assert {s["feature"] for s in on_wire} == {"7.13/on-the-wire.feature", "sip-smime/injection.feature",
                                               "7.13/sip-protection.feature", "client/sends-protected.feature",
                                               "client/answers-requests.feature", "client/takes-answers.feature"}
    assert all(s["verdict"] == "inconclusive" and "raw sockets not permitted" in s["reason"] for s in on_wire), \
        [(s["id"], s["verdict"], s["reason"]) for s in on_wire]
    others = [s for s in scenarios if s not in on_wire]
    assert others and all(s["verdict"] == "pass" for s in others), "scenarios without capture still decide"


def test_the_features_pass_through_kamailio_as_the_sip_core(tmp_path):
    run = mcsec_run(tmp_path, "--sip-core", "kamailio")
    assert run.status == 0, run.stdout[-3000:] + run.stderr[-3000:]
    doc = run.results
    assert doc["sut"]["sip_core"] == "kamailio"
    na = [s for s in doc["scenarios"] if s["verdict"] == "not_applicable" and s["id"] not in other_side()]
    assert na and all("Kamailio" in s["reason"] and "SIP-1" in s["name"] for s in na), \
        "only scenarios about the SIP core's own behaviour do not apply to Kamailio"
    sip = [s for s in doc["scenarios"] if s["feature"] in ("7.13/sip-protection.feature", "7.13/on-the-wire.feature")
           and s["id"] not in other_side()]
    assert sip and all(s["verdict"] == "pass" for s in sip)
    assert any(p.endswith("sip1.pcap") for s in sip for p in s["evidence"]), "the capture is the core's record"


def test_a_sip_core_that_cannot_run_makes_scenarios_inconclusive_with_the_reason(tmp_path):
    run = mcsec_run(tmp_path, "--sip-core", "kamailio", "--requirement", "R713-KEYID-SELECT",
                    env={"MCSEC_KAMAILIO": str(tmp_path / "no-kamailio-here")})
    assert run.status == 3, run.stdout + run.stderr
    assert run.results["scenarios"]
    for s in run.results["scenarios"]:
        assert s["verdict"] == "inconclusive" and "Kamailio cannot run" in s["reason"], s
