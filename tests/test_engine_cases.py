"""Case splits on max, min and absolute values (checker.engines.cases)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import cases
from checker.obligations import Domain, Obligation, Relation, Status, sym

x, y, z, a, b = (sym(n) for n in "xyzab")
R = sp.Rational
E = sp.exp


def claim(lhs: sp.Expr, op: str, rhs: sp.Expr, *hyps: Relation,
          **domains: Domain) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted(domains.items())), hyps)


TRUE = [
    claim(sp.Min(x, y), ">=", -sp.log(E(-x) + E(-y))),
    claim(sp.Abs(x), "<=", sp.log(E(x) + E(-x))),
    claim(sp.log(E(x) + E(-x)), "<=", sp.Abs(x) + sp.log(2)),
    claim(sp.log(1 + E(z)), ">=", sp.Max(0, z)),
    claim(sp.Max(x, y), "<=", sp.log(E(x) + E(y))),
    claim(sp.Min(a, b), "<=", sp.sqrt(a * b), a=Domain(F(0), lo_open=True),
          b=Domain(F(0), lo_open=True)),
    # two kinks: |sin(x)| <= |x|
    claim(sp.Abs(sp.sin(x)), "<=", sp.Abs(x)),
]


@pytest.mark.parametrize("ob", TRUE, ids=lambda ob: str(ob.claim))
def test_true_claims_are_proved(ob: Obligation) -> None:
    v = cases.prove(ob, 4.0)
    assert v.status is Status.PROVED, v.reason
    assert v.reason.startswith("case split on ")


FALSE = [
    claim(sp.Max(x, y), ">=", sp.log(E(x) + E(y))),  # x = y = 0
    claim(sp.Min(x, y), ">=", -sp.log(E(-x) + E(-y)) + R(1, 10)),  # x = 0, y = 10
    claim(sp.log(1 + E(z)), ">=", sp.Max(0, z) + R(1, 1000)),  # z = 20
    claim(sp.Abs(sp.sin(x)), "<=", sp.Abs(x) / 2),
    claim(sp.Min(a, b), ">=", sp.sqrt(a * b), a=Domain(F(0), lo_open=True),
          b=Domain(F(0), lo_open=True)),
    claim(sp.Max(a, b), "<=", (a + b) / 2 + sp.Abs(a - b) / 4),
]


@pytest.mark.parametrize("ob", FALSE, ids=lambda ob: str(ob.claim))
def test_false_claims_are_never_proved(ob: Obligation) -> None:
    assert cases.prove(ob, 4.0).status is not Status.PROVED


def test_branches_cover_every_point() -> None:
    """Each kink's branches: |u| as u where u >= 0 and -u where u <= 0; max(a, b, c) as
    each argument where it is the largest."""
    parts = cases.branches(sp.Abs(x - 1))
    assert parts is not None
    u = x - 1
    assert parts == [(u, (Relation(u, ">=", 0),)), (-u, (Relation(u, "<=", 0),))]
    parts = cases.branches(sp.Max(x, y, z))
    assert parts is not None and len(parts) == 3
    assert all(len(conds) == 2 for _, conds in parts)


def test_no_kink_is_not_applicable() -> None:
    v = cases.prove(claim(E(x), ">=", 1 + x), 2.0)
    assert v.status is Status.UNKNOWN and v.reason == ""
