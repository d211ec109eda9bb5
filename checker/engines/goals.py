"""The recursion behind the calculus methods: sub-goals, where they must hold, and work.

The methods ``cases`` (max, min, abs), ``inverse`` (a strictly monotone function applied to
both sides), ``monotone`` (the sign of a derivative from an end point, a limit or a split
point, also after a change of variable) and ``convexity`` (concave in a bounded variable)
each reduce an obligation to smaller ones, which a ``Prover`` decides in turn: first by a
rigorous enclosure (``checker.engines.sign``), then by a short Z3 check, then by the
interval engine where every variable is bounded, then by the methods again, one level
deeper. The top-level engine's ``proved`` is cross-checked by the portfolio as any other.

Where a sub-goal must hold. The engines prove a claim at every point *where it is defined*;
a method that argues over a whole segment (the mean value theorem) needs more: the
expression defined on the segment. Such a sub-goal is asked with ``everywhere=True``: its
definedness conditions (``conditions``: a logarithm's argument > 0, a root's >= 0, a
denominator != 0, ``Phi_inv``'s argument in (0, 1)) are proved first, innermost first, each
where the ones before it hold.

Work. A ``Prover`` counts sub-goals with a ``work.Meter`` (``GOAL_WORK`` at the default
budget) and nests at most ``MAX_DEPTH`` levels; a sub-goal that is false at one of a few
simple sample points is given up at once (the methods never refute: the search does).
Deterministic: nothing looks at the clock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from fractions import Fraction

import sympy as sp

from checker.engines import definedness, sign, work
from checker.functions import PhiInv
from checker.numeric import Undefined, holds_at
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

GOAL_WORK = 300  # work units (sub-goals, Z3 checks, derivatives) at the default budget
MAX_DEPTH = 9
MAX_OPS = 300  # a sub-goal larger than this is not attempted
Z3_RLIMIT = 60_000  # Z3 resource units for one sub-goal at the default budget
Z3_COST = 2  # sub-goal units a Z3 check counts for
Z3_MAX_OPS = 40  # larger sub-goals are not given to Z3 (its resource limit is coarse there)
INTERVAL_SHARE = 0.1  # the interval engine's budget on a bounded sub-goal (share of 2 s)
INTERVAL_COST = 6
# of the work left, for one method on one sub-goal: shares compound down the recursion (a
# change of variable, then an inverse, then a split is 5 levels deep in
# ``Phi_inv(p) <= sqrt(2*log(1/(2*(1 - p))))`` on [1/2, 1)), and a dead end is usually found
# by a number at once, so most of the work goes to the method tried
METHOD_SHARE = 0.75
GOAL_OPS_PER_UNIT = 20  # a sub-goal counts one more unit per this many operations
DERIVATIVE_OPS_PER_UNIT = 10  # a derivative counts one unit per this many operations
SAMPLE_POINTS = 6
MAX_REASON = 600

Method = Callable[[Obligation, "Prover", int], "str | None"]
Side = tuple[Fraction | None, Fraction | None]

def conditions(e: sp.Expr, strict: bool = False) -> list[Relation] | None:
    """Where ``e`` is defined (``strict``: also differentiable): see checker.engines.definedness."""
    return definedness.conditions(e, strict)


# ------------------------------------------------------------------------------ helpers


def sides(ob: Obligation) -> dict[str, Side]:
    """Each variable's bounds from its domain, the hypotheses ``x op c`` (c rational), and
    then the hypotheses ``x op e`` with e enclosed on the bounds found so far (``p > q`` with
    ``q in (0, 1)`` gives ``p >= 0``)."""
    out: dict[str, Side] = {}
    for n in ob.names:
        d = ob.domain(n)
        out[n] = (d.lo, d.hi)
    for h in ob.hypotheses:
        b = numeric_bound(h)
        if b is not None:
            _tighten(out, *b)
    for h in ob.hypotheses:
        rel = h if h.lhs.is_Symbol else h.flipped()
        if not rel.lhs.is_Symbol or rel.op in ("=", "!=") or rel.lhs in rel.rhs.free_symbols:
            continue
        if rel.rhs.is_Rational:
            continue
        iv = sign.enclose(rel.rhs, out)
        if iv is None:
            continue
        end = iv[0] if rel.op in (">", ">=") else iv[1]
        if not isinstance(end, float):
            man, ex = end.mid().man_exp()
            _tighten(out, rel.lhs.name, rel.op in (">", ">="),
                      Fraction(int(man)) * Fraction(2) ** int(ex))
    return out


def _tighten(out: dict[str, Side], name: str, is_lower: bool, q: Fraction) -> None:
    lo, hi = out.get(name, (None, None))
    if is_lower and (lo is None or q > lo):
        lo = q
    if not is_lower and (hi is None or q < hi):
        hi = q
    out[name] = (lo, hi)


def numeric_bound(h: Relation) -> tuple[str, bool, Fraction] | None:
    """``x >= c`` as (x, True, c); ``x < c`` as (x, False, c) (strictness dropped)."""
    lhs, op, rhs = h.lhs, h.op, h.rhs
    if op in ("=", "!="):
        return None
    if rhs.is_Symbol and lhs.is_Rational:
        lhs, rhs, op = rhs, lhs, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    if not (lhs.is_Symbol and rhs.is_Rational):
        return None
    return lhs.name, op in (">", ">="), Fraction(int(rhs.p), int(rhs.q))


def restrict(ob: Obligation, name: str, d: Domain) -> Obligation:
    """``ob`` with ``name``'s domain met with ``d``."""
    domains = dict(ob.domains)
    domains[name] = domains.get(name, Domain()).meet(d)
    return Obligation(ob.claim, tuple(sorted(domains.items())), ob.hypotheses)


def with_claim(ob: Obligation, claim: Relation,
               extra: tuple[Relation, ...] = ()) -> Obligation:
    """A sub-goal with ``ob``'s domains and hypotheses (plus ``extra``), domains of variables
    that no longer occur dropped."""
    hyps = tuple(dict.fromkeys((*ob.hypotheses, *extra)))
    names = set(claim.free_names)
    for h in hyps:
        names |= h.free_names
    domains = tuple((n, d) for n, d in ob.domains if n in names)
    return Obligation(claim, domains, hyps)


def _sample(ob: Obligation) -> list[dict[str, Fraction]]:
    """A few simple points of the domains that satisfy the hypotheses (deterministic): for
    each variable, simple values within its bounds (``sides``: from its domain and from the
    hypotheses that bound it, so that ``q > 0, q < 1`` is sampled inside (0, 1))."""
    names = ob.names
    if len(names) > 4:
        return []
    box = sides(ob)
    per: list[list[Fraction]] = []
    for n in names:
        d = ob.domain(n)
        lo, hi = box.get(n, (d.lo, d.hi))
        cands = [Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(3),
                 Fraction(-3), Fraction(10), Fraction(1, 10)]
        for b in (lo, hi):
            if b is not None:
                cands += [b, b + Fraction(1, 1000), b - Fraction(1, 1000), b + 2, b - 2]
        if lo is not None and hi is not None:
            cands += [(lo + hi) / 2, (3 * lo + hi) / 4, (lo + 3 * hi) / 4]
        per.append(list(dict.fromkeys(c for c in cands if d.contains(c) and (
            lo is None or c >= lo) and (hi is None or c <= hi)))[:6])
    out: list[dict[str, Fraction]] = []
    for combo in itertools.islice(itertools.product(*per), 60):
        pt = dict(zip(names, combo, strict=True))
        try:
            if all(holds_at(h, pt) is not False for h in ob.hypotheses):
                out.append(pt)
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
        if len(out) >= SAMPLE_POINTS:
            break
    return out


def false_somewhere(ob: Obligation) -> bool:
    """Is the claim false at one of a few simple points (``_sample``)?"""
    for pt in _sample(ob):
        try:
            if holds_at(ob.claim, pt) is False:
                return True
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
    return False


GIVEN_OPS = 12  # larger claims are not compared with the hypotheses


def given(ob: Obligation) -> bool:
    """Whether the claim ``f > 0`` (``>= 0``) is a hypothesis or a bound of a domain up to a
    non-negative number: ``f = g + c`` with ``g > 0`` (``>= 0``) given and c >= 0 rational
    (``q > 0`` where ``q in (0, 1)``; ``1 - q > 0`` from ``q < 1``). Where the hypotheses hold,
    g is defined, and so is f: it holds *everywhere* on the obligation's set."""
    f, op = ob.claim.difference()
    if op not in (">", ">=") or size(f) > GIVEN_OPS:
        return False
    facts = [h.difference() for h in ob.hypotheses]
    for n, d in ob.domains:
        x = sym(n)
        if d.lo is not None:
            facts.append((x - sp.Rational(d.lo.numerator, d.lo.denominator),
                          ">" if d.lo_open else ">="))
        if d.hi is not None:
            facts.append((sp.Rational(d.hi.numerator, d.hi.denominator) - x,
                          ">" if d.hi_open else ">="))
    for g, fop in facts:
        if fop not in (">", ">="):
            continue
        c = f - g
        if c.is_Rational and (c > 0 or (c == 0 and (fop == ">" or op == ">="))):
            return True
    return False


def size(e: sp.Expr) -> int:
    return int(sp.count_ops(e))


# ------------------------------------------------------------------------------ the prover


class Prover:
    """Decides sub-goals for the methods, within one work budget (see the module docstring)."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.meter = work.Meter(work.amount(GOAL_WORK, budget_s))
        self.memo: dict[tuple[str, bool], str | None] = {}
        self.made_by: dict[str, str] = {}  # sub-goal key -> the method that made it
        self.order: dict[str, int] = {}  # sub-goal key -> derivatives taken to reach it
        self.cuts = 0  # attempts stopped by a share of the work running out (``capped``)

    def derivative(self, e: sp.Expr, x: sp.Symbol, n: int = 1) -> sp.Expr:
        """``e``'s n-th derivative in x, its cost counted by its size."""
        d = sp.diff(e, x, n)
        self.meter.spend(1 + size(d) // DERIVATIVE_OPS_PER_UNIT)
        return d

    def prove(self, ob: Obligation, depth: int, everywhere: bool = False) -> str | None:
        """How ``ob`` was proved (a short reason), or None. Raises ``work.OutOfWork``."""
        key = (ob.key(), everywhere)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # a goal that needs itself is not proved by that
        cuts = self.cuts
        try:
            reason = self._prove(ob, depth, everywhere)
        except BaseException:
            del self.memo[key]  # not decided: may be tried again
            raise
        if reason is None and self.cuts != cuts:
            del self.memo[key]  # failed for want of work: may be tried again with more
        else:
            self.memo[key] = reason
        return reason

    def _prove(self, ob: Obligation, depth: int, everywhere: bool) -> str | None:
        self.meter.spend()
        if depth > MAX_DEPTH:
            return None
        f, op = ob.claim.difference()
        if op not in (">=", ">", "!="):
            return None
        ops = size(f)
        if ops > MAX_OPS:
            return None
        self.meter.spend(ops // GOAL_OPS_PER_UNIT)
        if op != "!=" and given(ob):
            return "a hypothesis"
        if op != "!=" and ob.names and not f.is_number and false_somewhere(ob):
            return None  # a few numbers before any proof, its definedness's included
        if everywhere:
            conds = conditions(f)
            if conds is None:
                return None
            for c in conds:
                if self.prove(with_claim(ob, c), depth + 1) is None:
                    return None
        if not ob.names or f.is_number:
            try:
                ok = holds_at(ob.claim, {})
            except (Undefined, NotImplementedError, ZeroDivisionError, ValueError):
                return None
            return "evaluated" if ok is True else None
        if op == "!=":
            pos = self.prove(with_claim(ob, Relation(f, ">", sp.Integer(0))), depth + 1)
            if pos is not None:
                return pos
            return self.prove(with_claim(ob, Relation(-f, ">", sp.Integer(0))), depth + 1)
        box = sides(ob)
        certified = sign.certify(f, box, op == ">")
        if certified is not None:
            return certified
        return self._engines(ob, depth, box)

    def _engines(self, ob: Obligation, depth: int, box: dict[str, Side]) -> str | None:
        self.meter.spend(Z3_COST)
        f, _ = ob.claim.difference()
        rlimit = work.amount(Z3_RLIMIT, self.budget_s)
        if size(f) <= Z3_MAX_OPS and _z3_unsat(ob, rlimit, self.budget_s):
            return "Z3"
        # the interval engine uses a hypothesis between variables (``x >= y``) only to discard
        # boxes: where the claim is tight along it, as a branch of a case split is where its
        # two sides meet, boxes across it are never certified (on the bench such sub-goals
        # were never proved by it, at 0.1 s each)
        if all(lo is not None and hi is not None for lo, hi in box.values()) and not any(
                len(h.free_names) >= 2 for h in ob.hypotheses):
            from checker.engines import intervals

            self.meter.spend(INTERVAL_COST)
            v = intervals.prove(ob, INTERVAL_SHARE * work.DEFAULT_BUDGET_S
                                * work.scale(self.budget_s))
            if v.status is Status.PROVED:
                return "interval branch and bound"
        for method in _methods(ob):
            reason = self._bounded(method, ob, depth)
            if reason is not None:
                return reason
        return None

    def _bounded(self, method: Method, ob: Obligation, depth: int) -> str | None:
        """``method`` on ``ob`` with at most METHOD_SHARE of the work left, so that one
        method's dead end leaves work for the next."""
        return self.capped(METHOD_SHARE, lambda: method(ob, self, depth))

    def capped(self, share: float, attempt: Callable[[], str | None]) -> str | None:
        """``attempt()`` with at most ``share`` of the work left (None when it runs out of
        that share; ``work.OutOfWork`` when the whole budget is spent)."""
        meter = self.meter
        limit = meter.limit
        meter.limit = min(limit, meter.used + max(1, int(meter.left * share)))
        try:
            return attempt()
        except work.OutOfWork:
            if meter.used >= limit:
                raise
            self.cuts += 1
            return None
        finally:
            meter.limit = limit


def _z3_unsat(ob: Obligation, rlimit: int, budget_s: float) -> bool:
    """Is the negated claim unsatisfiable under the domains and hypotheses (Z3 with its
    abstraction of the functions it does not know, within ``rlimit``)? Only ``unsat`` counts;
    no model is looked at (the methods never refute)."""
    import z3

    from checker.engines import z3_engine

    ctx = z3.Context()
    tr = z3_engine.Translator(ctx, ob)
    try:
        hyps = [tr.relation(h) for h in ob.hypotheses]
        negated = z3.Not(tr.relation(ob.claim))
    except z3_engine.Untranslatable:
        return False
    solver = z3.Solver(ctx=ctx)
    solver.add(*hyps, *tr.facts, *tr.monotone_facts(), negated)
    try:
        return bool(z3_engine._check(solver, ctx, rlimit, budget_s) == z3.unsat)
    except z3_engine._SafetyCap as exc:
        raise SafetyCap from exc


class SafetyCap(Exception):
    """Z3 reached the safety cap (the check's hard limit is near): the answer is
    ``time limit``, the one machine-dependent verdict (see checker.engines.work)."""


def _methods(ob: Obligation) -> list[Method]:
    """The methods for a sub-goal, in order: derivatives of Phi_inv grow fast
    (``sqrt(2*pi)*exp(Phi_inv(p)^2/2)``), so a claim with one is inverted first."""
    from checker.engines import cases, convexity, inverse, monotone

    if ob.claim.lhs.has(PhiInv) or ob.claim.rhs.has(PhiInv):
        return [cases.attempt, inverse.attempt, monotone.attempt, convexity.attempt]
    return [cases.attempt, monotone.attempt, inverse.attempt, convexity.attempt]


# The calculus engines run one after the other on the same obligation (portfolio.CALCULUS):
# they share one Prover, so that their work budget is one budget, and a sub-goal decided by
# one is not decided again by the next. ``cases`` (the first) calls ``begin``; each engine
# then uses that Prover once, for the same obligation and budget only (called alone, an
# engine gets a Prover of its own). Deterministic: the same calls give the same provers.
ENGINES = ("cases", "convexity", "monotone", "inverse")
_local = threading.local()  # one shared Prover per thread (checks in threads stay apart)


def _state() -> dict[str, object]:
    if not hasattr(_local, "shared"):
        _local.shared = {}
    state: dict[str, object] = _local.shared
    return state


def begin(ob: Obligation, budget_s: float) -> None:
    """Start the Prover that the calculus engines share on this obligation."""
    _shared = _state()
    _shared.clear()
    _shared.update(key=f"{budget_s!r}\n{ob.key()}", prover=Prover(budget_s),
                   left=set(ENGINES))


def _prover(ob: Obligation, budget_s: float, engine: str) -> Prover:
    _shared = _state()
    left = _shared.get("left")
    if (_shared.get("key") == f"{budget_s!r}\n{ob.key()}" and isinstance(left, set)
            and engine in left):
        left.discard(engine)
        shared = _shared["prover"]
        assert isinstance(shared, Prover)
        return shared
    return Prover(budget_s)


def run(ob: Obligation, budget_s: float, engine: str, method: Method) -> Verdict:
    """The engine interface of one method: ``method`` on the whole obligation, its sub-goals
    decided by a ``Prover`` (shared by the calculus engines: see ``_prover``). PROVED with
    what was proved; else UNKNOWN."""
    prover = _prover(ob, budget_s, engine)
    meter = prover.meter
    if meter.exhausted:
        return Verdict(Status.UNKNOWN, engine, "work budget spent")
    whole = meter.limit  # this engine may use its share of what the engines before it left
    meter.limit = min(whole, meter.used + max(1, int(meter.left * TOP_SHARE.get(engine, 1.0))))
    try:
        return _run(ob, engine, method, prover)
    finally:
        meter.limit = whole


# the share of the shared work left that each calculus engine may use (the last one, all);
# convexity's proofs on the bench take at most 12 of its 60 units (a Jensen step's curvature
# is a product of signed factors), while a claim that is not concave may spend them all
TOP_SHARE = {"cases": 0.8, "convexity": 0.2, "monotone": 0.8, "inverse": 1.0}


def _run(ob: Obligation, engine: str, method: Method, prover: Prover) -> Verdict:
    begun = time.monotonic()  # only to say how long, in a time-limit verdict
    try:
        f, op = ob.claim.difference()
        if op not in (">=", ">") or size(f) > MAX_OPS or false_somewhere(ob):
            return Verdict(Status.UNKNOWN, engine, "")
        reason = method(ob, prover, 0)
    except work.OutOfWork:
        return Verdict(Status.UNKNOWN, engine, "work budget spent")
    except SafetyCap:
        return work.time_limit_verdict(engine, time.monotonic() - begun)
    except (RecursionError, ValueError, TypeError, ZeroDivisionError, NotImplementedError,
            sp.PolynomialError) as exc:
        return Verdict(Status.UNKNOWN, engine, f"failed ({type(exc).__name__})")
    if reason is None:
        return Verdict(Status.UNKNOWN, engine, "")
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3] + "..."
    return Verdict(Status.PROVED, engine, reason)


def variable_bounds(ob: Obligation, name: str) -> tuple[list[tuple[sp.Expr, bool]],
                                                        list[tuple[sp.Expr, bool]],
                                                        list[Relation]] | None:
    """The lower and upper bounds of ``name`` (expression, strict) from its domain and the
    hypotheses ``name op e`` (e free of it), and the hypotheses free of ``name``; None for an
    integer variable. A hypothesis that constrains ``name`` otherwise is dropped: a claim
    proved without it is proved with it (and the feasible set stays an interval)."""
    x = sym(name)
    lows: list[tuple[sp.Expr, bool]] = []
    highs: list[tuple[sp.Expr, bool]] = []
    rest: list[Relation] = []
    d = ob.domain(name)
    if d.integer:
        return None
    if d.lo is not None:
        lows.append((sp.Rational(d.lo.numerator, d.lo.denominator), d.lo_open))
    if d.hi is not None:
        highs.append((sp.Rational(d.hi.numerator, d.hi.denominator), d.hi_open))
    for h in ob.hypotheses:
        if name not in h.free_names:
            rest.append(h)
            continue
        rel = h
        if rel.lhs != x:
            rel = rel.flipped()
        if rel.lhs != x or x in rel.rhs.free_symbols or rel.op in ("=", "!="):
            continue
        if rel.op in (">", ">="):
            lows.append((rel.rhs, rel.op == ">"))
        else:
            highs.append((rel.rhs, rel.op == "<"))
    return lows, highs, rest


def smooth(e: sp.Expr) -> bool:
    """Made only of functions this module can differentiate and bound (no kinks, floors,
    sums or opaque terms)."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, (sp.Symbol, sp.Number, sp.Add, sp.Mul, sp.Pow, sp.log, PhiInv,
                             *definedness.SMOOTH)) or node in (sp.pi, sp.E):
            continue
        if isinstance(node, sp.NumberSymbol):
            continue
        return False
    return True
