"""The log-transform method (checker.engines.logtransform): an inequality between positive
sides proved by comparing their logs."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker import check_claim
from checker.engines import logtransform
from checker.functions import Phi
from checker.obligations import Domain, Obligation, Relation, Status, sym

n, x = sym("n"), sym("x")
BUDGET = 4.0
N1 = (("n", Domain(F(1), None)),)


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Load Z3 and SymPy once: a cold first call can reach an engine's wall-clock safety cap."""
    check_claim("exp(x) >= x", ["x >= 1"])


def test_compound_interest_bound() -> None:
    ob = Obligation(Relation((1 + x / n)**n, "<=", sp.exp(x)), N1, (Relation(x, ">", -n),))
    v = logtransform.prove(ob, BUDGET)
    assert v.status is Status.PROVED
    assert "n*log(1 + x/n) <= x" in v.reason


@pytest.mark.parametrize("rhs", [sp.exp(x / 2), sp.exp(x) / 2, 1 + x])
def test_false_variants_are_not_proved(rhs: sp.Expr) -> None:
    ob = Obligation(Relation((1 + x / n)**n, "<=", rhs), N1, (Relation(x, ">", -n),))
    assert logtransform.prove(ob, BUDGET).status is not Status.PROVED


def test_a_side_not_shown_positive_stops_it() -> None:
    # x^3 <= exp(x) is false at x = 5; the logs would need x > 0
    ob = Obligation(Relation(x**n, "<=", sp.exp(x)), N1)
    assert logtransform.prove(ob, BUDGET).status is not Status.PROVED


TRUE = [
    ("(1 + 1/n)^n <= e", ["n >= 1"]),
    ("(1 - 1/n)^n <= exp(-1)", ["n > 1"]),
    ("(1 + x/n)^n <= exp(x)", ["n >= 1", "x > -n"]),
]
FALSE = [
    ("(1 + 1/n)^n >= e", ["n >= 1"]),
    ("(1 - 1/n)^n <= exp(-1)/2", ["n > 1"]),
    ("(1 + 2/n)^n <= e", ["n >= 1"]),
]


@pytest.mark.parametrize(("claim", "assume"), TRUE)
def test_true_claims_are_proved(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v


@pytest.mark.parametrize(("claim", "assume"), FALSE)
def test_false_claims_are_never_proved(claim: str, assume: list[str]) -> None:
    assert check_claim(claim, assume, budget_s=BUDGET).verdict.status is not Status.PROVED


def test_not_applicable_when_no_log_expands() -> None:
    # neither side is a product, a power or exp: log(L) >= log(R) would be the claim itself
    pos = (("x", Domain(F(0), None)),)
    rhs = sp.Rational(1, 2) + x * sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)
    ob = Obligation(Relation(Phi(x), ">=", rhs), pos)
    v = logtransform.prove(ob, BUDGET)
    assert v.status is Status.UNKNOWN and v.reason == ""
    # the claim is still proved, from its derivative x^2*exp(-x^2/2)/sqrt(2*pi) >= 0
    proved = check_claim("Phi(x) >= 1/2 + x*exp(-x^2/2)/sqrt(2*pi)", ["x >= 0"],
                         budget_s=BUDGET).verdict
    assert proved.status is Status.PROVED, proved
