"""The SIP trace lines of a role name a message alike whether the transport hands over what it parsed
or the trace parses the bytes itself (a message that does not parse is named by its first line)."""
from __future__ import annotations

import json

import pytest

from mcsec.impl.core.trace import summarize
from mcsec.impl.mcptt.trace import SipTrace
from mcsec.impl.sip import SipParseError, parse_message
from mcsec.impl.sip.aio.transport import Flow
from tests.unit.sip.samples import INVITE_COMPACT, MESSAGE_REQUEST, RESPONSE_200
from tests.unit.sip.test_fast_paths import ROLE_MESSAGE
from tests.unit.sip.test_malformed import CASES

DATA = [ROLE_MESSAGE, MESSAGE_REQUEST, INVITE_COMPACT, RESPONSE_200, b"\r\n" + MESSAGE_REQUEST] + [c[1] for c in CASES]


def _parsed(data: bytes, stream: bool):
    try:
        return parse_message(data, stream=stream)
    except SipParseError as exc:
        return exc


def _lines(trace: SipTrace) -> list[dict]:
    lines = [json.loads(line) for line in trace.path.read_text().splitlines()]
    for line in lines:
        del line["t"]
    return lines


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_role_trace_line_is_the_same_with_the_transports_parse(tmp_path, transport):
    flow = Flow(transport, ("127.0.0.1", 5070), ("127.0.0.1", 5060))
    told, parsing = (SipTrace(tmp_path / name, role="server", ref="SIP-2") for name in ("told", "parsing"))
    for data in DATA:
        told.record("in", data, flow, flow.remote, _parsed(data, flow.reliable))
        parsing.record("in", data, flow, flow.remote)
    told.close()
    parsing.close()
    lines = _lines(told)
    assert lines == _lines(parsing)
    assert lines[0]["call_id"] == "6a2c2d1aab08ffb421e8b0dadff21f13" and lines[0]["cseq"] == "1 MESSAGE"
    assert any(line["call_id"] is None for line in lines)  # the malformed ones


PARSED = [(data, _parsed(data, False)) for data in DATA]


@pytest.mark.parametrize(("data", "message"), [item for item in PARSED if not isinstance(item[1], SipParseError)])
def test_core_summary_is_the_same_with_the_transports_parse(data, message):
    assert summarize(data, message) == summarize(data)
