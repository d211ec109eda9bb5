"""The issue's examples for the calculus methods (max/min/abs, unbounded domains, Jensen with
free weights, Phi/Phi_inv/erf, monotone compositions), each proved by ``proofcheck claim``
with its natural assumptions, and a false variant of each never proved."""

from __future__ import annotations

import pytest

from checker.cli import run

EXAMPLES = [
    # unbounded domains
    ("exp(x) >= 1 + x + x^2/2 + x^3/6", ["x >= 0"]),
    ("log(1 + x) <= x - x^2/2 + x^3/3", ["x >= 0"]),
    ("exp(x) <= 1/(1 - x)", ["x < 1"]),
    ("atan(x) >= x - x^3/3", ["x >= 0"]),
    ("log(x) >= 2*(x - 1)/(x + 1)", ["x >= 1"]),
    # max, min and absolute values
    ("min(x, y) >= -log(exp(-x) + exp(-y))", []),
    ("abs(x) <= log(exp(x) + exp(-x))", []),
    ("log(exp(x) + exp(-x)) <= abs(x) + log(2)", []),
    ("log(1 + exp(z)) >= max(0, z)", []),
    ("log(exp(a) + exp(b)) >= (a + b)/2 + log(2)", []),
    # convexity with a free weight
    ("w*exp(2*x) + (1 - w)*exp(2*y) >= exp(2*(w*x + (1 - w)*y))", ["w in [0, 1]"]),
    ("w*x*log(x) + (1 - w)*y*log(y) >= (w*x + (1 - w)*y)*log(w*x + (1 - w)*y)",
     ["w in [0, 1]", "x > 0", "y > 0"]),
    ("-w*sqrt(x) - (1 - w)*sqrt(y) >= -sqrt(w*x + (1 - w)*y)", ["w in [0, 1]", "x >= 0",
                                                               "y >= 0"]),
    ("p*log(p/q) + (1 - p)*log((1 - p)/(1 - q)) >= 0", ["p in (0, 1)", "q in (0, 1)"]),
    # Phi, Phi_inv
    ("Phi_inv(p) <= sqrt(2*log(1/(1 - p)))", ["p in [1/2, 1)"]),
    ("Phi(x) - Phi(y) <= (x - y)/sqrt(2*pi)", ["x >= y"]),
    ("Phi(Phi_inv(a)) <= Phi(t)", ["a in (0, 1)", "Phi_inv(a) <= t"]),
]


def claim(text: str, assume: list[str], budget: str = "4") -> str:
    args = ["claim", text, "--budget", budget]
    for a in assume:
        args += ["--assume", a]
    out, _ = run(args)
    return out


@pytest.mark.parametrize(("text", "assume"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_issue_example_is_proved(text: str, assume: list[str]) -> None:
    out = claim(text, assume)
    assert out.startswith("proved"), out


FALSE = [
    ("exp(x) >= 1 + x + x^2/2 + x^3/5", ["x >= 0"]),
    ("log(1 + x) <= x - x^2/2 + x^3/4", ["x >= 0"]),
    ("exp(x) <= 1/(1 - x) - x^2/10", ["x < 1"]),
    ("log(x) >= 2*(x - 1)/(x + 1)", ["x > 0"]),
    ("min(x, y) >= -log(exp(-x) + exp(-y)) + 1/10", []),
    ("log(exp(a) + exp(b)) >= (a + b)/2 + log(2) + 1/1000", []),
    ("w*exp(2*x) + (1 - w)*exp(2*y) <= exp(2*(w*x + (1 - w)*y))", ["w in [0, 1]"]),
    ("Phi_inv(p) <= sqrt(2*log(1/(1 - p))) - 1/2", ["p in [1/2, 1)"]),
    ("Phi(x) - Phi(y) <= (x - y)/3", ["x >= y"]),
    ("Phi(Phi_inv(a)) <= Phi(t)", ["a in (0, 1)", "Phi_inv(a) >= t"]),
]


@pytest.mark.parametrize(("text", "assume"), FALSE, ids=[e[0] for e in FALSE])
def test_false_variant_is_not_proved(text: str, assume: list[str]) -> None:
    out = claim(text, assume, "2")
    assert not out.startswith("proved"), out


def test_same_claim_same_verdict() -> None:
    """Work budgets, not the clock: the same claim gives the same verdict and reason twice."""
    text, assume = EXAMPLES[2]  # exp(x) <= 1/(1 - x) for x < 1: a cleared denominator

    def verdict() -> str:
        return claim(text, assume, "2").splitlines()[0]

    assert verdict() == verdict()
