"""Deterministic work budgets for the engines, and the safety cap (in CPU time).

A verdict must not depend on the machine or its load, so no engine stops on the clock.
Each engine is bounded by an amount of *work* that it counts itself: Z3's resource limit
(``rlimit``), boxes and evaluations for the interval engine, sample points for the search,
size limits for SymPy. ``--budget SECONDS`` sets the amounts: a budget of B seconds is a
*work scale* of ``B / 2`` (the default budget, 2 s, is scale 1), and every amount below is
the one at scale 1, calibrated so that the engine's work takes about its share of 2 s on an
idle reference machine (measured in process time).

The clock is only a safety cap, for what counting cannot bound (a single SymPy call that
never returns, a Z3 check that stops making progress): the portfolio runs each obligation
under ``checker.timelimit.HardLimit``. A check that reaches it is ``unknown (time limit:
...)``, the one verdict that depends on the machine (``Verdict.time_limited``; never kept in
a verdict cache). An engine whose own guard fires (the Z3 watchdog, in CPU time) returns
``time_limit_verdict(...)``, and the portfolio turns that into the obligation's time-limit
verdict too.

Engine API (``prove(ob, budget_s) -> Verdict`` is unchanged)::

    amount(BASE, budget_s)      # an integer work amount for this budget (at least 1)
    meter = Meter(limit)        # counts work; meter.spend(k) raises OutOfWork past the limit
    safety_seconds(budget_s)    # CPU seconds a C call (Z3) may still run
    time_limit_verdict(engine, seconds)   # UNKNOWN "time limit: ..." (machine-dependent)
"""

from __future__ import annotations

from checker import timelimit
from checker.obligations import TIME_LIMIT, Status, Verdict

DEFAULT_BUDGET_S = 2.0

# ------------------------------------------------------------------ amounts at scale 1 (2 s)

# Z3: resource units (``rlimit``) of one check; Z3 spends about 7 million a second here
Z3_RLIMIT = 12_000_000  # the main check
Z3_AUX_RLIMIT = 2_000_000  # each auxiliary check (simpler counterexample, defined models)
Z3_WITNESS_RLIMIT = 3_000_000  # a witness for the cross-check's sample points

# interval branch and bound (about 8,000 units a second here)
INTERVAL_BOXES = 20_000  # boxes examined
INTERVAL_WORK = 16_000  # boxes, interval evaluations, point values, new forms (20 each)

# counterexample search: points that pass the hypotheses, and evaluation cost
SEARCH_SAMPLES = 2_000
SEARCH_WORK = 300_000  # per evaluated point: 10 + the obligation's size (tree nodes)


def scale(budget_s: float) -> float:
    """The work scale of a budget: 1 for the default 2 s, proportional to it."""
    return max(budget_s, 0.0) / DEFAULT_BUDGET_S


def amount(base: int, budget_s: float, minimum: int = 1) -> int:
    """``base`` (an amount at scale 1) scaled to ``budget_s``; at least ``minimum``."""
    return max(minimum, round(base * scale(budget_s)))


class OutOfWork(Exception):
    """A ``Meter`` ran past its limit."""


class Meter:
    """Counts an engine's work; ``spend`` raises ``OutOfWork`` once more than ``limit``
    units have been spent. Deterministic: it never looks at the clock."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, units: int = 1) -> None:
        self.used += units
        if self.used > self.limit:
            raise OutOfWork

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def safety_seconds(budget_s: float) -> float:
    """CPU seconds a call that cannot be interrupted from Python (a Z3 check) may run.

    Inside a ``checker.timelimit.HardLimit`` (the portfolio), the time that limit has left
    plus a little, so that its own signal stops the check; elsewhere (an engine called
    alone), the hard limit a check with this budget would get."""
    left = timelimit.remaining()
    if left is not None:
        return max(left, 0.0) + 0.05
    return timelimit.hard_seconds(budget_s)


def time_limit_verdict(engine: str, seconds: float) -> Verdict:
    """The verdict of an engine stopped by the safety cap (machine-dependent)."""
    return Verdict(
        Status.UNKNOWN,
        engine,
        f"{TIME_LIMIT}: {engine} was stopped by the safety cap after {seconds:.3g} s; "
        "this depends on the machine, so it is not kept in the verdict cache",
    )
