"""The theorem library: it loads, passes its self-check, is cited correctly and incorrectly,
catches mis-stated theorems, and its index in docs/ is in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.check import check_text
from checker.library.index import render_index
from checker.library.selfcheck import check_library, check_theorem
from checker.library.theorems import Library, Theorem, default_library, load
from checker.obligations import Status

from .conftest import ROOT

LIB = default_library()
THEOREMS = sorted(LIB.theorems.values(), key=lambda t: t.id)


def test_library_loads_without_diagnostics() -> None:
    """Every theorem file loads; there are at least 40 theorems, each with a source."""
    assert [d.format() for d in LIB.diagnostics] == []
    assert len(LIB.theorems) >= 40
    assert all(t.source and t.doc for t in THEOREMS)


def test_self_check_passes() -> None:
    """Every cited theorem survives stress-testing; every derived one is proved."""
    failures = [f for f in check_library(LIB, budget_s=2.0) if not f.ok]
    assert [f"{f.theorem}: {f.detail}" for f in failures] == []


def test_misstated_theorems_are_caught() -> None:
    """1 + 2x <= exp(x) and Hoeffding with exp(-4*n*t^2) are refuted with counterexamples."""
    bad = load(ROOT / "tests" / "data" / "theorems-misstated")
    assert bad.diagnostics == []
    for thm in bad.theorems.values():
        finding = check_theorem(thm, bad, budget_s=2.0)
        assert finding.outcome == "refuted", finding.detail
        assert finding.counterexample is not None


def test_index_is_in_sync() -> None:
    """docs/theorems.md is generated from theorems/ (regenerate with
    `proofcheck theorems --index > docs/theorems.md`)."""
    assert render_index(LIB) == (ROOT / "docs" / "theorems.md").read_text()


def _givens(thm: Theorem, keep: bool) -> str:
    lines = []
    for v in thm.texts.get("variables", []):
        lines.append(f"given {v}" if keep else "")
    if keep:
        lines += [f"assume {h}" for h in thm.texts.get("hypotheses", [])]
    else:
        lines += [f"given {n} real" for n in thm.var_names]
    return "\n".join(line for line in lines if line)


def _citation(thm: Theorem, keep: bool) -> str:
    return (f"exercise cite_{thm.id}\n{_givens(thm, keep)}\n"
            f"have c: {thm.statement} by {thm.id}\n")


def _restricted(thm: Theorem) -> bool:
    """Does the theorem restrict its variables (domains or hypotheses)?"""
    texts = [*thm.texts.get("variables", []), *thm.texts.get("hypotheses", [])]
    return any(not t.strip().endswith(" real") for t in texts)


@pytest.mark.parametrize("thm", THEOREMS, ids=lambda t: t.id)
def test_correct_citation_is_proved(thm: Theorem) -> None:
    """Citing the theorem for its own conclusion, under its hypotheses, is proved."""
    result = check_text(_citation(thm, keep=True), f"{thm.id}.proof", budget_s=2.0,
                        library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status == Status.PROVED, step.verdict.label


@pytest.mark.parametrize("thm", [t for t in THEOREMS if _restricted(t)], ids=lambda t: t.id)
def test_citation_outside_hypotheses_is_not_proved(thm: Theorem) -> None:
    """Citing the theorem with its variables unrestricted leaves a side obligation unproved."""
    result = check_text(_citation(thm, keep=False), f"{thm.id}.proof", budget_s=1.0,
                        library=LIB)
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status != Status.PROVED


@pytest.mark.parametrize("thm", [t for t in THEOREMS if not _restricted(t)],
                         ids=lambda t: t.id)
def test_citation_of_a_different_claim_is_not_proved(thm: Theorem) -> None:
    """Citing the theorem for a claim it does not give (the conclusion plus 1) is not proved."""
    a, op, b = thm.conclusion.relations()[0]
    # a strictly stronger claim than the theorem gives
    wrong = f"{a.text} + 1 {op} {b.text}" if op in ("<", "<=") else f"{a.text} {op} ({b.text}) + 1"
    text = f"exercise w\n{_givens(thm, True)}\nhave c: {wrong} by {thm.id}\n"
    result = check_text(text, f"{thm.id}.proof", budget_s=1.0, library=LIB)
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status != Status.PROVED


def test_misspelled_theorem_gets_did_you_mean() -> None:
    """A misspelled theorem name is unknown with a suggestion."""
    result = check_text("exercise t\ngiven x > 0\nhave h: log(x) <= x - 1 by log_le_sub_on\n",
                        budget_s=1.0, library=LIB)
    assert "did you mean 'log_le_sub_one'" in result.steps[0].verdict.reason


def test_sauer_shelah_with_m_below_d_is_refuted() -> None:
    """(e*m/d)^d cited with m < d allowed: the side obligation m >= d is refuted."""
    thm = next(t for t in THEOREMS if "m >= d" in " ".join(t.texts.get("hypotheses", [])))
    text = (f"exercise t\ngiven m >= 1 integer, d >= 1 integer\n"
            f"have h: {thm.statement} by {thm.id}\n")
    result = check_text(text, budget_s=1.0, library=LIB)
    step = result.steps[0]
    assert step.verdict.status == Status.REFUTED
    assert step.verdict.counterexample is not None


def test_empty_library_is_empty(tmp_path: Path) -> None:
    """A folder with no theorem files is an empty library, not an error."""
    assert isinstance(load(tmp_path), Library)
    assert load(tmp_path).theorems == {}
