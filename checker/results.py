"""What checking produces: per-line results, a file's result, an assessment against an
exercise, a claim's result. Data only, with their JSON forms; nothing here decides a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.diagnostics import Diagnostic
from checker.obligations import Relation, Status, Verdict
from checker.printing import decimal
from checker.proofgraph import ProofGraph

ORDER = {Status.PROVED: 0, Status.PLAUSIBLE: 1, Status.UNKNOWN: 2, Status.REFUTED: 3}
# the version of every JSON output's shape (docs/schema/result.schema.json, docs/reports.md):
# raised when a field changes meaning or goes away; new fields may come within a version
SCHEMA_VERSION = 1


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
    rests_on: tuple[int, ...] = ()  # the lines this item directly rests on
    sides: tuple[str, str] | None = None  # the left and right sides as written

    @property
    def whole_text(self) -> str:
        """The whole step: a chain step's ``text`` is only what follows its left side
        (``= b``); this puts the left side back (``a = b``)."""
        if self.kind == "step" and self.sides is not None:
            return f"{self.sides[0]} {self.op} {self.sides[1]}"
        return self.text

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "col": self.col,
            "kind": self.kind,
            "text": self.whole_text,
            "lhs": None if self.sides is None else self.sides[0],
            "rhs": None if self.sides is None else self.sides[1],
            "relation": self.op,
            "justification": self.justification,
            **_verdict_json(self.verdict),
            "definedness": _conditions_json(self.definedness),
            "side_obligations": _conditions_json(self.side),
            "rests_on_lines": list(self.rests_on),
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
        # both sides evaluated at the counterexample (a step's own "lhs"/"rhs" are its sides)
        "counterexample_sides": None if cx is None else {"lhs": cx.lhs, "rhs": cx.rhs},
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
    milestones: tuple[tuple[str, bool], ...] = ()  # (relation, established?)
    required: tuple[tuple[str, bool], ...] = ()  # (theorems, cited?)

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
            "milestones": [{"relation": m, "established": ok} for m, ok in self.milestones],
            "required_citations": [{"theorems": r, "cited": ok} for r, ok in self.required],
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
    graph: ProofGraph | None = None  # which item rests on which (indices into ``steps``)

    @property
    def blocked(self) -> bool:
        return any(d.blocking for d in self.diagnostics)

    @property
    def exit_code(self) -> int:
        if self.blocked:
            return 2
        if any(d.severity == "error" for d in self.diagnostics):
            return 1  # e.g. a contradiction found among what a line cites: never accepted
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
            "graph": None if self.graph is None else self.graph.to_json(),
        }


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
