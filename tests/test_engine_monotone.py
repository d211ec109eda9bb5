"""The derivative-sign method (checker.engines.monotone): half-lines, the whole line, limits at
infinity, split points, changes of variable; false variants are never proved."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp
from flint import arb

from checker.engines import monotone
from checker.functions import Phi, PhiInv
from checker.obligations import Domain, Obligation, Relation, Status, sym

x, y, p = sym("x"), sym("y"), sym("p")
R = sp.Rational


def on(lhs: sp.Expr, op: str, rhs: sp.Expr, **domains: Domain) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted(domains.items())))


HALF_LINE = Domain(F(0))  # x >= 0

TRUE = [
    # four derivatives down to exp(x) > 0
    on(sp.exp(x), ">=", 1 + x + x**2 / 2 + x**3 / 6, x=HALF_LINE),
    on(sp.log(1 + x), "<=", x - x**2 / 2 + x**3 / 3, x=HALF_LINE),
    on(sp.atan(x), ">=", x - x**3 / 3, x=HALF_LINE),
    # an open end where the claim is undefined: the denominator cleared, split at 0
    on(sp.exp(x), "<=", 1 / (1 - x), x=Domain(hi=F(1), hi_open=True)),
    # MetiTarski-style log of a ratio
    on(sp.log(x), ">=", 2 * (x - 1) / (x + 1), x=Domain(F(1))),
    # the whole line, smallest at 0
    on(sp.exp(x), ">=", 1 + x),
    # decreasing to its limit 0 at +inf, after a split at 1
    on(1 - Phi(x), "<=", sp.exp(-x**2 / 2) / 2, x=HALF_LINE),
    # a change of variable t = sqrt(2*log(1/(1 - p))) onto [1.17.., +inf)
    on(PhiInv(p), "<=", sp.sqrt(2 * sp.log(1 / (1 - p))), p=Domain(F(1, 2), F(1), hi_open=True)),
]


@pytest.mark.parametrize("ob", TRUE, ids=lambda ob: str(ob.claim))
def test_true_claims_are_proved(ob: Obligation) -> None:
    v = monotone.prove(ob, 4.0)
    assert v.status is Status.PROVED, v.reason
    assert v.reason  # says what it proved


def test_reason_names_the_argument() -> None:
    v = monotone.prove(TRUE[0], 4.0)
    assert v.reason.startswith("increasing in x from its lower end 0")
    assert "derivative" in v.reason


def test_anchor_at_another_variable() -> None:
    """Phi(x) - Phi(y) <= (x - y)/sqrt(2*pi) for x >= y: increasing in x from x = y."""
    ob = Obligation(Relation(Phi(x) - Phi(y), "<=", (x - y) / sp.sqrt(2 * sp.pi)), (),
                    (Relation(x, ">=", y),))
    v = monotone.prove(ob, 4.0)
    assert v.status is Status.PROVED, v.reason
    assert "lower end y" in v.reason


FALSE = [
    on(sp.exp(x), ">=", 1 + x + x**2, x=HALF_LINE),  # false at x = 1
    on(sp.log(1 + x), ">=", x - x**2 / 3, x=HALF_LINE),  # false near 0
    on(sp.atan(x), ">=", x - x**3 / 4, x=HALF_LINE),
    on(sp.log(x), ">=", 2 * (x - 1) / (x + 1), x=Domain(F(0), lo_open=True)),  # x < 1
    on(sp.exp(x), ">=", 1 + x + x**2 / 2),  # x = -1
    # the two sides meet as p -> 1: a margin of 1/2 is too much (false only very near 1)
    on(PhiInv(p), "<=", sp.sqrt(2 * sp.log(1 / (1 - p))) - R(1, 2),
       p=Domain(F(1, 2), F(1), hi_open=True)),
    # strict where the two sides touch at the end point
    on(sp.exp(x), ">", 1 + x, x=HALF_LINE),
]


@pytest.mark.parametrize("ob", FALSE, ids=lambda ob: str(ob.claim))
def test_false_claims_are_never_proved(ob: Obligation) -> None:
    assert monotone.prove(ob, 4.0).status is not Status.PROVED


def test_not_applicable_without_a_variable_or_with_kinks() -> None:
    assert monotone.prove(on(sp.Abs(x), ">=", x), 2.0).reason == ""
    assert monotone.prove(on(sp.Integer(1), ">=", sp.Integer(0)), 2.0).status is Status.UNKNOWN


def test_deterministic() -> None:
    a = monotone.prove(TRUE[3], 2.0)
    b = monotone.prove(TRUE[3], 2.0)
    assert (a.status, a.reason) == (b.status, b.reason)


def test_limits_at_infinity_are_composed_or_refused() -> None:
    """The limit behind an anchor at +inf: composed from its parts, None at an
    indeterminate form (so no anchor is taken there)."""
    from checker.engines import sign

    t = sym("t")
    assert sign.limit(Phi(t) - 1 + sp.exp(-t**2 / 2), t, 1) == 0
    assert sign.limit(sp.exp(t), t, -1) == 0
    half_pi = sign.limit(sp.atan(t), t, 1)
    assert half_pi is not None and not isinstance(half_pi, float)
    assert half_pi.overlaps(arb.pi() / 2)
    assert sign.limit(t * sp.exp(-t), t, 1) is None  # inf * 0
    assert sign.limit(t - sp.log(t), t, 1) is None  # inf - inf
    assert sign.limit(1 / (t + t**2), t, 1) == 0
    assert sign.limit(1 / (t - t**2), t, 1) is None  # composed: inf - inf inside


def test_enclosures_on_unbounded_boxes_are_rigorous() -> None:
    from checker.engines import sign

    lo, hi = sign.enclose(sp.exp(x), {"x": (F(0), None)}) or (None, None)
    assert lo == 1 and hi == sign.INF
    # inf - inf: no finite bound claimed
    assert sign.enclose(x**2 - x, {"x": (None, None)}) == (-sign.INF, sign.INF)
    assert sign.certify(x**3 / (1 + x), {"x": (F(0), None)}, strict=False)
    assert not sign.certify(x**3 / (1 + x), {"x": (F(0), None)}, strict=True)  # 0 at x = 0
    assert not sign.certify(x - 1, {"x": (F(0), None)}, strict=False)


def test_a_change_of_variable_then_an_inverse_then_a_split_at_the_default_budget() -> None:
    # Phi_inv(p) <= sqrt(2*log(1/(2*(1 - p)))) on [1/2, 1): with t the right side, p =
    # 1 - exp(-t^2/2)/2 on t >= 0; Phi applied to both sides; then 1 - Phi(t) <=
    # exp(-t^2/2)/2, split at t = 1. Five levels of sub-goals, within the default work budget
    # (it was plausible when each level could use only 60% of the work left)
    from checker import check_claim

    v = check_claim("Phi_inv(p) <= sqrt(2*log(1/(2*(1 - p))))", ["p in [1/2, 1)"]).verdict
    assert v.status is Status.PROVED, v.reason
    assert v.engine == "monotone"
    assert v.reason.startswith("with t = sqrt(2)*sqrt(log(1/(2 - 2*p)))")
    assert "applied Phi to both sides" in v.reason
