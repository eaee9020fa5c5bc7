"""A scenario's SIP trace evidence holds its own transactions only: a late retransmission of an earlier
scenario's request, answered again by the core or the server, is not written into the next scenario's
evidence (which would then depend on what ran before it in the same worker)."""
import json

from mcsec.fixtures.lab.lab import TRACE_FILE, Lab


def _lab_with_trace(lines: list[dict]) -> Lab:
    lab = object.__new__(Lab)
    lab.trace_since = lambda offsets: lines
    return lab


def _line(t: float, call_id: object, first_line: str) -> dict:
    return {"t": t, "role": "core", "dir": "out", "call_id": call_id, "first_line": first_line}


def test_the_trace_of_earlier_call_ids_is_left_out_and_the_written_call_ids_returned(tmp_path):
    lab = _lab_with_trace([_line(1.0, "old", "SIP/2.0 493 Undecipherable"), _line(1.1, "new", "MESSAGE sip:a SIP/2.0"),
                           _line(1.2, "new", "SIP/2.0 200 OK"), _line(1.3, 7, "SIP/2.0 400 Bad Request")])
    written = lab.write_trace({}, tmp_path, skip={"old"})
    assert written == {"new"}
    kept = [json.loads(x) for x in (tmp_path / TRACE_FILE).read_text().splitlines()]
    assert [x["call_id"] for x in kept] == ["new", "new", 7]


def test_nothing_of_its_own_writes_no_trace_file(tmp_path):
    lab = _lab_with_trace([_line(1.0, "old", "SIP/2.0 403 Forbidden")])
    assert lab.write_trace({}, tmp_path / "ev", skip={"old"}) == set()
    assert not (tmp_path / "ev").exists()
    assert lab.write_trace({}, tmp_path / "ev2") == {"old"} and (tmp_path / "ev2" / TRACE_FILE).is_file()
