"""The portfolio's order, cheap first (checker/engines/portfolio.py, docs/checking.md): the
sample stage, the interval engine's two turns, induction before comparing logs, the log
rules before Z3 on an equation; and the library calls that used to run to the hard time
limit (an exact power at a point, factoring a high-degree sum, Z3's Groebner bases).

No assertion here is about time: each test asserts a verdict, an order or a value.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.check import check_claim
from checker.engines import portfolio, sign
from checker.obligations import Domain, Obligation, Relation, Status, sym

x, y, t, m, n, a, b, c = (sym(s) for s in ("x", "y", "t", "m", "n", "a", "b", "c"))


def _ob(lhs: sp.Expr, op: str, rhs: sp.Expr, **domains: Domain) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted(domains.items())))


# ------------------------------------------------------------------------------ the order


def test_plan_tries_cheap_engines_first() -> None:
    """A transcendental inequality: Z3's short turn, the sample points, SymPy, a short
    interval turn, Z3, the methods, then the interval engine's full turn and the search."""
    plan = portfolio.plan(_ob(sp.exp(x), ">=", 1 + x))
    assert plan[:5] == ["z3-quick", "sample", "sympy", "intervals-quick", "z3"]
    assert plan[-2:] == ["intervals", "search"]
    assert plan.index("cases") < plan.index("monotone") < plan.index("intervals")


def test_plan_induction_before_logs_for_an_integer_parameter() -> None:
    ints = _ob(2**n, ">=", n + 1, n=Domain(lo=F(1), integer=True))
    reals = _ob(2**x, ">=", x + 1, x=Domain(lo=F(1)))
    assert portfolio.plan(ints).index("induction") < portfolio.plan(ints).index("logtransform")
    assert portfolio.plan(reals).index("logtransform") < portfolio.plan(reals).index("induction")


def test_plan_induction_right_after_the_sample_points() -> None:
    ints = _ob(sp.factorial(n), ">=", (n / sp.E) ** n, n=Domain(lo=F(1), integer=True))
    assert portfolio.plan(ints)[:3] == ["z3-quick", "sample", "induction"]


def test_plan_substitution_before_z3s_full_turn_under_hypotheses() -> None:
    """A bound given as a hypothesis (``k >= log(1/eps)``) is used by substitution in a tenth
    of Z3's full turn; without hypotheses Z3 keeps its place."""
    with_bound = Obligation(Relation(sp.exp(-x), "<=", y), (("y", Domain(F(0), F(1), True)),),
                            (Relation(x, ">=", sp.log(1 / y)),))
    plan = portfolio.plan(with_bound)
    assert plan.index("substitution") < plan.index("z3")
    bare = portfolio.plan(_ob(sp.exp(x), ">=", 1 + x))
    assert bare.index("z3") < bare.index("substitution")


def test_plan_log_rules_before_z3_on_an_equation() -> None:
    plan = portfolio.plan(_ob(sp.log(x * y), "=", sp.log(x) + sp.log(y)))
    assert plan[:4] == ["sympy", "sample", "logrules", "z3-quick"]


def test_plan_of_a_sub_obligation_has_no_sample_or_search() -> None:
    plan = portfolio.plan(_ob(sp.exp(x), ">=", 1 + x), "proof")
    assert "sample" not in plan and "search" not in plan


# ------------------------------------------------------------------------------ sample stage


def test_sample_stage_refutes_at_the_simplest_failing_point() -> None:
    """atan(x) >= x - x^3/4 for x >= 0 fails on (0, 1.13...): Z3's short turn finds no model,
    the sample points do, and the simplest failing one is reported."""
    r = check_claim("atan(x) >= x - x^3/4", ["x >= 0"])
    v = r.verdict
    assert v.status is Status.REFUTED and v.engine == "sample"
    assert v.counterexample is not None and dict(v.counterexample.values) == {"x": F(1, 2)}


def test_sample_stage_alone() -> None:
    """The stage itself: the simplest failing point of exp(x) >= 1 + x + x^2/2 is x = -1;
    a claim that fails only where it is undefined (x = 0) is never refuted."""
    sample = portfolio._engine("sample")
    v = sample(_ob(sp.exp(x), ">=", 1 + x + x**2 / 2), 2.0)
    assert v.status is Status.REFUTED
    assert v.counterexample is not None and dict(v.counterexample.values) == {"x": F(-1)}
    assert sample(_ob(1 / x**2, ">", 0), 2.0).status is Status.UNKNOWN


def test_sample_points_are_memoized_as_copies() -> None:
    ob = _ob(x**2 + y, ">=", 0, x=Domain(F(-3), F(3)), y=Domain(F(0), F(1)))
    first = portfolio.sample_points(ob, 7)
    first[0]["x"] = F(1000)
    assert portfolio.sample_points(ob, 7)[0]["x"] != F(1000)
    assert portfolio.sample_points(ob, 7) == portfolio.sample_points(ob, 7)


def test_cheap_points_skip_huge_sums() -> None:
    """sum(k, 0, n, binomial(n, k)) at n in the thousands costs seconds and decides nothing."""
    k = sp.Symbol("k", integer=True)
    s = sp.Sum(sp.binomial(n, k), (k, 0, n))
    ob = _ob(s, "=", 2**n, n=Domain(lo=F(0), integer=True))
    points = portfolio.cheap_points(ob)
    assert points and all(abs(pt["n"]) <= portfolio.CHEAP_VALUE for pt in points)
    assert any(abs(pt["n"]) > portfolio.CHEAP_VALUE for pt in portfolio.sample_points(
        ob, portfolio.CROSS_CHECK_POINTS))


# ------------------------------------------------------------------------------ no hard limit


def test_factoring_skips_high_degree_sums() -> None:
    assert not sign.low_degree(sp.exp(-50 * t) - (1 - t) ** 50)
    assert sign.low_degree((1 - t) ** 50 * sp.exp(t))  # a product is factored already
    assert sign.low_degree(x**2 - 2 * x + 1)


def test_concave_power_claim_is_proved_without_the_hard_limit() -> None:
    """(1 - t)^m <= exp(-t*m) for real m in [1, 50]: the convexity method used to factor
    exp(-50*t) - (1 - t)^50 until the hard limit; the log comparison proves it."""
    r = check_claim("(1 - t)^m <= exp(-t*m)", ["t in [0, 1)", "m in [1, 50]"])
    assert r.verdict.status is Status.PROVED, r.verdict.reason


def test_log_identity_is_proved_without_the_hard_limit() -> None:
    """Z3's Groebner bases spun for seconds on this identity, far beyond their rlimit."""
    r = check_claim("log((1 + a)*(1 + b)*(1 + c)) = log(1 + a) + log(1 + b) + log(1 + c)",
                    ["a, b, c > -1"])
    assert r.verdict.status is Status.PROVED, r.verdict.reason


@pytest.mark.slow
def test_x_to_the_x_ends_without_the_hard_limit() -> None:
    """x^x >= exp(-1/e) for x > 0 (a tie at x = 1/e): the interval engine used to ask SymPy
    for (45723/124288)^(45723/124288) exactly, building integers of thousands of digits."""
    r = check_claim("x^x >= exp(-1/e)", ["x > 0"])
    assert not r.verdict.time_limited
    assert r.verdict.status in (Status.PROVED, Status.PLAUSIBLE)


def test_x_to_the_x_interval_search_ends() -> None:
    """The same on (0, 1] with the interval engine alone ("by numeric"): it ends, undecided
    at the tie, instead of reaching the hard limit."""
    v = portfolio.check(_ob(x**x, ">=", sp.exp(-sp.exp(-1)), x=Domain(F(0), F(1), True)),
                        0.5, mode="numeric")
    assert not v.time_limited
    assert v.status is Status.PLAUSIBLE
