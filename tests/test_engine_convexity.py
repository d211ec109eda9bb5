"""Concavity in a bounded variable: Jensen's inequality with a free weight
(checker.engines.convexity)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import convexity
from checker.obligations import Domain, Obligation, Relation, Status, sym

w, x, y = sym("w"), sym("x"), sym("y")
UNIT = Domain(F(0), F(1))
POS = Domain(F(0), lo_open=True)
m = w * x + (1 - w) * y  # the mixture


def jensen(lhs: sp.Expr, op: str, rhs: sp.Expr, **domains: Domain) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted({"w": UNIT, **domains}.items())))


TRUE = [
    jensen(w * sp.exp(2 * x) + (1 - w) * sp.exp(2 * y), ">=", sp.exp(2 * m)),
    jensen(w * x * sp.log(x) + (1 - w) * y * sp.log(y), ">=", m * sp.log(m), x=POS, y=POS),
    jensen(w * sp.log(x) + (1 - w) * sp.log(y), "<=", sp.log(m), x=POS, y=POS),
    jensen(w / x + (1 - w) / y, ">=", 1 / m, x=POS, y=POS),
    jensen(w * sp.log(1 + sp.exp(x)) + (1 - w) * sp.log(1 + sp.exp(y)), ">=",
           sp.log(1 + sp.exp(m))),
    jensen(w * sp.cosh(x) + (1 - w) * sp.cosh(y), ">=", sp.cosh(m)),
]


@pytest.mark.parametrize("ob", TRUE, ids=lambda ob: str(ob.claim))
def test_true_claims_are_proved(ob: Obligation) -> None:
    v = convexity.prove(ob, 4.0)
    assert v.status is Status.PROVED, v.reason
    assert v.reason.startswith("concave in w on [0, 1]")
    assert "second derivative" in v.reason


FALSE = [
    jensen(w * sp.exp(x) + (1 - w) * sp.exp(y), "<=", sp.exp(m)),
    jensen(w * sp.log(x) + (1 - w) * sp.log(y), ">=", sp.log(m), x=POS, y=POS),
    jensen(w / x + (1 - w) / y, "<=", 1 / m, x=POS, y=POS),
    # equality at w = 0 breaks a margin
    jensen(w * sp.exp(-x) + (1 - w) * sp.exp(-y), ">=", sp.exp(-m) + sp.Rational(1, 100)),
    # not strongly convex with modulus 2 where exp is small
    jensen(w * sp.exp(x) + (1 - w) * sp.exp(y), ">=", sp.exp(m) + w * (1 - w) * (x - y)**2),
    # the weight outside [0, 1]: Jensen fails
    Obligation(Relation(w * sp.exp(x) + (1 - w) * sp.exp(y), ">=", sp.exp(m)),
               (("w", Domain(F(0), F(2))),)),
]


@pytest.mark.parametrize("ob", FALSE, ids=lambda ob: str(ob.claim))
def test_false_claims_are_never_proved(ob: Obligation) -> None:
    assert convexity.prove(ob, 4.0).status is not Status.PROVED


def test_needs_a_bounded_variable() -> None:
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x))
    assert convexity.prove(ob, 2.0).reason == ""


def test_a_claim_not_concave_costs_no_sub_proof() -> None:
    # (exp(x) + exp(y))/2 - exp((x + y)/2) is not concave in x (its second derivative changes
    # sign): a number shows it before the end values x = -5, x = 5 are proved
    from checker.engines import goals

    five = Domain(F(-5), F(5))
    ob = Obligation(Relation(sp.exp((x + y) / 2), "<=", (sp.exp(x) + sp.exp(y)) / 2),
                    (("x", five), ("y", five)))
    prover = goals.Prover(2.0)
    assert convexity.attempt(ob, prover, 0) is None
    assert prover.memo == {}  # no sub-goal was attempted
