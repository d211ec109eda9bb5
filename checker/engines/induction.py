"""Claims about an integer parameter n >= n0: induction, or a real-exponent argument.

Three ways (in the order given under "Order and cost" below); each reduces the claim to
sub-obligations that the portfolio decides (``subproof.prove``), and the claim is proved only
when all of them are:

* **Real exponent.** Prove the claim for every *real* n >= n0 (a stronger claim). A power
  whose exponent has n in it is defined for real n only where its base is positive, so each
  such base b is first shown >= 0; the points where b = 0 are a case of their own, where the
  power is 0 (its exponent shown >= 1), and the real claim is proved where b > 0. If the real
  claim fails near n0 (``2^n >= n + 1`` is false for n in (0, 1)), the first integer is
  checked on its own and the real claim is proved from n0 + 1 on (tried only when the real
  claim is false at one of a few points between n0 and n0 + 1: otherwise it is no easier).
  ``binomial(n, 2)`` with a number for its second argument becomes its polynomial; a
  factorial of n is not relaxed.
* **Induction, additive step.** The claim at n0, and the step: the claim at n + 1 from the
  claim at n. At n + 1, ``b^(n + 1)`` is written ``b*b^n`` and ``factorial(n + 1)`` is
  ``(n + 1)*factorial(n)``; then ``b^n`` and ``factorial(n)`` become fresh variables (with
  what is known of them: ``2^n > 0``, ``factorial(n) >= 1``), so the step is a claim a solver
  can decide (``2*A >= n + 2`` given ``A >= n + 1``). A step with no such unknown and a
  power of n or a transcendental function left is the claim at n + 1 itself, no easier than
  the claim: it is not tried.
* **Induction, ratio step.** For ``L >= R`` with both sides positive: the claim at n0, and
  ``L(n + 1)/L(n) >= R(n + 1)/R(n)`` for every n >= n0 (then ``L(n + 1) = L(n)*(L(n + 1)/L(n))
  >= R(n)*(R(n + 1)/R(n)) = R(n + 1)``). For ``factorial(n) >= (n/e)^n`` the step is
  ``n + 1 >= (n + 1)^(n + 1)/(e*n^n)``, that is ``(1 + 1/n)^n <= e``.

The hypotheses that mention n are dropped from a step (a stronger claim), except in the
real-exponent argument, where n ranges over the same set as before (but real). A factorial
``factorial(P)`` or a binomial ``binomial(P, Q)`` of linear P, Q (integer coefficients, P and Q
non-decreasing in n, 0 <= Q <= P from n0 on: checked exactly, no solver) is an unknown of the
step like ``b^n``: at n + 1 it is a product of linear factors times its value at n
(``binomial(2*n + 2, n + 1) = 2*(2*n + 1)/(n + 1)*binomial(2*n, n)``), and it is >= 1.

Order and cost. The attempts whose sub-obligations are algebraic (no power with n in its
exponent, no exp or log: what a solver decides in milliseconds) go first; among the others,
the real-exponent argument, then the ratio step (one copy of the claim's powers), then the
additive step (two copies, and a hypothesis). An attempt stops at its first sub-obligation
that is not proved, and tries the cheaper kinds first (numbers, then algebraic claims).
Within one check, a sub-obligation met twice (the claim at n0 is the base of both
inductions) is decided once: a proof is reused, a failure only for a budget no larger than
the one it had. Induction does not run on its own sub-obligations (an induction inside an
induction step): the step is decided by the other engines and methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from checker.engines import subproof
from checker.obligations import Domain, Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "induction"
MAX_OPS = 120

# whether an induction is running (its sub-obligations do not start another one), and the
# verdicts of its sub-obligations so far: exact obligation -> (budget, verdict)
_running = False
_memo: dict[str, tuple[float, Verdict]] = {}

# the budget share of each attempt (the same whatever the order they run in). The claim for
# real n is the one sub-obligation that carries the whole claim (a derivative-sign proof of
# its log form needs the work), and gets its share again for a second start from n0 + 1
# (rare: only when the real claim fails between n0 and n0 + 1)
_SHARES = {"relaxed": 0.6, "ratio": 0.3, "additive": 0.3}


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove a claim about an integer parameter by relaxation or by induction."""
    global _running
    if _running or not subproof.available() or ob.claim.op in ("=", "!=") or \
            ob.claim.lhs.has(sp.Sum) or ob.claim.rhs.has(sp.Sum):
        return subproof.not_applicable(ENGINE)
    if sp.count_ops(ob.claim.lhs) + sp.count_ops(ob.claim.rhs) > MAX_OPS:
        return subproof.not_applicable(ENGINE)
    found = _parameter(ob)
    if found is None:
        return subproof.not_applicable(ENGINE)
    n, n0 = found
    _running = True
    _memo.clear()
    try:
        return _attempts(ob, n, n0, budget_s)
    finally:
        _running = False
        _memo.clear()


def _attempts(ob: Obligation, n: sp.Symbol, n0: int, budget_s: float) -> Verdict:
    """Try the three ways, the ones reduced to algebraic sub-obligations first."""
    relaxed = _relaxed_claim(ob, n)
    step = _additive_step(ob, n, n0)
    order: list[tuple[bool, int, str]] = [(True, 1, "ratio")]
    if relaxed is not None:
        order.append((_transcendental(Obligation(relaxed, ob.domains, ob.hypotheses)), 0,
                      "relaxed"))
    if step is not None:
        order.append((any(_transcendental(o) for o in step.obligations), 2, "additive"))
    lost: list[str] = []
    for _, _, name in sorted(order):
        share = _SHARES[name] * budget_s
        if name == "relaxed" and relaxed is not None:
            verdict, why = _relaxed(ob, relaxed, n, n0, share)
        elif name == "additive" and step is not None:
            verdict, why = _additive(step, n, n0, share)
        else:
            verdict, why = _ratio(ob, n, n0, share)
        if verdict is not None:
            return verdict
        if why:
            lost.append(why)
    return Verdict(Status.UNKNOWN, ENGINE, "; ".join(lost))


def _transcendental(ob: Obligation) -> bool:
    from checker.engines.portfolio import shape

    return shape(ob) == "transcendental"


def _cost(ob: Obligation) -> int:
    """0 for a claim about numbers, 1 algebraic, 2 otherwise (cheapest proved first)."""
    from checker.engines.portfolio import shape

    return {"constant": 0, "algebraic": 1}.get(shape(ob), 2)


def _prove(ob: Obligation, budget_s: float) -> bool:
    """Whether the sub-obligation is proved (each one decided once per check; a failure is
    reused only for a budget no larger than the one it had)."""
    key = ob.key()
    seen = _memo.get(key)
    if seen is not None and (seen[1].status is Status.PROVED or seen[0] >= budget_s):
        return seen[1].status is Status.PROVED
    verdict = subproof.prove(ob, budget_s)
    if not verdict.time_limited:
        _memo[key] = (budget_s, verdict)
    return verdict.status is Status.PROVED


def _prove_all(obs: list[Obligation], budget_s: float) -> Obligation | None:
    """Prove each obligation (an equal share of the budget each), the cheaper kinds first;
    the first one not proved, or None when every one is."""
    if not obs:
        return None
    share = budget_s / len(obs)
    for sub in sorted(obs, key=_cost):
        if not _prove(sub, share):
            return sub
    return None


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


def _positive_domain(d: Domain) -> bool:
    return d.lo is not None and (d.lo > 0 or (d.lo == 0 and d.lo_open))


def _relaxed_claim(ob: Obligation, n: sp.Symbol) -> Relation | None:
    """The claim with real meaning for real n (None: a factorial or binomial of n stays)."""
    lhs = _polynomial_binomials(ob.claim.lhs, n)
    rhs = _polynomial_binomials(ob.claim.rhs, n)
    if lhs is None or rhs is None:
        return None
    return Relation(lhs, ob.claim.op, rhs)


def _relaxed(ob: Obligation, claim: Relation, n: sp.Symbol, n0: int,
             budget_s: float) -> tuple[Verdict | None, str]:
    lhs, rhs = claim.lhs, claim.rhs
    d = ob.domain(n.name)
    # the variables positive on their domains (n from n0 >= 1 on): a base built from them
    # by sums, products and powers is positive without a sub-proof
    known: set[sp.Basic] = {v for v in lhs.free_symbols | rhs.free_symbols
                            if isinstance(v, sp.Symbol) and _positive_domain(
                                Domain(Fraction(n0)) if v == n else ob.domain(v.name))}
    powers = sorted({p for side in (lhs, rhs) for p in side.atoms(sp.Pow)
                     if n in p.exp.free_symbols and not subproof.positive(p.base, set())},
                    key=sp.default_sort_key)
    if len(powers) > 2:
        return None, ""
    zero_cases: list[Obligation] = []
    positive_bases: list[Relation] = []
    zero_bases: list[sp.Expr] = []
    for p in powers:
        positive = Relation(p.base, ">", sp.Integer(0))
        if subproof.positive(p.base, known) or _prove(
                Obligation(positive, ob.domains, ob.hypotheses), 0.1 * budget_s):
            positive_bases.append(positive)
            continue
        # one such power may have a base that is 0 somewhere (a case of its own); with more,
        # every base must be positive (the zero case of one would leave the other undefined)
        nonneg = Obligation(Relation(p.base, ">=", sp.Integer(0)), ob.domains, ob.hypotheses)
        if len(powers) > 1 or not _prove(nonneg, 0.1 * budget_s):
            return None, f"the base {show(p.base)} of a power with {n} in its exponent was " \
                         "not shown positive"
        at_zero = Obligation(claim.subs({p: sp.Integer(0)}), ob.domains,
                             (*ob.hypotheses, Relation(p.base, "=", sp.Integer(0))))
        zero_cases += [Obligation(Relation(p.exp, ">=", sp.Integer(1)), ob.domains,
                                  (*ob.hypotheses, Relation(p.base, "=", sp.Integer(0)))),
                       at_zero]
        positive_bases.append(Relation(p.base, ">", sp.Integer(0)))
        zero_bases.append(p.base)
    for start in (n0, n0 + 1):
        if start > n0 and ((d.hi is not None and start > d.hi) or not _false_below(
                Obligation(claim, ob.domains, (*ob.hypotheses, *positive_bases)), n, n0)):
            break
        points = [_at(ob, n, m) for m in range(n0, start)]
        real = Domain(Fraction(start), d.hi, False, d.hi_open)
        domains = tuple((m, real if m == n.name else dd) for m, dd in ob.domains)
        relaxed = Obligation(claim, domains, (*ob.hypotheses, *positive_bases))
        zeros = [Obligation(z.claim, domains, z.hypotheses) for z in zero_cases]
        failed = _prove_all([*points, relaxed, *zeros], budget_s)
        if failed is None:
            first = f"checked {n} = {n0} on its own, then " if start > n0 else ""
            split = (f" (where {', '.join(show(b) for b in zero_bases)} is 0 the power is 0, "
                     "a case of its own)") if zero_bases else ""
            return Verdict(Status.PROVED, ENGINE,
                           f"{first}proved the claim for every real {n} >= {start}{split}, so "
                           f"for every integer {n} >= {n0}"), ""
    return None, f"the claim was not proved for real {n} >= {n0}"


NEAR_POINTS = 8  # points of [n0, n0 + 1] where the real claim is tried before a second start


def _false_below(ob: Obligation, n: sp.Symbol, n0: int) -> bool:
    """Whether the claim, for real n in [n0, n0 + 1], is false at one of a few deterministic
    points (exact or Arb evaluation): the real claim then needs n0 on its own, and is tried
    again from n0 + 1. Without such a point the claim from n0 + 1 on is no easier to prove
    than from n0, and is not tried."""
    d = ob.domain(n.name)
    near = Domain(Fraction(n0), Fraction(n0 + 1), False, False)
    if d.hi is not None:
        near = Domain(Fraction(n0), min(d.hi, Fraction(n0 + 1)), False, d.hi_open)
    restricted = Obligation(ob.claim, tuple((m, near if m == n.name else dd)
                                            for m, dd in ob.domains), ob.hypotheses)
    # no point drawn: no evidence, so the second start is tried (it can only help)
    return subproof.false_at_samples(restricted, NEAR_POINTS, undrawable=True)


# ------------------------------------------------------------------------------ induction


MAX_SLOPE = 8  # factorial(a*n + b) for a <= 8: its ratio has at most 8 linear factors


def _linear(p: sp.Expr, n: sp.Symbol) -> tuple[int, int] | None:
    """(a, b) with p = a*n + b for integers a, b, 0 <= a <= MAX_SLOPE; None for any other
    p."""
    if p.free_symbols - {n}:
        return None
    try:
        poly = sp.Poly(p, n)
    except sp.PolynomialError:
        return None
    if poly.degree() > 1 or not all(c.is_Integer for c in poly.all_coeffs()):
        return None
    coeffs = [int(c) for c in poly.all_coeffs()]
    a, b = (coeffs[0], coeffs[1]) if len(coeffs) == 2 else (0, coeffs[0])
    return (a, b) if 0 <= a <= MAX_SLOPE else None


def _rising(p: sp.Expr, k: int) -> sp.Expr:
    """(p + 1)*(p + 2)*...*(p + k): factorial(p + k)/factorial(p)."""
    return sp.Mul(*[p + i for i in range(1, k + 1)])


def _counting(e: sp.Expr, n: sp.Symbol, n0: int) -> dict[sp.Expr, sp.Expr]:
    """The factorials factorial(P) and binomials binomial(P, Q) of e, P and Q linear in n with
    integer coefficients, that are >= 1 for every integer n >= n0 (P, Q and P - Q are >= 0 at
    n0 and do not decrease: checked exactly), each with its value at n + 1 over its value at
    n, a quotient of products of linear factors (factorial(P + a) = (P + 1)*...*(P + a)*
    factorial(P))."""
    out: dict[sp.Expr, sp.Expr] = {}
    for f in sorted(e.atoms(sp.factorial, sp.binomial), key=sp.default_sort_key):
        if n not in f.free_symbols:
            continue
        if isinstance(f, sp.factorial):
            lp = _linear(f.args[0], n)
            if lp is not None and lp[0] >= 0 and lp[0] * n0 + lp[1] >= 0:
                out[f] = _rising(f.args[0], lp[0])
            continue
        top, bottom = f.args
        lp, lq = _linear(top, n), _linear(bottom, n)
        if lp is None or lq is None:
            continue
        (a, b), (c, d) = lp, lq
        if c >= 0 and a - c >= 0 and c * n0 + d >= 0 and (a - c) * n0 + (b - d) >= 0:
            out[f] = _rising(top, a) / (_rising(bottom, c) * _rising(top - bottom, a - c))
    return out


def _step_form(e: sp.Expr, n: sp.Symbol, counting: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """e at n + 1, with b^(n + 1) as b*b^n, and a factorial or binomial of ``counting`` at
    n + 1 as its ratio times its value at n (factorial(n + 1) as (n + 1)*factorial(n))."""
    shifted = e.subs(n, n + 1)
    for f, ratio in counting.items():
        args = [sp.expand(a.subs(n, n + 1)) for a in f.args]
        shifted = shifted.replace(
            lambda x, f=f, args=args: isinstance(x, type(f)) and all(
                sp.expand(xa - fa) == 0 for xa, fa in zip(x.args, args, strict=True)),
            lambda x, f=f, ratio=ratio: ratio * f)
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


def _atoms(e: sp.Expr, n: sp.Symbol, counting: dict[sp.Expr, sp.Expr]) -> list[sp.Expr]:
    """b^n (b free of n), and the factorials and binomials of ``counting``: what the step
    treats as unknowns."""
    out = [p for p in e.atoms(sp.Pow) if p.exp == n and n not in p.base.free_symbols]
    out += [f for f in e.atoms(sp.factorial, sp.binomial) if f in counting]
    return sorted(set(out), key=sp.default_sort_key)


@dataclass(frozen=True)
class _Step:
    """The additive induction: the claim at n0, and the step (the claim at n + 1 from the
    claim at n, its unknowns as fresh variables)."""

    base: Obligation
    step: Obligation
    step_claim: Relation
    hyp: Relation
    unknowns: str  # "u_0 = 2^n, u_1 = factorial(n)": what the fresh variables stand for

    @property
    def obligations(self) -> list[Obligation]:
        return [self.base, self.step]


def _additive_step(ob: Obligation, n: sp.Symbol, n0: int) -> _Step | None:
    if n0 < 0:  # the step splits powers b^(n + 1) = b*b^n: exponents must stay >= 0
        return None
    rest = tuple(h for h in ob.hypotheses if not _mentions(h, n))
    claim = Relation(_opened(ob.claim.lhs), ob.claim.op, _opened(ob.claim.rhs))
    counting = _counting(claim.lhs + claim.rhs, n, n0)
    nxt = Relation(_step_form(claim.lhs, n, counting), claim.op,
                   _step_form(claim.rhs, n, counting))
    atoms = _atoms(claim.lhs + claim.rhs + nxt.lhs + nxt.rhs, n, counting)
    fresh = dict(zip(atoms, subproof.fresh_symbols(ob, "u", len(atoms)), strict=True))
    # what is known of them: a factorial or binomial is >= 1, b^n > 0 for a positive number b
    facts = [Relation(fresh[a], ">=", sp.Integer(1)) if a in counting else
             Relation(fresh[a], ">", sp.Integer(0)) for a in atoms
             if a in counting or (a.base.is_number and a.base.is_positive)]
    hyp = Relation(claim.lhs.xreplace(fresh), claim.op, claim.rhs.xreplace(fresh))
    step_claim = Relation(nxt.lhs.xreplace(fresh), nxt.op, nxt.rhs.xreplace(fresh))
    if not atoms and _transcendental(Obligation(step_claim, ob.domains)):
        return None  # nothing abstracted: the step is the claim at n + 1 itself, no easier
    if any(n in a.free_symbols for side in (step_claim.lhs, step_claim.rhs, hyp.lhs, hyp.rhs)
           for a in side.atoms(sp.factorial, sp.binomial, sp.gamma)):
        return None
    step_domains = tuple(sorted([*((m, d) for m, d in ob.domains if m != n.name),
                                 (n.name, Domain(Fraction(n0), None, integer=True))]))
    step = Obligation(step_claim, step_domains, (*rest, hyp, *facts))
    base = Obligation(_at(ob, n, n0).claim, _at(ob, n, n0).domains, rest)
    unknowns = ", ".join(f"{u} = {show(a)}" for a, u in fresh.items())
    return _Step(base, step, step_claim, hyp, unknowns)


def _additive(s: _Step, n: sp.Symbol, n0: int,
              budget_s: float) -> tuple[Verdict | None, str]:
    failed = _prove_all(s.obligations, budget_s)
    where = f", where {s.unknowns}" if s.unknowns else ""
    if failed is None:
        return Verdict(Status.PROVED, ENGINE,
                       f"by induction on {n} >= {n0}: proved at {n} = {n0}, and at {n} + 1 "
                       f"from the claim at {n} ({s.step_claim} given {s.hyp}{where})"), ""
    if failed is s.base:
        return None, f"the claim at {n} = {n0} was not proved"
    return None, (f"the step from {n} to {n} + 1 ({s.step_claim} given {s.hyp}{where}) was "
                  "not proved")


def _ratio(ob: Obligation, n: sp.Symbol, n0: int,
           budget_s: float) -> tuple[Verdict | None, str]:
    claim = ob.claim
    if claim.op in ("<", "<="):
        claim = claim.flipped()  # big >= small
    big, small = claim.lhs, claim.rhs
    # what is positive from n0 on: n itself if n0 >= 1, and a binomial that is >= 1
    known: set[sp.Basic] = {b for b in _counting(big + small, n, n0) if isinstance(b, sp.binomial)}
    if n0 >= 1:
        known.add(n)
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
    failed = _prove_all([base, Obligation(step_claim, domains, rest)], budget_s)
    if failed is None:
        return Verdict(Status.PROVED, ENGINE,
                       f"by induction on {n} >= {n0} with both sides positive: proved at {n} = "
                       f"{n0}, and the ratio of the larger side from {n} to {n} + 1 is at "
                       f"least the other's ({step_claim})"), ""
    return None, f"the ratio step ({step_claim}) was not proved"
