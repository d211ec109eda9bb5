"""Compiling SymPy expressions to interval functions on boxes.

``_compile(e, index)`` turns an expression into a function of an ``_Env`` (exact bounds per
variable) returning an enclosure; ``_evaluate`` runs it on a box at a given precision.
Functions without a dedicated rule fall back to ``checker.numeric.ball`` on Arb balls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import arb, ctx

from checker.engines.intervals.arith import (
    Box,
    Iv,
    _add,
    _const,
    _iv,
    _max,
    _min,
    _mul,
    _NoBound,
    _phi_at,
    _phi_inv_at,
    _pow_general,
    _pow_int,
    _pow_rational,
    _sigmoid_at,
)
from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import Undefined, ball, to_arb


class _Env:
    """Variable bounds for one evaluation; ``clip`` clips square-root arguments at zero."""

    __slots__ = ("clip", "names", "vals")

    def __init__(self, vals: list[Iv], names: Sequence[str], clip: bool) -> None:
        self.vals = vals
        self.names = names
        self.clip = clip

    def balls(self) -> dict[str, Any]:
        return {n: lo.union(hi) for n, (lo, hi) in zip(self.names, self.vals, strict=True)}


Fn = Callable[[_Env], Iv]


_INCREASING: dict[type, Callable[[Any], Any]] = {
    sp.exp: lambda x: x.exp(),
    sp.atan: lambda x: x.atan(),
    sp.tanh: lambda x: x.tanh(),
    sp.sinh: lambda x: x.sinh(),
    sp.erf: lambda x: x.erf(),
    sp.floor: lambda x: x.floor(),
    sp.ceiling: lambda x: x.ceil(),
    Phi: _phi_at,
    Sigmoid: _sigmoid_at,
}
_DECREASING: dict[type, Callable[[Any], Any]] = {sp.erfc: lambda x: x.erfc()}
_PERIODIC: dict[type, Callable[[Any], Any]] = {
    sp.sin: lambda x: x.sin(),
    sp.cos: lambda x: x.cos(),
    sp.tan: lambda x: x.tan(),
}
# function: (point evaluation, increasing, domain ends, open ends, limits at the ends)
_Spec = tuple[Callable[[Any], Any], bool, int, int | None, bool, bool]
_RESTRICTED: dict[type, _Spec] = {
    sp.log: (lambda x: x.log(), True, 0, None, True, True),
    sp.asin: (lambda x: x.asin(), True, -1, 1, False, False),
    sp.acos: (lambda x: x.acos(), False, -1, 1, False, False),
    PhiInv: (_phi_inv_at, True, 0, 1, True, True),
}
# even-like functions: decreasing then increasing around 0, with their value at 0
_EVEN: dict[type, tuple[Callable[[Any], Any], int]] = {
    sp.Abs: (lambda x: abs(x), 0),
    sp.cosh: (lambda x: x.cosh(), 1),
}


def _monotone(child: Fn, f: Callable[[Any], Any], increasing: bool) -> Fn:
    def run(env: _Env) -> Iv:
        lo, hi = child(env)
        a = _iv(f(lo))
        b = a if lo == hi else _iv(f(hi))
        return (a[0], b[1]) if increasing else (b[0], a[1])

    return run


def _restricted(child: Fn, spec: _Spec) -> Fn:
    """A monotone function defined on an interval; with ``clip`` and ``infinite``, an open end
    where the function tends to -/+infinity (log at 0, Phi_inv at 0 and 1) gives an infinite
    bound on the part of the box where it is defined."""
    f, increasing, left, right, is_open, infinite = spec

    def run(env: _Env) -> Iv:
        lo, hi = child(env)
        if (hi <= left if is_open else hi < left) or (
            right is not None and (lo >= right if is_open else lo > right)
        ):
            raise Undefined("argument outside the function's domain")
        low_out = lo <= left if is_open else lo < left
        high_out = right is not None and (hi >= right if is_open else hi > right)
        if (low_out or high_out) and not (env.clip and infinite):
            raise _NoBound
        a = (arb.neg_inf(), arb.neg_inf()) if low_out else _iv(f(lo))
        b = (arb.pos_inf(), arb.pos_inf()) if high_out else (a if lo == hi else _iv(f(hi)))
        return (a[0], b[1]) if increasing else (b[0], a[1])

    return run


def _even(child: Fn, f: Callable[[Any], Any], at_zero: int) -> Fn:
    def run(env: _Env) -> Iv:
        lo, hi = child(env)
        if lo >= 0:
            return _iv(f(lo))[0], _iv(f(hi))[1]
        if hi <= 0:
            return _iv(f(hi))[0], _iv(f(lo))[1]
        return arb(at_zero), _max([_iv(f(lo))[1], _iv(f(hi))[1]])

    return run


def _periodic(child: Fn, f: Callable[[Any], Any]) -> Fn:
    def run(env: _Env) -> Iv:
        lo, hi = child(env)
        return _iv(f(lo.union(hi)))

    return run


def _fallback(e: sp.Expr) -> Fn:
    def run(env: _Env) -> Iv:
        try:
            b = ball(e, env.balls(), ctx.prec, assume_defined=env.clip)
        except (NotImplementedError, ZeroDivisionError, ValueError, KeyError) as exc:
            raise _NoBound from exc
        return _iv(b)

    return run


def _fold(fns: list[Fn], op: Callable[[Iv, Iv], Iv]) -> Fn:
    def run(env: _Env) -> Iv:
        acc = fns[0](env)
        for fn in fns[1:]:
            acc = op(acc, fn(env))
        return acc

    return run


def _compile(e: Any, index: dict[str, int]) -> Fn:
    """An evaluator of ``e`` on boxes given as exact bounds per variable index."""
    if e.is_Symbol:
        if e.name not in index:
            return _fallback(e)
        i = index[e.name]
        return lambda env: env.vals[i]
    if e.is_Rational or e.is_Float:
        value = Fraction(int(sp.Rational(e).p), int(sp.Rational(e).q))
        return lambda env: _const(value)
    if e is sp.pi:
        return lambda env: _iv(arb.pi())
    if e is sp.E:
        return lambda env: _iv(arb.const_e())
    if isinstance(e, sp.exp):
        return _monotone(_compile(e.args[0], index), lambda x: x.exp(), True)
    if e.is_Add:
        return _fold([_compile(a, index) for a in e.args], _add)
    if e.is_Mul:
        return _fold([_compile(a, index) for a in e.args], _mul)
    if e.is_Pow:
        base = _compile(e.base, index)
        ex = e.exp
        if ex.is_Integer:
            n = int(ex)
            return lambda env: _pow_int(base(env), n, env.clip)
        if ex.is_Rational:
            p, q = int(ex.p), int(ex.q)
            return lambda env: _pow_rational(base(env), p, q, env.clip)
        power = _compile(ex, index)
        return lambda env: _pow_general(base(env), power(env), env.clip)
    kind = type(e)
    if len(e.args) == 1:
        child = _compile(e.args[0], index)
        if kind in _INCREASING:
            return _monotone(child, _INCREASING[kind], True)
        if kind in _DECREASING:
            return _monotone(child, _DECREASING[kind], False)
        if kind in _RESTRICTED:
            return _restricted(child, _RESTRICTED[kind])
        if kind in _EVEN:
            return _even(child, *_EVEN[kind])
        if kind in _PERIODIC:
            return _periodic(child, _PERIODIC[kind])
    if isinstance(e, (sp.Max, sp.Min)):
        parts = [_compile(a, index) for a in e.args]
        pick = _max if isinstance(e, sp.Max) else _min

        def run(env: _Env) -> Iv:
            ivs = [p(env) for p in parts]
            return pick([v[0] for v in ivs]), pick([v[1] for v in ivs])

        return run
    return _fallback(e)


def _evaluate(fn: Fn, box: Box, names: Sequence[str], prec: int, clip: bool) -> Iv | None:
    """Bounds of a compiled expression on the box; None if unbounded; raises ``Undefined``."""
    old = ctx.prec
    ctx.prec = prec
    try:
        vals = []
        for lo, hi in box:
            a = to_arb(lo)
            vals.append((a.lower(), a.upper() if lo == hi else to_arb(hi).upper()))
        return fn(_Env(vals, names, clip))
    except (_NoBound, ZeroDivisionError, ValueError, OverflowError):
        return None
    finally:
        ctx.prec = old


_SUPPORTED = (
    sp.Add, sp.Mul, sp.Pow, sp.exp, sp.Max, sp.Min, sp.factorial, sp.binomial, sp.Sum, sp.Tuple,
    *_INCREASING, *_DECREASING, *_PERIODIC, *_RESTRICTED, *_EVEN,
)  # fmt: skip


def _unsupported(e: sp.Expr) -> str | None:
    """The name of a function no evaluator here can bound, if ``e`` has one."""
    for node in sp.preorder_traversal(e):
        if node.is_Symbol or (node.is_Number and node.is_finite) or node in (sp.pi, sp.E):
            continue
        if not isinstance(node, _SUPPORTED):
            return type(node).__name__
    return None
