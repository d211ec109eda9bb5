"""The induction method (checker.engines.induction): integer parameters, by a real-exponent
argument or by induction (additive or ratio step)."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction as F

import pytest
import sympy as sp

from checker import check_claim
from checker.engines import induction
from checker.obligations import Domain, Obligation, Relation, Status, sym

n, x = sym("n"), sym("x")
BUDGET = 4.0


def natural(lo: int) -> tuple[tuple[str, Domain], ...]:
    return (("n", Domain(F(lo), None, integer=True)),)


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Load Z3 and SymPy once: a cold first call can reach an engine's wall-clock safety cap."""
    check_claim("exp(x) >= x", ["x >= 1"])


def test_additive_step() -> None:
    # a factorial has no real-exponent form: by induction, adding or multiplying
    v = induction.prove(Obligation(Relation(sp.factorial(n), ">=", 2**(n - 1)), natural(1)),
                        BUDGET)
    assert v.status is Status.PROVED and v.reason.startswith("by induction on n >= 1")


def test_ratio_step() -> None:
    v = induction.prove(Obligation(Relation(sp.factorial(n), ">=", (n / sp.E)**n), natural(1)),
                        BUDGET)
    assert v.status is Status.PROVED and "ratio" in v.reason


def test_real_exponent_with_a_zero_base() -> None:
    # at x = -n the base is 0: a case of its own (0 <= exp(-n))
    ob = Obligation(Relation((1 + x / n)**n, "<=", sp.exp(x)), natural(1),
                    (Relation(x, ">=", -n),))
    v = induction.prove(ob, BUDGET)
    assert v.status is Status.PROVED and "for every real n" in v.reason


@pytest.mark.parametrize(("claim", "lo"), [
    (Relation(2**n, ">=", n + 2), 0),  # false at n = 1
    (Relation(sp.factorial(n), ">=", (n / 2)**n), 1),  # false from n = 10 on
    (Relation(2**n, ">=", n**2), 2),  # false at n = 3 only
    (Relation(3**n, ">=", 2**n + 2 * n), 1),  # false at n = 1
])
def test_false_claims_are_not_proved_by_induction(claim: Relation, lo: int) -> None:
    assert induction.prove(Obligation(claim, natural(lo)), BUDGET).status is not Status.PROVED


def test_a_real_parameter_is_not_its_business() -> None:
    v = induction.prove(Obligation(Relation(2**n, ">=", n + 1), (("n", Domain(F(1), None)),)),
                        BUDGET)
    assert v.status is Status.UNKNOWN and v.reason == ""


TRUE = [
    ("(1 + x/n)^n <= exp(x)", ["n >= 1 integer", "x >= -n"]),
    ("2^n >= n + 1", ["n >= 0 integer"]),
    ("(1 - 1/n)^n <= exp(-1)", ["n >= 1 integer"]),
    ("binomial(n, 2) <= n^2/2", ["n >= 0 integer"]),
    ("factorial(n) >= (n/e)^n", ["n >= 1 integer"]),
]
FALSE = [
    ("(1 + x/n)^n <= exp(x/2)", ["n >= 1 integer", "x >= -n"]),
    ("2^n >= n + 2", ["n >= 0 integer"]),
    ("(1 - 1/n)^n <= exp(-1)/2", ["n >= 1 integer"]),
    ("binomial(n, 2) <= n^2/3", ["n >= 0 integer"]),
    ("factorial(n) >= (n/2)^n", ["n >= 1 integer"]),
]


@pytest.mark.parametrize(("claim", "assume"), TRUE)
def test_issue_examples_are_proved(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v


@pytest.mark.parametrize(("claim", "assume"), FALSE)
def test_false_variants_are_never_proved(claim: str, assume: list[str]) -> None:
    assert check_claim(claim, assume, budget_s=BUDGET).verdict.status is not Status.PROVED


def test_cli_proves_stirling_lower_bound() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "checker", "claim", "factorial(n) >= (n/e)^n", "--assume",
         "n >= 1 integer"], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("proved"), out.stdout + out.stderr
    assert "induction" in out.stdout
