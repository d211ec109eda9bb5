"""Claims about an integer parameter n >= n0: induction, or a real-exponent argument.

Three ways, tried in this order; each reduces the claim to sub-obligations that the portfolio
decides (``subproof.prove``), and the claim is proved only when all of them are:

* **Real exponent.** Prove the claim for every *real* n >= n0 (a stronger claim). A power
  whose exponent has n in it is defined for real n only where its base is positive, so each
  such base b is first shown >= 0; the points where b = 0 are a case of their own, where the
  power is 0 (its exponent shown >= 1), and the real claim is proved where b > 0. If the real
  claim fails near n0 (``2^n >= n + 1`` is false for n in (0, 1)), the first integer is
  checked on its own and the real claim is proved from n0 + 1 on. ``binomial(n, 2)`` with a
  number for its second argument becomes its polynomial; a factorial of n is not relaxed.
* **Induction, additive step.** The claim at n0, and the step: the claim at n + 1 from the
  claim at n. At n + 1, ``b^(n + 1)`` is written ``b*b^n`` and ``factorial(n + 1)`` is
  ``(n + 1)*factorial(n)``; then ``b^n`` and ``factorial(n)`` become fresh variables (with
  what is known of them: ``2^n > 0``, ``factorial(n) >= 1``), so the step is a claim a solver
  can decide (``2*A >= n + 2`` given ``A >= n + 1``).
* **Induction, ratio step.** For ``L >= R`` with both sides positive: the claim at n0, and
  ``L(n + 1)/L(n) >= R(n + 1)/R(n)`` for every n >= n0 (then ``L(n + 1) = L(n)*(L(n + 1)/L(n))
  >= R(n)*(R(n + 1)/R(n)) = R(n + 1)``). For ``factorial(n) >= (n/e)^n`` the step is
  ``n + 1 >= (n + 1)^(n + 1)/(e*n^n)``, that is ``(1 + 1/n)^n <= e``.

The hypotheses that mention n are dropped from a step (a stronger claim), except in the
real-exponent argument, where n ranges over the same set as before (but real).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from checker.engines import subproof
from checker.obligations import Domain, Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "induction"
MAX_OPS = 120


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove a claim about an integer parameter by relaxation or by induction."""
    if not subproof.available() or ob.claim.op in ("=", "!=") or ob.claim.lhs.has(sp.Sum) or \
            ob.claim.rhs.has(sp.Sum):
        return subproof.not_applicable(ENGINE)
    if sp.count_ops(ob.claim.lhs) + sp.count_ops(ob.claim.rhs) > MAX_OPS:
        return subproof.not_applicable(ENGINE)
    found = _parameter(ob)
    if found is None:
        return subproof.not_applicable(ENGINE)
    n, n0 = found
    lost: list[str] = []
    for attempt, share in ((_relaxed, 0.4), (_additive, 0.3), (_ratio, 0.3)):
        verdict, why = attempt(ob, n, n0, share * budget_s)
        if verdict is not None:
            return verdict
        if why:
            lost.append(why)
    return Verdict(Status.UNKNOWN, ENGINE, "; ".join(lost))


def _parameter(ob: Obligation) -> tuple[sp.Symbol, int] | None:
    names = ob.claim.lhs.free_symbols | ob.claim.rhs.free_symbols
    for v in sorted(names, key=lambda s: s.name):
        assert isinstance(v, sp.Symbol)
        d = ob.domain(v.name)
        if d.integer and d.lo is not None:
            n0 = math.ceil(d.lo) + (1 if d.lo_open and d.lo.denominator == 1 else 0)
            if d.contains(Fraction(n0)):
                return v, n0
    return None


def _mentions(rel: Relation, n: sp.Symbol) -> bool:
    return n in rel.lhs.free_symbols | rel.rhs.free_symbols


def _at(ob: Obligation, n: sp.Symbol, value: int) -> Obligation:
    """The claim at n = value, under the hypotheses (those on n taken at that value)."""
    mapping = {n: sp.Integer(value)}
    return Obligation(ob.claim.subs(mapping), tuple((m, d) for m, d in ob.domains
                                                   if m != n.name),
                      tuple(h.subs(mapping) for h in ob.hypotheses))


# ------------------------------------------------------------------------------ real exponent


def _polynomial_binomials(e: sp.Expr, n: sp.Symbol) -> sp.Expr | None:
    """binomial(n + c, k) with a number k as its polynomial; None if a factorial or a
    binomial of n stays (no real-variable meaning)."""
    rewritten = e.replace(lambda x: isinstance(x, sp.binomial) and x.args[1].is_Integer,
                          lambda x: sp.expand_func(x))
    for f in rewritten.atoms(sp.factorial, sp.binomial, sp.floor, sp.ceiling):
        if n in f.free_symbols:
            return None
    return rewritten


def _relaxed(ob: Obligation, n: sp.Symbol, n0: int,
             budget_s: float) -> tuple[Verdict | None, str]:
    lhs = _polynomial_binomials(ob.claim.lhs, n)
    rhs = _polynomial_binomials(ob.claim.rhs, n)
    if lhs is None or rhs is None:
        return None, ""
    claim = Relation(lhs, ob.claim.op, rhs)
    d = ob.domain(n.name)
    powers = sorted({p for side in (lhs, rhs) for p in side.atoms(sp.Pow)
                     if n in p.exp.free_symbols and not subproof.positive(p.base, set())},
                    key=sp.default_sort_key)
    if len(powers) > 2:
        return None, ""
    zero_cases: list[Obligation] = []
    positive_bases: list[Relation] = []
    for p in powers:
        positive = Relation(p.base, ">", sp.Integer(0))
        if subproof.proved(Obligation(positive, ob.domains, ob.hypotheses), 0.1 * budget_s):
            positive_bases.append(positive)
            continue
        # one such power may have a base that is 0 somewhere (a case of its own); with more,
        # every base must be positive (the zero case of one would leave the other undefined)
        nonneg = Obligation(Relation(p.base, ">=", sp.Integer(0)), ob.domains, ob.hypotheses)
        if len(powers) > 1 or not subproof.proved(nonneg, 0.1 * budget_s):
            return None, f"the base {show(p.base)} of a power with {n} in its exponent was " \
                         "not shown positive"
        at_zero = Obligation(claim.subs({p: sp.Integer(0)}), ob.domains,
                             (*ob.hypotheses, Relation(p.base, "=", sp.Integer(0))))
        zero_cases += [Obligation(Relation(p.exp, ">=", sp.Integer(1)), ob.domains,
                                  (*ob.hypotheses, Relation(p.base, "=", sp.Integer(0)))),
                       at_zero]
        positive_bases.append(Relation(p.base, ">", sp.Integer(0)))
    for start in (n0, n0 + 1):
        if start > n0 and (d.hi is not None and start > d.hi):
            break
        points = [_at(ob, n, m) for m in range(n0, start)]
        real = Domain(Fraction(start), d.hi, False, d.hi_open)
        domains = tuple((m, real if m == n.name else dd) for m, dd in ob.domains)
        relaxed = Obligation(claim, domains, (*ob.hypotheses, *positive_bases))
        zeros = [Obligation(z.claim, domains, z.hypotheses) for z in zero_cases]
        failed = subproof.prove_all([*points, relaxed, *zeros], budget_s / 2)
        if failed is None:
            first = f"checked {n} = {n0} on its own, then " if start > n0 else ""
            split = (f" (where {', '.join(show(p.base) for p in powers)} is 0 the power is 0, "
                     "a case of its own)") if powers else ""
            return Verdict(Status.PROVED, ENGINE,
                           f"{first}proved the claim for every real {n} >= {start}{split}, so "
                           f"for every integer {n} >= {n0}"), ""
    return None, f"the claim was not proved for real {n} >= {n0}"


# ------------------------------------------------------------------------------ induction


def _step_form(e: sp.Expr, n: sp.Symbol) -> sp.Expr:
    """e at n + 1, with b^(n + 1) as b*b^n and factorial(n + 1) as (n + 1)*factorial(n)."""
    shifted = e.subs(n, n + 1)
    shifted = shifted.replace(
        lambda x: isinstance(x, sp.factorial) and sp.expand(x.args[0] - n) == 1,
        lambda x: (n + 1) * sp.factorial(n))
    shifted = shifted.replace(lambda x: isinstance(x, sp.binomial) and x.args[1].is_Integer,
                              lambda x: sp.expand_func(x))
    # b^(n + c) = b^c*b^n for integers n >= 0, c >= 1, whatever b (SymPy splits the power
    # only for a base it knows positive)
    shifted = shifted.replace(
        lambda x: x.is_Pow and n not in x.base.free_symbols and sp.expand(x.exp - n).is_Integer
        and sp.expand(x.exp - n) >= 1,
        lambda x: x.base ** sp.expand(x.exp - n) * x.base ** n)
    return sp.expand_power_exp(shifted)


def _opened(e: sp.Expr) -> sp.Expr:
    """binomial(n, k) with a number k as its polynomial, 2^(n - 1) as 2^n/2."""
    return sp.expand_power_exp(e.replace(
        lambda x: isinstance(x, sp.binomial) and x.args[1].is_Integer,
        lambda x: sp.expand_func(x)))


def _atoms(e: sp.Expr, n: sp.Symbol) -> list[sp.Expr]:
    """b^n (b free of n) and factorial(n): what the step treats as unknowns."""
    out = [p for p in e.atoms(sp.Pow) if p.exp == n and n not in p.base.free_symbols]
    out += [f for f in e.atoms(sp.factorial) if f.args[0] == n]
    return sorted(set(out), key=sp.default_sort_key)


def _additive(ob: Obligation, n: sp.Symbol, n0: int,
              budget_s: float) -> tuple[Verdict | None, str]:
    if n0 < 0:  # the step splits powers b^(n + 1) = b*b^n: exponents must stay >= 0
        return None, ""
    rest = tuple(h for h in ob.hypotheses if not _mentions(h, n))
    claim = Relation(_opened(ob.claim.lhs), ob.claim.op, _opened(ob.claim.rhs))
    nxt = Relation(_step_form(claim.lhs, n), claim.op, _step_form(claim.rhs, n))
    atoms = _atoms(claim.lhs + claim.rhs + nxt.lhs + nxt.rhs, n)
    fresh = dict(zip(atoms, subproof.fresh_symbols(ob, "u", len(atoms)), strict=True))
    # what is known of them: factorial(n) >= 1, b^n > 0 for a positive number b
    facts = [Relation(fresh[a], ">=", sp.Integer(1)) if isinstance(a, sp.factorial) else
             Relation(fresh[a], ">", sp.Integer(0)) for a in atoms
             if isinstance(a, sp.factorial) or (a.base.is_number and a.base.is_positive)]
    hyp = Relation(claim.lhs.xreplace(fresh), claim.op, claim.rhs.xreplace(fresh))
    step_claim = Relation(nxt.lhs.xreplace(fresh), nxt.op, nxt.rhs.xreplace(fresh))
    if any(n in a.free_symbols for side in (step_claim.lhs, step_claim.rhs)
           for a in side.atoms(sp.factorial)):
        return None, ""
    step_domains = tuple(sorted([*((m, d) for m, d in ob.domains if m != n.name),
                                 (n.name, Domain(Fraction(n0), None, integer=True))]))
    step = Obligation(step_claim, step_domains, (*rest, hyp, *facts))
    base = Obligation(_at(ob, n, n0).claim, _at(ob, n, n0).domains, rest)
    failed = subproof.prove_all([base, step], budget_s)
    if failed is None:
        return Verdict(Status.PROVED, ENGINE,
                       f"by induction on {n} >= {n0}: proved at {n} = {n0}, and at {n} + 1 "
                       f"from the claim at {n} ({step_claim} given {hyp})"), ""
    if failed is base:
        return None, f"the claim at {n} = {n0} was not proved"
    return None, f"the step from {n} to {n} + 1 ({step_claim} given {hyp}) was not proved"


def _ratio(ob: Obligation, n: sp.Symbol, n0: int,
           budget_s: float) -> tuple[Verdict | None, str]:
    claim = ob.claim
    if claim.op in ("<", "<="):
        claim = claim.flipped()  # big >= small
    big, small = claim.lhs, claim.rhs
    if not (subproof.positive(big, set()) and subproof.positive(small, set())):
        known = {n} if n0 >= 1 else set()
        if not (subproof.positive(big, known) and subproof.positive(small, known)):
            return None, ""
    rest = tuple(h for h in ob.hypotheses if not _mentions(h, n))
    pos_n = sp.Symbol(n.name, integer=True, positive=True) if n0 >= 1 else sp.Symbol(
        n.name, integer=True, nonnegative=True)
    ratios = []
    for side in (big, small):
        s = side.xreplace({n: pos_n})
        ratios.append(sp.simplify(sp.combsimp(s.subs(pos_n, pos_n + 1) / s)))
    if any(r.has(sp.factorial, sp.gamma, sp.binomial) for r in ratios):
        return None, ""
    if subproof.positive(ratios[0], {pos_n}):  # compare R's ratio over L's with 1
        quotient = sp.simplify(ratios[1] / ratios[0]).xreplace({pos_n: n})
        step_claim = Relation(quotient, "<=", sp.Integer(1))
    else:
        step_claim = Relation(ratios[0].xreplace({pos_n: n}), ">=",
                              ratios[1].xreplace({pos_n: n}))
    domains = tuple(sorted([*((m, d) for m, d in ob.domains if m != n.name),
                            (n.name, Domain(Fraction(n0), None, integer=True))]))
    base = Obligation(_at(ob, n, n0).claim, _at(ob, n, n0).domains, rest)
    failed = subproof.prove_all([base, Obligation(step_claim, domains, rest)], budget_s)
    if failed is None:
        return Verdict(Status.PROVED, ENGINE,
                       f"by induction on {n} >= {n0} with both sides positive: proved at {n} = "
                       f"{n0}, and the ratio of the larger side from {n} to {n} + 1 is at "
                       f"least the other's ({step_claim})"), ""
    return None, f"the ratio step ({step_claim}) was not proved"
