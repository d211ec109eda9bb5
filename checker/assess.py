"""Verdicts -> a submission's outcome against its exercise: pass or not, points, feedback.

Runs after checking and never re-parses. The goal itself is checked as the last task (the
exercise's goal must follow from the submission's `show` chain); here come the rubric, the
step-size policy, hints for failing steps, the missing-assumption search and the named
fallacies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import sympy as sp

from checker.diagnostics import Diagnostic, make
from checker.elaborate import ExerciseSetting, Task
from checker.exercises import Exercise, parameter_values
from checker.feedback import fallacies, missing_assumption
from checker.obligations import Status, sym
from checker.proofgraph import ProofGraph
from checker.results import Assessment, StepResult

if TYPE_CHECKING:
    from checker.obligations import Obligation, Verdict


class Verdicts(Protocol):
    """What the assessment may ask of the checker (it never checks anything itself)."""

    def same(self, a: sp.Expr, b: sp.Expr) -> bool: ...

    def quick(self, ob: Obligation) -> Verdict: ...

CHECKED_KINDS = ("step", "fact", "definition", "assumption")


def setting_for(ex: Exercise, seed: int | None) -> ExerciseSetting:
    params = tuple(sorted(parameter_values(ex, seed).items()))
    return ExerciseSetting(ex.id, ex.givens, params, ex.definitions, ex.goal, ex.allowed)


def _lets(ex: Exercise, seed: int | None) -> dict[sp.Symbol, sp.Expr]:
    """The exercise's parameters and definitions, as substitutions."""
    subs: dict[sp.Symbol, sp.Expr] = {sym(n): v for n, v in parameter_values(ex, seed).items()}
    for name, expr in ex.definitions:
        subs[sym(name)] = expr.value.xreplace(subs)
    return subs


def assess(ex: Exercise, seed: int | None, tasks: list[Task], results: list[StepResult],
           graph: ProofGraph, findings: list[Diagnostic], checker: Verdicts,
           path: str) -> Assessment:
    lets = _lets(ex, seed)
    all_findings = list(findings)
    feedback: list[tuple[int, str]] = []
    for task, res in zip(tasks, results, strict=True):
        if (task.kind == "step" and task.justification.kind in ("none", "algebra")
                and res.verdict.status is Status.PROVED):
            growth = task.growth
            if growth > ex.max_step_growth:
                all_findings.append(make("step-too-large", file=path, line=res.line,
                                         col=res.col, growth=growth, limit=ex.max_step_growth))
        if res.verdict.status is not Status.PROVED and task.kind == "step":
            hint = _step_hint(ex, task, checker, lets)
            if hint:
                feedback.append((res.line, f"hint: {hint}"))
    feedback += step_feedback(tasks, results, checker)
    goal = results[-1]
    checked = [r for t, r in zip(tasks, results, strict=True) if t.kind in CHECKED_KINDS]
    proved = sum(r.verdict.status is Status.PROVED for r in checked)
    blocking = [d for d in all_findings if d.severity == "error"]
    passed = goal.verdict.status is Status.PROVED and proved == len(checked) and not blocking
    # step points come only from the steps and facts the goal's proof rests on (see
    # docs/grading.md): lines nothing uses earn nothing and cannot dilute a score either
    support = set(graph.support())
    scored = [r for i, (t, r) in enumerate(zip(tasks, results, strict=True))
              if t.kind in ("step", "fact") and i in support]
    good = sum(r.verdict.status is Status.PROVED for r in scored)
    steps_share = ex.points_steps * (good / len(scored) if scored else 0.0)
    score = round((ex.points_goal if passed else 0.0) + steps_share, 2)
    if passed:
        summary = f"passed: the goal of {ex.id} is proved"
    elif goal.verdict.status is Status.PROVED:
        failing = sorted({r.line for r in checked if r.verdict.status is not Status.PROVED})
        lines = ", ".join(str(n) for n in failing)
        summary = "not passed: " + ("; ".join(d.message for d in blocking) or
                                    f"line{'s' if len(failing) > 1 else ''} {lines} not proved")
    else:
        summary = f"not passed: {goal.verdict.reason or goal.verdict.label}"
    hints = tuple(h.text for h in ex.hints if h.step is None) if not passed else ()
    return Assessment(ex.id, passed, score, ex.max_points, summary, seed,
                      tuple(all_findings), tuple(sorted(set(feedback))), hints)


def step_feedback(tasks: list[Task], results: list[StepResult],
                  checker: Verdicts) -> list[tuple[int, str]]:
    """Named fallacies, and for refuted steps the missing assumption that would fix them."""
    out: list[tuple[int, str]] = []
    for task, res in zip(tasks, results, strict=True):
        if task.kind not in ("step", "fact") or task.obligation is None:
            continue
        if res.verdict.status is not Status.PROVED:
            out += [(res.line, msg) for msg in fallacies(task.raw or task.obligation.claim)]
        if res.verdict.status is Status.REFUTED and not task.side and \
                res.verdict.counterexample is not None and res.verdict.reason.find(
                    "not defined") < 0:
            cx = res.verdict.counterexample
            try:
                tip = missing_assumption(task.obligation, checker.quick, dict(cx.values))
            except Exception:  # feedback is a bonus: it must never cost the verdicts
                tip = None
            if tip:
                out.append((res.line, tip))
    return out


def _step_hint(ex: Exercise, task: Task, checker: Verdicts,
               lets: dict[sp.Symbol, sp.Expr]) -> str | None:
    """The hint attached to the step the student was trying to reach, if one matches."""
    if task.obligation is None:
        return None
    claim = task.obligation.claim
    for hint in ex.hints:
        if hint.step is None:
            continue
        target = hint.step.value.xreplace(lets)
        if checker.same(claim.rhs, target):  # the expression the step arrives at
            return hint.text
    return None
