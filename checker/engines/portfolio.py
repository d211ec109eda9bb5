"""Choose and order the engines for an obligation, within one time budget.

The first definite answer wins: PROVED (cross-checked at sample points, so that an engine's
mistake can never become ``proved``; a proof that no sample point could cross-check is not
accepted) or REFUTED (its counterexample re-checked rigorously). With no definite answer,
the search's PLAUSIBLE, else UNKNOWN with every engine's reason.

Before the engines run, hypotheses ``s = e`` that define a variable are eliminated
(``eliminate``), and the whole check runs under a hard time limit (``checker.timelimit``):
a check that overruns it is ``unknown (time limit: ...)``, a verdict that depends on the
machine and is therefore never kept in the verdict cache.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Protocol

import sympy as sp

from checker import timelimit
from checker.binders import substitute
from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import (
    Undefined,
    ball,
    decimal_of,
    exact,
    holds_at,
    to_arb,
    verify_counterexample,
)
from checker.obligations import (
    TIME_LIMIT,
    Counterexample,
    Domain,
    Obligation,
    Relation,
    Status,
    Verdict,
    sym,
)

DEFAULT_BUDGET_S = 2.0
CROSS_CHECK_POINTS = 12


class VerdictCache(Protocol):
    """Where verdicts of identical obligations are kept across runs (see checker.grade).

    ``check`` calls ``get`` first, computes the verdict only on a miss, then calls ``put``:
    the batch grader's per-obligation isolation relies on exactly this order (its ``get``
    forks a child that computes and ``put``s through a pipe). Keep it.

    ``put`` is called with every verdict, but must not keep one whose ``time_limited`` is
    true: a hard time limit depends on the machine, so such a verdict is good
    for this run only."""

    def get(self, key: str) -> Verdict | None: ...

    def put(self, key: str, verdict: Verdict) -> None: ...


class MemoryCache:
    """A verdict cache for one process (validation re-checks many identical obligations)."""

    def __init__(self) -> None:
        self.verdicts: dict[str, Verdict] = {}

    def get(self, key: str) -> Verdict | None:
        return self.verdicts.get(key)

    def put(self, key: str, verdict: Verdict) -> None:
        if not verdict.time_limited:
            self.verdicts[key] = verdict


_cache: VerdictCache | None = None


def set_cache(cache: VerdictCache | None) -> None:
    """Use ``cache`` for every obligation checked from now on in this process (None: off)."""
    global _cache
    _cache = cache


def cache_key(ob: Obligation, budget_s: float, mode: str) -> str:
    """The obligation's canonical form with everything that can change its verdict."""
    from checker import __version__

    return f"{__version__}\n{mode}\n{budget_s:g}\n{ob.key()}"

_TRANSCENDENTAL = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.atan, sp.asin, sp.acos, sp.sinh,
                   sp.cosh, sp.tanh, sp.erf, sp.erfc, Phi, PhiInv, Sigmoid, sp.factorial,
                   sp.binomial, sp.floor, sp.ceiling, sp.Sum)

Engine = Callable[[Obligation, float], Verdict]

# SymPy's assumption system (``is_positive`` ...) tries related facts in a shuffled order: a
# set's order (which depends on the process's hash seed) shuffled by a generator seeded afresh
# in every process. The route it takes, a quick rule or an ``evalf`` that can spin for minutes
# (``e^(e^(e^(e^e))).is_positive`` does either, run to run), then changes from run to run, and
# so could a verdict. Sort first and shuffle with a generator seeded from each obligation (in
# ``_check``). (``sympy.core.assumptions`` as an attribute is a function: import the module.)
_ASSUMPTIONS_RNG = random.Random(0)


def _ordered_shuffle(facts: list[str]) -> None:
    facts.sort()
    _ASSUMPTIONS_RNG.shuffle(facts)


vars(importlib.import_module("sympy.core.assumptions"))["shuffle"] = _ordered_shuffle


def _engine(name: str) -> Engine:
    if name == "sympy":
        from checker.engines import sympy_engine

        return sympy_engine.prove
    if name in ("z3", "z3-quick"):
        from checker.engines import z3_engine

        return z3_engine.prove
    if name in ("intervals", "intervals-quick"):
        from checker.engines import intervals

        return intervals.prove
    if name == "search":
        from checker.engines import search

        return search.prove
    if name == "point":
        return _point
    if name == "sample":
        return _sampled
    if name in METHODS:  # a proof method: checker/engines/<name>.py
        method: Engine = importlib.import_module(f"checker.engines.{name}").prove
        return method
    raise ValueError(name)


def shape(ob: Obligation) -> str:
    """'constant', 'algebraic' (polynomial, rational, roots) or 'transcendental'."""
    exprs = [ob.claim.lhs, ob.claim.rhs] + [h.lhs for h in ob.hypotheses] + [
        h.rhs for h in ob.hypotheses]
    if not ob.names:
        return "constant"
    for e in exprs:
        if e.has(*_TRANSCENDENTAL, sp.Abs, sp.Max, sp.Min, sp.pi, sp.E):
            return "transcendental"
        for p in e.atoms(sp.Pow):
            if not p.exp.is_Rational:
                return "transcendental"
    return "algebraic"


# proof methods: each reduces a claim of one shape to sub-obligations that the portfolio
# decides (checker.engines.subproof); tried before the search, and each answers at once, with
# no reason, when the claim's shape does not fit it
METHODS: tuple[str, ...] = ("positivity", "sums", "logrules", "substitution",
                            "logtransform", "induction")
# calculus methods, sharing one recursion of sub-goals (checker.engines.goals): case splits on
# max/min/abs, concavity in a bounded variable, derivative signs from an anchor, an inverse
# function applied to both sides
CALCULUS = ("cases", "convexity", "monotone", "inverse")
# the specific ones first (cases: only with a kink; convexity: a bounded variable), the broad
# ones last; cases first of all, as it starts the calculus engines' shared work budget
METHODS = (*CALCULUS[:2], *METHODS, *CALCULUS[2:])


def plan(ob: Obligation, mode: str = "auto") -> list[str]:
    """The engines to try, in order, for this obligation (mode "proof": a method's
    sub-obligation, where only a proof helps, so no search; "evidence": no proof methods)."""
    if mode == "proof":
        return [e for e in plan(ob, "auto") if e not in ("search", "sample")]
    if mode == "evidence":  # a claim in small dimensions, for a refutation or evidence only
        return [e for e in plan(ob, "auto") if e not in METHODS]
    engines = _base_plan(ob, mode)
    if mode != "auto" or "search" not in engines:
        return engines
    i = engines.index("search")
    methods = list(METHODS)
    integer = _integer_parameter(ob)
    if integer:
        # a claim about an integer n >= n0: induction (or its real relaxation) is what
        # proves it, and the other engines and methods first only delay it (``factorial(n)
        # >= (n/e)^n``: induction's ratio step compares the logs itself); it goes right
        # after the sample points (which refute a false one at once)
        methods.remove("induction")
    # the interval engine first gets a short turn (most of its proofs take a tenth of its
    # share), and its full share only after the methods, if the short turn ran out of work
    # (``_SECOND_TURN``): a claim it cannot certify does not delay the method that proves it
    before = ["intervals-quick" if e == "intervals" else e for e in engines[:i]]
    after = engines[i:]
    if "intervals-quick" in before:
        after = ["intervals", *after]
    if ob.claim.op == "=" and "z3-quick" in before:
        # a log or power identity: the log rules decide it in milliseconds, where Z3's
        # abstraction of the logs rarely proves an equation and may spend its whole turn
        methods.remove("logrules")
        before.insert(before.index("z3-quick"), "logrules")
    if "z3-quick" in before and "z3" in before and ob.hypotheses:
        # a hypothesis v >= g(...) used by monotonicity: substitution decides it in a tenth
        # of Z3's full turn, which rarely proves such a claim (exp of a bound)
        methods.remove("substitution")
        before.insert(before.index("z3"), "substitution")
    # a false claim usually fails at one of a few simple points: try them right after the
    # first engine (a short solver turn, or SymPy for an equation, which also refute at once)
    # and before the others (milliseconds, where another solver or a proof method may spend
    # the whole budget)
    return [*before[:1], "sample", *(["induction"] if integer else []), *before[1:], *methods,
            *after]


def _integer_parameter(ob: Obligation) -> bool:
    """Whether the claim has an integer variable with a lower bound (induction applies)."""
    names = ob.claim.lhs.free_symbols | ob.claim.rhs.free_symbols
    return any(ob.domain(str(v)).integer and ob.domain(str(v)).lo is not None for v in names)


def _base_plan(ob: Obligation, mode: str) -> list[str]:
    kind = shape(ob)
    if mode == "numeric":
        return ["point"] if kind == "constant" else ["intervals", "search"]
    if kind == "constant":
        return ["point", "sympy", "intervals"]
    equality = ob.claim.op in ("=", "!=")
    if equality:
        # a short Z3 turn before the search: a != claim often follows from a linear
        # hypothesis that Z3 sees at once, while the search can only sample it
        return ["sympy", "z3", "search"] if kind == "algebraic" else [
            "sympy", "z3-quick", "search", "z3"]
    if kind == "algebraic":
        return ["z3", "sympy", "intervals", "search"]
    # a short Z3 turn first: its abstraction proves many such claims in milliseconds, and it
    # keeps its time limit strictly, while a SymPy call cannot be interrupted and may overrun
    # its share on a loaded machine (a verdict must not depend on the load)
    return ["z3-quick", "sympy", "intervals", "z3", "search"]


# the share of the budget each engine gets, as deterministic work (checker.engines.work: a
# budget is an amount of work, never a deadline, so that a verdict does not depend on the
# machine's load); the shares add up to more than 1 because most engines finish early
_SHARE = {"point": 1.0, "sample": 1.0, "sympy": 0.3, "z3": 0.4, "z3-quick": 0.1, "intervals": 0.5,
          "intervals-quick": 0.1,
          "search": 1.0}
_SHARE.update(dict.fromkeys(METHODS, 0.6))  # split among the method's sub-obligations
_SHARE.update(dict.fromkeys(CALCULUS, 1.0))  # one work budget, shared by the four (goals.begin)


def _guarded(step: Callable[[Obligation, Verdict], Verdict], ob: Obligation,
             v: Verdict) -> Verdict:
    """A re-check that fails (e.g. out of memory) leaves the answer unknown, never raised."""
    try:
        return step(ob, v)
    except Exception as exc:
        return Verdict(Status.UNKNOWN, v.engine,
                       f"its answer could not be re-checked ({type(exc).__name__})")


def check(ob: Obligation, budget_s: float = DEFAULT_BUDGET_S, mode: str = "auto") -> Verdict:
    """The portfolio's verdict for one obligation. Never raises (but an expired outer
    ``checker.timelimit.HardLimit`` of a caller still reaches that caller)."""
    if _cache is None:
        return _bounded(ob, budget_s, mode)
    key = cache_key(ob, budget_s, mode)
    try:
        cached = _cache.get(key)
    except Exception:  # a broken cache costs speed, never a verdict
        cached = None
    if cached is not None:
        return cached
    verdict = _bounded(ob, budget_s, mode)
    with contextlib.suppress(Exception):  # a cache that cannot store costs only speed
        _cache.put(key, verdict)  # called even for a time-limited verdict: the protocol
    return verdict


def _bounded(ob: Obligation, budget_s: float, mode: str) -> Verdict:
    """``_check`` under a hard time limit of a few times the budget (see checker.timelimit):
    a SymPy or mpmath call that never looks at the clock is stopped from outside."""
    start = time.perf_counter()
    limit = timelimit.HardLimit(timelimit.hard_seconds(budget_s))
    verdict: Verdict | None = None
    try:
        with limit:
            verdict = _check(ob, budget_s, mode)
    except timelimit.TimeLimit as exc:
        limit.close()  # idempotent: the signal may have come while the limit was closing
        if exc.limit is not limit:
            raise
    if verdict is not None:
        return verdict
    return _timed(Verdict(Status.UNKNOWN, "portfolio",
                          f"{TIME_LIMIT}: the check was stopped after {limit.seconds:g} s of "
                          f"CPU time (budget {budget_s:g} s); this depends on the machine, so "
                          "it is not kept in the verdict cache"), start)


def _check(ob: Obligation, budget_s: float, mode: str) -> Verdict:
    start = time.perf_counter()
    _ASSUMPTIONS_RNG.seed(ob.seed())  # see _ordered_shuffle
    if mode == "contradiction":  # do the hypotheses contradict each other? (no cross-check:
        from checker.engines.contradiction import contradiction  # a proof has no point)

        return _timed(contradiction(ob, budget_s), start)
    from checker.vectors import engine as vectors  # vectors of a symbolic dimension

    if vectors.applies(ob):
        verdict = vectors.check(ob, budget_s, mode, _check)
        if verdict.status in (Status.PLAUSIBLE, Status.UNKNOWN) and not verdict.time_limited:
            verdict = _advised(ob, verdict, [], mode)  # what to do next, as for any step
        return _timed(verdict, start)
    original = ob
    ob, eliminated = eliminate(ob)
    verdict = _decide(ob, budget_s, mode, start)
    if not eliminated:
        return verdict
    return _restore(original, ob, eliminated, verdict)


# an engine's full turn, and the short turn before it: the full turn runs only when the short
# one stopped for want of work (its reason starts with OUT_OF_WORK)
_SECOND_TURN = {"intervals": "intervals-quick"}
OUT_OF_WORK = "interval search exhausted its work budget"


# a profile of where a check spends its CPU time (bench/engines.py): when a list, every
# engine run appends (nesting depth, engine, CPU seconds, status). Never read by the engines.
profile: list[tuple[int, str, float, str]] | None = None


def _decide(ob: Obligation, budget_s: float, mode: str, start: float) -> Verdict:
    reasons: list[str] = []
    lost: list[str] = []  # where the proof methods stopped (for the student's next step)
    plausible: Verdict | None = None
    stopped: set[str] = set()  # engines whose short turn ran out of work
    engines = plan(ob, mode)
    for name in engines:
        first = _SECOND_TURN.get(name)
        if first in engines and first not in stopped:
            continue  # its short turn decided what it could: a longer one would not help
        verdict = _profiled(name, ob, budget_s * _SHARE[name])
        if verdict.status is Status.UNKNOWN and verdict.reason.startswith(OUT_OF_WORK):
            stopped.add(name)
        if verdict.time_limited:  # an engine's safety cap: machine-dependent
            return _timed(verdict, start)
        if verdict.status is Status.PROVED:
            return _timed(_rechecked(_cross_check, ob, verdict), start)
        if verdict.status is Status.REFUTED:
            return _timed(_cite_advised(ob, _rechecked(_recheck, ob, verdict), mode), start)
        if verdict.status is Status.PLAUSIBLE:
            plausible = verdict
        elif verdict.reason:
            reasons.append(f"{name}: {verdict.reason}")
            if name in METHODS:
                lost.append(verdict.reason)
    if plausible is not None:
        return _timed(_advised(ob, plausible, lost, mode), start)
    return _timed(_advised(ob, Verdict(Status.UNKNOWN, "portfolio",
                                       "; ".join(reasons) or "no engine answered"), lost, mode),
                  start)


def _advised(ob: Obligation, v: Verdict, lost: list[str], mode: str) -> Verdict:
    """A plausible or unknown verdict of a whole check gets notes on what the student can do
    next (``checker.feedback.next_steps``: where a proof method stopped, how to split the
    step); a method's sub-obligations do not."""
    from checker.engines import subproof
    from checker.feedback import next_steps

    if mode != "auto" or subproof.depth() > 0:
        return v
    try:
        advice = next_steps(ob, lost)
    except Exception:  # advice is a bonus: it must never cost the verdict
        return v
    return replace(v, notes=(*v.notes, *advice))


def _cite_advised(ob: Obligation, v: Verdict, mode: str) -> Verdict:
    """A step refuted only through opaque terms (the counterexample gives ``P[...]`` or
    ``KL[...]`` a value: the engines know them only through what is cited) gets a note naming
    the library theorem whose conclusion it has the shape of (``checker.feedback``)."""
    from checker.engines import subproof
    from checker.feedback import theorem_steps

    cx = v.counterexample
    if mode != "auto" or subproof.depth() > 0 or v.status is not Status.REFUTED or cx is None \
            or not any(name.endswith("]") for name, _ in cx.values):
        return v
    try:
        advice = theorem_steps(ob)
    except Exception:  # advice is a bonus: it must never cost the verdict
        return v
    return replace(v, notes=(*v.notes, *advice)) if advice else v


def _rechecked(step: Callable[[Obligation, Verdict], Verdict], ob: Obligation,
               v: Verdict) -> Verdict:
    if profile is None:
        return _guarded(step, ob, v)
    from checker.engines import subproof

    cpu = time.process_time()
    out = _guarded(step, ob, v)
    profile.append((subproof.depth(), "cross-check" if step is _cross_check else "re-check",
                    time.process_time() - cpu, out.status.value))
    return out


def _profiled(name: str, ob: Obligation, budget: float) -> Verdict:
    if profile is None:
        return _run(name, ob, budget)
    from checker.engines import subproof

    cpu = time.process_time()
    verdict = _run(name, ob, budget)
    profile.append((subproof.depth(), name, time.process_time() - cpu, verdict.status.value))
    return verdict


def _run(name: str, ob: Obligation, budget: float) -> Verdict:
    try:
        return _engine(name)(ob, budget)
    except Exception as exc:  # an engine's failure costs only its own answer
        return Verdict(Status.UNKNOWN, name, f"failed ({type(exc).__name__}: {exc})"[:300])


def _timed(v: Verdict, start: float) -> Verdict:
    return Verdict(v.status, v.engine, v.reason, v.counterexample, v.samples,
                   round(time.perf_counter() - start, 4), v.notes)


def _recheck(ob: Obligation, v: Verdict) -> Verdict:
    cx = v.counterexample
    if cx is not None and verify_counterexample(ob, dict(cx.values)) is not None:
        return v
    return Verdict(Status.UNKNOWN, v.engine,
                   "its counterexample did not survive an exact re-check (engine error)")


def _point(ob: Obligation, budget: float) -> Verdict:
    """A claim with no variables: decide it with exact or Arb arithmetic."""
    try:
        for h in ob.hypotheses:
            if holds_at(h, {}) is not True:
                return Verdict(Status.UNKNOWN, "numeric", "a hypothesis could not be confirmed")
        decided = holds_at(ob.claim, {})
    except Undefined as exc:
        return Verdict(Status.UNKNOWN, "numeric", f"undefined: {exc}")
    if decided is True:
        return Verdict(Status.PROVED, "numeric", "evaluated with rigorous error bounds")
    if decided is False:
        cx = verify_counterexample(ob, {})
        if cx is not None:
            return Verdict(Status.REFUTED, "numeric", "evaluated with rigorous error bounds",
                           counterexample=cx)
    return Verdict(Status.UNKNOWN, "numeric", "the two sides are too close to separate")


def _sampled(ob: Obligation, budget: float) -> Verdict:
    """REFUTED when the claim fails at a point of a small grid of simple values or at one of
    the cross-check's points (``cheap_points``), confirmed exactly (``verify_counterexample``:
    domains, hypotheses, definedness); the simplest such point is reported. Else UNKNOWN,
    with no reason (the search samples many more points later). It never proves."""
    f, op = ob.claim.difference()
    failing: list[dict[str, Fraction]] = []
    for pt in [*_simple_points(ob), *cheap_points(ob)]:
        try:
            if _fails(f, op, pt):
                failing.append(pt)
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
    for pt in sorted(failing, key=_simplicity)[:MAX_CONFIRM]:
        cx = verify_counterexample(ob, pt)
        if cx is not None:
            return Verdict(Status.REFUTED, "sample",
                           "false at one of the sample points, confirmed exactly",
                           counterexample=cx)
    return Verdict(Status.UNKNOWN, "sample", "")


def _fails(f: sp.Expr, op: str, pt: dict[str, Fraction]) -> bool:
    """Whether ``f op 0`` certainly fails at the point: exactly, else by one Arb ball of 64
    bits (a claim that holds there, an identity above all, is never decided by balls, and a
    ladder of precisions would cost far more than this stage is worth; the search and the
    re-check go further)."""
    q = exact(f, pt)
    if q is None:
        d = ball(f, {n: to_arb(v) for n, v in pt.items()}, 64)
        if op == "=":
            return not d.contains(0)
        if op == "!=":
            return bool(d == 0)
        return bool({">=": d < 0, ">": d <= 0, "<=": d > 0, "<": d >= 0}[op])
    return not {"=": q == 0, "!=": q != 0, ">=": q >= 0, ">": q > 0, "<=": q <= 0,
                "<": q < 0}[op]


MAX_CONFIRM = 8  # failing points confirmed exactly (each checks the hypotheses too)
SIMPLE_VALUES = tuple(Fraction(v) for v in ("0", "1", "-1", "1/2", "2", "-2", "-1/2", "3",
                                            "1/10", "10", "-10"))
SIMPLE_PER_VARIABLE = 6
SIMPLE_POINTS = 36


def _simple_points(ob: Obligation) -> list[dict[str, Fraction]]:
    """A small grid of simple values (0, 1, -1, 1/2, ..., the domains' ends and midpoints),
    so that a counterexample is as simple as it can be (x = 1/2 for ``x^2 >= x``)."""
    per: list[list[Fraction]] = []
    names = ob.names
    # about SIMPLE_POINTS points in all, whatever the number of variables
    size = min(SIMPLE_PER_VARIABLE, max(2, round(SIMPLE_POINTS ** (1 / max(1, len(names))))))
    for n in names:
        d = ob.domain(n)
        cands = list(SIMPLE_VALUES)
        for b in (d.lo, d.hi):
            if b is not None:
                cands += [b, b + 1, b - 1]
        if d.lo is not None and d.hi is not None:
            cands.append((d.lo + d.hi) / 2)
        per.append(list(dict.fromkeys(c for c in cands if d.contains(c)))[:size])
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.islice(itertools.product(*per), SIMPLE_POINTS)]


def _simplicity(pt: dict[str, Fraction]) -> tuple[int, int, list[Fraction]]:
    return (sum(v.denominator for v in pt.values()),
            sum(abs(v.numerator) for v in pt.values()), sorted(pt.values()))


# ------------------------------------------------------------------------------ cross-check

_SUMS = (sp.Sum, sp.factorial, sp.binomial)
CHEAP_VALUE = 200  # with a sum or factorial, points beyond this cost thousands of terms


def cheap_points(ob: Obligation) -> list[dict[str, Fraction]]:
    """The cross-check's points, without those where the claim is costly to evaluate: with
    a sum, factorial or binomial, points with a coordinate above CHEAP_VALUE in size
    (``sum(k, 0, n, binomial(n, k))`` at n = 9679 takes seconds and decides nothing);
    all of them when that would leave none."""
    points = sample_points(ob, CROSS_CHECK_POINTS)
    if not (ob.claim.lhs.has(*_SUMS) or ob.claim.rhs.has(*_SUMS)):
        return points
    cheap = [pt for pt in points if all(abs(v.numerator) <= CHEAP_VALUE
                                         and v.denominator <= CHEAP_VALUE for v in pt.values())]
    return cheap or points


_POINTS: dict[tuple[str, int], list[dict[str, Fraction]]] = {}  # sample_points, memoized
MAX_MEMO = 512


def sample_points(ob: Obligation, count: int) -> list[dict[str, Fraction]]:
    """``_sample_points``, memoized (a check asks for the same points several times: the
    sample stage, the cross-check, a method's sub-obligations). Deterministic either way."""
    key = (ob.key(), count)
    points = _POINTS.get(key)
    if points is None:
        points = _sample_points(ob, count)
        if len(_POINTS) >= MAX_MEMO:
            _POINTS.clear()
        _POINTS[key] = points
    return [dict(pt) for pt in points]


def _sample_points(ob: Obligation, count: int) -> list[dict[str, Fraction]]:
    """Deterministic points of the domains that satisfy the hypotheses (as far as found).

    Up to SAMPLE_TRIES draws per point wanted, alternating between uniform draws on the
    domains (windows of width 40 where unbounded) and the search's sampler (small integers,
    simple fractions, values at and near the domains' bounds, windows across scales, domains
    narrowed by bounds among the hypotheses). A variable that an equality hypothesis defines
    (``definition``) is computed from the others instead of drawn, when its value there is
    rational. A hypothesis holds at a point as ``_satisfies`` says.
    """
    from checker.engines import search

    names = ob.names
    if count <= 0:
        return []
    if not names:
        return [{}] if _satisfies(ob, {}) else []
    defined = _defined(ob)
    drawn = [n for n in names if n not in defined]
    narrowed = [search.sampling_domain(ob, n) for n in drawn]
    samplers = [] if any(d.is_empty for d in narrowed) else [search.Sampler(d) for d in narrowed]
    rng = random.Random(ob.seed())
    points: list[dict[str, Fraction]] = []
    seen: set[tuple[Fraction, ...]] = set()
    # cheap hypotheses first: most draws fail one, and a sum of many terms is costly
    ordered = replace(ob, hypotheses=tuple(sorted(ob.hypotheses, key=_cost)))
    for i in range(SAMPLE_TRIES * count):
        if len(points) >= count:
            break
        if i % 2 == 1 and samplers:
            pt = {n: sm.draw(lambda k: rng.randint(0, k))
                  for n, sm in zip(drawn, samplers, strict=True)}
        else:
            pt = {n: _draw(ob.domain(n), rng) for n in drawn}
        key = tuple(pt[n] for n in drawn)
        if key in seen:
            continue
        seen.add(key)
        full = _complete(ob, pt, defined)
        if full is not None and _satisfies(ordered, full):
            points.append(full)
    return points


def _cost(h: Relation) -> tuple[bool, int]:
    return (h.lhs.has(sp.Sum) or h.rhs.has(sp.Sum), sp.count_ops(h.lhs) + sp.count_ops(h.rhs))


SAMPLE_TRIES = 10  # draws per point wanted; when they all miss, Z3 is asked for a witness


def _defined(ob: Obligation) -> dict[str, sp.Expr]:
    """Variables an equality hypothesis defines from others, in an order they can be computed."""
    out: dict[str, sp.Expr] = {}
    for h in ob.hypotheses:
        d = definition(h, ob)
        if d is None or d[0] in out:
            continue
        name, value = d
        if any(s.name in out or s.name == name for s in value.free_symbols):
            continue  # keep it simple: definitions from drawn variables only
        out[name] = value
    return out


def _complete(ob: Obligation, pt: dict[str, Fraction],
              defined: dict[str, sp.Expr]) -> dict[str, Fraction] | None:
    full = dict(pt)
    for name, value in defined.items():
        try:
            q = exact(value, full)
        except (Undefined, ZeroDivisionError):
            return None
        if q is None or not ob.domain(name).contains(q):
            return None
        full[name] = q
    return full


def _satisfies(ob: Obligation, pt: dict[str, Fraction]) -> bool:
    """The point is in the domains and every hypothesis holds there, where a non-strict one
    (=, <=, >=) that balls of 1,000 bits cannot decide counts as holding: an identity such
    as ``log(a^d) = d*log(a)`` is never decided by balls, and these points only test a proof."""
    if not all(ob.domain(n).contains(v) for n, v in pt.items()):
        return False
    try:
        for h in ob.hypotheses:
            ok = holds_at(h, pt)
            if ok is False or (ok is None and h.op in ("<", ">", "!=")):
                return False
    except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
        return False
    return True


def _draw(d: Domain, rng: random.Random) -> Fraction:
    lo = d.lo if d.lo is not None else (d.hi - 20 if d.hi is not None else Fraction(-20))
    hi = d.hi if d.hi is not None else lo + 40
    for _ in range(50):
        if d.integer:
            v = Fraction(rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(hi))))
        else:
            v = lo + (hi - lo) * Fraction(rng.randint(1, 999), 1000)
        if d.contains(v):
            return v
    return lo


NO_CROSS_CHECK = ("proved by {engine}, but no sample point satisfying the hypotheses could be "
                  "evaluated to cross-check it")


def _cross_check(ob: Obligation, v: Verdict) -> Verdict:
    """Evaluate the claim at sample points: a proof contradicted by a number is not a proof,
    and a proof that no number could confirm is not accepted either (an engine that proves
    anything from contradictory hypotheses, or from a wrong fact, must not give ``proved``)."""
    checked = 0
    points = cheap_points(ob)
    if not points and ob.hypotheses:  # random draws missed: ask Z3 for a witness (cheaper
        # than more draws when the hypotheses pin a variable far away or to a thin set)
        from checker.engines import z3_engine

        points = [pt for pt in z3_engine.witnesses(ob) if _satisfies(ob, pt)][:1]
    for pt in points:
        try:
            ok = holds_at(ob.claim, pt)
        except (Undefined, NotImplementedError, ZeroDivisionError):
            continue
        if ok is False:
            shown = ", ".join(f"{k} = {val}" for k, val in pt.items())
            return Verdict(Status.UNKNOWN, v.engine,
                           f"engines disagree: {v.engine} proved it, but it is false at {shown}; "
                           "please report this")
        # undecided at a point: consistent with a claim that may hold with equality there
        checked += ok is True or ob.claim.op in ("=", "<=", ">=")
    if checked == 0:
        why = NO_CROSS_CHECK.format(engine=v.engine)
        if points:
            where = ("the one point" if len(points) == 1
                     else f"any of the {len(points)} points")
            why += (f" (the claim could not be decided at {where} found: too large, too "
                    "close to call or undefined there)")
        else:
            why += "; the hypotheses may be contradictory"
        return Verdict(Status.UNKNOWN, v.engine, why, notes=(*v.notes, "cross-checked at 0 points"))
    note = f"cross-checked at {checked} points"
    return Verdict(v.status, v.engine, v.reason, v.counterexample, v.samples, v.time_s,
                   (*v.notes, note))


# ------------------------------------------------------------------------ eliminating definitions

MAX_ELIMINATIONS = 16


@dataclass(frozen=True)
class Eliminated:
    """``name = value`` was a hypothesis (``shown``) and ``name`` was eliminated with it."""

    name: str
    value: sp.Expr
    shown: Relation


def definition(h: Relation, ob: Obligation) -> tuple[str, sp.Expr] | None:
    """``(s, e)`` when the hypothesis says ``s = e`` for a variable s not occurring in e.

    Besides ``s = e`` and ``e = s``, any equation linear in s with a rational coefficient
    (``2*s + t = 1`` gives ``s = (1 - t)/2``); among several variables the first in ``lhs``
    then ``rhs`` order, else by name. An integer variable is taken only when e is certainly
    an integer wherever its variables are (integers combined by +, -, * and powers with
    natural exponents): integrality cannot be written as a hypothesis the engines share.
    """
    if h.op != "=":
        return None
    f = h.lhs - h.rhs
    candidates = [side for side in (h.lhs, h.rhs) if isinstance(side, sp.Symbol)]
    candidates += sorted(f.free_symbols - set(candidates), key=lambda x: x.name)
    for s in candidates:
        if not isinstance(s, sp.Symbol):
            continue
        indep, dep = f.as_independent(s, as_Add=True)
        coeff = dep / s if dep != 0 else sp.Integer(0)
        if not (coeff.is_Rational and coeff != 0) or s in indep.free_symbols:
            continue
        value = -indep / coeff
        if s in value.free_symbols or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            continue
        if ob.domain(s.name).integer and not _integer_valued(value, ob):
            continue
        return s.name, value
    return None


def _integer_valued(e: sp.Expr, ob: Obligation) -> bool:
    if e.is_Integer:
        return True
    if isinstance(e, sp.Symbol):
        return ob.domain(e.name).integer
    if e.is_Add or e.is_Mul:
        return all(_integer_valued(a, ob) for a in e.args)
    if e.is_Pow:
        return bool(e.exp.is_Integer and e.exp >= 0 and _integer_valued(e.base, ob))
    return False


def eliminate(ob: Obligation) -> tuple[Obligation, tuple[Eliminated, ...]]:
    """The obligation with its defined variables eliminated, and what was eliminated.

    A hypothesis ``s = e`` (s a variable not in e; see ``definition``) is dropped, e is
    substituted for s in the claim and the other hypotheses, and ``e`` in s's domain is
    added as hypotheses. The two obligations are equivalent wherever e is defined: a proof
    of one is a proof of the other, and a counterexample of the new one where e is defined
    gives one of the old with s = e (``_restore`` checks that e is defined there). The
    hypotheses are scanned in their order, so the choice is deterministic.
    """
    done: list[Eliminated] = []
    for _ in range(MAX_ELIMINATIONS):
        found = None
        for i, h in enumerate(ob.hypotheses):
            d = definition(h, ob)
            if d is not None:
                found = i, h, d
                break
        if found is None:
            break
        i, h, (name, value) = found
        mapping = {sym(name): value}
        rest = [_substituted(g, mapping) for j, g in enumerate(ob.hypotheses) if j != i]
        dom = ob.domain(name)
        bounds = [_substituted(r, mapping) for r in dom.relations(name)]
        claim = _substituted(ob.claim, mapping)
        domains = tuple((n, d) for n, d in ob.domains if n != name)
        ob = Obligation(claim, domains, tuple(dict.fromkeys([*rest, *bounds])))
        # earlier values may mention s: keep every value in the remaining variables
        done = [replace(e, value=substitute(e.value, mapping)) for e in done]
        done.append(Eliminated(name, value, h))
    return ob, tuple(done)


def _substituted(rel: Relation, mapping: dict[sp.Symbol, sp.Expr]) -> Relation:
    return Relation(substitute(rel.lhs, mapping), rel.op, substitute(rel.rhs, mapping))


def _restore(original: Obligation, ob: Obligation, eliminated: tuple[Eliminated, ...],
             v: Verdict) -> Verdict:
    """The verdict on the transformed obligation, as one on the original: a counterexample
    gets the eliminated variables' values back (exact when rational; otherwise the value is
    said in a note), and is kept only where every eliminated definition is defined."""
    notes = tuple(f"eliminated {e.name} with the hypothesis {e.shown}" for e in eliminated)
    cx = v.counterexample
    if v.status is not Status.REFUTED or cx is None:
        return replace(v, notes=(*v.notes, *notes))
    point = dict(cx.values)
    given = dict(point)
    for e in eliminated:  # a variable left only in a definition is free: any value will do
        for s in sorted(e.value.free_symbols - {sym(n) for n in given}, key=lambda x: x.name):
            given[s.name] = point[s.name] = _simple_value(original.domain(s.name))
    shown: list[str] = []
    for e in eliminated:  # each value is in the remaining variables (see eliminate)
        value = _value_at(e.value, given)
        if value is None:
            return replace(v, status=Status.UNKNOWN, counterexample=None, notes=(*v.notes, *notes),
                           reason=f"its counterexample could not be completed: {e.name} = "
                                  f"{e.value} is not certainly defined there")
        if isinstance(value, Fraction):
            point[e.name] = value
        else:
            shown.append(f"{e.name} = {e.value} ≈ {value} there (not a rational number, so "
                         "not listed with the values)")
    if not shown:
        full = verify_counterexample(original, point)
        if full is not None:
            return replace(v, counterexample=full, notes=(*v.notes, *notes))
    values = tuple((n, point[n]) for n in original.names if n in point)
    cx = Counterexample(values, cx.lhs, cx.rhs)
    return replace(v, counterexample=cx, notes=(*v.notes, *notes, *shown))


def _simple_value(d: Domain) -> Fraction:
    """A simple value of the domain (0 when it may be)."""
    cands = [Fraction(0), Fraction(1), Fraction(-1)]
    for b in (d.lo, d.hi):
        if b is not None:
            cands += [b, b + 1, b - 1, Fraction(math.floor(b)) + 1, Fraction(math.ceil(b)) - 1]
    if d.lo is not None and d.hi is not None:
        cands.append((d.lo + d.hi) / 2)
    return next((c for c in cands if d.contains(c)), Fraction(0))


def _value_at(e: sp.Expr, point: dict[str, Fraction]) -> Fraction | str | None:
    """e's exact value at the point, else its decimal value, or None if not certainly defined."""
    try:
        value = exact(e, point)
        if value is not None:
            return value
        b = ball(e, {n: to_arb(q) for n, q in point.items()}, 200)
    except (Undefined, NotImplementedError, ZeroDivisionError, ValueError):
        return None
    if not b.is_finite():
        return None
    if b.rad() == 0:  # known exactly (log(1) = 0): a dyadic rational
        man, exp = b.mid().man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)
    return decimal_of(e, point)
