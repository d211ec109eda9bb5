"""The engine entry point: the obligation's domains and hypotheses to a box, then search.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "intervals"). The budget is work,
not time: ``work.INTERVAL_BOXES`` boxes and ``work.INTERVAL_WORK`` evaluations per 2 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from fractions import Fraction

import sympy as sp

from checker.engines.intervals.arith import _to_fraction
from checker.engines.intervals.branch import _Search, _Var
from checker.engines.intervals.compile import _unsupported
from checker.engines.intervals.substitution import _prove_reduced
from checker.engines.work import INTERVAL_BOXES, INTERVAL_WORK, Meter, amount
from checker.numeric import Undefined, ball, holds_at, simplest_between, verify_counterexample
from checker.obligations import Domain, Obligation, Relation, Status, Verdict

ENGINE = "intervals"
REDUCTION_SHARE = 0.4  # share of the budget for proofs in a substituted variable


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


def _prove(ob: Obligation, budget_s: float) -> Verdict:
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
    boxes = amount(INTERVAL_BOXES, budget_s)
    units = amount(INTERVAL_WORK, budget_s)
    spent = 0
    if op in (">=", ">") and len(variables) >= 2:
        share = Meter(round(units * REDUCTION_SHARE))
        reduced = _prove_reduced(f, op, variables, hyps, share, round(boxes * REDUCTION_SHARE))
        if reduced is not None:
            notes = (f"{reduced.boxes} boxes",)
            return Verdict(Status.PROVED, ENGINE, reason=reduced.reason, notes=notes)
        spent = min(share.used, share.limit)
    search = _Search(f, op, variables, hyps, Meter(units - spent), ob, completion)
    outcome = search.run(boxes)
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
        verdict = _prove(ob, budget_s)
    except Exception as exc:  # the engine contract: never raise, answer UNKNOWN
        verdict = Verdict(Status.UNKNOWN, ENGINE, reason=f"internal error: {type(exc).__name__}")
    return replace(verdict, time_s=time.monotonic() - begun)
