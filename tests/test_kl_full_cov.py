"""KL divergence between d-dimensional Gaussians with full covariance (issue 13): the closed form
`kl_gaussian_full_cov` agrees with the univariate `kl_gaussian` at d = 1 and cannot be cited
without its positive-definiteness hypothesis; tr(S^(-1)*S) = d is proved at a symbolic dimension."""

from __future__ import annotations

import pytest

from checker.check import check_claim, check_file, check_text
from checker.library.theorems import default_library
from checker.obligations import Status

from .conftest import EXERCISES

LIB = default_library()

GIVENS = ("given m1, m2 in R^1, S1, S2 in R^(1 x 1), PosDef[S1] = 1, PosDef[S2] = 1, "
          "det(S1) > 0, det(S2) > 0\n")


def _verdicts(text: str) -> dict[str, Status]:
    result = check_text(text, "t.proof", budget_s=2.0, library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    return {s.text.split(":")[0]: s.verdict.status for s in result.steps}


def test_full_cov_at_d1_is_the_univariate_kl() -> None:
    """At d = 1 with S = s^2 (s = sqrt(det(S))) the library's two closed forms give the same
    KL, through the citations alone (both KL terms are opaque); with s = S, the variance taken
    for the standard deviation, they differ and the claim is refuted."""
    cite = ("kl_gaussian_full_cov(m1 = m1, m2 = m2, S1 = S1, S2 = S2), "
            "kl_gaussian(mu1 = m1_1, mu2 = m2_1, s1 = {s1}, s2 = {s2})")
    text = ("exercise kl_full_cov_at_d1\n" + GIVENS
            + "have same: KL[MvNormal[m1, S1], MvNormal[m2, S2]] = "
              "KL[Normal[m1_1, sqrt(det(S1))], Normal[m2_1, sqrt(det(S2))]]   by "
            + cite.format(s1="sqrt(det(S1))", s2="sqrt(det(S2))") + "\n"
            + "have wrong: KL[MvNormal[m1, S1], MvNormal[m2, S2]] = "
              "KL[Normal[m1_1, det(S1)], Normal[m2_1, det(S2)]]   by "
            + cite.format(s1="det(S1)", s2="det(S2)") + "\n")
    verdicts = _verdicts(text)
    assert verdicts["same"] == Status.PROVED
    assert verdicts["wrong"] == Status.REFUTED


@pytest.mark.parametrize(("claim", "assume", "expected"), [
    # the trace of S^(-1)*S (and S*S^(-1)) is the dimension, inside linear combinations too
    ("tr(S^(-1)*S) = d", ["S in R^(d x d)", "det(S) != 0"], Status.PROVED),
    ("tr(2*(S*S^(-1)) + T) = 2*d + tr(T)", ["S, T in R^(d x d)", "det(S) != 0"], Status.PROVED),
    # not for another matrix, not where S^(-1) is undefined, not with the wrong dimension
    ("tr(S^(-1)*T) = d", ["S, T in R^(d x d)", "det(S) != 0"], Status.REFUTED),
    ("tr(S^(-1)*S) = d", ["S in R^(d x d)"], Status.REFUTED),
    ("tr(S^(-1)*S) = 1", ["S in R^(d x d)", "det(S) != 0"], Status.REFUTED),
])
def test_trace_of_inverse_times_matrix(claim: str, assume: list[str], expected: Status) -> None:
    """The vector engine's exact rewrite tr(A^(-1)*A) = n (theorems tr_inv_mul_self,
    tr_mul_inv_self) proves the identity at a symbolic dimension, and only it."""
    assert check_claim(claim, assume=assume, budget_s=2.0).verdict.status is expected


def test_same_covariance_closed_form_needs_posdef() -> None:
    """Cited at S1 = S2 = S, the closed form simplifies to half the quadratic form (the trace
    cancels -d, the log of det(S)/det(S) is 0); without `PosDef[S] = 1` the citation's
    hypothesis is not shown and the step is not proved."""
    fact = ("have kl: KL[MvNormal[m1, S], MvNormal[m2, S]] = (m2 - m1)^T*S^(-1)*(m2 - m1)/2   by "
            "kl_gaussian_full_cov(m1 = m1, m2 = m2, S1 = S, S2 = S)\n")
    good = "exercise t\ngiven m1, m2 in R^d, S in R^(d x d), PosDef[S] = 1, det(S) > 0\n" + fact
    bad = "exercise t\ngiven m1, m2 in R^d, S in R^(d x d), det(S) > 0\n" + fact
    assert _verdicts(good)["kl"] == Status.PROVED
    assert _verdicts(bad)["kl"] != Status.PROVED


def test_same_covariance_exercise_solution_passes() -> None:
    """The exercise's reference solution passes with every step proved (its full validation,
    samples and lazy submissions, is in the slow profile: tests/test_exercises.py)."""
    folder = EXERCISES / "information" / "kl_gaussian_same_cov_d_dims"
    result = check_file(folder / "solution.proof", budget_s=2.0, library=LIB)
    assert result.assessment is not None and result.assessment.passed
    assert result.assessment.score == result.assessment.max_score
    assert all(s.verdict.status is Status.PROVED for s in result.steps)
