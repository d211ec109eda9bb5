"""Families of a concrete length (`p_k in (0, 1) for k in 1..3`) in claims and proofs: the
members' domains reach a claim that names only the family, a condition under a sum over the
family is checked member by member, and the d-dimensional Gaussian KL of the library agrees
with the univariate one at d = 2 (exercises/generative/vae_loss_diag_gaussian_d_dims)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from checker.check import check_claim, check_file
from checker.obligations import Status

DATA = Path(__file__).resolve().parent / "data" / "families"
BUDGET = 4.0


def _cases() -> list[tuple[str, list[str], str]]:
    out = []
    for raw in (DATA / "concrete_family_claims.txt").read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        expected, assume, claim = (part.strip() for part in raw.split(" | "))
        out.append((expected, [a.strip() for a in assume.split(";")], claim))
    return out


def _inside(assume: list[str], values: dict[str, Fraction]) -> bool:
    """Do the members named in a counterexample satisfy the simple family givens?"""
    for a in assume:
        head, _, rest = a.partition("_k ")
        if " for k in 1.." not in rest:
            continue
        bound = rest.split(" for k in ")[0]
        for name, v in values.items():
            if not name.startswith(head + "_"):
                continue
            if bound == "> 0" and not v > 0:
                return False
            if bound == "in (0, 1)" and not 0 < v < 1:
                return False
    return True


@pytest.mark.parametrize(("expected", "assume", "claim"), _cases(),
                         ids=[c[2] for c in _cases()])
def test_concrete_family_claims(expected: str, assume: list[str], claim: str) -> None:
    r = check_claim(claim, assume=assume, budget_s=BUDGET)
    assert r.verdict.status.value == expected, r.verdict
    if r.verdict.counterexample is not None:
        # a counterexample lies where the givens hold
        assert _inside(assume, dict(r.verdict.counterexample.values)), r.verdict


@pytest.mark.slow
def test_diagonal_gaussian_kl_is_the_sum_of_the_univariate_ones() -> None:
    """kl_diag_gaussian_standard at d = 2 equals kl_gaussian summed over the coordinates;
    adding a stray log(s_1) is refuted with a counterexample shown as vectors."""
    result = check_file(DATA / "diag_gaussian_kl_two_dims.proof", budget_s=BUDGET)
    verdicts = {s.line: s.verdict for s in result.steps}
    for line in (4, 5, 6, 7):
        assert verdicts[line].status is Status.PROVED, (line, verdicts[line])
    assert verdicts[8].status is Status.REFUTED, verdicts[8]
    assert "as vectors: mu = (" in verdicts[8].reason
