"""One shape for "where a peer listens": host, port and, for SIP, the transport.

Used by the role configurations the lab writes, the profile's [ixit.endpoints], the lab's endpoints
and every agent of the test system. ``str()`` gives ``host:port`` (``[v6]:port``); ``.address`` the
tuple a socket call takes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

TRANSPORTS = ("udp", "tcp")


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int
    transport: str = "udp"

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port!r}")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def over(self, transport: str) -> HostPort:
        return replace(self, transport=transport)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def parse(cls, text: str, transport: str = "udp") -> HostPort:
        """``host:port`` or ``[v6]:port``, port 1..65535; ValueError says what is wrong."""
        if not isinstance(text, str):
            raise ValueError(f"expected \"host:port\", got {text!r}")
        if text.startswith("["):
            host, sep, port = text[1:].partition("]:")
        else:
            host, sep, port = text.rpartition(":")
            if ":" in host:
                sep = ""
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected \"host:port\" with a port 1..65535, got {text!r}")
        return cls(host, int(port), transport)

    def to_json(self) -> dict:
        return {"host": self.host, "port": self.port, "transport": self.transport}
