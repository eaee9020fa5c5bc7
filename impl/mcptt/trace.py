"""The SIP message trace of an MCPTT role: one JSON line per message sent or received.

    {"t": 1764302400.123, "role": "server", "dir": "in", "ref": "SIP-2", "transport": "udp",
     "src": "127.0.0.1:5070", "dst": "127.0.0.1:5060", "first_line": "MESSAGE sip:... SIP/2.0",
     "call_id": "...", "cseq": "1 MESSAGE", "content_type": "...", "raw_b64": "<exact bytes>"}

The trace holds the exact bytes on the wire, so it holds what the wire holds: ciphertext for a
protected body, clear text only when a body was sent in clear (the evidence of that fault). It never
holds keys, tokens or passwords, because they never travel in SIP. Attach it with
:meth:`SipTrace.attach`, which sets the transports' ``on_wire`` hook. The file rotates at the size
cap of the role's ``rotation`` item (impl/rotation.py).
"""
from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path

from mcsec.impl.rotation import RotatingFile, Rotation

from mcsec.impl.sip import Request, Response, SipParseError, parse_message
from mcsec.impl.sip.aio import SipEndpoint
from mcsec.impl.sip.aio.transport import Address, Flow

log = logging.getLogger("mcsec.trace")


def _hostport(address: Address) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class SipTrace:
    """Appends trace lines to ``path`` (thread-safe; a failing write is logged, never raised)."""

    def __init__(self, path: Path | str, *, role: str, ref: str, rotation: Rotation = Rotation()) -> None:
        self.path = Path(path)
        self.role = role
        self.ref = ref
        self._file = RotatingFile(self.path, rotation)
        self._file.open()

    def attach(self, endpoint: SipEndpoint) -> None:
        for transport in (endpoint.udp, endpoint.tcp):
            if transport is not None:
                transport.on_wire = self.record

    def record(self, direction: str, data: bytes, flow: Flow, peer: Address,
               parsed: Request | Response | SipParseError | None = None) -> None:
        """One line for ``data``; ``parsed`` is what the transport's parser made of it, if it parsed it."""
        try:
            line = self._line(direction, data, flow, peer, parsed)
            self._file.write((json.dumps(line) + "\n").encode("utf-8"))
        except Exception as exc:  # the trace must never stop the SIP layer
            log.warning("trace write failed: %s", type(exc).__name__)

    def _line(self, direction: str, data: bytes, flow: Flow, peer: Address,
              parsed: Request | Response | SipParseError | None) -> dict:
        first_line = data.split(b"\r\n", 1)[0][:300].decode("utf-8", "replace")
        call_id = cseq = content_type = None
        if parsed is None:
            try:
                parsed = parse_message(data, stream=flow.reliable)
            except SipParseError as exc:
                parsed = exc
        if not isinstance(parsed, SipParseError):
            call_id = parsed.headers.get("Call-ID")
            cseq = parsed.headers.get("CSeq")
            content_type = parsed.headers.get("Content-Type")
        src, dst = (peer, flow.local) if direction == "in" else (flow.local, peer)
        return {
            "t": time.time(), "role": self.role, "dir": direction, "ref": self.ref,
            "transport": flow.transport, "src": _hostport(src), "dst": _hostport(dst),
            "first_line": first_line, "call_id": call_id, "cseq": cseq, "content_type": content_type,
            "raw_b64": base64.b64encode(data).decode("ascii"),
        }

    def close(self) -> None:
        self._file.close()
