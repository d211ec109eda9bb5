"""Tests for the counterexample search engine (checker.engines.search)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from fractions import Fraction as F
from pathlib import Path

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engines.search import prove, sample_points, simplest_between
from checker.functions import Phi
from checker.obligations import Domain, Obligation, Relation, Status, sym
from checker.timelimit import HardLimit

REPO = Path(__file__).resolve().parents[1]
x, y, z, n = sym("x"), sym("y"), sym("z"), sym("n")
Int = sp.Integer


def value(verdict, name="x"):
    """The counterexample's value of one variable."""
    assert verdict.counterexample is not None
    return dict(verdict.counterexample.values)[name]


def square_ge_self() -> Obligation:
    return Obligation(Relation(x**2, ">=", x))


def sin_below() -> Obligation:
    return Obligation(Relation(sp.sin(x), "<", sp.Rational(999, 1000)))


# ------------------------------------------------------------------------- refutations


def test_square_ge_self_refuted_at_one_half():
    """x^2 >= x over the reals fails; the reported point is the simplest one, 1/2."""
    v = prove(square_ge_self())
    assert v.status is Status.REFUTED and v.engine == "search"
    assert value(v) == F(1, 2)


def test_x_plus_inverse_refuted_at_minus_one():
    """x + 1/x >= 2 without x > 0 fails at a negative x (x = 0 is skipped as undefined)."""
    v = prove(Obligation(Relation(x + 1 / x, ">=", Int(2))))
    assert v.status is Status.REFUTED
    assert value(v) == -1


def test_two_to_n_refuted_at_three():
    """2^n >= n^2 for integers n >= 1 fails at n = 3 only."""
    ob = Obligation(Relation(2**n, ">=", n**2), domains=(("n", Domain(F(1), integer=True)),))
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert value(v, "n") == 3


def test_two_to_n_from_four_plausible():
    """2^n >= n^2 for integers n >= 4 is never refuted."""
    ob = Obligation(Relation(2**n, ">=", n**2), domains=(("n", Domain(F(4), integer=True)),))
    v = prove(ob)
    assert v.status is Status.PLAUSIBLE
    assert v.samples > 100


def test_taylor_bound_refuted_at_simple_negative():
    """exp(x) >= 1 + x + x^2/2 on [-2, 2] fails for x < 0; the point reported is -1."""
    ob = Obligation(
        Relation(sp.exp(x), ">=", 1 + x + x**2 / 2), domains=(("x", Domain(F(-2), F(2))),)
    )
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert value(v) == -1


def test_sin_bound_refuted_at_simplest_fraction():
    """sin(x) < 0.999 fails only near pi/2; the simplest failing rational there is 8/5."""
    v = prove(sin_below())
    assert v.status is Status.REFUTED
    assert value(v) == F(8, 5)
    assert v.counterexample is not None and v.counterexample.lhs.startswith("0.9995")


def test_hypothesis_bound_narrows_sampling_and_shrinks():
    """log(x) <= 7 under x >= 1000 fails first at x = 1097 (e^7 ~ 1096.6)."""
    ob = Obligation(Relation(sp.log(x), "<=", Int(7)), hypotheses=(Relation(x, ">=", Int(1000)),))
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert value(v) == 1097


def test_strict_relation_fails_at_touching_point():
    """exp(x) > 1 + x on [-1, 1] fails exactly at x = 0 (decided exactly, not by rounding)."""
    ob = Obligation(Relation(sp.exp(x), ">", 1 + x), domains=(("x", Domain(F(-1), F(1))),))
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert value(v) == 0


def test_closed_bound_reached_open_bound_not():
    """x > 0 on [0, 1] fails at 0; x(1 - x) > 0 on (0, 1) is never refuted."""
    closed = Obligation(Relation(x, ">", Int(0)), domains=(("x", Domain(F(0), F(1))),))
    assert value(prove(closed)) == 0
    opened = Obligation(
        Relation(x * (1 - x), ">", Int(0)), domains=(("x", Domain(F(0), F(1), True, True)),)
    )
    assert prove(opened).status is Status.PLAUSIBLE


def test_false_equality_refuted():
    """Phi(x) = 1/2 fails at x = 1 (x = 0 gives exactly 1/2)."""
    v = prove(Obligation(Relation(Phi(x), "=", sp.Rational(1, 2))))
    assert v.status is Status.REFUTED
    assert value(v) == 1


def test_three_variables_refuted_with_small_integers():
    """xyz <= x + y + z on [0, 10]^3 fails; the point found has small integer coordinates."""
    box = Domain(F(0), F(10))
    ob = Obligation(
        Relation(x * y * z, "<=", x + y + z), domains=(("x", box), ("y", box), ("z", box))
    )
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert v.counterexample is not None
    assert all(q.denominator == 1 and 0 <= q <= 4 for _, q in v.counterexample.values)


def test_closed_claims():
    """A claim without variables is evaluated once: e >= 3 refuted, e >= 2 plausible."""
    v = prove(Obligation(Relation(sp.E, ">=", Int(3))))
    assert v.status is Status.REFUTED
    assert v.counterexample is not None and v.counterexample.values == ()
    w = prove(Obligation(Relation(sp.E, ">=", Int(2))))
    assert w.status is Status.PLAUSIBLE and w.samples == 1


# ---------------------------------------------------------------------- plausible claims


def test_exp_above_tangent_plausible():
    """exp(x) >= 1 + x on [-5, 5] passes all 2000 samples."""
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x), domains=(("x", Domain(F(-5), F(5))),))
    v = prove(ob, budget_s=20)
    assert v.status is Status.PLAUSIBLE
    assert v.samples == 2000


def test_phi_symmetry_plausible_with_undecided_note():
    """Phi(x) + Phi(-x) = 1 is undecided by Arb at irrational values: passed, and noted."""
    v = prove(Obligation(Relation(Phi(x) + Phi(-x), "=", Int(1))), budget_s=20)
    assert v.status is Status.PLAUSIBLE
    assert v.samples == 2000
    assert any("undecided" in note for note in v.notes)


def test_three_variable_jensen_plausible():
    """exp(x)+exp(y)+exp(z) >= 3 exp((x+y+z)/3) on [-5, 5]^3 passes 2000 samples."""
    box = Domain(F(-5), F(5))
    ob = Obligation(
        Relation(sp.exp(x) + sp.exp(y) + sp.exp(z), ">=", 3 * sp.exp((x + y + z) / 3)),
        domains=(("x", box), ("y", box), ("z", box)),
    )
    v = prove(ob, budget_s=20)
    assert v.status is Status.PLAUSIBLE
    assert v.samples == 2000


def test_finite_integer_domain_counts_distinct_points():
    """On the integers 4..6 there are only three samples to take."""
    ob = Obligation(Relation(2**n, ">=", n**2), domains=(("n", Domain(F(4), F(6), integer=True)),))
    v = prove(ob)
    assert v.status is Status.PLAUSIBLE
    assert v.samples == 3


def test_max_samples_respected():
    """The sample count stops at max_samples exactly."""
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x))
    assert prove(ob, max_samples=50).samples == 50


# ------------------------------------------------------------------------------- unknown


def test_unsatisfiable_hypothesis_unknown_quickly():
    """No sampled real satisfies x^2 = 2: UNKNOWN saying so, after a fixed number of points
    (work, not time: the same number on any machine)."""
    ob = Obligation(Relation(x, ">=", Int(0)), hypotheses=(Relation(x**2, "=", Int(2)),))
    with HardLimit(30):  # a hang guard on CPU time; the work is what is bounded
        v = prove(ob)
    assert v.status is Status.UNKNOWN
    assert "hypotheses" in v.reason
    assert prove(ob).reason == v.reason


def test_contradictory_bounds_unknown():
    """Hypotheses x > 5 and x < 3 leave nothing to sample."""
    ob = Obligation(
        Relation(x, ">=", Int(0)), hypotheses=(Relation(x, ">", Int(5)), Relation(x, "<", Int(3)))
    )
    v = prove(ob)
    assert v.status is Status.UNKNOWN and "no value" in v.reason


def test_undefined_everywhere_unknown():
    """log(-x^2 - 1) is defined nowhere: UNKNOWN, with the reason said."""
    v = prove(Obligation(Relation(sp.log(-(x**2) - 1), ">=", Int(0))))
    assert v.status is Status.UNKNOWN
    assert "undefined" in v.reason


def test_unsupported_function_unknown():
    """A function the numerics cannot evaluate gives UNKNOWN, not an exception."""
    v = prove(Obligation(Relation(sp.gamma(x), ">=", Int(0))))
    assert v.status is Status.UNKNOWN
    assert "gamma" in v.reason


def test_tiny_budget_stops_and_says_so():
    """A budget far too small stops the search after a fixed amount of work and notes it;
    the budget scales the work (samples), the same on any machine."""
    ob = Obligation(Relation(Phi(x) + Phi(-x), "=", Int(1)))
    with HardLimit(30):  # a hang guard on CPU time; the work is what is bounded
        v = prove(ob, budget_s=0.05, max_samples=10**6)
    assert v.status in (Status.PLAUSIBLE, Status.UNKNOWN)
    assert v.samples <= 50  # 2,000 samples per 2 s of budget
    again = prove(ob, budget_s=0.05, max_samples=10**6)
    assert (again.status, again.samples, again.notes) == (v.status, v.samples, v.notes)
    assert prove(ob, budget_s=0.1, max_samples=10**6).samples > v.samples


# --------------------------------------------------------------------------- determinism


def test_same_obligation_same_verdict():
    """Two runs give the same verdict, counterexample, counts and notes."""
    a, b = prove(sin_below()), prove(sin_below())
    assert (a.status, a.counterexample, a.samples, a.reason, a.notes) == (
        b.status,
        b.counterexample,
        b.samples,
        b.reason,
        b.notes,
    )


_SCRIPT = textwrap.dedent(
    """
    import os, sys
    if sys.argv[1] == "extra":
        sys.path.insert(0, os.getcwd())
        import extra_constants  # a local module: Hypothesis reads its constants
    import sympy as sp
    from fractions import Fraction as F
    from checker.engines.search import prove
    from checker.obligations import Domain, Obligation, Relation, sym
    x, n = sym("x"), sym("n")
    obs = [
        Obligation(Relation(sp.sin(x), "<", sp.Rational(999, 1000))),
        Obligation(Relation(2**n, ">=", n**2), domains=(("n", Domain(F(1), integer=True)),)),
        Obligation(Relation(x**3 - 7 * x, "<=", sp.Integer(100))),
    ]
    for ob in obs:
        v = prove(ob, budget_s=30)
        print(v.status, v.counterexample, v.samples, v.reason, v.notes)
    print(sorted(os.listdir(os.getcwd())))
    """
)


def _run_script(cwd: Path, arg: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, arg],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout


def test_fresh_processes_agree_whatever_is_imported(tmp_path):
    """Fresh processes agree, even when one imports a local module full of constants."""
    (tmp_path / "extra_constants.py").write_text(
        "TABLE = [117, 805, 1000, 2000, 12345, 99999, 250.5, 0.3333, 123456, 4242]\n"
    )
    plain = _run_script(tmp_path, "plain").splitlines()
    extra = _run_script(tmp_path, "extra").splitlines()
    assert plain[:-1] == extra[:-1]
    assert "Fraction(8, 5)" in plain[0]


def test_no_hypothesis_directory_written(tmp_path):
    """Searches leave the working directory untouched (no .hypothesis/)."""
    last = _run_script(tmp_path, "plain").splitlines()[-1]
    assert last == "[]"
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2))
def test_works_inside_a_hypothesis_test(k):
    """prove can run inside another Hypothesis test and still answers the same."""
    v = prove(square_ge_self())
    assert v.status is Status.REFUTED and value(v) == F(1, 2)


def test_threads_agree():
    """Searches in two threads give the sequential answer."""
    expected = prove(sin_below()).counterexample
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(prove(sin_below()).counterexample))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected, expected]


# --------------------------------------------------------------------------- sample_points


def test_sample_points_deterministic_in_domain_and_hypotheses():
    """sample_points: same points twice, inside the domains, satisfying the hypotheses."""
    box = Domain(F(0), F(10))
    ob = Obligation(
        Relation(x + y, ">=", Int(0)),
        domains=(("n", Domain(F(-3), F(30), integer=True)), ("x", box), ("y", box)),
        hypotheses=(Relation(x * y, ">=", Int(1)),),
    )
    pts = sample_points(ob, 40)
    assert pts == sample_points(ob, 40)
    assert len(pts) == 40
    assert len({tuple(sorted(p.items())) for p in pts}) == 40
    for p in pts:
        assert set(p) == {"n", "x", "y"}
        assert p["n"].denominator == 1 and -3 <= p["n"] <= 30
        assert 0 <= p["x"] <= 10 and 0 <= p["y"] <= 10
        assert p["x"] * p["y"] >= 1


def test_sample_points_unsatisfiable_hypothesis_empty():
    """No point satisfies x^2 = 2: sample_points returns none rather than wrong ones."""
    ob = Obligation(Relation(x, ">=", Int(0)), hypotheses=(Relation(x**2, "=", Int(2)),))
    assert sample_points(ob, 5) == []


def test_simplest_between():
    """simplest_between finds the rational of least denominator in an interval."""
    assert simplest_between(F(12, 100), F(62, 100)) == F(1, 2)
    assert simplest_between(F(-62, 100), F(-12, 100)) == F(-1, 2)
    assert simplest_between(F(-1), F(5)) == 0
    assert simplest_between(F(31415, 10000), F(31416, 10000)) == F(333, 106)


def test_a_point_is_charged_for_the_terms_of_its_sums() -> None:
    """``sum(k, 0, n, binomial(n, k)*exp(k*x))`` at n = 10^4 is ten thousand evaluations:
    the search charges them, so a long sum ends the search by work (it reached the CPU
    safety cap, a machine-dependent verdict)."""
    from checker.engines.search import _point_cost, _sum_costs

    k, n = sym("k"), sym("n")
    body = sp.binomial(n, k) * sp.exp(k * x)
    ob = Obligation(Relation(sp.Sum(body, (k, 0, n)), "=", (1 + sp.exp(x)) ** n),
                    (("n", Domain(F(1), integer=True)), ("x", Domain())))
    sums = _sum_costs(ob)
    small = _point_cost(10, sums, {"n": F(3), "x": F(0)})
    large = _point_cost(10, sums, {"n": F(5_000), "x": F(0)})
    assert (large - 10) == (small - 10) // 4 * 5_001  # 4 terms at n = 3, 5,001 at 5,000
    with HardLimit(60):
        v = prove(ob)
    assert v.status in (Status.PLAUSIBLE, Status.UNKNOWN) and not v.time_limited


# ------------------------------------------------------------ variables given by an equation

POSITIVE = Domain(F(0), lo_open=True)


def test_a_variable_an_equation_gives_is_computed_not_drawn():
    """x*y = 1: x is computed as 1/y, so the samples satisfy the hypothesis (independent draws
    satisfied it at 14 points of 15,000); x + y >= 2 passes them all."""
    ob = Obligation(Relation(x + y, ">=", Int(2)), (("x", POSITIVE), ("y", POSITIVE)),
                    (Relation(x * y, "=", Int(1)),))
    v = prove(ob)
    assert v.status is Status.PLAUSIBLE
    assert v.samples == 2000


def test_a_claim_false_on_a_piece_of_the_equation_s_curve_is_refuted():
    """(x - 3)*(x - 4) >= 0 fails for x in (3, 4), y = 1/x (independent draws never met
    it); the counterexample satisfies the equation."""
    ob = Obligation(Relation((x - 3) * (x - 4), ">=", Int(0)),
                    (("x", POSITIVE), ("y", POSITIVE)), (Relation(x * y, "=", Int(1)),))
    v = prove(ob)
    assert v.status is Status.REFUTED
    assert value(v, "x") * value(v, "y") == 1 and 3 < value(v, "x") < 4


def test_an_undecided_point_costs_more_work():
    """log(x*y) = log(x) + log(y): no ball decides it at irrational values, each point tries
    every precision, and the work budget ends the search before 2000 samples."""
    ob = Obligation(Relation(sp.log(x * y), "=", sp.log(x) + sp.log(y)),
                    (("x", POSITIVE), ("y", POSITIVE)))
    v = prove(ob)
    assert v.status is Status.PLAUSIBLE
    assert 0 < v.samples < 2000
    assert any("work budget" in note for note in v.notes)
