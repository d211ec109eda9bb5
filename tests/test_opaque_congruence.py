"""A given ``T = e`` about an opaque term T holds inside other terms' brackets too
(congruence): ``KL[Q, Prior[M]]`` is ``KL[Q, StdNormal[d]]`` under ``Prior[M] = StdNormal[d]``.
Before, the two were independent unknowns and a true step was *refuted*."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from checker.check import check_file, check_text
from checker.elaborate import congruent
from checker.obligations import Status


def _verdicts(text: str) -> dict[str, Status]:
    result = check_text(text, "t.proof", budget_s=2.0)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    return {s.text.split(":")[0]: s.verdict.status for s in result.steps}


def test_an_equal_term_inside_brackets_gives_an_equal_term() -> None:
    v = _verdicts("given a > 0, Prior[M] = StdNormal[d]\n"
                  "have h1: KL[Q, Prior[M]] = KL[Q, StdNormal[d]]\n"
                  "have h2: KL[Q, Prior[M]] + a >= KL[Q, StdNormal[d]]\n"
                  "have h3: KL[Q, Prior[M]] + a <= KL[Q, StdNormal[d]]\n")
    assert v == {"h1": Status.PROVED, "h2": Status.PROVED, "h3": Status.REFUTED}


def test_without_the_given_the_terms_stay_two_unknowns() -> None:
    v = _verdicts("given a > 0\nhave h1: KL[Q, Prior[M]] = KL[Q, StdNormal[d]]\n")
    assert v == {"h1": Status.REFUTED}


def test_chained_and_reversed_givens_and_numbers() -> None:
    v = _verdicts("given t > 0, A[X] = B[X], C[Y] = B[X], E[X] = 1/2\n"
                  "have h1: P[Z > A[X]] = P[Z > C[Y]]\n"
                  "have h2: Var[X - E[X]] = Var[X - 1/2]\n"
                  "have h3: P[Z > A[X] + t] = P[Z > C[Y]]\n")
    assert v["h1"] is Status.PROVED and v["h2"] is Status.PROVED
    assert v["h3"] is not Status.PROVED


def test_rewriting_stops_on_cycles_and_leaves_the_top_level_alone() -> None:
    a, b = sp.Function("A")(sp.Symbol("X")), sp.Function("B")(sp.Symbol("X"))
    kl = sp.Function("KL")
    same = {a: b, b: a}  # never built by same_term (it skips equal sides), but must not hang
    assert congruent(kl(a), same) in (kl(a), kl(b))
    assert congruent(a + 1, {a: b}) == a + 1  # a top-level term keeps its own variable


def test_a_students_own_given_in_an_exercise_is_no_rewrite_rule(tmp_path: Path) -> None:
    """In an exercise, a given the exercise does not state is checked, never trusted: it
    must not become a rewrite rule either."""
    path = tmp_path / "t.proof"
    path.write_text("exercise kl_gaussian_standard\ngiven Prior[M] = StdNormal[d]\n"
                    "have a: KL[Q, Prior[M]] = KL[Q, StdNormal[d]]\n", encoding="utf-8")
    steps = {s.text.split(":")[0]: s.verdict.status for s in check_file(path).steps}
    assert steps["a"] is Status.REFUTED


def test_a_term_met_before_the_given_is_tied_to_its_rewritten_form() -> None:
    """``C[A[X]]`` in a given before ``A[X] = B[X]`` is ``C[B[X]]`` too: a later given that
    contradicts it is caught, and a fact about it carries over."""
    bad = check_text("given C[A[X]] = 1, A[X] = B[X], C[B[X]] = 2\nhave h: C[B[X]] >= 5\n",
                     "t.proof")
    assert bad.blocked
    assert any(d.code == "contradictory-givens" for d in bad.diagnostics)
    assert _verdicts("given t > 0, C[A[X]] >= t, A[X] = B[X]\nhave h: C[B[X]] > 0\n") == {
        "h": Status.PROVED}
