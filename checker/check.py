"""The driver: parse -> elaborate -> check -> results. It only sequences the stages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.diagnostics import Diagnostic, ParseError
from checker.elaborate import IMPLIES, Elaborator, Task
from checker.engines import portfolio
from checker.library.theorems import Library, default_library

if TYPE_CHECKING:
    from checker.exercises import Exercise
from checker.obligations import FLIP, Counterexample, Obligation, Relation, Status, Verdict
from checker.printing import show
from checker.proofgraph import ProofGraph
from checker.results import ORDER as _ORDER
from checker.results import Assessment, ClaimResult, FileResult, StepResult
from checker.syntax.ast import (
    NO_JUSTIFICATION,
    Declaration,
    Given,
    Have,
    ProofFile,
    RelChain,
    Span,
)
from checker.syntax.parse import parse_assumptions, parse_claim, parse_file, parse_text

FEEDBACK_BUDGET_S = 0.4
__all__ = ["Assessment", "ClaimResult", "FileResult", "StepResult", "check_claim",
           "check_file", "check_parsed", "check_proof", "check_text", "combine"]


class _Checker:
    """Runs the portfolio over tasks, answering identical obligations once, and settles each
    task's verdict from its own and from those of the tasks it rests on (the proof graph)."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.memo: dict[str, Verdict] = {}
        self.root: dict[int, int] = {}  # a weak task -> the line its weakness comes from
        self.findings: list[tuple[Task, str]] = []  # (task, diagnostic code)

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

    def contradictory(self, ob: Obligation) -> bool:
        """Do the obligation's hypotheses and domains contradict each other (an engine proves
        their conjunction false)? Only a proof counts; a failure to find one says nothing."""
        return self.verdict(ob, "contradiction").status is Status.PROVED  # cached like any

    def task(self, i: int, task: Task, done: list[StepResult]) -> StepResult:
        defs = tuple((f"{d.why}: {d.obligation.claim}", self.verdict(d.obligation))
                     for d in task.definedness)
        side = tuple((f"{d.why}: here {d.obligation.claim}", self.verdict(d.obligation))
                     for d in task.side)
        mode = "numeric" if task.justification.kind == "numeric" else "auto"
        if task.preset is not None:
            main = task.preset
        elif task.goal is not None:
            main = self.reach(task)
        elif task.obligation is None:  # a definition: only its definedness matters
            main = Verdict(Status.PROVED, "definition", "defined wherever the givens hold")
        else:
            main = self.verdict(task.obligation, mode)
        verdict = self.settle(i, task, combine(main, defs, side), defs, mode, done)
        cx = verdict.counterexample
        if cx is not None and verdict.reason.startswith("not defined") \
                and task.obligation is not None:
            # a failed definedness condition: show the step's own sides at the point (often
            # undefined); a failed side condition of a theorem keeps its own two sides
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
                          task.obligation.claim if task.obligation else None, side,
                          tuple(sorted({done[j].line for j in task.rests_on})), task.sides)

    def settle(self, i: int, task: Task, own: Verdict, defs: Sequence[tuple[str, Verdict]],
               mode: str, done: list[StepResult]) -> Verdict:
        """The task's verdict from its own and from what it rests on: proved only when
        everything it rests on is proved; never weaker for citing a fact, never hiding a
        counterexample behind a citation; never licensed by a contradiction."""
        weak = [j for j in task.rests_on if done[j].verdict.status is not Status.PROVED]
        verdict = self.own(task, own, defs, mode, bool(weak))
        if not weak or (verdict.status is Status.PROVED
                         and "proved without what it cites" in verdict.notes):
            return verdict
        j = max(weak, key=lambda j: (_ORDER[done[j].verdict.status], -j))
        dep = done[j]
        root_line = self.root.get(j, dep.line)
        self.root[i] = root_line
        word = dep.verdict.status.value
        if root_line != dep.line:
            word += f" (because of line {root_line})"
        what = {"fact": "the fact", "definition": "the definition",
                "assumption": "the assumption", "goal": "the show"}.get(dep.kind, "the step")
        if verdict.status is Status.REFUTED:  # false on its own: say what it also rests on
            return Verdict(verdict.status, verdict.engine,
                           f"{verdict.reason} (it rests on {what} on line {dep.line}, which is "
                           f"{word})", verdict.counterexample, verdict.samples, verdict.time_s,
                           verdict.notes)
        if verdict.status is Status.UNKNOWN and task.kind != "exercise":
            return verdict  # its own reason says most (e.g. the chain does not reach the goal)
        status = Status.PLAUSIBLE if (dep.verdict.status is Status.PLAUSIBLE
                                      and verdict.status is not Status.UNKNOWN) \
            else Status.UNKNOWN
        if task.kind == "exercise" and dep.kind == "goal":
            return Verdict(status, dep.verdict.engine, dep.verdict.reason,
                           samples=dep.verdict.samples, notes=dep.verdict.notes)
        if task.kind in ("goal", "exercise"):
            reason = f"the goal is not proved: {what} on line {dep.line} is {word}"
        else:
            reason = f"follows from {what} on line {dep.line}, which is {word}"
        return Verdict(status, verdict.engine, reason, samples=dep.verdict.samples,
                       time_s=verdict.time_s)

    def own(self, task: Task, own: Verdict, defs: Sequence[tuple[str, Verdict]], mode: str,
            weak: bool) -> Verdict:
        """The task's own verdict, its citations weighed: checked also without them (bare)
        when they are weak or did not help, and never licensed by a contradiction."""
        if own.status is Status.REFUTED:
            return own
        if task.cited and own.status in (Status.PROVED, Status.UNKNOWN) \
                and self.cites_contradiction(task):
            self.findings.append((task, "contradictory-citation"))
            own = Verdict(Status.UNKNOWN, own.engine,
                          "what this line cites contradicts the givens, so it proves nothing")
        if task.bare is not None and (own.status is not Status.PROVED or weak):
            bare = combine(self.verdict(task.bare, mode), defs)
            if bare.status is Status.PROVED:
                return Verdict(Status.PROVED, bare.engine, bare.reason, None, bare.samples,
                               bare.time_s, (*bare.notes, "proved without what it cites"))
            if bare.status is Status.REFUTED and self.fits(task, bare):
                return Verdict(Status.REFUTED, bare.engine,
                               "false whatever it cites" + (f": {bare.reason}" if bare.reason
                                                            else ""),
                               bare.counterexample, bare.samples, bare.time_s, bare.notes)
            if own.status is not Status.PROVED and (
                    _ORDER[bare.status] < _ORDER[own.status]
                    or (bare.status is own.status is Status.PLAUSIBLE
                        and bare.samples > own.samples)):
                own = bare  # the same evidence without the citation's restriction
        return own

    def cites_contradiction(self, task: Task) -> bool:
        """Does what the line cites contradict the premises (which do not on their own)?"""
        assert task.obligation is not None
        if not self.contradictory(task.obligation):
            return False
        return task.bare is None or not self.contradictory(task.bare)

    def fits(self, task: Task, bare: Verdict) -> bool:
        """Is a counterexample to the claim without its citations a counterexample to the
        claim as cited? Each cited relation must hold at the point: certainly (exact or Arb
        arithmetic); or, where arithmetic cannot decide it (an equality of transcendental
        values), because it is a theorem's conclusion whose hypotheses certainly hold there,
        or a fact that is an identity on the variables' domains. A relation that merely has
        no unknown in it is not enough: a fact derived from P[...] terms can exclude the
        point (``2^20 <= w + 1`` from counting pieces)."""
        from checker.numeric import Undefined, holds_at

        cx = bare.counterexample
        if cx is None or task.bare is None:
            return False
        point = dict(cx.values)

        def holds(rel: Relation) -> bool | None:
            if any(n not in point for n in rel.free_names):
                return None
            try:
                return holds_at(rel, point)
            except (Undefined, ArithmeticError, NotImplementedError, ValueError):
                return False

        for c in task.cited:
            decided = holds(c.relation)
            if decided is True:
                continue
            if decided is False:
                return False
            if c.theorem is not None:
                if not all(holds(h) is True for h in c.conditions):
                    return False
            elif not self.equal(c.relation.lhs, c.relation.rhs, task.bare) \
                    or c.relation.op != "=":
                return False
        return True

    def reach(self, task: Task) -> Verdict:
        """Does the chain's conclusion give the goal? (Its steps are settled by ``settle``.)"""
        assert task.goal is not None
        lhs, op, rhs, start, chain_op, end = task.goal
        how = self.reaches(task, (lhs, op, rhs), (start, chain_op, end))
        if how is None:
            return Verdict(Status.UNKNOWN, "goal",
                           f"the chain shows {show(start)} {chain_op} {show(end)}, which is not "
                           f"the goal {show(lhs)} {op} {show(rhs)}")
        return Verdict(Status.PROVED, "chain", f"the chain of proved steps reaches the goal{how}")

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

    def equal(self, a: Any, b: Any, like: Obligation) -> bool:
        """Is ``a = b`` an identity on the variables' domains in ``like``? (Its hypotheses are
        left out: under a cited fact ``v = beta``, ``v - beta`` would "equal" anything that
        is 0 there, and a milestone would be established by citing it.)"""
        if a == b:
            return True
        claim = Relation(a, "=", b)
        domains = tuple((n, d) for n, d in like.domains if n in claim.free_names)
        return self.verdict(Obligation(claim, domains)).status is Status.PROVED

    def same(self, a: Any, b: Any) -> bool:
        if a == b:
            return True
        v = self.verdict(Obligation(Relation(a, "=", b)))
        return v.status is Status.PROVED


def combine(main: Verdict, defs: Sequence[tuple[str, Verdict]],
            side: Sequence[tuple[str, Verdict]] = ()) -> Verdict:
    """A step's verdict from its claim's, its definedness conditions' and its cited
    theorems' hypotheses' verdicts: proved only when all of them are proved."""
    for why, d in side:
        if d.status is Status.REFUTED:
            what = (f"a citation's argument is undefined: {why.split(': ', 1)[1]} fails"
                    if why.startswith("a citation's argument") else
                    f"a theorem is used outside its hypotheses: {why} fails")
            return Verdict(Status.REFUTED, d.engine, what, d.counterexample, d.samples,
                           main.time_s + d.time_s)
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
                seed: int | None = None, feedback: bool = True) -> FileResult:
    """Check a parsed proof; against ``exercise`` (its givens, goal and rubric) if given.
    ``feedback=False`` skips the feedback notes (missing assumptions), for callers that do
    not show them: they cost more checks than the verdicts."""
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
    contradiction = _contradictory_premises(elaborator, checker, proof)
    if contradiction is not None:
        return FileResult(proof.path, name, (), tuple(sorted(
            [*all_diags, contradiction], key=lambda d: (d.line, d.col))))
    results: list[StepResult] = []
    for i, task in enumerate(tasks):
        results.append(checker.task(i, task, results))
    graph = ProofGraph.of(tasks)
    found = _findings(checker, tasks, proof)
    all_diags = sorted([*all_diags, *found], key=lambda d: (d.line, d.col))
    from checker.assess import assess, step_feedback

    if exercise is not None:
        assessment = assess(exercise, seed, tasks, results, graph,
                            [*elaborator.findings, *found], checker, proof.path)
        return FileResult(proof.path, name, tuple(results), tuple(all_diags), assessment,
                          graph=graph)
    notes = tuple(sorted(set(step_feedback(tasks, results, checker)))) if feedback else ()
    return FileResult(proof.path, name, tuple(results), tuple(all_diags), None, notes, graph)


def _contradictory_premises(elaborator: Elaborator, checker: _Checker,
                            proof: ProofFile) -> Diagnostic | None:
    """An error at the first given line after which the premises contradict each other."""
    from checker.diagnostics import make

    premises = elaborator.premises
    if not premises or not checker.contradictory(premises[-1][1]):
        return None
    span = next(sp for sp, ob in premises if checker.contradictory(ob))
    src = proof.lines[span.line - 1][:200] if 0 < span.line <= len(proof.lines) else ""
    whose = "the exercise's givens" if span.line == 0 else "the givens up to this line"
    return make("contradictory-givens", file=proof.path, line=span.line, col=span.col,
                source=src, whose=whose)


def _findings(checker: _Checker, tasks: list[Task], proof: ProofFile) -> list[Diagnostic]:
    """Errors the checking itself found: cited contradictions, closed goals that are false."""
    from checker.diagnostics import make
    from checker.numeric import Undefined, holds_at

    out: list[Diagnostic] = []

    def at(task: Task, code: str, **fields: Any) -> None:
        line = task.span.line
        src = proof.lines[line - 1][:200] if 0 < line <= len(proof.lines) else ""
        out.append(make(code, file=proof.path, line=line, col=task.span.col, source=src,
                        **fields))

    for task, code in checker.findings:
        at(task, code)
    for task in tasks:
        if task.kind != "goal":
            continue
        if task.goal is not None:
            rel = Relation(task.goal[0], task.goal[1], task.goal[2])
        elif task.obligation is not None:
            rel = task.obligation.claim
        else:
            continue
        if rel.free_names:
            continue
        try:
            false = holds_at(rel, {}) is False
        except (Undefined, ArithmeticError, NotImplementedError):
            false = False
        if false:
            at(task, "false-goal", goal=str(rel))
    return out


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
    return check_parsed(proof, diags, str(path), budget_s, library, exercises, seed, student,
                        standalone)


def check_parsed(proof: ProofFile, diags: list[Diagnostic], path: str, budget_s: float,
                 library: Library | None = None, exercises: Path | None = None,
                 seed: int | None = None, student: str | None = None,
                 standalone: bool = False) -> FileResult:
    """Check a parsed proof against the exercise its header names (as ``check_file`` does;
    ``checker.session.check_document`` uses it for text held in an editor or a web form)."""
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
        if exercise is not None:
            proof, diags = with_exercise_vectors(proof, diags, exercise)
    return check_proof(proof, diags, budget_s, library, exercise, seed)


def with_exercise_vectors(proof: ProofFile, diags: list[Diagnostic],
                          exercise: Exercise) -> tuple[ProofFile, list[Diagnostic]]:
    """The proof read again with the exercise's vectors, matrices and families in force
    (docs/vectors.md), when the exercise declares any: a submission need not repeat the
    exercise's `given w, x in R^d` for `<w, x>` to be read as an inner product."""
    from checker.syntax.parse import shapes_of
    from checker.vectors.build import declared

    shapes = shapes_of(exercise.givens)
    if not shapes or str(proof.path).lower().endswith(".tex") or not proof.lines:
        return proof, diags
    kept = [d for d in diags if d.code in ("unknown-exercise",)]
    with declared(shapes):
        again, more = parse_text("\n".join(proof.lines), proof.path)
    return again, [*more, *kept]


def check_text(text: str, path: str = "<input>",
               budget_s: float = portfolio.DEFAULT_BUDGET_S,
               library: Library | None = None) -> FileResult:
    """Check a proof given as text."""
    try:
        proof, diags = parse_text(text, path)
    except ParseError as exc:
        return FileResult(path, None, (), tuple(exc.diagnostics))
    return check_proof(proof, diags, budget_s, library)


def check_claim(claim: str, assume: Sequence[str] = (),
                budget_s: float = portfolio.DEFAULT_BUDGET_S) -> ClaimResult:
    """Prove or refute one claim under assumptions, e.g.
    ``check_claim("exp(x) >= 1 + x", assume=["x in [-5, 5]"])``.

    Raises ``ParseError`` (a ``CheckerError``) when the claim or an assumption cannot be read.
    """
    from checker.syntax.parse import shapes_of
    from checker.vectors.build import declared

    items: list[Declaration] = []
    for text in assume:  # first: the vectors they declare are in force in the claim
        with declared(shapes_of(items)):
            items += list(parse_assumptions(text))
    with declared(shapes_of(items)):
        rel: RelChain = parse_claim(claim)
    span = Span(1, 1)
    proof = ProofFile("<claim>", None, (Given(tuple(items), True, span),
                                        Have("claim", rel, NO_JUSTIFICATION, span)), (claim,))
    result = check_proof(proof, [], budget_s, feedback=False)  # a ClaimResult has no notes
    if result.blocked:
        raise ParseError([d for d in result.diagnostics if d.severity == "error"])
    steps = result.steps
    worst = max(steps, key=lambda s: _ORDER[s.verdict.status])
    return ClaimResult(claim, worst.verdict, steps)

