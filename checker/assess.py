"""Verdicts -> a submission's outcome against its exercise: pass or not, points, feedback.

Runs after checking and never re-parses. The goal itself is checked as the last task (the
exercise's goal must follow from the submission's `show` chain); here come the rubric, the
step-size policy, hints for failing steps, the missing-assumption search and the named
fallacies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import sympy as sp

from checker.binders import substitute
from checker.diagnostics import Diagnostic, make
from checker.elaborate import ExerciseSetting, Task
from checker.exercises import Exercise, Milestone, Required, parameter_values
from checker.feedback import fallacies, missing_assumption
from checker.obligations import Relation, Status, sym
from checker.proofgraph import ProofGraph
from checker.results import Assessment, StepResult

if TYPE_CHECKING:
    from checker.obligations import Obligation, Verdict


class Verdicts(Protocol):
    """What the assessment may ask of the checker (it never checks anything itself)."""

    def same(self, a: sp.Expr, b: sp.Expr) -> bool: ...

    def equal(self, a: sp.Expr, b: sp.Expr, like: Obligation) -> bool: ...

    def quick(self, ob: Obligation) -> Verdict: ...

CHECKED_KINDS = ("step", "fact", "definition", "assumption")


def setting_for(ex: Exercise, seed: int | None) -> ExerciseSetting:
    params = tuple(sorted(parameter_values(ex, seed).items()))
    return ExerciseSetting(ex.id, ex.givens, params, ex.definitions, ex.goal, ex.allowed,
                           ex.automation)


def _lets(ex: Exercise, seed: int | None) -> dict[sp.Symbol, sp.Expr]:
    """The exercise's parameters and definitions, as substitutions (``substitute``: never
    into a sum's own variable)."""
    subs: dict[sp.Symbol, sp.Expr] = {sym(n): v for n, v in parameter_values(ex, seed).items()}
    for name, expr in ex.definitions:
        subs[sym(name)] = substitute(expr.value, subs)
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
            if hint and not _suggests(hint, {r.name for r in task.justification.refs}):
                feedback.append((res.line, f"hint: {hint}"))
    feedback += step_feedback(tasks, results, checker)
    goal = results[-1]
    checked = [r for t, r in zip(tasks, results, strict=True) if t.kind in CHECKED_KINDS]
    proved = sum(r.verdict.status is Status.PROVED for r in checked)
    blocking = [d for d in all_findings if d.severity == "error"]
    support = set(graph.support())
    shown = [_established(m, tasks, results, checker, lets) for m in ex.milestones]
    cited = [_cites(r, tasks, results, support) for r in ex.required]
    missing = [f"milestone `{m.text}` is not established"
               for m, ok in zip(ex.milestones, shown, strict=True) if not ok]
    missing += ["the proof of the goal cites none of " + ", ".join(r.theorems)
                if len(r.theorems) > 1 else f"the proof of the goal does not cite {r.theorems[0]}"
                for r, ok in zip(ex.required, cited, strict=True) if not ok]
    passed = (goal.verdict.status is Status.PROVED and proved == len(checked) and not blocking
              and not missing)
    # step points come only from the steps and facts the goal's proof rests on (see
    # docs/grading.md): lines nothing uses earn nothing and cannot dilute a score either; and
    # in proportion to the milestones and required citations shown (exercise-format.md)
    scored = [r for i, (t, r) in enumerate(zip(tasks, results, strict=True))
              if t.kind in ("step", "fact") and i in support]
    good = sum(r.verdict.status is Status.PROVED for r in scored)
    gates = len(shown) + len(cited)
    shown_share = (sum(shown) + sum(cited)) / gates if gates else 1.0
    steps_share = ex.points_steps * (good / len(scored) if scored else 0.0) * shown_share
    milestone_points = sum(m.points for m, ok in zip(ex.milestones, shown, strict=True) if ok)
    score = round((ex.points_goal if passed else 0.0) + milestone_points + steps_share, 2)
    line = goal.line if goal.line > 0 else 1
    for m, ok in zip(ex.milestones, shown, strict=True):
        if not ok:
            feedback.append((line, f"milestone not established: {m.text}"
                             + (f" (hint: {m.hint})" if m.hint else "")))
    for r, ok in zip(ex.required, cited, strict=True):
        if not ok:
            feedback.append((line, "this exercise is about citing "
                             + " or ".join(r.theorems) + (f": {r.why}" if r.why else "")))
    if passed:
        summary = f"passed: the goal of {ex.id} is proved"
    elif goal.verdict.status is Status.PROVED:
        failing = sorted({r.line for r in checked if r.verdict.status is not Status.PROVED})
        lines = ", ".join(str(n) for n in failing)
        reasons = [d.message for d in blocking] + missing
        if failing:
            reasons.append(f"line{'s' if len(failing) > 1 else ''} {lines} not proved")
        summary = "not passed: the goal is reached, but " + "; ".join(reasons)
    else:
        summary = f"not passed: {goal.verdict.reason or goal.verdict.label}"
    names = {r.name for t in tasks for r in t.justification.refs}
    hints = tuple(h.text for h in ex.hints if h.step is None
                  and not _suggests(h.text, names)) if not passed else ()
    seed = seed if ex.parameters else None  # a variant seed means nothing without variants
    return Assessment(ex.id, passed, score, ex.max_points, summary, seed,
                      tuple(all_findings), tuple(sorted(set(feedback))), hints,
                      tuple(zip((m.text for m in ex.milestones), shown, strict=True)),
                      tuple(zip((" or ".join(r.theorems) for r in ex.required), cited,
                                strict=True)))


def _suggests(hint: str, cited: set[str]) -> bool:
    """Does the hint point at a theorem the submission (or the line) already cites?"""
    return any(f"`{name}`" in hint for name in cited)


def _candidates(tasks: list[Task], results: list[StepResult]) -> list[tuple[Relation, int]]:
    """The relations a submission establishes, as written, with a task that says in what
    context: every proved step and fact, and along each chain the relation between any
    expression and a later one when the steps between are all proved."""
    from checker.elaborate import _compose

    out: list[tuple[Relation, int]] = []
    run: list[int] = []  # the current chain's steps
    for i, t in enumerate(tasks):
        if t.written is None or t.obligation is None or t.kind not in ("step", "fact", "goal"):
            run = []
            continue
        ok = results[i].verdict.status is Status.PROVED
        if ok:
            out.append((t.written, i))
        if t.kind != "step":
            run = []
            continue
        before = tasks[run[-1]].written if run else None
        if before is not None and before.rhs != t.written.lhs:
            run = []  # a new chain starts here
        run = [*run, i] if ok else []
        for a in range(len(run) - 1):
            first = tasks[run[a]].written
            op = _compose([tasks[j].op for j in run[a:]])
            if first is not None and op is not None:
                out.append((Relation(first.lhs, op, t.written.rhs), i))
    return list(dict.fromkeys(out))


def _established(m: Milestone, tasks: list[Task], results: list[StepResult],
                 checker: Verdicts, lets: dict[sp.Symbol, sp.Expr]) -> bool:
    """Is the milestone shown, as written up to algebra (or in a stronger form)? Compared as
    written, with the exercise's definitions *not* expanded: in an exercise about an identity
    every expression equals every other once they are, and the milestone would mean nothing."""
    from checker.elaborate import IMPLIES, opaque_symbols

    (a, op, b), = m.relation.relations()
    params = {k: v for k, v in lets.items() if v.is_Number}  # a variant's numbers, not formulas

    def plain(e: sp.Expr) -> sp.Expr:  # numbers in, also inside P[...]; then P[...] as names
        out: sp.Expr = opaque_symbols(substitute(e, params))
        return out

    want = Relation(plain(a.value), op, plain(b.value))
    g, gop = want.difference()
    for written, i in _candidates(tasks, results):
        have = Relation(plain(written.lhs), written.op, plain(written.rhs))
        like = tasks[i].obligation
        assert like is not None
        for c in (have, have.flipped()):
            if want.op in IMPLIES[c.op] and _close(c.lhs, want.lhs) and _close(c.rhs, want.rhs) \
                    and checker.equal(c.lhs, want.lhs, like) \
                    and checker.equal(c.rhs, want.rhs, like):
                return True
        # the same difference lhs - rhs (up to sign for = and !=); never through a difference
        # that is 0 as written, or every true identity would establish an identity milestone
        f, fop = have.difference()
        if gop not in IMPLIES[fop] or checker.equal(g, sp.Integer(0), like) \
                or checker.equal(f, sp.Integer(0), like):
            continue
        signs = (g, -g) if gop in ("=", "!=") else (g,)
        if any(_close(f, h) and checker.equal(f, h, like) for h in signs):
            return True
    return False


def _close(a: sp.Expr, b: sp.Expr) -> bool:
    """A cheap filter before a proof of ``a = b``: False only when they certainly differ at
    one of a few fixed points (where both are defined)."""
    from fractions import Fraction

    from checker.numeric import holds_at

    if a == b:
        return True
    names = sorted({s.name for s in a.free_symbols | b.free_symbols})
    for k in (0, 1):
        point = {n: Fraction(3 + 2 * i + k, 7 + k) for i, n in enumerate(names)}
        try:
            if holds_at(Relation(a, "=", b), point) is False:
                return False
        except Exception:  # undefined there, or beyond exact evaluation: no verdict
            continue
    return True


def _cites(req: Required, tasks: list[Task], results: list[StepResult],
           support: set[int]) -> bool:
    """Does a proved line that the goal rests on cite one of the required theorems?"""
    for i in sorted(support):
        t = tasks[i]
        if results[i].verdict.status is Status.PROVED and any(
                r.name in req.theorems for r in t.justification.refs):
            return True
    return False


def step_feedback(tasks: list[Task], results: list[StepResult],
                  checker: Verdicts) -> list[tuple[int, str]]:
    """Named fallacies, and for refuted steps the missing assumption that would fix them,
    only where the slip is the step's own: not after an earlier slip in the same chain or in
    what the step rests on (an assumption that "fixes" a consequence would point the wrong
    way)."""
    out: list[tuple[int, str]] = []
    for i, (task, res) in enumerate(zip(tasks, results, strict=True)):
        if task.kind not in ("step", "fact") or task.obligation is None:
            continue
        if res.verdict.status is not Status.PROVED:
            out += [(res.line, msg) for msg in fallacies(task.raw or task.obligation.claim)]
        earlier = [j for j in task.rests_on if results[j].verdict.status is not Status.PROVED]
        before = tasks[i - 1] if i and task.kind == "step" else None
        if before is not None and before.kind == "step" and before.written is not None \
                and task.written is not None and before.written.rhs == task.written.lhs \
                and results[i - 1].verdict.status is not Status.PROVED:
            earlier.append(i - 1)
        if res.verdict.status is Status.REFUTED and not task.side and not earlier and \
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
        target = substitute(hint.step.value, lets)
        if checker.same(claim.rhs, target):  # the expression the step arrives at
            return hint.text
    return None
