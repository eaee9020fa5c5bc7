"""The SIP ladder diagram of a scenario, drawn as inline SVG from its `sip-trace.jsonl`.

Each line of the trace is one SIP message as a role saw it:
    {"t": 1732770000.123, "role": "client"|"core"|"server", "dir": "in"|"out", "ref": "SIP-1"|"SIP-2",
     "transport": "udp", "src": "127.0.0.1:5060", "dst": "...", "first_line": "MESSAGE sip:... SIP/2.0",
     "call_id": "...", "cseq": "1 MESSAGE", "content_type": "application/pkcs7-mime", "raw_b64": "..."}
Three lanes: MCPTT client, SIP core, MCPTT server. The SIP core sees both reference points, so its
lines are drawn when it has any; otherwise the client's and the server's lines are. Lines that are not
JSON objects, or that do not say which leg they travelled, are counted and left out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mcsec.reports.html_markup import Markup, el

CLIENT, CORE, SERVER = 0, 1, 2
LANES = ("MCPTT client", "SIP core", "MCPTT server")
MAX_MESSAGES = 300

# (role, dir, ref) -> (from lane, to lane); ref None: the role has only one leg
_LEGS = {
    ("core", "in", "SIP-1"): (CLIENT, CORE), ("core", "out", "SIP-1"): (CORE, CLIENT),
    ("core", "in", "SIP-2"): (SERVER, CORE), ("core", "out", "SIP-2"): (CORE, SERVER),
    ("client", "out", None): (CLIENT, CORE), ("client", "in", None): (CORE, CLIENT),
    ("server", "out", None): (SERVER, CORE), ("server", "in", None): (CORE, SERVER),
}


@dataclass(frozen=True)
class Arrow:
    t: float
    src: int
    dst: int
    first_line: str
    content_type: str
    ref: str
    call_id: str
    cseq: str
    transport: str

    @property
    def is_response(self) -> bool:
        return self.first_line.startswith("SIP/")


@dataclass
class Ladder:
    arrows: list[Arrow]
    source_roles: str           # "core" or "client and server"
    skipped: int                # lines that could not be drawn
    total: int                  # arrows before the display cap


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)


def read(path: Path) -> tuple[list[dict], int]:
    """The trace's records and the number of lines that are not JSON objects."""
    records, bad = [], 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad += 1
    return records, bad


def build(records: list[dict], bad_lines: int = 0) -> Ladder:
    core = [r for r in records if r.get("role") == "core"]
    chosen = core or [r for r in records if r.get("role") in ("client", "server")]
    arrows, skipped = [], bad_lines + (len(records) - len(chosen) if not core else 0)
    for r in chosen:
        role, direction = r.get("role"), r.get("dir")
        ref = r.get("ref") if role == "core" else None
        leg = _LEGS.get((role, direction, ref))
        try:
            t = float(r.get("t"))
        except (TypeError, ValueError):
            leg = None
        if leg is None:
            skipped += 1
            continue
        default_ref = "SIP-1" if CLIENT in leg else "SIP-2"
        arrows.append(Arrow(t, leg[0], leg[1], _text(r, "first_line") or "(no first line)",
                            _text(r, "content_type"), _text(r, "ref") or default_ref,
                            _text(r, "call_id"), _text(r, "cseq"), _text(r, "transport")))
    arrows.sort(key=lambda a: a.t)
    return Ladder(arrows[:MAX_MESSAGES], "core" if core else "client and server", skipped, len(arrows))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


LANE_X = (170, 470, 770)
WIDTH, TOP, ROW = 880, 64, 46


def svg(ladder: Ladder, title: str) -> Markup:
    height = TOP + ROW * max(len(ladder.arrows), 1) + 24
    parts: list[Markup] = [el("title", title)]
    for x, name in zip(LANE_X, LANES):
        parts.append(el("rect", x=x - 70, y=8, width=140, height=28, rx=4, class_="lane-head"))
        parts.append(el("text", name, x=x, y=27, text_anchor="middle", class_="lane-name"))
        parts.append(el("line", x1=x, y1=36, x2=x, y2=height - 8, class_="lifeline"))
    for x, ref in ((sum(LANE_X[:2]) // 2, "SIP-1"), (sum(LANE_X[1:]) // 2, "SIP-2")):
        parts.append(el("text", ref, x=x, y=52, text_anchor="middle", class_="ref"))
    if not ladder.arrows:
        parts.append(el("text", "no SIP message in the trace", x=LANE_X[1], y=TOP + 20, text_anchor="middle"))
    t0 = ladder.arrows[0].t if ladder.arrows else 0.0
    for i, a in enumerate(ladder.arrows):
        y = TOP + ROW * i + 26
        x1, x2 = LANE_X[a.src], LANE_X[a.dst]
        sign = 1 if x2 > x1 else -1
        tip = x2 - sign * 2
        kind = "response" if a.is_response else "request"
        detail = "\n".join(x for x in (a.first_line, f"Content-Type: {a.content_type}" if a.content_type else "",
                                       f"Call-ID: {a.call_id}" if a.call_id else "",
                                       f"CSeq: {a.cseq}" if a.cseq else "",
                                       f"{a.ref} {a.transport}".strip()) if x)
        parts.append(el(
            "g",
            el("title", detail),
            el("text", f"+{a.t - t0:.3f} s", x=8, y=y + 4, class_="time"),
            el("line", x1=x1, y1=y, x2=tip - sign * 8, y2=y, class_=f"arrow {kind}"),
            el("polygon", points=f"{tip},{y} {tip - sign * 10},{y - 5} {tip - sign * 10},{y + 5}",
               class_=f"head {kind}"),
            el("text", _short(a.first_line, 52), x=(x1 + x2) / 2, y=y - 6, text_anchor="middle",
               class_="label"),
            el("text", _short(a.content_type, 56), x=(x1 + x2) / 2, y=y + 14, text_anchor="middle",
               class_="ctype") if a.content_type else None,
            class_="msg",
        ))
    return el("svg", *parts, xmlns="http://www.w3.org/2000/svg", viewBox=f"0 0 {WIDTH} {height}",
              width=WIDTH, height=height, role="img", class_="ladder", aria_label=title)


def render(path: Path, title: str, href: str) -> Markup:
    """The ladder figure of one trace file: the SVG, what it was drawn from, and what was left out."""
    records, bad = read(path)
    ladder = build(records, bad)
    notes = [f"Drawn from the {ladder.source_roles} lines of ", el("a", path.name, href=href), "."]
    if ladder.total > len(ladder.arrows):
        notes.append(f" The first {len(ladder.arrows)} of {ladder.total} messages are shown.")
    if ladder.skipped:
        notes.append(f" {ladder.skipped} line{'s' if ladder.skipped != 1 else ''} could not be drawn.")
    return el("figure", svg(ladder, title), el("figcaption", *notes), class_="ladder-figure")
