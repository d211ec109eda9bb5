"""The recursion of the calculus methods (checker.engines.goals) and the rigorous signs it
uses (checker.engines.sign): what a sub-goal costs before any proof."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import goals, sign
from checker.obligations import Domain, Obligation, Relation, sym

p, q, x, y = sym("p"), sym("q"), sym("x"), sym("y")
OPEN_UNIT = Domain(F(0), F(1), lo_open=True, hi_open=True)


@pytest.mark.parametrize(("claim", "domains", "hypotheses"), [
    (Relation(q, ">", 0), (("q", OPEN_UNIT),), ()),
    (Relation(1 - q, ">", 0), (), (Relation(q, "<", 1),)),
    (Relation(1 - q, ">=", 0), (), (Relation(q, "<=", 1),)),
    (Relation(q + 1, ">", p), (), (Relation(q, ">=", p),)),
])
def test_a_hypothesis_is_a_proof(claim: Relation, domains: tuple[tuple[str, Domain], ...],
                                 hypotheses: tuple[Relation, ...]) -> None:
    ob = Obligation(claim, domains, hypotheses)
    assert goals.given(ob)
    assert goals.Prover(2.0).prove(ob, 0, everywhere=True) == "a hypothesis"


@pytest.mark.parametrize(("claim", "hypotheses"), [
    (Relation(1 - q, ">", 0), (Relation(q, "<=", 1),)),  # q = 1 is allowed
    (Relation(q, ">", p + 1), (Relation(q, ">=", p),)),
    (Relation(q, ">", 0), (Relation(q, "!=", 0),)),
])
def test_what_the_hypotheses_do_not_give_is_not_given(claim: Relation,
                                                      hypotheses: tuple[Relation, ...]) -> None:
    ob = Obligation(claim, (), hypotheses)
    assert not goals.given(ob)
    assert goals.Prover(2.0).prove(ob, 0) != "a hypothesis"


def test_sample_points_respect_bounds_from_the_hypotheses() -> None:
    # 4 - p/q^2 - (1 - p)/(1 - q)^2 >= 0 holds at q = 1/2 for every p, and fails near q = 0:
    # only points inside (0, 1), where the hypotheses put q, show it
    claim = Relation(4 - p / q**2 - (1 - p) / (1 - q)**2, ">=", 0)
    ob = Obligation(claim, (("p", OPEN_UNIT),), (Relation(q, ">", 0), Relation(q, "<", 1)))
    assert goals.false_somewhere(ob)
    assert goals.Prover(2.0).prove(ob, 0) is None


def test_generators_are_counted_with_numbers() -> None:
    assert sign.generators(x * sp.exp(x) + sp.sqrt(2) * sp.pi * x**2 - 3) == 4
    assert sign.generators((x - y)**2 * (x + 1)) == 2


def test_factors_are_still_found_in_few_generators() -> None:
    e = -4 * (x - y)**2 * sp.exp(2 * x) + 0  # expanded, then factored back
    assert sign.certify(-sp.expand(e), {"x": (F(0), F(1)), "y": (F(0), F(1))}, False) \
        == "signs of the factors"


def test_many_generators_are_not_factored() -> None:
    # a polynomial in more than MAX_FACTOR_GENERATORS generators is left as it is (factoring
    # it may take seconds); its sign is still certified where an enclosure gives it
    gens = [x, sp.exp(x), sp.log(x), sp.atan(x), sp.erf(x), sp.pi, sp.sqrt(2)]
    assert len(gens) > sign.MAX_FACTOR_GENERATORS
    e = sp.expand(sp.Mul(*gens) * (x + 1))
    assert sign.generators(e) == len(gens)
    assert sign._factors(e) == [(e, 1)]
    assert sign.certify(e, {"x": (F(2), F(3))}, True) is not None


def test_a_branch_of_a_case_split_is_left_to_the_methods(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # where x >= y, log(exp(x) + exp(y)) <= x + log(2) is tight along x = y (and false just
    # beyond it): the interval engine, which only filters boxes by x >= y, is not tried, and
    # the derivative in x from its lower end y proves it
    from checker.engines import intervals

    tried: list[Obligation] = []
    prove = intervals.prove
    monkeypatch.setattr(intervals, "prove", lambda ob, b: tried.append(ob) or prove(ob, b))
    five = Domain(F(-5), F(5))
    ob = Obligation(Relation(sp.log(sp.exp(x) + sp.exp(y)), "<=", x + sp.log(2)),
                    (("x", five), ("y", five)), (Relation(x, ">=", y),))
    reason = goals.Prover(2.0).prove(ob, 0)
    assert reason is not None and reason.startswith("increasing in x from its lower end y")
    assert all(len(h.free_names) < 2 for sub in tried for h in sub.hypotheses)
