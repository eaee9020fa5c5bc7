"""The MCPTT server closes TCP connections left with part of a message, and its fault keeps them."""
from __future__ import annotations

import asyncio

from tests.unit.server.harness import run, server_address

PARTIAL = b"MESSAGE sip:mcptt-as@example.org SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKquiet\r\nX-: "
GUARD_S = 30.0  # reached only by a server that never closes the connection


async def _partial_then_wait(address, wait_s: float | None) -> bool:
    """Whether the server closed a connection holding part of a message (within GUARD_S, or wait_s)."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(PARTIAL)
    try:
        while await asyncio.wait_for(reader.read(65536), GUARD_S if wait_s is None else wait_s):
            pass
    except asyncio.TimeoutError:
        return False
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
    return True


def test_a_partial_message_over_tcp_is_closed(farm):
    server = farm.get("tcp-limits", tcp={"partial_timeout_s": 0.3})
    assert run(lambda: _partial_then_wait(server_address(server), None), limit=2 * GUARD_S)
    assert "still incomplete" in server.log_path.read_text()


def test_the_fault_server_keep_idle_tcp_keeps_it(farm):
    server = farm.get("tcp-keep", faults=("server_keep_idle_tcp",), tcp={"partial_timeout_s": 0.2})
    assert not run(lambda: _partial_then_wait(server_address(server), 1.0), limit=GUARD_S)
