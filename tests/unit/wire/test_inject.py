"""Crafted packets against the reference SIP core (and the fake AS behind it), each followed by a
liveness exchange."""
from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from mcsec.fixtures.wire.capture import Capture
from mcsec.fixtures.wire.inject import SILENCE_S, PeerNotServing, TcpInjector, UdpInjector, liveness, register, via_line
from mcsec.fixtures.wire.points import SIP1, SIP2, loopback_points
from mcsec.fixtures.wire.surgery import (
    flip_ciphertext,
    flip_tag,
    flip_wrapped_key,
    oversize,
    protected_der,
    strip_protection,
    swap_key_id,
    truncate_body,
)
from mcsec.fixtures.wire.torture import TORTURE, Craft
from mcsec.impl.hostport import HostPort
from mcsec.impl.sip import Request, make_request, new_branch
from mcsec.impl.smime import ReplayStamp, SipContext, open as open_body, seal
from mcsec.impl.smime.mime import CONTENT_DISPOSITION, CONTENT_TYPE
from tests.unit.core.harness import AS_URI, CoreUnderTest, impu
from tests.unit.wire.conftest import CEK, KEY_ID

CLEAR = b'<?xml version="1.0"?><mcpttinfo><mcptt-request-uri>sip:alice.mcptt@mcptt.example.org</mcptt-request-uri></mcpttinfo>'


@pytest.fixture(scope="module")
def injector(wire_core: CoreUnderTest, raw_sockets: None) -> Iterator[UdpInjector]:
    with UdpInjector() as inj:
        answer = register(inj, HostPort(*wire_core.sip1), impu=impu("alice"), username="alice",
                          password=wire_core.passwords["alice"])
        assert answer.status == 200, answer.first_line()
        yield inj


@pytest.fixture(autouse=True)
def still_serving(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every injection: the core answers an OPTIONS on SIP-1."""
    yield
    if "wire_core" in request.fixturenames:
        core: CoreUnderTest = request.getfixturevalue("wire_core")
        assert liveness(HostPort(*core.sip1)).status in (200, 403)  # 403: OPTIONS from an unregistered flow
        assert core.process.alive()


def protected_message(inj: UdpInjector) -> Request:
    request = make_request("MESSAGE", AS_URI, from_=f"<{impu('alice')}>", to=f"<{AS_URI}>",
                           contact=f"<sip:alice@127.0.0.1:{inj.port}>")
    request.headers.prepend("Via", via_line("udp", "127.0.0.1", inj.port))
    stamp = ReplayStamp.new(context=SipContext(request.call_id, request.cseq.seq, "MESSAGE"))
    request.set_body(seal(CLEAR, cek=CEK, key_id=KEY_ID, replay_stamp=stamp), CONTENT_TYPE)
    request.headers.add("Content-Disposition", CONTENT_DISPOSITION)
    return request


def with_new_branch(request: Request) -> Request:
    out = request.copy()
    out.headers.replace_first_element("Via", via_line("udp", "127.0.0.1", int(out.top_via.port or 0), new_branch()))
    return out


def test_protected_message_is_accepted_then_its_replay_refused(wire_core: CoreUnderTest, injector: UdpInjector) -> None:
    message = protected_message(injector)
    assert injector.exchange(message.to_bytes(), HostPort(*wire_core.sip1)).status == 200
    replay = with_new_branch(message)  # the captured request again, in a new transaction
    assert replay.body == message.body
    answer = injector.exchange(replay.to_bytes(), HostPort(*wire_core.sip1))
    assert answer is not None and answer.status == 403, answer


MUTATIONS: dict[str, tuple[Callable[[Request], bytes], int | None]] = {
    "ciphertext-bit": (lambda r: flip_ciphertext(r, bit=13).to_bytes(), 493),
    "tag-bit": (lambda r: flip_tag(r, bit=127).to_bytes(), 493),
    "wrapped-key-bit": (lambda r: flip_wrapped_key(r, bit=70).to_bytes(), 493),
    "unknown-key-id": (lambda r: swap_key_id(r, b"\x20\xff\xff\xff").to_bytes(), 493),
    "stripped": (lambda r: strip_protection(r, CLEAR, "application/vnd.3gpp.mcptt-info+xml").to_bytes(), 415),
    "truncated-length-kept": (lambda r: truncate_body(r), 400),  # the core: body shorter than Content-Length
    "truncated-length-fixed": (lambda r: truncate_body(r, fix_length=True), 493),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutated_protected_message(name: str, wire_core: CoreUnderTest, injector: UdpInjector) -> None:
    mutate, expected = MUTATIONS[name]
    answer = injector.exchange(mutate(protected_message(injector)), HostPort(*wire_core.sip1))
    assert answer is not None and answer.status == expected, answer and answer.first_line()


def test_mutators_change_only_their_field() -> None:
    with UdpInjector() as inj:
        original = protected_message(inj)
    der = protected_der(original)
    for mutate in (flip_ciphertext, flip_tag, flip_wrapped_key):
        mutated = protected_der(mutate(original))
        diff = [i for i, (a, b) in enumerate(zip(der, mutated)) if a != b]
        assert len(mutated) == len(der) and len(diff) == 1
        with pytest.raises(Exception, match="Undecipherable|GCM|unwrap"):
            open_body(mutated, key_lookup={KEY_ID: CEK}.get)
    swapped = swap_key_id(original, b"other")
    assert int(swapped.headers.get("Content-Length")) == len(swapped.body) == len(original.body) + 1
    truncated = truncate_body(original, keep=10)
    assert truncated.endswith(der[:10]) and f"Content-Length: {len(der)}".encode() in truncated
    assert len(oversize(original, 70_000)) == 70_000


def test_injected_bytes_cross_the_wire_unchanged(wire_core: CoreUnderTest, injector: UdpInjector) -> None:
    as_ep = wire_core.fake_as.endpoint
    capture = Capture(loopback_points([wire_core.sip1[1], injector.port], [wire_core.sip2[1], as_ep.udp_address[1]]))
    crafted = flip_tag(protected_message(injector)).to_bytes()
    capture.start()
    try:
        assert injector.exchange(crafted, HostPort(*wire_core.sip1)).status == 493
    finally:
        capture.stop()
    sip1 = [m for m in capture.messages(SIP1) if m.is_request]
    assert [m.raw for m in sip1] == [crafted]
    relayed = [m for m in capture.messages(SIP2) if m.is_request]
    assert len(relayed) == 1 and relayed[0].body == sip1[0].body  # the core relays the crafted body as is


def test_oversized_message_over_tcp_gets_513(wire_core: CoreUnderTest) -> None:
    with TcpInjector(HostPort(*wire_core.sip1)) as tcp:
        message = oversize(protected_message_tcp(tcp.port), 70_000)
        answer = tcp.exchange(message)
    assert answer is not None and answer.status == 513


def test_truncated_message_over_tcp_gets_no_answer(wire_core: CoreUnderTest) -> None:
    with TcpInjector(HostPort(*wire_core.sip1)) as tcp:
        assert tcp.exchange(truncate_body(protected_message_tcp(tcp.port)), timeout=SILENCE_S) is None


def protected_message_tcp(port: int) -> Request:
    request = make_request("MESSAGE", AS_URI, from_=f"<{impu('alice')}>", to=f"<{AS_URI}>")
    request.headers.prepend("Via", via_line("tcp", "127.0.0.1", port))
    request.set_body(seal(CLEAR, cek=CEK, key_id=KEY_ID), CONTENT_TYPE)
    return request


@pytest.mark.parametrize("case", TORTURE, ids=[c.name for c in TORTURE])
def test_torture_message(case, wire_core: CoreUnderTest, raw_sockets: None) -> None:
    wait = SILENCE_S if case.expected.status is None else 3.0
    if case.transport == "tcp":
        with TcpInjector(HostPort(*wire_core.sip1)) as tcp:
            answer = tcp.exchange(case.build(Craft(f"sip:{AS_URI[4:]}", "127.0.0.1", tcp.port, "tcp")), timeout=wait)
    else:
        with UdpInjector() as inj:
            answer = inj.exchange(case.build(Craft(AS_URI, "127.0.0.1", inj.port)), HostPort(*wire_core.sip1), timeout=wait)
    if case.expected.status is None:
        assert answer is None, answer.first_line()
    else:
        assert answer is not None, f"no answer, expected {case.expected.describe()}"
        assert answer.status == case.expected.status, answer.first_line()
        assert case.expected.reason_hint.lower() in answer.reason.lower()


def test_liveness_reports_a_silent_peer() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        with pytest.raises(PeerNotServing, match="no answer to OPTIONS"):
            liveness(HostPort(*mute.getsockname()), timeout=0.3)


def test_a_probe_after_the_crafted_request_ends_the_wait_for_its_answer(raw_sockets: None) -> None:
    """A peer answers a flow's datagrams in order: once the probe is answered, an answer to the crafted
    request would have come. The peer here answers the probe first and the request only after it."""
    import threading

    from mcsec.impl.sip import parse_message
    from mcsec.impl.sip.derived import make_response

    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(5)
    received = []

    def serve() -> None:
        crafted = None
        for _ in range(2):
            data, source = peer.recvfrom(65535)
            received.append(data)
            request = parse_message(data)
            if request.method == "OPTIONS":
                peer.sendto(make_response(request, 200).to_bytes(), source)
            else:
                crafted = (request, source)
        if crafted is not None:  # too late: after the probe's answer
            peer.sendto(make_response(crafted[0], 200).to_bytes(), crafted[1])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    message = make_request("MESSAGE", "sip:as@127.0.0.1", from_="<sip:a@x>", to="<sip:as@x>")
    with UdpInjector() as inj:
        message.headers.prepend("Via", via_line("udp", inj.host, inj.port))
        answer = inj.exchange(message.to_bytes(), HostPort(*peer.getsockname()), timeout=30, probe=True)
    thread.join(5)
    peer.close()
    assert answer is None and len(received) == 2
    assert parse_message(received[0]).method == "MESSAGE" and parse_message(received[1]).method == "OPTIONS"
