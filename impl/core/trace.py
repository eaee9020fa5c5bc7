"""The core's message trace: one JSON line per message received or sent, with its exact bytes.

This file is the evidence of what the SIP core could see. Each line:
``{"t", "role": "core", "dir": "in"|"out", "ref": "SIP-1"|"SIP-2", "transport", "src", "dst",
"first_line", "call_id", "cseq", "content_type", "raw_b64"}``. Lines are flushed one by one so a
reader can take slices by byte offset while the core runs. Nothing here goes to the log.
"""
from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from mcsec.impl.rotation import RotatingFile, Rotation

from mcsec.impl.sip import Request, Response, SipParseError
from mcsec.impl.sip.parser import parse_head
from mcsec.impl.sip.aio.transport import Address, Flow, WireHook

log = logging.getLogger("mcsec.core.trace")


@dataclass(frozen=True)
class MessageSummary:
    """What a trace line names of a message besides its bytes (empty strings when unreadable)."""

    first_line: str
    call_id: str
    cseq: str
    content_type: str


def summarize(data: bytes, parsed: Request | Response | None = None) -> MessageSummary:
    """Start line and a few header values of ``data``, tolerant of malformed messages. ``parsed``:
    the message the bytes parsed to, when the caller has it (its header lines are the same)."""
    text = data.lstrip(b"\r\n")
    if parsed is not None:
        headers = parsed.headers
        first_line = text.split(b"\r\n", 1)[0].decode("utf-8")
    else:
        end = text.find(b"\r\n\r\n")
        head = parse_head(text if end < 0 else text[:end]).partial
        headers = head.headers
        first_line = head.first_line or text.split(b"\r\n", 1)[0][:200].decode("utf-8", "replace")
    return MessageSummary(first_line, headers.get("Call-ID") or "", headers.get("CSeq") or "",
                          headers.get("Content-Type") or "")


def _hostport(address: Address) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class TraceWriter:
    """Appends trace lines to ``path`` (created when absent), rotating at ``rotation``'s cap
    (impl/rotation.py). Thread-safe; every line is flushed."""

    def __init__(self, path: str | Path, role: str = "core", rotation: Rotation = Rotation()) -> None:
        self.path = Path(path)
        self.role = role
        self._file = RotatingFile(self.path, rotation)

    def open(self) -> None:
        self._file.open()

    def close(self) -> None:
        self._file.close()

    def record(self, *, direction: str, ref: str, transport: str, src: Address, dst: Address,
               data: bytes, parsed: Request | Response | None = None) -> MessageSummary:
        summary = summarize(data, parsed)
        line = {
            "t": time.time(), "role": self.role, "dir": direction, "ref": ref, "transport": transport,
            "src": _hostport(src), "dst": _hostport(dst), "first_line": summary.first_line,
            "call_id": summary.call_id, "cseq": summary.cseq, "content_type": summary.content_type,
            "raw_b64": base64.b64encode(data).decode("ascii"),
        }
        self._file.write((json.dumps(line) + "\n").encode("utf-8"))
        return summary

    def hook(self, ref: str) -> WireHook:
        """A transport ``on_wire`` callable recording under reference point ``ref``."""

        def on_wire(direction: str, data: bytes, flow: Flow, peer: Address,
                    parsed: Request | Response | SipParseError | None) -> None:
            src, dst = (peer, flow.local) if direction == "in" else (flow.local, peer)
            message = None if isinstance(parsed, SipParseError) else parsed
            try:
                summary = self.record(direction=direction, ref=ref, transport=flow.transport,
                                      src=src, dst=dst, data=data, parsed=message)
            except Exception as exc:  # the trace must never stop the transport
                log.warning("could not write a trace line: %s", type(exc).__name__)
                return
            log.info("%s %s %s %s %r", ref, direction, flow.transport, _hostport(peer),
                     summary.first_line[:200])

        return on_wire
