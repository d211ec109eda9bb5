"""Checking a document as it is edited: one call per version of the text, per-line results.

An editor (the playground of ``proofcheck serve``, the language server of ``proofcheck lsp``)
checks the whole text again after every pause in typing. A verdict cache kept across those
checks (the portfolio's ``VerdictCache``: obligations are keyed by their canonical form,
hypotheses included) answers a line whose text and whose dependencies did not change at
once, so only the edited lines and what rests on them are checked again.

The results are those of ``proofcheck check`` on the same text (``check_parsed`` does the
work): a text whose ``exercise`` line names an exercise of the catalog is checked against it.

* ``check_document(text, ...) -> FileResult`` and ``by_line(result)`` (per-line reports);
  ``use_verdict_cache()`` installs a bounded in-memory cache for the whole process.
* ``Session``: the same with its own (counting) cache installed for the duration of each
  check, the per-line reports saying whether a line was checked afresh (``rechecked``), and
  counts of obligations computed and answered from the cache (the playground's workers).

The portfolio's cache and its hard time limit are per process (the limit is enforced only in
the main thread): one check at a time per process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from checker.diagnostics import Diagnostic, ParseError
from checker.engines import portfolio
from checker.obligations import Status, Verdict
from checker.printing import decimal
from checker.results import ORDER, FileResult, StepResult

__all__ = ["BoundedCache", "CountingCache", "DocumentReport", "LineReport", "Session",
           "by_line", "check_document", "claim_key", "use_verdict_cache"]


# ------------------------------------------------------------------------------ caches


class BoundedCache:
    """An LRU in-memory verdict cache of at most ``max_entries`` verdicts (never one that a
    hard time limit decided: it depends on the machine's load)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max(1, max_entries)
        self.verdicts: OrderedDict[str, Verdict] = OrderedDict()

    def get(self, key: str) -> Verdict | None:
        found = self.verdicts.get(key)
        if found is not None:
            self.verdicts.move_to_end(key)
        return found

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.time_limited:
            return
        self.verdicts[key] = verdict
        self.verdicts.move_to_end(key)
        while len(self.verdicts) > self.max_entries:
            self.verdicts.popitem(last=False)

    def __len__(self) -> int:
        return len(self.verdicts)


def use_verdict_cache(max_entries: int = 50_000) -> BoundedCache:
    """Install a ``BoundedCache`` as the portfolio's cache for this whole process."""
    cache = BoundedCache(max_entries)
    portfolio.set_cache(cache)
    return cache


def claim_key(lhs: sp.Expr, op: str, rhs: sp.Expr) -> str:
    """The part of a portfolio cache key that names the claim (``Obligation.key``'s first
    three lines), so that a computed obligation can be traced back to the line it checks."""
    return f"{sp.srepr(lhs)}\n{op}\n{sp.srepr(rhs)}"


class CountingCache:
    """A portfolio ``VerdictCache`` in front of another one (a ``BoundedCache`` by default):
    counts hits and computed verdicts and remembers which claims were computed since
    ``reset``."""

    def __init__(self, backing: portfolio.VerdictCache | None = None) -> None:
        self.backing: portfolio.VerdictCache = backing if backing is not None \
            else BoundedCache()
        self.reset()

    def reset(self) -> None:
        self.hits = 0
        self.computed = 0
        self.computed_claims: set[str] = set()

    def get(self, key: str) -> Verdict | None:
        found = self.backing.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: str, verdict: Verdict) -> None:
        self.computed += 1
        parts = key.split("\n", 6)  # version, mode, budget, then Obligation.key()
        if len(parts) >= 6:
            self.computed_claims.add("\n".join(parts[3:6]))
        if not verdict.time_limited:  # a hard time limit depends on the load: never kept
            self.backing.put(key, verdict)


# ------------------------------------------------------------------------------ checking


def check_document(text: str, path: str = "<document>", *,
                   budget_s: float = portfolio.DEFAULT_BUDGET_S,
                   exercises: Path | None = None, seed: int | None = None,
                   student: str | None = None, standalone: bool = False) -> FileResult:
    """``check_file`` for text held in memory. Never raises: a bad text gets diagnostics, an
    internal failure an ``internal-error`` diagnostic."""
    from checker.check import check_parsed
    from checker.diagnostics import make
    from checker.syntax.parse import parse_text

    try:
        try:
            proof, diags = parse_text(text, path)
        except ParseError as exc:
            return FileResult(path, None, (), tuple(exc.diagnostics))
        return check_parsed(proof, diags, path, budget_s, None, exercises, seed, student,
                            standalone)
    except Exception as exc:  # one document's failure must not end the editor's session
        detail = f"{type(exc).__name__}: {exc}"[:200]
        return FileResult(path, None, (), (make("internal-error", file=path, detail=detail),))


class Session:
    """Checks successive versions of documents, sharing one verdict cache between them.

    ``exercises``: where exercises live (default: the shipped ``exercises/``); ``cache``: the
    verdict cache behind the session's counting one (default: a ``BoundedCache``)."""

    def __init__(self, exercises: Path | None = None,
                 budget_s: float = portfolio.DEFAULT_BUDGET_S,
                 cache: portfolio.VerdictCache | None = None) -> None:
        self.exercises = exercises
        self.budget_s = budget_s
        self.cache = CountingCache(cache)

    def check(self, text: str, path: str = "<document>", seed: int | None = None,
              standalone: bool = False) -> DocumentReport:
        """Check one version of a document with the session's cache (see ``check_document``)."""
        start = time.perf_counter()
        self.cache.reset()
        previous = portfolio._cache
        portfolio.set_cache(self.cache)
        try:
            result = check_document(text, path, budget_s=self.budget_s,
                                    exercises=self.exercises, seed=seed, standalone=standalone)
        finally:
            portfolio.set_cache(previous)
        stats = {"computed": self.cache.computed, "cached": self.cache.hits,
                 "time_s": round(time.perf_counter() - start, 3)}
        return DocumentReport(result, by_line(result, self.cache.computed_claims),
                              stats)


# ------------------------------------------------------------------------------ per line


@dataclass(frozen=True)
class LineReport:
    """What one line of the document got. ``status`` is the worst of its items' verdicts
    ("refuted", "unknown", "plausible", "proved"), or "error" / "warning" for a line with
    only diagnostics, or "error" for a proved line with an error diagnostic (a citation that
    is not allowed). A line may hold several items: a `given` line's declarations, a `show`
    line's goal and the exercise's goal; ``steps`` are in worst-first order."""

    line: int
    status: str
    steps: tuple[StepResult, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()  # feedback and hints for this line
    rechecked: bool = False  # some item was checked afresh, not answered from the cache

    @property
    def worst(self) -> Verdict | None:
        return self.steps[0].verdict if self.steps else None

    def to_json(self) -> dict[str, Any]:
        v = self.worst
        cx = v.counterexample if v is not None else None
        errors = [d for d in self.diagnostics if d.severity == "error"]
        label = v.label if v is not None else ""
        if self.status in ("error", "warning") and self.diagnostics:
            label = (errors or list(self.diagnostics))[0].message
        return {
            "line": self.line,
            "status": self.status,
            "label": label,
            "engine": v.engine if v is not None else "",
            "reason": v.reason if v is not None else "",
            "read_as": [s.shown for s in self.steps if s.shown],
            "counterexample": None if cx is None else [
                {"name": n, "value": str(q), "decimal": decimal(q)} for n, q in cx.values],
            "lhs": None if cx is None else cx.lhs,
            "rhs": None if cx is None else cx.rhs,
            "notes": list(self.notes),
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "items": [{"kind": s.kind, "text": s.text, "read_as": s.shown,
                       "verdict": s.verdict.status.value, "label": s.verdict.label,
                       "engine": s.verdict.engine, "reason": s.verdict.reason}
                      for s in self.steps],
            "rechecked": self.rechecked,
        }


def by_line(result: FileResult, computed: Iterable[str] = ()) -> dict[int, LineReport]:
    """A file's results grouped by 1-based line (line 0, the exercise's own items, is left
    out). ``computed``: ``claim_key``s of obligations checked afresh (``CountingCache``)."""
    computed = set(computed)
    a = result.assessment
    diags = [*result.diagnostics, *(a.findings if a is not None else ())]
    notes: dict[int, list[str]] = {}
    for n, text in [*result.notes, *(a.feedback if a is not None else ())]:
        notes.setdefault(n, []).append(text)
    steps: dict[int, list[StepResult]] = {}
    for s in result.steps:
        if s.line > 0:
            steps.setdefault(s.line, []).append(s)
    diag_lines: dict[int, list[Diagnostic]] = {}
    for d in diags:
        if d.line > 0:
            diag_lines.setdefault(d.line, []).append(d)
    lines: dict[int, LineReport] = {}
    for n in sorted(set(steps) | set(diag_lines) | set(notes)):
        items = tuple(sorted(steps.get(n, []), key=lambda s: -ORDER[s.verdict.status]))
        here = tuple(diag_lines.get(n, ()))
        error = any(d.severity == "error" for d in here)
        if items and not (error and items[0].verdict.status is Status.PROVED):
            status = items[0].verdict.status.value
        else:
            status = "error" if error else "warning" if here else (
                items[0].verdict.status.value if items else "warning")
        rechecked = any(s.claim is not None
                        and claim_key(s.claim.lhs, s.claim.op, s.claim.rhs) in computed
                        for s in items)
        lines[n] = LineReport(n, status, items, here, tuple(notes.get(n, ())), rechecked)
    return lines


@dataclass(frozen=True)
class DocumentReport:
    """One check of one version of a document (``Session.check``)."""

    result: FileResult
    lines: dict[int, LineReport]  # by 1-based line number; only lines with something to say
    stats: dict[str, float] = field(default_factory=dict)  # obligations computed / cached, time

    def to_json(self) -> dict[str, Any]:
        r = self.result
        a = r.assessment
        return {
            "exercise": r.exercise,
            "blocked": r.blocked,
            "exit_code": r.exit_code,
            "summary": r.counts(),
            "lines": [self.lines[n].to_json() for n in sorted(self.lines)],
            "diagnostics": [d.to_json() for d in (*r.diagnostics,
                                                 *(a.findings if a is not None else ()))],
            "assessment": None if a is None else a.to_json(),
            "notes": [{"line": n, "text": t} for n, t in r.notes],
            "stats": dict(self.stats),
        }
