"""Identities with symbolic sums: ``sum(k, 1, n, k^2) = n*(n + 1)*(2*n + 1)/6`` for every
integer n >= 1.

The claim ``L(n) = R(n)`` holds for every integer n >= n0 (n0 the least integer of n's domain)
when it holds at n0 and ``D(n + 1) - D(n) = 0`` for ``D = L - R``. Two ways to the step:

* **Recurrence** (a summand free of n, ``sum(k, a, n + c, f(k))`` with integers a, c): the sum
  at n + 1 is the sum at n plus ``f(n + c + 1)``. Each sum becomes a fresh variable s and the
  step ``D(n + 1) - D(n)``, with ``s + f(n + c + 1)`` for s at n + 1, must be 0 for every s and
  every real n >= n0: a symbolic identity, decided by the portfolio. With the base case, a
  proof by induction.
* **Summation** (a summand with n in it, ``sum(k, 0, n, k^2*binomial(n, k))``): SymPy's
  summation (Gosper's algorithm, hypergeometric closed forms) gives a closed form C(n); the
  claim with C in place of the sum must be a symbolic identity, and, as an independent check,
  the claim is verified exactly (each finite sum written out term by term and expanded,
  symbolic in the other variables) at n = n0, ..., n0 + 7. SymPy's closed form is then the
  proving engine. The exact checks come first (they are the cheaper part, and a wrong claim
  then costs no summation); closed forms are kept per sum for the process (a sum recurs
  from step to step).

The base case, the step and the claim with the closed form are sub-obligations decided by the
portfolio (``subproof.prove``), under the hypotheses that do not mention n (n's own upper
bound and the hypotheses on n are dropped: a stronger claim). Only equalities are handled.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

from checker.engines import subproof, sympy_engine
from checker.obligations import Domain, Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "sums"
EXACT_CHECKS = 8  # values of n at which a summation's closed form is checked exactly
MAX_IDENTITY_OPS = 200  # closed-form identities given to simplify
MAX_SUMMAND_OPS = 40  # summands SymPy's summation is given (its work is not bounded otherwise)


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove a sum identity by induction on n, or by SymPy's summation checked exactly."""
    if not subproof.available() or ob.claim.op != "=":
        return subproof.not_applicable(ENGINE)
    diff = ob.claim.lhs - ob.claim.rhs
    sums = sorted(diff.atoms(sp.Sum), key=sp.default_sort_key)
    if not sums or any(s.function.has(sp.Sum) for s in sums):
        return subproof.not_applicable(ENGINE)
    n = _parameter(ob, sums)
    if n is None:
        return subproof.not_applicable(ENGINE)
    n0 = _least(ob.domain(n.name))
    if n0 is None:
        return subproof.not_applicable(ENGINE)
    if all(_recurrence(s, n) is not None for s in sums):
        return _by_induction(ob, n, n0, sums, budget_s)
    return _by_summation(ob, n, n0, sums)


def _parameter(ob: Obligation, sums: list[sp.Sum]) -> sp.Symbol | None:
    """The integer variable, bounded below, in the sums' limits."""
    names: set[sp.Basic] = set()
    for s in sums:
        for _, a, b in s.limits:
            names |= a.free_symbols | b.free_symbols
    for v in sorted(names, key=lambda x: x.name):
        assert isinstance(v, sp.Symbol)
        d = ob.domain(v.name)
        if d.integer and d.lo is not None:
            return v
    return None


def _least(d: Domain) -> int | None:
    if d.lo is None:
        return None
    n0 = math.ceil(d.lo)
    if d.lo_open and n0 == d.lo:
        n0 += 1
    return n0 if d.contains(Fraction(n0)) else None


def _recurrence(s: sp.Sum, n: sp.Symbol) -> tuple[sp.Symbol, sp.Expr, int, int] | None:
    """(k, f, a, c) for ``sum(k, a, n + c, f)`` with f free of n, else None."""
    if len(s.limits) != 1:
        return None
    k, a, b = s.limits[0]
    c = sp.expand(b - n)
    if not (a.is_Integer and c.is_Integer) or n in s.function.free_symbols:
        return None
    return k, s.function, int(a), int(c)


def _without(ob: Obligation, n: sp.Symbol) -> tuple[tuple[tuple[str, Domain], ...],
                                                     tuple[Relation, ...]]:
    domains = tuple((m, d) for m, d in ob.domains if m != n.name)
    hyps = tuple(h for h in ob.hypotheses
                 if n not in h.lhs.free_symbols | h.rhs.free_symbols)
    return domains, hyps


def _by_induction(ob: Obligation, n: sp.Symbol, n0: int, sums: list[sp.Sum],
                  budget_s: float) -> Verdict:
    domains, hyps = _without(ob, n)
    fresh: dict[sp.Basic, sp.Expr] = {}
    shifted: dict[sp.Symbol, sp.Expr] = {n: n + 1}
    names = subproof.fresh_symbols(ob, "sum", len(sums))
    for i, s in enumerate(sums):
        rec = _recurrence(s, n)
        assert rec is not None
        k, f, a, c = rec
        if n0 + c < a - 1:  # below an empty range the next sum is no larger: no recurrence
            return Verdict(Status.UNKNOWN, ENGINE, "a sum's range is empty at the start")
        si = names[i]
        fresh[s] = si
        shifted[si] = si + f.subs(k, n + c + 1)
    g = (ob.claim.lhs - ob.claim.rhs).xreplace(fresh)
    step = sp.expand(g.xreplace(shifted) - g) if g.is_polynomial(*fresh.values()) else (
        g.xreplace(shifted) - g)
    base = Obligation(ob.claim.subs({n: sp.Integer(n0)}), domains, hyps)
    if subproof.prove(base, 0.4 * budget_s).status is not Status.PROVED:
        return Verdict(Status.UNKNOWN, ENGINE, f"the claim at {n} = {n0} was not proved")
    step_domains = tuple(sorted([*domains, (n.name, Domain(sp.Rational(n0), None))]))
    step_ob = Obligation(Relation(step, "=", sp.Integer(0)), step_domains, hyps)
    if subproof.prove(step_ob, 0.6 * budget_s).status is not Status.PROVED:
        return Verdict(Status.UNKNOWN, ENGINE,
                       f"the claim holds at {n} = {n0}, but the step from {n} to {n} + 1 "
                       "was not proved")
    terms = ", ".join(f"sum({_show_limits(s)}) grows by its term at {n} + 1" for s in sums)
    return Verdict(Status.PROVED, ENGINE,
                   f"by induction on {n} >= {n0}: proved at {n} = {n0}, and the difference of "
                   f"the two sides does not change from {n} to {n} + 1 ({terms})")


def _show_limits(s: sp.Sum) -> str:
    k, a, b = s.limits[0]
    return f"{k}, {show(a)}, {show(b)}, {show(s.function)}"


def _by_summation(ob: Obligation, n: sp.Symbol, n0: int, sums: list[sp.Sum]) -> Verdict:
    if any(sp.count_ops(s.function) > MAX_SUMMAND_OPS or len(s.limits) != 1 for s in sums):
        return Verdict(Status.UNKNOWN, ENGINE, "a summand too large for SymPy's summation")
    assumed = ob.assumed_symbols()
    back = {v: k for k, v in assumed.items()}
    diff = (ob.claim.lhs - ob.claim.rhs).xreplace(assumed)
    # independent check, first as it is the cheaper part: the claim exactly at
    # n0, ..., n0 + 7 (finite sums written out, symbolic in the other variables)
    checked = []
    n_assumed = assumed[n]
    for m in range(n0, n0 + EXACT_CHECKS):
        if not ob.domain(n.name).contains(Fraction(m)):
            break
        if not _zero_at(diff, n_assumed, m):
            return Verdict(Status.UNKNOWN, ENGINE, f"the claim at {n} = {m} is not an identity")
        checked.append(m)
    if len(checked) < 2:
        return Verdict(Status.UNKNOWN, ENGINE, "too few values of the parameter to check")
    closed: dict[sp.Basic, sp.Expr] = {}
    for s in sums:
        c = _closed_form(s.xreplace(assumed))
        if c is None:
            return Verdict(Status.UNKNOWN, ENGINE,
                           f"SymPy's summation found no closed form for sum({_show_limits(s)})")
        closed[s] = c
    # the claim with the closed forms: a symbolic identity (factorial ratios and powers
    # simplified with the variables' assumptions), decided here, so that a failure costs no
    # search over factorials of huge numbers
    with_closed = diff.xreplace({s.xreplace(assumed): c for s, c in closed.items()})
    if sp.count_ops(with_closed) > MAX_IDENTITY_OPS or sp.simplify(
            sp.combsimp(with_closed)) != 0:
        closed = {s: c.xreplace(back) for s, c in closed.items()}
        claim = Relation(ob.claim.lhs.xreplace(closed), "=", ob.claim.rhs.xreplace(closed))
        return Verdict(Status.UNKNOWN, ENGINE,
                       f"with SymPy's closed form the claim becomes {claim}, which was not "
                       "shown to be an identity")
    closed = {s: c.xreplace(back) for s, c in closed.items()}
    forms = "; ".join(f"sum({_show_limits(s)}) = {show(sp.combsimp(c))}"
                      for s, c in closed.items())
    return Verdict(Status.PROVED, ENGINE,
                   f"SymPy's summation gives {forms}, the claim with it is an identity, and the "
                   f"claim holds exactly at {n} = {checked[0]}, ..., {checked[-1]}")


def _zero_at(diff: sp.Expr, n: sp.Symbol, m: int) -> bool:
    """Whether ``diff`` at n = m, its sums written out term by term, is identically 0.

    Expanding decides it for sums of polynomial terms (the usual case, and cheap); simplify
    is tried only when the expansion is not 0 (roots, logs, ratios...)."""
    if any(n in e.variables for e in diff.atoms(ExprWithLimits)):
        at = diff.subs(n, m)
    else:  # n only free: replacing it everywhere, limits included, is the substitution
        at = diff.xreplace({n: sp.Integer(m)})
    at = at.xreplace({s: _written_out(s) for s in at.atoms(sp.Sum)})
    if at.has(sp.Sum):
        return False
    expand = all(abs(e.exp) <= sympy_engine.MAX_EXPAND_POWER for e in at.atoms(sp.Pow)
                 if e.exp.is_Integer and e.base.free_symbols)  # no (x + y)^1000 written out
    return bool((expand and sp.expand(at) == 0) or sp.simplify(at.doit()) == 0)


def _written_out(s: sp.Sum) -> sp.Expr:
    terms = sympy_engine.unroll(s)
    if terms is not None:
        return terms
    value = s.doit()
    return value if isinstance(value, sp.Expr) else s


@functools.lru_cache(maxsize=256)  # a sum recurs in the steps of one proof, and in others
def _closed_form(s: sp.Sum) -> sp.Expr | None:
    """SymPy's closed form for ``s`` (a candidate: the claim with it must be an identity)."""
    value = s.doit()
    if isinstance(value, sp.Piecewise):
        # a branch's condition comes from series convergence, not from the finite sum; the
        # exact checks and the identity decide, so take the first branch with no sum left
        for expr, _cond in value.args:
            if isinstance(expr, sp.Expr) and not expr.has(sp.Sum):
                return expr
        return None
    if value.has(sp.Sum) or value.has(sp.Piecewise):
        return None
    return value if isinstance(value, sp.Expr) else None
