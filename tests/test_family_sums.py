"""Comparing family sums at a symbolic length (docs/vectors.md, "Checking at a symbolic
dimension"): term by term (theorem sum_le_sum), each sum taken whole when splitting it gets in
the way, and the softmax-temperature exercise that rests on both.

The assertions that matter hold whatever the load: a false comparison is never proved, and a
proof says which method made it."""

from __future__ import annotations

from checker.check import check_claim, check_text
from checker.obligations import Status

TOP = ["z_k <= z_1 for k in 1..K", "T1 > 0, T2 > 0"]
GAPS1 = "sum(k, 1, K, exp((z_k - z_1)/T1))"
GAPS2 = "sum(k, 1, K, exp((z_k - z_1)/T2))"


def test_sums_compared_term_by_term() -> None:
    """Each gap z_k - z_1 is <= 0, so each term grows with T: the sums compare at every K,
    proved from the claim about one member, not from small K (which would be plausible)."""
    r = check_claim(f"{GAPS1} <= {GAPS2}", assume=[*TOP, "T1 <= T2"], budget_s=4.0)
    assert r.verdict.status is Status.PROVED, r.verdict
    assert "term by term" in r.verdict.reason and "every integer i from 1 to K" in \
        r.verdict.reason


def test_false_termwise_comparison_is_not_proved() -> None:
    """Without the top-logit hypothesis a term can shrink as T grows (z_2 = 1): the sums do not
    compare, and the claim is refuted in a small K, never proved term by term."""
    r = check_claim("sum(k, 1, K, exp(z_k/T1)) <= sum(k, 1, K, exp(z_k/T2))",
                    assume=["z_k real for k in 1..K", "T1 > 0, T2 > 0", "T1 <= T2"],
                    budget_s=4.0)
    assert r.verdict.status is Status.REFUTED, r.verdict


def test_reciprocals_of_whole_sums() -> None:
    """1/S1 >= 1/S2 from S1 <= S2 for positive sums: proved with each sum taken whole (split
    into exp(-z_1/T)*sum(exp(z_k/T)), the claim is out of the engines' reach)."""
    r = check_claim(f"1/{GAPS1} >= 1/{GAPS2}", assume=[*TOP, f"{GAPS1} <= {GAPS2}"],
                    budget_s=4.0)
    assert r.verdict.status is Status.PROVED, r.verdict
    assert "taken whole" in r.verdict.reason


def test_top_logit_member_is_declared() -> None:
    """z_1 of a family z_k for k in 1..K exists for every K >= 1: no undeclared-variable
    warning; z_2 may not exist (K = 1), and is still flagged."""
    text = ("given z_k <= z_1 for k in 1..K\nhave a: z_1 >= z_1 - 1\n"
            "have b: z_2 <= z_1 + 1\n")
    r = check_text(text, "top.proof")
    flagged = [d.message for d in r.diagnostics if d.code == "undeclared-variable"]
    assert len(flagged) == 1 and "'z_2'" in flagged[0], flagged


def test_softmax_temperature_solution_passes() -> None:
    """The shipped solution of softmax_temperature_monotone_k_classes passes in the default
    profile (its full validation, lazy submissions included, is in the slow profile)."""
    from pathlib import Path

    from checker.check import check_file

    path = (Path(__file__).resolve().parents[1] / "exercises" / "optimization"
            / "softmax_temperature_monotone_k_classes" / "solution.proof")
    r = check_file(path)
    assert r.assessment is not None and r.assessment.passed, r.assessment
