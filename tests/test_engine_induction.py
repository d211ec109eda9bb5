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


# ------------------------------------------------------------------ factorials and binomials


def test_binomial_with_n_in_both_arguments_is_an_unknown_of_the_step() -> None:
    # binomial(2n + 2, n + 1) = 2*(2n + 1)/(n + 1)*binomial(2n, n): the step is algebraic
    v = induction.prove(Obligation(Relation(sp.binomial(2 * n, n), ">=", 2**n), natural(0)),
                        BUDGET)
    assert v.status is Status.PROVED and v.reason.startswith("by induction on n >= 0"), v
    assert "(1 + 2*n)" in v.reason  # the ratio of the binomials, written out
    assert "= binomial(2*n, n)" in v.reason.split("where")[-1]  # what the unknown stands for


def test_shifted_factorial_is_an_unknown_of_the_step() -> None:
    # factorial(n + 2) = (n + 2)*factorial(n + 1); neither the real relaxation (a factorial)
    # nor the ratio step (n^2 - 5 is not positive) applies
    v = induction.prove(Obligation(Relation(sp.factorial(n + 1), ">=", n**2 - 5), natural(0)),
                        BUDGET)
    assert v.status is Status.PROVED and v.reason.startswith("by induction on n >= 0"), v


def test_a_binomial_that_is_zero_somewhere_is_not_an_unknown() -> None:
    # binomial(2n, n + 1) is 0 at n = 0 (1 > 0): its ratio formula would divide by 0
    assert induction._counting(sp.binomial(2 * n, n + 1), n, 0) == {}
    assert induction._counting(sp.binomial(2 * n, n + 1), n, 1) != {}
    assert induction._counting(sp.factorial(n - 2), n, 1) == {}  # factorial(-1)
    # a ratio of 1000 linear factors is not written out (sizes are bounded)
    assert induction._counting(sp.factorial(1000 * n), n, 1) == {}


@pytest.mark.parametrize(("claim", "lo"), [
    (Relation(sp.binomial(2 * n, n), ">=", 3**n), 0),  # false at n = 1
    (Relation(sp.binomial(2 * n, n), "<=", 3**n), 0),  # false from n = 12 on
    (Relation(sp.factorial(n + 1), ">=", 3**n), 0),  # false at n = 1
])
def test_false_binomial_and_factorial_claims_are_not_proved(claim: Relation, lo: int) -> None:
    assert induction.prove(Obligation(claim, natural(lo)), BUDGET).status is not Status.PROVED


# ------------------------------------------------------------------ order, reuse, fail fast


def test_an_algebraic_step_goes_before_the_real_relaxation() -> None:
    # the step 2*u >= n + 2 given u >= n + 1 is algebraic; the real claim 2^n >= n + 1 is not
    v = induction.prove(Obligation(Relation(2**n, ">=", n + 1), natural(0)), BUDGET)
    assert v.status is Status.PROVED and v.reason.startswith("by induction on n >= 0"), v


def test_no_induction_inside_an_induction_and_each_sub_obligation_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.engines import subproof

    seen: list[str] = []
    started: list[str] = []
    prove, attempts = subproof.prove, induction._attempts

    def counting(ob: Obligation, budget_s: float) -> object:
        seen.append(ob.key())
        return prove(ob, budget_s)

    def starting(ob: Obligation, *args: object) -> object:
        started.append(ob.key())
        return attempts(ob, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(subproof, "prove", counting)
    monkeypatch.setattr(induction, "_attempts", starting)
    v = induction.prove(Obligation(Relation(sp.factorial(n), "<=", n**n), natural(1)), BUDGET)
    assert v.status is Status.PROVED
    assert len(started) == 1  # the steps (integer n) were not taken by another induction
    assert seen and len(seen) == len(set(seen))  # no sub-obligation decided twice
    assert not induction._running and not induction._memo  # nothing left for the next check


def test_second_start_only_where_the_real_claim_fails_below_n0_plus_1() -> None:
    # 2^n >= 2n is false for real n in (1, 2): worth checking n = 1 on its own
    assert induction._false_below(Obligation(Relation(2**n, ">=", 2 * n), natural(1)), n, 1)
    # (1 + 1/n)^n <= e holds for every real n >= 1: a second start would be no easier
    assert not induction._false_below(
        Obligation(Relation((1 + 1 / n)**n, "<=", sp.E), natural(1)), n, 1)


def test_reason_names_a_zero_case_only_when_there_is_one() -> None:
    v = check_claim("(1 + 1/n)^(n + 1) > e", ["n in [1, 1000] integer"]).verdict
    assert v.status is Status.PROVED and "is 0" not in v.reason, v


def test_increasing_sequence_bound_from_its_log_form() -> None:
    # (1 + 1/n)^n >= 2: for real n >= 1, n*log(1 + 1/n) is increasing (derivative sign)
    v = check_claim("(1 + 1/n)^n >= 2", ["n >= 1 integer"]).verdict
    assert v.status is Status.PROVED and v.engine == "induction", v
