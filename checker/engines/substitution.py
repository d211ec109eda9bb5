"""Using a hypothesis monotonically: from ``v >= g`` and a claim nondecreasing in v, the claim
at ``v = g``.

Write the claim as ``D >= 0`` (or ``> 0``). When a hypothesis bounds a variable v of the claim
from below by an expression g free of v (``v >= g``, ``v > g``, or any hypothesis linear in v
with a numeric coefficient, such as ``2*v >= g``), and

1. ``D`` with g put for v holds (the substituted claim, under the hypotheses that do not
   mention v),
2. ``dD/dv >= 0`` at every real t >= g allowed by the other hypotheses (v's own lower bound and
   integrality dropped: the segment from g to v must be covered whatever g is), and
3. D and its derivative are defined there (``subproof.conditions``),

then for every allowed v, D(v) >= D(g) (mean value theorem on the segment [g, v]) and the
claim holds. A bound from above (``v <= g``) works the same way with a nonincreasing D.
Each of the three is a sub-obligation decided by the portfolio (``subproof.prove``): the
method proves nothing by itself, it only reduces, and its ``proved`` is cross-checked at
sample points of the original claim like any other.

Example: ``2*exp(-n*eps^2/2) <= delta`` given ``n >= 2*log(2/delta)/eps^2``: the claim is
nondecreasing in n (derivative ``eps^2*exp(-n*eps^2/2) >= 0``), and at the bound both sides
are delta.

When the substituted claim is false at a point satisfying its hypotheses, the method refutes:
v is put at g there (the simplest rational just past g on the hypothesis's side when g is
irrational there), and the point is re-checked exactly on the original obligation
(``verify_counterexample``: domains, every hypothesis, the claim). ``2*exp(-n*eps^2/2) <=
delta/2`` with the same hypothesis fails at delta = eps = 1/2, n = 12 (g = 11.09...).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import islice

import sympy as sp
from flint import arb

from checker.engines import subproof
from checker.numeric import (
    Undefined,
    ball,
    exact,
    holds_at,
    simplest_between,
    to_arb,
    verify_counterexample,
)
from checker.obligations import Counterexample, Domain, Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "substitution"
MAX_CANDIDATES = 4


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Reduce the claim by substituting a monotone variable's bound, or refute it where the
    bound holds with equality (never raises)."""
    if not subproof.available() or ob.claim.op in ("=", "!="):
        return subproof.not_applicable(ENGINE)
    candidates = bounds(ob)
    if not candidates:
        return subproof.not_applicable(ENGINE)
    share = budget_s / len(candidates)
    lost: list[str] = []
    for v, g, lower, index in candidates:
        verdict, why = _try(ob, v, g, lower, index, share)
        if verdict is not None:
            return verdict
        if why:
            lost.append(why)
    return Verdict(Status.UNKNOWN, ENGINE, "; ".join(lost))


def bounds(ob: Obligation) -> list[tuple[sp.Symbol, sp.Expr, bool, int]]:
    """(v, g, lower, i): hypothesis i says v >= g (lower) or v <= g, v in the claim, g free of v."""
    claim_vars = ob.claim.lhs.free_symbols | ob.claim.rhs.free_symbols
    out: list[tuple[sp.Symbol, sp.Expr, bool, int]] = []
    for i, h in enumerate(ob.hypotheses):
        if h.op in ("=", "!="):
            continue
        f, _ = h.difference()  # f >= 0 (or > 0)
        for v in sorted(f.free_symbols & claim_vars, key=lambda s: s.name):
            assert isinstance(v, sp.Symbol)
            indep, dep = f.as_independent(v, as_Add=True)
            coeff = _coefficient(dep, v)
            if not (coeff.is_Rational and coeff != 0) or v in indep.free_symbols:
                continue
            g = -indep / coeff
            out.append((v, g, bool(coeff > 0), i))
    return out[:MAX_CANDIDATES]


def _coefficient(dep: sp.Expr, v: sp.Symbol) -> sp.Expr:
    """``dep/v`` simplified, when it may be a number: simplify is costly (tens of ms), so it
    is skipped when ``dep/v`` certainly takes two different values (then no rewrite of it is
    a number) or is a rational number already."""
    if dep == 0:
        return sp.Integer(0)
    coeff = dep / v
    if coeff.is_Rational or _varies(coeff):
        return coeff
    return sp.simplify(coeff)


_PROBES = (Fraction(3, 7), Fraction(2, 9), Fraction(5, 3), Fraction(11, 4))


def _varies(e: sp.Expr) -> bool:
    """Whether e certainly takes two different values: Arb balls at a few points (the i-th
    variable at ``probe + i/13``), two of them defined and disjoint."""
    names = sorted(s.name for s in e.free_symbols)
    if not names:
        return False
    values: list[arb] = []
    for q in _PROBES:
        point = {n: to_arb(q + Fraction(i, 13)) for i, n in enumerate(names)}
        try:
            b = ball(e, point, 64)
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
        if not b.is_finite():
            continue
        if any(not b.overlaps(c) for c in values):
            return True
        values.append(b)
    return False


def _try(ob: Obligation, v: sp.Symbol, g: sp.Expr, lower: bool, index: int,
         budget_s: float) -> tuple[Verdict | None, str]:
    d, _ = ob.claim.difference()  # d >= 0 or d > 0
    name = v.name
    rest = [h for j, h in enumerate(ob.hypotheses) if j != index and v not in
            (h.lhs.free_symbols | h.rhs.free_symbols)]
    dom = ob.domain(name)
    mapping = {v: g}
    # 1. the claim at the bound (v's domain only tells where a v exists: g beyond its far end
    #    leaves no v at all, so that side of the domain may be assumed)
    at_bound = [*rest]
    if lower and dom.hi is not None:
        at_bound.append(Relation(g, "<" if dom.hi_open else "<=", sp.Rational(dom.hi)))
    if not lower and dom.lo is not None:
        at_bound.append(Relation(g, ">" if dom.lo_open else ">=", sp.Rational(dom.lo)))
    domains = tuple((n, dd) for n, dd in ob.domains if n != name)
    substituted = Obligation(ob.claim.subs(mapping), domains, tuple(dict.fromkeys(at_bound)))
    shown = f"{name} = {show(g)}"
    if not _holds_exactly(substituted.claim):
        cx, false_there = _refuted_at_bound(ob, substituted, v, g, lower)
        if cx is not None:  # false where the hypothesis holds with equality (or nearly)
            reason = (f"false where the hypothesis {ob.hypotheses[index]} holds at (or just "
                      f"past) its bound {shown}, confirmed exactly")
            return Verdict(Status.REFUTED, ENGINE, reason, counterexample=cx), ""
        if false_there:
            return None, (f"the claim at the bound {shown} was not proved (it fails at a "
                          "sample point)")
        if subproof.prove(substituted, 0.4 * budget_s).status is not Status.PROVED:
            return None, f"the claim at the bound {shown} was not proved"
    # 2. the derivative's sign on the segment between g and v, with v real
    seg = (Domain(None, dom.hi, False, dom.hi_open) if lower
           else Domain(dom.lo, None, dom.lo_open, False))
    seg_domains = tuple(sorted([*domains, (name, seg)]))
    seg_hyps = (*rest, Relation(v, ">=" if lower else "<=", g))
    deriv = sp.diff(d, v)
    sign = ">=" if lower else "<="
    monotone = Obligation(Relation(deriv, sign, sp.Integer(0)), seg_domains, seg_hyps)
    if not evaluable(deriv):
        return None, (f"the claim at {shown} holds, but its derivative in {name} has a function "
                      "the checker cannot evaluate, so no sign of it can be cross-checked")
    if subproof.prove(monotone, 0.35 * budget_s).status is not Status.PROVED:
        kind = "nondecreasing" if lower else "nonincreasing"
        return None, f"the claim at {shown} holds, but it was not shown {kind} in {name}"
    # 3. both defined on the segment
    conds = subproof.condition_obligations([d, deriv], monotone)
    if conds is None:
        return None, f"no definedness rule for the claim's functions in {name}"
    failed = subproof.prove_all(conds, 0.25 * budget_s)
    if failed is not None:
        return None, f"{failed.claim} was not shown between {name} and its bound"
    direction = "derivative >= 0" if lower else "derivative <= 0"
    kind = "nondecreasing" if lower else "nonincreasing"
    reason = (f"{kind} in {name} ({direction}, proved for every real {name} "
              f"{'>=' if lower else '<='} {show(g)}), substituted {shown} "
              f"(the hypothesis {ob.hypotheses[index]}) and proved the claim there")
    return Verdict(Status.PROVED, ENGINE, reason), ""



def evaluable(e: sp.Expr) -> bool:
    """False when e certainly cannot be evaluated at any point: Arb evaluation
    (``checker.numeric.ball``) meets a function it does not know (the derivative of a
    binomial in its lower index has ``polygamma``), outside any sum (whose empty ranges skip
    their terms). A claim about such an e is never cross-checked at a point, so it is never
    proved (``portfolio._cross_check``), and a sub-proof of it would only spend its work."""
    if e.has(sp.Sum, sp.Product):
        return True
    point = {s.name: to_arb(Fraction(1, 3)) for s in e.free_symbols}
    try:
        ball(e, point, 64)
    except NotImplementedError:
        return False
    except Exception:  # undefined there, or any other failure: no evidence
        return True
    return True


def _holds_exactly(claim: Relation) -> bool:
    """Whether the substituted claim is ``q op 0`` with q a rational number that satisfies it
    (``2*exp(-log(2/delta)) <= delta`` is ``delta <= delta``: SymPy's automatic evaluation
    leaves 0). Where its sides are defined: that is step 3's business, on a segment that
    includes the bound."""
    q, op = claim.difference()
    return bool(q.is_Rational and (q > 0 or (q == 0 and op == ">=")))


SIMPLE_POINTS = 12  # simple points of the substituted claim tried first (simple values)
MAX_TRIES = 4  # failing points turned into counterexamples of the claim, at most


def _refuted_at_bound(ob: Obligation, substituted: Obligation, v: sp.Symbol, g: sp.Expr,
                      lower: bool) -> tuple[Counterexample | None, bool]:
    """A counterexample to ``ob`` with v at (or just past) its bound g, and whether the
    substituted claim is certainly false at a point of its own hypotheses.

    The points tried: the simplest points of the substituted claim's domains
    (``sympy_engine.simple_points``: a counterexample is shown at simple values), then its
    sample points (``subproof.SAMPLES``: the very points ``subproof.prove`` tests first). At a
    point satisfying its hypotheses where it fails, v is put at g (``_at_bound``) and the
    whole point re-checked exactly on ``ob``."""
    from checker.engines.portfolio import sample_points
    from checker.engines.sympy_engine import simple_points

    try:
        points = [*islice(simple_points(substituted), SIMPLE_POINTS),
                  *sample_points(substituted, subproof.SAMPLES)]
    except Exception:  # a point that cannot be drawn is no evidence either way
        return None, False
    false_there = False
    tries = 0
    for pt in points:
        try:
            if holds_at(substituted.claim, pt) is not False or not all(
                    holds_at(h, pt) is True for h in substituted.hypotheses):
                continue
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
        false_there = True
        cx = _at_bound(ob, pt, v, g, lower)
        if cx is not None:
            return cx, True
        tries += 1
        if tries >= MAX_TRIES:
            break
    return None, false_there


_WINDOWS = (Fraction(1, 10), Fraction(1, 1000), Fraction(1, 10**6))  # relative widths


def _at_bound(ob: Obligation, point: dict[str, Fraction], v: sp.Symbol, g: sp.Expr,
              lower: bool) -> Counterexample | None:
    """A counterexample to ``ob`` at ``point`` with v put at its bound g there
    (``past_bound``), re-checked exactly on ``ob`` (domains, every hypothesis, the claim), or
    None."""
    for c in past_bound(g, point, lower, ob.domain(v.name).integer):
        cx = verify_counterexample(ob, {**point, v.name: c})
        if cx is not None:
            return cx
    return None


def past_bound(g: sp.Expr, point: dict[str, Fraction], lower: bool,
               integer: bool = False) -> list[Fraction]:
    """Values of v at which ``v >= g`` (lower) or ``v <= g`` holds at the point with equality
    or nearly: g itself when it is rational there, else the simplest rationals just past g on
    that side, in ever narrower windows (a tenth, a thousandth, a millionth of g's size); for
    an integer v, the first integer past g. Empty when g cannot be evaluated there."""
    try:
        value = exact(g, point)
        if value is not None:
            candidates = [value]
        else:
            b = ball(g, {n: to_arb(q) for n, q in point.items()}, 128)
            if not b.is_finite():
                return []
            end = _dyadic(b.upper() if lower else b.lower())
            scale = max(abs(end), Fraction(1))
            candidates = [simplest_between(end, end + w * scale) if lower
                          else simplest_between(end - w * scale, end) for w in _WINDOWS]
    except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
        return []
    if integer:
        candidates = [Fraction(math.ceil(c) if lower else math.floor(c)) for c in candidates]
    return list(dict.fromkeys(candidates))


def _dyadic(x: arb) -> Fraction:
    """An exact Arb number (a ball's end) as a fraction."""
    man, exp = x.mid().man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)
