"""The Z3 engine: nonlinear real/integer arithmetic with abstracted transcendental terms.

``prove(ob, budget_s)`` asks Z3 whether ``hypotheses AND domains AND NOT claim`` has a
solution. No solution (unsat) is a proof. A solution is only a candidate: its values are
turned into exact rationals (nearby simple ones first) and re-checked on the original
obligation by ``checker.numeric.verify_counterexample``; only a confirmed point refutes.

Translation:

* ``a/b`` and ``b^-n`` use an auxiliary ``q`` with ``b != 0 -> q*b == 1``; ``t^(p/q)`` an
  auxiliary root r with ``t >= 0 -> (r >= 0 and r^q == t)``; small integer powers become
  products.
* Every other term (exp, log, Phi, sigmoid, erf, tanh, sin, symbolic powers, factorial,
  sums, ...) becomes a fresh real variable, one per distinct SymPy subterm, with cheap
  true facts attached (ranges, tangent lines such as ``exp(u) >= 1 + u``, monotonicity
  between two terms of the same function). ``|u|``, Max and Min become ``If``; floor and
  ceiling become integers bracketing their argument. Constant terms get Arb bounds.

No definedness requirement is ever asserted as a fact: every fact about a partial function's
value is conditional on its argument being in the function's domain
(``(0 < p < 1) -> facts about Phi_inv(p)``, ``u > 0 -> facts about log(u)``), so that a
contradictory requirement (``Phi_inv(2)``, ``1/0``, ``log(-1)``) cannot make an obligation
unsatisfiable. Definedness is checked as separate obligations; here an undefined term is
just an unknown real. Two uses remain, both guarded: a model that is not a confirmed
counterexample is replaced by one where every term is defined (a candidate only), and the
hypotheses' own definedness (a point satisfies a hypothesis only where it is defined) may
complete a proof once Z3 has found that it can hold together with the hypotheses
(``_where_hypotheses_defined``).

Every call uses its own ``z3.Context`` (the shared default one crashes under threads). Each
check is bounded by Z3's resource limit (``rlimit``, deterministic work scaled from the budget:
``checker.engines.work``), so the answer never depends on the machine's load; a wall-clock
safety cap only stops a check that goes on far longer (a watchdog thread interrupts the
context), and then the verdict is ``unknown (time limit: ...)``.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any, TypeAlias

import sympy as sp
import z3
from sympy.logic.boolalg import Boolean

from checker.engines import work
from checker.functions import Phi, PhiInv, Sigmoid
from checker.numeric import ball, verify_counterexample
from checker.obligations import Counterexample, Domain, Obligation, Relation, Status, Verdict

ENGINE = "z3"
MAX_POWER = 32  # integer exponents up to this become products
MAX_ROOT = 6  # t^(p/q) gets an auxiliary root for q up to this
MAX_MONOTONE_TERMS = 8  # per function: pairs among at most this many terms
MAX_CHECK_S = 3600.0  # one Z3 check never runs longer than this, whatever the budget
GRACE_S = 1.0  # wall-clock seconds an interrupted check may take to stop before it is given up
WAIT_SLICE_S = 0.05  # how often a thread waiting for a check runs its signal handlers
ROUNDINGS = (1, 2, 10, 100, 10**4, 10**8)  # denominators tried when rounding a model value
SIMPLE_GRIDS = ((1, 3), (2, 3), (1, 100))  # (denominator, bound): values k/den with |.| <= bound

Z3Term: TypeAlias = Any  # z3.ArithRef (z3 ships no type information)
Key: TypeAlias = object  # a SymPy subterm or a tagged tuple


class Untranslatable(Exception):
    """A term with no real-valued reading (complex numbers, infinities, booleans)."""


# ------------------------------------------------------------------------------- translation


def _fraction(q: sp.Rational) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _arb_fraction(x: object) -> Fraction:
    man, exp = x.mid().man_exp()  # type: ignore[attr-defined]
    e = int(exp)
    return Fraction(int(man)) * (Fraction(2) ** e)


# unary functions: (direction, anchor point, value there); direction 1 increasing, -1 decreasing
_MONOTONE: dict[type, tuple[int, Fraction | None, Fraction | None]] = {
    sp.exp: (1, Fraction(0), Fraction(1)),
    sp.log: (1, Fraction(1), Fraction(0)),
    sp.tanh: (1, Fraction(0), Fraction(0)),
    sp.erf: (1, Fraction(0), Fraction(0)),
    sp.erfc: (-1, Fraction(0), Fraction(1)),
    sp.atan: (1, Fraction(0), Fraction(0)),
    sp.asin: (1, Fraction(0), Fraction(0)),
    sp.acos: (-1, None, None),
    sp.sinh: (1, Fraction(0), Fraction(0)),
    Phi: (1, Fraction(0), Fraction(1, 2)),
    PhiInv: (1, Fraction(1, 2), Fraction(0)),
    Sigmoid: (1, Fraction(0), Fraction(1, 2)),
}
_OTHER_UNARY = (sp.sin, sp.cos, sp.tan, sp.cosh)
HALF_PI_UP = Fraction(157080, 100000)  # > pi/2
PI_UP = Fraction(314160, 100000)  # > pi


class Translator:
    """Turns SymPy trees into Z3 terms in one context, collecting side facts."""

    def __init__(self, ctx: z3.Context, ob: Obligation) -> None:
        self.ctx = ctx
        self.vars: dict[str, Z3Term] = {}
        self.facts: list[z3.BoolRef] = []
        # where the terms are defined: never a fact for a proof, only a filter on the models
        # that become candidate counterexamples
        self.definedness: list[z3.BoolRef] = []
        self.cache: dict[Key, Z3Term] = {}
        self.abstracted: list[sp.Expr] = []
        self.monotone: dict[object, list[tuple[Z3Term, Z3Term, z3.BoolRef | None]]] = {}
        self.count = 0
        for name in ob.names:
            d = ob.domain(name)
            v = z3.Int(name, ctx) if d.integer else z3.Real(name, ctx)
            self.vars[name] = v
            self.facts.extend(self._domain(v, d))

    # -- helpers
    def const(self, q: Fraction) -> Z3Term:
        if q.denominator == 1:
            return z3.IntVal(q.numerator, self.ctx)
        return z3.RealVal(f"{q.numerator}/{q.denominator}", self.ctx)

    def fresh(self, tag: str, integer: bool = False) -> Z3Term:
        self.count += 1
        name = f"_{tag}{self.count}"
        return z3.Int(name, self.ctx) if integer else z3.Real(name, self.ctx)

    def _domain(self, v: Z3Term, d: Domain) -> list[z3.BoolRef]:
        out: list[z3.BoolRef] = []
        if d.lo is not None:
            lo = self.const(d.lo)
            out.append(v > lo if d.lo_open else v >= lo)
        if d.hi is not None:
            hi = self.const(d.hi)
            out.append(v < hi if d.hi_open else v <= hi)
        return out

    def product(self, terms: list[Z3Term]) -> Z3Term:
        out = terms[0]
        for t in terms[1:]:
            out = out * t
        return out

    def reciprocal(self, key: Key, z: Z3Term) -> Z3Term:
        """An auxiliary q with ``z != 0 -> q*z == 1`` (z != 0 is a definedness condition,
        checked elsewhere, never asserted here)."""
        tagged = ("inv", key)
        if tagged not in self.cache:
            q = self.fresh("inv")
            self.facts.append(z3.Implies(z != 0, q * z == 1))
            self.definedness.append(z != 0)
            self.cache[tagged] = q
        return self.cache[tagged]

    def root(self, base: sp.Expr, q: int) -> Z3Term:
        """An auxiliary r with ``base >= 0 -> (r >= 0 and r^q == base)`` (base >= 0 is a
        definedness condition, checked elsewhere, never asserted here)."""
        tagged = ("root", base, q)
        if tagged not in self.cache:
            r = self.fresh("root")
            t = self.expr(base)
            self.facts.append(z3.Implies(t >= 0, z3.And(r >= 0, self.product([r] * q) == t)))
            self.definedness.append(t >= 0)
            self.cache[tagged] = r
        return self.cache[tagged]

    def conditional(self, defined: z3.BoolRef | None, facts: list[z3.BoolRef]) -> None:
        """Add facts that hold where a term is defined (``defined``; None: everywhere)."""
        if defined is not None:
            self.definedness.append(defined)
        if not facts:
            return
        if defined is None:
            self.facts += facts
        else:
            self.facts.append(z3.Implies(defined, z3.And(*facts)))

    # -- relations
    def relation(self, rel: Relation) -> z3.BoolRef:
        a, b = self.expr(rel.lhs), self.expr(rel.rhs)
        op = rel.op
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b

    # -- expressions
    def expr(self, e: sp.Expr) -> Z3Term:
        if isinstance(e, (int, Fraction)) and not isinstance(e, bool):
            return self.const(Fraction(e))
        if not isinstance(e, sp.Expr):
            raise Untranslatable(f"{e!r} is not a SymPy expression")
        if e.is_Symbol:
            if e.name not in self.vars:  # a name missing from ob.names: unrestricted real
                self.vars[e.name] = z3.Real(e.name, self.ctx)
            return self.vars[e.name]
        if e.is_Rational:
            return self.const(_fraction(e))
        if e in self.cache:
            return self.cache[e]
        out = self._expr(e)
        self.cache[e] = out
        return out

    def _expr(self, e: sp.Expr) -> Z3Term:
        if e.is_Float:
            return self.const(Fraction(float(e)) if e.is_finite else Fraction(0))
        if e.has(sp.I) or e.has(sp.oo, sp.zoo, sp.nan, -sp.oo):
            raise Untranslatable(f"{e} is not a finite real number")
        if isinstance(e, Boolean) or e.is_Relational:
            raise Untranslatable(f"{e} is not a number")
        if e.is_Add:
            terms = [self.expr(a) for a in e.args]
            out = terms[0]
            for t in terms[1:]:
                out = out + t
            return out
        if e.is_Mul:
            return self.product([self.expr(a) for a in e.args])
        if isinstance(e, sp.exp):
            return self.unary(e, sp.exp)
        if e.is_Pow:
            return self.power(e)
        if isinstance(e, sp.Abs):
            u = self.expr(e.args[0])
            return z3.If(u >= 0, u, -u)
        if isinstance(e, (sp.Max, sp.Min)):
            vals = [self.expr(a) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = z3.If(v > out, v, out) if isinstance(e, sp.Max) else z3.If(v < out, v, out)
            return out
        if isinstance(e, (sp.floor, sp.ceiling)):
            u = self.expr(e.args[0])
            n = self.fresh("floor" if isinstance(e, sp.floor) else "ceil", integer=True)
            if isinstance(e, sp.floor):
                self.facts += [z3.ToReal(n) <= u, u < z3.ToReal(n) + 1]
            else:
                self.facts += [z3.ToReal(n) - 1 < u, u <= z3.ToReal(n)]
            return n
        for kind in (*_MONOTONE, *_OTHER_UNARY):
            if isinstance(e, kind) and len(e.args) == 1:
                return self.unary(e, kind)
        if isinstance(e, sp.factorial):
            u = self.expr(e.args[0])
            v = self.abstract(e)
            facts = [v > 0]
            if u.is_int():
                facts += [v >= 1, v >= u]
            self.conditional(u >= 0, facts)  # factorial of a negative number is undefined
            return v
        return self.abstract(e)

    def abstract(self, e: sp.Expr) -> Z3Term:
        """A fresh real for the subterm; constants get rigorous Arb bounds."""
        v = self.fresh("t")
        self.abstracted.append(e)
        if not e.free_symbols:
            self.facts += self._constant_bounds(e, v)
        return v

    def _constant_bounds(self, e: sp.Expr, v: Z3Term) -> list[z3.BoolRef]:
        try:
            b = ball(e, {}, 128)
        except Exception:
            return []
        if not b.is_finite():
            return []
        lo, hi = _arb_fraction(b.lower()), _arb_fraction(b.upper())
        return [v >= self.const(lo), v <= self.const(hi)]

    def power(self, e: sp.Expr) -> Z3Term:
        base, ex = e.base, e.exp
        if ex.is_Integer:
            n = int(ex)
            if 0 < abs(n) <= MAX_POWER:
                z = self.expr(base) if n > 0 else self.reciprocal(base, self.expr(base))
                return self.product([z] * abs(n))
            v = self.abstract(e)
            if n % 2 == 0:
                self.conditional(None if n > 0 else self.expr(base) != 0, [v >= 0])
            return v
        if ex.is_Rational and int(ex.q) <= MAX_ROOT and abs(int(ex.p)) <= MAX_POWER:
            p, q = int(ex.p), int(ex.q)
            r = self.root(base, q)
            if p < 0:
                r = self.reciprocal(("root", base, q), r)
            return self.product([r] * abs(p))
        v = self.abstract(e)
        if ex.is_Rational:  # a root: defined for a nonnegative base (not asserted)
            self.conditional(self.expr(base) >= 0, [v >= 0])
            return v
        if base.is_Rational or (base.is_number and not base.free_symbols):
            self._constant_base_facts(base, self.expr(ex), v)
        return v

    def _constant_base_facts(self, base: sp.Expr, u: Z3Term, v: Z3Term) -> None:
        """a^u for a constant a > 0: positive, and on the right side of 1 (monotone in u)."""
        try:
            b = ball(base, {}, 128)
        except Exception:
            return
        if not bool(b > 0):
            return
        self.facts.append(v > 0)
        if bool(b > 1):
            self.facts += [z3.Implies(u >= 0, v >= 1), z3.Implies(u <= 0, v <= 1)]
            self._register(("pow", base), u, v)
        elif bool(b < 1):
            self.facts += [z3.Implies(u >= 0, v <= 1), z3.Implies(u <= 0, v >= 1)]

    def _register(self, kind: object, u: Z3Term, v: Z3Term,
                  defined: z3.BoolRef | None = None) -> None:
        self.monotone.setdefault(kind, []).append((u, v, defined))

    def _defined(self, kind: type, u: Z3Term) -> z3.BoolRef | None:
        """Where a unary function is defined (None: everywhere, or no facts depend on it)."""
        one = self.const(Fraction(1))
        if kind is sp.log:
            return u > 0
        if kind is PhiInv:
            return z3.And(u > 0, u < 1)
        if kind in (sp.asin, sp.acos):
            return z3.And(u >= -one, u <= one)
        return None

    def unary(self, e: sp.Expr, kind: type) -> Z3Term:
        u = self.expr(e.args[0])
        v = self.abstract(e)
        defined = self._defined(kind, u)
        facts = self._unary_facts(kind, u, v)
        if kind in _MONOTONE:
            direction, anchor, value = _MONOTONE[kind]
            self._register(kind, u, v, defined)
            if anchor is not None and value is not None:
                a, c = self.const(anchor), self.const(value)
                up, down = (v > c, v < c) if direction > 0 else (v < c, v > c)
                facts += [z3.Implies(u > a, up), z3.Implies(u < a, down)]
                facts.append(z3.Implies(u == a, v == c))
        self.conditional(defined, facts)
        return v

    def _unary_facts(self, kind: type, u: Z3Term, v: Z3Term) -> list[z3.BoolRef]:
        zero, one, c = self.const(Fraction(0)), self.const(Fraction(1)), self.const
        if kind is sp.exp:
            return [v > 0, v >= 1 + u]
        if kind is sp.log:  # where u > 0 (see _defined)
            return [v <= u - 1, u * v >= u - 1]
        if kind in (Phi, Sigmoid):
            return [v > 0, v < 1]
        if kind in (sp.tanh, sp.erf):
            facts = [v > -1, v < 1]
            if kind is sp.tanh:
                facts += [z3.Implies(u >= 0, v <= u), z3.Implies(u <= 0, v >= u)]
            return facts
        if kind is sp.erfc:
            return [v > 0, v < 2]
        if kind is sp.atan:
            return [
                v > -c(HALF_PI_UP),
                v < c(HALF_PI_UP),
                z3.Implies(u >= 0, v <= u),
                z3.Implies(u <= 0, v >= u),
            ]
        if kind is sp.asin:  # where -1 <= u <= 1 (see _defined)
            return [v >= -c(HALF_PI_UP), v <= c(HALF_PI_UP)]
        if kind is sp.acos:
            return [v >= zero, v <= c(PI_UP)]
        if kind is sp.sinh:
            return [z3.Implies(u >= 0, v >= u), z3.Implies(u <= 0, v <= u)]
        if kind is sp.cosh:
            return [v >= 1 + u * u * c(Fraction(1, 2))]
        if kind is sp.sin:
            return [v >= -1, v <= one, z3.Implies(u >= 0, v <= u), z3.Implies(u <= 0, v >= u)]
        if kind is sp.cos:
            return [v >= -1, v <= one, v >= 1 - u * u * c(Fraction(1, 2))]
        return []

    def monotone_facts(self) -> list[z3.BoolRef]:
        """For two terms f(u1), f(u2) of one monotone function: order of u's gives order of f's."""
        out: list[z3.BoolRef] = []
        for kind, pairs in self.monotone.items():
            direction = _MONOTONE[kind][0] if isinstance(kind, type) else 1
            pairs = pairs[:MAX_MONOTONE_TERMS]
            for i, (u1, v1, d1) in enumerate(pairs):
                for u2, v2, d2 in pairs[i + 1 :]:
                    lt, gt = (v1 < v2, v1 > v2) if direction > 0 else (v1 > v2, v1 < v2)
                    facts = [z3.Implies(u1 < u2, lt), z3.Implies(u1 > u2, gt),
                             z3.Implies(u1 == u2, v1 == v2)]
                    both = [d for d in (d1, d2) if d is not None]
                    if both:  # only where both terms are defined
                        facts = [z3.Implies(z3.And(*both), z3.And(*facts))]
                    out += facts
        return out


# ------------------------------------------------------------------------------ solving


class _SafetyCap(Exception):
    """A check reached the safety cap (not its resource limit)."""


class _Watchdog:
    """One thread for all Z3 checks of a process: it interrupts a context whose check runs
    past its safety cap, counted in the process's CPU time like ``checker.timelimit``'s hard
    limit (so a busy machine does not reach it; Z3's rlimit normally stops a check first).
    Cheaper than a timer thread per check, which costs milliseconds to start and join on a
    busy machine."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._jobs: dict[int, tuple[float, z3.Context]] = {}
        self._fired: dict[int, float] = {}  # token -> when (time.monotonic()) it interrupted
        self._count = 0
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, ctx: z3.Context) -> int:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="z3-watchdog",
                                                daemon=True)
                self._thread.start()
            self._count += 1
            self._jobs[self._count] = (time.process_time() + seconds, ctx)
            self._cond.notify()
            return self._count

    def disarm(self, token: int) -> bool:
        """Stop watching; whether the watchdog interrupted the check."""
        with self._cond:
            self._jobs.pop(token, None)
            return self._fired.pop(token, None) is not None

    def fired_at(self, token: int) -> float | None:
        """When (``time.monotonic()``) the watchdog interrupted this check, if it did."""
        with self._cond:
            return self._fired.get(token)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.process_time()  # the process's CPU time, as the hard limit counts
                for token, (due, ctx) in list(self._jobs.items()):
                    if due <= now:
                        del self._jobs[token]
                        self._fired[token] = time.monotonic()
                        ctx.interrupt()
                wake = min((due for due, _ in self._jobs.values()), default=now + 3600)
                self._cond.wait(max(wake - now, 0.001))


_watchdog = _Watchdog()


class _Job:
    """One Z3 check handed to the runner's thread."""

    def __init__(self, call: Callable[[], z3.CheckSatResult]) -> None:
        self.call = call
        self.done = threading.Event()
        self.result: z3.CheckSatResult | None = None
        self.error: BaseException | None = None


class _Runner:
    """Runs every Z3 check in a thread of its own while the calling thread waits in Python.

    Z3's arithmetic core can spin on ever larger rationals where neither its resource limit
    nor an interrupt reaches it (seen: the givens of a library citation kept ``lar_solver``
    in ``gcd`` for 15 minutes). A check run in the calling thread would hold it in C for as
    long, out of reach of ``checker.timelimit``. Here the caller waits in short slices, so
    its hard limit still fires; the watchdog's interrupt gets ``GRACE_S`` to land; and a
    check that ignores both is given up: everything that refers to its context stays alive
    (the waiting frame, and through it the callers' locals) until the check returns, nothing
    else touches that context, and the next check gets a new thread. The thread given up may
    keep a core busy until the process ends; the verdict says the safety cap stopped it."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._queue: queue.SimpleQueue[_Job | None] | None = None
        self.abandoned: list[tuple[_Job, object]] = []

    @staticmethod
    def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            try:
                job.result = job.call()
            except BaseException as exc:  # handed to the waiting thread
                job.error = exc
            finally:
                job.done.set()

    def run(self, job: _Job, ctx: z3.Context, token: int) -> z3.CheckSatResult:
        if self.abandoned:  # those that did return need their references no more
            self.abandoned = [a for a in self.abandoned if not a[0].done.is_set()]
        if self._queue is None:
            self._queue = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(self._queue,), name="z3-check",
                             daemon=True).start()
        jobs = self._queue
        jobs.put(job)
        try:
            while not job.done.wait(WAIT_SLICE_S):  # signal handlers run between slices
                fired = _watchdog.fired_at(token)
                if fired is not None and time.monotonic() - fired > GRACE_S:
                    raise _SafetyCap
        finally:
            if not job.done.is_set():  # the hard limit, Ctrl-C or the safety cap
                # keep alive what refers to the context, give the thread up (it ends if the
                # check ever returns) and interrupt the check once more
                self.abandoned.append((job, sys._getframe()))
                jobs.put(None)
                if self._queue is jobs:
                    self._queue = None
                ctx.interrupt()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result


_runner = _Runner()


def _check(solver: z3.Solver, ctx: z3.Context, rlimit: int, budget_s: float) -> z3.CheckSatResult:
    """solver.check() within ``rlimit`` resource units (deterministic); raises ``_SafetyCap``
    when the safety cap for ``budget_s`` stopped it first (see ``_Runner``)."""
    seconds = min(work.safety_seconds(budget_s), MAX_CHECK_S)
    token = _watchdog.arm(seconds, ctx)  # instead of Z3's timeout, which costs a thread

    def call() -> z3.CheckSatResult:
        # first without calls to nlsat from the nonlinear arithmetic core: nlsat does not
        # always count its work against rlimit (a check could spin until the safety cap, a
        # machine-dependent answer), and without it Z3 proved and refuted more of the
        # benchmark's claims, not fewer; nlsat only where the core alone is incomplete
        # Groebner bases are off as well: Z3 does not count their work against rlimit
        # either (``log((1 + a)*(1 + b)*(1 + c)) = ...`` spun 8 s of CPU time on 75,000
        # units), and the benchmark lost no proof or refutation without them
        for nra in (False, True):
            solver.set("rlimit", max(1, rlimit))
            solver.set("arith.nl.nra", nra)
            solver.set("arith.nl.grobner", False)
            result = solver.check()
            if result != z3.unknown or "incomplete" not in solver.reason_unknown():
                break
        return result

    fired = True
    try:
        result = _runner.run(_Job(call), ctx, token)
    finally:
        fired = _watchdog.disarm(token)
    if fired and result == z3.unknown:  # Z3 says "canceled" for its rlimit too: ask the dog
        raise _SafetyCap
    return result


def _value_candidates(val: z3.ExprRef) -> list[Fraction]:
    """Exact rationals for one model value, simplest roundings first."""
    if z3.is_int_value(val):
        return [Fraction(val.as_long())]
    if z3.is_rational_value(val):
        best = Fraction(val.numerator_as_long(), val.denominator_as_long())
        tail = [best]
    elif z3.is_algebraic_value(val):
        best = _ratnum(val.approx(30))
        tail = [best, _ratnum(val.approx(60))]
    else:
        return []
    out: list[Fraction] = []
    for d in ROUNDINGS:
        out.append(best.limit_denominator(d))
    out += tail
    return list(dict.fromkeys(out))


def _ratnum(v: z3.ExprRef) -> Fraction:
    return Fraction(v.numerator_as_long(), v.denominator_as_long())


def _points(
    model: z3.ModelRef, variables: dict[str, Z3Term], names: list[str]
) -> list[dict[str, Fraction]]:
    """Candidate points from a model: level j rounds every value with the j-th rounding."""
    per_name: dict[str, list[Fraction]] = {}
    for name in names:
        cands = _value_candidates(model.evaluate(variables[name], model_completion=True))
        if not cands:
            return []
        per_name[name] = cands
    depth = max((len(c) for c in per_name.values()), default=1)
    points: list[dict[str, Fraction]] = []
    for level in range(depth):
        pt = {n: c[min(level, len(c) - 1)] for n, c in per_name.items()}
        if pt not in points:
            points.append(pt)
    return points


def _confirm(ob: Obligation, points: Iterable[dict[str, Fraction]]) -> Counterexample | None:
    for pt in points:
        cex = verify_counterexample(ob, pt)
        if cex is not None:
            return cex
    return None


def _is_simple(cex: Counterexample) -> bool:
    return all(v.denominator == 1 and abs(v) <= 10 for _, v in cex.values)


def _simpler_counterexample(
    ob: Obligation, solver: z3.Solver, tr: Translator, budget_s: float
) -> Counterexample | None:
    """Ask Z3 again with the variables on small grids (integers, halves) and confirm."""
    names = ob.names
    for den, bound in SIMPLE_GRIDS:
        solver.push()
        try:
            for name in names:
                v = tr.vars[name]
                k = z3.Int(f"_grid_{name}", tr.ctx)
                scaled = z3.ToReal(k) * z3.RealVal(f"1/{den}", tr.ctx) if den > 1 else k
                solver.add(v == scaled, k >= -bound * den, k <= bound * den)
            result = _check(solver, tr.ctx, work.amount(work.Z3_AUX_RLIMIT, budget_s), budget_s)
            if result == z3.sat:
                cex = _confirm(ob, _points(solver.model(), tr.vars, names))
                if cex is not None:
                    return cex
        finally:
            solver.pop()
    return None


def _describe(terms: list[sp.Expr]) -> str:
    shown = ", ".join(str(t) for t in terms[:4])
    more = f" and {len(terms) - 4} more" if len(terms) > 4 else ""
    return f"abstracted as real variables: {shown}{more}"


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """PROVED if Z3 finds NOT(claim) unsatisfiable under the domains and hypotheses;
    REFUTED with a rigorously checked counterexample from a Z3 model; else UNKNOWN."""
    start = time.monotonic()

    def verdict(
        status: Status,
        reason: str,
        cex: Counterexample | None = None,
        notes: tuple[str, ...] = (),
    ) -> Verdict:
        elapsed = time.monotonic() - start
        return Verdict(status, ENGINE, reason, counterexample=cex, time_s=elapsed, notes=notes)

    try:
        return _prove(ob, budget_s, verdict)
    except _SafetyCap:
        cap = work.time_limit_verdict(ENGINE, time.monotonic() - start)
        return Verdict(cap.status, ENGINE, cap.reason, time_s=time.monotonic() - start)
    except Exception as exc:  # never let an exception escape: report it as UNKNOWN
        return verdict(Status.UNKNOWN, f"z3 engine error: {type(exc).__name__}: {exc}")


def _prove(ob: Obligation, budget_s: float, verdict: Callable[..., Verdict]) -> Verdict:
    ctx = z3.Context()
    tr = Translator(ctx, ob)
    notes: list[str] = []
    hyps: list[z3.BoolRef] = []
    for h in ob.hypotheses:  # first, so that their terms' definedness is told apart
        try:
            hyps.append(tr.relation(h))
        except Untranslatable:
            notes.append(f"hypothesis dropped (not translatable): {h}")
    hyp_defined = list(tr.definedness)
    try:
        negated = z3.Not(tr.relation(ob.claim))
    except Untranslatable as exc:
        return verdict(Status.UNKNOWN, f"z3 cannot translate the claim: {exc}")
    solver = z3.Solver(ctx=ctx)
    solver.add(*hyps)
    solver.add(*tr.facts)
    solver.add(*tr.monotone_facts())
    solver.push()
    solver.add(negated)
    if tr.abstracted:
        notes.append(_describe(tr.abstracted))
    result = _check(solver, ctx, work.amount(work.Z3_RLIMIT, budget_s), budget_s)
    if result == z3.unsat:
        return verdict(Status.PROVED, "the negated claim is unsatisfiable", notes=tuple(notes))
    if result == z3.unknown:
        why = solver.reason_unknown() or "unknown"
        if "resource limit" in why or why == "canceled":  # the rlimit (not the watchdog)
            why = "its work budget is spent"
        return verdict(Status.UNKNOWN, f"z3 answered unknown ({why})", notes=tuple(notes))
    cex = _confirm(ob, _points(solver.model(), tr.vars, ob.names))
    if cex is None and hyp_defined:
        answer = _where_hypotheses_defined(solver, ctx, hyp_defined, negated, budget_s)
        if answer is True:
            return verdict(Status.PROVED, "the negated claim is unsatisfiable where the "
                           "hypotheses are defined (and they can be)", notes=tuple(notes))
        if answer is not None:  # a model where the hypotheses are defined: a candidate
            cex = _confirm(ob, _points(answer, tr.vars, ob.names))
    if tr.definedness:
        # from here on the solver only proposes candidates: ask for models where every term
        # is defined (an unsat answer now proves nothing)
        solver.add(*tr.definedness)
        aux = work.amount(work.Z3_AUX_RLIMIT, budget_s)
        if cex is None and _check(solver, ctx, aux, budget_s) == z3.sat:
            cex = _confirm(ob, _points(solver.model(), tr.vars, ob.names))
    if cex is None or not _is_simple(cex):
        simpler = _simpler_counterexample(ob, solver, tr, budget_s)
        cex = simpler or cex
    if cex is None:
        return verdict(Status.UNKNOWN, "z3 model could not be confirmed", notes=tuple(notes))
    return verdict(Status.REFUTED, "z3 model, confirmed exactly", cex=cex, notes=tuple(notes))


def _where_hypotheses_defined(solver: z3.Solver, ctx: z3.Context,
                              defined: list[z3.BoolRef], negated: z3.BoolRef,
                              budget_s: float) -> bool | z3.ModelRef | None:
    """True when the claim follows from the hypotheses at every point where they are
    defined, and there are such points (in Z3's reading); else a model of the negated claim
    where the hypotheses are defined (a candidate counterexample), or None.

    A point satisfies a hypothesis only where the hypothesis is defined, so its definedness
    may be used (``t >= L*R^2/eps`` gives ``eps != 0``): but only once Z3 has found that
    the hypotheses and their definedness can hold together, so that a contradictory
    requirement (a cited ``Phi_inv(2)``) never makes a proof. The claim's own definedness is
    never assumed. Leaves the solver as it found it (the negated claim on top)."""
    aux = work.amount(work.Z3_AUX_RLIMIT, budget_s)
    solver.pop()  # back to the hypotheses and facts, without the negated claim
    try:
        solver.push()
        solver.add(*defined)
        if _check(solver, ctx, aux, budget_s) != z3.sat:
            return None
        solver.add(negated)
        result = _check(solver, ctx, aux, budget_s)
        if result == z3.unsat:
            return True
        return solver.model() if result == z3.sat else None
    finally:
        solver.pop()
        solver.push()
        solver.add(negated)


def witnesses(ob: Obligation, budget_s: float = work.DEFAULT_BUDGET_S) -> list[dict[str, Fraction]]:
    """Points where Z3 finds every hypothesis and domain of ``ob`` satisfiable (its claim
    aside), rounded to simple rationals; the caller re-checks them exactly. For a cross-check
    whose random points all miss hypotheses that pin a variable far away (w >= 2^20 - 1)."""
    try:
        ctx = z3.Context()
        tr = Translator(ctx, ob)
        solver = z3.Solver(ctx=ctx)
        for h in ob.hypotheses:
            try:
                solver.add(tr.relation(h))
            except Untranslatable:
                continue  # the exact re-check of the points decides it
        solver.add(*tr.facts)
        solver.add(*tr.definedness)
        if _check(solver, ctx, work.amount(work.Z3_WITNESS_RLIMIT, budget_s), budget_s) != z3.sat:
            return []
        return _points(solver.model(), tr.vars, ob.names)
    except Exception:  # a witness is a convenience: no answer is never an error
        return []
