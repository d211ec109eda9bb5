"""Applying a strictly increasing function's inverse to both sides (checker.engines.inverse),
including monotone compositions such as Phi(Phi_inv(a)) <= Phi(t)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import inverse
from checker.functions import Phi, PhiInv
from checker.obligations import Domain, Obligation, Relation, Status, sym

a, b, t, x, p, q = (sym(n) for n in ("a", "b", "t", "x", "p", "q"))
UNIT_OPEN = Domain(F(0), F(1), True, True)


def claim(lhs: sp.Expr, op: str, rhs: sp.Expr, *hyps: Relation,
          **domains: Domain) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted(domains.items())), hyps)


TRUE = [
    # Phi(Phi_inv(a)) is read as a: Phi_inv applied to both sides gives the hypothesis back
    claim(Phi(PhiInv(a)), "<=", Phi(t), Relation(PhiInv(a), "<=", t), a=UNIT_OPEN),
    claim(PhiInv(p), "<=", PhiInv(q), Relation(p, "<=", q), p=UNIT_OPEN, q=UNIT_OPEN),
    claim(sp.log(sp.exp(a) + sp.exp(b)), ">=", (a + b) / 2 + sp.log(2)),
    claim(sp.log(1 + sp.exp(x)), ">=", x),
    claim(PhiInv(p), ">=", 0, p=Domain(F(1, 2), F(1), hi_open=True)),
    claim(PhiInv(Phi(x) / 2 + sp.Rational(1, 4)), "<=", x, x=Domain(F(0))),
    claim(sp.sqrt(x), "<=", (1 + x) / 2, x=Domain(F(0))),
]


@pytest.mark.parametrize("ob", TRUE, ids=lambda ob: str(ob.claim))
def test_true_claims_are_proved(ob: Obligation) -> None:
    v = inverse.prove(ob, 4.0)
    assert v.status is Status.PROVED, v.reason
    assert v.reason.startswith("applied ")


FALSE = [
    # the hypothesis the wrong way round
    claim(Phi(PhiInv(a)), "<=", Phi(t), Relation(PhiInv(a), ">=", t), a=UNIT_OPEN),
    claim(PhiInv(p), "<=", PhiInv(q), Relation(p, ">=", q), p=UNIT_OPEN, q=UNIT_OPEN),
    claim(sp.log(sp.exp(a) + sp.exp(b)), ">=", (a + b) / 2 + sp.log(3)),
    claim(PhiInv(p), ">=", 0, p=Domain(F(1, 4), F(1), hi_open=True)),
    # sqrt(x) <= v needs v >= 0 first: false at x = 0 (sqrt 0 = 0 > -1)
    claim(sp.sqrt(x), "<=", x - 1, x=Domain(F(0))),
    claim(sp.exp(x), "<=", x + 1),
]


@pytest.mark.parametrize("ob", FALSE, ids=lambda ob: str(ob.claim))
def test_false_claims_are_never_proved(ob: Obligation) -> None:
    assert inverse.prove(ob, 4.0).status is not Status.PROVED


def test_needs_a_monotone_function() -> None:
    assert inverse.prove(claim(x**2, ">=", 0), 2.0).reason == ""
