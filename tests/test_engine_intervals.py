"""Tests for the rigorous interval branch-and-bound engine (checker.engines.intervals)."""

from __future__ import annotations

from fractions import Fraction as F

import sympy as sp

from checker.engines.intervals import prove
from checker.functions import Phi, PhiInv
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym
from checker.timelimit import HardLimit

x, y, n = sym("x"), sym("y"), sym("n")
R = sp.Rational


def box(lo: object, hi: object, **kw: bool) -> Domain:
    return Domain(F(str(lo)), F(str(hi)), **kw)


def one(lhs: sp.Expr, op: str, rhs: sp.Expr, lo: object, hi: object, **kw: bool) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), (("x", box(lo, hi, **kw)),))


def two(lhs: sp.Expr, op: str, rhs: sp.Expr, lo: object, hi: object) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), (("x", box(lo, hi)), ("y", box(lo, hi))))


def at(v: Verdict) -> dict[str, F]:
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None
    return dict(v.counterexample.values)


# ------------------------------------------------------------------ the brief's examples


def test_log_one_plus_x_below_x_touching_at_zero() -> None:
    """log(1 + x) <= x on [0, 10] touches at 0 and is proved."""
    v = prove(one(sp.log(1 + x), "<=", x, 0, 10))
    assert v.status is Status.PROVED, v
    assert v.engine == "intervals"


def test_exp_above_tangent_line() -> None:
    """exp(x) >= 1 + x on [-5, 5] is proved (split at the touching point 0)."""
    assert prove(one(sp.exp(x), ">=", 1 + x, -5, 5)).status is Status.PROVED


def test_exp_above_second_order_taylor_is_refuted_at_minus_one() -> None:
    """exp(x) >= 1 + x + x^2/2 on [-2, 2] fails for x < 0: refuted at the simple point -1."""
    v = prove(one(sp.exp(x), ">=", 1 + x + x**2 / 2, -2, 2))
    assert at(v) == {"x": F(-1)}


def test_tanh_below_identity() -> None:
    """tanh(x) <= x on [0, 3] is proved."""
    assert prove(one(sp.tanh(x), "<=", x, 0, 3)).status is Status.PROVED


def test_sqrt_below_arithmetic_mean() -> None:
    """sqrt(x) <= (1 + x)/2 on [0, 4] (touching at 1, square root at 0) is proved."""
    assert prove(one(sp.sqrt(x), "<=", (1 + x) / 2, 0, 4)).status is Status.PROVED


def test_phi_inv_quantile_too_small_is_refuted() -> None:
    """Phi_inv(0.975) = 1.95996... so Phi_inv(975/1000) <= 195/100 is refuted, no variables."""
    v = prove(Obligation(Relation(PhiInv(R(975, 1000)), "<=", R(195, 100))))
    assert at(v) == {}


def test_phi_inv_quantile_bound_is_proved() -> None:
    """Phi_inv(975/1000) <= 196/100 is decided at the single point."""
    v = prove(Obligation(Relation(PhiInv(R(975, 1000)), "<=", R(196, 100))))
    assert v.status is Status.PROVED


def test_x_exp_minus_x_touches_at_transcendental_value() -> None:
    """x*exp(-x) <= exp(-1) on [0, 5]: equality at x = 1 is found exactly by SymPy."""
    assert prove(one(x * sp.exp(-x), "<=", sp.exp(-1), 0, 5)).status is Status.PROVED


def test_log_below_x_minus_one() -> None:
    """log(x) <= x - 1 on [1/100, 10], and even on (0, 10] (log -> -infinity at 0)."""
    assert prove(one(sp.log(x), "<=", x - 1, "1/100", 10)).status is Status.PROVED
    v = prove(one(sp.log(x), "<=", x - 1, 0, 10, lo_open=True))
    assert v.status is Status.PROVED


def test_two_variables_am_gm_square() -> None:
    """x*y <= (x^2 + y^2)/2 on [-3, 3]^2 (touching on the diagonal) is proved."""
    assert prove(two(x * y, "<=", (x**2 + y**2) / 2, -3, 3)).status is Status.PROVED


def test_two_variables_through_one_subexpression() -> None:
    """exp(x + y) >= 1 + x + y on [-2, 2]^2 is proved in t = x + y."""
    v = prove(two(sp.exp(x + y), ">=", 1 + x + y, -2, 2))
    assert v.status is Status.PROVED
    assert "x + y" in v.reason


def test_unbounded_variable_is_unknown() -> None:
    """A variable without finite bounds gives UNKNOWN, not an exception."""
    v = prove(Obligation(Relation(sp.exp(x), ">=", 1 + x)))
    assert v.status is Status.UNKNOWN
    assert "unbounded" in v.reason


# ------------------------------------------------------------------------- soundness


def test_perturbed_true_claims_are_refuted() -> None:
    """Claims off by 1e-9 or 1e-15 at the touching point are refuted there, never proved."""
    v = prove(one(sp.exp(x), ">=", 1 + x + R(1, 10**9), -1, 1))
    assert at(v) == {"x": F(0)}
    v = prove(one(x * sp.exp(-x), "<=", sp.exp(-1) - R(1, 10**15), 0, 5))
    assert at(v) == {"x": F(1)}
    v = prove(one(sp.log(1 + x), "<=", x - R(1, 10**12), 0, 1))
    assert at(v) == {"x": F(0)}


def test_strict_claims_at_touching_points() -> None:
    """exp(x) > 1 + x is false at 0 but true on (0, 1] (0 excluded)."""
    assert at(prove(one(sp.exp(x), ">", 1 + x, -1, 1))) == {"x": F(0)}
    v = prove(one(sp.exp(x), ">", 1 + x, 0, 1, lo_open=True))
    assert v.status is Status.PROVED


def test_more_transcendental_bounds() -> None:
    """sin x <= x, cos x >= 1 - x^2/2, the Gaussian tail bound and Phi_inv's tail bound."""
    assert prove(one(sp.sin(x), "<=", x, 0, 10)).status is Status.PROVED
    assert prove(one(sp.cos(x), ">=", 1 - x**2 / 2, -3, 3)).status is Status.PROVED
    tail = one(1 - Phi(x), "<=", sp.exp(-(x**2) / 2) / 2, 0, 5)
    assert prove(tail).status is Status.PROVED
    quantile = one(PhiInv(x), "<=", sp.sqrt(2 * sp.log(1 / (1 - x))), "1/2", "999/1000")
    assert prove(quantile).status is Status.PROVED


# ------------------------------------------------------------------ integers, hypotheses


def test_integer_variables() -> None:
    """2^n >= n^2 holds for integers 4..40 and fails at n = 3 (an integer counterexample)."""
    ints = Domain(F(4), F(40), integer=True)
    assert prove(Obligation(Relation(2**n, ">=", n**2), (("n", ints),))).status is Status.PROVED
    from_zero = Domain(F(0), F(40), integer=True)
    v = prove(Obligation(Relation(2**n, ">=", n**2), (("n", from_zero),)))
    assert at(v) == {"n": F(3)}


def test_bernoulli_with_integer_exponent() -> None:
    """(1 + x)^n >= 1 + n*x for n in 1..10, x in [-1, 3] (equality along n = 1)."""
    ob = Obligation(
        Relation((1 + x) ** n, ">=", 1 + n * x),
        (("n", Domain(F(1), F(10), integer=True)), ("x", box(-1, 3))),
    )
    assert prove(ob).status is Status.PROVED


def test_integer_equality_by_enumeration() -> None:
    """Sum_{k=1}^n k = n(n+1)/2 for n in 1..30 is checked value by value."""
    k = sym("k")
    ob = Obligation(
        Relation(sp.Sum(k, (k, 1, n)), "=", n * (n + 1) / 2),
        (("n", Domain(F(1), F(30), integer=True)),),
    )
    assert prove(ob).status is Status.PROVED


def test_bounds_from_hypotheses() -> None:
    """Simple hypotheses (x >= 1, 2*x <= 10) bound a variable without a domain."""
    hyps = (Relation(x, ">=", 1), Relation(2 * x, "<=", 10))
    v = prove(Obligation(Relation(x**2, ">=", x), (), hyps))
    assert v.status is Status.PROVED


def test_counterexample_satisfies_hypotheses() -> None:
    """x^2 >= 1 fails on (-1, 1); with x^2 >= 1/2 assumed the counterexample obeys it."""
    ob = Obligation(Relation(x**2, ">=", 1), (("x", box(-5, 5)),), (Relation(x**2, ">=", R(1, 2)),))
    value = at(prove(ob))["x"]
    assert R(1, 2) <= value**2 < 1


def test_empty_domain_is_vacuously_proved() -> None:
    """No point satisfies x in [0, 1] and x > 2, so the claim holds vacuously."""
    ob = Obligation(Relation(x, "<=", -5), (("x", box(0, 1)),), (Relation(x, ">", 2),))
    assert prove(ob).status is Status.PROVED


# ----------------------------------------------------------- kinks: abs, max, floor


def test_abs_and_relu() -> None:
    """|x| >= x, the triangle inequality and relu's 1-Lipschitz bound are proved."""
    assert prove(one(sp.Abs(x), ">=", x, -10, 10)).status is Status.PROVED
    triangle = two(sp.Abs(x + y), "<=", sp.Abs(x) + sp.Abs(y), -3, 3)
    assert prove(triangle).status is Status.PROVED
    relu = two(sp.Abs(sp.Max(x, 0) - sp.Max(y, 0)), "<=", sp.Abs(x - y), -3, 3)
    assert prove(relu).status is Status.PROVED


def test_relu_identity_by_cases() -> None:
    """relu(x) - relu(-x) = x is proved case by case (the difference is 0 on each side)."""
    v = prove(one(sp.Max(x, 0) - sp.Max(-x, 0), "=", x, -3, 3))
    assert v.status is Status.PROVED


def test_floor_and_ceiling() -> None:
    """floor(x) > x - 1 and ceiling(x) >= x are proved; floor(x) >= x - 1/2 is refuted."""
    assert prove(one(sp.floor(x), ">", x - 1, -3, 3)).status is Status.PROVED
    assert prove(one(sp.ceiling(x), ">=", x, -3, 3)).status is Status.PROVED
    v = prove(one(sp.floor(x), ">=", x - R(1, 2), -3, 3))
    value = at(v)["x"]
    assert value - sp.floor(value) > R(1, 2)


# ----------------------------------------------------------------- = and != claims


def test_equalities_are_left_to_other_engines() -> None:
    """A true polynomial identity over the reals is UNKNOWN quickly; a false one is refuted."""
    v = prove(one((x + 1) ** 2, "=", x**2 + 2 * x + 1, -1, 1))
    assert v.status is Status.UNKNOWN
    assert at(prove(one((x + 1) ** 2, "=", x**2 + 1, -1, 1))) == {"x": F(-1, 2)}


def test_not_equal_claims() -> None:
    """exp(x) != 0 is proved; x^2 - 1 != 0 is refuted at x = -1."""
    assert prove(one(sp.exp(x), "!=", sp.Integer(0), -10, 10)).status is Status.PROVED
    assert at(prove(one(x**2 - 1, "!=", sp.Integer(0), -10, 10))) == {"x": F(-1)}


# --------------------------------------------------------------- the engine contract


def test_budget_is_respected() -> None:
    """A claim beyond intervals (touching along a hypothesis boundary) gives up when its work
    budget is spent: after the same number of boxes every time (work, not time), and the
    budget scales the work."""
    ob = two(x + y, ">=", sp.Integer(0), -1, 1)
    ob = Obligation(ob.claim, ob.domains, (Relation(y, ">=", -x),))
    with HardLimit(30):  # a hang guard on CPU time; the work is what is bounded
        v = prove(ob, budget_s=0.3)
    assert v.status is Status.UNKNOWN
    assert "work budget" in v.reason
    assert prove(ob, budget_s=0.3).reason == v.reason
    assert prove(ob, budget_s=0.6).notes != v.notes  # twice the budget: more boxes


def test_deterministic() -> None:
    """The same obligation gives the same verdict and counterexample on every run."""
    ob = one(sp.exp(x), ">=", 1 + x + x**2 / 2, -2, 2)
    first, second = prove(ob), prove(ob)
    assert (first.status, first.counterexample) == (second.status, second.counterexample)


def test_unsupported_and_odd_inputs_never_raise() -> None:
    """Unknown functions, infinities and claims undefined everywhere give UNKNOWN."""
    assert prove(one(sp.gamma(x), ">=", sp.Integer(0), 1, 3)).status is Status.UNKNOWN
    assert prove(one(x, "<=", sp.oo, 1, 3)).status is Status.UNKNOWN
    assert prove(one(sp.log(-x), ">=", sp.Integer(0), 1, 3)).status is Status.UNKNOWN
    huge = Obligation(Relation(2 ** (2**n), ">=", n), (("n", Domain(F(0), F(2000), integer=True)),))
    assert prove(huge, budget_s=0.3).status in (Status.PROVED, Status.UNKNOWN)
