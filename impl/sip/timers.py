"""RFC 3261 timer values (section 17 and Table 4), scalable so tests can run them fast."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TimerConfig"]


@dataclass(frozen=True)
class TimerConfig:
    """T1, T2, T4 and the transaction timers derived from them, in seconds.

    Defaults are the RFC 3261 values. ``d`` is Timer D for unreliable transports, which RFC 3261 only
    bounds from below (> 32 s); it is a separate setting so tests can shorten it with the others.
    """

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    d: float = 32.0

    def __post_init__(self) -> None:
        if min(self.t1, self.t2, self.t4, self.d) <= 0:
            raise ValueError("timer values must be positive")
        if self.t2 < self.t1:
            raise ValueError("T2 must not be below T1")

    def scaled(self, factor: float) -> TimerConfig:
        """Every value multiplied by ``factor`` (e.g. 0.01 for tests: T1 = 5 ms, Timer F = 320 ms)."""
        if factor <= 0:
            raise ValueError("scale factor must be positive")
        return TimerConfig(t1=self.t1 * factor, t2=self.t2 * factor, t4=self.t4 * factor,
                           d=self.d * factor)

    # INVITE client transaction
    @property
    def a(self) -> float:
        """Initial INVITE retransmit interval (UDP only), doubled after each retransmission."""
        return self.t1

    @property
    def b(self) -> float:
        """INVITE transaction timeout: 64*T1."""
        return 64 * self.t1

    # non-INVITE client transaction
    @property
    def e(self) -> float:
        """Initial non-INVITE retransmit interval (UDP only), doubled up to T2."""
        return self.t1

    @property
    def f(self) -> float:
        """Non-INVITE transaction timeout: 64*T1."""
        return 64 * self.t1

    @property
    def k(self) -> float:
        """Wait for response retransmissions (UDP): T4."""
        return self.t4

    # INVITE server transaction
    @property
    def g(self) -> float:
        """Initial INVITE final-response retransmit interval (UDP only), doubled up to T2."""
        return self.t1

    @property
    def h(self) -> float:
        """Wait time for ACK receipt: 64*T1."""
        return 64 * self.t1

    @property
    def i(self) -> float:
        """Wait for ACK retransmissions (UDP): T4."""
        return self.t4

    # non-INVITE server transaction
    @property
    def j(self) -> float:
        """Wait for request retransmissions (UDP): 64*T1."""
        return 64 * self.t1
