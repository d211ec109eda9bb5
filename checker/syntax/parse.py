"""Text -> ``ProofFile``: limits first, then each line parsed on its own, then blocks assembled.

Parsing line by line means one bad line never hides the next: every independent error in a
file is reported in one run. A statement may continue on the next lines while a bracket is
open. Only this module sees Lark trees.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from checker.diagnostics import Diagnostic, ParseError, make
from checker.obligations import sym
from checker.syntax.ast import (
    NO_JUSTIFICATION,
    Chain,
    Declaration,
    Expr,
    Given,
    Have,
    Header,
    Justification,
    Let,
    ProofFile,
    Ref,
    RelChain,
    Show,
    Span,
    Statement,
    Step,
)
from checker.syntax.build import (
    CONSTANTS,
    FUNCTIONS,
    MAX_NODES,
    MAX_TREE_DEPTH,
    Builder,
    BuildError,
    read_number,
    tree_size,
)
from checker.vectors import build as vec
from checker.vectors.ir import Coord, MatVar, VecVar

MAX_FILE_BYTES = 256 * 1024
MAX_LINE_CHARS = 1000
MAX_BRACKET_DEPTH = 40
MAX_ERRORS = 50

RELOPS = {"≤": "<=", "≥": ">=", "≠": "!=", "==": "="}
KEYWORD_REASONS = ("algebra", "numeric")

_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "RELOP": "a relation sign (=, <=, <, >=, >, !=)",
    "ADDOP": "'+' or '-'",
    "MULOP": "'*' or '/'",
    "POWOP": "'^'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "COLON": "':'",
    "VBAR": "'|'",
    "MINUS": "'-'",
    "PLUS": "'+'",
    "EQUAL": "'='",
    "BY": "'by'",
    "IN": "'in'",
    "KIND": "'integer' or 'real'",
    "$END": "the end of the line",
    "EXERCISE_ID": "an exercise id",
}


@functools.cache
def _parser() -> Lark:
    return Lark.open(
        "proof.lark",
        rel_to=__file__,
        parser="lalr",
        start=["line", "claim_text", "assumption_text", "expr_text"],
        propagate_positions=True,
        maybe_placeholders=True,
    )


# ------------------------------------------------------------------------------ errors


class _LineError(Exception):
    def __init__(self, diag_code: str, line: int, col: int, **fields: Any) -> None:
        super().__init__(diag_code)
        self.code = diag_code
        self.line = line
        self.col = col
        self.fields = fields


def _words(types: set[str] | frozenset[str]) -> str:
    names = sorted({_TOKEN_WORDS.get(t, t.lower() if t.isupper() else repr(t)) for t in types})
    if len(names) > 5:
        names = [*names[:5], "..."]
    return ", ".join(names)


def _previous_token(text: str, offset: int) -> str:
    """The last non-blank piece of text before ``offset`` (for 'after ...' messages)."""
    before = text[:offset].rstrip()
    if not before:
        return ""
    for op in ("**", "<=", ">=", "!=", "==", ":="):
        if before.endswith(op):
            return op
    last = before[-1]
    if last.isalnum() or last == "_":
        i = len(before)
        while i > 0 and (before[i - 1].isalnum() or before[i - 1] in "_."):
            i -= 1
        return before[i:]
    return last


def _unclosed(text: str) -> int:
    """The column of the last '(' in ``text`` (one line) that is not closed, or 0."""
    stack: list[int] = []
    last_line_start = text.rfind("\n") + 1
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            stack.pop()
    return stack[-1] - last_line_start + 1 if stack and stack[-1] >= last_line_start else 0


def _translate(exc: LarkError, text: str, line0: int) -> _LineError:
    """A Lark exception as a plain-words diagnostic."""
    if isinstance(exc, UnexpectedCharacters):
        line, col = line0 + exc.line - 1, exc.column
        char = exc.char
        hints = {
            "{": ": use ( ) for grouping",
            "}": ": use ( ) for grouping",
            "\\": ": put LaTeX between $...$ (docs/latex.md), or write sqrt(x), exp(x), ...",
            "'": ": derivatives are written out by hand",
            ";": ": put one statement per line",
            "!": ": write factorial(n)",
            "&": "",
            "@": "",
            "$": ": $...$ holds LaTeX math (docs/latex.md)",
        }
        hint = hints.get(char, "")
        if not hint and "\u0370" <= char <= "\u03ff":
            hint = ": write Greek letters as words (delta, sigma, eps, ...)"
        return _LineError("unexpected-character", line, col, char=char, hint=hint)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type.endswith("LATEX") and tok.start_pos is not None:  # $...$: as written
            written = " ".join(text[tok.start_pos : tok.end_pos].split())
            tok = Token.new_borrow_pos("NAME", written, tok)
        line = line0 + (tok.line or 1) - 1 if tok.type != "$END" else line0 + text.count("\n")
        col = tok.column if tok.type != "$END" else len(text.split("\n")[-1].rstrip()) + 1
        offset = tok.start_pos if tok.type != "$END" and tok.start_pos is not None else len(text)
        prev = _previous_token(text, offset)
        expected = {str(t) for t in (exc.accepts or exc.expected)}
        expression_starts = {"NAME", "NUMBER", "LPAR", "MINUS", "VBAR"}
        if prev == "by":
            return _LineError("syntax", line, col, detail="expected a justification after 'by' "
                              "(algebra, numeric, a fact's name or a theorem's name)")
        operand = ("NAME", "NUMBER", "LPAR", "EXERCISE_ID")
        after_operand = bool(prev) and (prev[-1].isalnum() or prev[-1] in ")|")
        if tok.type in operand and expected & {"MULOP", "ADDOP", "POWOP"} and after_operand:
            return _LineError("missing-operator", line, col, left=prev, right=str(tok))
        closing = ("$END", "RELOP", "EQUAL", "MULOP", "POWOP", "RPAR", "COMMA", "BY", "RSQB")
        if expected & expression_starts and tok.type in closing and prev:
            return _LineError("expected-expression", line, col, after=prev)
        if "RPAR" in expected and tok.type in ("$END", "RELOP", "EQUAL", "BY", "COMMA"):
            opened = _unclosed(text[:offset])
            where = f" (the one at column {opened})" if opened else ""
            before = "the end of the line" if tok.type == "$END" else repr(str(tok))
            return _LineError("unbalanced-brackets", line, col,
                              detail=f"a '(' is not closed before {before}{where}")
        if tok.type == "RPAR" and "RPAR" not in expected:
            return _LineError("unbalanced-brackets", line, col,
                              detail="this ')' closes no '('")
        shown = "the end of the line" if tok.type == "$END" else repr(str(tok))
        return _LineError("syntax", line, col,
                          detail=f"unexpected {shown}; expected {_words(expected)}")
    if isinstance(exc, UnexpectedEOF):
        return _LineError("syntax", line0, len(text) + 1, detail="unexpected end of the line")
    return _LineError("syntax", line0, 1, detail="this line could not be read")


# ------------------------------------------------------------------------------ statements


class _Lines:
    """Turns one line's Lark tree into a statement."""

    def __init__(self, text: str, line0: int) -> None:
        self.b = Builder(text, line0)
        self.line0 = line0

    def span(self, node: Tree[Token] | Token) -> Span:
        line, col = self.b.place(node)
        return Span(line, col)

    def expr(self, node: Any) -> Expr:
        try:
            return self.b.expr(node)
        except BuildError as exc:
            raise _LineError(exc.code, exc.line, exc.col, **exc.fields) from exc

    def relchain(self, node: Tree[Token]) -> RelChain:
        exprs, ops = [], []
        for child in node.children:
            if isinstance(child, Token) and child.type == "RELOP":
                ops.append(RELOPS.get(str(child), str(child)))
            else:
                exprs.append(self.expr(child))
        for i, op in enumerate(ops):
            try:
                vec.check_relation(exprs[i].value, op, exprs[i + 1].value)
            except vec.ShapeError as exc:
                raise _LineError(exc.code, exprs[i].span.line, exprs[i].span.col,
                                 **exc.fields) from exc
        return RelChain(tuple(exprs), tuple(ops), self.span(node))

    def justification(self, node: Any) -> Justification:
        if node is None:
            return NO_JUSTIFICATION
        refs = []
        for r in node.children:
            name_tok = r.children[0]
            name = str(name_tok)
            args: list[tuple[str, Expr]] = []
            if r.data == "reason_call" and r.children[1] is not None:
                for arg in r.children[1].children:
                    args.append((str(arg.children[0]), self.expr(arg.children[1])))
            refs.append(Ref(name, tuple(args), self.span(name_tok)))
        if len(refs) == 1 and refs[0].name in KEYWORD_REASONS and not refs[0].args:
            return Justification(refs[0].name, (), refs[0].span)
        return Justification("refs", tuple(refs), self.span(node))

    def declarations(self, items: Tree[Token]) -> tuple[Declaration, ...]:
        out: list[Declaration] = []
        pending: list[str] = []  # bare names waiting for the next item's constraint
        for item in items.children:
            assert isinstance(item, Tree)
            sp_ = self.span(item)
            if item.data in ("item_space", "item_box", "item_family"):
                out.append(self.vector_item(item, pending))
                pending = []
                continue
            kind_tok = next((c for c in item.children if isinstance(c, Token) and
                             c.type == "KIND"), None)
            kind = str(kind_tok) if kind_tok is not None else None
            if item.data == "item_relation":
                rel = self.relchain(item.children[0])  # type: ignore[arg-type]
                out.append(Declaration(tuple(pending), rel, None, kind, sp_))
                pending = []
            elif item.data == "item_interval":
                subject = self._bare_name(item.children[0])
                iv = item.children[1]
                assert isinstance(iv, Tree)
                left, lo, _, hi, right = iv.children
                interval = (str(left), self.expr(lo), self.expr(hi), str(right))
                out.append(Declaration((*pending, subject), None, interval, kind, sp_))
                pending = []
            else:  # item_kind or item_bare
                subject = self._bare_name(item.children[0])
                if item.data == "item_bare":
                    pending.append(subject)
                    continue
                out.append(Declaration((*pending, subject), None, None, kind, sp_))
                pending = []
        if pending:
            line, col = self.b.place(items.children[-1])
            raise _LineError("bad-declaration", line, col,
                             detail=f"say what {pending[-1]!r} is: `{pending[-1]} real`, "
                             f"`{pending[-1]} > 0`, `{pending[-1]} in (0, 1)`, ...")
        return tuple(out)

    def space(self, node: Tree[Token]) -> tuple[sp.Expr, sp.Expr]:
        """(rows, columns) of ``R^d``, ``R^(m x d)``, or the ``^d`` of ``[0, 1]^d``."""
        if node.data == "space_mat":
            tok = node.children[2]
            assert isinstance(tok, Token)
            rows, _, cols = str(tok).strip("()").split()
            line, col = self.b.place(tok)
            return self.dim_word(rows, line, col), self.dim_word(cols, line, col)
        name_tok = node.children[0]
        if str(name_tok) != "R":
            line, col = self.b.place(name_tok)
            raise _LineError("bad-declaration", line, col,
                             detail=f"unknown space {str(name_tok)!r}^...: write R^d, R^3 or "
                             "R^(m x d)")
        return self.dim(node.children[2]), sp.Integer(1)

    def dim_word(self, word: str, line: int, col: int) -> sp.Expr:
        """One side of ``m x d``: a number or a name (read without evaluating anything)."""
        if word.isdigit():
            value: sp.Expr = read_number(word, line, col) if len(word) <= 6 else sp.Integer(10**6)
        elif word[0].isalpha() and word.replace("_", "").isalnum():
            if word in CONSTANTS or word in FUNCTIONS:
                raise _LineError("reserved-name", line, col, name=word, why="a function or "
                                 "constant", use="a dimension")
            value = sym(word)
        else:
            raise _LineError("bad-dimension", line, col, dim=word,
                             detail="a dimension is a whole number >= 1 or a variable")
        try:
            return vec.check_dim(value, word)
        except vec.ShapeError as exc:
            raise _LineError(exc.code, line, col, **exc.fields) from exc

    def dim(self, node: Any) -> sp.Expr:
        e = self.expr(node)
        try:
            return vec.check_dim(e.value, e.text)
        except vec.ShapeError as exc:
            raise _LineError(exc.code, e.span.line, e.span.col, **exc.fields) from exc

    def vector_item(self, item: Tree[Token], pending: list[str]) -> Declaration:
        """``w, x in R^d``, ``x in [0, 1]^d``, ``p_k in (0, 1) for k in 1..K``."""
        sp_ = self.span(item)
        if item.data == "item_space":
            subject = self._bare_name(item.children[0])
            space = self.space(item.children[1])  # type: ignore[arg-type]
            return Declaration((*pending, subject), None, None, None, sp_, space=space)
        if item.data == "item_box":
            subject = self._bare_name(item.children[0])
            iv = item.children[1]
            assert isinstance(iv, Tree)
            left, lo_end, _, hi_end, right = iv.children
            interval = (str(left), self.expr(lo_end), self.expr(hi_end), str(right))
            return Declaration((*pending, subject), None, interval, None, sp_,
                               space=(self.dim(item.children[3]), sp.Integer(1)))
        inner, k_tok, lo_node, hi_node = item.children
        k = str(k_tok)
        lo, hi = self.expr(lo_node), self.expr(hi_node)
        if pending:
            line, col = self.b.place(item)
            raise _LineError("bad-declaration", line, col,
                             detail="declare one family per item: `p_k in (0, 1) for k in 1..K`")
        if lo.value != 1:
            raise _LineError("bad-declaration", lo.span.line, lo.span.col,
                             detail=f"families are indexed from 1: write `for {k} in 1..n`")
        try:
            size = vec.check_dim(hi.value, hi.text)
        except vec.ShapeError as exc:
            raise _LineError(exc.code, hi.span.line, hi.span.col, **exc.fields) from exc
        decls = self.declarations(Tree("items", [inner]))
        d = decls[0]
        name = _family_name(d, k)
        if name is None:
            line, col = self.b.place(inner)
            raise _LineError("bad-declaration", line, col,
                             detail=f"say what each member is, by its index {k!r}: "
                             f"`p_{k} in (0, 1) for {k} in 1..n`, `z_{k} real for ...`")
        return Declaration((name,), d.relation, d.interval, d.kind, sp_,
                           space=(size, sp.Integer(1)), index=k)

    def _bare_name(self, node: Any) -> str:
        if isinstance(node, Tree) and node.data.endswith("name"):
            name = str(node.children[0])
            if name in CONSTANTS or name in FUNCTIONS:
                line, col = self.b.place(node)
                why = "a constant" if name in CONSTANTS else "a function"
                raise _LineError("reserved-name", line, col, name=name, why=why,
                                 use="declared as a variable")
            return name
        if isinstance(node, Tree) and node.data.endswith("latex"):  # $x$ (docs/latex.md)
            value = self.expr(node).value
            if isinstance(value, (VecVar, MatVar)):  # declared a vector (this very line)
                value = value.args[0]
            if isinstance(value, sp.Symbol):
                return str(value.name)
        line, col = self.b.place(node)
        raise _LineError("bad-declaration", line, col,
                         detail="expected a variable name to declare, e.g. `given x real`")

    def statement(self, tree: Tree[Token]) -> Any:
        kind = tree.data
        c = tree.children
        sp_ = self.span(tree)
        if kind == "header":
            return Header(str(c[0]), sp_)
        if kind in ("given", "assume"):
            return Given(self.declarations(c[0]), kind == "assume", sp_)  # type: ignore[arg-type]
        if kind == "let":
            name = str(c[0])
            self._check_new_name(name, c[0])  # type: ignore[arg-type]
            let = Let(name, self.expr(c[-1]), sp_)
            vec.define(name, let.expr.value)  # a vector-valued `let` is a vector below
            return let
        if kind == "have":
            name = str(c[0])
            self._check_new_name(name, c[0])  # type: ignore[arg-type]
            return Have(name, self.relchain(c[1]), self.justification(c[2]), sp_)  # type: ignore[arg-type]
        if kind == "show":
            return Show(self.relchain(c[0]), self.justification(c[1]), (), sp_)  # type: ignore[arg-type]
        if kind == "qed":
            return "qed"
        if kind in ("chain_start", "chain_next"):
            return self.chain_piece(tree)
        raise AssertionError(kind)

    def _check_new_name(self, name: str, tok: Token) -> None:
        if name in CONSTANTS or name in FUNCTIONS or name in KEYWORD_REASONS:
            line, col = self.b.place(tok)
            why = ("a constant" if name in CONSTANTS else
                   "a function" if name in FUNCTIONS else "a justification keyword")
            raise _LineError("reserved-name", line, col, name=name, why=why, use="defined")

    def chain_piece(self, tree: Tree[Token]) -> tuple[Expr | None, list[Step]]:
        children = list(tree.children)
        just = NO_JUSTIFICATION
        if children and isinstance(children[-1], Tree) and children[-1].data == "justification":
            just = self.justification(children.pop())
        elif children and children[-1] is None:
            children.pop()
        start: Expr | None = None
        if tree.data == "chain_start":
            start = self.expr(children.pop(0))
        steps: list[Step] = []
        for i in range(0, len(children), 2):
            op_tok = children[i]
            assert isinstance(op_tok, Token)
            op = RELOPS.get(str(op_tok), str(op_tok))
            expr = self.expr(children[i + 1])
            steps.append(Step(op, expr, NO_JUSTIFICATION, self.span(op_tok)))
        if steps:  # the justification belongs to the last link on the line
            last = steps[-1]
            steps[-1] = Step(last.op, last.expr, just, last.span)
        elif just.kind != "none" and start is not None:
            raise _LineError("syntax", start.span.line, start.span.col,
                             detail="a justification needs a relation before it "
                             "(e.g. `= expr by algebra`)")
        return start, steps


def _family_name(d: Declaration, k: str) -> str | None:
    """The family a declaration's item is about: ``p`` for ``p_k in (0, 1)``."""
    if d.relation is None:
        subject = d.names[-1] if d.names else ""
        head, _, index = subject.rpartition("_")
        return head if head and index == k else None
    for e in d.relation.exprs:
        for c in e.value.atoms(Coord):
            if c.args[1] == sp.Symbol(k, real=True):
                return str(c.args[0].name)
    return None


def _shapes_of(items: Any, line0: int, text: str,
               shapes: dict[str, tuple[sp.Expr, sp.Expr]],
               latex: dict[int, Any] | None = None) -> None:
    """Add the vectors, matrices and families an ``items`` tree declares to ``shapes``
    (``latex``: the expressions built for the line's LaTeX placeholders, by offset)."""
    lines = _Lines(text, line0)
    lines.b.latex = latex or {}

    def name_of(node: Any) -> str | None:
        if isinstance(node, Tree) and node.data.endswith("name"):
            return str(node.children[0])
        if isinstance(node, Tree) and node.data.endswith("latex"):  # $w$ (docs/latex.md)
            tok = node.children[0]
            built = lines.b.latex.get(tok.start_pos or 0) if isinstance(tok, Token) else None
            value = built.value if built is not None else None
            if isinstance(value, (VecVar, MatVar)):
                value = value.args[0]
            if isinstance(value, sp.Symbol):
                return str(value.name)
        return None

    pending: list[str] = []
    for item in items.children:
        if not isinstance(item, Tree):
            continue
        if item.data == "item_bare":
            bare = name_of(item.children[0])
            if bare is not None:
                pending.append(bare)
            continue
        if item.data in ("item_space", "item_box"):
            subject = name_of(item.children[0])
            if subject is None:
                pending = []
                continue
            names = [*pending, subject]
            try:
                if item.data == "item_space":
                    space = lines.space(item.children[1])
                else:
                    space = (lines.dim(item.children[3]), sp.Integer(1))
            except _LineError:
                pending = []
                continue
            for n in names:
                shapes[n] = space
        elif item.data == "item_family":
            inner, k_tok, _, hi_node = item.children
            node = inner.children[0] if isinstance(inner, Tree) else None
            if isinstance(node, Tree) and node.data == "relation":
                node = node.children[0]
            if isinstance(node, Tree) and node.data.endswith("name"):
                head, _, index = str(node.children[0]).rpartition("_")
                if head and index == str(k_tok):
                    with contextlib.suppress(_LineError):
                        shapes[head] = (lines.dim(hi_node), sp.Integer(1))
        pending = []


def declared_shapes(chunks: list[tuple[int, str]]) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """Every vector, matrix and family that the ``given``/``assume`` lines among ``chunks``
    declare, read before the file's expressions are built (so that ``w^T x`` on any line,
    the given lines included, knows that w and x are vectors)."""
    shapes: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    for line0, chunk in chunks:
        code = chunk.split("#", 1)[0].strip()
        if not code.startswith(("given", "assume")) or (" in " not in code
                                                         and "\\in" not in code):
            continue
        if len(chunk) > MAX_LINE_CHARS * 4:
            continue
        shapes_of_line(chunk, line0, shapes)
    return shapes


def shapes_of_line(chunk: str, line0: int, shapes: dict[str, tuple[sp.Expr, sp.Expr]],
                   latex: Any = None, start: str = "line") -> None:
    """Add what a ``given``/``assume`` line declares to ``shapes``; its LaTeX (``$...$``, or
    ``latex``: the line as a .tex file's rewriting gives it) read first. Quietly nothing
    for a line that cannot be read (its error comes when it is parsed for real)."""
    text, table = chunk, {}
    try:
        if latex is None and "$" in chunk:
            from checker.syntax.latex import rewrite_dollars

            latex = rewrite_dollars(chunk, line0)
        if latex is not None:
            text, table = latex.text, latex.table
        tree = _parser().parse(text, start=start)
        if isinstance(tree, Tree) and tree.data in ("given", "assume", "assumption_text"):
            _shapes_of(tree.children[0], line0, chunk, shapes, table)
    except (LarkError, BuildError, RecursionError, vec.ShapeError):
        return


# ------------------------------------------------------------------------------ files


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each statement; open brackets continue a statement."""
    out: list[tuple[int, str]] = []
    physical = text.split("\n")
    i = 0
    while i < len(physical):
        start = i
        parts = [physical[i]]
        depth = _bracket_balance(physical[i])
        while depth > 0 and i + 1 < len(physical) and _continues(physical[i + 1]):
            i += 1
            parts.append(physical[i])
            depth += _bracket_balance(physical[i])
        out.append((start + 1, "\n".join(parts)))
        i += 1
    return out


_STATEMENT_WORDS = ("exercise", "given", "assume", "let", "have", "show", "qed")


def _continues(next_line: str) -> bool:
    """Can ``next_line`` continue a statement whose brackets are still open?"""
    stripped = next_line.split("#", 1)[0].strip()
    if not stripped:
        return False
    if stripped.split()[0] in _STATEMENT_WORDS:
        return False
    return not stripped.startswith(("=", "<", ">", "!=", "≤", "≥", "≠"))


def _bracket_balance(text: str) -> int:
    depth = 0
    for ch in text.split("#", 1)[0]:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
    return depth


def _bracket_depth(text: str, depth: int = 0) -> tuple[int, int]:
    """(open brackets at the end of the line, column where the nesting first exceeds the
    limit or 0), starting from ``depth`` open brackets; comments are skipped."""
    for i, ch in enumerate(text):
        if ch == "#":
            break
        if ch in "([":
            depth += 1
            if depth == MAX_BRACKET_DEPTH + 1:
                return depth, i + 1
        elif ch in ")]":
            depth -= 1
    return depth, 0


def _latex_let_name(text: str, table: dict[int, Any]) -> str:
    """``let $\\varepsilon$ = ...``: the defined name written in LaTeX, spelled in ASCII in
    its own place (never longer: ``\\varepsilon`` is ``eps``)."""
    import re

    m = re.match(r"\s*let\s+(\ue000+)\s*:?=", text)
    if m is None or m.start(1) not in table:
        return text
    value = table[m.start(1)].value
    width = m.end(1) - m.start(1)
    if not isinstance(value, sp.Symbol) or len(value.name) > width:
        return text
    return text[: m.start(1)] + str(value.name).ljust(width) + text[m.end(1):]


def parse_line(text: str, line0: int = 1, start: str = "line",
               declared: frozenset[str] = frozenset(), latex: Any = None) -> Any:
    """Parse one logical line into a statement (or ``start``'s result); raises _LineError.

    LaTeX math in the line (``$...$``; or, from a ``.tex`` file, ``latex``: the line already
    rewritten by checker/syntax/latex.py) is read first; ``declared`` are the variables
    declared so far (LaTeX reads ``x(y + 1)`` as a product only for a declared x)."""
    source = text
    table: dict[int, Any] = {}
    if latex is None and "$" in text and len(text) <= 4 * MAX_LINE_CHARS:
        from checker.syntax.latex import rewrite_dollars

        try:
            latex = rewrite_dollars(text, line0, declared)
        except BuildError as exc:
            raise _LineError(exc.code, exc.line, exc.col, **exc.fields) from exc
    if latex is not None:
        text, table = latex.text, latex.table
        text = _latex_let_name(text, table)
    depth = 0
    for offset, physical in enumerate(text.split("\n")):
        if len(physical) > MAX_LINE_CHARS:
            raise _LineError("line-too-long", line0 + offset, MAX_LINE_CHARS + 1,
                             length=len(physical), limit=MAX_LINE_CHARS)
        depth, col = _bracket_depth(physical, depth)
        if col:
            raise _LineError("nesting-too-deep", line0 + offset, col,
                             depth=f"at least {MAX_BRACKET_DEPTH + 1}", limit=MAX_BRACKET_DEPTH)
    try:
        tree = _parser().parse(text, start=start)
    except LarkError as exc:
        raise _translate(exc, source, line0) from None
    nodes, depth = tree_size(tree)
    if nodes > MAX_NODES:
        raise _LineError("expression-too-large", line0, 1, nodes=nodes, limit=MAX_NODES)
    if depth > MAX_TREE_DEPTH:
        raise _LineError("nesting-too-deep", line0, 1, depth=depth, limit=MAX_TREE_DEPTH)
    lines = _Lines(source, line0)
    lines.b.latex = table
    if start == "line":
        return lines.statement(tree)
    if start == "claim_text":
        return lines.relchain(tree.children[0])  # type: ignore[arg-type]
    if start == "expr_text":
        return lines.expr(tree.children[0])
    return lines.declarations(tree.children[0])  # type: ignore[arg-type]


def read_source(path: str | Path) -> str:
    """A proof file's text, with the size and encoding limits checked first."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except OSError:
        raise ParseError([make("file-not-found", file=name)]) from None
    if size > MAX_FILE_BYTES:
        raise ParseError([make("file-too-large", file=name, size=size, limit=MAX_FILE_BYTES)])
    data = p.read_bytes()[: MAX_FILE_BYTES + 1]
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ParseError([make("file-too-large", file=name, size=len(data),
                               limit=MAX_FILE_BYTES)])
    if b"\x00" in data:
        raise ParseError([make("not-text", file=name, detail="it contains NUL bytes")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError([make("not-text", file=name,
                               detail=f"invalid UTF-8 at byte {exc.start}")]) from None


def parse_text(text: str, path: str = "<input>") -> tuple[ProofFile, list[Diagnostic]]:
    """Parse a whole proof; returns the file and every diagnostic (errors and warnings).

    Blocking errors are among the diagnostics; the ``ProofFile`` then holds the statements
    that could be read. Raises nothing but ``ParseError`` (for the file-level limits).
    """
    if len(text) > MAX_FILE_BYTES:
        raise ParseError([make("file-too-large", file=path, size=len(text.encode()),
                               limit=MAX_FILE_BYTES)])
    physical = text.split("\n")
    diags: list[Diagnostic] = []
    pieces: list[tuple[int, Any]] = []

    def error(exc: _LineError) -> None:
        src = physical[exc.line - 1] if 0 < exc.line <= len(physical) else ""
        diags.append(make(exc.code, file=path, line=exc.line, col=exc.col, source=src[:200],
                          **exc.fields))

    chunks = _logical_lines(text)
    # the file's own declarations, over those in force around it (an exercise's givens)
    with vec.declared({**vec.current(), **declared_shapes(chunks)}):
        _parse_chunks(chunks, diags, pieces, error, path)
    proof = _assemble(pieces, path, physical, diags)
    diags.sort(key=lambda d: (d.line, d.col))
    return proof, diags


def _parse_chunks(chunks: list[tuple[int, str]], diags: list[Diagnostic],
                  pieces: list[tuple[int, Any]], error: Any, path: str) -> None:
    declared: set[str] = set()  # for LaTeX's x(y + 1): a product only for a declared x
    for line0, chunk in chunks:
        if not chunk.split("#", 1)[0].strip():
            continue
        if sum(d.severity == "error" for d in diags) >= MAX_ERRORS:
            diags.append(make("too-many-errors", file=path, line=line0, col=1,
                              limit=MAX_ERRORS))
            break
        try:
            piece = parse_line(chunk, line0, declared=frozenset(declared))
            declared |= declared_names(piece)
            pieces.append((line0, piece))
        except _LineError as exc:
            error(exc)
        except RecursionError:
            error(_LineError("nesting-too-deep", line0, 1, depth="too many",
                             limit=MAX_TREE_DEPTH))


def declared_names(piece: Any) -> set[str]:
    """The variables a parsed line declares: a ``let``'s name, a ``given``'s variables."""
    if isinstance(piece, Let):
        return {piece.name}
    names: set[str] = set()
    if isinstance(piece, Given):
        for d in piece.items:
            names |= set(d.names)
            if d.relation is not None:
                for e in d.relation.exprs:
                    names |= {str(s.name) for s in e.value.free_symbols
                              if isinstance(s, sp.Symbol)}
    return names


def _assemble(pieces: list[tuple[int, Any]], path: str, physical: list[str],
              diags: list[Diagnostic]) -> ProofFile:
    """Group lines into statements: chains, and ``show`` ... ``qed`` blocks."""
    header: Header | None = None
    statements: list[Statement] = []
    names: dict[str, int] = {}
    open_show: Show | None = None
    show_chains: list[Chain] = []
    chain: Chain | None = None

    def src(line: int) -> str:
        return physical[line - 1][:200] if 0 < line <= len(physical) else ""

    def close_chain() -> None:
        nonlocal chain
        if chain is None:
            return
        if open_show is not None:
            show_chains.append(chain)
        else:
            statements.append(chain)
        chain = None

    for line0, piece in pieces:
        if isinstance(piece, tuple):  # a chain piece
            start, steps = piece
            if start is not None:
                close_chain()
                chain = Chain(start, tuple(steps), start.span)
            elif chain is None:
                diags.append(make("chain-without-start", file=path, line=line0,
                                  col=steps[0].span.col, source=src(line0)))
            else:
                chain = Chain(chain.start, chain.steps + tuple(steps), chain.span)
            continue
        close_chain()
        if isinstance(piece, Header):
            if header is not None:
                diags.append(make("duplicate-header", file=path, line=line0, col=1,
                                  source=src(line0), first=header.span.line))
            else:
                header = piece
        elif piece == "qed":
            if open_show is None:
                diags.append(make("qed-without-show", file=path, line=line0, col=1,
                                  source=src(line0)))
            else:
                statements.append(Show(open_show.claim, open_show.justification,
                                       tuple(show_chains), open_show.span))
                open_show, show_chains = None, []
        elif isinstance(piece, Show):
            if open_show is not None:
                diags.append(make("nested-show", file=path, line=line0, col=1,
                                  source=src(line0), first=open_show.span.line))
                continue
            if piece.justification.kind != "none":
                statements.append(piece)  # a one-line show needs no qed
            else:
                open_show, show_chains = piece, []
        else:
            if isinstance(piece, (Let, Have)):
                if piece.name in names:
                    diags.append(make("redefined-name", file=path, line=line0, col=1,
                                      source=src(line0), name=piece.name,
                                      first=names[piece.name]))
                    continue
                names[piece.name] = line0
            statements.append(piece)
    close_chain()
    if open_show is not None:
        diags.append(make("show-without-qed", file=path, line=open_show.span.line, col=1,
                          source=src(open_show.span.line)))
        statements.append(Show(open_show.claim, open_show.justification, tuple(show_chains),
                               open_show.span, closed=False))
    if header is None and statements:
        diags.append(make("missing-header", file=path, line=1, col=1))
    elif header is None and not diags:
        diags.append(make("empty-proof", file=path, line=1, col=1))
    return ProofFile(path, header, tuple(statements), tuple(physical))


def parse_file(path: str | Path) -> tuple[ProofFile, list[Diagnostic]]:
    """Read and parse a proof file (limits checked before reading it whole); a ``.tex`` file
    is a LaTeX homework (checker/syntax/texfile.py, docs/latex.md)."""
    text = read_source(path)
    if str(path).lower().endswith(".tex"):
        from checker.syntax.texfile import parse_tex

        return parse_tex(text, str(path))
    return parse_text(text, str(path))


def parse_claim(text: str) -> RelChain:
    """A claim given on the command line or to ``check_claim``; raises ParseError."""
    return _parse_single(text, "claim_text")  # type: ignore[no-any-return]


def parse_assumptions(text: str) -> tuple[Declaration, ...]:
    """Assumptions such as ``x in [-5, 5]`` or ``m >= 1 integer``; raises ParseError.
    Vectors it declares (``w, x in R^d``) are in force in its own expressions."""
    shapes = dict(vec.current())
    if len(text) <= MAX_LINE_CHARS:
        shapes_of_line(text.strip(), 1, shapes, start="assumption_text")
    with vec.declared(shapes):
        return _parse_single(text, "assumption_text")  # type: ignore[no-any-return]


def shapes_of(decls: Any) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """The vectors, matrices and families that parsed declarations declare."""
    out: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    for d in decls:
        if d.space is not None:
            for n in d.names:
                out[n] = d.space
    return out


def parse_expression(text: str) -> Expr:
    """One expression (e.g. for tests and tools); raises ParseError."""
    return _parse_single(text, "expr_text")  # type: ignore[no-any-return]


def _parse_single(text: str, start: str) -> Any:
    if "\n" in text.strip():
        raise ParseError([make("syntax", detail="expected a single line")])
    try:
        return parse_line(text.strip(), 1, start)
    except _LineError as exc:
        raise ParseError([make(exc.code, file="<input>", line=1, col=exc.col,
                               source=text.strip()[:200], **exc.fields)]) from None
    except RecursionError:
        raise ParseError([make("nesting-too-deep", depth="too many",
                               limit=MAX_TREE_DEPTH)]) from None
