"""The driver: parse -> elaborate -> check -> results. It only sequences the stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.diagnostics import Diagnostic, ParseError
from checker.elaborate import IMPLIES, Elaborator, Task
from checker.engines import portfolio
from checker.library.theorems import Library, default_library

if TYPE_CHECKING:
    from checker.exercises import Exercise
from checker.obligations import FLIP, Counterexample, Obligation, Relation, Status, Verdict
from checker.printing import decimal, show
from checker.syntax.ast import NO_JUSTIFICATION, Given, Have, ProofFile, RelChain, Span
from checker.syntax.parse import parse_assumptions, parse_claim, parse_file, parse_text

FEEDBACK_BUDGET_S = 0.4
_ORDER = {Status.PROVED: 0, Status.PLAUSIBLE: 1, Status.UNKNOWN: 2, Status.REFUTED: 3}


@dataclass(frozen=True)
class StepResult:
    """The verdict on one checked item (a step, a fact, a definition or a goal)."""

    line: int
    col: int
    kind: str
    text: str
    op: str
    justification: str
    verdict: Verdict
    shown: str = ""
    definedness: tuple[tuple[str, Verdict], ...] = ()
    claim: Relation | None = None
    side: tuple[tuple[str, Verdict], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "col": self.col,
            "kind": self.kind,
            "text": self.text,
            "relation": self.op,
            "justification": self.justification,
            **_verdict_json(self.verdict),
            "definedness": _conditions_json(self.definedness),
            "side_obligations": _conditions_json(self.side),
        }


def _verdict_json(v: Verdict, decimals: bool = False) -> dict[str, Any]:
    """A verdict's fields as the JSON outputs show them (values exact, sides as decimals)."""
    cx = v.counterexample
    out: dict[str, Any] = {
        "verdict": v.status.value,
        "label": v.label,
        "engine": v.engine,
        "reason": v.reason,
        "counterexample": None if cx is None else {n: str(q) for n, q in cx.values},
    }
    if decimals:
        out["counterexample_decimal"] = None if cx is None else {
            n: decimal(q) for n, q in cx.values}
    out |= {
        "lhs": None if cx is None else cx.lhs,
        "rhs": None if cx is None else cx.rhs,
        "samples": v.samples,
        "time_s": v.time_s,
        "notes": list(v.notes),
    }
    return out


def _conditions_json(items: Sequence[tuple[str, Verdict]]) -> list[dict[str, Any]]:
    return [{"condition": why, "verdict": d.status.value, "engine": d.engine,
             "reason": d.reason} for why, d in items]


@dataclass(frozen=True)
class Assessment:
    """A submission judged against its exercise: pass or not, points, and feedback."""

    exercise: str
    passed: bool
    score: float
    max_score: float
    summary: str
    seed: int | None = None
    findings: tuple[Diagnostic, ...] = ()
    feedback: tuple[tuple[int, str], ...] = ()  # (line, text), in line order
    hints: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "summary": self.summary,
            "seed": self.seed,
            "findings": [d.to_json() for d in self.findings],
            "feedback": [{"line": line, "text": text} for line, text in self.feedback],
            "hints": list(self.hints),
        }


@dataclass(frozen=True)
class FileResult:
    """Everything ``proofcheck check`` says about one file."""

    path: str
    exercise: str | None
    steps: tuple[StepResult, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    assessment: Assessment | None = None
    notes: tuple[tuple[int, str], ...] = ()  # feedback (line, text) when not graded

    @property
    def blocked(self) -> bool:
        return any(d.blocking for d in self.diagnostics)

    @property
    def exit_code(self) -> int:
        if self.blocked:
            return 2
        if self.assessment is not None:
            return 0 if self.assessment.passed else 1
        return 0 if all(s.verdict.status is Status.PROVED for s in self.steps) else 1

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for step in self.steps:
            out[step.verdict.status.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "exercise": self.exercise,
            "exit_code": self.exit_code,
            "summary": self.counts(),
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "steps": [s.to_json() for s in self.steps],
            "assessment": None if self.assessment is None else self.assessment.to_json(),
            "notes": [{"line": line, "text": text} for line, text in self.notes],
        }


class _Checker:
    """Runs the portfolio over tasks, answering identical obligations once."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.memo: dict[str, Verdict] = {}

    def verdict(self, ob: Obligation, mode: str = "auto") -> Verdict:
        key = mode + "\n" + ob.key()
        if key not in self.memo:
            self.memo[key] = portfolio.check(ob, self.budget_s, mode)
        return self.memo[key]

    def quick(self, ob: Obligation) -> Verdict:
        """A verdict on a small budget (for feedback searches, not for grading)."""
        key = "quick\n" + ob.key()
        if key not in self.memo:
            self.memo[key] = portfolio.check(ob, min(self.budget_s, FEEDBACK_BUDGET_S))
        return self.memo[key]

    def task(self, task: Task, done: list[StepResult], done_tasks: list[Task]) -> StepResult:
        defs = tuple((f"{d.why}: {d.obligation.claim}", self.verdict(d.obligation))
                     for d in task.definedness)
        side = tuple((f"{d.why}: here {d.obligation.claim}", self.verdict(d.obligation))
                     for d in task.side)
        if task.preset is not None:
            main = task.preset
        elif task.goal is not None:
            main = self.goal(task, [done[i] for i in _closure(task.depends_on, done_tasks)])
        elif task.obligation is None:  # a definition: only its definedness matters
            main = Verdict(Status.PROVED, "definition", "defined wherever the givens hold")
        else:
            mode = "numeric" if task.justification.kind == "numeric" else "auto"
            main = self.verdict(task.obligation, mode)
        verdict = combine(main, defs, side)
        cx = verdict.counterexample
        if cx is not None and verdict is not main and task.obligation is not None:
            # a failed condition: show the step's own sides at the point (often undefined)
            from checker.numeric import decimal_of

            point = dict(cx.values)
            claim = task.obligation.claim
            if all(n in point for n in claim.free_names):
                cx = Counterexample(cx.values, decimal_of(claim.lhs, point),
                                    decimal_of(claim.rhs, point))
                verdict = Verdict(verdict.status, verdict.engine, verdict.reason, cx,
                                  verdict.samples, verdict.time_s, verdict.notes)
        return StepResult(task.span.line, task.span.col, task.kind, task.text, task.op,
                          task.justification.describe(), verdict, task.shown, defs,
                          task.obligation.claim if task.obligation else None, side)

    def goal(self, task: Task, steps: list[StepResult]) -> Verdict:
        assert task.goal is not None
        lhs, op, rhs, start, chain_op, end = task.goal
        how = self.reaches(task, (lhs, op, rhs), (start, chain_op, end))
        if how is None:
            return Verdict(Status.UNKNOWN, "goal",
                           f"the chain shows {show(start)} {chain_op} {show(end)}, which is not "
                           f"the goal {show(lhs)} {op} {show(rhs)}")
        worst = max(steps, key=lambda s: _ORDER[s.verdict.status], default=None)
        if worst is None or worst.verdict.status is Status.PROVED:
            return Verdict(Status.PROVED, "chain",
                           f"the chain of proved steps reaches the goal{how}")
        status = Status.PLAUSIBLE if worst.verdict.status is Status.PLAUSIBLE else Status.UNKNOWN
        what = "the fact it uses" if worst.kind == "fact" else "the step"
        return Verdict(status, "chain",
                       f"the chain reaches the goal, but {what} on line {worst.line} is "
                       f"{worst.verdict.status.value}", samples=worst.verdict.samples)

    def reaches(self, task: Task, goal: tuple[Any, str, Any],
                chain: tuple[Any, str, Any]) -> str | None:
        """How the chain's conclusion gives the goal ("" when it is the goal up to algebra,
        a note when it is a stronger claim), or None when it does not."""
        lhs, op, rhs = goal
        for a, cop, b in (chain, (chain[2], FLIP[chain[1]], chain[0])):
            if op in IMPLIES[cop] and self.same(a, lhs) and self.same(b, rhs):
                return ""
            if task.kind != "exercise" or task.context is None or op in ("=", "!="):
                continue
            up = op in ("<", "<=")
            if cop != "=" and (cop in ("<", "<=")) != up:
                continue
            strict_needed = op in ("<", ">") and cop not in ("<", ">")
            link = ("<" if up else ">") if strict_needed else ("<=" if up else ">=")
            if self.same(a, lhs):
                extra = Relation(b, link, rhs)
            elif self.same(b, rhs):
                extra = Relation(lhs, link, a)
            else:
                continue
            if self.verdict(task.context(extra)).status is Status.PROVED:
                return f" (it shows the stronger claim {show(a)} {cop} {show(b)}, and {extra})"
        return None

    def same(self, a: Any, b: Any) -> bool:
        if a == b:
            return True
        v = self.verdict(Obligation(Relation(a, "=", b)))
        return v.status is Status.PROVED


def _closure(start: list[int], tasks: list[Task]) -> list[int]:
    """The tasks a goal rests on: its steps and, transitively, the facts they cite."""
    seen: list[int] = []
    todo = list(start)
    while todo:
        i = todo.pop(0)
        if i not in seen:
            seen.append(i)
            todo += tasks[i].depends_on
    return sorted(seen)


def combine(main: Verdict, defs: Sequence[tuple[str, Verdict]],
            side: Sequence[tuple[str, Verdict]] = ()) -> Verdict:
    """A step's verdict from its claim's, its definedness conditions' and its cited
    theorems' hypotheses' verdicts: proved only when all of them are proved."""
    for why, d in side:
        if d.status is Status.REFUTED:
            return Verdict(Status.REFUTED, d.engine,
                           f"a theorem is used outside its hypotheses: {why} fails",
                           d.counterexample, d.samples, main.time_s + d.time_s)
    if main.status is Status.REFUTED:
        return main  # a point where both sides are defined and the relation fails says most
    for why, d in defs:
        if d.status is Status.REFUTED:
            return Verdict(Status.REFUTED, d.engine, f"not defined everywhere: {why} fails",
                           d.counterexample, d.samples, main.time_s + d.time_s)
    if main.status is not Status.PROVED:
        return main
    pending = [("it is not shown that " + why, d) for why, d in defs] + [
        ("a cited theorem's hypothesis is not shown: " + why, d) for why, d in side]
    for why, d in sorted(pending, key=lambda wd: -_ORDER[wd[1].status]):
        if d.status is not Status.PROVED:
            return Verdict(d.status, main.engine, f"the relation holds, but {why} ({d.label})",
                           samples=d.samples, time_s=main.time_s)
    return main


def check_proof(proof: ProofFile, diags: list[Diagnostic], budget_s: float,
                library: Library | None = None, exercise: Exercise | None = None,
                seed: int | None = None) -> FileResult:
    """Check a parsed proof; against ``exercise`` (its givens, goal and rubric) if given."""
    name = proof.header.exercise if proof.header else None
    if any(d.blocking for d in diags):
        return FileResult(proof.path, name, (), tuple(diags))
    lib = library if library is not None else default_library()
    setting = None
    if exercise is not None:
        from checker.assess import setting_for

        setting = setting_for(exercise, seed)
    elaborator = Elaborator(proof, lib, setting)
    tasks, more = elaborator.run()
    all_diags = sorted([*diags, *more], key=lambda d: (d.line, d.col))
    if any(d.blocking for d in more):
        return FileResult(proof.path, name, (), tuple(all_diags))
    checker = _Checker(budget_s)
    results: list[StepResult] = []
    for task in tasks:
        results.append(checker.task(task, results, tasks))
    from checker.assess import assess, step_feedback

    if exercise is not None:
        assessment = assess(exercise, seed, tasks, results, elaborator.findings, checker,
                            proof.path)
        return FileResult(proof.path, name, tuple(results), tuple(all_diags), assessment)
    notes = tuple(sorted(set(step_feedback(tasks, results, checker))))
    return FileResult(proof.path, name, tuple(results), tuple(all_diags), None, notes)


def check_file(path: str | Path, budget_s: float = portfolio.DEFAULT_BUDGET_S,
               library: Library | None = None, exercises: Path | None = None,
               seed: int | None = None, student: str | None = None,
               standalone: bool = False) -> FileResult:
    """Check a proof file: the same result ``proofcheck check`` prints. Never raises: an
    internal failure becomes an ``internal-error`` diagnostic for this file only.

    When the file's ``exercise`` line names an exercise of the catalog (``exercises/`` by
    default), the proof is checked against it: its givens, goal, rubric and feedback, for
    the variant ``seed`` (or the one a ``student`` id gets).
    """
    try:
        return _check_file(path, budget_s, library, exercises, seed, student, standalone)
    except Exception as exc:  # one file's failure must not cost the others their results
        from checker.diagnostics import make

        detail = f"{type(exc).__name__}: {exc}"[:200]
        return FileResult(str(path), None, (), (make("internal-error", file=str(path),
                                                     detail=detail),))


def _check_file(path: str | Path, budget_s: float, library: Library | None,
                exercises: Path | None, seed: int | None, student: str | None,
                standalone: bool) -> FileResult:
    try:
        proof, diags = parse_file(path)
    except ParseError as exc:
        return FileResult(str(path), None, (), tuple(exc.diagnostics))
    exercise = None
    if proof.header is not None and not standalone:
        from checker.diagnostics import did_you_mean, make
        from checker.exercises import load_catalog_cached

        catalog = load_catalog_cached(exercises)
        exercise = catalog.exercises.get(proof.header.exercise)
        if exercise is None and catalog.exercises:
            span = proof.header.span
            diags = [*diags, make("unknown-exercise", file=str(path), line=span.line,
                                  col=span.col, name=proof.header.exercise,
                                  suggestion=did_you_mean(proof.header.exercise,
                                                          list(catalog.exercises)))]
        if exercise is not None and student is not None:
            from checker.exercises import seed_for

            seed = seed_for(student, exercise.id)
    return check_proof(proof, diags, budget_s, library, exercise, seed)


def check_text(text: str, path: str = "<input>",
               budget_s: float = portfolio.DEFAULT_BUDGET_S,
               library: Library | None = None) -> FileResult:
    """Check a proof given as text."""
    try:
        proof, diags = parse_text(text, path)
    except ParseError as exc:
        return FileResult(path, None, (), tuple(exc.diagnostics))
    return check_proof(proof, diags, budget_s, library)


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one claim, with the per-relation details."""

    claim: str
    verdict: Verdict
    steps: tuple[StepResult, ...]

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict.status is Status.PROVED else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            **_verdict_json(self.verdict, decimals=True),
            "steps": [s.to_json() for s in self.steps],
        }


def check_claim(claim: str, assume: Sequence[str] = (),
                budget_s: float = portfolio.DEFAULT_BUDGET_S) -> ClaimResult:
    """Prove or refute one claim under assumptions, e.g.
    ``check_claim("exp(x) >= 1 + x", assume=["x in [-5, 5]"])``.

    Raises ``ParseError`` (a ``CheckerError``) when the claim or an assumption cannot be read.
    """
    rel: RelChain = parse_claim(claim)
    items = []
    for text in assume:
        items += list(parse_assumptions(text))
    span = Span(1, 1)
    proof = ProofFile("<claim>", None, (Given(tuple(items), True, span),
                                        Have("claim", rel, NO_JUSTIFICATION, span)), (claim,))
    result = check_proof(proof, [], budget_s)
    if result.blocked:
        raise ParseError([d for d in result.diagnostics if d.severity == "error"])
    steps = result.steps
    worst = max(steps, key=lambda s: _ORDER[s.verdict.status])
    return ClaimResult(claim, worst.verdict, steps)

