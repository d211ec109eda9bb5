"""Feedback beyond verdicts: which missing assumption would make a refuted step hold, named
detectors for the course's common fallacies, and what to do next with a step the engines leave
open (where to split it, the fact to state, the library theorem whose shape it has). Runs after
checking; never changes a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.numeric import Undefined, holds_at
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

if TYPE_CHECKING:
    from checker.library.shapes import Match

Check = Callable[[Obligation], Verdict]
MAX_CANDIDATES = 8


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
                       extra: list[Relation] | None = None) -> str | None:
    """'this step holds only if x >= 1; you assumed x > 0', or None.

    Only candidates that the counterexample ``point`` violates can help, so the others are
    dropped with one exact evaluation each. Each remaining candidate is added as a hypothesis;
    the first that makes the step proved (and does not contradict what is assumed) is named.
    One that only makes it plausible is named with that caveat if nothing proves it.

    Bounded by the number of candidates, never by the clock, so the same step always gets
    the same tip; whether a candidate contradicts what is assumed is asked only of one that
    would be named (most candidates leave the step refuted, and that check is the costly one).
    """
    plausible: Relation | None = None
    tried = 0
    for cand in candidates(ob, extra):
        if tried >= MAX_CANDIDATES:
            break
        try:
            if _is_integrality(cand):
                if point.get(cand.rhs.name, Fraction(0)).denominator == 1:
                    continue
            elif holds_at(cand, point) is not False:
                continue  # the counterexample satisfies it: it cannot rule the point out
        except (Undefined, NotImplementedError):
            continue
        contra: Obligation | None = None
        if _is_integrality(cand):
            name = cand.rhs.name
            new = Obligation(ob.claim, tuple((n, Domain(dd.lo, dd.hi, dd.lo_open, dd.hi_open,
                                                        True) if n == name else dd)
                                             for n, dd in ob.domains), ob.hypotheses)
        else:
            contra = Obligation(cand.negated(), ob.domains, ob.hypotheses)
            names = {n for n, _ in ob.domains} | set(cand.free_names)
            domains = tuple(sorted((n, ob.domain(n)) for n in names))
            new = Obligation(ob.claim, domains, (*ob.hypotheses, cand))
        tried += 1
        if _fails_at_samples(new):
            continue  # the step is still false with the candidate: no engine needed
        v = check(new)
        if v.status not in (Status.PROVED, Status.PLAUSIBLE):
            continue
        if contra is not None and check(contra).status is Status.PROVED:
            tried -= 1  # contradicts what is assumed: the step would hold vacuously
            continue
        if v.status is Status.PROVED:
            return _say(cand, ob, "holds only if")
        if plausible is None:
            plausible = cand
    if plausible is not None:
        return _say(plausible, ob, "seems to hold (numerically) only if")
    return None


SAMPLE_POINTS = 8  # points of a candidate's domain tried before any engine runs


def _fails_at_samples(ob: Obligation) -> bool:
    """Whether the claim certainly fails at one of a few deterministic points satisfying the
    hypotheses (cheap: exact or Arb evaluation; most candidates are ruled out here)."""
    from checker.engines.portfolio import sample_points

    for pt in sample_points(ob, SAMPLE_POINTS):
        try:
            if holds_at(ob.claim, pt) is False:
                return True
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError):
            continue
    return False


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


# ------------------------------------------------------------------ what to do after plausible

NEXT = "next: "  # how a verdict's note that advises the student starts
MAX_ADVICE = 3


def next_steps(ob: Obligation, lost: list[str] | None = None) -> list[str]:
    """What a student can do with a step the engines left ``plausible`` or ``unknown``: where
    to split it (from the proof methods' reasons: the point where a reduction stopped), the
    library theorem whose conclusion the step has the shape of (``theorem_advice``), the fact
    to state first. Deterministic, from the step's shape only; at most MAX_ADVICE lines, each
    starting with NEXT."""
    from checker.printing import show

    out: list[str] = []
    claim = ob.claim
    for why in dict.fromkeys(lost or []):  # a method got part of the way: which part is missing
        if why.startswith("work budget"):
            continue  # says only that a method stopped, not where: nothing to write as a step
        out.append(f"the checker got part of the way: {why}; write that part as a step of "
                   "its own (or cite a theorem for it)")
    cite = theorem_advice(ob)  # the library theorem the step has the shape of: right after
    if cite is not None:  # the first place a method stopped, before everything else
        out.insert(min(len(out), 1), cite)
    names = sorted(claim.free_names)
    integers = [n for n in names if ob.domain(n).integer and ob.domain(n).lo is not None]
    both = claim.lhs + claim.rhs
    if both.has(sp.Sum) and integers:
        n = integers[0]
        out.append(f"prove it by induction on {n}: a step for the smallest {n}, and a step "
                   f"showing that both sides change by the same amount from {n} to {n} + 1")
    elif integers:
        n = integers[0]
        out.append(f"split it: show it for the smallest {n}, then show the claim at {n} + 1 "
                   f"follows from the claim at {n}; or show it for every real {n} in the range")
    bounds = [h for h in ob.hypotheses if h.op not in ("=", "!=") and (
        (h.lhs.is_Symbol and h.lhs.name in names) or (h.rhs.is_Symbol and h.rhs.name in names))]
    if bounds and claim.op not in ("=", "!="):
        h = bounds[0]
        v, g = (h.lhs, h.rhs) if h.lhs.is_Symbol and h.lhs.name in names else (h.rhs, h.lhs)
        out.append(f"use {h} in two steps: the claim with {v} = {show(g)} put in, then why "
                   f"the claim only gets easier as {v} moves away from {show(g)}")
    args = [a.args[0] for a in both.atoms(sp.log)] + [
        p.base for p in both.atoms(sp.Pow) if not p.exp.is_Integer and p.base.free_symbols]
    compound = [a for a in dict.fromkeys(args) if not a.is_Symbol]
    if compound and claim.op == "=":
        shown = ", ".join(f"{show(a)} > 0" for a in compound[:2])
        out.append(f"state {shown} as a fact first (from your givens), then expand the logs "
                   "and powers")
    if not out:
        out.append("split the step: write the intermediate expression as a line of its own, "
                   "so that each line changes one thing; or cite the theorem this step uses "
                   "(`proofcheck theorems` lists them)")
    return [NEXT + line for line in out[:MAX_ADVICE]]


# ------------------------------------------------------- the theorem whose shape matches


def theorem_advice(ob: Obligation) -> str | None:
    """'this step has the shape of hoeffding_mean_two_sided's conclusion ...: write `by
    hoeffding_mean_two_sided(n = n, t = eps, ...)`', or None: the library theorem whose
    conclusion the step matches (``checker.library.shapes``), with the citation to write. A
    split through a theorem's bound is named only if what is left (from the bound to the
    step's other side) holds at a few sample points. Deterministic and cheap (a bounded number
    of structural matches and exact evaluations); never a verdict."""
    from checker.library.shapes import matches

    for m in matches(ob.claim, ob.hypotheses, limit=3):
        if m.remaining is not None and m.remaining.free_names <= set(ob.names) \
                and _fails_at_samples(Obligation(m.remaining, ob.domains, ob.hypotheses)):
            continue  # a split whose second half is false is a dead end, not advice
        return _cite_words(m)
    return None


def theorem_steps(ob: Obligation) -> list[str]:
    """``theorem_advice`` as ``next:`` notes (for a step refuted only through opaque terms:
    the engines know ``P[...]``, ``KL[...]`` only through what is cited)."""
    cite = theorem_advice(ob)
    return [NEXT + cite] if cite is not None else []


def _cite_words(m: Match) -> str:
    from checker.printing import show

    thm = m.theorem
    given = dict(m.values)
    if m.size:
        sizes = ", ".join(f"{n} = {k}" for n, k in m.size)
        coords = ", ".join(f"{n} = {show(v)}" for n, v in m.values if v is not None)
        sized = {n for n, _ in m.size}
        families = sorted({n.rsplit("_", 1)[0] for n in given})
        params = [n for n in thm.var_names if n not in sized and n not in families
                  and n in given]
        args = ", ".join([f"{n} = {k}" for n, k in m.size] + [f"{f} = ..." for f in families]
                         + [f"{n} = {_value(given[n])}" for n in params])
        return (f"this step is {thm.id} ({thm.name}) written out for {sizes} ({coords}); its "
                f"conclusion is `{thm.statement}`: state the step over a family and cite "
                f"`by {thm.id}({args})` (docs/vectors.md)")
    args = ", ".join(f"{n} = {_value(v)}" for n, v in m.values)
    cite = f"by {thm.id}({args})" if args else f"by {thm.id}"
    if m.whole:
        return (f"this step has the shape of {thm.id}'s conclusion `{thm.statement}` "
                f"({thm.name}): write `{cite}`")
    assert m.matched is not None and m.bound is not None and m.rest is not None
    return (f"`{show(m.matched)}` has the shape of a side of {thm.id}'s conclusion "
            f"`{thm.statement}` ({thm.name}): split the step there, a step `{show(m.matched)} "
            f"{m.op} {show(m.bound)}   {cite}`, then one from `{show(m.bound)}` to "
            f"`{show(m.rest)}`")


def _value(v: sp.Expr | None) -> str:
    from checker.printing import show

    return "..." if v is None else show(v)
