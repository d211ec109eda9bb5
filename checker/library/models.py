"""Exact models for the self-check of probability theorems.

A theorem about probabilities (``P[...]``, ``E[...]``, ``Var[...]``) can name a model here. The
self-check draws exact rational values for the theorem's variables and for the model's own
parameters (``Model.params``, written as ``given`` items), keeps integer variables inside
``Model.limits`` so the computation stays small, and calls ``Model.evaluate``: it returns the exact
value of each opaque term of the theorem's conclusion, keyed by the term's head (``"P"``, ``"E"``,
``"Var"``). The conclusion is then checked at those values, so a wrong constant shows up as a
counterexample.

Each model is tied to the shape of the conclusions it serves (its ``doc`` says which term each
head stands for). Hypotheses about the random quantities themselves (``P[a <= X <= b] = 1``,
``MaxProb[A, k] <= q``, ``BoundedDiff[f] <= c``, ``Size[H] <= k``) hold by the model's
construction, once the theorem's ``fix`` pins the variables the model assumes; ``evaluate`` gives
no values for them. The theorem's objects (``X``, ``A``, ``f``, ``H``) are the model's random
quantities and are not drawn. Keys a theorem does not use are ignored.

Variables are looked up by name, with the usual aliases: the sample size is ``n`` (or ``m``),
the deviation ``t`` (or ``eps``). Everything is computed with ``Fraction``: no floats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from math import comb


@dataclass(frozen=True)
class Model:
    """An exact probability model for the self-check (see the module docstring)."""

    name: str
    doc: str
    params: tuple[str, ...]  # given-items for the model's own parameters, e.g. ("p in (0, 1)",)
    limits: dict[str, tuple[int, int]]  # integer ranges that keep exact computation small
    evaluate: Callable[[Mapping[str, Fraction]], dict[str, Fraction]]


SAMPLE_SIZE = ("n", "m")
DEVIATION = ("t", "eps")
MAX_SAMPLE_SIZE = 30
MAX_EVENTS = 12


# ------------------------------------------------------------------------------ helpers


def value_of(values: Mapping[str, Fraction], *names: str) -> Fraction:
    """The value of the first of ``names`` present in ``values``."""
    for name in names:
        if name in values:
            return Fraction(values[name])
    raise KeyError(f"the model needs a value for {' or '.join(names)}")


def count_of(values: Mapping[str, Fraction], *names: str, lo: int = 1) -> int:
    """An integer variable (e.g. the sample size), checked to be a whole number >= lo."""
    q = value_of(values, *names)
    if q.denominator != 1 or q < lo:
        raise ValueError(f"{names[0]} must be a whole number >= {lo}, got {q}")
    return int(q)


def probability_param(values: Mapping[str, Fraction], name: str) -> Fraction:
    """A success probability in (0, 1)."""
    p = value_of(values, name)
    if not 0 < p < 1:
        raise ValueError(f"{name} must lie in (0, 1), got {p}")
    return p


def unit_param(values: Mapping[str, Fraction], name: str) -> Fraction:
    """A parameter in [0, 1]."""
    u = value_of(values, name)
    if not 0 <= u <= 1:
        raise ValueError(f"{name} must lie in [0, 1], got {u}")
    return u


def binomial_pmf(n: int, p: Fraction) -> list[Fraction]:
    """P[S = k] for k = 0..n, S ~ Binomial(n, p), exactly."""
    q = 1 - p
    return [comb(n, k) * p**k * q ** (n - k) for k in range(n + 1)]


def binomial_probability(n: int, p: Fraction, event: Callable[[int], bool]) -> Fraction:
    """P[event(S)] for S ~ Binomial(n, p), exactly."""
    return sum((w for k, w in enumerate(binomial_pmf(n, p)) if event(k)), Fraction(0))


def two_point(values: Mapping[str, Fraction]) -> list[tuple[Fraction, Fraction]]:
    """(value, probability) pairs: Z = z with probability u, else 0 (z >= 0)."""
    z, u = value_of(values, "z"), unit_param(values, "u")
    if z < 0:
        raise ValueError(f"z must be >= 0, got {z}")
    return [(z, u), (Fraction(0), 1 - u)]


def symmetric_three_point(values: Mapping[str, Fraction]) -> list[tuple[Fraction, Fraction]]:
    """(value, probability) pairs: 0 and 2*z with probability u/2 each, z with 1 - u."""
    z, u = value_of(values, "z"), unit_param(values, "u")
    return [(Fraction(0), u / 2), (z, 1 - u), (2 * z, u / 2)]


def mean_of(dist: list[tuple[Fraction, Fraction]]) -> Fraction:
    return sum((z * w for z, w in dist), Fraction(0))


# ------------------------------------------------------------------------------ Bernoulli means

BERNOULLI_PARAMS = ("p in (0, 1)",)
BERNOULLI_LIMITS = {"n": (1, MAX_SAMPLE_SIZE), "m": (1, MAX_SAMPLE_SIZE)}


def bernoulli_mean_model(name: str, event_text: str,
                         event: Callable[[Fraction, Fraction, Fraction], bool]) -> Model:
    """A model of the mean of n i.i.d. Bernoulli(p) variables; ``event(mean, p, t)``."""

    def evaluate(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
        n = count_of(values, *SAMPLE_SIZE)
        t = value_of(values, *DEVIATION)
        p = probability_param(values, "p")
        prob = binomial_probability(n, p, lambda k: event(Fraction(k, n), p, t))
        return {"P": prob, "E": p, "Var": p * (1 - p)}

    doc = (f"X_1..X_n i.i.d. Bernoulli(p) (values in [0, 1], so fix a = 0, b = 1), mean = "
           f"Mean[X, n] their average, mu = E[X] = p (for a finite class with k = 1, the "
           f"deviation of its one hypothesis). P is P[{event_text}] (t or eps the deviation, n or "
           f"m the sample size), from the binomial distribution; E is E[X] = p and Var is the "
           f"variance p*(1 - p) of one X_i.")
    return Model(name, doc, BERNOULLI_PARAMS, dict(BERNOULLI_LIMITS), evaluate)


def bernoulli_sum_scaled_upper(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    n = count_of(values, *SAMPLE_SIZE)
    t = value_of(values, *DEVIATION)
    p = probability_param(values, "p")
    c = value_of(values, "c")
    if c <= 0:
        raise ValueError(f"c must be > 0, got {c}")
    return {"P": binomial_probability(n, p, lambda k: c * k - c * n * p >= t), "E": c * n * p}


def bernoulli_sum_upper(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    return bernoulli_sum_scaled_upper({**values, "c": Fraction(1)})


# ------------------------------------------------------------------------------ small distributions


def markov_two_point(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    a = value_of(values, "a")
    dist = two_point(values)
    return {"P": sum((w for z, w in dist if z >= a), Fraction(0)), "E": mean_of(dist)}


def chebyshev_three_point(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    a = value_of(values, "a")
    dist = symmetric_three_point(values)
    mu = mean_of(dist)
    var = sum(((z - mu) ** 2 * w for z, w in dist), Fraction(0))
    tail = sum((w for z, w in dist if abs(z - mu) >= a), Fraction(0))
    return {"P": tail, "E": mu, "Var": var}


def union_equal_bounds(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    k = count_of(values, "k")
    q = unit_param(values, "q")
    each = unit_param(values, "u") * q
    most = min(Fraction(1), k * each)
    return {"P": each + unit_param(values, "w") * (most - each)}


# ------------------------------------------------------------------------------ the registry

MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        bernoulli_mean_model("bernoulli_mean_two_sided", "|mean - mu| >= t",
                             lambda mean, p, t: abs(mean - p) >= t),
        bernoulli_mean_model("bernoulli_mean_two_sided_strict", "|mean - mu| > t",
                             lambda mean, p, t: abs(mean - p) > t),
        bernoulli_mean_model("bernoulli_mean_within", "|mean - mu| <= t",
                             lambda mean, p, t: abs(mean - p) <= t),
        bernoulli_mean_model("bernoulli_mean_upper", "mean - mu >= t",
                             lambda mean, p, t: mean - p >= t),
        bernoulli_mean_model("bernoulli_mean_lower", "mu - mean >= t",
                             lambda mean, p, t: p - mean >= t),
        Model("bernoulli_sum_upper",
              "S = Total[X, n] = X_1 + ... + X_n with X_i i.i.d. Bernoulli(p) (values in [0, 1], "
              "so fix a = 0, b = 1); P is P[S - n*E[X] >= t], from the binomial distribution, and "
              "E is E[S] = n*p.",
              BERNOULLI_PARAMS, dict(BERNOULLI_LIMITS), bernoulli_sum_upper),
        Model("bernoulli_sum_scaled_upper",
              "f = c*(X_1 + ... + X_n) with X_i i.i.d. Bernoulli(p): changing one input moves f by "
              "at most c (bounded differences). P is P[f - E[f] >= t], from the binomial "
              "distribution, and E is E[f] = c*n*p.",
              BERNOULLI_PARAMS, dict(BERNOULLI_LIMITS), bernoulli_sum_scaled_upper),
        Model("markov_two_point",
              "Z = z with probability u and 0 otherwise (z >= 0; for a given mean this family "
              "makes P[Z >= a] as large as possible). P is P[Z >= a] and E is E[Z] = u*z.",
              ("z in [0, 4]", "u in [0, 1]"), {}, markov_two_point),
        Model("chebyshev_three_point",
              "Z = z with probability 1 - u, and 0 or 2*z with probability u/2 each (for a given "
              "variance this family makes the tail as large as possible). P is "
              "P[|Z - E[Z]| >= a], E is E[Z] = z and Var is Var[Z] = u*z^2.",
              ("z in [-4, 4]", "u in [0, 1]"), {}, chebyshev_three_point),
        Model("union_equal_bounds",
              "k events A_1..A_k, each of probability u*q <= q (MaxProb[A, k] <= q); their union "
              "Union[A, k] has probability anywhere from "
              "the largest single probability u*q to min(1, k*u*q), chosen by w: P is "
              "u*q + w*(min(1, k*u*q) - u*q), the probability that some event happens.",
              ("u in [0, 1]", "w in [0, 1]"), {"k": (1, MAX_EVENTS)}, union_equal_bounds),
    )
}


# ------------------------------------------------------------------------------ standardized noise
# (appended for theorems/generative/reparameterization.toml)


def standardized_three_point(values: Mapping[str, Fraction]) -> list[tuple[Fraction, Fraction]]:
    """(value, probability) pairs: Z = -a or a with probability 1/(2*a^2) each, else 0 (a >= 1),
    so E[Z] = 0 and Var[Z] = 1 exactly."""
    a = value_of(values, "a")
    if a < 1:
        raise ValueError(f"a must be >= 1, got {a}")
    w = 1 / (2 * a * a)
    return [(-a, w), (Fraction(0), 1 - 2 * w), (a, w)]


def _affine_of_standardized(values: Mapping[str, Fraction]) -> list[tuple[Fraction, Fraction]]:
    mu, sigma = value_of(values, "mu"), value_of(values, "sigma")
    return [(mu + sigma * z, w) for z, w in standardized_three_point(values)]


def standardized_affine(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    dist = _affine_of_standardized(values)
    m = mean_of(dist)
    return {"E": m, "Var": sum(((v - m) ** 2 * w for v, w in dist), Fraction(0))}


def standardized_affine_square(values: Mapping[str, Fraction]) -> dict[str, Fraction]:
    return {"E": mean_of([(v * v, w) for v, w in _affine_of_standardized(values)])}


MODELS.update({
    m.name: m
    for m in (
        Model("standardized_affine",
              "Z = -a, 0, a with probabilities 1/(2*a^2), 1 - 1/a^2, 1/(2*a^2) (a >= 1), so "
              "E[Z] = 0 and Var[Z] = 1 hold by construction. E is E[mu + sigma*Z] and Var is "
              "Var[mu + sigma*Z], computed from the distribution of mu + sigma*Z; they are also "
              "E and Var of Reparam[mu, sigma] = mu + sigma*eps, eps ~ N(0, 1), which depend on "
              "eps only through its first two moments.",
              ("a in [1, 4]",), {}, standardized_affine),
        Model("standardized_affine_square",
              "Z as in standardized_affine (E[Z] = 0, Var[Z] = 1). E is E[(mu + sigma*Z)^2] "
              "(= E[Reparam[mu, sigma]^2], which depends on the noise only through its first two "
              "moments), computed from the distribution of mu + sigma*Z.",
              ("a in [1, 4]",), {}, standardized_affine_square),
    )
})
