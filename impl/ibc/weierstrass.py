"""Short Weierstrass curves y^2 = x^3 - 3x + b over a prime field.

Both curves used here have a = -3: NIST P-256 (ECCSI) and the SAKKE curve
y^2 = x^3 - 3x (parameter set 1). Points are handled as

* affine tuples ``(x, y)``; ``None`` is the point at infinity;
* Jacobian tuples ``(X, Y, Z)`` with x = X/Z^2, y = Y/Z^3; Z == 0 is infinity.

Scalar multiplication:

* :class:`FixedBaseTable` -- for long-lived base points (G, the SAKKE P, a KMS
  public key): per w-bit window position the multiples 1..2^w-1 are stored in
  affine form, so [k]B costs one mixed addition per window and no doubling;
* :func:`multi_mul` -- interleaved width-w NAF (Shamir's trick generalised):
  sum of [k_i]P_i for variable points, sharing one chain of doublings.

Python integers are not constant time; these routines are for a conformance
reference, not for hardened production keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from mcsec.impl.ibc.bigint import invert, mpz
from mcsec.impl.ibc.errors import InvalidPointError

Affine = Optional[tuple[Any, Any]]
Jacobian = tuple[Any, Any, Any]

INFINITY_J: Jacobian = (mpz(1), mpz(1), mpz(0))


@dataclass(frozen=True)
class Curve:
    """A curve y^2 = x^3 - 3x + b over F_p with a base point of prime order q."""

    name: str
    p: Any
    b: Any
    q: Any
    gx: Any
    gy: Any
    field_bytes: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_bytes", (int(self.p).bit_length() + 7) // 8)

    @property
    def generator(self) -> tuple[Any, Any]:
        return (self.gx, self.gy)

    def is_on_curve(self, point: Affine) -> bool:
        if point is None:
            return False
        x, y = point
        p = self.p
        if not (0 <= x < p and 0 <= y < p):
            return False
        return (y * y - (x * x * x - 3 * x + self.b)) % p == 0

    def encode_point(self, point: Affine) -> bytes:
        """Uncompressed encoding 0x04 || x || y."""
        if point is None:
            raise InvalidPointError("the point at infinity has no encoding")
        n = self.field_bytes
        return b"\x04" + int(point[0]).to_bytes(n, "big") + int(point[1]).to_bytes(n, "big")

    def decode_point(self, data: bytes) -> tuple[Any, Any]:
        """Decode and check an uncompressed point: correct length, on the curve, finite."""
        n = self.field_bytes
        if len(data) != 1 + 2 * n:
            raise InvalidPointError(f"{self.name}: point must be {1 + 2 * n} bytes, got {len(data)}")
        if data[0] != 0x04:
            raise InvalidPointError(f"{self.name}: only uncompressed points (0x04) are accepted")
        x = mpz(int.from_bytes(data[1 : 1 + n], "big"))
        y = mpz(int.from_bytes(data[1 + n :], "big"))
        point = (x, y)
        if not self.is_on_curve(point):
            raise InvalidPointError(f"{self.name}: point is not on the curve")
        return point

    # -- Jacobian arithmetic ---------------------------------------------------------------

    def double(self, P: Jacobian) -> Jacobian:
        X, Y, Z = P
        if Z == 0 or Y == 0:
            return INFINITY_J
        p = self.p
        delta = Z * Z % p
        gamma = Y * Y % p
        beta = X * gamma % p
        alpha = 3 * (X - delta) * (X + delta) % p
        X3 = (alpha * alpha - 8 * beta) % p
        Z3 = ((Y + Z) * (Y + Z) - gamma - delta) % p
        Y3 = (alpha * (4 * beta - X3) - 8 * gamma * gamma) % p
        return (X3, Y3, Z3)

    def add_mixed(self, P: Jacobian, Q: tuple[Any, Any]) -> Jacobian:
        """P (Jacobian) + Q (affine, finite)."""
        X1, Y1, Z1 = P
        if Z1 == 0:
            return (Q[0], Q[1], mpz(1))
        p = self.p
        Z1Z1 = Z1 * Z1 % p
        H = (Q[0] * Z1Z1 - X1) % p
        R = (Q[1] * Z1 * Z1Z1 - Y1) % p
        if H == 0:
            if R == 0:
                return self.double(P)
            return INFINITY_J
        HH = H * H % p
        HHH = H * HH % p
        V = X1 * HH % p
        X3 = (R * R - HHH - 2 * V) % p
        Y3 = (R * (V - X3) - Y1 * HHH) % p
        Z3 = Z1 * H % p
        return (X3, Y3, Z3)

    def add(self, P: Jacobian, Q: Jacobian) -> Jacobian:
        """General Jacobian addition."""
        if P[2] == 0:
            return Q
        if Q[2] == 0:
            return P
        p = self.p
        X1, Y1, Z1 = P
        X2, Y2, Z2 = Q
        Z1Z1 = Z1 * Z1 % p
        Z2Z2 = Z2 * Z2 % p
        U1 = X1 * Z2Z2 % p
        U2 = X2 * Z1Z1 % p
        S1 = Y1 * Z2 * Z2Z2 % p
        S2 = Y2 * Z1 * Z1Z1 % p
        H = (U2 - U1) % p
        R = (S2 - S1) % p
        if H == 0:
            if R == 0:
                return self.double(P)
            return INFINITY_J
        HH = H * H % p
        HHH = H * HH % p
        V = U1 * HH % p
        X3 = (R * R - HHH - 2 * V) % p
        Y3 = (R * (V - X3) - S1 * HHH) % p
        Z3 = Z1 * Z2 * H % p
        return (X3, Y3, Z3)

    def to_affine(self, P: Jacobian) -> Affine:
        X, Y, Z = P
        if Z == 0:
            return None
        p = self.p
        zi = invert(Z, p)
        zi2 = zi * zi % p
        return (X * zi2 % p, Y * zi2 * zi % p)

    def batch_to_affine(self, points: Sequence[Jacobian]) -> list[Affine]:
        """Convert many Jacobian points with a single field inversion (Montgomery's trick)."""
        p = self.p
        prefix = []
        acc = mpz(1)
        for X, Y, Z in points:
            prefix.append(acc)
            if Z != 0:
                acc = acc * Z % p
        inv = invert(acc, p) if acc != 1 else mpz(1)
        out: list[Affine] = [None] * len(points)
        for i in range(len(points) - 1, -1, -1):
            X, Y, Z = points[i]
            if Z == 0:
                continue
            zi = inv * prefix[i] % p
            inv = inv * Z % p
            zi2 = zi * zi % p
            out[i] = (X * zi2 % p, Y * zi2 * zi % p)
        return out

    def negate(self, point: Affine) -> Affine:
        if point is None:
            return None
        return (point[0], (-point[1]) % self.p)

    # -- scalar multiplication -------------------------------------------------------------

    def multiply(self, point: Affine, k: Any) -> Affine:
        """[k]point for a variable point (width-5 NAF)."""
        return self.to_affine(multi_mul(self, [(k, point)]))

    def equal_jacobian_affine(self, P: Jacobian, Q: Affine) -> bool:
        """Compare a Jacobian point with an affine point without inverting."""
        if Q is None:
            return P[2] == 0
        if P[2] == 0:
            return False
        p = self.p
        ZZ = P[2] * P[2] % p
        return (P[0] - Q[0] * ZZ) % p == 0 and (P[1] - Q[1] * ZZ * P[2]) % p == 0


def wnaf(k: int, width: int) -> list[int]:
    """Width-w non-adjacent form of k >= 0, least significant digit first."""
    digits: list[int] = []
    k = int(k)
    full = 1 << width
    half = 1 << (width - 1)
    while k > 0:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def _odd_multiples(curve: Curve, point: tuple[Any, Any], width: int) -> list[tuple[Any, Any]]:
    """Affine [1]P, [3]P, ..., [2^(w-1) - 1]P."""
    count = 1 << (width - 2)
    P = (point[0], point[1], mpz(1))
    twoP = curve.to_affine(curve.double(P))
    if twoP is None:
        raise InvalidPointError(f"{curve.name}: point of order 2")
    jac = [P]
    for _ in range(count - 1):
        jac.append(curve.add_mixed(jac[-1], twoP))
    if any(j[2] == 0 for j in jac):
        raise InvalidPointError(f"{curve.name}: point of small order")
    return [pt for pt in curve.batch_to_affine(jac) if pt is not None]


def multi_mul(curve: Curve, terms: Sequence[tuple[Any, Affine]], width: int = 5) -> Jacobian:
    """Sum of [k_i]P_i with one shared doubling chain (interleaved wNAF)."""
    prepared = []
    longest = 0
    for k, point in terms:
        k = int(k)
        if k < 0:
            raise ValueError("negative scalar")
        if point is None or k == 0:
            continue
        digits = wnaf(k, width)
        table = _odd_multiples(curve, point, width)
        neg = [curve.negate(t) for t in table]
        prepared.append((digits, table, neg))
        longest = max(longest, len(digits))
    acc = INFINITY_J
    for i in range(longest - 1, -1, -1):
        acc = curve.double(acc)
        for digits, table, neg in prepared:
            if i < len(digits):
                d = digits[i]
                if d > 0:
                    acc = curve.add_mixed(acc, table[d >> 1])
                elif d < 0:
                    acc = curve.add_mixed(acc, neg[(-d) >> 1])
    return acc


class FixedBaseTable:
    """Windowed precomputation for a fixed base point B.

    For each window position i and digit d in 1..2^w-1 the table holds the
    affine point [d * 2^(w*i)]B, so [k]B is a sum of one table entry per window.
    """

    def __init__(self, curve: Curve, point: tuple[Any, Any], window: int = 4, bits: int | None = None):
        if not curve.is_on_curve(point):
            raise InvalidPointError(f"{curve.name}: base point is not on the curve")
        self.curve = curve
        self.point = point
        self.window = window
        nbits = bits if bits is not None else int(curve.q).bit_length()
        self.positions = (nbits + window - 1) // window
        size = (1 << window) - 1
        jac: list[Jacobian] = []
        base: Jacobian = (point[0], point[1], mpz(1))
        for _ in range(self.positions):
            row = [base]
            base_aff = curve.to_affine(base)
            for _ in range(size - 1):
                row.append(curve.add_mixed(row[-1], base_aff) if base_aff is not None else INFINITY_J)
            jac.extend(row)
            nxt = row[-1]
            nxt = curve.add_mixed(nxt, base_aff) if base_aff is not None else INFINITY_J  # 2^w * base
            base = nxt
        flat = curve.batch_to_affine(jac)
        self.rows = [flat[i * size : (i + 1) * size] for i in range(self.positions)]

    def multiply_jacobian(self, k: Any) -> Jacobian:
        curve = self.curve
        k = int(k)
        if k < 0 or k.bit_length() > self.positions * self.window:
            raise ValueError("scalar outside the range of this table")
        mask = (1 << self.window) - 1
        acc = INFINITY_J
        i = 0
        while k:
            d = k & mask
            if d:
                entry = self.rows[i][d - 1]
                if entry is not None:
                    acc = curve.add_mixed(acc, entry)
            k >>= self.window
            i += 1
        return acc

    def multiply(self, k: Any) -> Affine:
        return self.curve.to_affine(self.multiply_jacobian(k))
