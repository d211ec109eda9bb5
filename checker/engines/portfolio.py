"""Choose and order the engines for an obligation, within one time budget.

The first definite answer wins: PROVED (cross-checked at sample points, so that an engine's
mistake can never become ``proved``) or REFUTED (its counterexample re-checked rigorously).
With no definite answer, the search's PLAUSIBLE, else UNKNOWN with every engine's reason.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Protocol

import sympy as sp

from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import Undefined, holds_at, verify_counterexample
from checker.obligations import Domain, Obligation, Status, Verdict

DEFAULT_BUDGET_S = 2.0
CROSS_CHECK_POINTS = 12


class VerdictCache(Protocol):
    """Where verdicts of identical obligations are kept across runs (see checker.grade).

    ``check`` calls ``get`` first, computes the verdict only on a miss, then calls ``put``:
    the batch grader's per-obligation isolation relies on exactly this order (its ``get``
    forks a child that computes and ``put``s through a pipe). Keep it."""

    def get(self, key: str) -> Verdict | None: ...

    def put(self, key: str, verdict: Verdict) -> None: ...


class MemoryCache:
    """A verdict cache for one process (validation re-checks many identical obligations)."""

    def __init__(self) -> None:
        self.verdicts: dict[str, Verdict] = {}

    def get(self, key: str) -> Verdict | None:
        return self.verdicts.get(key)

    def put(self, key: str, verdict: Verdict) -> None:
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


def _engine(name: str) -> Engine:
    if name == "sympy":
        from checker.engines import sympy_engine

        return sympy_engine.prove
    if name in ("z3", "z3-quick"):
        from checker.engines import z3_engine

        return z3_engine.prove
    if name == "intervals":
        from checker.engines import intervals

        return intervals.prove
    if name == "search":
        from checker.engines import search

        return search.prove
    if name == "point":
        return _point
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


def plan(ob: Obligation, mode: str = "auto") -> list[str]:
    """The engines to try, in order, for this obligation."""
    kind = shape(ob)
    if mode == "numeric":
        return ["point"] if kind == "constant" else ["intervals", "search"]
    if kind == "constant":
        return ["point", "sympy", "intervals"]
    equality = ob.claim.op in ("=", "!=")
    if equality:
        return ["sympy", "z3", "search"] if kind == "algebraic" else ["sympy", "search", "z3"]
    if kind == "algebraic":
        return ["z3", "sympy", "intervals", "search"]
    # a short Z3 turn first: its abstraction proves many such claims in milliseconds, and it
    # keeps its time limit strictly, while a SymPy call cannot be interrupted and may overrun
    # its share on a loaded machine (a verdict must not depend on the load)
    return ["z3-quick", "sympy", "intervals", "z3", "search"]


# share of the remaining budget each engine may use (the search gets what is left), and a floor
# as a share of the whole budget, so that an engine late in the order still gets a fair turn
# whatever the machine's load (otherwise a verdict could depend on it)
_SHARE = {"point": 1.0, "sympy": 0.3, "z3": 0.4, "z3-quick": 0.1, "intervals": 0.5,
          "search": 1.0}
_MIN_SHARE = {"point": 0.0, "sympy": 0.0, "z3": 0.25, "z3-quick": 0.0, "intervals": 0.0,
              "search": 0.0}


def _guarded(step: Callable[[Obligation, Verdict], Verdict], ob: Obligation,
             v: Verdict) -> Verdict:
    """A re-check that fails (e.g. out of memory) leaves the answer unknown, never raised."""
    try:
        return step(ob, v)
    except Exception as exc:
        return Verdict(Status.UNKNOWN, v.engine,
                       f"its answer could not be re-checked ({type(exc).__name__})")


def check(ob: Obligation, budget_s: float = DEFAULT_BUDGET_S, mode: str = "auto") -> Verdict:
    """The portfolio's verdict for one obligation. Never raises."""
    if _cache is None:
        return _check(ob, budget_s, mode)
    key = cache_key(ob, budget_s, mode)
    try:
        cached = _cache.get(key)
    except Exception:  # a broken cache costs speed, never a verdict
        cached = None
    if cached is not None:
        return cached
    verdict = _check(ob, budget_s, mode)
    with contextlib.suppress(Exception):  # a cache that cannot store costs only speed
        _cache.put(key, verdict)
    return verdict


def _check(ob: Obligation, budget_s: float, mode: str) -> Verdict:
    start = time.perf_counter()
    deadline = start + budget_s
    reasons: list[str] = []
    plausible: Verdict | None = None
    for name in plan(ob, mode):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.01:
            reasons.append("time budget spent")
            break
        share = min(remaining, max(remaining * _SHARE[name], budget_s * _MIN_SHARE[name]))
        verdict = _run(name, ob, share)
        if verdict.status is Status.PROVED:
            return _timed(_guarded(_cross_check, ob, verdict), start)
        if verdict.status is Status.REFUTED:
            return _timed(_guarded(_recheck, ob, verdict), start)
        if verdict.status is Status.PLAUSIBLE:
            plausible = verdict
        elif verdict.reason:
            reasons.append(f"{name}: {verdict.reason}")
    if plausible is not None:
        return _timed(plausible, start)
    return _timed(Verdict(Status.UNKNOWN, "portfolio", "; ".join(reasons) or "no engine answered"),
                  start)


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


# ------------------------------------------------------------------------------ cross-check


def sample_points(ob: Obligation, count: int) -> list[dict[str, Fraction]]:
    """Deterministic points of the domains that satisfy the hypotheses (as far as found)."""
    rng = random.Random(ob.seed())
    names = ob.names
    points: list[dict[str, Fraction]] = []
    for _ in range(count * 20):
        if len(points) >= count:
            break
        pt = {n: _draw(ob.domain(n), rng) for n in names}
        try:
            if all(holds_at(h, pt) is True for h in ob.hypotheses):
                points.append(pt)
        except (Undefined, NotImplementedError, ZeroDivisionError):
            continue
    return points


def _draw(d: Domain, rng: random.Random) -> Fraction:
    lo = d.lo if d.lo is not None else (d.hi - 20 if d.hi is not None else Fraction(-20))
    hi = d.hi if d.hi is not None else lo + 40
    for _ in range(50):
        if d.integer:
            import math

            v = Fraction(rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(hi))))
        else:
            v = lo + (hi - lo) * Fraction(rng.randint(1, 999), 1000)
        if d.contains(v):
            return v
    return lo


def _cross_check(ob: Obligation, v: Verdict) -> Verdict:
    """Evaluate the claim at sample points: a proof contradicted by a number is not a proof."""
    checked = 0
    for pt in sample_points(ob, CROSS_CHECK_POINTS):
        try:
            ok = holds_at(ob.claim, pt)
        except (Undefined, NotImplementedError, ZeroDivisionError):
            continue
        if ok is False:
            shown = ", ".join(f"{k} = {val}" for k, val in pt.items())
            return Verdict(Status.UNKNOWN, v.engine,
                           f"engines disagree: {v.engine} proved it, but it is false at {shown}; "
                           "please report this")
        checked += ok is True or ob.claim.op == "="
    note = f"cross-checked at {checked} points"
    return Verdict(v.status, v.engine, v.reason, v.counterexample, v.samples, v.time_s,
                   (*v.notes, note))
