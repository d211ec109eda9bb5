"""Results -> text for a terminal, or JSON. Decides nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from checker.check import ClaimResult, FileResult, StepResult
from checker.diagnostics import Diagnostic
from checker.obligations import Counterexample, Status, Verdict
from checker.results import SCHEMA_VERSION

KIND_WORDS = {"definition": "let", "fact": "have", "goal": "show", "step": ""}


def _verdict_lines(v: Verdict, indent: str = "    ",
                   claim_names: frozenset[str] | None = None) -> list[str]:
    out: list[str] = []
    cx = v.counterexample
    if cx is not None:
        # the claim's own variables first; the others only make the assumptions hold
        main = [(n, q) for n, q in cx.values if claim_names is None or n in claim_names]
        rest = [(n, q) for n, q in cx.values if claim_names is not None and n not in claim_names]
        values = Counterexample(tuple(main), cx.lhs, cx.rhs).describe()
        if rest:
            others = Counterexample(tuple(rest), "", "").describe()
            values = f"{values} (with {others})" if values else f"with {others}"
        out.append(f"{indent}counterexample: {values}" if values else
                   f"{indent}the claim is false as stated:")
        out.append(f"{indent}  left side  = {cx.lhs}")
        out.append(f"{indent}  right side = {cx.rhs}")
        if any(name.endswith("]") for name, _ in main):
            out.append(f"{indent}  (terms like P[...] are unknowns the checker knows only through "
                       "cited theorems: these values fit everything cited, so the step does not "
                       "follow from it)")
    # what to do with a plausible or unknown step (checker.feedback.next_steps)
    out += [f"{indent}{note}" for note in v.notes if note.startswith("next: ")]
    return out


def step_line(path: str, s: StepResult, show_parsed: bool = False) -> str:
    v = s.verdict
    what = s.text if len(s.text) <= 60 else s.text[:57] + "..."
    detail = v.engine + (f": {v.reason}" if v.reason else "")
    head = f"{path}:{s.line}: {v.label if v.status is not Status.UNKNOWN else 'unknown'}"
    lines = [f"{head}  {what}  [{detail}]"]
    if show_parsed and s.shown:
        lines.insert(0, f"{path}:{s.line}: read as: {s.shown}")
    lines += _verdict_lines(v, claim_names=s.claim.free_names if s.claim else None)
    return "\n".join(lines)


def file_text(result: FileResult, show_parsed: bool = False) -> str:
    out = [d.format() for d in result.diagnostics]
    for s in sorted(result.steps, key=lambda s: (s.line, s.col, s.kind == "exercise")):
        if s.kind == "assumption" and s.verdict.status is Status.PROVED and not show_parsed:
            continue  # a given line that the exercise's givens imply: nothing to say
        out.append(step_line(result.path, s, show_parsed))
    for line, text in result.notes:
        out.append(f"{result.path}:{line}: note: {text}")
    a = result.assessment
    if a is not None:
        for d in a.findings:
            out.append(d.format())
        for line, text in a.feedback:
            out.append(f"{result.path}:{line}: note: {text}")
        for hint in a.hints:
            out.append(f"{result.path}: hint: {hint}")
        variant = f", variant seed {a.seed}" if a.seed is not None else ""
        out.append(f"{result.path}: exercise {a.exercise}{variant}: {a.summary}; "
                   f"score {a.score:g}/{a.max_score:g}")
    out.append(summary_line(result))
    return "\n".join(out)


def summary_line(result: FileResult) -> str:
    if result.blocked:
        errors = sum(d.severity == "error" for d in result.diagnostics)
        return f"{result.path}: not checked: {errors} error{'s' if errors != 1 else ''}"
    c = result.counts()
    total = len(result.steps)
    return (f"{result.path}: {total} checked: {c['proved']} proved, {c['refuted']} refuted, "
            f"{c['plausible']} plausible, {c['unknown']} unknown")


def files_json(results: Sequence[FileResult]) -> str:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "files": [r.to_json() for r in results],
        "exit_code": max((r.exit_code for r in results), default=0),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def claim_text(result: ClaimResult) -> str:
    v = result.verdict
    out = [f"{v.label}  [{v.engine}{': ' + v.reason if v.reason else ''}]"]
    out += _verdict_lines(v, "  ")
    if v.time_s:
        out.append(f"  time: {v.time_s * 1000:.0f} ms")
    return "\n".join(out)


def claim_json(result: ClaimResult) -> str:
    return json.dumps({"schema_version": SCHEMA_VERSION, **result.to_json()}, indent=2,
                      ensure_ascii=False)


def claim_errors_json(diagnostics: Sequence[Diagnostic]) -> str:
    """``proofcheck claim --format json`` when the claim cannot be read."""
    return json.dumps({"schema_version": SCHEMA_VERSION, "verdict": None,
                       "errors": [d.to_json() for d in diagnostics]}, ensure_ascii=False)
