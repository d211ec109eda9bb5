"""Every diagnostic code, its message text, and the one exception root.

Codes are public and stable: never reuse or rename one (keep an alias instead). Each code has
a category, a one-line description (``docs/diagnostics.md`` has a wrong and a right example
for each), and the message template that checkers fill in with ``make(code, ...)``. Message
texts live here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Code:
    name: str
    category: str
    severity: str  # "error" or "warning"
    description: str
    template: str


_CODES = [
    # -- input limits (checked before anything is evaluated)
    Code("file-too-large", "limit", "error", "The file is larger than the limit.",
         "the file is {size} bytes; proof files are limited to {limit} bytes"),
    Code("not-text", "limit", "error", "The file is not UTF-8 text.",
         "the file is not UTF-8 text ({detail})"),
    Code("line-too-long", "limit", "error", "A line is longer than the limit.",
         "this line is {length} characters long; lines are limited to {limit}"),
    Code("nesting-too-deep", "limit", "error", "Brackets or operators nest deeper than the limit.",
         "expression nested {depth} levels deep; the limit is {limit}"),
    Code("number-too-long", "limit", "error", "A number literal has too many digits.",
         "this number has {digits} digits; numbers are limited to {limit} digits"),
    Code("exponent-too-large", "limit", "error",
         "A power (or scientific exponent) would make a number or degree too large.",
         "{what} is too large to work with: {detail}"),
    Code("argument-too-large", "limit", "error",
         "factorial, binomial or a sum is asked for a value too large to compute.",
         "{function}({args}) is too large to compute: {detail}"),
    Code("expression-too-large", "limit", "error", "An expression has too many parts.",
         "this expression has {nodes} parts; the limit is {limit}"),
    Code("too-many-errors", "limit", "error", "Reading stopped after too many errors.",
         "stopped reading after {limit} errors; fix these first"),
    # -- syntax
    Code("syntax", "syntax", "error", "The line does not follow the language's grammar.",
         "{detail}"),
    Code("unexpected-character", "syntax", "error", "A character the language does not use.",
         "unexpected character {char!r}{hint}"),
    Code("missing-operator", "syntax", "error",
         "Two expressions stand side by side with no operator between them.",
         "missing an operator between {left!r} and {right!r} (write {left}*{right}?)"),
    Code("expected-expression", "syntax", "error", "An operator or relation has nothing after it.",
         "expected an expression after {after!r}"),
    Code("unbalanced-brackets", "syntax", "error", "A bracket is never closed or never opened.",
         "{detail}"),
    # -- LaTeX input ($...$ in a proof, .tex homework files; docs/latex.md)
    Code("latex-unknown-command", "syntax", "error",
         "A LaTeX command proofcheck does not read.",
         "unknown LaTeX command {name}{suggestion}"),
    Code("latex-macro", "syntax", "error",
         "A TeX macro definition, macro expansion or file command (never run).",
         "{name} is not read: proofcheck reads math only, and never defines or expands "
         "macros, reads or writes files, or runs TeX; write the math out"),
    Code("latex-ambiguous", "syntax", "error",
         "LaTeX that can be read two ways (such as f(x+1) for an undeclared f).",
         "{text} can be read two ways: {first}, or {second}; {fix}"),
    Code("latex-unclosed-math", "syntax", "error", "A `$` with no closing `$` on its line.",
         "this $ is not closed on its line"),
    Code("latex-structure", "structure", "error",
         "A .tex homework whose environments or proofcheck commands cannot be read.",
         "{detail}"),
    Code("latex-macro-ignored", "structure", "warning",
         "A macro definition in a .tex preamble: proofcheck does not expand it.",
         "{name} is ignored: proofcheck does not expand macros, so math that uses this one "
         "is refused; write it out in the derivations"),
    # -- names and functions
    Code("unknown-function", "name", "error", "A call of a function the language does not know.",
         "unknown function {name!r}{suggestion}"),
    Code("wrong-arity", "name", "error", "A function called with the wrong number of arguments.",
         "{name} takes {expected}, but {given} given"),
    Code("reserved-name", "name", "error", "A constant or keyword used as a variable name.",
         "{name!r} is reserved ({why}) and cannot be {use}"),
    Code("division-by-zero", "name", "error", "A literal division by zero.",
         "division by zero"),
    Code("bad-sum", "name", "error", "A malformed finite sum.",
         "sum(k, a, b, expr) needs a variable name as its first argument; got {got!r}"),
    # -- vectors, matrices and families (docs/vectors.md)
    Code("shape-mismatch", "vector", "error",
         "Vectors or matrices combined with shapes that do not fit.",
         "shapes do not fit in {what}: {detail}"),
    Code("vector-relation", "vector", "error",
         "An inequality between vectors or matrices.",
         "vectors and matrices can only be compared with = or !=, not {op!r}; compare norms "
         "or coordinates (||x||_2 <= r, x_1 <= y_1)"),
    Code("bad-dimension", "vector", "error", "A dimension that is not a whole number >= 1.",
         "{dim} is not a dimension: {detail}"),
    Code("dimension-too-large", "limit", "error",
         "A concrete dimension or family length above the limit.",
         "the dimension {dim} is above the limit of {limit}; use a symbolic dimension (d) "
         "instead"),
    Code("bad-index", "vector", "error", "A coordinate outside its vector's range.",
         "{name} is outside {vector}'s coordinates {range}"),
    Code("symbolic-dimension", "vector", "error",
         "An operation that needs a concrete dimension used at a symbolic one.",
         "{what} needs a concrete dimension here ({detail})"),
    Code("not-differentiable", "vector", "error",
         "A derivative or gradient of a function with a kink (abs, max, min, relu).",
         "{what}: {detail}"),
    Code("undeclared-variable", "name", "warning",
         "A variable used without a `given` or `assume` declaring its domain.",
         "{name!r} is not declared; it is taken to be any real number"),
    # -- structure of a proof file
    Code("missing-header", "structure", "warning", "The file has no `exercise ID` line.",
         "the file does not say which exercise it solves (add `exercise ID` as its first line)"),
    Code("empty-proof", "structure", "error", "A file with nothing to check.",
         "the file has no `exercise` line and no statement: nothing to check (is it the "
         "right file?)"),
    Code("duplicate-header", "structure", "error", "More than one `exercise` line.",
         "a second `exercise` line; the first was on line {first}"),
    Code("qed-without-show", "structure", "error", "A `qed` with no open `show`.",
         "`qed` without a `show` before it"),
    Code("show-without-qed", "structure", "error", "A `show` block that is never closed.",
         "this `show` has no `qed`"),
    Code("nested-show", "structure", "error", "A `show` inside another `show` block.",
         "a `show` inside the `show` block opened on line {first}; close it with `qed` first"),
    Code("chain-without-start", "structure", "error",
         "A line starting with a relation sign that continues no chain.",
         "this line continues a chain, but there is no expression above it to start one"),
    Code("redefined-name", "structure", "error", "A name defined twice.",
         "{name!r} is already defined on line {first}"),
    Code("bad-declaration", "structure", "error", "A `given`/`assume` item that is not a domain.",
         "{detail}"),
    Code("empty-domain", "structure", "error", "A declared domain has no values.",
         "the domain of {name!r} is empty ({domain})"),
    Code("contradictory-givens", "structure", "error",
         "The givens (or assumptions) contradict each other.",
         "{whose} contradict each other (an engine proves them jointly false); from a "
         "contradiction anything follows, so nothing is checked"),
    # -- soundness of a whole proof (the file is still checked; it is never accepted)
    Code("contradictory-citation", "soundness", "error",
         "What a line cites contradicts the givens.",
         "the facts and theorem instances cited here contradict the givens (an engine proves "
         "them jointly false), so they would prove anything; nothing here may rest on them"),
    Code("false-goal", "soundness", "error", "A goal with no variables that is false.",
         "the goal {goal} has no variables and is false, so no proof of it can be right"),
    # -- theorem library
    Code("theorem-file", "library", "error", "A theorem file that cannot be loaded.",
         "{detail}"),
    Code("exercise-file", "library", "error", "An exercise file that cannot be loaded.",
         "{detail}"),
    # -- assessment of a submission against an exercise (findings, not parse errors)
    Code("theorem-not-allowed", "assessment", "error",
         "A submission cites a theorem the exercise does not allow.",
         "{name} is not allowed in exercise {exercise} (allowed: {allowed})"),
    Code("unknown-exercise", "assessment", "warning",
         "A submission names an exercise that does not exist.",
         "no exercise named {name!r}{suggestion}"),
    Code("step-too-large", "assessment", "warning",
         "A step proved by algebra that does too much at once.",
         "this step changes the expression by {growth} operations at once (the exercise allows "
         "{limit}); show the intermediate steps"),
    Code("internal-error", "internal", "error",
         "proofcheck itself failed on this input (a bug: please report it).",
         "proofcheck failed on this file ({detail}); this is a bug, please report it"),
    # -- command line
    Code("file-not-found", "usage", "error", "A file named on the command line does not exist.",
         "no such file"),
    # -- the playground server (`proofcheck serve`): a request refused or stopped by a limit
    Code("check-time-limit", "server", "error",
         "Checking a text in the playground took longer than the limit per request.",
         "checking this text took longer than {limit:g} s, the limit per request; the steps "
         "checked so far are kept, so sending it again goes further"),
    Code("check-resource-limit", "server", "error",
         "Checking a text in the playground hit its memory or CPU limit.",
         "checking this text {why}; simplify or split the step being checked"),
    Code("server-busy", "server", "error", "The playground has too many requests waiting.",
         "the server is busy: {detail}; try again in a moment"),
    Code("request-superseded", "server", "error",
         "A newer text from the same editor replaced this one before it was checked.",
         "a newer version of this text arrived before this one was checked; only the newest "
         "is checked"),
    Code("bad-request", "server", "error", "A request to the playground's API is not well formed.",
         "bad request: {detail}"),
]

CODES: dict[str, Code] = {c.name: c for c in _CODES}


@dataclass(frozen=True)
class Diagnostic:
    """One finding at a place in a file (1-based line and column; 0 means the whole file)."""

    code: str
    message: str
    file: str = "<input>"
    line: int = 0
    col: int = 0
    source: str = ""  # the source line, for the caret
    notes: tuple[str, ...] = field(default=())

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    @property
    def blocking(self) -> bool:
        """Does this stop the file from being checked? (parse-level errors do)"""
        return self.severity == "error" and CODES[self.code].category not in (
            "assessment", "soundness")

    def format(self) -> str:
        place = self.file
        if self.line:
            place += f":{self.line}:{self.col or 1}"
        out = f"{place}: {self.severity}: {self.message}  [{self.code}]"
        if self.source:
            caret_col = max(self.col, 1)
            prefix = "".join(ch if ch == "\t" else " " for ch in self.source[: caret_col - 1])
            out += f"\n    {self.source}\n    {prefix}^"
        for note in self.notes:
            out += f"\n{place}: note: {note}"
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "notes": list(self.notes),
        }


def message(code: str, **fields: Any) -> str:
    """The message text of ``code`` filled with ``fields``."""
    return CODES[code].template.format(**fields)


def make(code: str, *, file: str = "<input>", line: int = 0, col: int = 0, source: str = "",
         notes: tuple[str, ...] = (), **fields: Any) -> Diagnostic:
    return Diagnostic(code, message(code, **fields), file, line, col, source, notes)


def did_you_mean(name: str, candidates: list[str] | set[str] | tuple[str, ...]) -> str:
    """'; did you mean 'log'?' or '' (the suggestion part of a message)."""
    import difflib

    lower = {c.lower(): c for c in candidates}
    if name.lower() in lower:
        return f"; did you mean {lower[name.lower()]!r}?"
    close = difflib.get_close_matches(name, list(candidates), n=2, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


class CheckerError(Exception):
    """The root of every exception proofcheck raises on purpose. Carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


class ParseError(CheckerError):
    """The text could not be read: every blocking diagnostic is in ``diagnostics``."""
