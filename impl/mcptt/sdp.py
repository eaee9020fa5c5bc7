"""A minimal SDP offer/answer for the MCPTT session set-up (RFC 4566), enough for signalling tests.

The media line is a placeholder audio stream plus the MCPTT floor control channel (TS 24.380); no
media flows in this suite.
"""
from __future__ import annotations

import secrets


def offer(host: str, port: int = 49170) -> bytes:
    return _session(host, port, "sendrecv")


def answer(host: str, port: int = 49180) -> bytes:
    return _session(host, port, "sendrecv")


def _session(host: str, port: int, direction: str) -> bytes:
    version = secrets.randbelow(2**31)
    lines = [
        "v=0",
        f"o=- {version} {version} IN IP4 {host}",
        "s=-",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP 96",
        "a=rtpmap:96 AMR-WB/16000",
        f"a={direction}",
        f"m=application {port + 2} udp MCPTT",
        "a=fmtp:MCPTT mc_queueing;mc_priority=4",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
