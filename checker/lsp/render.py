"""A checked document as the editor shows it: diagnostics with ranges, and hover text per
line. Plain data (dicts of str and int), so that it crosses from the checking process to the
server as it is. Positions here are 0-based lines and code-point columns; the server turns
columns into the client's units (UTF-16 by default) with the text they were computed on.
"""

from __future__ import annotations

import re
from typing import TypedDict

from checker.diagnostics import Diagnostic
from checker.obligations import Status, Verdict
from checker.report import _verdict_lines
from checker.results import FileResult, StepResult
from checker.session import LineReport, by_line

# LSP DiagnosticSeverity
ERROR, WARNING, INFORMATION, HINT = 1, 2, 3, 4
SEVERITY = {Status.REFUTED: ERROR, Status.UNKNOWN: WARNING, Status.PLAUSIBLE: INFORMATION}
SOURCE = "proofcheck"


class Item(TypedDict):
    """One diagnostic: ``line`` 0-based, ``start``/``end`` code-point columns."""

    line: int
    start: int
    end: int
    severity: int
    message: str
    code: str


class Payload(TypedDict):
    lines: list[str]  # the text the check was made on, by line
    diagnostics: list[Item]
    hovers: dict[int, str]  # 0-based line -> Markdown
    summary: str
    elapsed_s: float


def content_span(text: str, col0: int) -> tuple[int, int]:
    """The columns to underline on a line from ``col0`` (0-based): up to the end of its
    content (a ``#`` comment and trailing blanks left out); at least one character where
    the line has any, so that a mark is always visible."""
    body = text.split("#", 1)[0].rstrip()
    end = len(body)
    start = min(max(col0, 0), end)
    if start >= end:  # e.g. "expected an expression after '='" at the end of the line
        if not body:
            stripped = text.rstrip()
            return (0, len(stripped))
        start = max(0, end - 1)
    while start < end and body[start] in " \t":
        start += 1
    return (start, end)


def _line_of(lines: list[str], line1: int) -> str:
    return lines[line1 - 1] if 0 < line1 <= len(lines) else ""


def verdict_text(v: Verdict, claim_names: frozenset[str] | None = None) -> str:
    """A verdict in a few lines: label, engine and reason, then the counterexample with both
    sides evaluated there (as ``proofcheck check`` prints it)."""
    head = v.label if v.status is not Status.UNKNOWN else "unknown"
    detail = v.engine + (f": {v.reason}" if v.reason else "")
    out = [f"{head} [{detail}]"]
    out += _verdict_lines(v, indent="", claim_names=claim_names)
    return "\n".join(out)


def _step_item(s: StepResult, lines: list[str], several: bool) -> Item | None:
    status = s.verdict.status
    if status is Status.PROVED:
        return None
    text = _line_of(lines, s.line)
    start, end = content_span(text, s.col - 1)
    message = verdict_text(s.verdict, s.claim.free_names if s.claim else None)
    if several:
        message = f"{s.text}: {message}"
    return Item(line=max(s.line - 1, 0), start=start, end=end, severity=SEVERITY[status],
                message=message, code=status.value)


# codes about one name or character: only it is underlined (others: the rest of the line)
_TOKEN_CODES = frozenset({"unknown-function", "reserved-name", "undeclared-variable",
                          "wrong-arity", "bad-sum"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _diag_span(d: Diagnostic, text: str) -> tuple[int, int]:
    col0 = d.col - 1
    if d.code == "unknown-exercise":
        m = re.match(r"\s*exercise\s+(\S+)", text)
        if m is not None:
            return m.span(1)
    if d.code == "unexpected-character" and 0 <= col0 < len(text):
        return (col0, col0 + 1)
    if d.code in _TOKEN_CODES:
        m = _NAME.match(text, max(col0, 0))
        if m is not None:
            return m.span()
    return content_span(text, col0)


def _diag_item(d: Diagnostic, lines: list[str]) -> Item:
    text = _line_of(lines, d.line)
    start, end = _diag_span(d, text) if d.line else (0, len(_line_of(lines, 1)))
    message = d.message + "".join(f"\nnote: {n}" for n in d.notes)
    return Item(line=max(d.line - 1, 0), start=start, end=end,
                severity=ERROR if d.severity == "error" else WARNING, message=message,
                code=d.code)


def _fence(text: str) -> str:
    """Student text in a fenced block: shown as typed, never rendered as Markdown."""
    body = text.replace("```", "`\u200b``")
    return f"```text\n{body}\n```"


def hover_text(report: LineReport) -> str:
    parts = [f"**proofcheck**: line {report.line} is **{report.status}**"]
    for s in report.steps:
        v = s.verdict
        section = [f"---\n{_fence(s.text)}"]
        if s.shown:
            section.append(f"read as:\n{_fence(s.shown)}")
        names = s.claim.free_names if s.claim else None
        section.append(f"verdict:\n{_fence(verdict_text(v, names))}")
        conds = [(f"definedness: {why}", d) for why, d in s.definedness] + [
            (f"hypothesis: {why}", d) for why, d in s.side]
        if conds:
            section.append("conditions:\n" + _fence("\n".join(
                f"{d.status.value:9} {why}" for why, d in conds)))
        if s.justification:
            section.append(f"justification:\n{_fence(s.justification)}")
        if s.rests_on:
            section.append("rests on lines " + ", ".join(str(n) for n in s.rests_on))
        parts.append("\n\n".join(section))
    for d in report.diagnostics:
        parts.append(f"---\n{d.severity} [{d.code}]:\n{_fence(d.message)}")
    for note in report.notes:
        parts.append(f"---\nnote:\n{_fence(note)}")
    return "\n\n".join(parts)


def summary(result: FileResult) -> str:
    from checker.report import summary_line

    a = result.assessment
    line = summary_line(result)
    if a is None:
        return line
    variant = f", variant seed {a.seed}" if a.seed is not None else ""
    return f"exercise {a.exercise}{variant}: {a.summary}; score {a.score:g}/{a.max_score:g}"


def payload(result: FileResult, text: str, elapsed_s: float = 0.0) -> Payload:
    """What the editor is sent for a checked document."""
    lines = text.split("\n")
    items: list[Item] = []
    hovers: dict[int, str] = {}
    for n, report in by_line(result).items():
        steps = [s for s in report.steps if not (s.kind == "assumption"
                                                 and s.verdict.status is Status.PROVED)]
        shown: list[StepResult] = []
        for s in steps:  # a `show` and its exercise's goal often say the same: say it once
            v = s.verdict
            if v.status is not Status.PROVED and not any(
                    (o.verdict.status, o.verdict.engine, o.verdict.reason, o.verdict.counterexample)
                    == (v.status, v.engine, v.reason, v.counterexample) for o in shown):
                shown.append(s)
        for s in shown:
            item = _step_item(s, lines, len(shown) > 1)
            if item is not None:
                items.append(item)
        for d in report.diagnostics:
            items.append(_diag_item(d, lines))
        for note in report.notes:
            text_n = _line_of(lines, n)
            start, end = content_span(text_n, 0)
            items.append(Item(line=n - 1, start=start, end=end, severity=HINT,
                              message=note, code="note"))
        hovers[n - 1] = hover_text(report)
    a = result.assessment
    for d in (*result.diagnostics, *(a.findings if a is not None else ())):
        if d.line == 0:
            items.append(_diag_item(d, lines))
    if a is not None:
        at = next((i for i, t in enumerate(lines) if t.lstrip().startswith("exercise")), 0)
        start, end = content_span(lines[at] if at < len(lines) else "", 0)
        items.append(Item(line=at, start=start, end=end, severity=INFORMATION,
                          message=summary(result), code="exercise"))
        extra = "\n\n".join([f"**{summary(result)}**"] + [
            f"hint:\n{_fence(h)}" for h in a.hints])
        hovers[at] = f"{hovers[at]}\n\n---\n{extra}" if at in hovers else extra
    items.sort(key=lambda i: (i["line"], i["start"], i["severity"]))
    return Payload(lines=lines, diagnostics=items, hovers=hovers, summary=summary(result),
                   elapsed_s=elapsed_s)
