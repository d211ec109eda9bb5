"""Endpoint interval arithmetic on exact Arb bounds (outward rounded).

An interval is a pair ``(lo, hi)`` of exact Arb numbers; every operation rounds outward, so
an exact end such as 0 stays exactly 0. ``_NoBound`` means Arb cannot bound the result on the
box (NaN, infinite, partly outside a domain); ``Undefined`` means the expression is
certainly undefined there.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from flint import arb, ctx

from checker.numeric import Undefined, to_arb

POINT_PRECISIONS = (64, 160, 400, 1000)
BOX_PRECISION = 64

Iv = tuple[Any, Any]  # exact Arb lower and upper bounds
Box = tuple[tuple[Fraction, Fraction], ...]


class _NoBound(Exception):
    """Arb cannot bound the expression on this box (NaN, infinite, partly outside a domain)."""


def _iv(x: Any) -> Iv:
    if not x.is_finite():
        raise _NoBound
    return x.lower(), x.upper()


def _const(q: Fraction) -> Iv:
    return _iv(to_arb(q))


def _min(xs: Sequence[Any]) -> Any:
    m = xs[0]
    for x in xs[1:]:
        if x < m:
            m = x
    return m


def _max(xs: Sequence[Any]) -> Any:
    m = xs[0]
    for x in xs[1:]:
        if x > m:
            m = x
    return m


def _add(a: Iv, b: Iv) -> Iv:
    lo, hi = (a[0] + b[0]).lower(), (a[1] + b[1]).upper()
    if lo.is_nan() or hi.is_nan():
        raise _NoBound
    return lo, hi


def _mul(a: Iv, b: Iv) -> Iv:
    """The product; bounds may be infinite (from log near 0), but never NaN."""
    if a[0] == a[1] and b[0] == b[1]:
        return _iv(a[0] * b[0])
    ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    if any(p.is_nan() for p in ps):
        raise _NoBound
    return _min([p.lower() for p in ps]), _max([p.upper() for p in ps])


def _recip(a: Iv, clip: bool) -> Iv:
    """1/x; with ``clip`` a bound ending at 0 gives an infinite bound (x = 0 is excluded)."""
    lo, hi = a
    if lo > 0 or hi < 0:
        return _iv(1 / hi)[0], _iv(1 / lo)[1]
    if lo == 0 and hi == 0:
        raise Undefined("division by zero")
    if clip and lo == 0:
        return _iv(1 / hi)[0], arb.pos_inf()
    if clip and hi == 0:
        return arb.neg_inf(), _iv(1 / lo)[1]
    raise _NoBound


def _pow_int(a: Iv, n: int, clip: bool) -> Iv:
    if n == 0:
        return _const(Fraction(1))
    if n < 0:
        return _recip(_pow_int(a, -n, clip), clip)
    lo, hi = a
    if n % 2 == 1 or lo >= 0:
        return _iv(lo**n)[0], _iv(hi**n)[1]
    if hi <= 0:
        return _iv(hi**n)[0], _iv(lo**n)[1]
    top = -lo if -lo > hi else hi
    return arb(0), _iv(top**n)[1]


def _root_at(x: Any, p: int, q: int) -> Any:
    """x^(p/q) for an exact x >= 0."""
    if x == 0:
        if p < 0:
            raise _NoBound
        return arb(0)
    r = x.sqrt() if q == 2 else x.root(q)
    return r ** abs(p) if p > 0 else 1 / (r ** abs(p))


def _pow_rational(a: Iv, p: int, q: int, clip: bool) -> Iv:
    lo, hi = a
    if hi < 0:
        raise Undefined("fractional power of a negative number")
    if lo < 0:
        if not clip:
            raise _NoBound
        lo = arb(0)
    if p > 0:
        return _iv(_root_at(lo, p, q))[0], _iv(_root_at(hi, p, q))[1]
    if hi == 0:
        raise Undefined("division by zero")
    if lo == 0:
        if not clip:
            raise _NoBound
        return _iv(_root_at(hi, p, q))[0], arb.pos_inf()
    return _iv(_root_at(hi, p, q))[0], _iv(_root_at(lo, p, q))[1]


def _exp(a: Iv) -> Iv:
    return _iv(a[0].exp())[0], _iv(a[1].exp())[1]


def _log(a: Iv) -> Iv:
    lo, hi = a
    if hi <= 0:
        raise Undefined("logarithm of a number <= 0")
    if lo <= 0:
        raise _NoBound
    return _iv(lo.log())[0], _iv(hi.log())[1]


def _pow_general(b: Iv, e: Iv, clip: bool) -> Iv:
    if e[0] == e[1] and e[0].is_integer():
        n = e[0].unique_fmpz()
        if n is not None and abs(int(n)) <= 10_000:
            return _pow_int(b, int(n), clip)
    if b[0] > 0:
        return _exp(_mul(e, _log(b)))
    if b[0] == 0 and b[1] > 0 and e[0] >= 0 and (e[0] > 0 or clip):
        # b^e on [0, B] x [e0, e1], e >= 0: increasing in b, so in [0, max(B^e0, B^e1)]
        # (0^0 is undefined, so with clip those points need no bound)
        log_top = b[1].log()
        ends = [_iv((x * log_top).exp())[1] for x in e]
        return arb(0), _max(ends)
    if b[0] == 0 and b[1] == 0:
        if e[0] > 0:
            return arb(0), arb(0)
        if e[1] <= 0:
            raise Undefined("0 raised to a power <= 0")
        raise _NoBound
    if b[1] < 0:
        raise Undefined("a negative number raised to a non-integer power")
    raise _NoBound


def _phi_at(x: Any) -> Any:
    return (-x / arb(2).sqrt()).erfc() / 2


def _phi_inv_at(p: Any) -> Any:
    return -arb(2).sqrt() * (2 * p).erfcinv()


def _sigmoid_at(x: Any) -> Any:
    return 1 / (1 + (-x).exp())


def _exact_iv(q: Fraction) -> Iv:
    """Bounds of an exact rational (exactly zero stays exactly zero)."""
    if q == 0:
        return arb(0), arb(0)
    old = ctx.prec
    ctx.prec = BOX_PRECISION
    try:
        return _const(q)
    finally:
        ctx.prec = old


def _holds(iv: Iv, sign: int, strict: bool) -> bool:
    """Is ``sign * value >= 0`` (``> 0`` if strict) certain for the bounds?"""
    lo = iv[0] if sign > 0 else -iv[1]
    return bool(lo > 0) if strict else bool(lo >= 0)


def _sign(iv: Iv) -> int:
    if iv[0] >= 0:
        return 1
    if iv[1] <= 0:
        return -1
    return 0


def _to_fraction(x: Any) -> Fraction:
    """An exact Arb number as a Fraction."""
    m, e = x.man_exp()
    m, e = int(m), int(e)
    return Fraction(m * 2**e) if e >= 0 else Fraction(m, 2 ** (-e))


def _decide(iv: Iv, op: str) -> bool | None:
    """Is ``value op 0`` certainly true, certainly false, or undecided, for the bounds?"""
    lo, hi = iv
    zero = bool(lo == 0 and hi == 0)
    if op == ">=":
        return True if lo >= 0 else (False if hi < 0 else None)
    if op == ">":
        return True if lo > 0 else (False if hi <= 0 else None)
    if op == "=":
        return True if zero else (False if lo > 0 or hi < 0 else None)
    if op == "!=":
        return True if lo > 0 or hi < 0 else (False if zero else None)
    raise ValueError(op)
