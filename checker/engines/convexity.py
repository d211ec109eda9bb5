"""Convexity certificates: a claim concave in a bounded variable is smallest at an end.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "convexity"), and ``attempt`` for
the recursion of ``checker.engines.goals``.

Jensen's inequality with a free weight, ``w*F(x) + (1 - w)*F(y) >= F(w*x + (1 - w)*y)`` for
``w in [0, 1]``, is, as a function of w, ``D(w) = w*F(x) + (1 - w)*F(y) - F(w*x + (1 - w)*y)``
with ``D(0) = D(1) = 0`` and ``D''(w) = -(x - y)^2 * F''(w*x + (1 - w)*y)``: D is concave
exactly where F is convex. The method proves, for a variable w whose domain and hypotheses
give rational bounds [a, b] (every other hypothesis free of w):

* ``D(a) >= 0`` and ``D(b) >= 0`` (``> 0`` for a strict claim), D defined there;
* ``D'' <= 0`` for a < w < b, and D twice differentiable there (``goals.conditions``);

so D, concave on [a, b], is at least ``min(D(a), D(b)) >= 0`` on it. Each of these is a
sub-goal for ``goals.Prover``: the second derivative's sign typically comes from its factors
(``-4*(x - y)^2*exp(2*w*x - 2*w*y + 2*y) <= 0``), a positive denominator
(``-(x - y)^2/(w*x - w*y + y)`` with ``w*x + (1 - w)*y > 0`` from Z3), or recursively.
All three are first tested at a few simple points (``goals.false_somewhere``) before any
is proved: most claims tried here are not concave in the variable.

The same certificate proves any claim concave in a bounded variable (the weight need not
enter linearly). It cannot prove Jensen with the weights fixed (``(F(x) + F(y))/2 >=
F((x + y)/2)``: no free variable is bounded), nor a claim that is concave only piecewise.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from checker.engines import goals
from checker.obligations import Obligation, Relation, Status, Verdict, sym
from checker.printing import show

ENGINE = "convexity"
MAX_DERIVATIVE_OPS = 160
ZERO = sp.Integer(0)


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """PROVED by concavity in a bounded variable, as the module docstring says."""
    f, op = ob.claim.difference()
    if op not in (">=", ">") or not goals.smooth(f) or not _bounded(ob, f):
        return Verdict(Status.UNKNOWN, ENGINE, "")
    return goals.run(ob, budget_s, ENGINE, attempt)


def _bounded(ob: Obligation, f: sp.Expr) -> list[tuple[str, Fraction, Fraction]]:
    box = goals.sides(ob)
    out = []
    for s in sorted(f.free_symbols, key=lambda s: s.name):
        lo, hi = box.get(s.name, (None, None))
        if lo is not None and hi is not None and lo < hi and not ob.domain(s.name).integer:
            out.append((s.name, lo, hi))
    return out


def attempt(ob: Obligation, prover: goals.Prover, depth: int) -> str | None:
    f, op = ob.claim.difference()
    if op not in (">=", ">") or not goals.smooth(f):
        return None
    for name, lo, hi in _bounded(ob, f):
        reason = _concave(ob, f, op, name, lo, hi, prover, depth)
        if reason is not None:
            return reason
    return None


def _concave(ob: Obligation, f: sp.Expr, op: str, name: str, lo: Fraction, hi: Fraction,
             prover: goals.Prover, depth: int) -> str | None:
    bounds = goals.variable_bounds(ob, name)
    if bounds is None:
        return None
    lows, highs, rest = bounds
    if not all(e.is_Rational for e, _ in (*lows, *highs)):
        return None  # a bound in other variables: [lo, hi] would not be the whole story
    w = sym(name)
    d2 = prover.derivative(f, w, 2)
    if d2 == 0 or goals.size(d2) > MAX_DERIVATIVE_OPS:
        return None  # linear in w: the other methods see it better
    base = Obligation(ob.claim, tuple((n, d) for n, d in ob.domains if n != name), tuple(rest))
    a, b = sp.Rational(lo.numerator, lo.denominator), sp.Rational(hi.numerator, hi.denominator)
    inside = (Relation(w, ">", a), Relation(w, "<", b))
    end_goals = [goals.with_claim(base, Relation(f.subs(w, c), op, ZERO)) for c in (a, b)]
    curvature = goals.with_claim(base, Relation(-d2, ">=", ZERO), inside)
    # a few numbers first: a claim that is not concave in w (most claims tried here) fails
    # its curvature goal at a simple point, before the end values cost any proof
    if any(goals.false_somewhere(goal) for goal in (curvature, *end_goals)):
        return None
    ends: list[str] = []
    for goal in end_goals:  # often mere numbers (or undefined: w = 1 in log(1 - w))
        reason = prover.prove(goal, depth + 1, everywhere=True)
        if reason is None:
            return None
        ends.append(reason)
    conds = goals.conditions(f, strict=True)
    if conds is None:
        return None
    curv = prover.prove(curvature, depth + 1, everywhere=True)
    if curv is None:
        return None
    for cond in conds:
        if prover.prove(goals.with_claim(base, cond, inside), depth + 1) is None:
            return None
    return (f"concave in {name} on [{a}, {b}], so at least its smaller end value: values at "
            f"{name} = {a} ({ends[0]}) and {name} = {b} ({ends[1]}) {op} 0; second derivative "
            f"{show(d2)} <= 0 ({curv})")
