"""Exercises: every shipped exercise validates, variants are reproducible, and submissions are
judged against the exercise (goal, extra assumptions, allowed theorems, step size, feedback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.check import check_proof
from checker.cli import run
from checker.engines import portfolio
from checker.exercises import Exercise, load_catalog, load_exercise
from checker.library.theorems import default_library
from checker.syntax.parse import parse_text
from checker.validate import validate

from .conftest import EXERCISES

CATALOG = load_catalog(EXERCISES)
ALL = sorted(CATALOG.exercises.values(), key=lambda e: e.id)


def test_problem_set_loads() -> None:
    """At least 15 exercises load with no diagnostics, each with two or more wrong samples."""
    assert [d.format() for d in CATALOG.diagnostics] == []
    assert len(ALL) >= 15
    for ex in ALL:
        assert sum(s.expect == "rejected" for s in ex.samples) >= 2, ex.id


# exercises whose validation takes about a minute of CPU (their lazy submissions are checked in
# every small dimension before they fail), and those that took over 15 s in a loaded full run
# (docs/testing in tests/README.md): validated in the slow profile only, so that the default
# suite stays under 10 minutes on 2 cores; `pytest -m slow` validates them all
SLOW_TO_VALIDATE = {"softmax_temperature_monotone_k_classes",
                    "cross_entropy_ge_entropy_k_classes", "pl_linear_rate_iterations",
                    "relu_net_lipschitz_one_hidden", "rademacher_massart_bound",
                    "uc_sample_size_finite_class", "deepfool_linear_distance_d_dims",
                    "realizable_finite_class", "cross_entropy_split_bernoulli",
                    "ddpm_posterior_mean_eps_form", "radius_from_confidence_bounds",
                    "sawtooth_depth_width_two", "kl_gaussian_same_cov_d_dims"}


@pytest.mark.parametrize("ex", [pytest.param(e, marks=pytest.mark.slow)
                                if e.id in SLOW_TO_VALIDATE else e for e in ALL],
                         ids=lambda e: e.id)
def test_exercise_validates(ex: Exercise) -> None:
    """What `proofcheck validate` checks, per exercise: solution proved at every seed, samples
    get their expected outcomes, goal not refuted, no lazy submission (the goal restated and
    closed in one step) earns more than 20%. The mutation test (>= 95% of the solution's
    mutants rejected) runs in the slow profile: test_validate_command_with_mutants."""
    portfolio.set_cache(portfolio.MemoryCache())
    try:
        report = validate(ex, default_library(), mutants=False)
    finally:
        portfolio.set_cache(None)
    assert [] == report.problems


@pytest.mark.slow
def test_validate_command_with_mutants() -> None:
    """`proofcheck validate exercises/` passes, mutation test included (>= 95% per exercise)."""
    out, code = run(["validate", str(EXERCISES)])
    assert code == 0, out


def _check(ex: Exercise, text: str, seed: int | None = None):  # type: ignore[no-untyped-def]
    proof, diags = parse_text(text, "sub.proof")
    return check_proof(proof, diags, 1.0, default_library(), ex, seed)


def _scaffold(tmp_path: Path) -> Exercise:
    out, code = run(["new", "amgm", "--topic", "misc", "--dir", str(tmp_path)])
    assert code == 0, out
    return load_exercise(tmp_path / "misc" / "amgm")


def test_scaffold_validates_once_written(tmp_path: Path) -> None:
    """`proofcheck new` scaffolds an exercise whose only problems are its TODO texts (a
    scaffold must not pass as a finished exercise); written, it validates."""
    ex = _scaffold(tmp_path)
    problems = validate(ex, default_library(), mutants=False).problems
    assert ["the title still says TODO (written by `proofcheck new`)",
            "the statement still says TODO (written by `proofcheck new`)"] == problems
    toml = tmp_path / "misc" / "amgm" / "exercise.toml"
    toml.write_text(toml.read_text().replace("TODO: a short title", "AM-GM for x and 1/x")
                    .replace("TODO: the problem", "Show that x + 1/x >= 2 for x > 0."))
    assert [] == validate(load_exercise(toml.parent), default_library(), mutants=False).problems


def test_stronger_claim_reaches_the_goal(tmp_path: Path) -> None:
    """A chain that proves x + 1/x >= 2 via a stronger bound still meets the goal."""
    ex = _scaffold(tmp_path)
    text = ("exercise amgm\ngiven x > 0\nshow x + 1/x >= 2\n  x + 1/x\n"
            "    = 2 + (x - 1)^2/x   by algebra\n    >= 2\nqed\n")
    assert _check(ex, text).assessment.passed


def test_correct_chain_of_another_claim_is_reported(tmp_path: Path) -> None:
    """A correct chain that proves something else does not pass, and says what it proves."""
    ex = _scaffold(tmp_path)
    text = "exercise amgm\ngiven x > 0\nshow x + 1/x >= 1\n  x + 1/x\n    >= 1\nqed\n"
    result = _check(ex, text)
    assert not result.assessment.passed
    goal = next(s for s in result.steps if s.kind == "exercise")
    assert "which is not the goal" in goal.verdict.reason


def test_extra_assumption_is_flagged(tmp_path: Path) -> None:
    """Assuming more than the exercise gives (x >= 1) makes the submission fail at that line."""
    ex = _scaffold(tmp_path)
    text = ("exercise amgm\ngiven x > 0\nassume x >= 1\nshow x + 1/x >= 2\n  x + 1/x\n"
            "    >= 2\nqed\n")
    result = _check(ex, text)
    assert not result.assessment.passed
    extra = [s for s in result.steps if s.kind == "assumption" and s.line == 3]
    assert [s.verdict.status.value for s in extra] == ["refuted"]


def test_theorem_not_allowed_is_flagged(tmp_path: Path) -> None:
    """The scaffold allows no theorems: citing one is a finding and the submission fails."""
    ex = _scaffold(tmp_path)
    text = ("exercise amgm\ngiven x > 0\nhave h: 2*sqrt(x*(1/x)) <= x + 1/x "
            "by geom_mean_le_arith_mean_two\nshow x + 1/x >= 2\n  x + 1/x\n    >= 2\nqed\n")
    result = _check(ex, text)
    assert [d.code for d in result.assessment.findings] == ["theorem-not-allowed"]
    assert not result.assessment.passed


def test_step_too_large_is_flagged() -> None:
    """One `by algebra` leap over the whole derivation is flagged against the policy."""
    ex = CATALOG.exercises["finite_class_agnostic"]
    text = ("exercise finite_class_agnostic\ngiven m >= 1 integer, H >= 1 integer, "
            "delta in (0, 1)\nlet eps = sqrt(log(2*H/delta) / (2*m))\n"
            "show 2*H*exp(-2*m*eps^2) = delta\n  2*H*exp(-2*m*eps^2)\n"
            "    = delta   by algebra\nqed\n")
    result = _check(ex, text)
    assert "step-too-large" in [d.code for d in result.assessment.findings]


def test_refuted_step_gets_a_missing_assumption_and_a_hint() -> None:
    """A wrong sample gets feedback: the missing assumption of the step that slipped, none for
    the step after it (its failure is a consequence of the slip), and hints."""
    ex = CATALOG.exercises["descent_step_inv_L"]
    sample = ex.folder / "samples" / "wrong_step_not_squared.proof"
    proof, diags = parse_text(sample.read_text(), str(sample))
    result = check_proof(proof, diags, 1.0, default_library(), ex, None)
    notes = [(line, text) for line, text in result.assessment.feedback
             if "holds only if" in text]
    assert [(7, "this step holds only if ip >= 0; you assumed ip is any real number")] == notes
    assert result.assessment.hints


def test_step_hint_attaches_to_the_expression_a_failing_step_arrives_at() -> None:
    """A refuted step that arrives at a hinted expression shows that step's hint."""
    ex = CATALOG.exercises["finite_class_agnostic"]
    text = ("exercise finite_class_agnostic\ngiven m >= 1 integer, H >= 1 integer, "
            "delta in (0, 1)\nlet eps = sqrt(log(2*H/delta) / (2*m))\n"
            "show 2*H*exp(-2*m*eps^2) = delta\n  2*H*exp(-2*m*eps^2)\n"
            "    = 2*H*exp(-2*log(2*H/delta))   by algebra\n"
            "    = 2*H*exp(-log(2*H/delta))     by algebra\n"
            "    = delta                         by algebra\nqed\n")
    result = _check(ex, text)
    hints = [(line, t) for line, t in result.assessment.feedback if t.startswith("hint:")]
    assert [(7, "hint: 2*m*eps^2 = 2*m*log(2*H/delta)/(2*m) = log(2*H/delta): the exponent "
             "is a logarithm.")] == hints


def test_variants_are_reproducible_and_differ() -> None:
    """The same seed gives the same variant; different seeds give different ones."""
    with_params = [ex for ex in ALL if ex.parameters]
    assert with_params
    for ex in with_params:
        assert ex.variant(7) == ex.variant(7)
        assert len({tuple(sorted(ex.variant(s).items())) for s in range(20)}) > 1, ex.id
        assert not [p.name for p in ex.parameters if "{" + p.name + "}" in ex.render(3)]


def test_show_command_renders_a_variant() -> None:
    """`proofcheck show ID --seed S` prints the statement with the variant's values."""
    ex = next(ex for ex in ALL if ex.parameters)
    out, code = run(["show", ex.id, "--seed", "5"])
    assert code == 0
    assert ex.title in out
    assert "Variant (seed 5)" in out


def test_unknown_exercise_is_a_warning_and_checked_alone(tmp_path: Path) -> None:
    """A header naming no exercise warns with a suggestion and checks the proof on its own."""
    f = tmp_path / "typo.proof"
    f.write_text("exercise finite_class_agnostik\ngiven x real\nhave h: x^2 >= 0\n")
    out, code = run(["check", str(f)])
    assert code == 0
    assert "no exercise named 'finite_class_agnostik'; did you mean 'finite_class_agnostic'" in out


def test_variant_parameter_in_an_interval_given(tmp_path: Path) -> None:
    """`x in [-a, a]` with a variant `a`: the interval's ends are the variant's numbers, so the
    submission's own copy of the given follows from the exercise's (it was refuted at a = 3)."""
    folder = tmp_path / "t" / "interval_variant"
    folder.mkdir(parents=True)
    (folder / "exercise.toml").write_text(
        'id = "interval_variant"\ntitle = "t"\ntopic = "t"\nstatement = "a = {a}"\n'
        'givens = ["x in [-a, a]"]\ngoal = "x <= a"\nsolution = "solution.proof"\n'
        '[variants]\na = "{2, 3}"\n')
    ex = load_exercise(folder)
    text = "exercise interval_variant\ngiven x in [-a, a]\nshow x <= a by algebra\n"
    for seed in (None, 1, 2, 3):
        result = _check(ex, text, seed)
        assert result.assessment.passed, result.assessment.summary


@pytest.mark.slow
def test_a_mutant_that_is_still_a_proof_is_not_counted() -> None:
    """realizable_finite_class: dropping 1/k (or delta) from line 8's bound gives a weaker,
    true bound, and the engines now prove the next step without it: the mutant is still a
    complete proof, noted but not held against the exercise's checks."""
    from checker.validate import Report, _mutation_test

    ex = next(e for e in ALL if e.id == "realizable_finite_class")
    rep = Report(ex.id)
    portfolio.set_cache(portfolio.MemoryCache())
    try:
        _mutation_test(ex, default_library(), 1.0, rep)
    finally:
        portfolio.set_cache(None)
    assert rep.ok and rep.killed == rep.mutants >= 8
    assert any("still a complete proof" in n for n in rep.notes)
