"""A LaTeX homework (``.tex``) -> ``ProofFile``: the same statements a ``.proof`` file gives.

What is read (docs/latex.md has the full description and an example):

* the exercise, givens, definitions, facts and goal, from the commands of ``proofcheck.sty``
  (``\\exercise{ID}``, ``\\given{...}``, ``\\assume{...}``, ``\\define{name}{...}``,
  ``\\fact{name}{...}``, ``\\goal{...}``) or from comment lines ``% proofcheck: <a line of
  the proof language>`` (which compile without the package);
* every ``align``, ``align*``, ``equation``, ``equation*``, ``gather`` and ``gather*``
  environment of the document body: one chain step per ``\\\\`` row, its relation at ``&``,
  its justification in ``\\text{by ...}``, ``\\tag{by ...}`` or a ``% by ...`` comment;
  ``% proofcheck: skip`` before an environment leaves it out;
* ``\\end{proof}`` closes the goal's ``show`` block (as ``qed`` does).

Everything else (prose, inline math, other environments) is ignored. Every statement is
rewritten in place, column for column, into the proof language (checker/syntax/latex.py), so
every diagnostic and verdict points at the ``.tex`` line and column. Nothing is expanded,
read or run: macro and file commands are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checker.diagnostics import Diagnostic, ParseError, make
from checker.syntax.ast import Show
from checker.syntax.build import BuildError
from checker.syntax.latex import (
    MACRO_COMMANDS,
    Rewritten,
    parse_latex_expression,
    rewrite,
    rewrite_dollars,
)
from checker.vectors import build as vec

MAX_ROW_LINES = 30  # physical lines in one row of a derivation
ENVIRONMENTS = ("align", "align*", "equation", "equation*", "gather", "gather*")
TRANSPARENT = ("aligned", "split", "gathered")  # inside an equation: read through
DEFINING = frozenset({"newcommand", "renewcommand", "providecommand", "DeclareMathOperator",
                      "newenvironment", "renewenvironment", "DeclareRobustCommand",
                      "NewDocumentCommand"})
HARMLESS_OUTSIDE_MATH = frozenset({"usepackage", "RequirePackage", "documentclass",
                                   "includegraphics", "makeatletter"})
COMMANDS = {"exercise": 0, "given": 1, "assume": 1, "define": 2, "fact": 2, "goal": 1}
_GIVEN = re.compile(r"\s*(given|assume)\b")
DIRECTIVE = re.compile(r"%\s*proofcheck\s*:")

_BEGIN_END = re.compile(r"\\(begin|end)\s*\{([A-Za-z*]+)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_ROW_JUNK = re.compile(r"\\(label|intertext|shortintertext)\s*\{[^{}]*\}|\\(nonumber|notag)"
                       r"(?![A-Za-z])|\\tag\*?\s*\{(?!\s*by\b)[^{}]*\}")


@dataclass
class _Statement:
    offset: int  # where it starts in the document (for ordering)
    end: int
    kind: str  # "line" (a proof-language line to rewrite), "qed"
    text: str = ""  # the rewritten-to-be text: the document's lines line0.., blanked
    line0: int = 1
    segments: list[tuple[int, int]] = field(default_factory=list)
    keep: list[tuple[int, int]] = field(default_factory=list)
    name: tuple[int, int, str] | None = None  # (start, end, what) of a \define/\fact name
    dollars: bool = False  # a comment directive: $...$ inside, as in a .proof line
    chain: bool = False  # a row of a derivation


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.physical = text.split("\n")
        self.line_starts = [0]
        for line in self.physical:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.comment_at = self._comments()
        self.diags: list[Diagnostic] = []
        self.statements: list[_Statement] = []

    # -- positions
    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.physical) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def place(self, offset: int) -> tuple[int, int]:
        line = self.line_of(offset)
        return line, offset - self.line_starts[line - 1] + 1

    def error(self, code: str, offset: int, **fields: Any) -> None:
        line, col = self.place(offset)
        self.diags.append(make(code, file=self.path, line=line, col=col,
                               source=self.physical[line - 1][:200], **fields))

    def _comments(self) -> list[int]:
        """For each line, the offset in the document where its comment starts (or its end)."""
        out = []
        for n, line in enumerate(self.physical):
            i = 0
            cut = len(line)
            while i < len(line):
                if line[i] == "\\":
                    i += 2
                    continue
                if line[i] == "%":
                    cut = i
                    break
                i += 1
            out.append(self.line_starts[n] + cut)
        return out

    def error_at(self, code: str, line: int, col: int, **fields: Any) -> None:
        src = self.physical[line - 1][:200] if 0 < line <= len(self.physical) else ""
        self.diags.append(make(code, file=self.path, line=line, col=col, source=src, **fields))

    def in_comment(self, offset: int) -> bool:
        return offset >= self.comment_at[self.line_of(offset) - 1]

    def blank(self, start: int, end: int) -> tuple[int, str]:
        """(first line, the document's lines around ``start:end`` with everything outside
        that range blanked); offsets in the result are ``offset - line_starts[first - 1]``."""
        first, last = self.line_of(start), self.line_of(max(end - 1, start))
        base = self.line_starts[first - 1]
        chunk = "\n".join(self.physical[first - 1 : last])
        out = [ch if ch == "\n" or start <= base + i < end else " " for i, ch in enumerate(chunk)]
        return first, "".join(out)

    # -- the document
    def read(self) -> None:
        self.check_commands()
        body_start = 0
        m = re.search(r"\\begin\s*\{document\}", self.text)
        if m is not None:
            body_start = m.end()
        self.directives()
        self.macros()
        self.environments(body_start)

    def check_commands(self) -> None:
        """Refuse macro and file commands anywhere outside comments; note macro definitions
        in the preamble (they are not expanded)."""
        for m in _COMMAND.finditer(self.text):
            name = m.group(1)
            if m.start() > 0 and self.text[m.start() - 1] == "\\":
                continue  # \\ then letters: a row break before a word
            if self.in_comment(m.start()):
                continue
            if name in DEFINING:
                self.error("latex-macro-ignored", m.start(), name=f"\\{name}")
            elif name in MACRO_COMMANDS and name not in HARMLESS_OUTSIDE_MATH:
                self.error("latex-macro", m.start(), name=f"\\{name}")

    def directives(self) -> None:
        for n, line in enumerate(self.physical):
            start = self.line_starts[n]
            comment = self.comment_at[n]
            if comment >= start + len(line):
                continue
            m = DIRECTIVE.match(self.text, comment)
            if m is None:
                continue
            body_start, end = m.end(), start + len(line)
            if self.text[body_start:end].strip() == "skip":
                continue
            st = _Statement(comment, end, "line", dollars=True)
            st.line0, st.text = self.blank(body_start, end)
            self.statements.append(st)

    def macros(self) -> None:
        pattern = re.compile(r"\\(" + "|".join(COMMANDS) + r")(?![A-Za-z])")
        for m in pattern.finditer(self.text):
            if self.in_comment(m.start()):
                continue
            name = m.group(1)
            args: list[tuple[int, int]] = []
            i = m.end()
            wanted = 2 if name in ("define", "fact") else 1
            for _ in range(wanted):
                while i < len(self.text) and self.text[i] in " \t":
                    i += 1
                if i >= len(self.text) or self.text[i] != "{":
                    self.error("latex-structure", m.start(), detail=f"\\{name} needs "
                               f"{wanted} argument{'s' if wanted > 1 else ''} in braces")
                    break
                close = self._matching(i)
                if close < 0:
                    self.error("unbalanced-brackets", i, detail="this '{' is never closed")
                    break
                args.append((i + 1, close))
                i = close + 1
            if len(args) != wanted:
                continue
            self.statements.append(self._macro(name, m.start(), m.end(), args))

    def _matching(self, open_at: int) -> int:
        depth = 0
        for i in range(open_at, len(self.text)):
            ch = self.text[i]
            if ch == "\\":
                continue
            if i > 0 and self.text[i - 1] == "\\":
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return i
        return -1

    def _macro(self, name: str, start: int, cmd_end: int,
               args: list[tuple[int, int]]) -> _Statement:
        end = args[-1][1] + 1
        # a `% by ...` comment on the command's last line justifies a fact or a goal
        by = self._comment_by(end) if name in ("fact", "goal") else None
        st = _Statement(start, end, "line")
        line0, chunk = self.blank(start, by[1] if by else end)
        base = self.line_starts[line0 - 1]
        chars = list(chunk)
        if by is not None:
            for k in range(end, by[0]):  # the '%' and what stands before 'by'
                if chars[k - base] != "\n":
                    chars[k - base] = " "
            st.keep.append((by[0] - base, by[1] - base))
        for s, e in args:  # the braces themselves
            chars[s - 1 - base] = " "
            chars[e - base] = " "
        word = {"exercise": "exercise", "given": "given", "assume": "assume",
                "define": "let", "fact": "have", "goal": "show"}[name]
        chars[start - base : cmd_end - base] = word.ljust(cmd_end - start)
        if name == "define":
            st.name = (args[0][0], args[0][1], "define")
            chars[args[0][1] - base + 1] = "="  # the '{' of the second argument
        elif name == "fact":
            chars[args[0][1] - base] = ":"  # the '}' closing the fact's name
        st.line0, st.text = line0, "".join(chars)
        if name != "exercise":
            st.segments.append((args[-1][0] - base, args[-1][1] - base))
        return st

    def _comment_by(self, offset: int) -> tuple[int, int] | None:
        """The ``by ...`` of a ``% by ...`` comment on the line of ``offset`` (after it)."""
        n = self.line_of(offset) - 1
        comment = self.comment_at[n]
        end = self.line_starts[n] + len(self.physical[n])
        if comment < offset or comment >= end:
            return None
        m = re.compile(r"%\s*(by\b)").match(self.text, comment)
        if m is None:
            return None
        return m.start(1), end

    # -- derivations
    def environments(self, body_start: int) -> None:
        stack: list[tuple[str, int]] = []
        skip_lines = {n + 1 for n, line in enumerate(self.physical)
                      if re.search(r"%\s*proofcheck\s*:\s*skip\s*$", line)}
        for m in _BEGIN_END.finditer(self.text, body_start):
            if self.in_comment(m.start()):
                continue
            kind, env = m.group(1), m.group(2)
            if kind == "begin":
                stack.append((env, m.end()))
                continue
            if not stack or stack[-1][0] != env:
                if env == "document":
                    continue
                opened = stack[-1][0] if stack else None
                self.error("latex-structure", m.start(),
                           detail=f"\\end{{{env}}} closes "
                           + (f"\\begin{{{opened}}}" if opened else "no environment"))
                stack = [s for s in stack if s[0] != env]
                continue
            _, begin_end = stack.pop()
            if env == "proof":
                self.statements.append(_Statement(m.start(), m.end(), "qed"))
            elif env in ENVIRONMENTS:
                if any(s[0] in ENVIRONMENTS for s in stack):
                    continue
                if self._skipped(begin_end, skip_lines):
                    continue
                self.rows(begin_end, m.start())
        for env, at in stack:
            if env != "document":
                self.error("latex-structure", at, detail=f"\\begin{{{env}}} is never closed")

    def _skipped(self, begin_end: int, skip_lines: set[int]) -> bool:
        """Is there a ``% proofcheck: skip`` line just before this environment (only blank or
        comment lines between)?"""
        n = self.line_of(begin_end) - 1  # 1-based line of \begin minus 1
        while n >= 1:
            if n in skip_lines:
                return True
            text = self.physical[n - 1].strip()
            if text and not text.startswith("%"):
                return False
            n -= 1
        return False

    def rows(self, start: int, end: int) -> None:
        """One statement per ``\\\\`` row of a derivation environment's body."""
        body = self.text[start:end]
        i = 0
        row_start = 0
        while True:
            j = self._row_break(body, i)
            row_end = len(body) if j < 0 else j
            self.row(start + row_start, start + row_end)
            if j < 0:
                break
            i = j + 2
            k = i
            while k < len(body) and body[k] in " \t":
                k += 1
            if k < len(body) and body[k] == "[":  # \\[2pt]
                close = body.find("]", k)
                if close > 0:
                    i = close + 1
            row_start = i

    @staticmethod
    def _row_break(body: str, i: int) -> int:
        return body.find("\\\\", i)

    def row(self, start: int, end: int) -> None:
        # the math of the row: comments out, labels and tags out, & out
        line0, chunk = self.blank(start, end)
        base = self.line_starts[line0 - 1]
        if chunk.count("\n") >= MAX_ROW_LINES:
            self.error("latex-structure", start, detail=f"a row longer than {MAX_ROW_LINES} "
                       "lines: end each step's row with \\\\")
            return
        chars = list(chunk)
        keep: list[tuple[int, int]] = []
        for n in range(line0, line0 + chunk.count("\n") + 1):
            comment = self.comment_at[n - 1]
            line_end = self.line_starts[n - 1] + len(self.physical[n - 1])
            if comment >= line_end:
                continue
            by = re.compile(r"%\s*(by\b)").match(self.text, comment)
            for k in range(comment, line_end):
                chars[k - base] = " "
            if by is not None and start <= comment:
                s = by.start(1)
                chars[s - base : line_end - base] = self.text[s:line_end]
                keep.append((s - base, line_end - base))
        text = "".join(chars)
        for m in _ROW_JUNK.finditer(text):
            for k in range(m.start(), m.end()):
                if chars[k] != "\n":
                    chars[k] = " "
        for m in _BEGIN_END.finditer(text):
            if m.group(2) in TRANSPARENT:
                for k in range(m.start(), m.end()):
                    chars[k] = " "
        for k, ch in enumerate(chars):
            if ch == "&" and (k == 0 or chars[k - 1] != "\\") and \
                    not any(s <= k < e for s, e in keep):
                chars[k] = " "
        # the math: from the first to the last non-blank character outside `keep`
        math = [k for k, ch in enumerate(chars) if not ch.isspace()
                and not any(s <= k < e for s, e in keep)]
        if not math:
            return
        seg_start, seg_end = math[0], math[-1] + 1
        while seg_end > seg_start and chars[seg_end - 1] in ".,":  # the sentence's stop
            seg_end -= 1
            chars[seg_end] = " "
        if seg_end <= seg_start:
            return
        st = _Statement(start, end, "line", chain=True)
        st.line0, st.text = line0, "".join(chars)
        st.segments.append((seg_start, seg_end))
        st.keep = keep
        self.statements.append(st)


def parse_tex(text: str, path: str) -> tuple[Any, list[Diagnostic]]:
    """Parse a LaTeX homework into a ``ProofFile`` and its diagnostics (as ``parse_text``)."""
    from checker.syntax.parse import (
        MAX_ERRORS,
        MAX_FILE_BYTES,
        _assemble,
        _LineError,
        declared_names,
        parse_line,
    )

    if len(text) > MAX_FILE_BYTES:
        raise ParseError([make("file-too-large", file=path, size=len(text.encode()),
                               limit=MAX_FILE_BYTES)])
    reader = _Reader(text, path)
    reader.read()
    diags = reader.diags
    pieces: list[tuple[int, Any]] = []
    declared: set[str] = set()
    open_show = False
    if any(d.code == "latex-macro" for d in diags):
        statements: list[_Statement] = []  # a hostile file: nothing more is read
    else:
        statements = sorted(reader.statements, key=lambda s: s.offset)
    # the vectors, matrices and families the givens declare are in force on every line
    with vec.declared(_declared_shapes(statements)):
        for st in statements:
            if sum(d.severity == "error" for d in diags) >= MAX_ERRORS:
                diags.append(make("too-many-errors", file=path, line=st.line0, col=1,
                                  limit=MAX_ERRORS))
                break
            if st.kind == "qed":
                if open_show:
                    pieces.append((reader.line_of(st.offset), "qed"))
                    open_show = False
                continue
            try:
                if st.name is not None:
                    st.text = _name_in_place(st, reader)
                frozen = frozenset(declared)
                if st.dollars:
                    latex: Rewritten = rewrite_dollars(st.text, st.line0, frozen)
                else:
                    latex = rewrite(st.text, st.line0, st.segments, frozen, _keep_all(st))
                piece = parse_line(st.text, st.line0, declared=frozen, latex=latex)
            except BuildError as exc:
                reader.error_at(exc.code, exc.line, exc.col, **exc.fields)
                continue
            except _LineError as exc:
                reader.error_at(exc.code, exc.line, exc.col, **exc.fields)
                continue
            except RecursionError:
                reader.error_at("nesting-too-deep", st.line0, 1, depth="too many", limit=100)
                continue
            declared |= declared_names(piece)
            if isinstance(piece, Show) and piece.justification.kind == "none":
                open_show = True
            elif piece == "qed":
                open_show = False
            pieces.append((st.line0, piece))
    if open_show and pieces:  # the goal's block ends with the document
        pieces.append((len(reader.physical), "qed"))
    proof = _assemble(pieces, path, reader.physical, diags)
    diags.sort(key=lambda d: (d.line, d.col))
    return proof, diags


def _declared_shapes(statements: list[_Statement]) -> dict[str, Any]:
    """The vectors, matrices and families declared by the homework's givens (``\\given{w, x
    \\in \\mathbb{R}^d}``), over those in force around it (an exercise's), read before its
    expressions are built, as ``checker.syntax.parse.declared_shapes`` does for .proof files."""
    from checker.syntax.parse import shapes_of_line

    shapes = dict(vec.current())
    for st in statements:
        if st.kind != "line" or not _GIVEN.match(st.text):
            continue
        try:
            latex = None if st.dollars else rewrite(st.text, st.line0, st.segments,
                                                     frozenset(), _keep_all(st))
        except (BuildError, RecursionError):
            continue
        shapes_of_line(st.text, st.line0, shapes, latex)
    return shapes


def _keep_all(st: _Statement) -> list[tuple[int, int]]:
    """What of a statement's text stays as written: all but its math and blanks."""
    keep = list(st.keep)
    spans = sorted(st.segments)
    pos = 0
    for s, e in spans:
        keep.append((pos, s))
        pos = e
    keep.append((pos, len(st.text)))
    return keep


def _name_in_place(st: _Statement, reader: _Reader) -> str:
    """The name of ``\\define{\\varepsilon}{...}`` written in ASCII in its own place."""
    assert st.name is not None
    s, e, _ = st.name
    base = reader.line_starts[st.line0 - 1]
    written = reader.text[s:e]
    try:
        built = parse_latex_expression(written.strip())
    except BuildError as exc:
        line, col = reader.place(s)
        raise BuildError(exc.code, line, col + exc.col - 1, **exc.fields) from exc
    import sympy as sp

    if not isinstance(built.value, sp.Symbol) or len(built.value.name) > e - s:
        line, col = reader.place(s)
        raise BuildError("bad-declaration", line, col,
                         detail=f"\\define's first argument must be a variable name; got "
                         f"{written.strip()!r}")
    chars = list(st.text)
    chars[s - base : e - base] = built.value.name.ljust(e - s)
    return "".join(chars)


