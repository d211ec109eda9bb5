"""Derivative-sign (monotonicity) arguments, on bounded and unbounded intervals.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "monotone"), and ``attempt`` for
the recursion of ``checker.engines.goals``.

To prove ``g >= 0`` (``> 0``) where a variable x ranges over an interval (its domain and the
hypotheses ``x >= e``, ``x < e``; every other hypothesis free of x), pick an anchor:

* an end point c (a number or an expression in the other variables): ``g(c) >= 0`` and
  ``g' >= 0`` between c and the other end (``g' <= 0`` when c is the upper end);
* an infinite end: the limit of g there (``checker.engines.sign.limit``: composed from the
  limits of its parts, no indeterminate form) ``>= 0``, and g monotone towards it;
* a split point c inside (0, 1, -1 or, on the whole line, another variable):
  ``g(c) >= 0``, ``g' >= 0`` after c and ``g' <= 0`` before it.

By the mean value theorem this proves the claim, provided g is defined at c and
differentiable between: those conditions (``goals.conditions``) are proved too, and ``g(c)``
and ``g'`` are asked *everywhere* on their sets, not only where defined. Each sign of a
derivative is a sub-goal like any other, so the argument recurses (``exp(x) >= 1 + x + x^2/2
+ x^3/6`` for ``x >= 0`` goes down four derivatives to ``exp(x) > 0``). A positive
denominator is cleared first (``together``: ``g = N/D`` with ``D > 0`` proved; N is used).

A change of variable ``t = u(x)`` for a subexpression u of a one-variable claim is tried
too, when SymPy solves ``u(x) = t`` for x with one solution s(t) and ``s(u(x))`` simplifies
to x: the claim in t is then proved over an enclosure of u's range (``Phi(sqrt(2*log(1/(1 -
p)))) >= p`` on [1/2, 1) becomes ``Phi(t) >= 1 - exp(-t^2/2)`` on ``t >= 1.17...``, decreasing
to its limit 0).

It cannot prove a claim whose derivative changes sign more often than the anchors split
it, a claim with kinks (``checker.engines.cases`` splits them first), or one whose end value
is an indeterminate limit (``x*exp(-x)`` at +inf).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

from checker.engines import goals, sign
from checker.functions import Phi, PhiInv
from checker.numeric import simplest_between
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym
from checker.printing import show

ENGINE = "monotone"
MAX_VARIABLES = 3
MAX_CHANGES = 4
DIRECT_SHARE = 0.7  # of the work left, for a one-variable claim before a change of variable
CHANGE = "change of variable"  # marks the sub-goal a change of variable made
CHANGE_COST = 8  # work units of one attempted change of variable (solve and simplify)
MAX_DERIVATIVE_OPS = 120
MAX_ORDER = 5  # derivatives taken in a chain of monotonicity arguments
ZERO = sp.Integer(0)


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """PROVED by the sign of a derivative from an anchor, as the module docstring says."""
    f, op = ob.claim.difference()
    if op not in (">=", ">") or not f.free_symbols or not goals.smooth(f):
        return Verdict(Status.UNKNOWN, ENGINE, "")
    return goals.run(ob, budget_s, ENGINE, attempt)


def attempt(ob: Obligation, prover: goals.Prover, depth: int) -> str | None:
    f, op = ob.claim.difference()
    if op not in (">=", ">") or not goals.smooth(f):
        return None
    names = sorted(s.name for s in f.free_symbols)
    if ob.names == names[:1] and prover.made_by.get(ob.key()) != CHANGE:
        # one variable (its hypotheses may be left out: see _changed); never twice in a row
        def direct() -> str | None:
            return _in_variable(ob, f, op == ">", names[0], prover, depth)

        def changed() -> str | None:
            return _changed(ob, f, op, names[0], prover, depth)

        # derivatives of Phi_inv grow fast: a change of variable first
        first, second = (changed, direct) if f.has(PhiInv) else (direct, changed)
        reason = prover.capped(DIRECT_SHARE, first)
        return reason if reason is not None else second()
    for name in names[:MAX_VARIABLES]:
        reason = _in_variable(ob, f, op == ">", name, prover, depth)
        if reason is not None:
            return reason
    return None


def _in_variable(ob: Obligation, f: sp.Expr, strict: bool, name: str,
                 prover: goals.Prover, depth: int) -> str | None:
    bounds = goals.variable_bounds(ob, name)
    if bounds is None:
        return None
    lows, highs, rest = bounds
    order = prover.order.get(ob.key(), 0)
    if len(lows) > 2 or len(highs) > 2 or order >= MAX_ORDER:
        return None
    x = sym(name)
    base = Obligation(ob.claim, tuple((n, d) for n, d in ob.domains if n != name),
                      tuple(rest))
    region = [Relation(x, ">" if o else ">=", e) for e, o in lows] + [
        Relation(x, "<" if o else "<=", e) for e, o in highs]
    forms: list[tuple[sp.Expr, str]] = []
    cleared = _cleared(f, base, region, prover, depth)
    if cleared is not None:
        forms.append(cleared)
    forms.append((f, ""))
    for g, note in forms:
        if goals.size(g) > MAX_DERIVATIVE_OPS:
            continue
        dg = prover.derivative(g, x)
        if goals.size(dg) > MAX_DERIVATIVE_OPS:
            continue
        arg = _Argument(base, x, g, dg, strict, lows, highs, prover, depth, order + 1)
        reason = arg.run()
        if reason is not None:
            return note + reason
    return _pieces(ob, base, x, lows, highs, prover, depth)


def _pieces(ob: Obligation, base: Obligation, x: sp.Symbol, lows: list[tuple[sp.Expr, bool]],
            highs: list[tuple[sp.Expr, bool]], prover: goals.Prover, depth: int) -> str | None:
    """The claim on both sides of a point c inside x's interval (0, 1 or -1), each side a
    sub-goal of its own (``1 - Phi(x) <= exp(-x^2/2)/2`` for x >= 0: a bounded piece [0, 1]
    for the interval engine, and [1, +inf) decreasing to the limit 0)."""
    if any(not e.is_Rational for e, _ in (*lows, *highs)):
        return None
    lo = max((Fraction(int(e.p), int(e.q)) for e, _ in lows), default=None)
    hi = min((Fraction(int(e.p), int(e.q)) for e, _ in highs), default=None)
    region = [Relation(x, ">" if o else ">=", e) for e, o in lows] + [
        Relation(x, "<" if o else "<=", e) for e, o in highs]
    for q in (Fraction(1), Fraction(0), Fraction(-1)):
        if (lo is not None and q <= lo) or (hi is not None and q >= hi):
            continue
        c = sp.Rational(q.numerator, q.denominator)
        parts = [goals.with_claim(base, ob.claim, (*region, Relation(x, "<=", c))),
                 goals.with_claim(base, ob.claim, (*region, Relation(x, ">=", c)))]
        if any(goals.false_somewhere(part) for part in parts):
            return None
        reasons: list[str] = []
        for part in parts:
            r = prover.prove(part, depth + 1)
            if r is None:
                break
            reasons.append(r)
        else:
            return (f"split at {x} = {c}: for {x} <= {c}, {reasons[0]}; for {x} >= {c}, "
                    f"{reasons[1]}")
    return None


def _cleared(f: sp.Expr, base: Obligation, region: list[Relation], prover: goals.Prover,
             depth: int) -> tuple[sp.Expr, str] | None:
    """``N`` (or ``-N``) when ``f = N/D`` with D of one certain sign on the region."""
    try:
        n, d = sp.fraction(sp.together(f))
    except (sp.PolynomialError, ValueError, TypeError):
        return None
    if d == 1 or not d.free_symbols or goals.size(n) > MAX_DERIVATIVE_OPS:
        return None
    if all(a.is_number or isinstance(a, sp.exp) or (a.is_Pow and a.base is sp.E)
           for a in sp.Mul.make_args(d)):
        return None  # an exponential denominator: clearing it only makes g' longer
    for sgn, shown in ((1, ""), (-1, "-")):
        goal = goals.with_claim(base, Relation(sgn * d, ">", ZERO), tuple(region))
        if prover.prove(goal, depth + 1) is not None:
            return sgn * n, f"the denominator {shown}{show(d)} > 0, so for the numerator: "
    return None


class _Argument:
    """The anchors for one variable and one form g of the claim."""

    def __init__(self, base: Obligation, x: sp.Symbol, g: sp.Expr, dg: sp.Expr, strict: bool,
                 lows: list[tuple[sp.Expr, bool]], highs: list[tuple[sp.Expr, bool]],
                 prover: goals.Prover, depth: int, order: int) -> None:
        self.base, self.x, self.g, self.dg, self.strict = base, x, g, dg, strict
        self.order = order
        self.lows, self.highs = lows, highs
        self.prover, self.depth = prover, depth
        self.alone = g.free_symbols == {x} and not base.hypotheses

    def run(self) -> str | None:
        for c, is_open in self.lows:
            r = self._end(c, is_open, lower=True)
            if r is not None:
                return r
        for c, is_open in self.highs:
            r = self._end(c, is_open, lower=False)
            if r is not None:
                return r
        if self.alone and not self.highs:
            r = self._infinite(+1)
            if r is not None:
                return r
        if self.alone and not self.lows:
            r = self._infinite(-1)
            if r is not None:
                return r
        for c in self._splits():
            r = self._split(c)
            if r is not None:
                return r
        return None

    # -- sub-goals

    def _value_goal(self, c: sp.Expr, strict: bool, region: list[Relation]) -> Obligation:
        """g(c) >= 0 (> 0) where the region is not empty (asked everywhere: g defined at c)."""
        value = self.g.subs(self.x, c)
        return goals.with_claim(self.base, Relation(value, ">" if strict else ">=", ZERO),
                                tuple(region))

    def _slope_goal(self, increasing: bool, strict: bool, region: list[Relation]) -> Obligation:
        """g' >= 0 (<= 0 when not increasing) on the open region (asked everywhere)."""
        d = self.dg if increasing else -self.dg
        goal = goals.with_claim(self.base, Relation(d, ">" if strict else ">=", ZERO),
                                tuple(region))
        self.prover.order.setdefault(goal.key(), self.order)
        return goal

    def _proved(self, value: Obligation | None, slopes: list[tuple[Obligation, list[Relation]]]
                ) -> list[str] | None:
        """Prove the value and slope goals (g differentiable on each slope's region too);
        the reasons, or None. Each goal is first tested at a few points, before any proof."""
        todo = ([value] if value is not None else []) + [goal for goal, _ in slopes]
        if any(goals.false_somewhere(goal) for goal in todo):
            return None
        conds = goals.conditions(self.g, strict=True)
        if conds is None:
            return None
        reasons: list[str] = []
        for goal in todo:
            r = self.prover.prove(goal, self.depth + 1, everywhere=True)
            if r is None:
                return None
            reasons.append(r)
        for _, region in slopes:
            for cond in conds:
                if self.prover.prove(goals.with_claim(self.base, cond, tuple(region)),
                                     self.depth + 1) is None:
                    return None
        return reasons

    def _end(self, c: sp.Expr, is_open: bool, lower: bool) -> str | None:
        x = self.x
        # the other variables' values for which the region in x is not empty
        others = self.highs if lower else self.lows
        feasible = [Relation(c, "<" if (is_open or o) else "<=", e) if lower else
                    Relation(c, ">" if (is_open or o) else ">=", e) for e, o in others]
        # the open region between c and the far ends (the near ends other than c dropped)
        region = [Relation(x, ">" if lower else "<", c)] + [
            Relation(x, ("<" if lower else ">"), e) for e, _ in others]
        options = [(self.strict and not is_open, False)]
        if self.strict:
            options = [(True, False)] + ([(False, True)] if is_open else [])
        for value_strict, slope_strict in options:
            found = self._proved(self._value_goal(c, value_strict, feasible),
                                 [(self._slope_goal(lower, slope_strict, region), region)])
            if found is None:
                continue
            v, s = found
            where = "lower" if lower else "upper"
            direction = "increasing" if lower else "decreasing"
            return (f"{direction} in {x} from its {where} end {show(c)}: value there "
                    f"{'>' if value_strict else '>='} 0 ({v}); derivative "
                    f"{show(self.dg)} {'>=' if lower else '<='} 0 ({s})")
        return None

    def _infinite(self, direction: int) -> str | None:
        lim = sign.limit(self.g, self.x, direction)
        if not sign.limit_sign(lim, self.strict):
            return None
        x = self.x
        region = [Relation(x, ">" if direction > 0 else "<", e) for e, _ in
                  (self.lows if direction > 0 else self.highs)]
        found = self._proved(None, [(self._slope_goal(direction < 0, False, region), region)])
        if found is None:
            return None
        end = "+inf" if direction > 0 else "-inf"
        return (f"{'decreasing' if direction > 0 else 'increasing'} in {x} towards {end}, "
                f"where its limit is >= 0: derivative {show(self.dg)} "
                f"{'<=' if direction > 0 else '>='} 0 ({found[0]})")

    def _splits(self) -> list[sp.Expr]:
        lo = self._numeric(self.lows, lower=True)
        hi = self._numeric(self.highs, lower=False)
        if lo is False or hi is False:
            return []
        # another variable as the split point (Gibbs' inequality is smallest at p = q); the
        # argument holds for any point, inside the region or not
        out: list[sp.Expr] = sorted((s for s in self.g.free_symbols if s != self.x),
                                    key=lambda s: s.name)[:2]
        for q in (Fraction(0), Fraction(1), Fraction(-1)):
            if (lo is None or q > lo) and (hi is None or q < hi):
                out.append(sp.Rational(q.numerator, q.denominator))
        return out

    @staticmethod
    def _numeric(bounds: list[tuple[sp.Expr, bool]], lower: bool) -> Fraction | bool | None:
        if not bounds:
            return None
        if len(bounds) > 1 or not bounds[0][0].is_Rational:
            return False
        c = bounds[0][0]
        return Fraction(int(c.p), int(c.q))

    def _split(self, c: sp.Expr) -> str | None:
        x = self.x
        above = [Relation(x, ">", c)] + [Relation(x, "<", e) for e, _ in self.highs]
        below = [Relation(x, "<", c)] + [Relation(x, ">", e) for e, _ in self.lows]
        found = self._proved(self._value_goal(c, self.strict, []),
                             [(self._slope_goal(True, False, above), above),
                              (self._slope_goal(False, False, below), below)])
        if found is None:
            return None
        v, up, down = found
        return (f"smallest at {x} = {show(c)}: value there >= 0 ({v}); derivative "
                f"{show(self.dg)} >= 0 above ({up}) and <= 0 below ({down})")


# ------------------------------------------------------------------------ change of variable


def _changed(ob: Obligation, f: sp.Expr, op: str, name: str, prover: goals.Prover,
             depth: int) -> str | None:
    """The claim in t = u(x) over an enclosure of u's range on x's domain (the hypotheses,
    all about x, are left out: a claim proved without them is proved with them)."""
    x = sym(name)
    d = ob.domain(name)
    if d.integer:
        return None
    assumed = ob.assumed_symbols()
    candidates = sorted({u for u in sp.preorder_traversal(f)
                         if isinstance(u, sp.Expr) and u != x and u.free_symbols == {x}
                         and u != f and not u.is_Number},
                        key=lambda u: (-goals.size(u), sp.srepr(u)))
    t = sp.Dummy("t", real=True)
    tname = _fresh(ob)
    new = sym(tname)
    changes: list[tuple[Obligation, str]] = []
    for u in candidates[:MAX_CHANGES]:
        prover.meter.spend(CHANGE_COST)
        s = invert(u, x, t)
        if s is None or s.free_symbols - {t}:
            continue
        back = s.subs(t, u)
        if goals.size(back) > goals.MAX_OPS or sp.simplify(
                (back - x).xreplace(assumed)) != 0:
            continue
        rng = sign.enclose(u, {name: (d.lo, d.hi)})
        if rng is None:
            continue
        g = f.xreplace({u: t}).subs(x, s)
        if x in g.free_symbols:
            continue
        g = g.xreplace({t: new})
        dom = Domain(_down(rng[0]), _up(rng[1]))
        sub = Obligation(Relation(g, op, ZERO), ((tname, dom),), ())
        shown = (f"with {tname} = {show(u)} ({name} = {show(s.xreplace({t: new}))}, "
                 f"{tname} {dom}): {show(g)} {op} 0")
        changes.append((sub, shown))
    # the simplest claim in the new variable first; each may use half the work left, the
    # last one all of it
    changes.sort(key=lambda c: (goals.size(c[0].claim.lhs), c[1]))
    for i, (sub, shown) in enumerate(changes):
        prover.made_by.setdefault(sub.key(), CHANGE)

        def in_t(sub: Obligation = sub) -> str | None:
            return prover.prove(sub, depth + 1)

        reason = prover.capped(1.0 if i == len(changes) - 1 else 0.5, in_t)
        if reason is not None:
            return f"{shown} ({reason})"
    return None


_INVERSES: dict[Any, Callable[[sp.Expr], sp.Expr]] = {
    sp.exp: sp.log, sp.log: sp.exp, Phi: PhiInv, PhiInv: Phi, sp.atan: sp.tan,
}
MAX_INVERT_DEPTH = 12


def invert(u: sp.Expr, x: sp.Symbol, t: sp.Expr, depth: int = 0) -> sp.Expr | None:
    """s(t) with u(s(t)) = t, by undoing u's outermost operation one at a time (a constant
    added or multiplied, a power, exp, log, Phi, Phi_inv, atan), when x occurs in one
    argument only; None otherwise. Only a candidate: the caller checks ``s(u(x)) = x``."""
    if u == x:
        return t
    if depth > MAX_INVERT_DEPTH or x not in u.free_symbols:
        return None
    if u.is_Add or u.is_Mul:
        inner = [a for a in u.args if x in a.free_symbols]
        if len(inner) != 1:
            return None
        rest = (u - inner[0]) if u.is_Add else (u / inner[0])
        if rest.free_symbols or (u.is_Mul and rest == 0):
            return None
        return invert(inner[0], x, t - rest if u.is_Add else t / rest, depth + 1)
    if u.is_Pow:
        base, ex = u.args
        if base is sp.E:
            return invert(ex, x, sp.log(t), depth + 1)
        if ex.is_Rational and ex != 0 and x not in ex.free_symbols:
            return invert(base, x, t ** (1 / ex), depth + 1)
        return None
    for kind, inv in _INVERSES.items():
        if isinstance(u, kind):
            return invert(u.args[0], x, inv(t), depth + 1)
    return None


def _fresh(ob: Obligation) -> str:
    for n in ("t", "s", "u", "v", "t1", "t2"):
        if n not in ob.names:
            return n
    return "t_new"


def _frac(x: sign.End) -> Fraction | None:
    if isinstance(x, float):
        return None
    man, exp = x.mid().man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def _down(x: sign.End) -> Fraction | None:
    q = _frac(x)
    return None if q is None else simplest_between(q - abs(q) / 1000 - Fraction(1, 10**6), q)


def _up(x: sign.End) -> Fraction | None:
    q = _frac(x)
    return None if q is None else simplest_between(q, q + abs(q) / 1000 + Fraction(1, 10**6))
