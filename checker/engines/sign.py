"""Rigorous signs of expressions on boxes that may be unbounded, and limits at infinity.

Shared by the calculus methods (``monotone``, ``convexity``, ``cases``, ``inverse``; the
recursion that ties them together is ``checker.engines.goals``).

* ``enclose(e, box)``: lower and upper bounds of ``e`` over a box whose sides may be
  infinite (``x >= 0`` is the side ``[0, +inf]``), by endpoint interval arithmetic in the
  extended reals: every finite bound is an exact Arb number rounded outward, an infinite one
  is ``+inf`` or ``-inf``, and ``0 * inf`` is 0 (a bound, never a value: the sides hold
  real numbers only). Monotone functions are evaluated at the ends (``exp`` on
  ``[0, +inf]`` is ``[1, +inf]``, ``Phi_inv`` on ``[1/2, 1]`` is ``[0, +inf]``). The bounds
  hold wherever ``e`` is defined; ``None`` when no bound is found.
* ``certify(e, box, strict)``: ``e >= 0`` (``> 0``) on the box, from the enclosure or from
  the signs of the factors of ``e`` (``together`` then ``factor``: an even power is
  ``>= 0``, ``exp`` is ``> 0``, every other factor by its enclosure).
* ``limit(e, x, +1)``: the limit of ``e`` as ``x -> +inf`` (``-1``: ``-inf``), composed from
  the limits of its parts where every operation is continuous at their values in the
  extended reals (``Phi(+inf) = 1``, ``exp(-inf) = 0``, ``1/inf = 0``); ``None`` at any
  indeterminate form (``inf - inf``, ``0 * inf``, ``1/0``).

Work is bounded by the size of the expression (``MAX_FACTOR_OPS``, ``MAX_FACTOR_DEGREE`` and
``MAX_FACTOR_GENERATORS`` for factoring).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import arb, ctx

from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import to_arb

INF = float("inf")
End = arb | float  # an exact Arb number, or +inf / -inf
Iv = tuple[End, End]
Side = tuple[Fraction | None, Fraction | None]  # None: unbounded on that side
PRECISION = 80
MAX_FACTOR_OPS = 120
# a sum with a power or exponential of a higher degree is not factored: SymPy's multivariate
# factoring of ``exp(-50*t) - (1 - t)^50`` (degree 50 in t and exp(t)) runs for minutes
MAX_FACTOR_DEGREE = 12
# nor one in more generators than this (numbers such as pi and sqrt(2) count): factoring a
# derivative of ``sqrt(2*log(1/(2*(1 - p)))) - Phi_inv(p)`` in its ten generators takes
# seconds and finds no factor; on the bench no useful factoring had more than five
MAX_FACTOR_GENERATORS = 6
MAX_DEPTH = 60


class _Fail(Exception):
    """No bound (an indeterminate form, a point outside the domain, an unknown function)."""


def _finite(x: End) -> bool:
    return not isinstance(x, float)


def _lower(x: arb) -> End:
    if not x.is_finite():
        raise _Fail
    return x.lower()


def _upper(x: arb) -> End:
    if not x.is_finite():
        raise _Fail
    return x.upper()


def _lt(a: End, b: End) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a < b
    if isinstance(a, float):
        return a == -INF
    if isinstance(b, float):
        return b == INF
    return bool(a < b)


def _min(xs: list[End]) -> End:
    m = xs[0]
    for x in xs[1:]:
        if _lt(x, m):
            m = x
    return m


def _max(xs: list[End]) -> End:
    m = xs[0]
    for x in xs[1:]:
        if _lt(m, x):
            m = x
    return m


def _is_zero(x: End) -> bool:
    return _finite(x) and bool(x == 0)


def _sgn(x: End) -> int:
    if isinstance(x, float):
        return 1 if x > 0 else -1
    return 1 if x > 0 else (-1 if x < 0 else 0)


# ------------------------------------------------------------------------------ arithmetic


def _add(a: Iv, b: Iv) -> Iv:
    a0, b0, a1, b1 = a[0], b[0], a[1], b[1]
    lo: End = (-INF if isinstance(a0, float) or isinstance(b0, float)
               else _lower(a0 + b0))
    hi: End = (INF if isinstance(a1, float) or isinstance(b1, float)
               else _upper(a1 + b1))
    return lo, hi


def _neg(a: Iv) -> Iv:
    return (-a[1], -a[0])


def _prod(x: End, y: End) -> tuple[End, End]:
    """Lower and upper bounds of the product of two end points (0 * inf = 0)."""
    if _is_zero(x) or _is_zero(y):
        return arb(0), arb(0)
    if isinstance(x, float) or isinstance(y, float):
        s = INF if _sgn(x) * _sgn(y) > 0 else -INF
        return s, s
    p = x * y
    return _lower(p), _upper(p)


def _mul(a: Iv, b: Iv) -> Iv:
    lows: list[End] = []
    highs: list[End] = []
    for x in a:
        for y in b:
            lo, hi = _prod(x, y)
            lows.append(lo)
            highs.append(hi)
    return _min(lows), _max(highs)


def _recip(a: Iv) -> Iv:
    """1/x over the side (0 itself is no value: ``1/[0, 1]`` is ``[1, +inf]``)."""
    lo, hi = a

    def inv(x: End, up: bool) -> End:
        if isinstance(x, float):
            return arb(0)
        r = 1 / x
        return _upper(r) if up else _lower(r)
    if _sgn(lo) > 0 or (_is_zero(lo) and _sgn(hi) > 0):
        return inv(hi, False), (INF if _is_zero(lo) else inv(lo, True))
    if _sgn(hi) < 0 or (_is_zero(hi) and _sgn(lo) < 0):
        return (-INF if _is_zero(hi) else inv(hi, False)), inv(lo, True)
    raise _Fail


def _monotone(a: Iv, f: Callable[[arb], arb], at: Callable[[float], End],
              increasing: bool = True) -> Iv:
    def value(x: End, up: bool) -> End:
        if isinstance(x, float):
            return at(x)
        y = f(x)
        return _upper(y) if up else _lower(y)
    if increasing:
        return value(a[0], False), value(a[1], True)
    return value(a[1], False), value(a[0], True)


def _pow_int(a: Iv, n: int) -> Iv:
    if n == 0:
        return arb(1), arb(1)
    if n < 0:
        return _recip(_pow_int(a, -n))

    def p(x: End, up: bool) -> End:
        if isinstance(x, float):
            return INF if (x > 0 or n % 2 == 0) else -INF
        y = x**n
        return _upper(y) if up else _lower(y)
    lo, hi = a
    if n % 2 == 1 or _sgn(lo) >= 0:
        return p(lo, False), p(hi, True)
    if _sgn(hi) <= 0:
        return p(hi, False), p(lo, True)
    return arb(0), _max([p(lo, True), p(hi, True)])


def _pow_rational(a: Iv, p: int, q: int) -> Iv:
    """``x^(p/q)`` with q > 1 (defined for x >= 0 only: negative values are clipped)."""
    lo, hi = a
    if _sgn(hi) < 0:
        raise _Fail
    if _sgn(lo) < 0:
        lo = arb(0)

    def root(x: End, up: bool) -> End:
        if isinstance(x, float):
            return INF
        y = x.root(q)
        return _upper(y) if up else _lower(y)
    return _pow_int((root(lo, False), root(hi, True)), p)


def _exp(a: Iv) -> Iv:
    return _monotone(a, lambda x: x.exp(), lambda x: INF if x > 0 else arb(0))


def _log(a: Iv) -> Iv:
    lo, hi = a
    if _sgn(hi) <= 0:
        raise _Fail
    lo_v: End = -INF if _sgn(lo) <= 0 else _lower(lo.log())  # type: ignore[union-attr]
    hi_v: End = INF if isinstance(hi, float) else _upper(hi.log())
    return lo_v, hi_v


def _phi(x: arb) -> arb:
    return (-x / arb(2).sqrt()).erfc() / 2


def _unit(lo_at: int, hi_at: int) -> Callable[[float], End]:
    return lambda x: arb(hi_at) if x > 0 else arb(lo_at)


def _phi_inv(a: Iv) -> Iv:
    lo, hi = a
    if _sgn(hi) <= 0 or (not isinstance(lo, float) and lo >= 1):
        raise _Fail

    def value(p: End, up: bool) -> End:
        if isinstance(p, float) or p <= 0:
            return -INF
        if p >= 1:
            return INF
        y = -arb(2).sqrt() * (2 * p).erfcinv()
        return _upper(y) if up else _lower(y)
    return value(lo, False), value(hi, True)


def _atan_limit(x: float) -> End:
    half = arb.pi() / 2
    return half.upper() if x > 0 else (-half).lower()


_INCREASING: dict[Any, tuple[Callable[[arb], arb], Callable[[float], End]]] = {
    sp.atan: (lambda x: x.atan(), _atan_limit),
    sp.tanh: (lambda x: x.tanh(), _unit(-1, 1)),
    sp.erf: (lambda x: x.erf(), _unit(-1, 1)),
    Phi: (_phi, _unit(0, 1)),
    Sigmoid: (lambda x: 1 / (1 + (-x).exp()), _unit(0, 1)),
    sp.sinh: (lambda x: x.sinh(), lambda x: x),
}


def _compose(e: Any, box: Mapping[str, Iv], depth: int) -> Iv:
    if depth > MAX_DEPTH:
        raise _Fail
    d = depth + 1
    if e.is_Symbol:
        if e.name not in box:
            raise _Fail
        return box[e.name]
    if e.is_Rational:
        q = to_arb(Fraction(int(e.p), int(e.q)))
        return q, q
    if e is sp.pi:
        p = arb.pi()
        return p.lower(), p.upper()
    if e is sp.E:
        v = arb(1).exp()
        return v.lower(), v.upper()
    if e.is_Add:
        acc = _compose(e.args[0], box, d)
        for a in e.args[1:]:
            acc = _add(acc, _compose(a, box, d))
        return acc
    if e.is_Mul:
        acc = _compose(e.args[0], box, d)
        for a in e.args[1:]:
            acc = _mul(acc, _compose(a, box, d))
        return acc
    if e.is_Pow:
        base, ex = e.args
        if ex.is_Integer:
            return _pow_int(_compose(base, box, d), int(ex))
        if ex.is_Rational:
            return _pow_rational(_compose(base, box, d), int(ex.p), int(ex.q))
        if base is sp.E:
            return _exp(_compose(ex, box, d))
        b = _compose(base, box, d)
        if _sgn(b[0]) <= 0:
            raise _Fail
        return _exp(_mul(_compose(ex, box, d), _log(b)))
    if isinstance(e, sp.exp):
        return _exp(_compose(e.args[0], box, d))
    if isinstance(e, sp.log):
        return _log(_compose(e.args[0], box, d))
    if isinstance(e, PhiInv):
        return _phi_inv(_compose(e.args[0], box, d))
    if isinstance(e, sp.erfc):
        return _monotone(_compose(e.args[0], box, d), lambda x: x.erfc(),
                         lambda x: arb(0) if x > 0 else arb(2), increasing=False)
    for kind, (f, at) in _INCREASING.items():
        if isinstance(e, kind):
            return _monotone(_compose(e.args[0], box, d), f, at)
    if isinstance(e, sp.cosh):
        a = _compose(e.args[0], box, d)
        m = _max([_abs(a)[1]])
        return arb(1), (INF if isinstance(m, float) else _upper(m.cosh()))
    if isinstance(e, (sp.sin, sp.cos)):
        return arb(-1), arb(1)
    if isinstance(e, sp.Abs):
        return _abs(_compose(e.args[0], box, d))
    if isinstance(e, (sp.Max, sp.Min)):
        parts = [_compose(a, box, d) for a in e.args]
        if isinstance(e, sp.Max):
            return _max([p[0] for p in parts]), _max([p[1] for p in parts])
        return _min([p[0] for p in parts]), _min([p[1] for p in parts])
    raise _Fail


def _abs(a: Iv) -> Iv:
    lo, hi = a
    if _sgn(lo) >= 0:
        return lo, hi
    if _sgn(hi) <= 0:
        return _neg(a)
    return arb(0), _max([-lo, hi])


def box_of(sides: Mapping[str, Side]) -> dict[str, Iv]:
    return {n: (-INF if lo is None else to_arb(lo), INF if hi is None else to_arb(hi))
            for n, (lo, hi) in sides.items()}


def enclose(e: sp.Expr, sides: Mapping[str, Side]) -> Iv | None:
    """Bounds of ``e`` over the box (see the module docstring), or None."""
    old = ctx.prec
    ctx.prec = PRECISION
    try:
        return _compose(e, box_of(sides), 0)
    except (_Fail, ValueError, ZeroDivisionError, TypeError):
        return None
    finally:
        ctx.prec = old


def _holds(iv: Iv | None, strict: bool) -> bool:
    if iv is None:
        return False
    s = _sgn(iv[0])
    return s > 0 or (s == 0 and not strict)


def certify(e: sp.Expr, sides: Mapping[str, Side], strict: bool) -> str | None:
    """How ``e >= 0`` (``> 0`` when strict) is certified on the box, or None."""
    if _holds(enclose(e, sides), strict):
        return "interval bound"
    if sp.count_ops(e) > MAX_FACTOR_OPS:
        return None
    try:
        n, d = sp.fraction(sp.together(e))
        factors = _factors(n) + [(f, -k) for f, k in _factors(d)]
    except (sp.PolynomialError, ValueError, TypeError, RecursionError):
        return None
    sign = 1
    maybe_zero = False
    for f, k in factors:
        if f.is_number and f.is_zero:
            return None
        if k % 2 == 0:
            iv = enclose(f, sides)
            if k < 0 and not _holds(iv, True) and not _holds(_neg(iv) if iv else None, True):
                return None  # a denominator that may vanish
            if not (_holds(iv, True) or (iv is not None and _holds(_neg(iv), True))):
                maybe_zero = True
            continue
        iv = enclose(f, sides)
        if _holds(iv, True):
            continue
        if iv is not None and _holds(_neg(iv), True):
            sign = -sign
            continue
        if k > 0 and _holds(iv, False):
            maybe_zero = True
            continue
        if k > 0 and iv is not None and _holds(_neg(iv), False):
            sign = -sign
            maybe_zero = True
            continue
        return None
    if sign < 0 or (strict and maybe_zero):
        return None
    return "signs of the factors"


def _factors(e: sp.Expr) -> list[tuple[sp.Expr, int]]:
    """``e`` as a list of (factor, multiplicity), numbers included."""
    if sp.count_ops(e) <= MAX_FACTOR_OPS and low_degree(e) \
            and generators(e) <= MAX_FACTOR_GENERATORS:
        with contextlib.suppress(sp.PolynomialError, ValueError, TypeError, RecursionError):
            e = sp.factor(e)
    out: list[tuple[sp.Expr, int]] = []
    for a in sp.Mul.make_args(e):
        if a.is_Pow and a.exp.is_Integer:
            out.append((a.base, int(a.exp)))
        else:
            out.append((a, 1))
    return out


def generators(e: sp.Expr) -> int:
    """How many generators ``e`` has as a polynomial: the distinct parts that are not sums,
    products, integer powers or rational numbers (``x``, ``exp(x)``, ``sqrt(2)``, ``pi``)."""
    seen: set[sp.Expr] = set()
    todo = [e]
    while todo:
        a = todo.pop()
        if a.is_Add or a.is_Mul:
            todo.extend(a.args)
        elif a.is_Pow and a.exp.is_Integer:
            todo.append(a.base)
        elif not a.is_Rational:
            seen.add(a)
    return len(seen)


def low_degree(e: sp.Expr) -> bool:
    """Whether no sum inside ``e`` has a power (``u^n``, ``exp(n*u)``) of degree above
    MAX_FACTOR_DEGREE, so that factoring it is cheap. A product's factors are looked at
    one by one (``(1 - t)^50*exp(t)`` is already factored)."""
    for a in sp.Mul.make_args(e):
        if a.is_Pow and a.exp.is_Integer:
            a = a.base
        if not a.is_Add:
            continue
        for node in sp.preorder_traversal(a):
            if node.is_Pow and node.exp.is_Integer and abs(int(node.exp)) > MAX_FACTOR_DEGREE:
                return False
            if isinstance(node, sp.exp):
                for c in node.args[0].as_coefficients_dict().values():
                    if c.is_Rational and abs(c) > MAX_FACTOR_DEGREE:
                        return False
    return True


# ------------------------------------------------------------------------------ limits

Lim = arb | float


def _lim(e: Any, x: sp.Symbol, to: float, depth: int) -> Lim:
    if depth > MAX_DEPTH:
        raise _Fail
    d = depth + 1
    if e == x:
        return to
    if e.is_Rational:
        return to_arb(Fraction(int(e.p), int(e.q)))
    if e is sp.pi:
        return arb.pi()
    if e is sp.E:
        return arb(1).exp()
    if e.free_symbols - {x}:
        raise _Fail
    if e.is_Add:
        parts = [_lim(a, x, to, d) for a in e.args]
        infs = {p for p in parts if isinstance(p, float)}
        if len(infs) > 1:
            raise _Fail
        if infs:
            return infs.pop()
        total = arb(0)
        for p in parts:
            total += p
        return total
    if e.is_Mul:
        parts = [_lim(a, x, to, d) for a in e.args]
        if any(isinstance(p, float) for p in parts):
            s = 1
            for p in parts:
                if isinstance(p, float):
                    s *= 1 if p > 0 else -1
                elif p > 0:
                    pass
                elif p < 0:
                    s = -s
                else:
                    raise _Fail  # 0 * inf, or a sign not known
            return INF if s > 0 else -INF
        prod = arb(1)
        for p in parts:
            prod *= p
        return prod
    if e.is_Pow:
        base, ex = e.args
        if base is sp.E:
            return _lim_exp(_lim(ex, x, to, d))
        b = _lim(base, x, to, d)
        if ex.is_Integer:
            n = int(ex)
            if isinstance(b, float):
                if n > 0:
                    return INF if (b > 0 or n % 2 == 0) else -INF
                return arb(0)
            if n < 0 and b.contains(0):
                raise _Fail
            return b**n
        if ex.is_Rational and ex > 0:
            if isinstance(b, float):
                if b < 0:
                    raise _Fail
                return INF
            return b.nonnegative_part().root(int(ex.q)) ** int(ex.p)
        raise _Fail
    if isinstance(e, sp.exp):
        return _lim_exp(_lim(e.args[0], x, to, d))
    if isinstance(e, sp.log):
        a = _lim(e.args[0], x, to, d)
        if isinstance(a, float):
            if a < 0:
                raise _Fail
            return INF
        if a == 0:
            return -INF  # the argument tends to 0 from above (log is defined only there)
        if not a > 0:
            raise _Fail
        return a.log()
    for kind, (f, at) in _INCREASING.items():
        if isinstance(e, kind):
            a = _lim(e.args[0], x, to, d)
            if isinstance(a, float):
                v = at(a)
                if isinstance(v, float):
                    return v
                return _ball_of(v, kind, a)
            return f(a)
    raise _Fail


def _ball_of(v: arb, kind: Any, a: float) -> arb:
    if kind is sp.atan:
        return arb.pi() / 2 if a > 0 else -arb.pi() / 2
    return v


def _lim_exp(a: Lim) -> Lim:
    if isinstance(a, float):
        return INF if a > 0 else arb(0)
    return a.exp()


def limit(e: sp.Expr, x: sp.Symbol, direction: int) -> Lim | None:
    """The limit of ``e`` (a function of ``x`` alone) as x -> +inf (direction 1) or -inf."""
    old = ctx.prec
    ctx.prec = PRECISION
    try:
        return _lim(e, x, INF if direction > 0 else -INF, 0)
    except (_Fail, ValueError, ZeroDivisionError, TypeError):
        return None
    finally:
        ctx.prec = old


def limit_sign(value: Lim | None, strict: bool) -> bool:
    """Is the limit certainly >= 0 (> 0 when strict)?"""
    if value is None:
        return False
    if isinstance(value, float):
        return value > 0
    return bool(value > 0) or (not strict and value == 0)
