"""The portfolio through the public API: the issue's examples that must behave so."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from checker import Status, check_claim
from checker.cli import run


def _status(claim: str, *assume: str) -> Status:
    return check_claim(claim, list(assume)).verdict.status


def test_am_gm_two_squares_is_proved() -> None:
    """x^2 + y^2 >= 2*x*y is proved."""
    assert _status("x^2 + y^2 >= 2*x*y") == Status.PROVED


def test_x_plus_inverse_needs_positivity() -> None:
    """x + 1/x >= 2 is proved for x > 0 and refuted with no assumption at a negative x."""
    assert _status("x + 1/x >= 2", "x > 0") == Status.PROVED
    v = check_claim("x + 1/x >= 2").verdict
    assert v.status == Status.REFUTED
    assert v.counterexample is not None
    assert dict(v.counterexample.values)["x"] < 0


def test_exp_second_order_bound_refuted_at_a_simple_negative_point() -> None:
    """exp(x) >= 1 + x + x^2/2 on [-2, 2] is refuted at a simple negative x."""
    v = check_claim("exp(x) >= 1 + x + x^2/2", ["x in [-2, 2]"]).verdict
    assert v.status == Status.REFUTED
    x = dict(v.counterexample.values)["x"]  # type: ignore[union-attr]
    assert x < 0 and x.denominator <= 4


def test_log_and_sqrt_bounds_are_proved() -> None:
    """log(1 + x) <= x on [0, 10] and sqrt(x*y) <= (x + y)/2 for x, y >= 0 are proved."""
    assert _status("log(1 + x) <= x", "x in [0, 10]") == Status.PROVED
    assert _status("sqrt(x*y) <= (x + y)/2", "x >= 0", "y >= 0") == Status.PROVED


def test_two_to_the_n_versus_n_squared() -> None:
    """2^n >= n^2 is refuted at n = 3 for n >= 1, and never refuted for n >= 4."""
    v = check_claim("2^n >= n^2", ["n >= 1 integer"]).verdict
    assert v.status == Status.REFUTED
    assert dict(v.counterexample.values)["n"] == Fraction(3)  # type: ignore[union-attr]
    assert _status("2^n >= n^2", "n >= 4 integer") in (Status.PROVED, Status.PLAUSIBLE)


def test_normal_cdf_facts() -> None:
    """Phi(x) + Phi(-x) = 1 is proved; Phi_inv(0.975) <= 1.95 is refuted (it is 1.95996...)."""
    assert _status("Phi(x) + Phi(-x) = 1") == Status.PROVED
    v = check_claim("Phi_inv(0.975) <= 1.95").verdict
    assert v.status == Status.REFUTED
    assert v.counterexample is not None and v.counterexample.lhs.startswith("1.95996")


def test_verdicts_carry_what_the_issue_asks() -> None:
    """A verdict carries engine, counterexample (exact and decimal), both sides, time, samples."""
    doc = json.loads(run(["claim", "x^2 >= x", "--format", "json"])[0])
    assert doc["verdict"] == "refuted"
    assert doc["counterexample"] == {"x": "1/2"}
    assert doc["counterexample_decimal"] == {"x": "0.5"}
    assert doc["counterexample_sides"] == {"lhs": "0.25", "rhs": "0.5"}
    assert doc["engine"] and doc["time_s"] >= 0
    out, _ = run(["claim", "exp(x) >= 1 + x", "--assume", "x in [-5, 5]"])
    assert out.startswith("proved")


@pytest.mark.parametrize("claim", ["x^2 >= x", "exp(x) >= 1 + x + x^2/2", "2^n >= n^2"])
def test_same_claim_same_answer(claim: str) -> None:
    """Determinism: the same claim gives the same verdict and counterexample twice."""
    a = check_claim(claim, ["n >= 1 integer"] if "n" in claim else ["x in [-2, 2]"]).verdict
    b = check_claim(claim, ["n >= 1 integer"] if "n" in claim else ["x in [-2, 2]"]).verdict
    assert (a.status, a.counterexample) == (b.status, b.counterexample)
