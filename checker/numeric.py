"""Rigorous numerics: evaluate SymPy expressions exactly (rationals) or in Arb balls.

Arb (python-flint) balls always contain the exact value, so a sign read off a ball that
excludes zero is certain. Everything that reports a number to a student, or turns a point
into a counterexample, goes through here:

* ``exact(expr, point)``: the exact rational value of a rational expression, or None;
* ``ball(expr, env, prec)``: a ball containing the value (NaN ball if Arb cannot bound it);
* ``holds_at(rel, point)``: True / False when certain, None when even 1,000 bits cannot tell
  and the difference is not exactly 0 by SymPy's own evaluation (``exact_zero``);
* ``verify_counterexample(ob, point)``: a ``Counterexample`` only when the point is certainly
  in the domains, satisfies every hypothesis and certainly breaks the claim, and both sides are
  defined there by the language's rules (``PowerRules``: stricter than the evaluator).

Nothing here parses text: inputs are SymPy trees built by our own grammar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import arb, ctx, fmpq

from checker.binders import substitute
from checker.functions import Phi, PhiInv, Sigmoid
from checker.obligations import Counterexample, Obligation, Relation

PRECISIONS = (64, 160, 400, 1000)
MAX_SUM_TERMS = 10_000
MAX_EXACT_BITS = 20_000


class Undefined(Exception):
    """The expression is certainly undefined at the point (log of a negative, 1/0, ...)."""


class NotExact(Exception):
    """The expression has a function whose value at a rational point is not rational."""


# ---------------------------------------------------------------------------- exact rationals


def exact(expr: sp.Expr, point: Mapping[str, Fraction]) -> Fraction | None:
    """The exact value of a rational function of the variables, or None if not rational."""
    try:
        return _exact(expr, point)
    except (NotExact, OverflowError):
        return None


def _exact(e: sp.Expr, pt: Mapping[str, Fraction]) -> Fraction:
    if e.is_Symbol:
        if e.name not in pt:
            raise NotExact(e.name)
        return pt[e.name]
    if e.is_Integer or e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if e.is_Add:
        return sum((_exact(a, pt) for a in e.args), Fraction(0))
    if e.is_Mul:
        out = Fraction(1)
        for a in e.args:
            out *= _exact(a, pt)
        return out
    if e.is_Pow and e.exp.is_Integer:
        base = _exact(e.base, pt)
        n = int(e.exp)
        bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if abs(n) * bits > MAX_EXACT_BITS:
            raise NotExact("too large")
        if base == 0 and n < 0:
            raise Undefined("division by zero")
        return base**n
    if isinstance(e, sp.Abs):
        return abs(_exact(e.args[0], pt))
    if isinstance(e, (sp.Max, sp.Min)):
        vals = [_exact(a, pt) for a in e.args]
        return max(vals) if isinstance(e, sp.Max) else min(vals)
    if isinstance(e, sp.floor):
        return Fraction(math.floor(_exact(e.args[0], pt)))
    if isinstance(e, sp.ceiling):
        return Fraction(math.ceil(_exact(e.args[0], pt)))
    raise NotExact(type(e).__name__)


def simplest_between(a: Fraction, b: Fraction) -> Fraction:
    """The rational with the smallest denominator (then numerator) in [a, b], a <= b: the
    point a counterexample is best shown at (continued fractions, Stern-Brocot)."""
    if a <= 0 <= b:
        return Fraction(0)
    if b < 0:
        return -simplest_between(-b, -a)
    n = math.floor(a)
    if n == a:
        return a
    if n + 1 <= b:
        return Fraction(n + 1)
    return n + 1 / simplest_between(1 / (b - n), 1 / (a - n))


# ------------------------------------------------------------------------------- Arb balls


def to_arb(q: Fraction | sp.Rational) -> arb:
    if isinstance(q, Fraction):
        return arb(fmpq(q.numerator, q.denominator))
    return arb(fmpq(int(q.p), int(q.q)))


def interval(lo: Fraction, hi: Fraction) -> arb:
    """The ball that contains [lo, hi] (Arb may round its radius up)."""
    mid = (lo + hi) / 2
    rad = (hi - lo) / 2
    return arb(fmpq(mid.numerator, mid.denominator), fmpq(rad.numerator, rad.denominator))


def _nan() -> arb:
    return arb.nan()


def _pos(x: arb) -> bool:
    return bool(x > 0)


def _sqrt(x: arb, defined: bool) -> arb:
    if x < 0:
        raise Undefined("square root of a negative number")
    if defined:
        x = x.nonnegative_part()
    return x.sqrt()


def _log(x: arb, defined: bool) -> arb:
    if x <= 0:
        raise Undefined("logarithm of a number <= 0")
    return x.log()


def _pow(b: arb, e: sp.Expr, env: Mapping[str, arb], defined: bool) -> arb:
    if e.is_Integer:
        n = int(e)
        if n < 0:
            if b == 0:
                raise Undefined("division by zero")
            if b.contains(0):
                return _nan()
            return 1 / (b ** (-n))
        if b.is_exact():
            return b**n
        lo, hi = b.lower(), b.upper()  # tighter than Arb's own power of a wide ball
        if n % 2 == 0 and lo < 0 < hi:
            return arb(0).union(max(-lo, hi) ** n)
        return (lo**n).union(hi**n)
    if e == sp.Rational(1, 2):
        return _sqrt(b, defined)
    if e == sp.Rational(-1, 2):
        s = _sqrt(b, defined)
        if s == 0:
            raise Undefined("division by zero")
        return 1 / s if not s.contains(0) else _nan()
    if e.is_Rational:
        if b < 0:
            raise Undefined("fractional power of a negative number")
        if defined:
            b = b.nonnegative_part()
        p, q = int(e.p), int(e.q)
        r = b.root(q) if q > 1 else b
        if p < 0:
            if r == 0:
                raise Undefined("division by zero")
            return 1 / (r ** (-p)) if not r.contains(0) else _nan()
        return r**p
    # symbolic exponent: an integer value is an ordinary power; otherwise
    # b^e = exp(e*log(b)) needs b > 0 (or b = 0 with e > 0)
    x = _ball(e, env, defined)
    whole = x.unique_fmpz()
    if whole is not None and not x.rad() > 0:
        k = int(whole)
        if k >= 0:
            return b**k
        if b == 0:
            raise Undefined("division by zero")
        return 1 / (b ** (-k)) if not b.contains(0) else _nan()
    if b == 0:
        if x > 0:
            return arb(0)
        raise Undefined("0 raised to a power <= 0")
    if b < 0:
        raise Undefined("a negative number raised to a non-integer power")
    if not _pos(b):
        return _nan()
    return (x * b.log()).exp()


def _phi(x: arb) -> arb:
    return (-x / arb(2).sqrt()).erfc() / 2


def _phi_inv(p: arb) -> arb:
    if p <= 0 or p >= 1:
        raise Undefined("Phi_inv of a number outside (0, 1)")
    return -arb(2).sqrt() * (2 * p).erfcinv()


def _unit(x: arb, name: str) -> arb:
    if x < -1 or x > 1:
        raise Undefined(f"{name} of a number outside [-1, 1]")
    return x


_UNARY: dict[type, Callable[[arb, bool], arb]] = {
    sp.exp: lambda x, d: x.exp(),
    sp.log: _log,
    sp.sin: lambda x, d: x.sin(),
    sp.cos: lambda x, d: x.cos(),
    sp.tan: lambda x, d: x.tan(),
    sp.atan: lambda x, d: x.atan(),
    sp.asin: lambda x, d: _unit(x, "asin").asin(),
    sp.acos: lambda x, d: _unit(x, "acos").acos(),
    sp.sinh: lambda x, d: x.sinh(),
    sp.cosh: lambda x, d: x.cosh(),
    sp.tanh: lambda x, d: x.tanh(),
    sp.erf: lambda x, d: x.erf(),
    sp.erfc: lambda x, d: x.erfc(),
    sp.Abs: lambda x, d: abs(x),
    sp.floor: lambda x, d: x.floor(),
    sp.ceiling: lambda x, d: x.ceil(),
    Phi: lambda x, d: _phi(x),
    PhiInv: lambda x, d: _phi_inv(x),
    Sigmoid: lambda x, d: 1 / (1 + (-x).exp()),
}


def ball(
    expr: sp.Expr, env: Mapping[str, arb], prec: int = 64, assume_defined: bool = False
) -> arb:
    """A ball containing ``expr`` for every value of the variables in their balls.

    Raises ``Undefined`` when the expression is certainly undefined; returns a NaN ball when
    Arb cannot bound it. With ``assume_defined`` the caller has proved the expression's
    definedness conditions separately, so square roots may clip their argument at zero.
    """
    old = ctx.prec
    ctx.prec = prec
    try:
        return _ball(expr, env, assume_defined)
    finally:
        ctx.prec = old


def _ball(e: Any, env: Mapping[str, arb], defined: bool) -> arb:
    if e.is_Symbol:
        if e.name not in env:
            raise NotImplementedError(f"no value for {e.name}")
        return env[e.name]
    if e.is_Rational:
        return to_arb(e)
    if e is sp.pi:
        return arb.pi()
    if e is sp.E:
        return arb.const_e()
    if e.is_Add:
        out = arb(0)
        for a in e.args:
            out += _ball(a, env, defined)
        return out
    if e.is_Mul:
        out = arb(1)
        for a in e.args:
            out *= _ball(a, env, defined)
        return out
    if e.is_Pow:
        return _pow(_ball(e.base, env, defined), e.exp, env, defined)
    if isinstance(e, sp.exp):  # before the table: exp is a Pow subclass in some versions
        return _ball(e.args[0], env, defined).exp()
    fn = _UNARY.get(type(e))
    if fn is not None and len(e.args) == 1:
        return fn(_ball(e.args[0], env, defined), defined)
    if isinstance(e, (sp.Max, sp.Min)):
        vals = [_ball(a, env, defined) for a in e.args]
        out = vals[0]
        for v in vals[1:]:
            out = out.max(v) if isinstance(e, sp.Max) else out.min(v)
        return out
    if isinstance(e, sp.factorial):
        n = _ball(e.args[0], env, defined)
        if n < 0:
            raise Undefined("factorial of a negative number")
        return (n + 1).gamma()
    if isinstance(e, sp.binomial):
        n = _ball(e.args[0], env, defined)
        k = e.args[1]
        kval = _ball(k, env, defined)
        kint = kval.unique_fmpz()
        if kint is not None and kint >= 0:
            return n.bin(int(kint))
        return (n + 1).gamma() / ((kval + 1).gamma() * (n - kval + 1).gamma())
    if isinstance(e, sp.Sum):
        return _sum(e, env, defined)
    if e is sp.nan or e is sp.zoo or e.is_infinite:
        raise Undefined("the expression is infinite or undefined")
    raise NotImplementedError(f"cannot evaluate {type(e).__name__} numerically")


def _sum(e: sp.Sum, env: Mapping[str, arb], defined: bool) -> arb:
    """The sum over every limit. SymPy merges ``sum(k, 1, 3, sum(j, 1, 2, ...))`` into one
    ``Sum`` with the innermost limit first; a limit's ends are evaluated where the variables of
    the limits outside it are bound, and an inner variable shadows an outer one of its name."""
    total = 0
    out = arb(0)
    try:
        for inner in _terms(list(e.limits), env, defined):
            total += 1
            if total > MAX_SUM_TERMS:
                return _nan()
            out += _ball(e.function, inner, defined)
    except _TooLong:
        return _nan()
    return out


class _TooLong(Exception):
    """A sum whose bounds are not exact integers, or with too many terms."""


def _terms(limits: list[Any], env: Mapping[str, arb], defined: bool) -> Iterator[dict[str, arb]]:
    """The environments of the terms: ``limits`` innermost first, as SymPy lists them."""
    if not limits:
        yield dict(env)
        return
    *inner, (k, a, b) = limits
    lo_i = _ball(a, env, defined).unique_fmpz()
    hi_i = _ball(b, env, defined).unique_fmpz()
    if lo_i is None or hi_i is None or int(hi_i) - int(lo_i) + 1 > MAX_SUM_TERMS:
        raise _TooLong
    scope = dict(env)
    for i in range(int(lo_i), int(hi_i) + 1):
        scope[k.name] = arb(i)
        yield from _terms(inner, scope, defined)


# ------------------------------------------------------------------------- decisions at points


def _decide(diff: arb, op: str) -> bool | None:
    """Is ``diff op 0`` certainly true (True), certainly false (False), or undecided (None)?"""
    if diff.is_nan():
        return None
    if op == "=":
        return False if not diff.contains(0) else (True if diff == 0 else None)
    if op == "!=":
        return True if not diff.contains(0) else (False if diff == 0 else None)
    if op == ">=":
        return True if diff >= 0 else (False if diff < 0 else None)
    if op == ">":
        return True if diff > 0 else (False if diff <= 0 else None)
    raise ValueError(op)


def _decide_exact(value: Fraction, op: str) -> bool:
    return {
        "=": value == 0,
        "!=": value != 0,
        ">=": value >= 0,
        ">": value > 0,
    }[op]


def holds_at(rel: Relation, point: Mapping[str, Fraction]) -> bool | None:
    """Whether the relation certainly holds (True) or fails (False) at an exact point.

    Raises ``Undefined`` when a side is certainly undefined there.
    """
    f, op = rel.difference()
    value = exact(f, point)
    if value is not None:
        return _decide_exact(value, op)
    env = {n: to_arb(v) for n, v in point.items()}
    d = arb.nan()
    for prec in PRECISIONS:
        try:
            d = ball(f, env, prec)
        except (ZeroDivisionError, ValueError):
            return None
        decided = _decide(d, op)
        if decided is not None:
            return decided
    if not d.is_nan() and d.contains(0) and exact_zero(f, point):
        return _decide_exact(Fraction(0), op)
    return None


# ------------------------------------------------------------------------------- exact ties

MAX_TIE_DIGITS = 12  # numerator and denominator of a point's values
MAX_TIE_NODES = 400
MAX_TIE_POWER = 64  # |p| and q of a rational exponent after substitution
_TIE_FUNCTIONS = (sp.exp, sp.log, sp.Abs, sp.Max, sp.Min, sp.sin, sp.cos, sp.tan, sp.atan,
                  sp.sinh, sp.cosh, sp.tanh, sp.erf, sp.erfc, Phi, PhiInv, Sigmoid)


def exact_zero(expr: sp.Expr, point: Mapping[str, Fraction]) -> bool:
    """Whether ``expr`` is exactly 0 at the point, by SymPy's own evaluation of the expression
    with the point's rationals put in (``x*exp(-x) - exp(-1)`` at x = 1, ``log(2) - log(2)``).

    A tie is where no ball can decide a strict claim (``x*exp(-x) < exp(-1)`` fails only at
    x = 1). Only a literal zero counts (SymPy's automatic evaluation, which never guesses:
    an unsimplified value is simply not ``0``); the caller has already seen an Arb ball of
    1,000 bits around the value contain 0. The tree is rebuilt bottom-up, node by node, so
    that no node is evaluated with a big number: small points, known functions and small
    rational exponents only (a power like ``2^(10^9)`` is never built); anything else is
    False (not known to be 0)."""
    if any(len(str(abs(v.numerator))) > MAX_TIE_DIGITS or len(str(v.denominator)) >
           MAX_TIE_DIGITS for v in point.values()):
        return False
    if sp.count_ops(expr, visual=False) > MAX_TIE_NODES:
        return False
    values = {n: sp.Rational(v.numerator, v.denominator) for n, v in point.items()}
    try:
        return _rebuilt(expr, values) is sp.S.Zero
    except (_NoTie, ZeroDivisionError, ValueError, TypeError, RecursionError):
        return False


class _NoTie(Exception):
    pass


def _rebuilt(e: sp.Expr, values: Mapping[str, sp.Rational]) -> sp.Expr:
    if e.is_Symbol:
        if e.name not in values:
            raise _NoTie(e.name)
        return values[e.name]
    if e.is_Rational or e is sp.pi or e is sp.E:
        return e
    args = [_rebuilt(a, values) for a in e.args]
    if e.is_Pow:
        expo = args[1]
        if not (expo.is_Rational and abs(int(expo.p)) <= MAX_TIE_POWER and
                int(expo.q) <= MAX_TIE_POWER):
            raise _NoTie("power")
        return sp.Pow(args[0], expo)
    if e.is_Add:
        return sp.Add(*args)
    if e.is_Mul:
        return sp.Mul(*args)
    if isinstance(e, _TIE_FUNCTIONS):
        out = e.func(*args)
        if out.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise _NoTie("undefined")
        return out
    raise _NoTie(type(e).__name__)


# ------------------------------------------------------------- the language's definedness rules


class PowerRules:
    """Where the powers with a variable exponent of an obligation are defined, by the
    language's rules (docs/language.md, "Where an expression is defined"): the base must be
    > 0, unless the exponent is an integer variable (from its domain, or a summation variable);
    then a base of 0 is excluded only when the exponent can be negative.

    The evaluator is more lenient (``(-y)^x`` is 1 at x = 0, an integer value), so a point it
    finds may still be one where a side is undefined: calling the rules on the point says
    True (defined), False (certainly undefined) or None (undecided)."""

    def __init__(self, ob: Obligation) -> None:
        self.ob = ob
        self.rules: list[tuple[Relation, tuple[tuple[str, sp.Expr, sp.Expr], ...]]] = []
        for rel in (ob.claim, *ob.hypotheses):
            for side in (rel.lhs, rel.rhs):
                if side.has(sp.Pow):
                    self._collect(side, ())

    def _collect(self, e: sp.Expr, scope: tuple[tuple[str, sp.Expr, sp.Expr], ...]) -> None:
        if isinstance(e, sp.Sum):
            for k, a, b in reversed(e.limits):  # the outermost first
                self._collect(a, scope)
                self._collect(b, scope)
                scope = (*scope, (k.name, a, b))
            self._collect(e.function, scope)
            return
        for arg in e.args:
            if isinstance(arg, sp.Expr):
                self._collect(arg, scope)
        if not e.is_Pow or e.exp.is_Number or e.base is sp.E or (
                not e.base.free_symbols and e.base.is_positive):
            return
        expo = substitute(e.exp, self._assumed(e.exp, scope))
        if expo.is_integer:
            if not expo.is_nonnegative:
                self.rules.append((Relation(e.base, "!=", sp.Integer(0)), scope))
        else:
            self.rules.append((Relation(e.base, ">", sp.Integer(0)), scope))

    def _assumed(self, e: sp.Expr, scope: tuple[tuple[str, sp.Expr, sp.Expr], ...]) -> dict[
            sp.Basic, sp.Basic]:
        """What is known of the exponent's variables, as SymPy assumptions (as elaboration
        decides which condition a power gets)."""
        bound = {name: lo for name, lo, _ in scope}  # an inner variable shadows an outer one
        out: dict[sp.Basic, sp.Basic] = {}
        for s in e.free_symbols:
            assert isinstance(s, sp.Symbol)
            if s.name in bound:
                lo = bound[s.name]
                kw = {"integer": True}
                if lo.is_Rational and lo >= 0:
                    kw["positive" if lo > 0 else "nonnegative"] = True
                out[s] = sp.Symbol(s.name, **kw)
            else:
                one = Obligation(Relation(s, "=", s), ((s.name, self.ob.domain(s.name)),))
                out[s] = one.assumed_symbols()[s]
        return out

    def __call__(self, point: Mapping[str, Fraction]) -> bool | None:
        for rel, scope in self.rules:
            try:
                for env in _exact_terms(list(scope), dict(point)):
                    if env is None:
                        return None
                    ok = holds_at(rel, env)
                    if ok is not True:
                        return ok
            except (Undefined, NotImplementedError, ZeroDivisionError, ValueError):
                return None
        return True


def _exact_terms(scope: list[tuple[str, sp.Expr, sp.Expr]],
                 env: dict[str, Fraction]) -> Iterator[dict[str, Fraction] | None]:
    """The points of the summation variables (``scope`` outermost first); None when an end
    is not an exact integer or there are too many."""
    if not scope:
        yield env
        return
    (name, a, b), *inner = scope
    lo, hi = exact(a, env), exact(b, env)
    if lo is None or hi is None or lo.denominator != 1 or hi.denominator != 1 or \
            hi - lo + 1 > MAX_SUM_TERMS:
        yield None
        return
    for i in range(int(lo), int(hi) + 1):
        yield from _exact_terms(inner, {**env, name: Fraction(i)})


def decimal_of(expr: sp.Expr, point: Mapping[str, Fraction], digits: int = 12) -> str:
    """``expr`` at the point as a decimal for display ("undefined" if it is)."""
    try:
        value = exact(expr, point)
    except Undefined:
        return "undefined"
    if value is not None:
        from checker.printing import decimal

        return decimal(value, digits)
    env = {n: to_arb(v) for n, v in point.items()}
    try:
        b = ball(expr, env, 200)
    except Undefined:
        return "undefined"
    except (ZeroDivisionError, ValueError, NotImplementedError):
        return "?"
    if b.is_nan():
        return "?"
    text = str(b.str(digits, radius=False))
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def verify_counterexample(ob: Obligation, point: Mapping[str, Fraction]) -> Counterexample | None:
    """The point as a checked counterexample to ``ob``, or None if it is not certainly one."""
    names = ob.names
    if any(n not in point for n in names):
        return None
    for n in names:
        if not ob.domain(n).contains(point[n]):
            return None
    try:
        for h in ob.hypotheses:
            if holds_at(h, point) is not True:
                return None
        if holds_at(ob.claim, point) is not False:
            return None
    except (Undefined, NotImplementedError):
        return None
    if PowerRules(ob)(point) is not True:  # a side undefined by the language's rules
        return None
    values = tuple((n, point[n]) for n in names)
    return Counterexample(
        values=values,
        lhs=decimal_of(ob.claim.lhs, point),
        rhs=decimal_of(ob.claim.rhs, point),
    )
