"""The advice that names the library theorem a step has the shape of (checker.library.shapes,
checker.feedback.theorem_advice): on real steps of each topic, the `by` it suggests, pasted
into the proof, proves the step; wrong-way and unrelated steps get no such advice; advice is
deterministic, bounded by a number of matches, and never changes a verdict."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from checker.check import check_text
from checker.cli import run
from checker.engines import portfolio
from checker.feedback import NEXT, next_steps, theorem_advice
from checker.library import shapes
from checker.library.theorems import default_library
from checker.obligations import Counterexample, Obligation, Relation, Status, Verdict
from checker.syntax.parse import parse_claim

GIVENS = """\
given n >= 1 integer, eps > 0, P[0 <= X <= 1] = 1
given m >= 1 integer, k >= 1 integer, Size[H] <= k, InfLoss[H] >= 0, SupLoss[H] <= 1
given sigma > 0, pA in (0, 1), pB in (0, 1), pB <= pA, PA[f, x, sigma] >= pA, PB[f, x, sigma] <= pB
given K >= 2 integer, p_k in (0, 1] for k in 1..K, q_k in (0, 1] for k in 1..K
given sum(k, 1, K, p_k) = 1, sum(k, 1, K, q_k) = 1
"""

# one real step per topic, the hypotheses it is checked under, and the theorem it has the
# shape of
TOPICS = [
    ("concentration", "P[|Mean[X, n] - E[X]| >= eps] <= 2*exp(-2*n*eps^2)",
     ["P[0 <= X <= 1] = 1"], "hoeffding_mean_two_sided"),
    ("generalization", "P[Dev[H, m] > eps] <= 2*k*exp(-2*m*eps^2)", ["Size[H] <= k"],
     "finite_class_uc_prob"),
    ("information", "sum(k, 1, K, p_k*log(p_k/q_k)) >= 0", [], "gibbs_inequality"),
    ("smoothing", "CertRadius[f, x, sigma] >= sigma/2*(Phi_inv(pA) - Phi_inv(pB))",
     ["PA[f, x, sigma] >= pA"], "cohen_radius"),
]
CITE = re.compile(r"write `(by [a-z_A-Z0-9]+\([^`]*\))`")
FAMILIES = "K >= 2 integer, p_k in (0, 1] for k in 1..K, q_k in (0, 1] for k in 1..K"


def rel(text: str) -> Relation:
    """A relation read as in a proof that declares the families p, q (when it uses them)."""
    from checker.syntax.parse import parse_assumptions, shapes_of
    from checker.vectors.build import declared

    families = shapes_of(parse_assumptions(FAMILIES)) if "_k" in text else {}
    with declared(families):
        (a, op, b), = parse_claim(text).relations()
    return Relation(a.value, op, b.value)


@pytest.mark.parametrize(("topic", "step", "hyps", "theorem"), TOPICS,
                         ids=[t[0] for t in TOPICS])
def test_a_step_of_each_topic_names_its_theorem(topic: str, step: str, hyps: list[str],
                                                theorem: str) -> None:
    advice = theorem_advice(Obligation(rel(step), (), tuple(rel(h) for h in hyps)))
    assert advice is not None
    assert advice.startswith(f"this step has the shape of {theorem}'s conclusion"), advice
    assert CITE.search(advice) is not None and f"`by {theorem}(" in advice


def test_cli_names_the_theorem_and_its_citation_proves_the_step(tmp_path: Path) -> None:
    """The student's view (the issue's example): `proofcheck check` on a Hoeffding step
    that cites nothing says which theorem to cite and how; pasted in, the step is proved."""
    givens = "given n >= 1 integer, eps > 0, P[0 <= X <= 1] = 1\n"
    step = "P[|Mean[X, n] - E[X]| >= eps] <= 2*exp(-2*n*eps^2)"
    path = tmp_path / "hoeffding.proof"
    path.write_text(f"{givens}have tail: {step}\n")
    out, code = run(["check", str(path), "--standalone"])
    assert code == 1 and "refuted  tail:" in out, out
    assert (f"\n    {NEXT}this step has the shape of hoeffding_mean_two_sided's conclusion "
            in out), out
    found = CITE.search(out)
    assert found is not None and found.group(1) == (
        "by hoeffding_mean_two_sided(n = n, t = eps, a = 0, b = 1, X = X)")
    path.write_text(f"{givens}have tail: {step}   {found.group(1)}\n")
    out, code = run(["check", str(path), "--standalone"])
    assert code == 0, out


@pytest.mark.slow
def test_each_topics_suggested_citation_proves_the_step(tmp_path: Path) -> None:
    """Every topic's step, checked as a student writes it, gets its `next:` citation; the
    same proof with those citations pasted in is proved step by step."""
    bare = GIVENS + "".join(f"have {name}: {step}\n" for name, step, _, _ in TOPICS)
    path = tmp_path / "bare.proof"
    path.write_text(bare)
    out, code = run(["check", str(path), "--standalone"])
    assert code == 1
    cited = GIVENS
    for name, step, _, theorem in TOPICS:
        block = out.split(f"  {name}: ")[1].split("\n/")[0]
        assert f"{NEXT}this step has the shape of {theorem}'s conclusion" in block, block
        found = CITE.search(block)
        assert found is not None, block
        cited += f"have {name}: {step}   {found.group(1)}\n"
    result = check_text(cited)
    assert [s.verdict.status for s in result.steps] == [Status.PROVED] * len(TOPICS), [
        (s.text, s.verdict.reason) for s in result.steps]


def test_hoeffding_gets_the_range_from_the_hypotheses() -> None:
    advice = theorem_advice(Obligation(
        rel("P[|Mean[X, n] - E[X]| >= eps] <= 2*exp(-2*n*eps^2)"), (),
        (rel("P[0 <= X <= 1] = 1"),)))
    assert advice == (
        "this step has the shape of hoeffding_mean_two_sided's conclusion `P[|Mean[X, n] - "
        "E[X]| >= t] <= 2*exp(-2*n*t^2/(b - a)^2)` (Hoeffding's inequality (two-sided, for the "
        "mean)): write `by hoeffding_mean_two_sided(n = n, t = eps, a = 0, b = 1, X = X)`")


def test_a_weaker_bound_is_split_through_the_theorem() -> None:
    advice = theorem_advice(Obligation(rel("log(1 + x^2) <= x^2 + 1")))
    assert advice is not None and advice.startswith("`log(1 + x^2)` has the shape of a side of "
                                                    "log_one_add_le's conclusion")
    assert "a step `log(1 + x^2) <= x^2   by log_one_add_le(x = x^2)`" in advice
    assert "then one from `x^2` to `1 + x^2`" in advice
    gibbs = theorem_advice(Obligation(rel("sum(k, 1, K, p_k*log(p_k/q_k)) >= -1")))
    assert gibbs is not None and "gibbs_inequality(K = K, p = p, q = q)" in gibbs
    assert "then one from `0` to `-1`" in gibbs


def test_written_out_family_theorems_are_recognised() -> None:
    gibbs = theorem_advice(Obligation(rel("p*log(p/q) + (1 - p)*log((1 - p)/(1 - q)) >= 0")))
    assert gibbs is not None and gibbs.startswith(
        "this step is gibbs_inequality (Gibbs' inequality) written out for K = 2 "
        "(p_1 = p, p_2 = 1 - p, q_1 = q, q_2 = 1 - q)")
    softplus = shapes.matches(rel("log(1 + exp(z)) >= max(0, z)"))
    assert [(m.theorem.id, m.whole, m.size) for m in softplus][:1] == [
        ("log_sum_exp_ge_max", True, (("K", 2),))]
    assert dict(softplus[0].values) == {"z_1": 0, "z_2": sp.Symbol("z", real=True)}


@pytest.mark.parametrize("step", [
    "KL[p, q] <= 0",  # kl_nonneg's shape, the wrong way round
    "P[|Mean[X, n] - E[X]| >= eps] >= 2*exp(-2*n*eps^2)",  # a tail bound read backwards
    "x + y <= x^2 + 5",  # `a + c <= b + d` fits any two sums: a rule, not a shape
    "exp(x) <= 1/(1 - x)",  # exp_convex_comb_le only with a = 0 collapsing lam*a
    "sum(k, 1, K, p_k*log(q_k/p_k)) >= 0",  # Gibbs' sum with the ratio upside down
])
def test_no_theorem_for_a_step_of_another_shape(step: str) -> None:
    assert theorem_advice(Obligation(rel(step))) is None


def test_a_plausible_steps_advice_names_the_theorem_after_where_methods_stopped() -> None:
    ob = Obligation(rel("log(1 + x^2) <= x^2 + 1"))
    advice = next_steps(ob, ["the claim at x = 1 was not proved"])
    assert advice[0].startswith(NEXT + "the checker got part of the way")
    assert "log_one_add_le" in advice[1]


def test_advice_never_changes_a_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    ob = Obligation(rel("KL[p, q] >= 0"))
    refuted = Verdict(Status.REFUTED, "z3", "z3 model",
                      Counterexample((("KL[p, q]", Fraction(-1)),), "-1", "0"))
    advised = portfolio._cite_advised(ob, refuted, "auto")
    assert advised.status is Status.REFUTED and advised.counterexample == refuted.counterexample
    assert advised.notes and advised.notes[0].startswith(NEXT + "this step has the shape of "
                                                         "kl_nonneg")

    def broken(ob: Obligation) -> list[str]:
        raise RuntimeError("a bug in the matcher")

    monkeypatch.setattr("checker.feedback.theorem_steps", broken)
    assert portfolio._cite_advised(ob, refuted, "auto") == refuted
    # a real counterexample (no opaque term) is a false step: no theorem can be cited for it
    real = Verdict(Status.REFUTED, "z3", "z3 model",
                   Counterexample((("x", Fraction(-1)),), "-1", "0"))
    assert portfolio._cite_advised(Obligation(rel("x >= 0")), real, "auto") == real


def test_matching_is_bounded_by_work_and_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    step = rel("CertRadius[g, y, s] >= s/2*(Phi_inv(a) - Phi_inv(b))")
    first = shapes.matches(step)
    assert [m.theorem.id for m in first][:1] == ["cohen_radius"]
    assert shapes.matches(step) == first
    assert shapes.index() == shapes.index()  # built once per library
    monkeypatch.setattr(shapes, "MAX_MATCHES", 0)
    assert shapes.matches(step) == []


@pytest.mark.slow
def test_same_advice_under_another_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the advice must not."""
    code = ("from checker.feedback import theorem_advice\n"
            "from checker.obligations import Obligation, Relation\n"
            "from checker.syntax.parse import parse_claim\n"
            "for t in ['P[|Mean[X, n] - E[X]| >= eps] <= 3*exp(-n*eps^2)',\n"
            "          'p*log(p/q) + (1 - p)*log((1 - p)/(1 - q)) >= 0',\n"
            "          'log(1 + exp(z)) >= max(0, z)', 'KL[a, b] >= 0']:\n"
            "    (a, op, b), = parse_claim(t).relations()\n"
            "    print(theorem_advice(Obligation(Relation(a.value, op, b.value))))\n")
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert outs[0].count("None") == 0


def test_the_cheap_head_filter_never_hides_a_shape() -> None:
    """A theorem whose patterns are not built for a step (``needed_heads``) could not have
    matched it: for every relation of every theorem without vectors, the heads read off the
    statement are among the heads of each shape built from it."""
    lib = default_library()
    for thm in lib.theorems.values():
        needed = shapes.needed_heads(thm)
        if needed is None:
            continue
        for shape in shapes.theorem_shapes(thm, lib):
            assert any(h <= shape.heads for h in needed), (thm.id, shape.heads, needed)
