"""The Tate-Lichtenbaum pairing of RFC 6508 section 3.2, and arithmetic in PF_p.

The SAKKE curve E: y^2 = x^3 - 3x over F_p (p = 3 mod 4) is supersingular; F_p^2 is
F_p[i]/(i^2 + 1) and the distortion map is psi(x, y) = (-x, i*y). The pairing
<A, B> is the reduced Tate pairing e(A, psi(B)) taken in PF_p = F_p^2* / F_p*, the
group of order p + 1, raised to c = (p + 1)/q. An element a + i*b of PF_p is
represented by the integer b/a mod p (RFC 6508 2.1); ``1 + i*g`` is the element
represented by g.

Because every line value may be scaled by any element of F_p (the scaling vanishes
in PF_p), the Miller loop runs on Jacobian coordinates with no inversion. The
final exponentiation is only the small exponent c: the p - 1 part is implicit in
the projective representation (the "conjugation" v^(p-1) = conj(v)/v needs no
computation at all).

Both arguments of <.,.> lie in the same cyclic group of order q, so the pairing is
symmetric: <R, K> = <K, R>. :class:`PreparedPoint` runs the point part of the
Miller loop once for a long-lived point K (a receiver's RSK) and stores the line
coefficients; each later pairing then needs only F_p^2 squarings and sparse
multiplications.
"""
from __future__ import annotations

from typing import Any

from mcsec.impl.ibc.bigint import invert, mpz
from mcsec.impl.ibc.errors import InvalidPointError
from mcsec.impl.ibc.weierstrass import Curve


class PairingContext:
    """Pairing data that depends only on the curve and subgroup order."""

    def __init__(self, curve: Curve):
        self.curve = curve
        p, q = int(curve.p), int(curve.q)
        if (p + 1) % q:
            raise ValueError("q does not divide p + 1")
        self.c = (p + 1) // q
        self.loop_bits = bin(q - 1)[3:]  # below the most significant bit

    # -- PF_p helpers -----------------------------------------------------------------------

    def representation(self, a: Any, b: Any) -> Any:
        """Integer representing the PF_p class of a + i*b (b/a mod p)."""
        p = self.curve.p
        a %= p
        if a == 0:
            raise InvalidPointError("pairing value has no finite representation")
        return b * invert(a, p) % p

    def final(self, a: Any, b: Any) -> Any:
        """Raise a + i*b to c in F_p^2 and return the PF_p representation."""
        p = self.curve.p
        ra, rb = mpz(1), mpz(0)
        e = self.c
        base_a, base_b = a, b
        while e:
            if e & 1:
                ra, rb = (ra * base_a - rb * base_b) % p, (ra * base_b + rb * base_a) % p
            e >>= 1
            if e:
                base_a, base_b = (base_a + base_b) * (base_a - base_b) % p, 2 * base_a * base_b % p
        return self.representation(ra, rb)

    def pf_pow(self, g: Any, exponent: int) -> Any:
        """(1 + i*g)^exponent in PF_p, returned as its representation."""
        p = self.curve.p
        g = mpz(g) % p
        a, b = mpz(1), mpz(0)
        for bit in bin(int(exponent))[2:]:
            a, b = (a + b) * (a - b) % p, 2 * a * b % p
            if bit == "1":
                a, b = (a - g * b) % p, (b + g * a) % p
        return self.representation(a, b)

    # -- Miller loop --------------------------------------------------------------------------

    def pair(self, A: tuple[Any, Any], B: tuple[Any, Any]) -> Any:
        """<A, B> following RFC 6508 3.2 directly (Miller loop on A, evaluated at psi(B))."""
        return PreparedPoint(self, A).pair(B)


class PreparedPoint:
    """Line coefficients of the Miller loop for a fixed first argument A.

    For each step the line through the current multiple C (and A on addition
    steps), evaluated at psi(Q) = (-Qx, i*Qy), equals lambda*(Qx + xC) - yC + i*Qy.
    After scaling by the F_p element that clears denominators it is stored as
    (alpha, beta) with value (alpha*Qx + beta) + i*Qy.
    """

    def __init__(self, ctx: PairingContext, A: tuple[Any, Any]):
        curve = ctx.curve
        if not curve.is_on_curve(A):
            raise InvalidPointError("pairing argument is not on the curve")
        self.ctx = ctx
        p = curve.p
        xA, yA = mpz(A[0]), mpz(A[1])
        X, Y, Z = xA, yA, mpz(1)
        raw: list[tuple[Any, Any, Any]] = []  # (alpha*d, beta*d, d)
        adds: list[bool] = []
        for bit in ctx.loop_bits:
            # tangent at C = (X, Y, Z); lambda = M / (2YZ) with M = 3(X^2 - Z^4)
            if Y == 0 or Z == 0:
                raise InvalidPointError("pairing argument has small order")
            ZZ = Z * Z % p
            M = 3 * (X - ZZ) * (X + ZZ) % p
            YY = Y * Y % p
            Z3 = 2 * Y * Z % p
            d = Z3 * ZZ % p
            raw.append((M * ZZ % p, (M * X - 2 * YY) % p, d))
            # C = [2]C
            beta4 = 4 * X * YY % p
            X3 = (M * M - 2 * beta4) % p
            Y = (M * (beta4 - X3) - 8 * YY * YY) % p
            X, Z = X3, Z3
            if bit == "1":
                ZZ = Z * Z % p
                H = (xA * ZZ - X) % p
                R = (yA * Z * ZZ - Y) % p
                if H == 0:
                    raise InvalidPointError("pairing argument has unexpected order")
                Z3 = Z * H % p
                raw.append((R, (R * xA - yA * Z3) % p, Z3))
                HH = H * H % p
                HHH = H * HH % p
                V = X * HH % p
                X3 = (R * R - HHH - 2 * V) % p
                Y = (R * (V - X3) - Y * HHH) % p
                X, Z = X3, Z3
            adds.append(bit == "1")
        # normalise every line by its denominator with one inversion
        acc = mpz(1)
        prefix = []
        for _, _, d in raw:
            prefix.append(acc)
            acc = acc * d % p
        inv = invert(acc, p)
        lines: list[tuple[Any, Any]] = [None] * len(raw)  # type: ignore[list-item]
        for i in range(len(raw) - 1, -1, -1):
            a, b, d = raw[i]
            di = inv * prefix[i] % p
            inv = inv * d % p
            lines[i] = (a * di % p, b * di % p)
        self._lines = lines
        self._adds = adds

    def pair(self, Q: tuple[Any, Any]) -> Any:
        """<A, Q> as its PF_p representation."""
        ctx = self.ctx
        p = ctx.curve.p
        if not ctx.curve.is_on_curve(Q):
            raise InvalidPointError("pairing argument is not on the curve")
        qx, qy = mpz(Q[0]), mpz(Q[1])
        lines = self._lines
        a, b = mpz(1), mpz(0)
        k = 0
        for has_add in self._adds:
            la, lb = lines[k]
            k += 1
            # v = v^2 * (alpha*qx + beta + i*qy)
            a, b = (a + b) * (a - b) % p, 2 * a * b % p
            al = (la * qx + lb) % p
            t1 = a * al
            t2 = b * qy
            a, b = (t1 - t2) % p, ((a + b) * (al + qy) - t1 - t2) % p
            if has_add:
                la, lb = lines[k]
                k += 1
                al = (la * qx + lb) % p
                t1 = a * al
                t2 = b * qy
                a, b = (t1 - t2) % p, ((a + b) * (al + qy) - t1 - t2) % p
        return ctx.final(a, b)
