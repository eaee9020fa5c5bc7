"""The network-namespace topology: SIP-1 and SIP-2 captured by interface, nothing left behind."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mcsec.fixtures.wire.capture import Capture
from mcsec.fixtures.wire.points import SIP1, SIP2
from mcsec.fixtures.lab.netns import TopologyUnavailable, entered, existing_namespaces, sweep_stale, topology

ROOT = Path(__file__).resolve().parents[3]


def datagram(name: str) -> bytes:
    return (f"MESSAGE sip:x@10.79.1.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.79.1.1:5060;branch=z9hG4bK{name}\r\n"
            f"From: <sip:a@x>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: {name}\r\nCSeq: 1 MESSAGE\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def udp_in(namespace: str, address: str) -> socket.socket:
    with entered(namespace):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 5060))
    sock.settimeout(2)
    return sock


def test_ue_core_as_topology_captured_by_interface(raw_sockets: None) -> None:
    before = existing_namespaces()
    try:
        ctx = topology()
        topo = ctx.__enter__()
    except TopologyUnavailable as exc:
        pytest.skip(f"namespaces unavailable here: {exc}")
    try:
        ue, core1 = udp_in(topo.ue, topo.sip1.a_addr), udp_in(topo.core, topo.sip1.b_addr)
        core2, as_ = udp_in(topo.core, topo.sip2.a_addr), udp_in(topo.as_, topo.sip2.b_addr)
        capture = Capture(topo.capture_points())
        capture.start()
        try:
            ue.sendto(datagram("ue-to-core"), (topo.sip1.b_addr, 5060))
            assert core1.recv(65535).startswith(b"MESSAGE")
            core2.sendto(datagram("core-to-as"), (topo.sip2.b_addr, 5060))
            assert as_.recv(65535).startswith(b"MESSAGE")
            big = datagram("fragmented").replace(b"Content-Length: 0\r\n\r\n",
                                                 b"Content-Type: text/plain\r\nContent-Length: 4000\r\n\r\n" + b"f" * 4000)
            core2.sendto(big, (topo.sip2.b_addr, 5060))  # three IP fragments on a 1500-byte link
            assert as_.recv(65535) == big
        finally:
            capture.stop()
        for s in (ue, core1, core2, as_):
            s.close()
        assert [(m.message.call_id, m.src) for m in capture.messages(SIP1)] == [("ue-to-core", "10.79.1.1:5060")]
        assert [m.message.call_id for m in capture.messages(SIP2)] == ["core-to-as", "fragmented"]
        assert capture.messages(SIP2)[1].raw == big
        assert topo.ue in existing_namespaces()
    finally:
        ctx.__exit__(None, None, None)
    assert existing_namespaces() == before
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True, timeout=10).stdout
    assert "sip1" not in links and "sip2" not in links


def test_removed_even_when_the_body_fails() -> None:
    before = existing_namespaces()
    with pytest.raises(RuntimeError, match="scenario broke"):
        try:
            with topology() as topo:
                assert topo.core in existing_namespaces()
                raise RuntimeError("scenario broke")
        except TopologyUnavailable as exc:
            pytest.skip(f"namespaces unavailable here: {exc}")
    assert existing_namespaces() == before


def test_unprivileged_topology_is_unavailable(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    script = ("from mcsec.fixtures.lab.netns import topology, TopologyUnavailable\n"
              "try:\n    topology().__enter__(); print('created')\n"
              "except TopologyUnavailable as exc:\n    print('unavailable:', exc)\n")
    result = subprocess.run(["setpriv", "--bounding-set=-net_raw,-net_admin,-sys_admin", "--inh-caps=-all",
                             sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30,
                            env={**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert result.stdout.startswith("unavailable:"), (result.stdout, result.stderr[-1000:])


def test_namespaces_of_a_killed_run_are_swept_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=10)
    stale, foreign = f"mcsec-p{dead.pid}-beef-ue", "mcsec-test-foreign"
    for name in (stale, foreign):
        made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=10)
        if made.returncode != 0:
            pytest.skip(f"namespaces unavailable here: {made.stderr.strip()}")
    try:
        assert stale in sweep_stale()
        left = existing_namespaces()
        assert stale not in left and foreign in left, "only namespaces named after a dead run are swept"
    finally:
        for name in (stale, foreign):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
