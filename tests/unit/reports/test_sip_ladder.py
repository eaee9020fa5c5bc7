"""The SIP ladder, from synthetic sip-trace.jsonl files."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from mcsec.reports import compliance, sip_ladder
from mcsec.reports.evidence import SIP_TRACE, folder_name
from mcsec.reports.scenario_detail import Links
from tests.unit.reports.conftest import synthetic_document
from tests.unit.reports.html_check import Page

T0 = 1732770000.0


def line(dt: float, role: str, direction: str, ref: str | None, first: str, ctype: str = "", **extra) -> str:
    record = {"t": T0 + dt, "role": role, "dir": direction, "ref": ref, "transport": "udp",
              "src": "127.0.0.1:5070", "dst": "127.0.0.1:5060", "first_line": first, "call_id": "c1@client",
              "cseq": "1 MESSAGE", "content_type": ctype, "raw_b64": base64.b64encode(first.encode()).decode()}
    record.update(extra)
    return json.dumps(record)


def write_trace(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CORE_TRACE = [
    line(0.000, "client", "out", "SIP-1", "MESSAGE sip:as@example.org SIP/2.0", "application/pkcs7-mime"),
    line(0.004, "core", "out", "SIP-2", "MESSAGE sip:as@example.org SIP/2.0", "application/pkcs7-mime"),  # out of order
    line(0.001, "core", "in", "SIP-1", "MESSAGE sip:as@example.org SIP/2.0", "application/pkcs7-mime"),
    line(0.010, "core", "in", "SIP-2", "SIP/2.0 200 OK"),
    line(0.011, "core", "out", "SIP-1", "SIP/2.0 200 OK"),
    "this is not JSON",
    json.dumps(["a", "list"]),
    line(0.020, "core", "in", None, "OPTIONS sip:x SIP/2.0"),          # no ref: leg unknown
]


def _arrows(svg: str) -> list[tuple[float, float]]:
    """(x1, x2) of every arrow line, in drawing order."""
    return [(float(a), float(b)) for a, b in re.findall(r'<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)" y2="[\d.]+" '
                                                        r'class="arrow', svg)]


def test_core_lines_are_drawn_in_time_order_on_the_right_legs(tmp_path: Path):
    records, bad = sip_ladder.read(write_trace(tmp_path / SIP_TRACE, CORE_TRACE))
    assert bad == 2
    ladder = sip_ladder.build(records, bad)
    assert ladder.source_roles == "core"
    legs = [(a.src, a.dst) for a in ladder.arrows]
    C, K, S = sip_ladder.CLIENT, sip_ladder.CORE, sip_ladder.SERVER
    assert legs == [(C, K), (K, S), (S, K), (K, C)]
    assert [a.is_response for a in ladder.arrows] == [False, False, True, True]
    assert ladder.skipped == 3          # two unreadable lines, one core line without its leg
    svg = sip_ladder.svg(ladder, "ladder")
    x = sip_ladder.LANE_X
    drawn = _arrows(svg)
    assert len(drawn) == 4
    assert drawn[0][0] == x[0] and x[0] < drawn[0][1] < x[1]        # client -> core
    assert drawn[1][0] == x[1] and x[1] < drawn[1][1] < x[2]        # core -> server
    assert drawn[2][0] == x[2] and x[1] < drawn[2][1] < x[2]        # server -> core
    assert drawn[3][0] == x[1] and x[0] < drawn[3][1] < x[1]        # core -> client
    assert "application/pkcs7-mime" in svg and "SIP/2.0 200 OK" in svg and "+0.010 s" in svg


def test_client_and_server_lines_are_used_when_the_core_has_none():
    lines = [line(0.0, "client", "out", "SIP-1", "MESSAGE sip:as SIP/2.0", "multipart/mixed"),
             line(0.002, "server", "in", "SIP-2", "MESSAGE sip:as SIP/2.0", "multipart/mixed"),
             line(0.003, "server", "out", "SIP-2", "SIP/2.0 415 Unsupported Media Type"),
             line(0.005, "client", "in", "SIP-1", "SIP/2.0 415 Unsupported Media Type"),
             line(0.006, "bystander", "in", "SIP-1", "NOTIFY sip:x SIP/2.0")]
    ladder = sip_ladder.build([json.loads(x) for x in lines])
    C, K, S = sip_ladder.CLIENT, sip_ladder.CORE, sip_ladder.SERVER
    assert ladder.source_roles == "client and server"
    assert [(a.src, a.dst) for a in ladder.arrows] == [(C, K), (K, S), (S, K), (K, C)]
    assert [a.ref for a in ladder.arrows] == ["SIP-1", "SIP-2", "SIP-2", "SIP-1"]
    assert ladder.skipped == 1


def test_labels_from_the_trace_are_escaped_and_the_svg_is_well_formed(tmp_path: Path):
    nasty = "MESSAGE sip:<script>alert(1)</script>@x SIP/2.0"
    path = write_trace(tmp_path / SIP_TRACE, [line(0.0, "core", "in", "SIP-1", nasty, 'text/plain; x="<&>"')])
    figure = sip_ladder.render(path, "t <1>", "evidence/s/sip-trace.jsonl")
    assert "<script>" not in figure and "&lt;script&gt;" in figure
    page = Page(figure)
    assert not page.problems, page.problems
    import xml.etree.ElementTree as ET
    svg = figure[figure.index("<svg"):figure.index("</svg>") + 6]
    root = ET.fromstring(svg)                      # the SVG alone is well-formed XML
    assert root.tag.endswith("svg")


def test_an_empty_or_unreadable_trace_still_renders(tmp_path: Path):
    path = write_trace(tmp_path / SIP_TRACE, ["garbage", "{\"role\": \"core\", \"dir\": \"in\", \"t\": \"soon\"}"])
    figure = sip_ladder.render(path, "t", "x")
    assert "no SIP message in the trace" in figure and "2 lines could not be drawn" in figure


def test_long_traces_are_capped():
    records = [json.loads(line(i * 0.001, "core", "in", "SIP-1", f"MESSAGE sip:{i} SIP/2.0"))
               for i in range(sip_ladder.MAX_MESSAGES + 25)]
    ladder = sip_ladder.build(records)
    assert len(ladder.arrows) == sip_ladder.MAX_MESSAGES and ladder.total == sip_ladder.MAX_MESSAGES + 25


def test_the_report_draws_the_ladder_of_a_scenario_with_a_trace(synthetic_run: Path):
    document = synthetic_document()
    failing = document["scenarios"][1]
    write_trace(synthetic_run / "evidence" / folder_name(failing["id"]) / SIP_TRACE, CORE_TRACE)
    html = compliance.render(document, Links(synthetic_run))
    page = Page(html)
    assert not page.problems
    assert html.count('class="ladder"') == 1
    assert "Drawn from the core lines of sip-trace.jsonl" in page.text
    assert any(h.endswith("7.13_a_fails/sip-trace.jsonl") for h in page.hrefs())


def test_the_evidence_folder_rule_is_the_runners(tmp_path):
    from mcsec.fixtures.session import ConformanceSession
    from mcsec.fixtures.profile import load

    session = ConformanceSession(load(), tmp_path, [])
    for sid in ("MCSEC-713-TOK-002.4", "7.13/a::b[with spaces, commas]", "x" * 400, "7.14/ü::ß"):
        assert folder_name(sid) == session.evidence_dir(sid).name
