"""Exact models for the self-check of probability theorems (checker/library/models.py)."""

from __future__ import annotations

import itertools
import tomllib
from fractions import Fraction as F
from pathlib import Path

import pytest
from flint import arb, fmpq

from checker.library.models import MODELS
from checker.syntax.parse import parse_assumptions

THEOREMS = Path(__file__).resolve().parent.parent / "theorems"


def evaluate(model: str, **values: F | int) -> dict[str, F]:
    return MODELS[model].evaluate({k: F(v) for k, v in values.items()})


def P(model: str, **values: F | int) -> F:
    return evaluate(model, **values)["P"]


def exp_bound(factor: int, exponent: F) -> arb:
    """factor * exp(exponent) as a rigorous Arb ball."""
    return factor * arb(fmpq(exponent.numerator, exponent.denominator)).exp()


def ball(q: F) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


GRID_N = range(1, 13)
GRID_T = [F(k, 10) for k in range(1, 11)]
GRID_P = [F(k, 10) for k in range(1, 10)]


# ------------------------------------------------------------------------------ exact values


def test_two_sided_half_half() -> None:
    """n = 2, p = 1/2: P[|mean - 1/2| >= 1/2] = P[S = 0] + P[S = 2] = 1/2."""
    assert P("bernoulli_mean_two_sided", n=2, t=F(1, 2), p=F(1, 2)) == F(1, 2)


def test_two_sided_thirds_and_its_variants() -> None:
    """n = 3, p = t = 1/3: S = 0 and S = 2 lie exactly at distance t, so >= gives 5/9, > 1/27."""
    point: dict[str, F | int] = {"n": 3, "t": F(1, 3), "p": F(1, 3)}
    assert P("bernoulli_mean_two_sided", **point) == F(5, 9)
    assert P("bernoulli_mean_two_sided_strict", **point) == F(1, 27)
    assert P("bernoulli_mean_within", **point) == F(26, 27)


def test_one_sided_values() -> None:
    """n = 2, p = t = 1/2: each one-sided tail is a single outcome of probability 1/4."""
    assert P("bernoulli_mean_upper", n=2, t=F(1, 2), p=F(1, 2)) == F(1, 4)
    assert P("bernoulli_mean_lower", n=2, t=F(1, 2), p=F(1, 2)) == F(1, 4)


def test_aliases_m_and_eps() -> None:
    """The sample size may be called m and the deviation eps (finite-class theorems)."""
    assert P("bernoulli_mean_two_sided", m=2, eps=F(1, 2), p=F(1, 2)) == F(1, 2)


def test_mean_model_variance_and_mean() -> None:
    """The Bernoulli mean models give Var = p*(1 - p) and E = p for one variable."""
    values = evaluate("bernoulli_mean_two_sided", n=5, t=F(1, 5), p=F(1, 4))
    assert (values["Var"], values["E"]) == (F(3, 16), F(1, 4))


def test_sum_models() -> None:
    """n = 4, p = 1/2: P[S - 2 >= 1] = 5/16; scaling by c = 1/2 with t = 1/2 is the same event."""
    assert P("bernoulli_sum_upper", n=4, t=1, p=F(1, 2)) == F(5, 16)
    scaled = evaluate("bernoulli_sum_scaled_upper", n=4, c=F(1, 2), t=F(1, 2), p=F(1, 2))
    assert scaled == {"P": F(5, 16), "E": F(1)}


def test_markov_two_point() -> None:
    """Z = 2 with probability 1/4, else 0: P[Z >= 2] = 1/4 = E[Z]/2 (tight), P[Z >= 3] = 0."""
    assert evaluate("markov_two_point", a=2, z=2, u=F(1, 4)) == {"P": F(1, 4), "E": F(1, 2)}
    assert P("markov_two_point", a=3, z=2, u=F(1, 4)) == 0


def test_chebyshev_three_point() -> None:
    """Z in {0, 1, 2} with probabilities 1/4, 1/2, 1/4: E = 1, Var = 1/2, P[|Z - 1| >= 1] = 1/2."""
    values = evaluate("chebyshev_three_point", a=1, z=1, u=F(1, 2))
    assert values == {"P": F(1, 2), "E": F(1), "Var": F(1, 2)}


def test_union_equal_bounds() -> None:
    """k events of probability q: the union ranges from q (w = 0) to min(1, k*q) (w = 1)."""
    assert P("union_equal_bounds", k=3, q=F(1, 5), u=1, w=1) == F(3, 5)
    assert P("union_equal_bounds", k=3, q=F(1, 5), u=1, w=0) == F(1, 5)
    assert P("union_equal_bounds", k=10, q=F(1, 5), u=1, w=1) == 1


def test_within_and_strict_are_complements() -> None:
    """P[|mean - p| <= t] + P[|mean - p| > t] = 1 exactly on a grid."""
    for n, t, p in itertools.product(range(1, 8), GRID_T, GRID_P):
        total = P("bernoulli_mean_within", n=n, t=t, p=p) + \
            P("bernoulli_mean_two_sided_strict", n=n, t=t, p=p)
        assert total == 1


# ------------------------------------------------------------------------------ the bounds


def test_hoeffding_two_sided_holds_on_grid() -> None:
    """P[|mean - p| >= t] <= 2*exp(-2*n*t^2) at every grid point (certified with Arb)."""
    for n, t, p in itertools.product(GRID_N, GRID_T, GRID_P):
        prob = P("bernoulli_mean_two_sided", n=n, t=t, p=p)
        assert ball(prob) <= exp_bound(2, -2 * n * t * t), (n, t, p)


def test_hoeffding_one_sided_holds_on_grid() -> None:
    """Both one-sided tails are <= exp(-2*n*t^2) at every grid point."""
    for n, t, p in itertools.product(GRID_N, GRID_T, GRID_P):
        for model in ("bernoulli_mean_upper", "bernoulli_mean_lower"):
            prob = P(model, n=n, t=t, p=p)
            assert ball(prob) <= exp_bound(1, -2 * n * t * t), (model, n, t, p)


def test_wrong_hoeffding_constant_is_violated() -> None:
    """2*exp(-4*n*t^2) is violated: at n = 2, p = t = 1/2 the tail is 1/2 > 2*exp(-2) ~ 0.271."""
    prob = P("bernoulli_mean_two_sided", n=2, t=F(1, 2), p=F(1, 2))
    assert ball(prob) > exp_bound(2, F(-2))
    violated = [(n, t, p) for n, t, p in itertools.product(GRID_N, GRID_T, GRID_P)
                if ball(P("bernoulli_mean_two_sided", n=n, t=t, p=p))
                > exp_bound(2, -4 * n * t * t)]
    assert (2, F(1, 2), F(1, 2)) in violated


def test_mcdiarmid_holds_and_max_constant_fails() -> None:
    """exp(-2*t^2/(n*c^2)) bounds the scaled sum; exp(-2*t^2/c^2) fails at n = 4, c = t = 1/2."""
    for n, c, t, p in itertools.product(range(1, 9), [F(1, 2), F(1)], GRID_T, GRID_P):
        prob = P("bernoulli_sum_scaled_upper", n=n, c=c, t=t, p=p)
        assert ball(prob) <= exp_bound(1, -2 * t * t / (n * c * c)), (n, c, t, p)
    prob = P("bernoulli_sum_scaled_upper", n=4, c=F(1, 2), t=F(1, 2), p=F(1, 2))
    assert prob == F(5, 16)
    assert ball(prob) > exp_bound(1, F(-2))


def test_markov_and_chebyshev_hold_and_squares_matter() -> None:
    """Markov and Chebyshev hold on a grid; E[Z]/a^2 fails at a = 2, Var[Z]/a at a = 1/2."""
    values = [F(k, 2) for k in range(0, 9)]
    for a, z, u in itertools.product(values[1:], values, GRID_P):
        m = evaluate("markov_two_point", a=a, z=z, u=u)
        assert m["P"] <= m["E"] / a
        c = evaluate("chebyshev_three_point", a=a, z=z, u=u)
        assert c["P"] <= c["Var"] / a**2
    m = evaluate("markov_two_point", a=2, z=2, u=F(1, 2))
    assert m["P"] > m["E"] / 4
    c = evaluate("chebyshev_three_point", a=F(1, 2), z=F(1, 2), u=F(1, 2))
    assert (c["P"], c["Var"]) == (F(1, 2), F(1, 8))
    assert c["P"] > c["Var"] / F(1, 2)


def test_union_bound_holds_and_no_union_bound_fails() -> None:
    """P[union] <= k*q on a grid, while P[union] <= q fails for k = 2, q = 1/10, u = w = 1."""
    for k, q, u, w in itertools.product(range(1, 8), GRID_P, GRID_P, GRID_P):
        assert P("union_equal_bounds", k=k, q=q, u=u, w=w) <= k * q
    assert P("union_equal_bounds", k=2, q=F(1, 10), u=1, w=1) == F(1, 5)


# ------------------------------------------------------------------------------ the registry


def test_registry_names_and_params_parse() -> None:
    """Every model is registered under its own name and its params are valid given-items."""
    for name, model in MODELS.items():
        assert model.name == name
        assert model.doc
        for item in model.params:
            assert parse_assumptions(item)
        assert all(lo <= hi for lo, hi in model.limits.values())


def test_bad_inputs_raise_value_error() -> None:
    """Out-of-range parameters and non-integer sample sizes are rejected, not computed."""
    with pytest.raises(ValueError):
        P("bernoulli_mean_two_sided", n=2, t=F(1, 2), p=0)
    with pytest.raises(ValueError):
        P("bernoulli_mean_two_sided", n=F(3, 2), t=F(1, 2), p=F(1, 2))
    with pytest.raises(ValueError):
        P("union_equal_bounds", k=2, q=F(1, 2), u=2, w=0)
    with pytest.raises(KeyError):
        P("bernoulli_mean_upper", n=2, p=F(1, 2))


def test_theorem_files_name_existing_models() -> None:
    """Every `model` in theorems/ names a registered model and fixes only declared variables."""
    seen = 0
    for path in sorted(THEOREMS.rglob("*.toml")):
        for thm in tomllib.loads(path.read_text(encoding="utf-8")).get("theorem", []):
            model = thm.get("model")
            if model is None:
                continue
            seen += 1
            assert model["name"] in MODELS, (thm["id"], model["name"])
            declared = set()
            for text in thm["variables"]:
                for d in parse_assumptions(text):
                    declared |= set(d.names)
                    if d.relation is not None:
                        declared |= {e.value.name for e in d.relation.exprs if e.value.is_Symbol}
            assert set(model.get("fix", {})) <= declared, thm["id"]
    assert seen >= 10
