"""Engine-level bounds and soundness rules of the portfolio (checker/engines/portfolio.py,
checker/timelimit.py): the hard time limit, the cross-check that must evaluate at least one
point, and the elimination of variables defined by equality hypotheses.

No assertion here is about time: each test asserts a verdict and that the call returned.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from fractions import Fraction as F

import pytest
import sympy as sp

from checker import timelimit
from checker.check import check_claim, check_text
from checker.engines import portfolio
from checker.functions import Phi
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

x, y, u, p = (sym(t) for t in ("x", "y", "u", "P[F = 1]"))
SMALL_BUDGET = 0.3  # hard limit 5 * 0.3 + 5 = 6.5 s (checker.timelimit)


@pytest.fixture
def no_cache() -> Iterator[None]:
    portfolio.set_cache(None)
    yield
    portfolio.set_cache(None)


@pytest.fixture
def short_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hard limit without its slack for start-up work (imports are done in a test
    process): a test that waits for the limit waits about 1 s of CPU time, not 6."""
    monkeypatch.setattr(timelimit, "SLACK_S", 0.5)


def _spin(ob: Obligation, budget: float) -> Verdict:
    """An engine that never looks at the clock (like SymPy inside ``evalf``)."""
    n = 0
    while True:
        n += 1


# ------------------------------------------------------------------------ the hard limit


def test_hang_case_stops_with_time_limit(short_cap: None) -> None:
    """The issue's case: SymPy's is_positive spins in evalf on a tower of exponentials (this
    one for every hash seed); the check stops at the hard limit and says so."""
    text = ("given x real\n"
            "have h1: exp(exp(exp(exp(x)))) > 0\n"
            "have h2: e^(e^(e^(e^e))) > 1\n")
    result = check_text(text, budget_s=SMALL_BUDGET)
    verdicts = [s.verdict for s in result.steps]
    # h1: Z3 proves it with a normal budget; with this tiny one SymPy may answer first, and
    # whether its is_positive spins in evalf depends on the hash seed
    assert verdicts[0].status is Status.PROVED or verdicts[0].time_limited
    assert verdicts[1].status is Status.UNKNOWN
    assert verdicts[1].reason.startswith("time limit")
    assert verdicts[1].time_limited


def test_original_hang_case_returns_and_is_not_proved() -> None:
    """``e^(e^(e^(e^e))) > 0``: depending on the hash seed SymPy answers at once or spins;
    either way the check returns, and a proof that no point could cross-check is not kept."""
    text = "given x real\nhave h: e^(e^(e^(e^e))) > 0\n"
    (step,) = check_text(text, budget_s=SMALL_BUDGET).steps
    assert step.verdict.status is Status.UNKNOWN


def test_engine_that_never_returns_is_stopped(monkeypatch: pytest.MonkeyPatch,
                                              no_cache: None, short_cap: None) -> None:
    monkeypatch.setattr(portfolio, "_engine", lambda name: _spin)
    ob = Obligation(Relation(x, ">=", x - 1))
    v = portfolio.check(ob, SMALL_BUDGET)
    assert v.status is Status.UNKNOWN and v.time_limited
    assert "machine" in v.reason
    assert signal.getsignal(timelimit.CPU.signum) in (signal.SIG_DFL, None)
    assert signal.getitimer(timelimit.CPU.timer)[0] == 0


def test_time_limited_verdict_is_not_cached(monkeypatch: pytest.MonkeyPatch,
                                            no_cache: None, short_cap: None) -> None:
    """A time limit depends on the machine: the cache's put is called (the grader relies on
    the get/put order) but the verdict is not kept; a normal verdict is."""
    cache = portfolio.MemoryCache()
    portfolio.set_cache(cache)
    monkeypatch.setattr(portfolio, "_engine", lambda name: _spin)
    ob = Obligation(Relation(x, ">=", x - 1))
    assert portfolio.check(ob, SMALL_BUDGET).time_limited
    assert cache.verdicts == {}
    monkeypatch.undo()
    assert portfolio.check(ob, SMALL_BUDGET).status is Status.PROVED
    assert len(cache.verdicts) == 1


def test_limits_nest_and_restore_signal_state() -> None:
    """An inner limit expires inside an outer one; the outer timer and handler come back."""
    before = signal.getsignal(timelimit.CPU.signum)
    outer = timelimit.HardLimit(30.0)
    with outer:
        inner = timelimit.HardLimit(0.05)
        with pytest.raises(timelimit.TimeLimit) as caught, inner:
            while True:
                pass
        assert caught.value.limit is inner and inner.expired
        assert signal.getsignal(timelimit.CPU.signum) == outer._fire
        assert 0 < signal.getitimer(timelimit.CPU.timer)[0] <= 30.0
        with timelimit.HardLimit(10.0), pytest.raises(KeyError):
            raise KeyError("an ordinary exception passes through and restores too")
        assert signal.getsignal(timelimit.CPU.signum) == outer._fire
    assert not outer.expired
    assert signal.getsignal(timelimit.CPU.signum) == before
    assert signal.getitimer(timelimit.CPU.timer)[0] == 0


def test_outer_limit_due_first_reaches_its_owner() -> None:
    outer = timelimit.HardLimit(0.05)
    with pytest.raises(timelimit.TimeLimit) as caught, outer, timelimit.HardLimit(30.0):
        while True:
            pass
    assert caught.value.limit is outer
    assert signal.getitimer(timelimit.CPU.timer)[0] == 0


def test_time_limit_is_not_an_exception() -> None:
    """Engines catch Exception to survive their own failures: that must not stop the limit."""
    limit = timelimit.HardLimit(0.05)
    with pytest.raises(timelimit.TimeLimit), limit:
        while True:
            try:
                while True:
                    pass
            except Exception:
                continue


def test_no_hard_limit_outside_the_main_thread() -> None:
    """Signals work in the main thread only: elsewhere the cooperative budget is all."""
    seen: list[bool] = []

    def run() -> None:
        with timelimit.HardLimit(5.0) as limit:
            seen.append(limit.enforced)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [False]


# ------------------------------------------------------------------------ the cross-check


def test_proof_with_no_cross_check_point_is_not_proved(no_cache: None) -> None:
    """Contradictory hypotheses: Z3 proves anything from them, but no sample point satisfies
    them, so the proof is not accepted."""
    ob = Obligation(Relation(x, ">=", sp.Integer(5)), (),
                    (Relation(x, ">", sp.Integer(1)), Relation(x, "<", sp.Integer(0))))
    v = portfolio.check(ob, 1.0)
    assert v.status is Status.UNKNOWN
    assert "no sample point satisfying the hypotheses" in v.reason
    assert "contradictory" in v.reason


def test_cross_check_finds_points_near_bounds_and_on_integers() -> None:
    """A narrow domain, an integer domain and a defining equation all get sample points."""
    narrow = Obligation(Relation(x, ">", sp.Integer(0)),
                        (("x", Domain(F(0), F(1, 10**6), lo_open=True)),))
    assert len(portfolio.sample_points(narrow, 5)) == 5
    ints = Obligation(Relation(x, ">=", sp.Integer(0)), (("x", Domain(F(3), F(4), integer=True)),))
    assert {pt["x"] for pt in portfolio.sample_points(ints, 5)} == {F(3), F(4)}
    square = Obligation(Relation(y, ">=", sp.Integer(1)), (("x", Domain(integer=True)),
                                                           ("y", Domain(integer=True))),
                        (Relation(y, "=", x**2 + 1),))
    pts = portfolio.sample_points(square, 6)
    assert len(pts) == 6 and all(pt["y"] == pt["x"] ** 2 + 1 for pt in pts)


# ------------------------------------------------------------ eliminating equality hypotheses


def test_equality_on_opaque_term_no_longer_defeats_the_search() -> None:
    """The issue's case: P[F = 1] = Phi(-u) is eliminated, and the claim is refuted with a
    counterexample that still names u."""
    plain = check_claim("Phi(-u) > Phi(0)", assume=["u > 0"]).verdict
    assert plain.status is Status.REFUTED
    v = check_claim("Phi(-u) > Phi(0)", assume=["u > 0", "P[F = 1] = Phi(-u)"]).verdict
    assert v.status is Status.REFUTED
    assert v.counterexample is not None
    assert dict(v.counterexample.values)["u"] > 0


def test_eliminated_variable_in_claim_gets_its_value_back() -> None:
    """x is defined by a hypothesis and appears in the claim: the counterexample gives x."""
    v = check_claim("x + y >= 2", assume=["x = 1 - y/2", "y in [0, 3]"]).verdict
    assert v.status is Status.REFUTED and v.counterexample is not None
    pt = dict(v.counterexample.values)
    assert set(pt) == {"x", "y"} and pt["x"] == 1 - pt["y"] / 2 and pt["x"] + pt["y"] < 2


def test_irrational_eliminated_value_is_said_in_a_note(no_cache: None) -> None:
    ob = Obligation(Relation(p, ">", sp.Rational(1, 2)),
                    (("P[F = 1]", Domain(F(0), F(1))),),
                    (Relation(u, ">", sp.Integer(0)), Relation(p, "=", Phi(-u))))
    v = portfolio.check(ob, 2.0)
    assert v.status is Status.REFUTED and v.counterexample is not None
    assert [n for n, _ in v.counterexample.values] == ["u"]
    assert any(note.startswith("P[F = 1] = Phi(-u) ≈") for note in v.notes)


def test_elimination_adds_the_domain_and_keeps_proofs(no_cache: None) -> None:
    """s in [0, 1] and s = x^2: the elimination keeps 0 <= x^2 <= 1, so s <= 1 is proved."""
    s = sym("s")
    ob = Obligation(Relation(s, "<=", sp.Integer(1)), (("s", Domain(F(0), F(1))),),
                    (Relation(s, "=", x**2),))
    new, done = portfolio.eliminate(ob)
    assert [e.name for e in done] == ["s"] and "s" not in new.names
    assert Relation(x**2, "<=", sp.Integer(1)) in new.hypotheses
    assert portfolio.check(ob, 2.0).status is Status.PROVED


def test_elimination_needs_the_definition_defined(no_cache: None) -> None:
    """s = log(x) holds nowhere with x <= 0, so a point x <= 0 is no counterexample."""
    s = sym("s")
    ob = Obligation(Relation(x, ">", sp.Integer(0)), (), (Relation(s, "=", sp.log(x)),))
    assert portfolio.check(ob, 1.0).status is not Status.REFUTED


def test_integer_variable_eliminated_only_by_an_integer_value() -> None:
    """Integrality cannot be written as a hypothesis: n = x^2/2 stays, n = x/2 eliminates
    the real x = 2n instead, and n = m^2 (m an integer) eliminates n."""
    n = sym("n")
    ob = Obligation(Relation(n, ">=", sp.Integer(0)), (("n", Domain(integer=True)),),
                    (Relation(n, "=", x**2 / 2),))
    assert portfolio.eliminate(ob)[1] == ()
    ob1 = Obligation(Relation(n, ">=", sp.Integer(0)), (("n", Domain(integer=True)),),
                     (Relation(n, "=", x / 2),))
    assert [e.name for e in portfolio.eliminate(ob1)[1]] == ["x"]
    ob2 = Obligation(Relation(n, ">=", sp.Integer(0)),
                     (("m", Domain(integer=True)), ("n", Domain(integer=True))),
                     (Relation(n, "=", sym("m") ** 2),))
    assert [e.name for e in portfolio.eliminate(ob2)[1]] == ["n"]


def test_time_limit_inside_the_hypothesis_search(monkeypatch: pytest.MonkeyPatch,
                                                 no_cache: None, short_cap: None) -> None:
    """Stopped inside a Hypothesis run, the search leaves no state behind: the next check
    of the same obligation works normally."""
    from checker.engines import search

    def spin(self: object, point: object) -> int:
        while True:
            pass

    monkeypatch.setattr(search.Evaluator, "_evaluate", spin)
    ob = Obligation(Relation(x * x + y, ">=", y), (), ())
    v = portfolio.check(ob, 1.0, mode="numeric")  # time for Hypothesis to start
    assert v.time_limited
    monkeypatch.undo()
    again = portfolio.check(ob, SMALL_BUDGET, mode="numeric")
    assert again.status is Status.PLAUSIBLE
    assert search._home_users == 0


def test_chained_eliminations_complete_the_counterexample(no_cache: None) -> None:
    """Two definitions, the second mentioning the first's variable, and a variable left only
    in a definition: the counterexample still names every variable and is exact."""
    ev, elbo, klp, rec, klq = (sym(n) for n in ("Ev[M, x]", "ELBO[M, q, x]", "KL[q, Post[M, x]]",
                                                  "Rec[M, q, x]", "KL[q, Prior[M]]"))
    ob = Obligation(Relation(sp.log(ev), "=", rec), (),
                    (Relation(sp.log(ev), "=", elbo + klp), Relation(elbo, "=", rec - klq)))
    v = portfolio.check(ob, 2.0)
    assert v.status is Status.REFUTED and v.counterexample is not None
    assert {n for n, _ in v.counterexample.values} == set(ob.names)


def test_a_limit_counts_cpu_time_not_waiting() -> None:
    """A process that waits (for a core, on a busy machine) gets no closer to the limit:
    verdicts do not depend on the machine's load."""
    import time

    with timelimit.HardLimit(0.2) as limit:
        time.sleep(0.5)  # waiting: no CPU time
    assert not limit.expired
    with pytest.raises(timelimit.TimeLimit), timelimit.HardLimit(0.2, wall=True):
        time.sleep(0.5)


def test_a_limit_swallowed_in_a_gc_callback_fires_again() -> None:
    """Python cannot raise from a gc callback (Hypothesis installs one): a TimeLimit raised
    there is handed to sys.unraisablehook and lost; the limit fires again as soon as the
    callback has returned, says nothing on stderr, and leaves the hook as it found it."""
    import gc
    import sys
    import time

    seen: list[str] = []

    def busy_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            end = time.process_time() + 0.1
            try:
                while time.process_time() < end:  # the limit (0.03 s) expires in here
                    pass
            except timelimit.TimeLimit:
                seen.append("in callback")
                raise

    old_hook = sys.unraisablehook
    others: list[object] = []
    sys.unraisablehook = others.append
    gc.callbacks.append(busy_callback)
    loops = [0]
    try:
        with pytest.raises(timelimit.TimeLimit), timelimit.HardLimit(0.03):
            gc.collect()  # the first TimeLimit is raised in the callback and swallowed
            seen.append("after gc")
            while loops[0] < 10**9:  # never ends unless the limit fires again
                loops[0] += 1
        assert sys.unraisablehook == others.append
    finally:
        gc.callbacks.remove(busy_callback)
        sys.unraisablehook = old_hook
    assert seen == ["in callback", "after gc"]
    assert others == []  # the swallowed TimeLimit is the limit's business, not the caller's hook
    assert loops[0] < 10**9
    assert signal.getitimer(timelimit.CPU.timer)[0] == 0


def test_a_z3_check_that_ignores_interrupts_is_given_up() -> None:
    """Z3's arithmetic core can spin where neither its resource limit nor an interrupt
    reaches it: the check runs in a thread of its own, so the caller's hard limit still
    fires, the check is given up (with what refers to its context kept alive) and the next
    check runs in a new thread."""
    import z3

    from checker.engines import z3_engine

    release = threading.Event()
    stuck = z3.Context()

    def spin() -> z3.CheckSatResult:  # stands for a C call that ignores ctx.interrupt()
        release.wait(60)
        return z3.unknown

    token = z3_engine._watchdog.arm(3600, stuck)
    try:
        with pytest.raises(timelimit.TimeLimit), timelimit.HardLimit(0.2, wall=True):
            z3_engine._runner.run(z3_engine._Job(spin), stuck, token)
    finally:
        z3_engine._watchdog.disarm(token)
    assert len(z3_engine._runner.abandoned) == 1
    x = z3.Real("x", ctx=z3.Context())
    solver = z3.Solver(ctx=x.ctx)
    solver.add(x * x < 0)
    assert z3_engine._check(solver, x.ctx, 10**6, 1.0) == z3.unsat  # a new thread answers
    release.set()
    z3_engine._runner.abandoned[0][0].done.wait(10)
    solver.add(x > 1)
    assert z3_engine._check(solver, x.ctx, 10**6, 1.0) == z3.unsat
    assert z3_engine._runner.abandoned == []  # let go once the stuck check returned


def test_a_z3_check_past_its_safety_cap_is_given_up() -> None:
    """The watchdog's interrupt gets GRACE_S to land; a check still running then is given
    up and reported as stopped by the safety cap."""
    import z3

    from checker.engines import z3_engine

    release = threading.Event()
    stuck = z3.Context()

    def spin() -> z3.CheckSatResult:
        release.wait(60)
        return z3.unknown

    token = z3_engine._watchdog.arm(0.0, stuck)  # due at once
    try:
        with pytest.raises(z3_engine._SafetyCap):
            z3_engine._runner.run(z3_engine._Job(spin), stuck, token)
    finally:
        z3_engine._watchdog.disarm(token)
        release.set()
