"""The reference SIP core on the wire: what the capture shows equals what the core traced, protected
bodies pass the exposure search, clear ones are found on both reference points."""
from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

from mcsec.fixtures.wire.capture import Capture, read_pcap
from mcsec.fixtures.wire.points import SIP1, SIP2, loopback_points
from mcsec.fixtures.wire.exposure import SensitiveValue, check_protection, find_exposures
from mcsec.impl.smime import ReplayStamp, SipContext, seal
from mcsec.impl.smime.mime import CONTENT_DISPOSITION, CONTENT_TYPE
from tests.unit.core.harness import CoreUnderTest, LoopThread, TestUa
from tests.unit.wire.conftest import CEK, KEY_ID

MCPTT_ID = SensitiveValue("sip:alice.mcptt@mcptt.example.org", label="MCPTT ID")
GROUP_ID = SensitiveValue("sip:fleet-7@mcptt.example.org", label="MCPTT group ID")


def info_xml(*values: SensitiveValue) -> bytes:
    inner = "".join(f"<mcptt-request-uri>{v.text}</mcptt-request-uri>" for v in values)
    return f'<?xml version="1.0"?><mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0">{inner}</mcpttinfo>'.encode()


def test_capture_matches_the_core_trace_and_finds_clear_identities(
        loop: LoopThread, wire_core: CoreUnderTest, raw_sockets: None, tmp_path: Path) -> None:
    core = wire_core

    async def start_uas() -> tuple[TestUa, TestUa]:
        return (await TestUa.start(core.sip1, "udp", "alice"), await TestUa.start(core.sip1, "tcp", "bob"))

    alice, bob = loop.run(start_uas())
    as_ep = core.fake_as.endpoint
    capture = Capture(loopback_points(
        [core.sip1[1], alice.endpoint.udp_address[1], bob.endpoint.tcp_address[1]],
        [core.sip2[1], as_ep.udp_address[1], as_ep.tcp_address[1]]))
    capture.start()
    try:
        async def scenario() -> tuple[int, int]:
            assert (await alice.register(core.passwords["alice"]))[1].status == 200
            assert (await bob.register(core.passwords["bob"]))[1].status == 200
            protected = alice.new_request("MESSAGE")
            stamp = ReplayStamp.new(context=SipContext(protected.call_id, protected.cseq.seq, "MESSAGE"))
            protected.set_body(seal(info_xml(MCPTT_ID), cek=CEK, key_id=KEY_ID, replay_stamp=stamp), CONTENT_TYPE)
            protected.headers.add("Content-Disposition", CONTENT_DISPOSITION)
            clear = bob.new_request("MESSAGE", body=info_xml(GROUP_ID),
                                    content_type="application/vnd.3gpp.mcptt-info+xml")
            return (await alice.send(protected)).status, (await bob.send(clear)).status

        assert loop.run(scenario()) == (200, 415)  # the fake AS refuses bodies in clear
    finally:
        capture.stop()
        loop.run(alice.close())
        loop.run(bob.close())

    messages = capture.messages()
    findings = find_exposures(messages, [MCPTT_ID, GROUP_ID])
    assert {(f.value, f.point, f.encoding) for f in findings} == {
        (GROUP_ID.text, SIP1, "plain"), (GROUP_ID.text, SIP2, "plain")}
    protected_on_wire = [m for m in messages if m.message is not None and m.content_type == CONTENT_TYPE]
    assert sorted(m.point for m in protected_on_wire) == [SIP1, SIP2]
    assert all(check_protection(m, key_id=KEY_ID).protected for m in protected_on_wire)
    assert protected_on_wire[0].body == protected_on_wire[1].body  # relayed unchanged

    traced: dict[str, Counter[bytes]] = {SIP1: Counter(), SIP2: Counter()}
    for line in core.trace_path.read_text().splitlines():
        entry = json.loads(line)
        if entry["t"] >= messages[0].time - 0.5:
            traced[entry["ref"]][base64.b64decode(entry["raw_b64"])] += 1
    for point in (SIP1, SIP2):
        assert Counter(m.raw for m in capture.messages(point)) == traced[point], point

    capture.write_evidence(tmp_path)
    for point, name in ((SIP1, "sip1.pcap"), (SIP2, "sip2.pcap")):
        back = read_pcap(tmp_path / name, point)
        assert [(m.first_line, m.raw) for m in back] == [(m.first_line, m.raw) for m in capture.messages(point)]
    assert len((tmp_path / "wire-trace.txt").read_text().splitlines()) == len(messages)
