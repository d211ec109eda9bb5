"""The sums method (checker.engines.sums): identities with sum(k, a, n, ...) for every integer
n, by induction on n (recurrence) or by SymPy's summation checked exactly at several n."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker import check_claim
from checker.engines import sums
from checker.obligations import Domain, Obligation, Relation, Status, sym

n, k, p, r = sym("n"), sym("k"), sym("p"), sym("r")
N1 = Domain(F(1), None, integer=True)
N0 = Domain(F(0), None, integer=True)
BUDGET = 4.0


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Load Z3 and SymPy once: a cold first call can reach an engine's wall-clock safety cap."""
    check_claim("exp(x) >= x", ["x >= 1"])


def squares(rhs: sp.Expr) -> Obligation:
    return Obligation(Relation(sp.Sum(k**2, (k, 1, n)), "=", rhs), (("n", N1),))


def test_sum_of_squares_by_induction() -> None:
    v = sums.prove(squares(n * (n + 1) * (2 * n + 1) / 6), BUDGET)
    assert v.status is Status.PROVED
    assert v.reason.startswith("by induction on n >= 1")


@pytest.mark.parametrize("rhs", [n * (n + 1) * (2 * n + 1) / 5, n**3 / 3 + n**2 / 2,
                                 n * (n + 1) * (2 * n + 1) / 6 + (n - 1) * (n - 2) * (n - 3)])
def test_wrong_closed_forms_are_not_proved(rhs: sp.Expr) -> None:
    # the last one is right at n = 1, 2, 3 and wrong from n = 4 on
    assert sums.prove(squares(rhs), BUDGET).status is not Status.PROVED


def test_geometric_sum_with_a_hypothesis() -> None:
    ob = Obligation(Relation(sp.Sum(r**k, (k, 0, n)), "=", (1 - r**(n + 1)) / (1 - r)),
                    (("n", N0),), (Relation(r, "!=", 1),))
    v = sums.prove(ob, BUDGET)
    assert v.status is Status.PROVED and "induction" in v.reason


def test_a_summand_with_n_goes_through_summation_and_exact_checks() -> None:
    ob = Obligation(Relation(sp.Sum(k**2 * sp.binomial(n, k), (k, 0, n)), "=",
                             n * (n + 1) * 2**(n - 2)), (("n", N1),))
    v = sums.prove(ob, BUDGET)
    assert v.status is Status.PROVED
    assert "SymPy's summation" in v.reason and "n = 1, ..., 8" in v.reason


def test_a_summand_with_n_and_a_wrong_closed_form() -> None:
    ob = Obligation(Relation(sp.Sum(k**2 * sp.binomial(n, k), (k, 0, n)), "=",
                             n * (n + 1) * 2**(n - 1)), (("n", N1),))
    assert sums.prove(ob, BUDGET).status is not Status.PROVED


def test_an_inequality_or_a_sum_without_a_parameter_is_not_its_business() -> None:
    ob = Obligation(Relation(sp.Sum(k, (k, 1, n)), ">=", n), (("n", N1),))
    assert sums.prove(ob, BUDGET).reason == ""
    real_n = Obligation(Relation(sp.Sum(k, (k, 1, n)), "=", n * (n + 1) / 2))
    assert sums.prove(real_n, BUDGET).status is Status.UNKNOWN


TRUE = [
    ("sum(k, 1, n, k^2) = n*(n + 1)*(2*n + 1)/6", ["n >= 1 integer"]),
    ("sum(k, 0, n, k^2*binomial(n, k)) = n*(n + 1)*2^(n - 2)", ["n >= 1 integer"]),
    ("sum(k, 0, n, binomial(n, k)*p^k*(1 - p)^(n - k)) = 1", ["n >= 1 integer", "p in (0, 1)"]),
    ("sum(k, 0, n, r^k) = (1 - r^(n + 1))/(1 - r)", ["n >= 0 integer", "r != 1"]),
    ("sum(k, 1, n, 1/(k*(k + 1))) = 1 - 1/(n + 1)", ["n >= 1 integer"]),
]
FALSE = [
    ("sum(k, 1, n, k^2) = n*(n + 1)*(2*n + 1)/5", ["n >= 1 integer"]),
    ("sum(k, 0, n, binomial(n, k)*p^k*(1 - p)^(n - k)) = 1 - p^n",
     ["n >= 1 integer", "p in (0, 1)"]),
    ("sum(k, 0, n, r^k) = (1 - r^(n + 2))/(1 - r)", ["n >= 0 integer", "r != 1"]),
    ("sum(k, 1, n, 1/(k*(k + 1))) = 1 - 1/(n + 2)", ["n >= 1 integer"]),
]


@pytest.mark.parametrize(("claim", "assume"), TRUE)
def test_sum_identities_are_proved(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v


@pytest.mark.parametrize(("claim", "assume"), FALSE)
def test_wrong_sum_identities_are_never_proved(claim: str, assume: list[str]) -> None:
    assert check_claim(claim, assume, budget_s=BUDGET).verdict.status is not Status.PROVED


@pytest.mark.slow  # about 30 s of CPU: the binomial theorem proved with its definedness
def test_zero_to_the_zero_under_a_sum_is_defined_where_the_index_keeps_the_exponent_nonnegative(
        ) -> None:
    """(1 - p)^(n - k) for k in 0..n is defined at p = 1 (0^0 = 1): the binomial theorem holds
    on the closed interval and is proved; one more term (k = n + 1, exponent -1) is not
    defined at p = 1, and the step is refuted."""
    assume = ["n >= 1 integer", "p in [0, 1]"]
    v = check_claim("sum(k, 0, n, binomial(n, k)*p^k*(1 - p)^(n - k)) = 1", assume,
                    budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v.reason
    v = check_claim("sum(k, 0, n + 1, (1 - p)^(n - k)) >= 0", assume, budget_s=BUDGET).verdict
    assert v.status is Status.REFUTED and "not defined" in v.reason, v.reason


def test_the_exact_checks_come_before_the_summation_and_name_the_failing_value() -> None:
    """A wrong claim costs no summation: the claim at n = 1, ..., 8, sums written out term by
    term, is checked first, and the reason names the first value where it fails."""
    right_to_three = Obligation(Relation(
        sp.Sum(k**2 * sp.binomial(n, k), (k, 0, n)), "=",
        n * (n + 1) * 2**(n - 2) + (n - 1) * (n - 2) * (n - 3)), (("n", N1),))
    v = sums.prove(right_to_three, BUDGET)
    assert v.status is Status.UNKNOWN and v.reason == "the claim at n = 4 is not an identity"
    x = sym("x")
    reals = (("n", N1), ("x", Domain(None, None)))
    exp_sum = sp.Sum(sp.binomial(n, k) * sp.exp(k * x), (k, 0, n))
    # SymPy has no closed form for this sum: the reason says which part failed
    wrong = Obligation(Relation(exp_sum, "=", (1 + sp.exp(x))**n + 1), reals)
    assert sums.prove(wrong, BUDGET).reason == "the claim at n = 1 is not an identity"
    right = Obligation(Relation(exp_sum, "=", (1 + sp.exp(x))**n), reals)
    assert sums.prove(right, BUDGET).reason.startswith("SymPy's summation found no closed form")


def test_a_closed_form_kept_from_an_earlier_claim_gives_the_same_verdict() -> None:
    p01 = Domain(F(0), F(1), lo_open=True, hi_open=True)
    ob = Obligation(Relation(sp.Sum(sp.binomial(n, k) * p**k * (1 - p)**(n - k), (k, 0, n)), "=",
                             sp.Integer(1)), (("n", N1), ("p", p01)))
    sums._closed_form.cache_clear()
    first = sums.prove(ob, BUDGET)
    again = sums.prove(ob, BUDGET)
    assert first.status is Status.PROVED and (again.status, again.reason) == (
        first.status, first.reason)


def test_the_sympy_engine_still_proves_identities_where_a_sum_cancels() -> None:
    """The SymPy engine skips its rewrites when a sum stays in the difference of the two sides
    with a constant coefficient (no rewrite can remove it); where it cancels, it proves."""
    from checker.engines import sympy_engine

    s, x = sp.Sum(k**2, (k, 1, n)), sym("x")
    reals = (("n", N1), ("x", Domain(None, None)))
    for lhs, rhs in [((s + 1)**2, s**2 + 2 * s + 1), ((x + 1) * s, x * s + s)]:
        ob = Obligation(Relation(lhs, "=", rhs), reals)
        assert sympy_engine.prove(ob, BUDGET).status is Status.PROVED, (lhs, rhs)
    stays = Obligation(Relation(s, "=", n * (n + 1) * (2 * n + 1) / 6), (("n", N1),))
    v = sympy_engine.prove(stays, BUDGET)
    assert v.status is Status.UNKNOWN and v.reason == "no symbolic proof found"
