"""Counterexample search with Hypothesis: REFUTED with a checked point, or PLAUSIBLE.

The search draws points of the variables' domains, skips those that break a hypothesis or
where the claim is undefined, and evaluates the claim exactly (rationals) or in Arb balls
(``checker.numeric.holds_at``). A point where the claim certainly fails is shrunk by
Hypothesis, then simplified further here (integers and fractions of small height first),
and reported only after ``verify_counterexample`` has re-checked it.

Values are built from exact integers, never floats, and every primitive draw is an integer
in ``[0, n]`` with ``n <= 99``. That keeps the run deterministic: Hypothesis mixes
constants read from the source of imported local modules into its integer draws, but only
constants of absolute value >= 100 (and its own global constants are >= 50,000), so draws
from such small ranges never see them and the same obligation gives the same points
whatever else is imported. The seed is ``ob.seed()``.

Hypothesis writes caches under ``.hypothesis/`` in the working directory even without an
example database; while a search runs its home directory points at a private temporary
directory, removed afterwards.
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from functools import cache
from typing import Any

import hypothesis.configuration as hyp_config
import sympy as sp
from hypothesis import HealthCheck, Phase, Verbosity, assume, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from checker.engines import subproof, work
from checker.numeric import (
    MAX_SUM_TERMS,
    PRECISIONS,
    PowerRules,
    Undefined,
    ball,
    exact,
    holds_at,
    simplest_between,
    to_arb,
    verify_counterexample,
)
from checker.obligations import (
    Counterexample,
    Domain,
    Obligation,
    Relation,
    Status,
    Verdict,
    sym,
)

ENGINE = "search"

Draw = Callable[[int], int]
"""Draws an integer in [0, n] (n <= 99); smaller results are simpler."""

SMALL = 10  # the "small integer" window [-SMALL, SMALL]
MAX_DENOMINATOR = 16  # simple fractions p/q with q <= MAX_DENOMINATOR
GRID = 10_000  # points per window in the "uniform" kind
WIDE = 10**6  # unbounded sides are cut at this distance from the centre
SCALES = (
    Fraction(1),
    Fraction(10),
    Fraction(1, 1000),
    Fraction(100),
    Fraction(1, 10**6),
    Fraction(1000),
    Fraction(WIDE),
)
# Hypothesis's share of the points (it costs ~1 ms a point, the seeded draws that follow ~20x
# less): its simplest points and mutations find what the draws miss (``x^2 + y^2 + 1 >= x*y +
# x + y + 1/100000`` fails only near x = y = 1: Hypothesis finds it at its 34th point; 50
# calls followed by 450 draws miss it).
# On the bench, the search alone refutes every false claim with 100 calls as with 300 (the
# latest after 256 points), with the same counterexamples where it is the refuting engine
HYPOTHESIS_CALLS = 100
SHRINK_CALLS = 500  # then at most this many more calls to shrink a failure
GIVE_UP = 1000  # distinct points without a single sample: stop
TRIED_PER_SAMPLE = 20  # stop after max_samples * this many distinct points
STALE = 500  # consecutive repeated points: the domain is exhausted
SIMPLIFY_EVALUATIONS = 600  # cap on extra evaluations spent simplifying a counterexample


# ------------------------------------------------------------------------- simplicity order


def simplicity(q: Fraction) -> tuple[int, int, int, bool]:
    """Sort key: smaller height max(|p|, q) first, then integers, then positive."""
    return (max(abs(q.numerator), q.denominator), q.denominator, abs(q.numerator), q < 0)


def _point_key(values: Sequence[Fraction]) -> tuple[int, tuple[tuple[int, int, int, bool], ...]]:
    return (sum(simplicity(v)[0] for v in values), tuple(simplicity(v) for v in values))


# ----------------------------------------------------------------- integers from small draws


def _natural(d: Draw, limit: int, spread: bool) -> int:
    """An integer in [0, limit] from base-100 digits; ``spread`` biases to few digits."""
    if limit <= 99:
        return d(limit)
    digits = 1
    while 100**digits <= limit:
        digits += 1
    if spread:
        digits = d(digits - 1) + 1
        limit = min(limit, 100**digits - 1)
    top = limit // 100 ** (digits - 1)
    value = d(min(top, 99))
    for _ in range(digits - 1):
        value = value * 100 + d(99)
    return min(value, limit)


def _int_between(d: Draw, a: int, b: int) -> int:
    """An integer in [a, b], shrinking towards the one closest to 0: 0, 1, -1, 2, -2, ..."""
    t = min(max(0, a), b)
    up, down = b - t, t - a
    mag = _natural(d, max(up, down), spread=True)
    if mag == 0:
        return t
    if mag <= up and mag <= down:
        return t + mag if d(1) == 0 else t - mag
    return t + mag if mag <= up else t - mag


def _first_int(lo: Fraction | None, lo_open: bool, cap: int) -> int:
    if lo is None:
        return cap
    n = math.ceil(lo)
    if lo_open and n == lo:
        n += 1
    return max(n, cap)


def _last_int(hi: Fraction | None, hi_open: bool, cap: int) -> int:
    if hi is None:
        return cap
    n = math.floor(hi)
    if hi_open and n == hi:
        n -= 1
    return min(n, cap)


def _scaled_ints(dom: Domain, q: int, cap: int) -> tuple[int, int]:
    """The integers p with p/q in the domain and |p/q| <= cap (empty when first > last)."""
    lo = None if dom.lo is None else dom.lo * q
    hi = None if dom.hi is None else dom.hi * q
    return _first_int(lo, dom.lo_open, -cap * q), _last_int(hi, dom.hi_open, cap * q)


def _centre(dom: Domain) -> Fraction:
    """The point of the domain's closure nearest to 0."""
    if dom.lo is not None and dom.lo > 0:
        return dom.lo
    if dom.hi is not None and dom.hi < 0:
        return dom.hi
    return Fraction(0)


def _unique(values: list[Fraction], dom: Domain) -> list[Fraction]:
    out: list[Fraction] = []
    for v in values:
        if dom.contains(v) and v not in out:
            out.append(v)
    return out[:100]


# ------------------------------------------------------------------------- values of a domain


class Sampler:
    """Draws values of one domain, mixing kinds of values; the first kinds are simplest.

    Real domains: small integers, fractions p/q (q <= 16), edge values (0, +-1, 1/2, the
    bounds and just inside them, tiny and huge magnitudes), and a uniform grid on a window
    around the centre of width 1 ... 10^6 (or 10^-3, 10^-6). Integer domains: small
    integers, edge values, and integers up to 10^6 from the centre, biased to few digits.
    """

    def __init__(self, dom: Domain) -> None:
        self.dom = dom
        self.kinds: list[Callable[[Draw], Fraction]] = []
        small = (_first_int(dom.lo, dom.lo_open, -SMALL), _last_int(dom.hi, dom.hi_open, SMALL))
        if small[0] <= small[1]:
            self.small = small
            self.kinds.append(self._small)
        if not dom.integer:
            self.denominators = [
                q
                for q in range(2, MAX_DENOMINATOR + 1)
                if _scaled_ints(dom, q, SMALL)[0] <= _scaled_ints(dom, q, SMALL)[1]
            ]
            if self.denominators:
                self.kinds.append(self._fraction)
        self.edges = self._edge_values()
        if self.edges:
            self.kinds.append(self._edge)
        self.kinds.append(self._wide_int if dom.integer else self._window)

    def draw(self, d: Draw) -> Fraction:
        return self.kinds[d(len(self.kinds) - 1)](d)

    def _small(self, d: Draw) -> Fraction:
        return Fraction(_int_between(d, *self.small))

    def _fraction(self, d: Draw) -> Fraction:
        q = self.denominators[d(len(self.denominators) - 1)]
        return Fraction(_int_between(d, *_scaled_ints(self.dom, q, SMALL)), q)

    def _edge(self, d: Draw) -> Fraction:
        return self.edges[d(len(self.edges) - 1)]

    def _wide_int(self, d: Draw) -> Fraction:
        t = math.ceil(_centre(self.dom))
        a = _first_int(self.dom.lo, self.dom.lo_open, t - WIDE)
        b = _last_int(self.dom.hi, self.dom.hi_open, t + WIDE)
        return Fraction(_int_between(d, a, b))

    def _window(self, d: Draw) -> Fraction:
        dom, t = self.dom, _centre(self.dom)
        radius = SCALES[d(len(SCALES) - 1)]
        a = t - radius if dom.lo is None else max(dom.lo, t - radius)
        b = t + radius if dom.hi is None else min(dom.hi, t + radius)
        k = _natural(d, GRID - 1, spread=False)
        return a + (b - a) * (2 * k + 1) / (2 * GRID)

    def _edge_values(self) -> list[Fraction]:
        dom = self.dom
        F = Fraction
        near: list[Fraction] = []
        if dom.integer:
            for n in (0, 1, -1, 2, -2):
                near.append(F(n))
            if dom.lo is not None:
                first = _first_int(dom.lo, dom.lo_open, -(10**30))
                near += [F(first), F(first + 1), F(first + 2)]
            if dom.hi is not None:
                last = _last_int(dom.hi, dom.hi_open, 10**30)
                near += [F(last), F(last - 1), F(last - 2)]
            near += [F(s * 10**k) for k in (1, 2, 3, 6) for s in (1, -1)]
            return _unique(near, dom)
        near = [F(0), F(1), F(-1), F(1, 2), F(-1, 2), F(2), F(-2)]
        if dom.lo is not None:
            near += [dom.lo, dom.lo + F(1, 1000), dom.lo + F(1, 10**6)]
        if dom.hi is not None:
            near += [dom.hi, dom.hi - F(1, 1000), dom.hi - F(1, 10**6)]
        if dom.lo is not None and dom.hi is not None:
            width = dom.hi - dom.lo
            near += [(dom.lo + dom.hi) / 2, dom.lo + width / 1000, dom.hi - width / 1000]
            near += [dom.lo + width / 10**6, dom.hi - width / 10**6]
        for k in (3, 6):
            near += [F(1, 10**k), F(-1, 10**k)]
        for k in (1, 2, 3, 6):
            near += [F(10**k), F(-(10**k))]
        near += [F(3), F(-3), F(1, 3), F(-1, 3), F(1, 10), F(-1, 10)]
        return _unique(near, dom)


@cache
def _small_ints(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n)


def _hypothesis_draw(draw: Callable[[st.SearchStrategy[int]], int]) -> Draw:
    def d(n: int) -> int:
        return draw(_small_ints(n))

    return d


@st.composite
def _points(draw: Any, samplers: tuple[Sampler, ...],
            complete: Callable[[tuple[Fraction, ...]], tuple[Fraction, ...]]
            ) -> tuple[Fraction, ...]:
    d = _hypothesis_draw(draw)
    return complete(tuple(s.draw(d) for s in samplers))


class Definitions:
    """Variables that an equation among the hypotheses gives from the others, computed
    instead of drawn: a hypothesis ``a*s + b = 0`` linear in a real variable s (a, b free of
    s; ``x*y = 1``) gives ``s = -b/a``, which is put in a drawn point wherever it is a
    rational number (a != 0) in s's domain (else the drawn value stays, and the hypothesis
    rejects the point). Random draws almost never satisfy such an equation: ``x*y = 1``
    held at 14 of 15,000 points. Equations with a number as the coefficient are eliminated
    before any engine runs (``portfolio.eliminate``). Deterministic."""

    def __init__(self, ob: Obligation) -> None:
        self.names = ob.names
        self.domains = [ob.domain(n) for n in self.names]
        self.values: list[tuple[int, sp.Expr]] = []
        taken: set[sp.Symbol] = set()
        for h in ob.hypotheses:
            if h.op != "=" or len(self.values) >= MAX_DEFINITIONS:
                continue
            f = sp.expand(h.lhs - h.rhs)
            for v in sorted(f.free_symbols - taken, key=lambda v: v.name):
                if not isinstance(v, sp.Symbol) or v.name not in self.names \
                        or ob.domain(v.name).integer:
                    continue
                solved = subproof.linear_solution(f, v)
                if solved is None or (solved[0].free_symbols | solved[1].free_symbols) & taken:
                    continue
                self.values.append((self.names.index(v.name), solved[1]))
                taken.add(v)
                break

    def __call__(self, values: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
        if not self.values:
            return values
        point = dict(zip(self.names, values, strict=True))
        out = list(values)
        for i, value in self.values:
            try:
                q = exact(value, point)
            except (Undefined, ZeroDivisionError, ValueError):
                continue
            if q is not None and self.domains[i].contains(q):
                out[i] = q
        return tuple(out)


MAX_DEFINITIONS = 4


def sampling_domain(ob: Obligation, name: str) -> Domain:
    """The variable's domain narrowed by hypotheses ``name op c`` or ``c op name`` (c rational).

    Points are still checked against every hypothesis; this only avoids drawing points
    that bounds like ``x >= 1000`` would reject.
    """
    dom = ob.domain(name)
    x = sym(name)
    for h in ob.hypotheses:
        rel = h if h.lhs == x else h.flipped() if h.rhs == x else None
        if rel is None or not isinstance(rel.rhs, sp.Rational):
            continue
        c = Fraction(int(rel.rhs.p), int(rel.rhs.q))
        bound = {
            ">=": Domain(c),
            ">": Domain(c, lo_open=True),
            "<=": Domain(None, c),
            "<": Domain(None, c, hi_open=True),
            "=": Domain(c, c),
        }.get(rel.op)
        if bound is not None:
            dom = dom.meet(bound)
    return dom


# --------------------------------------------------------------------- evaluation at a point

PASS, UNDECIDED, FAIL, REJECTED, UNDEFINED, ERROR, UNBOUNDED = range(7)


class _Abort(BaseException):
    """Stops the Hypothesis run (a BaseException, so Hypothesis does not shrink it)."""


class _OutOfWork(_Abort):
    pass


class _CannotEvaluate(_Abort):
    pass


class _Done(_Abort):
    """Enough samples (or no hope of any)."""


class _Found(Exception):
    """The claim fails at the drawn point: the failure Hypothesis shrinks."""


class Evaluator:
    """Classifies points of an obligation (cached): PASS, UNDECIDED, FAIL, REJECTED, ..."""

    def __init__(self, ob: Obligation) -> None:
        self.names = ob.names
        self.claim = _against_zero(ob.claim)
        self.hypotheses = [_against_zero(h) for h in ob.hypotheses]
        self.cache: dict[tuple[Fraction, ...], int] = {}
        self.defined = PowerRules(ob)  # the language's rules, stricter than the evaluator

    def __call__(self, values: tuple[Fraction, ...]) -> int:
        outcome = self.cache.get(values)
        if outcome is None:
            outcome = self._evaluate(dict(zip(self.names, values, strict=True)))
            self.cache[values] = outcome
        return outcome

    def _evaluate(self, point: dict[str, Fraction]) -> int:
        try:
            for h in self.hypotheses:
                if holds_at(h, point) is not True:
                    return REJECTED
        except Undefined:
            return REJECTED
        except NotImplementedError as err:
            raise _CannotEvaluate(f"a hypothesis cannot be evaluated numerically: {err}") from err
        except Exception:
            return ERROR
        try:
            result = holds_at(self.claim, point)
            if result is None and self._unbounded(point):
                return UNBOUNDED
        except Undefined:
            return UNDEFINED
        except NotImplementedError as err:
            raise _CannotEvaluate(f"the claim cannot be evaluated numerically: {err}") from err
        except Exception:
            return ERROR
        if result is False:
            defined = self.defined(point)
            if defined is not True:  # a failure where a side is undefined is no counterexample
                return UNDECIDED if defined is None else UNDEFINED
        return {True: PASS, False: FAIL, None: UNDECIDED}[result]

    def _unbounded(self, point: dict[str, Fraction]) -> bool:
        """Arb gives no finite ball at all (a sum too long, ...): not a sample."""
        env = {n: to_arb(v) for n, v in point.items()}
        return bool(ball(self.claim.lhs, env, PRECISIONS[-1]).is_nan())


POINT_COST = 10  # work units of drawing and classifying one point, besides its size
# a point that balls cannot decide (an identity at irrational values) costs this many times
# more: every precision up to 1,000 bits is tried (about 1 ms a point against 0.07 ms)
UNDECIDED_COST = 15


def _size(ob: Obligation) -> int:
    """Work units of one evaluation: the nodes of the claim's and hypotheses' trees."""
    rels = [ob.claim, *ob.hypotheses]
    nodes = sum(1 for r in rels for side in (r.lhs, r.rhs) for _ in sp.preorder_traversal(side))
    return POINT_COST + nodes


def _sum_costs(ob: Obligation) -> list[tuple[sp.Expr, sp.Expr, int]]:
    """For each finite sum of the obligation: its ends and the size of its body, to charge
    a point by the terms the sum has there (a sum up to n costs n evaluations of its body:
    ``sum(k, 0, n, binomial(n, k)*exp(k*x))`` at n = 10^4 is not one point's work)."""
    out: list[tuple[sp.Expr, sp.Expr, int]] = []
    for r in (ob.claim, *ob.hypotheses):
        for side in (r.lhs, r.rhs):
            for s in side.atoms(sp.Sum):
                body = sum(1 for _ in sp.preorder_traversal(s.function))
                for _, lo, hi in s.limits:
                    out.append((lo, hi, body))
    return out


def _point_cost(base: int, sums: list[tuple[sp.Expr, sp.Expr, int]],
                point: dict[str, Fraction]) -> int:
    cost = base
    for lo, hi, body in sums:
        a, b = exact(lo, point), exact(hi, point)
        terms = MAX_SUM_TERMS if a is None or b is None else max(0, math.floor(b) -
                                                                  math.ceil(a) + 1)
        cost += body * min(terms, MAX_SUM_TERMS)
    return cost


def _against_zero(rel: Relation) -> Relation:
    """The same relation as ``f op 0``, so that ``holds_at`` need not subtract every time."""
    f, op = rel.difference()
    return Relation(f, op, sp.Integer(0))


# ------------------------------------------------------------- keeping Hypothesis's files away

_home_lock = threading.Lock()
_home_users = 0
_home_saved: Any = None
_home_tmp: str | None = None


@contextmanager
def _private_hypothesis_home() -> Iterator[None]:
    """Point Hypothesis's storage at a temporary directory while any search runs."""
    global _home_users, _home_saved, _home_tmp
    with _home_lock:
        if _home_users == 0:
            _home_saved = vars(hyp_config).get("__hypothesis_home_directory")
            _home_tmp = tempfile.mkdtemp(prefix="proofcheck-hypothesis-")
            hyp_config.set_hypothesis_home_dir(_home_tmp)
        _home_users += 1
    try:
        yield
    finally:
        with _home_lock:
            _home_users -= 1
            if _home_users == 0:
                hyp_config.set_hypothesis_home_dir(_home_saved)
                if _home_tmp is not None:
                    shutil.rmtree(_home_tmp, ignore_errors=True)
                _home_tmp = None


# ------------------------------------------------------------------------------- the search


class _Run:
    """One search: counters, failing points, the work meter (never the clock)."""

    def __init__(self, ob: Obligation, units: int, max_samples: int) -> None:
        self.evaluate = Evaluator(ob)
        self.meter = work.Meter(units)
        self.cost = _size(ob)  # work units of one evaluation
        self.sums = _sum_costs(ob)  # and of the terms of its sums, at each point
        self.max_samples = max_samples
        self.complete = Definitions(ob)  # variables computed from the others, not drawn
        self.calls = 0
        self.tried = 0
        self.samples = 0
        self.undecided = 0
        self.rejected = 0
        self.undefined = 0
        self.errors = 0
        self.unbounded = 0
        self.failures: list[tuple[Fraction, ...]] = []

    def visit(self, values: tuple[Fraction, ...]) -> int | None:
        """Evaluate a point and count it; None for a repeated point (already counted)."""
        if values in self.evaluate.cache:
            return None
        if self.meter.exhausted:
            raise _OutOfWork
        if self.sums:
            cost = _point_cost(self.cost, self.sums,
                               dict(zip(self.evaluate.names, values, strict=True)))
            if cost > self.meter.left:  # a point too costly for what is left: not evaluated
                self.meter.spend(self.meter.left)
                raise _OutOfWork
        else:
            cost = min(self.cost, self.meter.left)
        self.meter.spend(cost)
        outcome = self.evaluate(values)
        self.tried += 1
        if outcome == FAIL:
            self.failures.append(values)
        elif outcome in (PASS, UNDECIDED):
            self.samples += 1
            self.undecided += outcome == UNDECIDED
            if outcome == UNDECIDED:  # every precision was tried, the last of 1,000 bits
                self.meter.spend(min(UNDECIDED_COST * self.cost, self.meter.left))
        else:
            self.rejected += outcome == REJECTED
            self.undefined += outcome == UNDEFINED
            self.errors += outcome == ERROR
            self.unbounded += outcome == UNBOUNDED
        return outcome

    def enough(self) -> bool:
        return (
            self.samples >= self.max_samples
            or (self.samples == 0 and self.tried >= GIVE_UP)
            or self.tried >= TRIED_PER_SAMPLE * self.max_samples
        )

    def test(self, values: tuple[Fraction, ...]) -> None:
        """Hypothesis's test: fails (``_Found``) where the claim fails.

        A point gets the same answer every time (Hypothesis replays points and reports
        inconsistent answers as flaky): a repeated passing point is valid again, though it
        is not counted again.
        """
        self.calls += 1
        self.visit(values)
        outcome = self.evaluate(values)  # cached
        if outcome == FAIL:
            raise _Found  # one raise site: Hypothesis compares where failures come from
        if self.failures:
            if self.calls >= HYPOTHESIS_CALLS + SHRINK_CALLS:
                raise _Done  # enough shrinking: ``_simplify`` goes on
        elif self.calls >= HYPOTHESIS_CALLS or self.enough():
            raise _Done
        if outcome not in (PASS, UNDECIDED):
            assume(False)  # rejected or undefined: not a sample

    def bulk(self, samplers: Sequence[Sampler], seed_value: int) -> None:
        """More points from a seeded generator, drawn the same way but ~20x cheaper."""
        rng = random.Random(seed_value)

        def d(n: int) -> int:
            return rng.randrange(n + 1)

        stale = 0
        while not self.enough() and stale < STALE:
            outcome = self.visit(self.complete(tuple(s.draw(d) for s in samplers)))
            if outcome == FAIL:
                return
            stale = stale + 1 if outcome is None else 0

    def closed(self) -> None:
        """A claim without variables: one evaluation."""
        self.visit(())


def prove(ob: Obligation, budget_s: float = 2.0, max_samples: int = 2000) -> Verdict:
    """Search for a counterexample to ``ob`` among up to ``max_samples`` points.

    REFUTED with a verified counterexample; PLAUSIBLE with ``samples`` the number of distinct
    points where the hypotheses held and the claim was defined and not false (points where
    Arb could not decide, e.g. equalities at irrational values, count as passed and are
    noted); UNKNOWN when no point qualified or the claim cannot be evaluated.

    The first ``HYPOTHESIS_CALLS`` points come from Hypothesis (simplest points first,
    its mutations, and its shrinker on a failure); the rest from a generator seeded with
    ``ob.seed()`` that draws the same kinds of values. Failures of either are simplified
    further (``_simplify``) and re-checked by ``verify_counterexample``.
    """
    start = time.monotonic()
    try:
        return _prove(ob, budget_s, max_samples, start)
    except Exception as err:  # never let an exception escape an engine
        return _verdict(Status.UNKNOWN, start, reason=f"search failed: {type(err).__name__}: {err}")


def _verdict(status: Status, start: float, **kw: Any) -> Verdict:
    return Verdict(status, ENGINE, time_s=time.monotonic() - start, **kw)


def _prove(ob: Obligation, budget_s: float, max_samples: int, start: float) -> Verdict:
    for name in ob.names:
        if ob.domain(name).is_empty:
            return _verdict(Status.UNKNOWN, start, reason=f"the domain of {name} is empty")
        if sampling_domain(ob, name).is_empty:
            return _verdict(
                Status.UNKNOWN, start, reason=f"the hypotheses leave no value of {name}"
            )
    samplers = tuple(Sampler(sampling_domain(ob, n)) for n in ob.names)
    samples = min(max_samples, work.amount(work.SEARCH_SAMPLES, budget_s))
    run = _Run(ob, work.amount(work.SEARCH_WORK, budget_s), samples)
    notes: list[str] = []
    try:
        if not samplers:
            run.closed()
        else:
            try:
                with _private_hypothesis_home():
                    _search(run, samplers, ob.seed())
            except (_Done, _Found, Unsatisfiable):
                pass
            except Exception as err:
                notes.append(f"Hypothesis stopped: {type(err).__name__}")
            if not run.failures:
                run.bulk(samplers, ob.seed())
    except _OutOfWork:
        notes.append(f"stopped at its work budget ({run.tried} points evaluated)")
    except _CannotEvaluate as err:
        return _verdict(Status.UNKNOWN, start, reason=str(err))
    if run.failures:
        cx = _best_counterexample(ob, run, notes)
        if cx is not None:
            return _verdict(
                Status.REFUTED,
                start,
                reason=f"counterexample found among {_count(run.tried, 'point')}",
                counterexample=cx,
                samples=run.samples,
                notes=tuple(notes),
            )
        notes.append("a failing point did not survive the rigorous re-check")
    notes += _counts(run)
    if run.samples == 0:
        return _verdict(Status.UNKNOWN, start, reason=_why_no_samples(run), notes=tuple(notes))
    reason = f"no counterexample among {_count(run.samples, 'sample')}"
    skipped = run.rejected + run.undefined + run.errors + run.unbounded
    if skipped >= 9 * run.samples:
        reason += f"; almost all points were skipped ({skipped} of {run.tried})"
    return _verdict(Status.PLAUSIBLE, start, reason=reason, samples=run.samples, notes=tuple(notes))


def _search(run: _Run, samplers: tuple[Sampler, ...], seed_value: int) -> None:
    config = settings(
        parent=settings.get_profile("default"),
        max_examples=HYPOTHESIS_CALLS,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
    )

    def check(values: tuple[Fraction, ...]) -> None:
        run.test(values)

    test = config(seed(seed_value)(given(_points(samplers, run.complete))(check)))
    test()


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _counts(run: _Run) -> list[str]:
    out = []
    if run.undecided:
        out.append(
            f"{_count(run.undecided, 'sample')} undecided by Arb at 1000 bits (counted as passed)"
        )
    if run.rejected:
        out.append(f"{_count(run.rejected, 'point')} violated a hypothesis")
    if run.undefined:
        out.append(f"{_count(run.undefined, 'point')} where the claim is undefined")
    if run.errors:
        out.append(f"{_count(run.errors, 'point')} where evaluation failed")
    if run.unbounded:
        out.append(f"{_count(run.unbounded, 'point')} where Arb could not bound the claim")
    return out


def _why_no_samples(run: _Run) -> str:
    if run.tried == 0:
        return "no point was evaluated"
    if run.rejected == run.tried:
        return f"no sampled point satisfied the hypotheses ({run.tried} tried)"
    if run.undefined == run.tried:
        return f"the claim was undefined at every sampled point ({run.tried} tried)"
    return (
        f"no usable sample among {_count(run.tried, 'point')} "
        f"({run.rejected} violated a hypothesis, {run.undefined} undefined, "
        f"{run.errors + run.unbounded} could not be evaluated)"
    )


# ------------------------------------------------------------------ simplifying a failure


def _best_counterexample(ob: Obligation, run: _Run, notes: list[str]) -> Counterexample | None:
    domains = [sampling_domain(ob, n) for n in ob.names]
    for values in sorted(run.failures, key=_point_key)[:5]:
        simple = _simplify(run, domains, values, notes)
        cx = verify_counterexample(ob, dict(zip(run.evaluate.names, simple, strict=True)))
        if cx is not None:
            return cx
    return None


def _simplify(
    run: _Run, domains: list[Domain], values: tuple[Fraction, ...], notes: list[str]
) -> tuple[Fraction, ...]:
    """Replace coordinates by simpler values while the point stays a counterexample.

    Each coordinate in turn moves to the simplest failing candidate (``_simpler_values``),
    until nothing changes; at most SIMPLIFY_EVALUATIONS new evaluations.
    """
    current = list(values)
    budget = SIMPLIFY_EVALUATIONS
    for round_ in range(100):
        changed = False
        for i, dom in enumerate(domains):
            for cand in _simpler_values(dom, current[i], wide=round_ == 0):
                if budget <= 0:
                    notes.append("simplification stopped early")
                    return tuple(current)
                trial = (*current[:i], cand, *current[i + 1 :])
                budget -= trial not in run.evaluate.cache
                try:
                    outcome = run.evaluate(trial)
                except _Abort:
                    continue
                if outcome == FAIL:
                    current[i] = cand
                    changed = True
                    break
        if not changed:
            break
    return tuple(current)


def _simpler_values(dom: Domain, value: Fraction, wide: bool) -> list[Fraction]:
    """Values of the domain simpler than ``value``, simplest first.

    The simplest numbers within ``value +- d`` for d halving from |value - centre| (a
    binary search towards the centre of the domain that prefers simple fractions) and, when
    ``wide``, every integer up to 50 and fraction p/q with |p|, q <= 16 (other regions).
    """
    cands: set[Fraction] = set()
    if wide:
        if dom.integer:
            cands.update(Fraction(n) for n in range(-50, 51))
        else:
            cands.update(Fraction(p, q) for q in range(1, 17) for p in range(-16, 17))
    width = max(abs(value - _centre(dom)), Fraction(1))
    for j in range(41):
        delta = width / 2**j
        for a, b in ((value - delta, value), (value, value + delta)):
            if dom.integer:
                cands |= {Fraction(math.ceil(a)), Fraction(math.floor(b))}
            else:
                if dom.lo is not None:
                    a = max(a, dom.lo)
                if dom.hi is not None:
                    b = min(b, dom.hi)
                if a <= b:
                    cands.add(simplest_between(a, b))
    key = simplicity(value)
    return sorted((c for c in cands if simplicity(c) < key and dom.contains(c)), key=simplicity)


# --------------------------------------------------------------------------- sample points


def sample_points(ob: Obligation, count: int) -> list[dict[str, Fraction]]:
    """Up to ``count`` distinct points of the domains that satisfy every hypothesis.

    Deterministic (seeded by ``ob.seed()``), drawn like the search does (small integers,
    simple fractions, edge values, uniform points on windows; integers for integer
    variables). Points where a hypothesis is false, undefined or undecided are skipped, so
    fewer than ``count`` points come back when the hypotheses are rarely satisfied. The claim
    itself is not evaluated.
    """
    names = ob.names
    if count <= 0 or any(ob.domain(n).is_empty for n in names):
        return []
    if any(sampling_domain(ob, n).is_empty for n in names):
        return []
    samplers = [Sampler(sampling_domain(ob, n)) for n in names]
    hypotheses = [_against_zero(h) for h in ob.hypotheses]
    rng = random.Random(ob.seed())

    def d(n: int) -> int:
        return rng.randint(0, n)

    out: list[dict[str, Fraction]] = []
    seen: set[tuple[Fraction, ...]] = set()
    for _ in range(20 * count + 100):
        values = tuple(s.draw(d) for s in samplers)
        if values in seen:
            continue
        seen.add(values)
        point = dict(zip(names, values, strict=True))
        if _satisfies(hypotheses, point):
            out.append(point)
            if len(out) >= count or not names:
                break
    return out


def _satisfies(hypotheses: list[Relation], point: dict[str, Fraction]) -> bool:
    try:
        return all(holds_at(h, point) is True for h in hypotheses)
    except Exception:
        return False


