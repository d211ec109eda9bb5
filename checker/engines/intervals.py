"""Rigorous interval branch-and-bound: certify ``f >= 0`` (``> 0``, ``!= 0``) on every box.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "intervals").

The claim is written ``f op 0`` (``Relation.difference``) over the box that the variables'
domains and simple hypotheses (``x <= 3``, ``2*x > 1``) give; every variable of the claim
must get finite bounds. Boxes are evaluated with endpoint interval arithmetic built on Arb:
every bound is an exact Arb number rounded outward, so ``x**2`` on [-1, 1] is [0, 1] and a
box end such as 0 stays exactly 0 (Arb's midpoint-radius balls would inflate it, and
``ball**2`` of a ball centred at 0 is NaN). Where the claim is defined only on part of a box,
bounds may be infinite (``log(x)`` on [0, 1] is [-oo, 0]). Where plain evaluation is too
loose, tests from SymPy derivatives certify the box:

* monotone in a variable on the box: only the worst face (an exact point in one dimension)
  needs checking, so touching points such as ``log(1 + x) <= x`` at 0 stay exact;
* the sign test: ``g(a) >= 0, g'(a) >= 0, ..., g^(k)(X) >= 0`` gives ``g >= 0`` on [a, b]
  (mirrored at b), with the conditions at ``x = a`` certified recursively;
* the mean-value form ``f(c) + grad f(X) . (X - c)``.

Derivative tests need the expression and its derivatives defined and finite on the whole
box (checked without clipping square roots), so the mean value theorem applies. Values at
exact points use exact rationals, SymPy's automatic simplification (``exp(-1) - exp(-1)`` is
0) and increasing precision. On each box, f is specialised: ``Abs``, ``Max``, ``Min``,
``floor`` and ``ceiling`` decided on the box are replaced by their branch or value, integer
variables fixed to one value by that value; undecided branches are certified one by one on
the whole box (a point takes one of them). Integer variables are relaxed to reals and split
at integers, down to single values. Boxes left uncertified are split at 0, 1 or -1 when
inside, else at the simplest rational of the middle third; that point is also tried as a
counterexample, reported only as ``verify_counterexample`` returns it. A claim whose
variables occur only through one subexpression (``exp(x + y) >= 1 + x + y``) is also tried
in the substituted variable ``t = x + y`` over an enclosure of its range.

PROVED only when every box is certified (or certainly violates a hypothesis, or has no point
where the claim is defined). ``=`` claims are certified only where f simplifies to 0 (after
specialisation) or at single integer points. Deterministic: the answer depends on the clock
only through giving up on the budget.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import arb, ctx

from checker.binders import substitute
from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import (
    Undefined,
    ball,
    exact,
    holds_at,
    simplest_between,
    to_arb,
    verify_counterexample,
)
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

ENGINE = "intervals"
MAX_BOXES = 100_000
MAX_EQUALITY_BOXES = 500  # "=" claims: only a search for a counterexample at simple points
MAX_ORDER = 4  # highest derivative used by the sign test
MIN_WIDTH = Fraction(1, 2**40)  # relative to a variable's starting width: not split further
MAX_DERIVATIVE_OPS = 400
MAX_FACTOR_OPS = 60
POINT_PRECISIONS = (64, 160, 400, 1000)
BOX_PRECISION = 64
REDUCTION_SHARE = 0.4  # share of the budget for proofs in a substituted variable
MAX_REDUCTION_OPS = 150

Iv = tuple[Any, Any]  # exact Arb lower and upper bounds
Box = tuple[tuple[Fraction, Fraction], ...]


class _NoBound(Exception):
    """Arb cannot bound the expression on this box (NaN, infinite, partly outside a domain)."""


class _OutOfTime(Exception):
    """The time budget ran out in the middle of a box."""


# ------------------------------------------------------------------ endpoint interval arithmetic


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


# ------------------------------------------------------------------------- expressions and forms

_SMOOTH = (
    sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.atan, sp.asin, sp.acos, sp.sinh, sp.cosh,
    sp.tanh, sp.erf, sp.erfc, Phi, PhiInv, Sigmoid,
)  # fmt: skip


def _is_smooth(e: sp.Expr) -> bool:
    """Only functions differentiable inside their domains, so derivative tests apply."""
    for node in sp.preorder_traversal(e):
        if node.is_Symbol or node.is_Add or node.is_Mul or node.is_Pow:
            continue
        if (node.is_Number and node.is_finite) or node in (sp.pi, sp.E):
            continue
        if isinstance(node, _SMOOTH):
            continue
        return False
    return True


def _substitutable(e: sp.Expr) -> bool:
    """Whether SymPy may evaluate ``e`` at a rational point without risk of blow-up."""
    if e.has(sp.factorial, sp.binomial, sp.Sum, sp.gamma):
        return False
    return all(abs(int(p.exp)) <= 200 for p in e.atoms(sp.Pow) if p.exp.is_Integer)


def _factored(e: sp.Expr) -> list[sp.Expr]:
    """``factor(e)`` as another form to evaluate, when small and different."""
    if not e.free_symbols or sp.count_ops(e) > MAX_FACTOR_OPS:
        return []
    try:
        g = sp.factor(e)
    except Exception:  # SymPy's polynomial code raises many kinds on odd inputs
        return []
    return [g] if g != e else []


@dataclass
class _Form:
    """One expression (the claim's f or a derivative) with its compiled forms."""

    expr: sp.Expr
    index: dict[str, int]
    fns: list[Fn]  # the expression itself first, then equal forms (factored), made on demand
    deps: frozenset[int]
    smooth: bool
    substitutable: bool
    exponents: list[Fn]  # symbolic exponents: SymPy evaluates number**number eagerly
    complete: bool = False

    def count(self) -> int:
        """How many forms there are (factoring the expression the first time)."""
        if not self.complete:
            self.complete = True
            self.fns += [_compile(g, self.index) for g in _factored(self.expr)]
        return len(self.fns)


class _Forms:
    """f and its partial derivatives, keyed by the sorted tuple of variable indices."""

    def __init__(self, f: sp.Expr, syms: Sequence[sp.Symbol]) -> None:
        self.syms = list(syms)
        self.index = {s.name: i for i, s in enumerate(self.syms)}
        self.cache: dict[tuple[int, ...], _Form | None] = {(): self._make(f)}

    def _make(self, e: sp.Expr) -> _Form:
        return _Form(
            expr=e,
            index=self.index,
            fns=[_compile(e, self.index)],
            deps=frozenset(self.index[s.name] for s in e.free_symbols if s.name in self.index),
            smooth=_is_smooth(e),
            substitutable=_substitutable(e),
            exponents=[
                _compile(p.exp, self.index)
                for p in e.atoms(sp.Pow)
                if p.exp.free_symbols and not p.exp.is_Integer
            ],
        )

    def get(self, key: tuple[int, ...]) -> _Form | None:
        if key in self.cache:
            return self.cache[key]
        parent = self.get(key[:-1])
        form = None
        if parent is not None and parent.smooth:
            i = key[-1]
            d = sp.diff(parent.expr, self.syms[i]) if i in parent.deps else sp.Integer(0)
            if sp.count_ops(d) <= MAX_DERIVATIVE_OPS:
                form = self._make(d)
        self.cache[key] = form
        return form


def _with(key: tuple[int, ...], i: int, times: int = 1) -> tuple[int, ...]:
    return tuple(sorted(key + (i,) * times))


# ---------------------------------------------------------------------------- simple rationals


def _pick(lo: Fraction, hi: Fraction, integer: bool) -> Fraction:
    """A simple interior point to split at and try: 0, 1, -1, else the middle third's simplest."""
    if lo == hi:
        return lo
    third = (hi - lo) / 3
    if integer:
        first, last = math.ceil(lo + third), math.floor(hi - third)
        if first <= last:
            return simplest_between(Fraction(first), Fraction(last))
        return Fraction(math.floor((lo + hi) / 2))
    for p in (0, 1, -1):
        if lo < p < hi:
            return Fraction(p)
    return simplest_between(lo + third, hi - third)


def _simplest_in(d: Domain) -> Fraction | None:
    """A simple member of a (possibly unbounded) domain."""
    lo, hi = d.lo, d.hi
    if lo is None and hi is None:
        return Fraction(0)
    if lo is None:
        assert hi is not None
        c = Fraction(math.floor(hi) - 1 if hi <= 0 else 0)
    elif hi is None:
        c = Fraction(math.ceil(lo) + 1 if lo >= 0 else 0)
    else:
        c = simplest_between(lo, hi)
        if not d.contains(c) and lo < hi:
            c = simplest_between(lo + (hi - lo) / 4, hi - (hi - lo) / 4)
    if d.integer and c.denominator != 1:
        c = Fraction(math.ceil(c))
    return c if d.contains(c) else None


# --------------------------------------------------------------------------------- the search


@dataclass(frozen=True)
class _Var:
    name: str
    lo: Fraction
    hi: Fraction
    integer: bool
    lo_open: bool = False  # the domain excludes lo (strict claims may be 0 there)
    hi_open: bool = False


@dataclass
class _Outcome:
    status: Status
    reason: str = ""
    counterexample: Any = None
    boxes: int = 0


_KINKS = (sp.Abs, sp.Max, sp.Min)
MAX_COMBOS = 8  # combinations of undecided branches certified one by one
MAX_KINK_ARGS = 4
MAX_INTEGER_SUBSTITUTION = 1000
MAX_EXPONENT = 4096  # symbolic exponents larger than this are not handed to SymPy


class _Search:
    """Branch and bound over the boxes of one problem ``f op 0``.

    With ``ob`` set, simple points are tried as counterexamples to ``ob``; without it
    (a substituted problem whose points need not be reachable) any point where the claim
    certainly fails ends the search.

    On each box, f is specialised: ``Abs``, ``Max`` and ``Min`` whose branch is decided on
    the box are replaced by that branch, and integer variables fixed to one value by the value,
    so that SymPy simplifies (``Abs(x) - x`` is 0 where x >= 0) and derivatives exist.
    """

    def __init__(
        self,
        f: sp.Expr,
        op: str,
        variables: Sequence[_Var],
        hypotheses: Sequence[Relation],
        deadline: float,
        ob: Obligation | None = None,
        completion: dict[str, Fraction] | None = None,
    ) -> None:
        self.f = f
        self.op = op
        self.vars = list(variables)
        self.names = [v.name for v in self.vars]
        self.syms = [sym(n) for n in self.names]
        self.base = _Forms(f, self.syms)
        self.index = self.base.index
        base_form = self.base.get(())
        self.f_deps = base_form.deps if base_form is not None else frozenset()
        self.specials: dict[tuple[object, ...], _Forms] = {(): self.base}
        self.sig: tuple[object, ...] = ()
        self.excluded_faces: set[tuple[int, Fraction]] = set()  # checked on their own
        self.forms = self.base
        self.kinks: list[tuple[sp.Expr, list[list[Fn]]]] = []
        for node in sp.preorder_traversal(f):
            if isinstance(node, _KINKS) and len(node.args) <= MAX_KINK_ARGS:
                if any(node == k for k, _ in self.kinks):
                    continue
                args = [node.args[0], -node.args[0]] if isinstance(node, sp.Abs) else node.args
                # row i: the differences that must all be >= 0 for the kink to be args[i]:
                # args[i] - args[j] for Max and Abs (the max of u and -u), the reverse for Min
                low = isinstance(node, sp.Min)
                rows = [
                    [_compile(b - a if low else a - b, self.index) for b in args if b is not a]
                    for a in args
                ]
                self.kinks.append((node, rows))
        # floor and ceiling: (node, its argument, (i, a, b) when the argument is a*x_i + b)
        self.steps: list[tuple[sp.Expr, Fn, tuple[int, Fraction, Fraction] | None]] = []
        for node in sp.preorder_traversal(f):
            if isinstance(node, (sp.floor, sp.ceiling)) and all(
                node != k for k, _, _ in self.steps
            ):
                arg = node.args[0]
                self.steps.append((node, _compile(arg, self.index), self._linear(arg)))
        self.f_smooth_free = _substitutable(f)
        self.can_specialise = bool(self.kinks or self.steps or any(v.integer for v in self.vars))
        self.hyps: list[tuple[Fn, str]] = []
        for h in hypotheses:
            g, hop = h.difference()
            self.hyps.append((_compile(g, self.index), hop))
        self.deadline = deadline
        self.ob = ob
        self.completion = completion or {}
        self.start: Box = tuple((v.lo, v.hi) for v in self.vars)
        self.min_width = [(v.hi - v.lo) * MIN_WIDTH for v in self.vars]
        self.points: dict[tuple[tuple[object, ...], tuple[int, ...], Box], Iv | None] = {}
        self.memo: dict[tuple[tuple[object, ...], tuple[int, ...], int, Box, bool], Iv | None] = {}
        self.tried: set[Box] = set()
        self.boxes = 0
        self.certified = 0
        self.undefined = 0  # boxes discarded because the claim is undefined on all of them

    # ---------------------------------------------------------------- specialisation

    def _decisions(self, box: Box) -> tuple[list[object], list[list[object]], list[Box]]:
        """What is decided on the box, per integer variable, kink and step (None: undecided).

        Also the values each undecided kink or step may take on the box (a point of the box
        takes one of them), and the faces of the box that need their own check: ``floor(x)``
        is m - 1 on [a, m] except at x = m (``ceiling`` likewise at the lower end).
        """
        sig: list[object] = []
        options: list[list[object]] = []
        faces: list[Box] = []
        for i, (v, (lo, hi)) in enumerate(zip(self.vars, box, strict=True)):
            value: object = None
            if v.integer and lo == hi and i in self.f_deps:
                limit = MAX_INTEGER_SUBSTITUTION if self.f_smooth_free else 50
                value = int(lo) if abs(lo) <= limit else None
            sig.append(value)
            options.append([value])
        for _, rows in self.kinks:
            choice = self._branch(rows, box)
            sig.append(choice)
            options.append([choice] if choice >= 0 else list(range(len(rows))))
        for node, argfn, linear in self.steps:
            value, face, possible = self._step_value(node, argfn, linear, box)
            sig.append(value)
            options.append(possible)
            if face is not None:
                faces.append(face)
        return sig, options, faces

    def _powers_small(self, form: _Form, box: Box) -> bool:
        """Whether every symbolic exponent is small on the box, so that SymPy may substitute
        numbers without computing a huge power (2**(2**n) at n = 1000)."""
        for fn in form.exponents:
            try:
                iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
            except Undefined:
                return False
            if iv is None or not (iv[0] >= -MAX_EXPONENT and iv[1] <= MAX_EXPONENT):
                return False
        return True

    def _use(self, sig: Sequence[object], box: Box) -> None:
        """Set ``self.forms`` to f with the decisions ``sig`` substituted."""
        mapping: dict[sp.Expr, sp.Expr] = {}
        n = len(self.vars)
        base_form = self.base.get(())
        substitutes = any(isinstance(v, int) for v in sig[:n])
        if base_form is not None and substitutes and not self._powers_small(base_form, box):
            sig = [None] * n + list(sig[n:])
        for i, value in enumerate(sig[:n]):
            if isinstance(value, int):
                mapping[self.syms[i]] = sp.Integer(value)
        for (node, _), choice in zip(self.kinks, sig[n : n + len(self.kinks)], strict=True):
            if isinstance(choice, int) and choice >= 0:
                if isinstance(node, sp.Abs):
                    mapping[node] = node.args[0] if choice == 0 else -node.args[0]
                else:
                    mapping[node] = node.args[choice]
        for (node, _, _), value in zip(self.steps, sig[n + len(self.kinks) :], strict=True):
            if isinstance(value, int):
                mapping[node] = sp.Integer(value)
        key = tuple(sig) if mapping else ()
        if key not in self.specials:
            g = self.f
            for _ in range(8):
                nxt = substitute(g, mapping)  # not inside a sum whose variable it mentions
                if nxt == g:
                    break
                g = nxt
            self.specials[key] = _Forms(g, self.syms)
        self.sig, self.forms = key, self.specials[key]

    def _step_value(
        self, node: sp.Expr, argfn: Fn, linear: tuple[int, Fraction, Fraction] | None, box: Box
    ) -> tuple[int | None, Box | None, list[object]]:
        """floor/ceiling on the box: its value (with the face where it differs) and the values
        it may take."""
        try:
            iv = _evaluate(argfn, box, self.names, BOX_PRECISION, True)
        except Undefined:
            return None, None, [None]
        if iv is None:
            return None, None, [None]
        up = isinstance(node, sp.ceiling)
        ends = [int((x.ceil() if up else x.floor()).unique_fmpz()) for x in iv]
        if ends[0] == ends[1]:
            return ends[0], None, [ends[0]]
        possible: list[object] = (
            list(range(ends[0], ends[1] + 1)) if ends[1] - ends[0] < MAX_COMBOS else [None]
        )
        if linear is None or ends[1] != ends[0] + 1:
            return None, None, possible
        # the argument a*x + b reaches the integer m only on the face x = (m - b)/a
        var, a, b = linear
        m = ends[1] if not up else ends[0]
        at = (m - b) / a
        lo, hi = box[var]
        reaches_m_at = (hi if a > 0 else lo) if not up else (lo if a > 0 else hi)
        if at != reaches_m_at:
            return None, None, possible
        return (ends[0] if not up else ends[1]), _fix(box, var, at), possible

    def _linear(self, e: sp.Expr) -> tuple[int, Fraction, Fraction] | None:
        """(i, a, b) when e = a*x_i + b with x_i a real variable and a, b rational."""
        names = [s.name for s in e.free_symbols]
        if len(names) != 1 or names[0] not in self.index:
            return None
        i = self.index[names[0]]
        if self.vars[i].integer:
            return None
        try:
            poly = sp.Poly(e, self.syms[i])
        except Exception:  # not a polynomial (SymPy raises several kinds)
            return None
        coeffs = poly.all_coeffs()
        if poly.degree() != 1 or not all(c.is_Rational for c in coeffs):
            return None
        a, b = (Fraction(int(c.p), int(c.q)) for c in coeffs)
        return i, a, b

    def _branch(self, rows: list[list[Fn]], box: Box) -> int:
        """The argument of a kink certainly chosen on the box (Abs: 0 for u, 1 for -u), or -1."""
        for i, row in enumerate(rows):
            ok = True
            for fn in row:
                try:
                    iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
                except Undefined:
                    iv = None
                if iv is None or not iv[0] >= 0:
                    ok = False
                    break
            if ok:
                return i
        return -1

    def _use_base(self) -> None:
        self.sig, self.forms = (), self.base
        self.excluded_faces = set()

    # ---------------------------------------------------------------- evaluation helpers

    def _bound(self, key: tuple[int, ...], k: int, box: Box, clip: bool) -> Iv | None:
        """Form ``k`` of expression ``key`` on the box; None when unbounded or undefined."""
        memo_key = (self.sig, key, k, box, clip)
        if memo_key in self.memo:
            return self.memo[memo_key]
        if time.monotonic() > self.deadline:
            raise _OutOfTime
        form = self.forms.get(key)
        result = None
        if form is not None and k < (form.count() if k else 1):
            try:
                result = _evaluate(form.fns[k], box, self.names, BOX_PRECISION, clip)
            except Undefined:
                result = None
        self.memo[memo_key] = result
        return result

    def _point_value(self, key: tuple[int, ...], pt: Box) -> Iv | None:
        """Bounds of expression ``key`` at an exact point, as tight as needed to decide signs."""
        cache_key = (self.sig, key, pt)
        if cache_key in self.points:
            return self.points[cache_key]
        value = self._point_value_uncached(key, pt)
        self.points[cache_key] = value
        return value

    def _point_value_uncached(self, key: tuple[int, ...], pt: Box) -> Iv | None:
        form = self.forms.get(key)
        if form is None:
            return None
        mapping = {n: lo for n, (lo, _) in zip(self.names, pt, strict=True)}
        try:
            q = exact(form.expr, mapping)
        except Undefined:
            return None
        if q is not None:
            return _exact_iv(q)
        iv = self._decided(form.fns[0], pt, POINT_PRECISIONS[0])
        if iv is not None and iv[2]:
            return iv[0], iv[1]
        if form.substitutable and self._powers_small(form, pt):
            subs = {sym(n): sp.Rational(v.numerator, v.denominator) for n, v in mapping.items()}
            v = form.expr.xreplace(subs)
            if v.is_Rational:
                return _exact_iv(Fraction(int(v.p), int(v.q)))
        last = None
        for prec in POINT_PRECISIONS[1:]:
            if time.monotonic() > self.deadline:
                raise _OutOfTime
            iv = self._decided(form.fns[0], pt, prec)
            if iv is None:
                return None
            last = (iv[0], iv[1])
            if iv[2]:
                break
        return last

    def _decided(self, fn: Fn, pt: Box, prec: int) -> tuple[Any, Any, bool] | None:
        try:
            iv = _evaluate(fn, pt, self.names, prec, False)
        except Undefined:
            return None
        if iv is None:
            return None
        lo, hi = iv
        return lo, hi, bool(lo > 0 or hi < 0 or (lo == 0 and hi == 0))

    # --------------------------------------------------------------------- certification

    def _excluded(self, i: int, end: Fraction) -> bool:
        """Whether x_i = end lies outside the variable's domain (an open end)."""
        v = self.vars[i]
        if (i, end) in self.excluded_faces:
            return True
        return (end == v.lo and v.lo_open) or (end == v.hi and v.hi_open)

    def _certify(self, key: tuple[int, ...], sign: int, box: Box, strict: bool) -> bool:
        """Is ``sign * D >= 0`` (``> 0`` if strict) certain on the box, D = expression ``key``?

        With ``strict``, points of the box outside an open end of a domain need not be > 0.
        """
        form = self.forms.get(key)
        if form is None:
            return False
        free = sorted(i for i in form.deps if box[i][0] != box[i][1])
        if not free:
            pt = tuple((lo, lo) for lo, _ in box)
            value = self._point_value(key, pt)
            return value is not None and _holds(value, sign, strict)
        k = 0
        while k < (form.count() if k else 1):  # factored forms only when the first fails
            # clip square roots only in the expression itself: a factored form is equal to it
            # where both are defined, and is trusted only where it is defined everywhere
            iv = self._bound(key, k, box, k == 0)
            if iv is not None and _holds(iv, sign, strict):
                return True
            k += 1
        if not form.smooth or self._bound(key, 0, box, False) is None:
            return False
        grads: dict[int, Iv] = {}
        for i in free:
            gkey = _with(key, i)
            g = self._bound(gkey, 0, box, False)
            if g is None:
                continue
            grads[i] = g
            ivs = [g]
            gform = self.forms.get(gkey)
            if _sign(g) == 0 and gform is not None:
                for k in range(1, gform.count()):
                    alt = self._bound(gkey, k, box, False)
                    if alt is not None:
                        ivs.append(alt)
            direction = next(
                (d for d in (1, -1) if any(_holds(v, d * sign, False) for v in ivs)), 0
            )
            if direction == 0:
                continue
            # sign * D is monotone in x_i: its least value is on the face at `end`
            end = box[i][0] if direction > 0 else box[i][1]
            relaxed = (
                strict
                and self._excluded(i, end)
                and any(_holds(v, direction * sign, True) for v in ivs)
            )
            if self._certify(key, sign, _fix(box, i, end), strict and not relaxed):
                return True
            if not (strict and self._excluded(i, end)):
                return False  # the least value is on that face: nothing else can do better
            break  # a strict claim at an excluded end: the sign test below may still work
        if len(grads) == len(free) and self._mean_value(key, sign, box, grads, strict):
            return True
        if len(free) <= 2:
            return any(self._sign_test(key, sign, box, i, strict) for i in free if i in grads)
        return False

    def _mean_value(
        self, key: tuple[int, ...], sign: int, box: Box, grads: dict[int, Iv], strict: bool
    ) -> bool:
        """``f(c) + sum_i df/dx_i(X) (X_i - c_i)`` with c the box's centre."""
        centre = tuple(((lo + hi) / 2, (lo + hi) / 2) for lo, hi in box)
        fc = self._point_value(key, centre)
        if fc is None:
            return False
        old = ctx.prec
        ctx.prec = BOX_PRECISION
        try:
            total = fc
            for i, g in grads.items():
                lo, hi = box[i]
                c = centre[i][0]
                total = _add(total, _mul(g, (_const(lo - c)[0], _const(hi - c)[1])))
        except _NoBound:
            return False
        finally:
            ctx.prec = old
        return _holds(total, sign, strict)

    def _sign_test(self, key: tuple[int, ...], sign: int, box: Box, i: int, strict: bool) -> bool:
        """g(a) >= 0, ..., g^(j)(a) >= 0 and g^(j+1) >= 0 on the box (or mirrored at b).

        For a strict claim at an excluded end a, g^(j)(a) >= 0 and g^(j+1) > 0 on the box
        give g > 0 on (a, b].
        """
        for end, mirror in ((box[i][0], 1), (box[i][1], -1)):
            face = _fix(box, i, end)
            relaxed = strict and self._excluded(i, end)
            for j in range(MAX_ORDER):
                s = sign * mirror**j
                if not self._certify(_with(key, i, j), s, face, strict and j == 0 and not relaxed):
                    break
                if j == 0 and not relaxed:
                    continue  # order 1 on the box is the monotonicity test, already failed
                nxt = _with(key, i, j + 1)
                g = self._bound(nxt, 0, box, False)
                if g is None:
                    break
                s1 = sign * mirror ** (j + 1)
                if _holds(g, s1, relaxed):
                    return True
                form = self.forms.get(nxt)
                for k in range(1, form.count() if form is not None else 1):
                    alt = self._bound(nxt, k, box, False)
                    if alt is not None and _holds(alt, s1, relaxed):
                        return True
        return False

    def _certify_box(self, box: Box) -> str:
        """ "ok", "discard" (no point of the box where the claim is defined) or "fail".

        f is specialised to the box (decided branches substituted); if that is not enough,
        every combination of the undecided branches is certified on the whole box: each point
        takes one of them, so f is the certified value there.
        """
        try:
            form = self.base.get(())
            assert form is not None
            _evaluate(form.fns[0], box, self.names, BOX_PRECISION, True)
        except Undefined:
            return "discard" if self._integers_fixed(box) else "fail"
        if self.op == "=" and not self.can_specialise:
            return "fail"
        sig, options, faces = self._decisions(box)
        excluded = {
            (i, lo)
            for face in faces
            for i, (lo, hi) in enumerate(face)
            if lo == hi and box[i][0] != box[i][1]
        }
        self.excluded_faces = excluded
        self._use(sig, box)
        ok = self._certify_claim(box)
        combos = math.prod(len(o) for o in options)
        if not ok and 1 < combos <= MAX_COMBOS:
            for combo in itertools.product(*options):
                self.excluded_faces = excluded
                self._use(combo, box)
                ok = self._certify_claim(box)
                if not ok:
                    break
        if ok and any(self._certify_box(face) == "fail" for face in faces):
            return "fail"
        return "ok" if ok else "fail"

    def _certify_claim(self, box: Box) -> bool:
        """The claim ``f op 0`` for the current (specialised) f on the whole box."""
        if self.op == "=":
            form = self.forms.get(())
            if form is None:
                return False
            if form.expr == 0:
                return True
            if any(box[i][0] != box[i][1] for i in form.deps):
                return False
            value = self._point_value((), tuple((lo, lo) for lo, _ in box))
            return value is not None and bool(value[0] == 0 and value[1] == 0)
        if self.op == "!=":
            return self._certify((), 1, box, True) or self._certify((), -1, box, True)
        return self._certify((), 1, box, self.op == ">")

    def _integers_fixed(self, box: Box) -> bool:
        return all(not v.integer or lo == hi for v, (lo, hi) in zip(self.vars, box, strict=True))

    # ----------------------------------------------------------- hypotheses and points

    def _feasible(self, box: Box, active: tuple[int, ...]) -> tuple[bool, tuple[int, ...]]:
        """Whether the box may hold points satisfying the hypotheses; those still undecided."""
        keep = []
        for k in active:
            fn, hop = self.hyps[k]
            try:
                iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
            except Undefined:
                # an undefined hypothesis excludes nothing: a contradictory definedness
                # requirement (Phi_inv(2), 1/0) must not make the obligation vacuous
                keep.append(k)
                continue
            if iv is None:
                keep.append(k)
                continue
            decided = _decide(iv, hop)
            if decided is False:
                return False, ()
            if decided is None:
                keep.append(k)
        return True, tuple(keep)

    def _fails_at(self, pt: Box) -> bool:
        self._use_base()
        value = self._point_value((), pt)
        if value is None:
            return False
        return _decide(value, self.op) is False

    def _try_point(self, pt: Box) -> Any:
        """A verified counterexample at the point, or None."""
        if self.ob is None or pt in self.tried:
            return None
        self.tried.add(pt)
        if not self._fails_at(pt):
            return None
        point = dict(self.completion)
        point.update({n: lo for n, (lo, _) in zip(self.names, pt, strict=True)})
        return verify_counterexample(self.ob, point)

    def _candidate(self, box: Box) -> Box:
        return tuple(
            (p, p)
            for p in (_pick(lo, hi, v.integer) for v, (lo, hi) in zip(self.vars, box, strict=True))
        )

    def _split_var(self, box: Box) -> int | None:
        best, best_width = None, Fraction(0)
        for i, (v, (lo, hi)) in enumerate(zip(self.vars, box, strict=True)):
            if lo == hi or (not v.integer and hi - lo <= self.min_width[i]):
                continue
            width = (hi - lo) / (v.hi - v.lo)
            if best is None or width > best_width:
                best, best_width = i, width
        return best

    def _split(self, box: Box, i: int, at: Fraction) -> list[Box]:
        lo, hi = box[i]
        if self.vars[i].integer:
            m = min(max(at, lo), hi - 1)
            parts = [(lo, m), (m + 1, hi)]
        else:
            parts = [(lo, at), (at, hi)]
        return [(*box[:i], part, *box[i + 1 :]) for part in parts]

    # ------------------------------------------------------------------------------ main

    def run(self, max_boxes: int) -> _Outcome:
        if self.op == "=":
            max_boxes = min(max_boxes, MAX_EQUALITY_BOXES)
        everything = tuple(range(len(self.hyps)))
        queue: deque[tuple[Box, tuple[int, ...]]] = deque([(self.start, everything)])
        stuck: list[Box] = []
        try:
            corner = tuple((simplest_between(lo, hi), simplest_between(lo, hi))
                           for lo, hi in self.start)
            cex = self._try_point(corner)
            if cex is not None:
                return _Outcome(Status.REFUTED, counterexample=cex, boxes=0)
            while queue:
                if self.boxes >= max_boxes or time.monotonic() > self.deadline:
                    return self._exhausted()
                box, active = queue.popleft()
                self.boxes += 1
                self.memo.clear()
                feasible, active = self._feasible(box, active)
                if not feasible:
                    continue
                pt = self._candidate(box)
                if self.ob is not None:
                    cex = self._try_point(pt)
                    if cex is not None:
                        return _Outcome(Status.REFUTED, counterexample=cex, boxes=self.boxes)
                elif self._fails_at(pt):
                    return _Outcome(Status.UNKNOWN, "fails at a point", boxes=self.boxes)
                result = self._certify_box(box)
                if result == "ok":
                    self.certified += 1
                if result == "discard":
                    self.undefined += 1
                if result != "fail":
                    continue
                i = self._split_var(box)
                if i is None:
                    stuck.append(pt)
                    continue
                for child in self._split(box, i, pt[i][0]):
                    queue.append((child, active))
        except _OutOfTime:
            return self._exhausted()
        if self.op == "=" and stuck:
            return self._equality_unknown()
        if stuck and not self.vars:
            return _Outcome(Status.UNKNOWN, "undecided at the point", boxes=self.boxes)
        if stuck:
            pairs = zip(self.names, stuck[0], strict=True)
            where = ", ".join(f"{n} = {lo}" for n, (lo, _) in pairs)
            return _Outcome(
                Status.UNKNOWN,
                f"could not certify {len(stuck)} tiny boxes, first near {where}",
                boxes=self.boxes,
            )
        if self.undefined and not self.certified:
            return _Outcome(
                Status.UNKNOWN, "the claim is undefined on the domain", boxes=self.boxes
            )
        note = f" ({self.undefined} where the claim is undefined)" if self.undefined else ""
        return _Outcome(Status.PROVED, f"certified on {self.boxes} boxes{note}", boxes=self.boxes)

    def _equality_unknown(self) -> _Outcome:
        return _Outcome(
            Status.UNKNOWN,
            f"no counterexample in {self.boxes} boxes; equalities are left to other engines",
            boxes=self.boxes,
        )

    def _exhausted(self) -> _Outcome:
        if self.op == "=":
            return self._equality_unknown()
        return _Outcome(
            Status.UNKNOWN,
            f"interval search exhausted its budget after {self.boxes} boxes",
            boxes=self.boxes,
        )


def _fix(box: Box, i: int, value: Fraction) -> Box:
    return (*box[:i], (value, value), *box[i + 1 :])


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


# ---------------------------------------------------------------------------- the obligation


def _simple_bound(h: Relation) -> tuple[str, Domain, bool] | None:
    """A hypothesis ``x op c`` (or linear in one variable) as a domain; and whether exact."""
    lhs, op, rhs = h.lhs, h.op, h.rhs
    if op == "!=":
        return None
    if rhs.is_Symbol and not lhs.free_symbols:
        lhs, op, rhs = h.flipped().lhs, h.flipped().op, h.flipped().rhs
    if lhs.is_Symbol and not rhs.free_symbols and not rhs.is_Rational:
        try:
            b = ball(rhs, {}, 128)
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError):
            return None
        if not b.is_finite():
            return None
        lo, hi = _to_fraction(b.lower()), _to_fraction(b.upper())
        bounds = {"<": Domain(hi=hi), "<=": Domain(hi=hi), ">": Domain(lo=lo), ">=": Domain(lo=lo)}
        d = bounds.get(op, Domain(lo, hi))
        return lhs.name, d, False
    diff = lhs - rhs
    if len(diff.free_symbols) != 1:
        return None
    (x,) = diff.free_symbols
    try:
        poly = sp.Poly(diff, x)
    except Exception:  # not a polynomial in x (SymPy raises several kinds)
        return None
    coeffs = poly.all_coeffs()
    if poly.degree() != 1 or not all(c.is_Rational for c in coeffs):
        return None
    a = Fraction(int(coeffs[0].p), int(coeffs[0].q))
    b0 = Fraction(int(coeffs[1].p), int(coeffs[1].q))
    c = -b0 / a
    if a < 0:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
    domains = {
        "=": Domain(c, c),
        "<": Domain(hi=c, hi_open=True),
        "<=": Domain(hi=c),
        ">": Domain(lo=c, lo_open=True),
        ">=": Domain(lo=c),
    }
    return x.name, domains[op], True


def _integer_box(d: Domain) -> tuple[Fraction, Fraction]:
    assert d.lo is not None and d.hi is not None
    lo = math.ceil(d.lo) + (1 if d.lo_open and d.lo.denominator == 1 else 0)
    hi = math.floor(d.hi) - (1 if d.hi_open and d.hi.denominator == 1 else 0)
    return Fraction(lo), Fraction(hi)


def _decide_constant(ob: Obligation) -> Verdict | None:
    """An obligation without variables, decided at the single point (None: undecided)."""
    try:
        for h in ob.hypotheses:
            if holds_at(h, {}) is False:
                return Verdict(Status.PROVED, ENGINE, reason="a hypothesis is false")
        claim = holds_at(ob.claim, {})
    except Undefined:
        return Verdict(Status.UNKNOWN, ENGINE, reason="the claim is undefined")
    except NotImplementedError:
        return None
    if claim is True:
        return Verdict(Status.PROVED, ENGINE, reason="decided at the point (no variables)")
    if claim is False:
        cex = verify_counterexample(ob, {})
        if cex is not None:
            return Verdict(Status.REFUTED, ENGINE, counterexample=cex)
        reason = "the claim fails but a hypothesis is undecided"
        return Verdict(Status.UNKNOWN, ENGINE, reason=reason)
    return None


def _outside_sums(e: sp.Expr) -> Iterator[sp.Expr]:
    """The subterms of ``e`` in preorder, not entering sums: inside one, a subterm may mention
    the summation variable, which is not the variable of that name outside."""
    yield e
    if not isinstance(e, sp.Sum):
        for a in e.args:
            yield from _outside_sums(a)


def _reductions(f: sp.Expr, names: Sequence[str]) -> list[tuple[sp.Expr, sp.Expr, sp.Symbol]]:
    """Ways to write f = g(s, rest) with s a subexpression holding 2+ variables: (s, g, t)."""
    if sp.count_ops(f) > MAX_REDUCTION_OPS:
        return []
    taken = set(names)
    t = sym(
        next(n for n in ("t", "u", *(f"t{i}" for i in range(len(taken) + 1))) if n not in taken)
    )
    seen: set[sp.Expr] = set()
    candidates = []
    bound = {v for s in f.atoms(sp.Sum) for v in s.variables}
    for node in _outside_sums(f):
        if node is f or node.is_Symbol or node in seen or len(node.free_symbols) < 2:
            continue
        if node.free_symbols & bound:  # SymPy's subs would also replace it inside the sum
            continue
        seen.add(node)
        candidates.append(node)
    candidates.sort(key=lambda e: (-sp.count_ops(e), sp.srepr(e)))
    small_powers = all(abs(int(p.exp)) <= 20 for p in f.atoms(sp.Pow) if p.exp.is_Integer)
    out = []
    for s in candidates[:12]:
        try:
            g = f.subs(s, t)
        except Exception:  # SymPy's subs can fail on odd trees; then there is no reduction
            continue
        if t not in g.free_symbols or g.free_symbols & s.free_symbols:
            continue
        back = g.xreplace({t: s})
        if back != f and not (small_powers and sp.expand(back - f) == 0):
            continue
        out.append((s, g, t))
    return out


def _range_of(s: sp.Expr, variables: Sequence[_Var]) -> tuple[Fraction, Fraction, bool] | None:
    """Bounds of s over the box (exact when s is linear with rational coefficients)."""
    names = [v.name for v in variables]
    syms = [sym(n) for n in names]
    box = tuple((v.lo, v.hi) for v in variables)
    try:
        poly = sp.Poly(s, *syms)
        linear = poly.total_degree() == 1 and all(c.is_Rational for c in poly.coeffs())
    except Exception:  # not a polynomial (SymPy raises several kinds)
        linear = False
    if linear:
        lo = hi = Fraction(0)
        integer = True
        for exps, c in poly.terms():
            q = Fraction(int(c.p), int(c.q))
            if sum(exps) == 0:
                lo, hi = lo + q, hi + q
                integer = integer and q.denominator == 1
                continue
            k = exps.index(1)
            v = variables[k]
            lo += min(q * v.lo, q * v.hi)
            hi += max(q * v.lo, q * v.hi)
            integer = integer and v.integer and q.denominator == 1
        return lo, hi, integer
    fn = _compile(s, {n: i for i, n in enumerate(names)})
    try:
        iv = _evaluate(fn, box, names, BOX_PRECISION, False)
    except Undefined:
        return None
    if iv is None:
        return None
    return _to_fraction(iv[0]), _to_fraction(iv[1]), False


def _prove_reduced(
    f: sp.Expr, op: str, variables: Sequence[_Var], hyps: Sequence[Relation], deadline: float
) -> _Outcome | None:
    """Try proving the claim in a substituted variable; an outcome only when proved."""
    names = [v.name for v in variables]
    for s, g, t in _reductions(f, names)[:2]:
        if time.monotonic() > deadline:
            return None
        used = {x.name for x in s.free_symbols}
        inside = [v for v in variables if v.name in used]
        rng = _range_of(s, inside)
        if rng is None:
            continue
        in_g = {x.name for x in g.free_symbols}
        rest = [v for v in variables if v.name not in used and v.name in in_g]
        new_vars = sorted([*rest, _Var(t.name, rng[0], rng[1], rng[2])], key=lambda v: v.name)
        rest_names = {v.name for v in rest}
        keep = [h for h in hyps if h.free_names <= rest_names]
        search = _Search(g, op, new_vars, keep, deadline)
        outcome = search.run(MAX_BOXES)
        if outcome.status is Status.PROVED:
            outcome.reason = f"{outcome.reason} with {t.name} = {s}"
            return outcome
    return None


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


def _prove(ob: Obligation, deadline: float) -> Verdict:
    f, op = ob.claim.difference()
    missing = _unsupported(f)
    if missing is not None:
        return Verdict(Status.UNKNOWN, ENGINE, reason=f"cannot bound {missing} with intervals")
    if not ob.names:
        decided_here = _decide_constant(ob)
        if decided_here is not None:
            return decided_here
    domains = {n: ob.domain(n) for n in ob.names}
    filter_hyps: list[Relation] = []
    for h in ob.hypotheses:
        bound = _simple_bound(h)
        if bound is None:
            filter_hyps.append(h)
            continue
        name, d, is_exact = bound
        domains[name] = domains[name].meet(d)
        if not is_exact:
            filter_hyps.append(h)
    if any(d.is_empty for d in domains.values()):
        reason = "no point satisfies the domains and hypotheses"
        return Verdict(Status.PROVED, ENGINE, reason=reason)
    claim_names = sorted({s.name for s in f.free_symbols})
    if not claim_names:
        try:
            decided = holds_at(ob.claim, {})
        except (Undefined, NotImplementedError):
            decided = None
        if decided is True:
            return Verdict(Status.PROVED, ENGINE, reason="the claim has no variables and holds")
        if decided is False:
            completion = {n: c for n in ob.names if (c := _simplest_in(domains[n])) is not None}
            cex = verify_counterexample(ob, completion)
            if cex is not None:
                return Verdict(Status.REFUTED, ENGINE, counterexample=cex)
            reason = "the claim fails, but not at a simple point satisfying the hypotheses"
            return Verdict(Status.UNKNOWN, ENGINE, reason=reason)
    if op == "=" and f == 0:
        return Verdict(Status.PROVED, ENGINE, reason="both sides are the same expression")
    unbounded = [n for n in claim_names if domains[n].lo is None or domains[n].hi is None]
    if unbounded:
        return Verdict(Status.UNKNOWN, ENGINE, reason=f"unbounded domain: {', '.join(unbounded)}")
    variables = []
    for n in claim_names:
        d = domains[n]
        assert d.lo is not None and d.hi is not None
        lo, hi = _integer_box(d) if d.integer else (d.lo, d.hi)
        opens = (d.lo_open, d.hi_open) if not d.integer else (False, False)
        variables.append(_Var(n, lo, hi, d.integer, *opens))
    completion = {}
    for n in ob.names:
        if n not in claim_names:
            c = _simplest_in(domains[n])
            if c is not None:
                completion[n] = c
    claim_set = set(claim_names)
    hyps = [h for h in filter_hyps if h.free_names <= claim_set]
    start = time.monotonic()
    if op in (">=", ">") and len(variables) >= 2:
        share = start + (deadline - start) * REDUCTION_SHARE
        reduced = _prove_reduced(f, op, variables, hyps, share)
        if reduced is not None:
            notes = (f"{reduced.boxes} boxes",)
            return Verdict(Status.PROVED, ENGINE, reason=reduced.reason, notes=notes)
    search = _Search(f, op, variables, hyps, deadline, ob, completion)
    outcome = search.run(MAX_BOXES)
    return Verdict(
        outcome.status,
        ENGINE,
        reason=outcome.reason,
        counterexample=outcome.counterexample,
        notes=(f"{outcome.boxes} boxes",),
    )


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """Prove ``ob`` by certified interval bounds on every box, or refute it at a simple point."""
    begun = time.monotonic()
    try:
        verdict = _prove(ob, begun + budget_s)
    except Exception as exc:  # the engine contract: never raise, answer UNKNOWN
        verdict = Verdict(Status.UNKNOWN, ENGINE, reason=f"internal error: {type(exc).__name__}")
    return replace(verdict, time_s=time.monotonic() - begun)
