"""Verdicts do not depend on the machine's load (issue 12, item 4).

Engines are bounded by deterministic work (checker/engines/work.py), never by the clock, so
the same claims give byte-identical verdicts (status, engine, reason, counterexample) on an
idle and on a busy machine. Each pass runs in a fresh process (no cache or memo carries
over; each has its own hash seed); the second pass runs while busy loops keep every core
occupied. A wall-clock safety cap that fires would make a verdict machine-dependent (it says
"time limit"): the test fails then too. The cap (checker/timelimit.py) is tested on its own
in test_engine_limits.py; here it is raised tenfold, so that a shared test machine that is
already busy cannot reach it, and what is tested is the work bound alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (claim, assumptions): proved with some effort, refuted, plausible, unknown
QUICK = [
    # intervals: split at the touching point 0, then the sign test
    ("log(1 + x) <= x - x^2/2 + x^3/3", ["x in [0, 2]"]),
    # refuted (by z3 or intervals) at a simple point
    ("exp(x) >= 1 + x + x^2/2", ["x in [-2, 2]"]),
    ("sin(x) <= x - x^3/7", ["x in [0, 3]"]),
]

SLOW = [
    # two-term Jensen with a free weight (the load-dependent example)
    ("w*exp(2*x) + (1 - w)*exp(2*y) >= exp(2*(w*x + (1 - w)*y))",
     ["x in [-1, 1]", "y in [-1, 1]", "w in [0, 1]"]),
    ("sin(x)^2 <= 1 + x^2 - x^2", ["x real"]),
    ("exp(x) >= 1 + x + x^2/2 + x^3/6", ["x in [0, 5]"]),
    ("atan(x) >= x - x^3/3", ["x in [0, 4]"]),
    ("log(x) >= 2*(x - 1)/(x + 1)", ["x in [1, 50]"]),
    ("x*log(x) + y*log(y) >= (x + y)*log((x + y)/2)", ["x in [1/10, 3]", "y in [1/10, 3]"]),
    ("Phi(x) - Phi(y) <= (x - y)/sqrt(2*pi)", ["x in [-3, 3]", "y in [-3, 3]", "y <= x"]),
    ("sum(k, 1, n, k^2) = n*(n + 1)*(2*n + 1)/6", ["n integer", "n >= 1"]),
    ("2^n >= n + 2", ["n integer", "n in [0, 60]"]),
    ("x^3 - 3*x*y^2 <= 2", ["x in [-1, 1]", "y in [-1, 1]"]),
    ("log(1 + exp(z)) >= max(0, z)", ["z in [-20, 20]"]),
    ("min(x, y) >= -log(exp(-x) + exp(-y))", ["x in [-3, 3]", "y in [-3, 3]"]),
    ("exp(-n*s^2/2) <= d", ["s in (0, 1)", "d in (0, 1)", "n >= 2*log(1/d)/s^2"]),
]

_RUN = """
import json, sys
from checker import timelimit
from checker.check import check_claim
from checker.engines import portfolio
portfolio.set_cache(None)
timelimit.FACTOR, timelimit.SLACK_S = 10 * timelimit.FACTOR, 10 * timelimit.SLACK_S
out = []
for claim, assume in json.loads(sys.argv[1]):
    v = check_claim(claim, assume).verdict
    cx = v.counterexample.describe() if v.counterexample is not None else None
    out.append([claim, v.status.value, v.engine, v.reason, cx, v.time_limited])
print(json.dumps(out))
"""


def _verdicts(claims: Sequence[tuple[str, list[str]]]) -> list[list[object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps(claims)], env=env,
                          capture_output=True, text=True, timeout=900, check=True)
    out: list[list[object]] = json.loads(done.stdout)
    return out


@contextmanager
def _busy(n: int) -> Iterator[None]:
    """``n`` processes spinning at full speed (at least one per core, so the next check runs
    much slower than on an idle machine)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def _compare(claims: Sequence[tuple[str, list[str]]]) -> None:
    first = _verdicts(claims)
    with _busy(max(2, os.cpu_count() or 2)):
        second = _verdicts(claims)
    assert not any(row[5] for row in first + second), "a wall-clock safety cap fired"
    for a, b in zip(first, second, strict=True):
        assert a == b, f"verdict changed under load:\n  idle: {a}\n  busy: {b}"
    statuses = {row[1] for row in first}
    assert {"proved", "refuted"} <= statuses, first  # the claims exercise several outcomes


def test_verdicts_are_identical_under_load() -> None:
    _compare(QUICK)


@pytest.mark.slow
def test_verdicts_are_identical_under_load_many_families() -> None:
    _compare(QUICK + SLOW)
