"""Gradients and derivatives at a symbolic dimension (docs/vectors.md, docs/language.md).

* tests/data/gradients/structural.txt: ``grad(f, w)`` / ``diff(f, t)`` and the expression
  each must build (``grad(<w, x>, w)`` is ``x``), or the code it must be refused with;
* claims about gradients checked end to end: proved at every dimension, refuted with a
  counterexample in a small dimension, and ``grad(f, w) = 0`` read as "the gradient vanishes".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from checker import check_claim
from checker.diagnostics import ParseError
from checker.obligations import Status
from checker.syntax.parse import parse_assumptions, parse_expression, shapes_of
from checker.vectors import build as vec
from checker.vectors.calculus import squares_to_inner
from checker.vectors.engine import normalize

DATA = Path(__file__).resolve().parent / "data" / "gradients" / "structural.txt"
GIVENS = ["w, x, u in R^d", "A in R^(d x d)", "W in R^(m x d)", "z in R^K", "b, c, t real"]


def _shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = {}
    for g in GIVENS:
        shapes.update(shapes_of(parse_assumptions(g)))
    return shapes


def _cases() -> list[Any]:
    out = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, _, expect = line.partition(" ==> ")
            out.append(pytest.param(text.strip(), expect.strip(), id=text.strip()))
    return out


@pytest.mark.parametrize(("text", "expect"), _cases())
def test_structural_derivative(text: str, expect: str) -> None:
    """Each gradient is the expected vector expression, exactly (or refused with its code)."""
    with vec.declared(_shapes()):
        if expect.startswith("!"):
            with pytest.raises(ParseError) as info:
                parse_expression(text)
            assert [d.code for d in info.value.diagnostics] == [expect[1:]]
            return
        got = parse_expression(text).value
        want = parse_expression(expect).value
    assert vec.shape_of(got) == vec.shape_of(want)
    # the same expression, up to exact algebra (<u, v> = <v, u>, ||v||_2^2 = <v, v>): not
    # values at a few concrete dimensions, which would only be evidence
    assert sp.expand(_canonical(got) - _canonical(want)) == 0, (got, want)


def _canonical(e: sp.Expr) -> sp.Expr:
    return sp.expand(normalize(squares_to_inner(e)))


@pytest.mark.slow
def test_gradient_claims_end_to_end() -> None:
    """A gradient claim is proved at every dimension; a wrong one is refuted in a small
    dimension with a counterexample; `grad(f, w) = 0` says the gradient vanishes."""
    assume = ["w, x in R^d", "b real"]
    proved = check_claim("grad(||w - x||_2^2/2, w) = w - x", assume=assume)
    assert proved.verdict.status is Status.PROVED, proved.verdict
    wrong = check_claim("grad(||w - x||_2^2, w) = w - x", assume=assume)
    assert wrong.verdict.status is Status.REFUTED, wrong.verdict
    assert wrong.verdict.counterexample is not None
    assert "dimension d = " in wrong.verdict.reason
    vanishes = check_claim("grad(<w, x> - <x, w> + b, w) = 0", assume=assume)
    assert vanishes.verdict.status is Status.PROVED, vanishes.verdict


def test_refused_gradient_says_why() -> None:
    """A gradient with no structural rule is refused with its reason, never guessed."""
    with pytest.raises(ParseError) as info:
        check_claim("grad(||w||_1, w) = x", assume=["w, x in R^d"])
    (diag,) = info.value.diagnostics
    assert diag.code == "symbolic-dimension"
    assert "||w||_1" in diag.message and "grad" in diag.message


# ------------------------------------------------- where a derivative exists (concrete sizes)

@pytest.mark.parametrize(("claim", "assume", "status"), [
    ("diff(sqrt(x), x) = 1/(2*sqrt(x))", ["x > 0"], Status.PROVED),
    ("diff(sqrt(x), x) = 1/(2*sqrt(x))", ["x >= 0"], Status.REFUTED),   # no derivative at 0
    ("<grad(||w||_2, w), w> = ||w||_2", ["w in R^2"], Status.REFUTED),  # none at w = 0
])
def test_a_derivative_is_defined_only_where_it_exists(claim: str, assume: list[str],
                                                        status: Status) -> None:
    v = check_claim(claim, assume).verdict
    assert v.status is status
    if status is Status.REFUTED:
        assert "exists" in v.reason and v.counterexample is not None
        assert all(value == 0 for _, value in v.counterexample.values)


@pytest.mark.parametrize("claim", ["grad(relu(<w, x>), w) = x", "diff(abs(t), t) = 1",
                                   "grad(max(w_1, w_2), w) = w"])
def test_a_kink_is_refused_at_a_concrete_size_too(claim: str) -> None:
    with pytest.raises(ParseError) as exc:
        check_claim(claim, ["w, x in R^2", "t real"])
    assert "not-differentiable" in str(exc.value.diagnostics[0].format())
