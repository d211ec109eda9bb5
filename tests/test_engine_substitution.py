"""The substitution method (checker.engines.substitution): a hypothesis v >= g used
monotonically. True claims are proved (by the method, and by ``proofcheck claim``); false
variants are never proved."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction as F

import pytest
import sympy as sp

from checker import check_claim
from checker.engines import substitution
from checker.obligations import Domain, Obligation, Relation, Status, sym

n, eps, delta, k, mu, L, m = (sym(s) for s in ("n", "eps", "delta", "k", "mu", "L", "m"))
UNIT = Domain(F(0), F(1), True, True)
POS = Domain(F(0), None, True)
BUDGET = 4.0


@pytest.fixture(autouse=True, scope="module")
def warm() -> None:
    """Load Z3 and SymPy once: a cold first call can reach an engine's wall-clock safety cap."""
    check_claim("exp(x) >= x", ["x >= 1"])


def hoeffding(claim_rhs: sp.Expr, bound: sp.Expr, op: str = ">=") -> Obligation:
    return Obligation(Relation(2 * sp.exp(-n * eps**2 / 2), "<=", claim_rhs),
                      (("delta", UNIT), ("eps", UNIT)), (Relation(n, op, bound),))


def test_hoeffding_sample_size_is_proved_by_substitution() -> None:
    v = substitution.prove(hoeffding(delta, 2 * sp.log(2 / delta) / eps**2), BUDGET)
    assert v.status is Status.PROVED
    assert "nondecreasing in n" in v.reason and "substituted n = " in v.reason


@pytest.mark.parametrize("ob", [
    hoeffding(delta / 2, 2 * sp.log(2 / delta) / eps**2),  # false at the bound
    hoeffding(delta, 2 * sp.log(2 / delta) / eps**2, "<="),  # the bound on the wrong side
    hoeffding(delta, sp.log(2 / delta) / eps**2),  # a bound too small
])
def test_false_variants_are_not_proved_by_substitution(ob: Obligation) -> None:
    assert substitution.prove(ob, BUDGET).status is not Status.PROVED


def test_not_monotone_is_not_substituted() -> None:
    # (n - 2)^2 >= 0 at n = 2 but the claim -(n - 2)^2 >= 0 is false for n = 3 >= 2
    ob = Obligation(Relation(-(n - 2)**2, ">=", 0), (), (Relation(n, ">=", 2),))
    assert substitution.prove(ob, BUDGET).status is not Status.PROVED


def test_an_upper_bound_with_a_nonincreasing_claim() -> None:
    # m <= log(1/delta) and exp(m) <= 1/delta: nondecreasing in m, so put m at its bound
    ob = Obligation(Relation(sp.exp(m), "<=", 1 / delta), (("delta", UNIT),),
                    (Relation(m, "<=", sp.log(1 / delta)),))
    v = substitution.prove(ob, BUDGET)
    assert v.status is Status.PROVED and "nonincreasing" in v.reason


def test_no_hypothesis_bound_means_no_answer() -> None:
    ob = Obligation(Relation(sp.exp(-n), "<=", 1), (("n", POS),))
    v = substitution.prove(ob, BUDGET)
    assert v.status is Status.UNKNOWN and v.reason == ""


TRUE = [
    ("2*exp(-n*eps^2/2) <= delta",
     ["eps in (0, 1)", "delta in (0, 1)", "n >= 2*log(2/delta)/eps^2"]),
    ("exp(-k*mu/L) <= eps",
     ["L > 0", "mu in (0, L]", "eps in (0, 1)", "k >= (L/mu)*log(1/eps)"]),
    ("2*H*exp(-2*m*eps^2) <= delta",
     ["H >= 1", "eps in (0, 1)", "delta in (0, 1)", "m >= log(2*H/delta)/(2*eps^2)"]),
    ("C/sqrt(n) <= eps", ["C > 0", "eps > 0", "n >= C^2/eps^2"]),
]
FALSE = [
    ("2*exp(-n*eps^2/2) <= delta/2",
     ["eps in (0, 1)", "delta in (0, 1)", "n >= 2*log(2/delta)/eps^2"]),
    ("exp(-k*mu/L) <= eps",
     ["L > 0", "mu in (0, L]", "eps in (0, 1)", "k <= (L/mu)*log(1/eps)"]),
    ("exp(-k/kappa) <= eps", ["kappa >= 1", "eps in (0, 1)", "k >= log(1/eps)"]),
    ("C/sqrt(n) <= eps/2", ["C > 0", "eps > 0", "n >= C^2/eps^2"]),
]


@pytest.mark.parametrize(("claim", "assume"), TRUE)
def test_course_steps_are_proved(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.PROVED, v


@pytest.mark.parametrize(("claim", "assume"), FALSE)
def test_false_course_steps_are_never_proved(claim: str, assume: list[str]) -> None:
    assert check_claim(claim, assume, budget_s=BUDGET).verdict.status is not Status.PROVED


def test_cli_proves_the_issue_example() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "checker", "claim", "exp(-k*mu/L) <= eps", "--assume", "L > 0",
         "--assume", "mu in (0, L]", "--assume", "eps in (0, 1)",
         "--assume", "k >= (L/mu)*log(1/eps)"], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("proved"), out.stdout + out.stderr
    assert "substituted k = " in out.stdout


def test_false_at_the_bound_is_refuted_where_the_hypothesis_holds() -> None:
    # at the bound the claim says delta <= delta/2: the method puts n just past the bound
    # (n = 12 >= 8*log(4) = 11.09... at delta = eps = 1/2) and re-checks the point exactly
    v = substitution.prove(hoeffding(delta / 2, 2 * sp.log(2 / delta) / eps**2), BUDGET)
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None
    point = dict(v.counterexample.values)
    assert point == {"delta": F(1, 2), "eps": F(1, 2), "n": F(12)}
    assert "holds at (or just past) its bound n = " in v.reason


def test_a_rational_bound_is_used_exactly() -> None:
    # n >= m, claim n >= m + 1: false at n = m, where the hypothesis holds with equality
    ob = Obligation(Relation(n, ">=", m + 1), (), (Relation(n, ">=", m),))
    v = substitution.prove(ob, BUDGET)
    assert v.status is Status.REFUTED and v.counterexample is not None
    point = dict(v.counterexample.values)
    assert point["n"] == point["m"]


def test_a_true_claim_is_never_refuted_at_its_bound() -> None:
    # both sides are delta at the bound: nothing fails there, so no counterexample
    v = substitution.prove(hoeffding(delta, 2 * sp.log(2 / delta) / eps**2), BUDGET)
    assert v.status is Status.PROVED


@pytest.mark.parametrize(("claim", "assume"), [
    ("2*exp(-n*eps^2/2) <= delta/2",
     ["eps in (0, 1)", "delta in (0, 1)", "n >= 2*log(2/delta)/eps^2"]),
    ("2*H*exp(-2*m*eps^2) <= delta/2",
     ["H >= 1", "eps in (0, 1)", "delta in (0, 1)", "m >= log(2*H/delta)/(2*eps^2)"]),
])
def test_too_small_sample_sizes_are_refuted(claim: str, assume: list[str]) -> None:
    v = check_claim(claim, assume, budget_s=BUDGET).verdict
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None


def test_bounds_need_a_number_as_coefficient() -> None:
    x = sym("x")
    # n*x - n*(x - 1) is n: its coefficient is the number 1 once simplified
    linear = Obligation(Relation(sp.exp(-n), "<=", delta), (("delta", UNIT),),
                        (Relation(n * x - n * (x - 1), ">=", sp.log(1 / delta)),))
    assert [(v, lower) for v, _, lower, _ in substitution.bounds(linear)] == [(n, True)]
    # n*x >= 1 bounds neither n nor x by an expression free of it
    product = Obligation(Relation(sp.exp(-n * x), "<=", delta), (("delta", UNIT),),
                         (Relation(n * x, ">=", 1),))
    assert substitution.bounds(product) == []


def test_a_derivative_no_point_can_evaluate_is_not_sent_to_a_sub_proof() -> None:
    # d/dk binomial(n, k) has polygamma: no sample point could cross-check a sign of it
    assert not substitution.evaluable(sp.diff(sp.binomial(n, k), k))
    assert substitution.evaluable(sp.diff(2 * sp.exp(-n * eps**2 / 2), n))
    small = Domain(F(0), F(30), integer=True)
    ob = Obligation(Relation(sp.binomial(n, k), "<=", 2**n), (("k", small), ("n", small)),
                    (Relation(k, "<=", n),))
    v = substitution.prove(ob, BUDGET)
    assert v.status is Status.UNKNOWN and "cannot evaluate" in v.reason
