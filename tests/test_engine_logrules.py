"""The log-rules method (checker.engines.logrules): log and power identities whose arguments
are positive only through the hypotheses."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest
import sympy as sp

from checker import check_claim
from checker.engines import logrules
from checker.obligations import Domain, Obligation, Relation, Status, sym

a, b, x, y, t = (sym(s) for s in "abxyt")
BUDGET = 4.0


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Load Z3 and SymPy once: a cold first call can reach an engine's wall-clock safety cap."""
    check_claim("exp(x) >= x", ["x >= 1"])


GIVENS = (Relation(a, ">", -1), Relation(b, "<", 2))


def test_log_of_a_ratio() -> None:
    ob = Obligation(Relation(sp.log((1 + a) / (2 - b)), "=", sp.log(1 + a) - sp.log(2 - b)),
                    (), GIVENS)
    v = logrules.prove(ob, BUDGET)
    assert v.status is Status.PROVED
    assert "1 + a > 0" in v.reason and "2 - b > 0" in v.reason


def test_without_the_hypotheses_nothing_is_expanded() -> None:
    # log((1 + a)/(2 - b)) with both factors negative is defined, log(1 + a) is not: the
    # identity may only be used where the factors are positive
    ob = Obligation(Relation(sp.log((1 + a) / (2 - b)), "=", sp.log(1 + a) - sp.log(2 - b)),
                    (), (Relation((1 + a) / (2 - b), ">", 0),))
    assert logrules.prove(ob, BUDGET).status is not Status.PROVED


@pytest.mark.parametrize("rhs", [sp.log(1 + a) + sp.log(2 - b), sp.log(1 + a) - sp.log(2 + b),
                                 2 * sp.log(1 + a) - sp.log(2 - b)])
def test_wrong_identities_are_not_proved(rhs: sp.Expr) -> None:
    ob = Obligation(Relation(sp.log((1 + a) / (2 - b)), "=", rhs), (), GIVENS)
    assert logrules.prove(ob, BUDGET).status is not Status.PROVED


def test_a_power_of_a_product() -> None:
    ob = Obligation(Relation(((x - 1) * (y + 2))**t, "=", (x - 1)**t * (y + 2)**t), (),
                    (Relation(x, ">", 1), Relation(y, ">", -2)))
    assert logrules.prove(ob, BUDGET).status is Status.PROVED


def test_inequalities_are_not_its_business() -> None:
    ob = Obligation(Relation(sp.log(1 + a), "<=", a), (), GIVENS)
    assert logrules.prove(ob, BUDGET).reason == ""


TRUE = [
    ("log((1 + a)/(2 - b)) = log(1 + a) - log(2 - b)", ["a > -1", "b < 2"]),
    ("log((1 - x)^t) = t*log(1 - x)", ["x < 1", "t real"]),
    ("log((2 - b)^3/(1 + a)) = 3*log(2 - b) - log(1 + a)", ["a > -1", "b < 2"]),
    ("((1 + a)/(1 - b))^t = (1 + a)^t/(1 - b)^t", ["a > -1", "b < 1", "t real"]),
]
FALSE = [
    ("log((1 + a)/(2 - b)) = log(1 + a) + log(2 - b)", ["a > -1", "b < 2"]),
    ("log((1 - x)^t) = t^2*log(1 - x)", ["x < 1", "t real"]),
    ("((1 + a)/(1 - b))^t = (1 + a)^t*(1 - b)^t", ["a > -1", "b < 1", "t real"]),
]


@pytest.mark.parametrize(("claim", "assume"), TRUE)
def test_identities_are_proved(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v


@pytest.mark.parametrize(("claim", "assume"), FALSE)
def test_wrong_identities_are_never_proved(claim: str, assume: list[str]) -> None:
    assert check_claim(claim, assume, budget_s=BUDGET).verdict.status is not Status.PROVED


def test_cli_proves_the_issue_example() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "checker", "claim",
         "log((1 + a)/(2 - b)) = log(1 + a) - log(2 - b)", "--assume", "a > -1",
         "--assume", "b < 2"], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("proved"), out.stdout + out.stderr


# an equation among the hypotheses, linear in one variable with a coefficient that is not a
# number (those are eliminated before the engines run), is used by substitution
def test_an_equation_among_the_hypotheses_is_substituted() -> None:
    ob = Obligation(Relation(sp.log(x) + sp.log(y), "=", 0),
                    (("x", Domain(Fraction(0), lo_open=True)),
                     ("y", Domain(Fraction(0), lo_open=True))),
                    (Relation(x * y, "=", 1),))
    v = logrules.prove(ob, BUDGET)
    assert v.status is Status.PROVED
    assert "substituted x = 1/y" in v.reason and "y != 0 (proved)" in v.reason


def test_substitution_with_a_coefficient_that_may_vanish_proves_nothing() -> None:
    # x*y = 0 gives x = 0 only where y != 0: at x = 1, y = 0 the claim is false
    ob = Obligation(Relation(sp.log(1 + x), "=", 0),
                    (("x", Domain(Fraction(0))),), (Relation(x * y, "=", 0),))
    assert logrules.prove(ob, BUDGET).status is not Status.PROVED
    v = check_claim("log(1 + x) = 0", ["x >= 0", "y real", "x*y = 0"], budget_s=BUDGET).verdict
    assert v.status is Status.REFUTED


@pytest.mark.parametrize(("claim", "status"), [
    ("log(x) + log(y) = 0", Status.PROVED),
    ("x^t*y^t = 1", Status.PROVED),
    ("log(x) - log(y) = 0", Status.REFUTED),
    ("log(x) + 2*log(y) = 0", Status.REFUTED),
])
def test_products_fixed_by_a_hypothesis(claim: str, status: Status) -> None:
    v = check_claim(claim, ["x, y > 0", "x*y = 1", "t real"], budget_s=BUDGET).verdict
    assert v.status is status, v
