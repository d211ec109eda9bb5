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
"""

from __future__ import annotations

import sympy as sp

from checker.engines import subproof
from checker.obligations import Domain, Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "substitution"
MAX_CANDIDATES = 4


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Reduce the claim by substituting a monotone variable's bound (never raises)."""
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
            coeff = sp.simplify(dep / v) if dep != 0 else sp.Integer(0)
            if not (coeff.is_Rational and coeff != 0) or v in indep.free_symbols:
                continue
            g = -indep / coeff
            out.append((v, g, bool(coeff > 0), i))
    return out[:MAX_CANDIDATES]


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

