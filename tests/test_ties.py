"""Strict claims that fail only where both sides are equal transcendental numbers (a tie no
ball can decide): refuted at the tie, by SymPy's own exact evaluation (numeric.exact_zero)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from checker import Status, check_claim
from checker.numeric import exact_zero, holds_at
from checker.obligations import Relation

x, y = sp.symbols("x y")


@pytest.mark.parametrize(("claim", "assume", "point"), [
    ("x*exp(-x) < exp(-1)", ["x in [0, 10]"], {"x": Fraction(1)}),
    ("log(exp(x) + exp(y)) < max(x, y) + log(2)", ["x in [-5, 5]", "y in [-5, 5]"],
     {"x": Fraction(0), "y": Fraction(0)}),
    ("log(y) + log(1 - y) < 2*log(1/2)", ["y in (0, 1)"], {"y": Fraction(1, 2)}),
])
def test_a_strict_claim_is_refuted_at_its_tie(claim: str, assume: list[str],
                                              point: dict[str, Fraction]) -> None:
    v = check_claim(claim, assume).verdict
    assert v.status is Status.REFUTED
    assert v.counterexample is not None
    assert dict(v.counterexample.values) == point
    assert v.counterexample.lhs == v.counterexample.rhs  # shown equal: the tie itself


def test_the_non_strict_twin_is_not_refuted() -> None:
    assert check_claim("x*exp(-x) <= exp(-1)", ["x in [0, 10]"]).verdict.status is \
        Status.PROVED


def test_holds_at_decides_ties_both_ways() -> None:
    tie = {"x": Fraction(1)}
    assert holds_at(Relation(x * sp.exp(-x), "<", sp.exp(-1)), tie) is False
    assert holds_at(Relation(x * sp.exp(-x), "<=", sp.exp(-1)), tie) is True
    assert holds_at(Relation(x * sp.exp(-x), "=", sp.exp(-1)), tie) is True
    assert holds_at(Relation(x * sp.exp(-x), "!=", sp.exp(-1)), tie) is False


def test_a_difference_too_small_for_any_ball_stays_undecided() -> None:
    """exp(1) < e + 10^-400 is true; 1,000 bits cannot tell, and the difference is not 0."""
    tiny = sp.E + sp.Rational(1, 10**400)
    assert exact_zero(sp.exp(x) - tiny, {"x": Fraction(1)}) is False
    assert holds_at(Relation(sp.exp(x), "<", tiny), {"x": Fraction(1)}) is None


@pytest.mark.parametrize("expr", [
    x ** (y ** 3) - 1,                        # an exponent that becomes 10^6 at y = 100
    sp.factorial(x) - sp.gamma(x + 1),        # functions outside the known list
])
def test_big_or_unknown_nodes_are_never_built(expr: sp.Expr) -> None:
    assert exact_zero(expr, {"x": Fraction(1), "y": Fraction(100)}) is False


def test_points_with_long_numbers_are_not_tried() -> None:
    assert exact_zero(sp.exp(x) - sp.exp(x) * 1, {"x": Fraction(10**20 + 1, 3)}) is False
