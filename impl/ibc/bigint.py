"""Big-integer backend for the identity-based cryptography code.

The backend is chosen once, at import, from the environment variable
``MCSEC_IBC_BACKEND``: ``gmpy2`` (the default, GMP-backed ``mpz``) or ``int``
(plain Python integers). Both give identical results; the switch exists so the
benchmark can compare them. All curve and field code converts its constants
with :func:`mpz` and uses :func:`invert` and :func:`powmod` from here.
"""
from __future__ import annotations

import os
from typing import Any, Callable

ENV_VAR = "MCSEC_IBC_BACKEND"
SUPPORTED_BACKENDS = ("gmpy2", "int")

BACKEND: str = os.environ.get(ENV_VAR, "gmpy2").strip().lower() or "gmpy2"
if BACKEND not in SUPPORTED_BACKENDS:
    raise ImportError(f"{ENV_VAR}={BACKEND!r}: expected one of {', '.join(SUPPORTED_BACKENDS)}")

mpz: Callable[[Any], Any]

if BACKEND == "gmpy2":
    import gmpy2 as _gmpy2

    mpz = _gmpy2.mpz

    def invert(value: Any, modulus: Any) -> Any:
        """Multiplicative inverse of ``value`` modulo ``modulus`` (ZeroDivisionError if none)."""
        return _gmpy2.invert(value, modulus)

    def powmod(base: Any, exponent: Any, modulus: Any) -> Any:
        return _gmpy2.powmod(base, exponent, modulus)

else:
    mpz = int

    def invert(value: Any, modulus: Any) -> Any:
        """Multiplicative inverse of ``value`` modulo ``modulus`` (ZeroDivisionError if none)."""
        try:
            return pow(value, -1, modulus)
        except ValueError as exc:  # not invertible
            raise ZeroDivisionError("not invertible") from exc

    def powmod(base: Any, exponent: Any, modulus: Any) -> Any:
        return pow(base, exponent, modulus)


def to_bytes(value: Any, length: int) -> bytes:
    """Fixed-length big-endian encoding of a non-negative integer."""
    return int(value).to_bytes(length, "big")


def from_bytes(data: bytes) -> Any:
    """Big-endian decoding into the active integer type."""
    return mpz(int.from_bytes(data, "big"))
