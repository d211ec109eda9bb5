"""The SymPy engine: symbolic identities and sign facts that SymPy can decide.

``prove(ob, budget_s)`` answers

* PROVED when SymPy shows the claim symbolically: an ``=`` claim by reducing ``lhs - rhs``
  to 0 with a ladder of cheap-to-costly rewrites (the reason names the rung, e.g.
  "identity (expand)"), an inequality or ``!=`` claim when SymPy's assumption system,
  fed the domains as symbol assumptions, answers True for the sign of ``f`` in ``f op 0``;
* REFUTED only with a counterexample at a simple point of the domains, re-checked by
  ``checker.numeric.verify_counterexample``;
* UNKNOWN otherwise, with the reason (out of budget, expression too large, SymPy error...).

Every rewrite used is an equivalence wherever the expressions are defined (definedness is
a separate obligation): no ``force=True``, no symbolic summation. Sums and products are
unrolled when their bounds are small integers and otherwise treated as opaque reals.
SymPy has no timeouts, and a verdict must not depend on the machine's load, so the work is
bounded deterministically: each costly call is guarded by a size estimate, the steps between
rungs are counted (``SYMPY_STEPS`` per 2 s of budget), and simplify runs only when the
budget given is large enough for the expression. The clock is never consulted; a call that
still runs away is stopped by the portfolio's safety cap (``checker.timelimit``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from itertools import islice

import sympy as sp

from checker.binders import substitute
from checker.engines import work
from checker.functions import to_elementary
from checker.numeric import Undefined, ball, to_arb, verify_counterexample
from checker.obligations import Counterexample, Domain, Obligation, Relation, Status, Verdict

ENGINE = "sympy"

MAX_NODES = 2000  # larger claims are left to other engines
MAX_BITS = 1000  # larger integer literals likewise
MAX_POWER_BITS = 100_000  # a numeric power whose value would need more bits is not touched
MAX_FACTORIAL = 10_000
MAX_EXPAND_TERMS = 1000  # estimated terms after expansion
MAX_EXPAND_POWER = 50  # (a + b)^n with n above this is never expanded
MAX_FACTOR_NODES = 300
MAX_SIMPLIFY_OPS = 200
SIMPLIFY_MIN_S = 0.5  # simplify runs only with a budget of this much,
SIMPLIFY_S_PER_OP = 0.01  # and this much per operation of its input
SYMPY_STEPS = 400  # steps (rungs, rewrites) per 2 s of budget
MAX_UNROLL = 30  # sums and products with at most this many terms are written out
FIRST_POINTS = 24  # simple points tried before any proof attempt
MAX_POINTS = 64  # simple points tried in all
MAX_CANDIDATES = 10  # values per variable

_SIMPLE_VALUES = tuple(
    Fraction(v)
    for v in ("0", "1", "-1", "2", "1/2", "-2", "-1/2", "3", "1/3", "10", "-3", "1/10", "3/2")
)


class _OutOfTime(Exception):
    """The work budget is spent."""


class _Clock:
    """The engine's work budget: steps counted, never timed (``elapsed`` is for reports)."""

    def __init__(self, budget_s: float) -> None:
        self.start = time.monotonic()
        self.budget_s = max(budget_s, 0.0)
        self.meter = work.Meter(work.amount(SYMPY_STEPS, budget_s))

    def left(self) -> float:
        """The budget's seconds for decisions made up front (deterministic)."""
        return self.budget_s if not self.meter.exhausted else 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def check(self) -> None:
        try:
            self.meter.spend()
        except work.OutOfWork:
            raise _OutOfTime from None


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """Prove ``ob`` symbolically, refute it at a simple point, or say why not (never raises)."""
    clock = _Clock(budget_s)
    try:
        verdict = _prove(ob, clock)
    except _OutOfTime:
        verdict = _unknown("its work budget is spent")
    except RecursionError:
        verdict = _unknown("expression too deep for SymPy")
    except Exception as exc:  # SymPy raises many kinds; none may escape
        verdict = _unknown(f"SymPy failed: {type(exc).__name__}: {exc}"[:200])
    return replace(verdict, time_s=clock.elapsed())


def _unknown(reason: str) -> Verdict:
    return Verdict(Status.UNKNOWN, ENGINE, reason=reason)


def _prove(ob: Obligation, clock: _Clock) -> Verdict:
    problem = _hazard([ob.claim, *ob.hypotheses])
    if problem is not None:
        return _unknown(problem)
    points = simple_points(ob)
    cex = _search(ob, islice(points, FIRST_POINTS), clock)
    if cex is not None:
        return _refuted(cex)
    reason = _try_prove(ob, clock)
    if reason is not None:
        return Verdict(Status.PROVED, ENGINE, reason=reason)
    cex = _search(ob, islice(points, MAX_POINTS - FIRST_POINTS), clock)
    if cex is not None:
        return _refuted(cex)
    clock.check()
    return _unknown("no symbolic proof found")


def _refuted(cex: Counterexample) -> Verdict:
    return Verdict(
        Status.REFUTED, ENGINE, reason="counterexample at a simple point", counterexample=cex
    )


# ------------------------------------------------------------------------------ guards


def _hazard(relations: list[Relation]) -> str | None:
    """Why SymPy should not touch these relations (size, floats, huge numbers), or None."""
    nodes = 0
    for rel in relations:
        for side in (rel.lhs, rel.rhs):
            for e in sp.preorder_traversal(side):
                nodes += 1
                if nodes > MAX_NODES:
                    return "expression too large for the symbolic engine"
                problem = _node_hazard(e)
                if problem is not None:
                    return problem
    return None


def _bits(q: sp.Rational) -> int:
    return max(int(q.p).bit_length(), int(q.q).bit_length())


def _node_hazard(e: sp.Basic) -> str | None:
    if isinstance(e, sp.Float):
        return "decimal floating-point numbers: the symbolic engine needs exact numbers"
    if e is sp.nan or e is sp.zoo or (e.is_Number and e.is_infinite):
        return "infinite or undefined constant"
    if e.is_Rational and _bits(e) > MAX_BITS:
        return "numbers too large for the symbolic engine"
    if e.is_Pow and e.base.is_Rational and e.exp.is_Rational:
        base_bits = _bits(e.base)
        if abs(int(e.exp.p)) * base_bits > MAX_POWER_BITS:
            return "numeric power too large for the symbolic engine"
        if e.exp.q != 1 and base_bits > 300:
            return "root of a number too large for the symbolic engine"
    if isinstance(e, (sp.factorial, sp.binomial, sp.gamma)) and any(
        a.is_Integer and abs(int(a)) > MAX_FACTORIAL for a in e.args
    ):
        return "factorial or binomial of a number too large for the symbolic engine"
    return _constant_hazard(e)


def _constant_hazard(e: sp.Basic) -> str | None:
    """A power or factorial of constants, left unevaluated, whose exact value would be huge.

    The parser leaves such nodes opaque on purpose; any rewrite that rebuilds them would
    evaluate them, so claims holding one are not touched (sizes are read off Arb balls).
    """
    if e.is_Pow and not (e.base.is_Rational and e.exp.is_Rational):
        if e.free_symbols:
            return None
        base, power = _magnitude(e.base), _magnitude(e.exp)
        if base is None or power is None:
            return "power of constants the symbolic engine cannot size"
        scale = max(abs(math.log2(base[0])), abs(math.log2(base[1])), 1.0)
        if power[1] * scale > MAX_POWER_BITS:
            return "numeric power too large for the symbolic engine"
    elif isinstance(e, (sp.factorial, sp.binomial, sp.gamma)) and not e.free_symbols:
        for a in e.args:
            size = _magnitude(a)
            if size is None or size[1] > MAX_FACTORIAL:
                return "factorial or binomial of a number too large for the symbolic engine"
    return None


def _magnitude(e: sp.Basic) -> tuple[float, float] | None:
    """Bounds (lo, hi) on |e| for a constant e, with lo > 0, or None if Arb cannot tell."""
    try:
        value = abs(ball(e, {}, 64))
        lo, hi = float(value.lower()), float(value.upper())
    except Exception:
        return None
    if not (math.isfinite(hi) and math.isfinite(lo)):
        return None
    return max(lo, 2.0**-1000), max(hi, 2.0**-1000)


def _expand_terms(e: sp.Basic) -> int:
    """An upper estimate of the terms ``expand`` handles anywhere inside ``e`` (capped)."""
    cap = MAX_EXPAND_TERMS + 1
    worst = 0

    def terms(x: sp.Basic) -> int:
        nonlocal worst
        if x.is_Atom:
            return 1
        if x.is_Add:
            n = min(sum(terms(a) for a in x.args), cap)
        elif x.is_Mul:
            n = 1
            for a in x.args:
                n = min(n * terms(a), cap)
        elif x.is_Pow:
            k = terms(x.base)
            terms(x.exp)
            n = k
            if x.exp.is_Rational and k > 1:
                power = abs(int(x.exp.p)) // int(x.exp.q)
                if power > MAX_EXPAND_POWER:
                    n = cap
                elif power > 1:
                    n = min(math.comb(power + k - 1, k - 1), cap)
            worst = max(worst, n)
            return 1 if x.exp.is_negative else n
        else:
            for a in x.args:
                terms(a)
            return 1
        worst = max(worst, n)
        return n

    terms(e)
    return worst


def _expandable(e: sp.Basic) -> bool:
    return _expand_terms(e) <= MAX_EXPAND_TERMS


def _node_count(e: sp.Basic, cap: int) -> int:
    n = 0
    for _ in sp.preorder_traversal(e):
        n += 1
        if n > cap:
            break
    return n


# ----------------------------------------------------------------------- preparing a claim


def _try_prove(ob: Obligation, clock: _Clock) -> str | None:
    """The reason the claim holds, or None if no proof was found."""
    mapping = ob.assumed_symbols()
    table: dict[sp.Basic, sp.Symbol] = {}
    claim = _open_relation(ob.claim, table, mapping).subs(mapping)
    hyps = [_open_relation(h, table, mapping).subs(mapping) for h in ob.hypotheses]
    claim, hyps, used = _apply_definitions(claim, hyps, list(ob.hypotheses))
    f, op = claim.difference()
    clock.check()
    if _is_hypothesis(f, op, hyps):
        return "the claim is a hypothesis"
    probes = _probes(ob) if op != "=" else []
    if op == "=":  # no rewrite takes away a sum that stays in f: no ladder then
        reason = None if _moves_with_a_sum(f, table) else _prove_zero(f, clock)
    else:
        reason = _prove_sign(f, op, clock, probes)
    if reason is None:
        reason = _from_hypotheses(f, op, hyps, clock, probes)
    if reason is not None and used:
        reason += " using " + "; ".join(used)
    return reason


def _moves_with_a_sum(f: sp.Expr, table: dict[sp.Basic, sp.Symbol]) -> bool:
    """Whether ``f`` changes with a real standing in for a sum or product (its derivative in
    it a nonzero rational): no identity-preserving rewrite makes such an ``f`` 0 for every
    value of that real, so the ladder of rewrites would only spend its work."""
    for s in table.values():
        if f.has(s):
            d = sp.diff(f, s)
            if d.is_Rational and d != 0:
                return True
    return False


def _open_relation(
    rel: Relation, table: dict[sp.Basic, sp.Symbol], mapping: dict[sp.Symbol, sp.Symbol]
) -> Relation:
    return Relation(
        _open_sums(rel.lhs, table, mapping), rel.op, _open_sums(rel.rhs, table, mapping)
    )


def _open_sums(
    e: sp.Expr, table: dict[sp.Basic, sp.Symbol], mapping: dict[sp.Symbol, sp.Symbol]
) -> sp.Expr:
    """Write out small concrete sums and products; stand the others in by opaque reals.

    Works outermost first, on the plain symbols, so that a bound variable never receives
    the assumptions of a free variable of the same name.
    """
    if isinstance(e, (sp.Sum, sp.Product)):
        unrolled = unroll(e)
        if unrolled is not None:
            return _open_sums(unrolled, table, mapping)
        if e not in table:
            table[e] = sp.Symbol(f"_sum{len(table)}", **_sum_sign(e, mapping))
        return table[e]
    if not e.args or not e.has(sp.Sum, sp.Product):
        return e
    out: sp.Expr = e.func(*[_open_sums(a, table, mapping) for a in e.args])
    return out


def unroll(e: sp.Sum | sp.Product) -> sp.Expr | None:
    """A concrete sum or product written out term by term, or None (bounds not integers,
    more than MAX_UNROLL terms, or a term SymPy should not evaluate)."""
    unevaluated = _terms(e, evaluate=False)
    if unevaluated is None:
        return None
    if _hazard([Relation(t, "=", sp.Integer(0)) for t in unevaluated]) is not None:
        return None
    terms = _terms(e, evaluate=True)
    if terms is None:
        return None
    return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)


def _terms(e: sp.Sum | sp.Product, evaluate: bool) -> list[sp.Expr] | None:
    """Every term, with all the limits written out (None: more than MAX_UNROLL terms).

    SymPy merges nested sums into one with several limits, the innermost first: the outermost
    is written out first, so that the ends of the inner limits become numbers. Substitution
    leaves an inner variable of the same name alone (``sum(k, 1, 3, sum(k, 1, 2, k))``)."""
    kind = type(e)
    pending: list[tuple[sp.Expr, list[sp.Tuple]]] = [(e.function, list(e.limits))]
    terms: list[sp.Expr] = []
    while pending:
        body, limits = pending.pop()
        if not limits:
            terms.append(body)
            continue
        *inner, (k, a, b) = limits
        if not (a.is_Integer and b.is_Integer) or int(b) - int(a) < -1:
            return None
        if len(terms) + len(pending) + int(b) - int(a) + 1 > MAX_UNROLL:
            return None
        scope = kind(body, *inner) if inner else body
        with sp.evaluate(evaluate):
            for v in range(int(a), int(b) + 1):
                out = substitute(scope, {k: sp.Integer(v)})
                if inner and isinstance(out, kind):
                    pending.append((out.function, list(out.limits)))
                else:
                    pending.append((out, []))
    return terms


def _sum_sign(e: sp.Sum | sp.Product, mapping: dict[sp.Symbol, sp.Symbol]) -> dict[str, bool]:
    """Assumptions for the real standing in for a sum or product (empty ones count 0 or 1)."""
    bound = set(e.variables)
    known: dict[sp.Basic, sp.Basic] = {s: t for s, t in mapping.items() if s not in bound}
    for k, a, b in reversed(e.limits):  # the outermost first: an inner k shadows an outer one
        kw = {"integer": True}  # the body is only ever taken at integers of the range
        if a.is_Rational and a >= 0:
            kw["positive" if a > 0 else "nonnegative"] = True
        elif b.is_Rational and b <= 0:
            kw["negative" if b < 0 else "nonpositive"] = True
        known[k] = sp.Symbol(k.name, **kw)
    body = substitute(e.function, known)
    if isinstance(e, sp.Product):
        if body.is_positive:
            return {"positive": True}
        return {"nonnegative": True} if body.is_nonnegative else {"real": True}
    if body.is_nonnegative:
        return {"nonnegative": True}
    return {"nonpositive": True} if body.is_nonpositive else {"real": True}


def _apply_definitions(
    claim: Relation, hyps: list[Relation], shown: list[Relation]
) -> tuple[Relation, list[Relation], list[str]]:
    """Substitute hypotheses ``v = expr`` (v a variable not in expr) into everything else.

    Sound: the new claim quantifies over more points than the old one (v's domain is dropped).
    """
    used: list[str] = []
    hyps = list(hyps)
    for i in range(len(hyps)):
        h = hyps[i]
        if h.op != "=":
            continue
        if h.lhs.is_Symbol and h.lhs not in h.rhs.free_symbols:
            var, value = h.lhs, h.rhs
        elif h.rhs.is_Symbol and h.rhs not in h.lhs.free_symbols:
            var, value = h.rhs, h.lhs
        else:
            continue
        claim = claim.subs({var: value})
        hyps = [g if j == i else g.subs({var: value}) for j, g in enumerate(hyps)]
        used.append(f"hypothesis {_show(shown[i])}")
    return claim, hyps, used


def _show(rel: Relation) -> str:
    try:
        return str(rel)
    except Exception:
        return f"{rel.lhs} {rel.op} {rel.rhs}"


# ------------------------------------------------------------------------------ identities


def _is_zero(e: sp.Expr, clock: _Clock) -> bool:
    """``e`` is 0 structurally, or its numerator over a common denominator expands to 0."""
    if e == 0:
        return True
    clock.check()
    numerator = sp.numer(sp.together(e))
    if numerator == 0:
        return True
    if not _expandable(numerator):
        return False
    clock.check()
    return bool(sp.expand(numerator) == 0)


def _rewrite_exp(e: sp.Expr) -> sp.Expr:
    out: sp.Expr = e.rewrite(sp.exp)
    return out


def _has_power(e: sp.Expr) -> bool:
    return any(p.is_Pow and not p.exp.is_Integer for p in e.atoms(sp.Pow, sp.exp))


def _has_radical(e: sp.Expr) -> bool:
    """A root and no function whose jumps could hide behind radsimp's new denominators."""
    if e.has(sp.floor, sp.ceiling, sp.sign, sp.Piecewise, sp.Heaviside, sp.frac):
        return False
    return any(p.exp.is_Rational and not p.exp.is_Integer for p in e.atoms(sp.Pow))


_TRIG = (sp.sin, sp.cos, sp.tan, sp.cot, sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sec, sp.csc)

# (name, applies to, rewrite): each rewrite is an identity wherever its input is defined
_RUNGS: tuple[tuple[str, Callable[[sp.Expr], bool], Callable[[sp.Expr], sp.Expr]], ...] = (
    ("cancel", lambda e: _expandable(sp.numer(sp.together(e))), sp.cancel),
    ("powsimp", _has_power, sp.powsimp),
    ("expand_log", lambda e: e.has(sp.log), lambda e: sp.expand_log(e, force=False)),
    ("logcombine", lambda e: e.has(sp.log), lambda e: sp.logcombine(e, force=False)),
    ("radsimp", _has_radical, sp.radsimp),
    ("rewrite as exp", lambda e: e.has(*_TRIG), _rewrite_exp),
)


def _prove_zero(f: sp.Expr, clock: _Clock) -> str | None:
    """The rung of the ladder that shows ``f`` is identically 0, or None."""
    if f == 0:
        return "identity (exact)"
    if _is_zero(f, clock):
        return "identity (expand)"
    g = to_elementary(f)
    if g != f and _is_zero(g, clock):
        return "identity (elementary forms, expand)"
    for name, applies, rung in _RUNGS:
        clock.check()
        if not applies(g):
            continue
        clock.check()
        h = rung(g)
        if h != g and _is_zero(h, clock):
            return f"identity ({name})"
    if _simplify_allowed(g, clock):
        h = sp.simplify(g, doit=False)
        if _is_zero(h, clock):
            return "identity (simplify)"
        if g.has(*_TRIG) and _simplify_allowed(g, clock):
            h = sp.simplify(_rewrite_exp(g), doit=False)
            if _is_zero(h, clock):
                return "identity (rewrite as exp, simplify)"
    return None


def _simplify_allowed(e: sp.Expr, clock: _Clock) -> bool:
    """simplify cannot be interrupted: run it on small expressions with budget to spare."""
    if clock.left() < SIMPLIFY_MIN_S:
        return False
    if _node_count(e, 4 * MAX_SIMPLIFY_OPS) > 4 * MAX_SIMPLIFY_OPS:
        return False
    ops = int(sp.count_ops(e))
    return ops <= MAX_SIMPLIFY_OPS and clock.left() >= SIMPLIFY_S_PER_OP * ops


# ---------------------------------------------------------------------------------- signs


def _holds(g: sp.Expr, op: str) -> bool:
    """SymPy's assumption system says ``g op 0`` for every value (True only, never None)."""
    if op == ">":
        return g.is_positive is True
    if op == ">=":
        return g.is_nonnegative is True
    if op == "!=":
        return g.is_nonzero is True
    return False


MAX_FACTOR_EXPONENT = 12


def _max_exponent(e: sp.Expr) -> int:
    """The largest integer exponent on a non-constant base in ``e`` (0 if none)."""
    exps = [abs(int(p.exp)) for p in e.atoms(sp.Pow)
            if p.exp.is_Integer and p.base.free_symbols]
    return max(exps, default=0)


def _forms(f: sp.Expr, clock: _Clock) -> Iterator[tuple[str, sp.Expr]]:
    """``f`` and cheap rewrites of it, each a candidate for a sign read by assumptions."""
    seen: set[sp.Expr] = set()
    bases = [("", f)]
    g = to_elementary(f)
    if g != f:
        bases.append(("elementary forms, ", g))
    for prefix, e in bases:
        small = _expandable(e)
        steps: list[tuple[str, Callable[[sp.Expr], sp.Expr]]] = [
            ("assumptions", lambda x: x),
            ("together", sp.together),
        ]
        if (small and _node_count(e, MAX_FACTOR_NODES) <= MAX_FACTOR_NODES
                and _max_exponent(e) <= MAX_FACTOR_EXPONENT):
            # factoring a high-degree multivariate polynomial can run for minutes, and SymPy
            # cannot be interrupted: (x^2 + y^2 + 1)^40 - (x*y)^40 spun for over 60 s
            steps.append(("factor", sp.factor))
        if small:
            steps.append(("expand", sp.expand))
        if small and _expandable(sp.numer(sp.together(e))):
            steps.append(("cancel", sp.cancel))
        steps.append(("factor_terms", sp.factor_terms))
        for name, step in steps:
            clock.check()
            h = step(e)
            if h in seen:
                continue
            seen.add(h)
            yield prefix + name, h


def _prove_sign(f: sp.Expr, op: str, clock: _Clock,
                probes: list[dict[str, Fraction]] | None = None) -> str | None:
    """The form of ``f`` whose sign SymPy's assumptions read as ``op 0``, or None.

    The assumptions know only the domains (as symbol assumptions), so a sign they prove holds
    at every point of the domains: when ``f op 0`` certainly fails at one of the ``probes``
    (points of the domains, hypotheses ignored), no form can succeed, and none is tried."""
    if probes and _fails_at(f, op, probes):
        return None
    for name, g in _forms(f, clock):
        if _holds(g, op) or (op != ">" and _holds(g, ">")):
            return f"sign ({name})"
        if op == "!=" and _holds(-g, ">"):
            return f"sign ({name})"
    return None


def _sign_of(f: sp.Expr, op: str, clock: _Clock,
             probes: list[dict[str, Fraction]] | None = None) -> bool:
    return _prove_sign(f, op, clock, probes) is not None


PROBE_POINTS = 8  # the first simple points of the domains, as probes
PROBE_FAR = (Fraction(100), Fraction(10_000))  # and far values on a variable's unbounded side
MAX_PROBES = 24


def _probes(ob: Obligation) -> list[dict[str, Fraction]]:
    """Points of the domains (hypotheses ignored) where a sign is tested before SymPy is
    asked for it: the first simple points, and two of them (the simplest, and every
    variable at its second simplest value) with each variable in turn moved far out where
    its domain is unbounded (a term linear in n beats one in log(n) only there)."""
    points = list(islice(simple_points(ob), PROBE_POINTS))
    if not points:
        return []
    values = {n: _candidates(ob.domain(n)) for n in ob.names}
    bases = [points[0], {n: v[min(1, len(v) - 1)] for n, v in values.items()}]
    for base in bases:
        for name in ob.names:
            d = ob.domain(name)
            far = [v for v in PROBE_FAR if d.hi is None] + [-v for v in PROBE_FAR if d.lo is None]
            points += [{**base, name: v} for v in far if d.contains(v)]
    return points[:MAX_PROBES]


def _fails_at(f: sp.Expr, op: str, points: list[dict[str, Fraction]]) -> bool:
    """Whether ``f op 0`` (op ``>=``, ``>`` or ``!=``) certainly fails at one of the points, by
    one Arb ball of 64 bits (``!=`` fails only where the ball is exactly 0: rational
    arithmetic; undefined or undecided points say nothing)."""
    if op not in (">=", ">", "!="):
        return False
    for pt in points:
        try:
            d = ball(f, {n: to_arb(v) for n, v in pt.items()}, 64)
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
        if d.is_nan():
            continue
        if (op == ">=" and d < 0) or (op == ">" and d <= 0) or (op == "!=" and d == 0):
            return True
    return False


def _is_hypothesis(f: sp.Expr, op: str, hyps: list[Relation]) -> bool:
    for h in hyps:
        g, hop = h.difference()
        if hop == op and (f - g == 0 or (op in ("=", "!=") and f + g == 0)):
            return True
    return False


def _from_hypotheses(f: sp.Expr, op: str, hyps: list[Relation], clock: _Clock,
                     probes: list[dict[str, Fraction]] | None = None) -> str | None:
    """The claim ``f op 0`` is a hypothesis, or follows from one ``g op2 0`` plus a known sign."""
    for h in hyps:
        g, hop = h.difference()
        if op in ("=", "!="):
            if hop == op and (_is_zero(f - g, clock) or _is_zero(f + g, clock)):
                return "the claim is a hypothesis"
            if op == "=":
                continue
        facts = [(g, hop)] if hop in (">", ">=") else []
        if hop == "=":
            facts = [(g, ">="), (-g, ">=")]
        for fact, fop in facts:
            rest = f - fact
            # f = fact + rest with fact fop 0: f > 0 when either part is strict, else f >= 0
            # (rest >= 0 is asked as "rest >= 0 or rest > 0": one pass over the forms)
            weak = fop == ">" or op == ">="
            if _sign_of(rest, ">=" if weak else ">", clock, probes):
                if rest == 0:
                    return "the claim is a hypothesis"
                return "hypothesis plus a term of known sign"
    return None


# ------------------------------------------------------------------------- counterexamples


def _candidates(d: Domain) -> list[Fraction]:
    """A few simple values of the domain, simplest first."""
    pool = list(_SIMPLE_VALUES)
    half = Fraction(1, 2)
    if d.lo is not None:
        pool += [d.lo, d.lo + 1, d.lo + half, d.lo + 2, d.lo + 10]
    if d.hi is not None:
        pool += [d.hi, d.hi - 1, d.hi - half, d.hi - 2, d.hi - 10]
    if d.lo is not None and d.hi is not None:
        width = d.hi - d.lo
        pool += [d.lo + width / k for k in (2, 4, 10)] + [d.hi - width / k for k in (4, 10)]
    if d.integer:
        pool = [Fraction(math.ceil(v)) for v in pool] + [Fraction(math.floor(v)) for v in pool]
        if d.lo is not None:
            pool += [Fraction(math.floor(d.lo) + i) for i in range(1, 5)]
        if d.hi is not None:
            pool += [Fraction(math.ceil(d.hi) - i) for i in range(1, 5)]
    out: list[Fraction] = []
    for v in pool:
        if v not in out and d.contains(v):
            out.append(v)
        if len(out) == MAX_CANDIDATES:
            break
    return out


def simple_points(ob: Obligation) -> Iterator[dict[str, Fraction]]:
    """Points of the domains built from simple values (0, 1, -1, 2, 1/2, ..., the domains'
    ends), in order of increasing total rank: the simplest first. Hypotheses are ignored."""
    names = ob.names
    values = [_candidates(ob.domain(n)) for n in names]
    if any(not v for v in values):
        return
    sizes = [len(v) for v in values]
    for total in range(sum(s - 1 for s in sizes) + 1):
        for idx in _ranks(total, sizes):
            yield {n: v[i] for n, v, i in zip(names, values, idx, strict=True)}


def _ranks(total: int, sizes: list[int]) -> Iterator[tuple[int, ...]]:
    if not sizes:
        if total == 0:
            yield ()
        return
    for i in range(min(total, sizes[0] - 1) + 1):
        for rest in _ranks(total - i, sizes[1:]):
            yield (i, *rest)


def _search(
    ob: Obligation, points: Iterator[dict[str, Fraction]], clock: _Clock
) -> Counterexample | None:
    for point in points:
        if clock.left() <= 0:
            return None
        cex = verify_counterexample(ob, point)
        if cex is not None:
            return cex
    return None
