"""Bounded TCP connections (impl/sip/aio/transport.py): idle and partial-message timeouts, caps per peer
and overall, a peer that does not read, and nothing left behind.

Timeouts are configured short; every wait is for an event (the peer's EOF, an answer) with a generous
guard that only a hung transport reaches, never a wall-clock cap on how fast things happen."""
from __future__ import annotations

import asyncio

import pytest

from mcsec.impl.sip import TimerConfig, TransportError
from mcsec.impl.sip.aio import SipEndpoint, TcpLimits
from mcsec.impl.sip.aio.transport import ConnectionClock

GUARD_S = 30.0  # reached only by a transport that never closes what it must close
FAST = TimerConfig().scaled(0.01)
OPTIONS = (b"OPTIONS sip:server@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK%d\r\n"
           b"Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:server@127.0.0.1>\r\n"
           b"Call-ID: limits-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
PARTIAL = b"MESSAGE sip:server@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKpartial\r\nX-Slow: "


def run(test) -> None:
    asyncio.run(asyncio.wait_for(test(), 4 * GUARD_S))


async def serving(limits: TcpLimits) -> SipEndpoint:
    endpoint = await SipEndpoint.start(timers=FAST, udp_port=None, tcp_limits=limits)
    endpoint.on_request("OPTIONS", lambda request, ctx: ctx.response(200))
    return endpoint


async def closed_by_peer(reader: asyncio.StreamReader) -> bool:
    """True when the peer closes (EOF or reset) before GUARD_S."""
    try:
        while await asyncio.wait_for(reader.read(65536), GUARD_S):
            pass
    except asyncio.TimeoutError:  # before OSError: it is one
        return False
    except (ConnectionError, OSError):
        pass
    return True


async def answered(reader: asyncio.StreamReader) -> bytes:
    data = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD_S)
    assert data.startswith(b"SIP/2.0 200 "), data[:80]
    return data


# --- the clock, without sockets ------------------------------------------------------------------

def test_traffic_moves_the_idle_deadline_and_the_partial_deadline_is_fixed_at_the_first_byte():
    clock = ConnectionClock(TcpLimits(idle_timeout_s=300, partial_timeout_s=32), last_traffic=0.0)
    assert clock.deadline() == (300.0, "idle")
    clock.traffic(200.0, in_message=False)              # a complete message at t=200
    assert clock.deadline() == (500.0, "idle")
    clock.traffic(250.0)                                # something sent
    assert clock.deadline() == (550.0, "idle")
    clock.traffic(260.0, in_message=True)               # first bytes of a message
    for t in range(261, 290):                           # the rest trickling in, never completing
        clock.traffic(float(t), in_message=True)
    assert clock.deadline() == (292.0, "partial")
    clock.traffic(291.0, in_message=False)              # completed in time
    assert clock.deadline() == (591.0, "idle")


# --- over real sockets ---------------------------------------------------------------------------

def test_a_partial_message_is_closed_and_nothing_is_left():
    async def test():
        endpoint = await serving(TcpLimits(idle_timeout_s=300, partial_timeout_s=0.2))
        try:
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            writer.write(PARTIAL)
            assert await closed_by_peer(reader)
            writer.close()
            tcp = endpoint.tcp
            assert tcp.stats.connections_closed_partial == 1 and tcp.stats.connections_closed_idle == 0
            assert tcp.connection_count == 0 and tcp.connections_from("127.0.0.1") == 0
        finally:
            await endpoint.close()
    run(test)


def test_a_message_trickled_byte_by_byte_is_closed_at_the_partial_limit():
    async def test():
        endpoint = await serving(TcpLimits(idle_timeout_s=300, partial_timeout_s=0.3))
        try:
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            writer.write(PARTIAL)
            for _ in range(2000):  # a header line that never ends, one byte at a time
                if reader.at_eof() or writer.is_closing():
                    break
                try:
                    writer.write(b"x")
                    await writer.drain()
                except (ConnectionError, OSError):
                    break
                await asyncio.sleep(0.02)
            assert await closed_by_peer(reader)
            assert endpoint.tcp.stats.connections_closed_partial == 1
        finally:
            await endpoint.close()
    run(test)


def test_an_idle_connection_is_closed_and_one_in_use_outlives_the_partial_limit():
    async def test():
        endpoint = await serving(TcpLimits(idle_timeout_s=GUARD_S * 4, partial_timeout_s=0.1))
        try:
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            for n in range(3):
                writer.write(OPTIONS % (n, n))
                await answered(reader)
                await asyncio.sleep(0.3)  # three partial limits between complete messages
            writer.write(b"\r\n\r\n")  # a keep-alive ping is answered on the same connection
            assert await asyncio.wait_for(reader.readexactly(2), GUARD_S) == b"\r\n"
            assert endpoint.tcp.connection_count == 1 and endpoint.tcp.stats.connections_closed_partial == 0
            writer.close()
        finally:
            await endpoint.close()
        idle = await serving(TcpLimits(idle_timeout_s=0.2, partial_timeout_s=30))
        try:
            reader, writer = await asyncio.open_connection(*idle.tcp_address)
            writer.write(OPTIONS % (9, 9))
            await answered(reader)
            assert await closed_by_peer(reader)
            assert idle.tcp.stats.connections_closed_idle == 1 and idle.tcp.connection_count == 0
            writer.close()
        finally:
            await idle.close()
    run(test)


def test_connections_beyond_the_cap_per_peer_are_refused_and_room_is_made_by_a_close():
    async def test():
        endpoint = await serving(TcpLimits(max_connections_per_peer=3))
        opened = []
        try:
            for n in range(3):
                reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
                writer.write(OPTIONS % (n, n))
                await answered(reader)
                opened.append((reader, writer))
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            assert await closed_by_peer(reader)
            writer.close()
            assert endpoint.tcp.stats.connections_refused == 1
            assert endpoint.tcp.connections_from("127.0.0.1") == 3
            opened.pop()[1].close()
            for _ in range(int(GUARD_S / 0.01)):  # the server sees the close
                if endpoint.tcp.connections_from("127.0.0.1") == 2:
                    break
                await asyncio.sleep(0.01)
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            writer.write(OPTIONS % (7, 7))
            await answered(reader)
            opened.append((reader, writer))
        finally:
            for _, writer in opened:
                writer.close()
            await endpoint.close()
        assert endpoint.tcp.connection_count == 0
    run(test)


def test_connections_beyond_the_overall_cap_are_refused():
    async def test():
        endpoint = await serving(TcpLimits(max_connections=2, max_connections_per_peer=100))
        opened = []
        try:
            for n in range(2):
                reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
                writer.write(OPTIONS % (n, n))
                await answered(reader)
                opened.append(writer)
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            assert await closed_by_peer(reader)
            opened.append(writer)
            assert endpoint.tcp.stats.connections_refused == 1 and endpoint.tcp.connection_count == 2
        finally:
            for writer in opened:
                writer.close()
            await endpoint.close()
    run(test)


def test_a_peer_that_does_not_read_is_cut_off():
    async def test():
        endpoint = await serving(TcpLimits(max_write_buffer=64 * 1024))
        try:
            reader, writer = await asyncio.open_connection(*endpoint.tcp_address)
            writer.write(OPTIONS % (1, 1))
            await answered(reader)
            (connection,) = list(endpoint.tcp._all)
            with pytest.raises(TransportError, match="does not read"):
                for _ in range(1000):  # 64 MB at most: far more than any socket buffer holds
                    connection.send(b"x" * 65536)
            assert endpoint.tcp.stats.connections_closed_unread == 1 and endpoint.tcp.connection_count == 0
            writer.close()
        finally:
            await endpoint.close()
    run(test)


def test_without_enforcement_partial_connections_stay_open():
    async def test():
        endpoint = await serving(TcpLimits(idle_timeout_s=0.1, partial_timeout_s=0.1, max_connections_per_peer=1)
                                 .unbounded)
        try:
            held = [await asyncio.open_connection(*endpoint.tcp_address) for _ in range(3)]
            for _, writer in held:
                writer.write(PARTIAL)
            await asyncio.sleep(0.5)
            assert endpoint.tcp.connection_count == 3 and endpoint.tcp.stats.connections_refused == 0
            for _, writer in held:
                writer.close()
        finally:
            await endpoint.close()
    run(test)


@pytest.mark.parametrize("value,item", [({"idle_timeout_s": 0}, "tcp.idle_timeout_s"),
                                        ({"partial_timeout_s": "5"}, "tcp.partial_timeout_s"),
                                        ({"max_connections": 0}, "tcp.max_connections"),
                                        ({"max_connections_per_peer": True}, "tcp.max_connections_per_peer"),
                                        ({"linger": 1}, "tcp.linger"), ([], "tcp")])
def test_the_tcp_item_of_a_role_configuration_is_checked_and_named(value, item):
    from mcsec.impl.roleconfig import tcp_limits
    from mcsec.impl.rolemain import ConfigError
    with pytest.raises(ConfigError, match=rf"^{item}:"):
        tcp_limits({"tcp": value})


def test_the_tcp_item_round_trips():
    from mcsec.impl.roleconfig import tcp_limits, tcp_limits_json
    limits = tcp_limits({"tcp": {"idle_timeout_s": 60, "max_connections_per_peer": 8}})
    assert limits == TcpLimits(idle_timeout_s=60.0, max_connections_per_peer=8)
    assert tcp_limits({"tcp": tcp_limits_json(limits)}) == limits
