"""Feedback beyond verdicts: which missing assumption would make a refuted step hold, and
named detectors for the course's common fallacies. Runs after checking; never changes a
verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.numeric import Undefined, holds_at
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

Check = Callable[[Obligation], Verdict]
MAX_CANDIDATES = 8
FEEDBACK_TIME_S = 2.0  # for the whole search of one step


def _domain_words(name: str, d: Domain) -> str:
    if d.lo is None and d.hi is None and not d.integer:
        return f"{name} is any real number"
    return f"{name} {d}"


def candidates(ob: Obligation, extra: list[Relation] | None = None) -> list[Relation]:
    """Single extra assumptions to try, simplest first: positivity, bounds at 0 and 1,
    integrality, order between variables, nonzero denominators, and the caller's extras
    (an exercise's givens)."""
    out: list[Relation] = list(extra or [])
    zero, one = sp.Integer(0), sp.Integer(1)
    names = [n for n in sorted(ob.claim.free_names) if not n.endswith("]")]
    for n in names:
        x = sym(n)
        d = ob.domain(n)
        out += [Relation(x, ">=", zero), Relation(x, ">", zero), Relation(x, ">=", one),
                Relation(x, "<", one), Relation(x, "<=", one), Relation(x, "<", zero)]
        if not d.integer and not Domain(d.lo, d.hi, d.lo_open, d.hi_open, True).is_empty:
            out.append(Relation(sp.floor(x), "=", x))
    for a in names:
        for b in names:
            if a < b:
                out += [Relation(sym(a), ">=", sym(b)), Relation(sym(b), ">=", sym(a))]
    for side in (ob.claim.lhs, ob.claim.rhs):
        for p in side.atoms(sp.Pow):
            if p.exp.is_negative and p.base.free_symbols and {
                    s.name for s in p.base.free_symbols} <= set(names):
                out.append(Relation(p.base, "!=", zero))
    seen: set[str] = set()
    unique = []
    for r in out:
        key = str(r)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique


def missing_assumption(ob: Obligation, check: Check, point: dict[str, Fraction],
                       extra: list[Relation] | None = None,
                       time_s: float = FEEDBACK_TIME_S) -> str | None:
    """'this step holds only if x >= 1; you assumed x > 0', or None.

    Only candidates that the counterexample ``point`` violates can help, so the others are
    dropped with one exact evaluation each. Each remaining candidate is added as a hypothesis;
    the first that makes the step proved (and does not contradict what is assumed) is named.
    One that only makes it plausible is named with that caveat if nothing proves it.
    """
    deadline = time.perf_counter() + time_s
    plausible: Relation | None = None
    tried = 0
    for cand in candidates(ob, extra):
        if tried >= MAX_CANDIDATES or time.perf_counter() > deadline:
            break
        try:
            if _is_integrality(cand):
                if point.get(cand.rhs.name, Fraction(0)).denominator == 1:
                    continue
            elif holds_at(cand, point) is not False:
                continue  # the counterexample satisfies it: it cannot rule the point out
        except (Undefined, NotImplementedError):
            continue
        if _is_integrality(cand):
            name = cand.rhs.name
            new = Obligation(ob.claim, tuple((n, Domain(dd.lo, dd.hi, dd.lo_open, dd.hi_open,
                                                        True) if n == name else dd)
                                             for n, dd in ob.domains), ob.hypotheses)
        else:
            if check(Obligation(cand.negated(), ob.domains, ob.hypotheses)).status \
                    is Status.PROVED:
                continue  # contradicts what is assumed: the step would hold vacuously
            names = {n for n, _ in ob.domains} | set(cand.free_names)
            domains = tuple(sorted((n, ob.domain(n)) for n in names))
            new = Obligation(ob.claim, domains, (*ob.hypotheses, cand))
        tried += 1
        v = check(new)
        if v.status is Status.PROVED:
            return _say(cand, ob, "holds only if")
        if v.status is Status.PLAUSIBLE and plausible is None:
            plausible = cand
    if plausible is not None:
        return _say(plausible, ob, "seems to hold (numerically) only if")
    return None


def _is_integrality(r: Relation) -> bool:
    return r.op == "=" and isinstance(r.lhs, sp.floor) and r.rhs.is_Symbol


def _say(cand: Relation, ob: Obligation, how: str) -> str:
    what = f"{cand.rhs} is an integer" if _is_integrality(cand) else str(cand)
    names = sorted(cand.free_names)
    assumed = "; ".join(_domain_words(n, ob.domain(n)) for n in names)
    return f"this step {how} {what}; you assumed {assumed}"


# ------------------------------------------------------------------------- named fallacies


def fallacies(claim: Relation) -> list[str]:
    """Named mistakes this course sees often, recognised in a step's claim."""
    out: list[str] = []
    for detect in (_kl_symmetric, _union_bound_reversed, _jensen_reversed):
        msg = detect(claim)
        if msg:
            out.append(msg)
    return out


def _opaque_named(e: sp.Expr, head: str) -> list[AppliedUndef]:
    return [a for a in e.atoms(AppliedUndef) if type(a).__name__ == head]


def _kl_symmetric(claim: Relation) -> str | None:
    left, right = _opaque_named(claim.lhs, "KL"), _opaque_named(claim.rhs, "KL")
    for a in left:
        for b in right:
            if len(a.args) == 2 and a.args == tuple(reversed(b.args)) and a.args[0] != a.args[1]:
                return ("KL divergence is not symmetric: KL[q, p] and KL[p, q] differ in "
                        "general (e.g. for Bernoulli(1/2) and Bernoulli(1/10): 0.51 vs 0.37)")
    return None


def _union_bound_reversed(claim: Relation) -> str | None:
    _, op = claim.difference()
    single, summed = claim.lhs, claim.rhs
    if claim.op in ("<", "<="):
        single, summed = summed, single
    if op not in (">", ">=") or not isinstance(single, AppliedUndef):
        return None
    terms = [t for t in sp.Add.make_args(summed) if _opaque_named(t, "P")]
    if type(single).__name__ == "P" and len(terms) >= 2:
        return ("the union bound goes the other way: P[A or B] <= P[A] + P[B], never >= "
                "in general")
    return None


def _jensen_reversed(claim: Relation) -> str | None:
    """f(average) vs average of f, with the direction wrong for f's convexity."""
    for fn, word in ((sp.log, "concave"), (sp.exp, "convex")):
        for big, small in ((claim.lhs, claim.rhs), (claim.rhs, claim.lhs)):
            if not isinstance(big, fn):
                continue
            inner = big.args[0]
            parts = sp.Add.make_args(sp.expand(inner))
            fparts = [t for t in sp.Add.make_args(sp.expand(small)) if t.has(fn)]
            if len(parts) < 2 or len(fparts) < 2:
                continue
            # claim says f(mean) <= mean f  (wrong for concave) or >= (wrong for convex)
            says_le = (claim.op in ("<", "<=")) == (big is claim.lhs)
            if (word == "concave" and says_le) or (word == "convex" and not says_le):
                rel = ">=" if word == "concave" else "<="
                return (f"Jensen's inequality for the {word} {fn.__name__}: "
                        f"{fn.__name__}(E[X]) {rel} E[{fn.__name__}(X)], not the reverse")
    return None
