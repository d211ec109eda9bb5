"""Engine benchmark: run the labelled claims of bench/claims.txt through ``check_claim``.

Usage (from the repository root):

    PYTHONPATH=. python bench/engines.py [--budget 2] [--only CATEGORY] [--limit N]
    PYTHONPATH=. python bench/engines.py --check-labels

The first form prints a Markdown table (per category and overall: proof rate on true claims,
refutation rate on false claims, soundness failures, latency, and a naive baseline measured
in the same run) and writes bench/results/engines.json. The second re-checks the labels
themselves with mpmath at 50 digits: every false claim at the counterexample written above it,
every true claim on a dense grid of its domain. See bench/README.md.

Each claim runs in a worker process with a wall-clock limit, so that a hung engine costs one
claim, not the benchmark. No text is ever run as code: claims are parsed by the checker's
own grammar and evaluated by walking the SymPy tree.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import mpmath
import sympy as sp

from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import verify_counterexample
from checker.obligations import REAL, Domain, Obligation, Relation, sym
from checker.syntax.parse import parse_assumptions, parse_claim

HERE = Path(__file__).resolve().parent
CLAIMS = HERE / "claims.txt"
RESULTS = HERE / "results" / "engines.json"
CATEGORIES = ("polynomial", "rational", "transcendental", "integer", "numeric",
              # issue 12 families
              "hypothesis-monotone", "integer-induction", "symbolic-sums", "log-positivity",
              "max-min-abs", "unbounded", "jensen", "gaussian",
              # issue 13: vectors, matrices and families (bench/vector_claims.py)
              "vector")
WARM_UP = ("exp(x) >= 1 + x", ["x in [-1, 1]"])
UNDEFINED = "not defined everywhere"  # how check_claim's reason starts for a definedness failure
PRECISIONS = (50, 100)  # decimal digits, the second only for differences near 0
SLACK = 20  # digits a difference may lose to cancellation before it counts
TOLERANCE = mpmath.mpf(10) ** -30  # how far from an integer a summation bound may be


# ------------------------------------------------------------------------------ the corpus


@dataclass(frozen=True)
class Claim:
    line: int
    label: bool
    category: str
    text: str
    assume: tuple[str, ...]
    counterexample: dict[str, Fraction] | None  # from the `# cex:` comment above it


class CorpusError(Exception):
    pass


def load_claims(path: Path = CLAIMS) -> list[Claim]:
    """Read the corpus; raises CorpusError on a malformed line."""
    claims: list[Claim] = []
    cex: dict[str, Fraction] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            cex = None
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body.startswith("cex:"):
                cex = _read_point(body[4:], number)
            continue
        parts = line.split(" | ", 2)
        if len(parts) != 3 or "|" not in parts[2]:
            raise CorpusError(f"line {number}: expected LABEL | CATEGORY | CLAIM | ASSUMPTIONS")
        label, category, rest = (p.strip() for p in parts)
        # the assumptions follow the last " | " (a norm ||x||_inf among them has bars too)
        last = "|" if rest.endswith("|") else " | "
        text, assume = (p.strip() for p in rest.rsplit(last, 1))
        if label not in ("true", "false"):
            raise CorpusError(f"line {number}: label must be true or false, not {label!r}")
        if category not in CATEGORIES:
            raise CorpusError(f"line {number}: unknown category {category!r}")
        if label == "false" and cex is None:
            raise CorpusError(f"line {number}: a false claim needs a `# cex:` line above it")
        items = tuple(a.strip() for a in assume.split(";") if a.strip())
        claims.append(Claim(number, label == "true", category, text, items,
                            cex if label == "false" else None))
        cex = None
    return claims


def _read_point(text: str, number: int) -> dict[str, Fraction]:
    point: dict[str, Fraction] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise CorpusError(f"line {number}: counterexample items are `name = value`")
        point[name.strip()] = Fraction(value.strip())
    return point


# ------------------------------------------------------------------------------ obligations


class NotSimple(Exception):
    """An assumption this file cannot turn into a domain or a hypothesis."""


def build_obligation(claim_text: str, assume: Sequence[str]) -> Obligation:
    """The obligation of one claim: simple bounds become domains, the rest hypotheses."""
    chain = parse_claim(claim_text)
    if len(chain.ops) != 1:
        raise NotSimple("a claim must be a single relation")
    claim = Relation(chain.exprs[0].value, chain.ops[0], chain.exprs[1].value)
    domains: dict[str, Domain] = {}
    hypotheses: list[Relation] = []

    def bound(name: str, d: Domain) -> None:
        domains[name] = domains.get(name, REAL).meet(d)

    for item in assume:
        for decl in parse_assumptions(item):
            kind = Domain(integer=True) if decl.kind == "integer" else (
                Domain(lo=Fraction(0), integer=True) if decl.kind == "natural" else REAL)
            if decl.interval is not None:
                left, lo, hi, right = decl.interval
                d = Domain(_rational(lo.value), _rational(hi.value), left == "(", right == ")")
                for name in decl.names:
                    bound(name, d.meet(kind))
            elif decl.relation is not None:
                rels = [Relation(a.value, op, b.value) for a, op, b in decl.relation.relations()]
                for subject in _subjects(rels, decl.names):
                    for rel in (r.subs(subject) for r in rels):
                        dom = _as_domain(rel)
                        if dom is None:
                            hypotheses.append(rel)
                        else:
                            bound(*dom)
                        for name in rel.free_names:  # `m >= 1 integer`: m is an integer
                            bound(name, kind)
            else:
                for name in decl.names:
                    bound(name, kind)
    names = set(claim.free_names)
    for h in hypotheses:
        names |= h.free_names
    names |= set(domains)
    return Obligation(claim, tuple(sorted((n, domains.get(n, REAL)) for n in names)),
                      tuple(hypotheses))


def _rational(e: sp.Expr) -> Fraction:
    if not e.is_Rational:
        raise NotSimple(f"interval end {e} is not a rational number")
    return Fraction(int(e.p), int(e.q))


def _subjects(rels: list[Relation], names: tuple[str, ...]) -> list[dict[sp.Symbol, sp.Expr]]:
    """``x, y > 0``: the relation about y applies to x as well (one substitution per name)."""
    if not names:
        return [{}]
    first = rels[0].lhs
    if not first.is_Symbol:
        raise NotSimple("a grouped assumption needs a variable on the left")
    return [{}] + [{first: sym(n)} for n in names]


def _as_domain(rel: Relation) -> tuple[str, Domain] | None:
    """``x op c`` or ``c op x`` with c rational, as a domain for x."""
    lhs, op, rhs = rel.lhs, rel.op, rel.rhs
    if op in ("=", "!="):
        return None
    if rhs.is_Symbol and lhs.is_Rational:
        lhs, rhs = rhs, lhs
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    if not (lhs.is_Symbol and rhs.is_Rational):
        return None
    c = Fraction(int(rhs.p), int(rhs.q))
    if op in (">", ">="):
        return lhs.name, Domain(lo=c, lo_open=op == ">")
    return lhs.name, Domain(hi=c, hi_open=op == "<")


# ------------------------------------------------------------------------------ mpmath values


class Undefined(Exception):
    pass


Env = dict[str, Any]  # name -> mpmath.mpf (at the working precision)

_UNARY: dict[type, Callable[[Any], Any]] = {
    sp.exp: mpmath.exp,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: mpmath.tan,
    sp.atan: mpmath.atan,
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh,
    sp.erf: mpmath.erf,
    sp.erfc: mpmath.erfc,
    sp.Abs: abs,
    sp.floor: mpmath.floor,
    sp.ceiling: mpmath.ceil,
    Phi: mpmath.ncdf,
    Sigmoid: lambda x: 1 / (1 + mpmath.exp(-x)),
}


class Scale:
    """The largest magnitude among the terms of any sum met while evaluating.

    A sum's absolute rounding error is about 10^-digits times its largest term, so a
    difference below 10^-(digits - 20) times this scale is not resolved at that precision.
    """

    def __init__(self) -> None:
        self.largest: Any = mpmath.mpf(0)

    def note(self, terms: Sequence[Any]) -> None:
        for t in terms:
            self.largest = max(self.largest, abs(t))


def value(e: sp.Basic, env: Env, scale: Scale) -> Any:
    """The value of a SymPy tree at ``env`` with mpmath (current precision); raises Undefined."""

    def v(x: sp.Basic) -> Any:
        return value(x, env, scale)

    if e.is_Symbol:
        return env[e.name]
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e is sp.E:
        return mpmath.e
    if e is sp.pi:
        return mpmath.pi
    if e.is_Add:
        terms = [v(a) for a in e.args]
        scale.note(terms)
        return mpmath.fsum(terms)
    if e.is_Mul:
        out = mpmath.mpf(1)
        for a in e.args:
            out *= v(a)
        return out
    if e.is_Pow:
        return _power(v(e.args[0]), v(e.args[1]))
    if isinstance(e, sp.log):
        x = v(e.args[0])
        if x <= 0:
            raise Undefined("log of a number <= 0")
        return mpmath.log(x)
    if isinstance(e, PhiInv):
        p = v(e.args[0])
        if not 0 < p < 1:
            raise Undefined("Phi_inv outside (0, 1)")
        return mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)
    if isinstance(e, sp.erf):  # erf(x) = 1 - erfc(x): a cancellation for large x
        x = v(e.args[0])
        scale.note([mpmath.mpf(1)])
        return mpmath.erf(x)
    if isinstance(e, (sp.Max, sp.Min)):
        vals = [v(a) for a in e.args]
        return max(vals) if isinstance(e, sp.Max) else min(vals)
    if isinstance(e, sp.factorial):
        n = _integer(v(e.args[0]))
        if n < 0:
            raise Undefined("factorial of a negative number")
        return mpmath.factorial(n)
    if isinstance(e, sp.binomial):
        return mpmath.binomial(v(e.args[0]), v(e.args[1]))
    if isinstance(e, sp.Sum):
        (k, lo, hi), body = e.limits[0], e.function
        terms = [value(body, {**env, k.name: mpmath.mpf(i)}, scale)
                 for i in range(_integer(v(lo)), _integer(v(hi)) + 1)]
        scale.note(terms)
        return mpmath.fsum(terms)
    fn = _UNARY.get(type(e))
    if fn is not None:
        return fn(v(e.args[0]))
    raise Undefined(f"no mpmath value for {type(e).__name__}")


def _integer(x: Any) -> int:
    n = int(mpmath.nint(x))
    if abs(x - n) > TOLERANCE:
        raise Undefined("a summation bound or factorial argument is not an integer")
    return n


def _power(b: Any, p: Any) -> Any:
    n = mpmath.nint(p)
    if abs(p - n) <= TOLERANCE and abs(n) < 10**6:
        if b == 0 and n < 0:
            raise Undefined("0 to a negative power")
        return b ** int(n)
    if b > 0:
        return mpmath.power(b, p)
    if b == 0 and p > 0:
        return mpmath.mpf(0)
    raise Undefined("a non-integer power of a number <= 0")


def difference(rel: Relation, point: dict[str, Fraction]) -> Any:
    """lhs - rhs at an exact point, or 0 when it is too small to resolve.

    Evaluated at 50 digits, then at 100 if the difference is within 10^-(digits - 20) of the
    largest term summed on the way (cancellation noise); still within it at 100 digits, it
    counts as 0. So a true identity at an ill-conditioned point does not read as a violation.
    """
    for digits in PRECISIONS:
        with mpmath.workdps(digits):
            env = {n: mpmath.mpf(v.numerator) / v.denominator for n, v in point.items()}
            scale = Scale()
            lhs, rhs = value(rel.lhs, env, scale), value(rel.rhs, env, scale)
            scale.note([lhs, rhs])
            diff = lhs - rhs
            if abs(diff) > scale.largest * mpmath.mpf(10) ** (SLACK - digits):
                return diff
    return mpmath.mpf(0)


def holds(rel: Relation, point: dict[str, Fraction]) -> tuple[bool, Any]:
    """(does ``rel`` hold at the point, lhs - rhs); raises Undefined."""
    diff = difference(rel, point)
    ok = {"=": diff == 0, "!=": diff != 0, "<=": diff <= 0, ">=": diff >= 0, "<": diff < 0,
          ">": diff > 0}[rel.op]
    return ok, diff


# ------------------------------------------------------------------------------ label checks


def grid(d: Domain, size: int) -> list[Fraction]:
    """Points of a domain: evenly spaced, geometric towards the ends, and small simple values."""
    if d.integer:
        lo = math.ceil(d.lo) if d.lo is not None else None
        hi = math.floor(d.hi) if d.hi is not None else None
        if lo is not None and d.lo_open and lo == d.lo:
            lo += 1
        if hi is not None and d.hi_open and hi == d.hi:
            hi -= 1
        first = lo if lo is not None else (hi - 150 if hi is not None else -75)
        last = hi if hi is not None else first + 150
        return [Fraction(i) for i in range(first, last + 1)]
    points: set[Fraction] = set()
    specials = [Fraction(v) for v in (-2, -1, Fraction(-1, 2), 0, Fraction(1, 2), 1, 2, 3)]
    if d.lo is not None and d.hi is not None:
        width = d.hi - d.lo
        points |= {d.lo + width * i / (size - 1) for i in range(size)}
        ends = [(d.lo, 1), (d.hi, -1)]
    else:
        spread = [Fraction(i, 4) for i in range(0, 81)] + [Fraction(10) ** k for k in range(-6, 4)]
        if d.lo is not None:
            points |= {d.lo + s for s in spread}
            ends = [(d.lo, 1)]
        elif d.hi is not None:
            points |= {d.hi - s for s in spread}
            ends = [(d.hi, -1)]
        else:
            points |= set(spread) | {-s for s in spread}
            ends = []
    for end, sign in ends:
        points |= {end + sign * Fraction(1, 10**k) for k in (3, 6, 9, 12)}
    points |= set(specials)
    pts = sorted(p for p in points if d.contains(p))
    if len(pts) > size:  # keep the ends, the specials and an even thinning of the rest
        keep = set(pts[:3] + pts[-3:]) | {p for p in pts if p in specials}
        step = len(pts) / size
        keep |= {pts[int(i * step)] for i in range(size)}
        pts = sorted(keep)
    return pts


@dataclass
class LabelCheck:
    claim: Claim
    ok: bool
    detail: str
    points: int = 0
    undefined: int = 0


def check_label(c: Claim) -> LabelCheck:
    """Re-check one label with mpmath at 50 digits."""
    if c.category == "vector":  # vectors: an evaluator of their own (bench/vector_claims.py)
        from vector_claims import check_label as check_vector_label

        ok, detail, points = check_vector_label(c.text, c.assume, c.label, c.counterexample)
        return LabelCheck(c, ok, detail, points)
    ob = build_obligation(c.text, c.assume)
    names = ob.names
    if not c.label:
        return _check_counterexample(c, ob, names)
    return _check_grid(c, ob, names)


def _check_counterexample(c: Claim, ob: Obligation, names: list[str]) -> LabelCheck:
    assert c.counterexample is not None
    point = c.counterexample
    if set(point) != set(names):
        return LabelCheck(c, False, f"the counterexample names {sorted(point)}, "
                                    f"the claim has {names}")
    for n in names:
        if not ob.domain(n).contains(point[n]):
            return LabelCheck(c, False, f"{n} = {point[n]} is outside {ob.domain(n)}")
    try:
        for h in ob.hypotheses:
            if not holds(h, point)[0]:
                return LabelCheck(c, False, f"the counterexample breaks the assumption {h}")
        ok, diff = holds(ob.claim, point)
    except Undefined as exc:
        return LabelCheck(c, False, f"undefined at the counterexample: {exc}")
    if ok:
        return LabelCheck(c, False, f"the claim holds at the counterexample (lhs - rhs = "
                                    f"{mpmath.nstr(diff, 8)})")
    # informational: can the checker's own rigorous (Arb) re-check certify this point?
    arb = "certified by Arb" if verify_counterexample(ob, point) is not None else (
        "Arb cannot decide it (an exact tie between transcendental values)")
    return LabelCheck(c, True, f"fails at the counterexample, lhs - rhs = "
                               f"{mpmath.nstr(diff, 8)}; {arb}", points=1)


def _check_grid(c: Claim, ob: Obligation, names: list[str]) -> LabelCheck:
    size = {0: 1, 1: 801, 2: 61, 3: 17}.get(len(names), 9)
    axes = [grid(ob.domain(n), size) for n in names]
    tried = undefined = 0
    worst: tuple[Any, dict[str, Fraction]] | None = None
    for values in itertools.product(*axes):
        point = dict(zip(names, values, strict=True))
        try:
            if not all(holds(h, point)[0] for h in ob.hypotheses):
                continue
            ok, diff = holds(ob.claim, point)
        except Undefined:
            undefined += 1
            continue
        tried += 1
        if not ok:
            return LabelCheck(c, False, f"fails at {_show(point)}: lhs - rhs = "
                                        f"{mpmath.nstr(diff, 8)}", tried, undefined)
        if ob.claim.op in ("<=", ">=", "<", ">"):
            margin = diff if ob.claim.op in (">=", ">") else -diff
            if worst is None or margin < worst[0]:
                worst = (margin, point)
    if tried == 0:
        return LabelCheck(c, False, "no grid point satisfies the assumptions", 0, undefined)
    closest = f"; smallest margin {mpmath.nstr(worst[0], 6)} at {_show(worst[1])}" if worst else ""
    return LabelCheck(c, True, f"holds at {tried} grid points{closest}", tried, undefined)


def _show(point: dict[str, Fraction]) -> str:
    return ", ".join(f"{n} = {v}" for n, v in point.items()) or "(no variables)"


def check_labels(claims: list[Claim]) -> int:
    """Print one line per claim; the number of labels that failed their check."""
    bad = 0
    start = time.perf_counter()
    for c in claims:
        try:
            r = check_label(c)
        except Exception as exc:
            r = LabelCheck(c, False, f"could not check: {type(exc).__name__}: {exc}")
        bad += not r.ok
        mark = "ok " if r.ok else "BAD"
        extra = f" ({r.undefined} undefined points skipped)" if r.undefined else ""
        print(f"{mark} line {c.line:4d} {'true ' if c.label else 'false'} {c.text}  "
              f"[{'; '.join(c.assume)}]: {r.detail}{extra}")
    print(f"\n{len(claims)} labels checked in {time.perf_counter() - start:.1f} s, {bad} failed")
    return bad


# ------------------------------------------------------------------------------ worker


def _run_check(claim: str, assume: list[str], budget: float) -> dict[str, Any]:
    from checker import check_claim
    from checker.engines import portfolio

    start = time.perf_counter()
    cpu = time.process_time()
    portfolio.profile = []
    try:
        result = check_claim(claim, assume, budget_s=budget)
        profile = portfolio.profile
    finally:
        portfolio.profile = None
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - start
    # CPU seconds per engine at the top level (a method's time includes its sub-proofs)
    engines: dict[str, float] = {}
    for depth, name, seconds, _ in profile:
        if depth == 0:
            engines[name] = round(engines.get(name, 0.0) + seconds, 4)
    v = result.verdict
    cex = v.counterexample.describe() if v.counterexample is not None else ""
    # engine time of each obligation: every definedness condition and each step's claim
    # (a step's time includes the condition that refuted it, if one did)
    times: list[float] = []
    for step in getattr(result, "steps", ()):
        times += [d.time_s for _, d in getattr(step, "definedness", ())]
        times.append(step.verdict.time_s)
    return {"status": v.status.value, "engine": v.engine, "time_s": v.time_s, "wall_s": wall,
            "cpu_s": round(cpu, 4), "engine_cpu_s": engines, "obligation_times_s": times,
            "reason": v.reason[:300], "counterexample": cex,
            "undefined": v.reason.startswith(UNDEFINED)}


def _run_baseline(claim: str, assume: list[str], budget: float) -> dict[str, Any]:
    """Naive baseline: SymPy's simplify for equalities, Z3 alone for everything else."""
    from checker.functions import to_elementary

    if any(" in R^" in a or " for " in a for a in assume):  # vectors: bench/vector_claims.py
        from vector_claims import baseline

        return baseline(claim, assume, budget)
    ob = build_obligation(claim, assume)
    start = time.perf_counter()
    cpu = time.process_time()
    if ob.claim.op == "=":
        mapping = ob.assumed_symbols()
        diff = to_elementary(ob.claim.lhs - ob.claim.rhs).xreplace(mapping)
        zero = sp.simplify(diff) == 0
        return {"status": "proved" if zero else "unknown", "engine": "sympy.simplify",
                "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
                "reason": "", "counterexample": ""}
    from checker.engines import z3_engine

    v = z3_engine.prove(ob, budget)
    cex = v.counterexample.describe() if v.counterexample is not None else ""
    return {"status": v.status.value, "engine": "z3", "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu, "reason": v.reason[:300], "counterexample": cex}


TASKS: dict[str, Callable[[str, list[str], float], dict[str, Any]]] = {
    "check": _run_check,
    "baseline": _run_baseline,
}


def _worker(conn: Connection) -> None:
    while True:
        try:
            task, claim, assume, budget = conn.recv()
        except EOFError:
            return
        try:
            out = TASKS[task](claim, assume, budget)
        except Exception as exc:
            out = {"status": "error", "engine": "", "wall_s": 0.0,
                   "reason": f"{type(exc).__name__}: {exc}"[:300], "counterexample": ""}
        conn.send(out)


class Worker:
    """One process that runs tasks; killed and replaced when a task overruns its limit."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("fork")
        self.proc: Any = None
        self.conn: Connection | None = None
        self.restarts = 0
        # tasks run (not measured) in every new process before the measured ones, so that a
        # claim after a restart does not pay for the imports (set by ``run`` below)
        self.warm_up: list[tuple[str, float, float]] = []

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def run(self, task: str, claim: str, assume: list[str], budget: float,
            limit: float) -> dict[str, Any]:
        if self.proc is None or not self.proc.is_alive():
            self._start()
            warm_up, self.warm_up = self.warm_up, []  # a warm-up is not warmed up itself
            try:
                for warm_task, warm_budget, warm_limit in warm_up:
                    self.run(warm_task, WARM_UP[0], list(WARM_UP[1]), warm_budget, warm_limit)
            finally:
                self.warm_up = warm_up
            if self.proc is None:  # the warm-up itself was stopped: start afresh
                self._start()
        assert self.conn is not None
        start = time.perf_counter()
        self.conn.send((task, claim, assume, budget))
        if self.conn.poll(limit):
            try:
                out: dict[str, Any] = self.conn.recv()
                return out
            except EOFError:
                pass
        self.stop()
        self.restarts += 1
        return {"status": "timeout", "engine": "", "wall_s": time.perf_counter() - start,
                "reason": f"no answer within {limit:.1f} s (worker killed)", "counterexample": ""}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.join()
        self.proc = None
        self.conn = None


# ------------------------------------------------------------------------------ benchmark


@dataclass
class Row:
    """Counts for one category (or all)."""

    name: str
    true: int = 0
    false: int = 0
    proved: int = 0
    refuted: int = 0
    false_proved: list[int] = field(default_factory=list)
    true_refuted: list[int] = field(default_factory=list)
    false_undefined: list[int] = field(default_factory=list)
    base_true: int = 0
    base_false: int = 0
    base_proved: int = 0
    base_refuted: int = 0
    base_false_proved: list[int] = field(default_factory=list)
    base_true_refuted: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # per obligation (engine time)
    claim_latencies: list[float] = field(default_factory=list)  # per check_claim call (wall)
    claim_cpu: list[float] = field(default_factory=list)  # per check_claim call (CPU time)
    base_latencies: list[float] = field(default_factory=list)
    # false claims that both refute: (our wall, the baseline's wall), (our CPU, its CPU)
    both_refuted: list[tuple[float, float]] = field(default_factory=list)
    both_refuted_cpu: list[tuple[float, float]] = field(default_factory=list)

    def add(self, c: Claim, rec: dict[str, Any]) -> None:
        ours, base = rec.get("check"), rec.get("baseline")
        if ours is not None:
            self._count(c, ours)
            self.latencies += ours.get("obligation_times_s", [])
            self.claim_latencies.append(ours["wall_s"])
            if "cpu_s" in ours:
                self.claim_cpu.append(ours["cpu_s"])
        if (ours is not None and base is not None and not c.label
                and ours["status"] == base["status"] == "refuted" and not ours.get("undefined")):
            self.both_refuted.append((ours["wall_s"], base["wall_s"]))
            if "cpu_s" in ours and "cpu_s" in base:
                self.both_refuted_cpu.append((ours["cpu_s"], base["cpu_s"]))
        if base is not None:
            status = base["status"]
            if c.label:
                self.base_true += 1
                self.base_proved += status == "proved"
                if status == "refuted":
                    self.base_true_refuted.append(c.line)
            else:
                self.base_false += 1
                self.base_refuted += status == "refuted"
                if status == "proved":
                    self.base_false_proved.append(c.line)
            self.base_latencies.append(base["wall_s"])

    def _count(self, c: Claim, ours: dict[str, Any]) -> None:
        status, undefined = ours["status"], bool(ours.get("undefined"))
        if c.label:
            self.true += 1
            self.proved += status == "proved"
            if status == "refuted":
                self.true_refuted.append(c.line)
        else:
            self.false += 1
            # refuted through a definedness condition: not a refutation of the claim itself
            self.refuted += status == "refuted" and not undefined
            if status == "refuted" and undefined:
                self.false_undefined.append(c.line)
            if status == "proved":
                self.false_proved.append(c.line)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def _rate(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "-"


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{1000 * x:.0f}"


def refutation_medians(pairs: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The medians of our times and of the baseline's on the false claims both refute."""
    if not pairs:
        return None
    ours = percentile([a for a, _ in pairs], 50)
    base = percentile([b for _, b in pairs], 50)
    assert ours is not None and base is not None
    return ours, base


def _versus(pairs: list[tuple[float, float]]) -> str:
    m = refutation_medians(pairs)
    if m is None:
        return "-"
    ratio = f" ({m[0] / m[1]:.1f}x)" if m[1] > 0 else ""
    return f"{_ms(m[0])} / {_ms(m[1])}{ratio}"


def table(rows: list[Row], with_checker: bool) -> str:
    head = ["category", "claims"]
    if with_checker:
        head += ["proved (true)", "refuted (false)", "FALSE PROVED", "true refuted",
                 "p50 ms", "p95 ms", "claim p95 ms", "claim p95 CPU ms"]
    head += ["baseline proved", "baseline refuted", "baseline unsound", "baseline p50 ms",
             "baseline p95 ms"]
    if with_checker:
        head += ["refutation median ms, ours / baseline (wall)", "same, CPU"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.name, str(max(r.true + r.false, r.base_true + r.base_false))]
        if with_checker:
            cells += [_rate(r.proved, r.true), _rate(r.refuted, r.false),
                      str(len(r.false_proved)), str(len(r.true_refuted)),
                      _ms(percentile(r.latencies, 50)), _ms(percentile(r.latencies, 95)),
                      _ms(percentile(r.claim_latencies, 95)), _ms(percentile(r.claim_cpu, 95))]
        cells += [_rate(r.base_proved, r.base_true), _rate(r.base_refuted, r.base_false),
                  str(len(r.base_false_proved) + len(r.base_true_refuted)),
                  _ms(percentile(r.base_latencies, 50)), _ms(percentile(r.base_latencies, 95))]
        if with_checker:
            cells += [_versus(r.both_refuted), _versus(r.both_refuted_cpu)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def checker_available() -> bool:
    try:
        from checker import check_claim  # noqa: F401
    except ImportError as exc:
        print(f"note: `from checker import check_claim` fails ({exc})")
        return False
    return True


def run(claims: list[Claim], budget: float, baseline: bool, json_path: Path,
        misses: bool = False) -> int:
    """Run the benchmark; returns 1 if a soundness failure was seen, else 0."""
    with_checker = checker_available()
    if not with_checker:
        print("measuring the baseline only\n")
    worker = Worker()
    check_limit = 4 * budget + 10
    base_limit = budget + 1
    records: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        if with_checker:  # warm-up, not measured
            worker.run("check", WARM_UP[0], list(WARM_UP[1]), budget, check_limit)
            worker.warm_up.append(("check", budget, check_limit))
        if baseline:
            worker.run("baseline", WARM_UP[0], list(WARM_UP[1]), budget, base_limit + 5)
            worker.warm_up.append(("baseline", budget, base_limit + 5))
        for i, c in enumerate(claims, 1):
            rec: dict[str, Any] = {"line": c.line, "label": c.label, "category": c.category,
                                   "claim": c.text, "assume": list(c.assume)}
            if with_checker:
                rec["check"] = worker.run("check", c.text, list(c.assume), budget, check_limit)
            if baseline:
                rec["baseline"] = worker.run("baseline", c.text, list(c.assume), budget,
                                             base_limit)
            records.append(rec)
            _progress(i, len(claims), c, rec)
    finally:
        worker.stop()
    elapsed = time.perf_counter() - start
    rows = {name: Row(name) for name in CATEGORIES if any(c.category == name for c in claims)}
    total = Row("all")
    # records in the claims' order (line numbers repeat: the vector claims have a file of
    # their own)
    for c, rec in zip(claims, records, strict=False):
        rows[c.category].add(c, rec)
        total.add(c, rec)
    all_rows = [*rows.values(), total]
    print()
    print(table(all_rows, with_checker))
    print(f"\n{len(claims)} claims, budget {budget} s per claim, {elapsed:.0f} s in all"
          f"{f', {worker.restarts} worker restarts' if worker.restarts else ''}.")
    failures = _report_failures(records, with_checker)
    if misses and with_checker:
        _report_misses(records)
    summary = {
        "budget_s": budget,
        "elapsed_s": round(elapsed, 1),
        "checker": with_checker,
        "rows": [_row_json(r) for r in all_rows],
        "claims": records,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"\nwrote {json_path}")
    return 1 if failures else 0


def _progress(i: int, n: int, c: Claim, rec: dict[str, Any]) -> None:
    ours = rec.get("check", {}).get("status", "-")
    base = rec.get("baseline", {}).get("status", "-")
    flag = ""
    if (not c.label and ours == "proved") or (c.label and ours == "refuted"):
        flag = "   <-- WRONG VERDICT"
    print(f"[{i:3d}/{n}] line {c.line:4d} {'T' if c.label else 'F'} {c.category:14s} "
          f"{ours:9s} base {base:9s} {c.text}{flag}", file=sys.stderr, flush=True)


def _report_failures(records: list[dict[str, Any]], with_checker: bool) -> bool:
    wrong: list[str] = []
    base_wrong: list[str] = []
    errors: list[str] = []
    notes: list[str] = []
    for rec in records:
        where = f"line {rec['line']}: {rec['claim']}  [{'; '.join(rec['assume'])}]"
        for key, bucket in (("check", wrong), ("baseline", base_wrong)):
            r = rec.get(key)
            if r is None:
                continue
            if not rec["label"] and r["status"] == "proved":
                bucket.append(f"FALSE CLAIM PROVED ({r['engine']}) {where}: {r['reason']}")
            if rec["label"] and r["status"] == "refuted":
                why = " as UNDEFINED" if r.get("undefined") else ""
                bucket.append(f"TRUE CLAIM REFUTED{why} ({r['engine']}) {where}\n"
                              f"      at [{r['counterexample']}]: {r['reason']}")
            if not rec["label"] and r["status"] == "refuted" and r.get("undefined"):
                notes.append(f"false claim refuted only as undefined (not counted): {where}: "
                             f"{r['reason']}")
            if r["status"] in ("error", "timeout"):
                errors.append(f"{key} {r['status']}: {where}: {r['reason']}")
    if with_checker:
        if wrong:
            print("\n" + "!" * 78)
            print("SOUNDNESS FAILURES OF check_claim:")
            for w in wrong:
                print("  " + w)
            print("!" * 78)
        else:
            print("\ncheck_claim: no false claim proved, no true claim refuted.")
    if base_wrong:
        print("\nbaseline soundness failures:")
        for w in base_wrong:
            print("  " + w)
    for n in notes:
        print("\nnote: " + n)
    if errors:
        print("\nerrors and timeouts:")
        for e in errors:
            print("  " + e)
    return bool(wrong)


def _report_misses(records: list[dict[str, Any]]) -> None:
    """The claims check_claim did not decide: true not proved, false not refuted."""
    print("\nnot decided by check_claim:")
    for rec in records:
        r = rec["check"]
        wanted = "proved" if rec["label"] else "refuted"
        if r["status"] != wanted and r["status"] not in ("proved", "refuted"):
            print(f"  line {rec['line']} ({'true' if rec['label'] else 'false'}, {r['status']}, "
                  f"{r['wall_s']:.2f} s): {rec['claim']}  [{'; '.join(rec['assume'])}]"
                  f"  -- {r['reason'][:120]}")


def _row_json(r: Row) -> dict[str, Any]:
    return {
        "category": r.name,
        "true": r.true, "false": r.false, "proved": r.proved, "refuted": r.refuted,
        "false_proved_lines": r.false_proved, "true_refuted_lines": r.true_refuted,
        "false_refuted_as_undefined_lines": r.false_undefined,
        "p50_s": percentile(r.latencies, 50), "p95_s": percentile(r.latencies, 95),
        "claim_p50_s": percentile(r.claim_latencies, 50),
        "claim_p95_s": percentile(r.claim_latencies, 95),
        "claim_cpu_p50_s": percentile(r.claim_cpu, 50),
        "claim_cpu_p95_s": percentile(r.claim_cpu, 95),
        "claim_cpu_total_s": round(sum(r.claim_cpu), 2),
        "refutation_medians_s": refutation_medians(r.both_refuted),
        "refutation_medians_cpu_s": refutation_medians(r.both_refuted_cpu),
        "baseline": {
            "true": r.base_true, "false": r.base_false, "proved": r.base_proved,
            "refuted": r.base_refuted, "false_proved_lines": r.base_false_proved,
            "true_refuted_lines": r.base_true_refuted,
            "p50_s": percentile(r.base_latencies, 50), "p95_s": percentile(r.base_latencies, 95),
        },
    }


def select(claims: list[Claim], only: str | None, limit: int | None) -> Iterator[Claim]:
    chosen = [c for c in claims if only is None or c.category == only]
    yield from chosen[:limit] if limit is not None else chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--budget", type=float, default=2.0, help="seconds per claim (default 2)")
    ap.add_argument("--only", choices=CATEGORIES, help="run one category")
    ap.add_argument("--limit", type=int, help="run the first N claims (after --only)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    ap.add_argument("--misses", action="store_true",
                    help="also list the claims check_claim did not decide")
    ap.add_argument("--check-labels", action="store_true",
                    help="re-check the labels with mpmath instead of running the engines")
    ap.add_argument("--claims", type=Path, default=CLAIMS, help="the corpus file")
    ap.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    args = ap.parse_args(argv)
    corpus = load_claims(args.claims)
    if args.claims == CLAIMS:  # the vector category's corpus is shared with the tests
        from vector_claims import VECTOR_CLAIMS

        corpus += load_claims(VECTOR_CLAIMS)
    claims = list(select(corpus, args.only, args.limit))
    if args.check_labels:
        return 1 if check_labels(claims) else 0
    return run(claims, args.budget, not args.no_baseline, args.json, args.misses)


if __name__ == "__main__":
    sys.exit(main())
