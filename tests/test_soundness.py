"""Soundness: claims whose truth is known by construction. No false claim is ever proved.

Claims are built as SymPy objects, printed in our language and read back by our parser, so the
whole path a student's text takes is exercised.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import Status, check_claim
from checker.printing import show

from .strategies import X, Y, polynomials

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
BUDGET = 0.6


def _claim(lhs: sp.Expr, op: str, rhs: sp.Expr, assume: list[str] | None = None) -> Status:
    result = check_claim(f"{show(lhs)} {op} {show(rhs)}", assume or [], budget_s=BUDGET)
    return result.verdict.status


@FAST
@given(polynomials(), polynomials())
def test_expanded_product_identity_is_never_refuted(p: sp.Expr, q: sp.Expr) -> None:
    """expand(p*q) = p*q is true: never refuted (and usually proved)."""
    assert _claim(sp.expand(p * q), "=", sp.Mul(p, q)) != Status.REFUTED


@FAST
@given(polynomials(), polynomials(), st.integers(1, 5))
def test_perturbed_identity_is_never_proved(p: sp.Expr, q: sp.Expr, k: int) -> None:
    """expand(p*q) + k = p*q is false for k != 0: never proved."""
    assert _claim(sp.expand(p * q) + k, "=", sp.Mul(p, q)) != Status.PROVED


@FAST
@given(polynomials(), polynomials())
def test_adding_a_square_is_never_refuted(s: sp.Expr, r: sp.Expr) -> None:
    """r + s^2 >= r is true: never refuted."""
    assert _claim(sp.expand(r + s**2), ">=", r) != Status.REFUTED


@FAST
@given(st.integers(-3, 3), st.integers(-3, 3), st.fractions(min_value=sp.Rational(1, 1000),
                                                              max_value=3, max_denominator=1000))
def test_constant_pushed_past_the_minimum_is_never_proved(a: int, b: int, eps: object) -> None:
    """(x - a)^2 + b >= b + eps is false at x = a: never proved, and refuted."""
    e = sp.Rational(str(eps))
    status = _claim((X - a) ** 2 + b, ">=", b + e)
    assert status != Status.PROVED


@FAST
@given(st.integers(-2, 2), st.fractions(min_value=sp.Rational(1, 100), max_value=2,
                                        max_denominator=100))
def test_tangent_line_shifted_up_is_never_proved(a: int, k: object) -> None:
    """exp(x - a) >= 1 + (x - a) + k is false at x = a for k > 0; k = 0 is true."""
    kk = sp.Rational(str(k))
    assume = ["x in [-4, 4]"]
    assert _claim(sp.exp(X - a), ">=", 1 + (X - a) + kk, assume) != Status.PROVED
    assert _claim(sp.exp(X - a), ">=", 1 + (X - a), assume) != Status.REFUTED


@FAST
@given(polynomials(), st.integers(1, 4))
def test_strict_inequality_failing_only_at_equality_is_never_proved(s: sp.Expr, c: int) -> None:
    """s^2 + c > c fails wherever s = 0 (x = y = 0 is such a point when s has no constant)."""
    s0 = s - s.subs({X: 0, Y: 0})
    if s0 == 0:
        return
    assert _claim(sp.expand(s0**2 + c), ">", sp.Integer(c)) != Status.PROVED
