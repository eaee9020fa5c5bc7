"""Capture per reference point, reassembly, pcap evidence read back, and the unprivileged path."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from mcsec.fixtures.wire.capture import Capture, dedupe, read_pcap, reassemble, write_pcap
from mcsec.fixtures.wire.points import SIP1, SIP2, CapturePoint, loopback_points

ROOT = Path(__file__).resolve().parents[3]


def sip(call_id: str, body: bytes = b"", method: str = "MESSAGE") -> bytes:
    head = (f"{method} sip:as@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:7;branch=z9hG4bK{call_id}\r\n"
            f"From: <sip:a@x>;tag=1\r\nTo: <sip:as@x>\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\n")
    if body:
        head += "Content-Type: text/plain\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def frame(t: float, payload: bytes, *, seq: int = 0, flags: str = "PA", udp: bool = False,
          sport: int = 40000, dport: int = 5060):
    l4 = UDP(sport=sport, dport=dport) if udp else TCP(sport=sport, dport=dport, seq=seq, flags=flags)
    pkt = Ether(bytes(Ether() / IP(src="127.0.0.1", dst="127.0.0.1") / l4 / Raw(payload)))
    pkt.time = t
    return pkt


# ---------------------------------------------------------------- reassembly (no privilege needed)


def test_tcp_stream_is_reordered_deduplicated_and_framed() -> None:
    one, two, three = sip("c1", b"hello"), sip("c2", b"x" * 3000), sip("c3")
    stream = one + b"\r\n\r\n" + two + three  # a keep-alive ping between messages
    isn = 4_294_967_000  # the sequence numbers wrap inside the stream
    cut = [0, 40, len(one) + 4 + 1000, len(one) + 4 + len(two) + 5, len(stream)]
    segs = [frame(1.0 + i / 100, stream[a:b], seq=(isn + 1 + a) % 2**32)
            for i, (a, b) in enumerate(zip(cut, cut[1:]))]
    syn = frame(0.5, b"", seq=isn, flags="S")
    packets = [syn, segs[2], segs[0], segs[1], segs[1], segs[3]]  # out of order, one retransmission
    packets[4] = frame(1.2, stream[cut[1]:cut[2]], seq=(isn + 1 + cut[1]) % 2**32)
    messages = reassemble(packets, SIP1)
    assert [m.message.call_id for m in messages if m.message] == ["c1", "c2", "c3"]
    assert [m.raw for m in messages] == [one, two, three]
    assert all(m.transport == "tcp" and m.point == SIP1 and m.src == "127.0.0.1:40000" for m in messages)


def test_incomplete_and_unframeable_streams_are_kept_as_unparsable() -> None:
    cut_short = sip("c4", b"y" * 100)[:-30]
    messages = reassemble([frame(1.0, cut_short, seq=10, sport=1), frame(1.0, b"NOT SIP\r\n\r\n", seq=5, sport=2)])
    by_port = {m.src: m for m in messages}
    assert by_port["127.0.0.1:1"].message is None and "incomplete" in (by_port["127.0.0.1:1"].error or "")
    assert by_port["127.0.0.1:1"].raw == cut_short
    assert by_port["127.0.0.1:2"].raw == b"NOT SIP\r\n\r\n" and "unframeable" in (by_port["127.0.0.1:2"].error or "")


def test_udp_datagrams_and_duplicates() -> None:
    pkt = frame(1.0, sip("u1", b"body"), udp=True)
    twin = pkt.copy()
    twin.time = 1.00002
    retransmission = frame(1.5, sip("u1", b"body"), udp=True)
    kept = dedupe([pkt, twin, retransmission])
    assert len(kept) == 2  # the loopback twin goes, the retransmission 500 ms later stays
    messages = reassemble(kept)
    assert [m.first_line for m in messages] == ["MESSAGE sip:as@127.0.0.1 SIP/2.0"] * 2
    assert messages[0].body == b"body" and messages[0].content_type == "text/plain"
    assert reassemble([frame(1.0, b"\r\n\r\n", udp=True)]) == []  # keep-alive


def test_pcap_round_trip(tmp_path: Path) -> None:
    packets = [frame(1.0, sip("p1", b"abc"), udp=True), frame(2.0, sip("p2"), seq=1)]
    write_pcap(packets, tmp_path / "sip1.pcap")
    write_pcap([], tmp_path / "sip2.pcap")
    back = read_pcap(tmp_path / "sip1.pcap", SIP1)
    assert [(m.transport, m.message.call_id, m.time) for m in back] == [("udp", "p1", 1.0), ("tcp", "p2", 2.0)]
    assert read_pcap(tmp_path / "sip2.pcap") == []


def test_filters_name_the_ports_or_the_interface() -> None:
    assert CapturePoint((5060, 5070)).bpf_filter().startswith("((udp or tcp) and (port 5060 or port 5070))")
    assert CapturePoint((), "veth-core").bpf_filter().startswith("udp or tcp")


# ---------------------------------------------------------------- live capture on loopback


def _same_port_other_protocol(sock: socket.socket) -> socket.socket | None:
    """A socket of the other protocol (UDP for TCP, TCP for UDP) bound to ``sock``'s port on 127.0.0.1, so
    that no other process on the machine (another test worker's lab) sends on a port number the capture
    filter below takes; None when that number is taken for the other protocol already."""
    kind = socket.SOCK_DGRAM if sock.type == socket.SOCK_STREAM else socket.SOCK_STREAM
    other = socket.socket(socket.AF_INET, kind)
    try:
        other.bind(("127.0.0.1", sock.getsockname()[1]))
    except OSError:
        other.close()
        return None
    return other


def _held(kind: int) -> tuple[socket.socket, socket.socket]:
    """A socket of ``kind`` on 127.0.0.1 whose port number is held for the other protocol too (bounded)."""
    for _ in range(50):
        sock = socket.socket(socket.AF_INET, kind)
        sock.bind(("127.0.0.1", 0))
        other = _same_port_other_protocol(sock)
        if other is not None:
            return sock, other
        sock.close()
    pytest.fail("no loopback port free for both UDP and TCP in 50 tries")


def test_points_are_told_apart_by_port_and_evidence_reads_back(raw_sockets: None, tmp_path: Path) -> None:
    held = [_held(kind) for kind in (socket.SOCK_DGRAM, socket.SOCK_DGRAM, socket.SOCK_DGRAM, socket.SOCK_STREAM)]
    (ua, _), (core1, _), (core2, _), (srv, _) = held
    srv.listen()
    port = {name: s.getsockname()[1] for name, s in (("ua", ua), ("c1", core1), ("c2", core2), ("as", srv))}
    capture = Capture(loopback_points([port["c1"], port["ua"]], [port["c2"], port["as"]]))
    capture.start()
    try:
        ua.sendto(sip("on-sip1", b"alpha"), ("127.0.0.1", port["c1"]))
        core1.recv(65535)
        core2.sendto(sip("udp-on-sip2"), ("127.0.0.1", port["as"]))  # nobody listens on UDP: still on the wire
        client = socket.create_connection(("127.0.0.1", port["as"]))
        conn, _ = srv.accept()
        big = sip("tcp-on-sip2", b"z" * 150_000)  # several segments
        client.sendall(big)
        got = b""
        while len(got) < len(big):
            got += conn.recv(65536)
        client.close()
        conn.close()
    finally:
        capture.stop()
    ids = {point: [m.message.call_id for m in capture.messages(point) if m.message] for point in (SIP1, SIP2)}
    assert ids == {SIP1: ["on-sip1"], SIP2: ["udp-on-sip2", "tcp-on-sip2"]}
    tcp = capture.messages(SIP2)[-1]
    assert tcp.raw == big and tcp.transport == "tcp"
    paths = capture.write_evidence(tmp_path)
    assert sorted(p.name for p in paths) == ["sip1.pcap", "sip2.pcap", "wire-trace.txt"]
    assert [m.raw for m in read_pcap(tmp_path / "sip2.pcap")] == [m.raw for m in capture.messages(SIP2)]
    trace = (tmp_path / "wire-trace.txt").read_text().splitlines()
    assert len(trace) == 3 and "SIP-1 udp" in trace[0] and "| body 5 bytes" in trace[0]
    assert "SIP-2 tcp" in trace[2] and "Content-Type: text/plain" in trace[2]
    for pair in held:
        for s in pair:
            s.close()


def test_unprivileged_capture_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    script = (
        "import json\n"
        "from mcsec.fixtures.wire.capture import Capture, CaptureUnavailable\nfrom mcsec.fixtures.wire.points import CapturePoint\n"
        "try:\n"
        "    Capture({'SIP-1': CapturePoint((5060,))}, start_timeout_s=5).start()\n"
        "    print(json.dumps({'started': True}))\n"
        "except CaptureUnavailable as exc:\n"
        "    print(json.dumps({'unavailable': str(exc)}))\n"
    )
    result = subprocess.run(["setpriv", "--bounding-set=-net_raw,-net_admin,-sys_admin", "--inh-caps=-all",
                             sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30,
                            env={**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome.get("unavailable", "").startswith("raw sockets not permitted"), outcome


def test_start_fails_clearly_on_an_unknown_interface(raw_sockets: None) -> None:
    from mcsec.fixtures.wire.capture import CaptureUnavailable

    started = time.monotonic()
    with pytest.raises(CaptureUnavailable, match="mcsec-nosuch"):
        Capture({SIP1: CapturePoint((5060,), "mcsec-nosuch")}, start_timeout_s=3).start()
    assert time.monotonic() - started < 5


def test_written_pcaps_read_in_an_independent_reader(tmp_path: Path) -> None:
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    packets = [frame(1.25, sip("p1", b"abc"), udp=True), frame(2.5, sip("p2"), seq=1)]
    write_pcap(packets, tmp_path / "x.pcap")
    back = rdpcap(str(tmp_path / "x.pcap"))
    assert [bytes(p) for p in back] == [bytes(p) for p in packets]
    assert all(p.haslayer(Ether) for p in back) and [float(p.time) for p in back] == [1.25, 2.5]
