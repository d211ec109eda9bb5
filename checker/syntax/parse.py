"""Text -> ``ProofFile``: limits first, then each line parsed on its own, then blocks assembled.

Parsing line by line means one bad line never hides the next: every independent error in a
file is reported in one run. A statement may continue on the next lines while a bracket is
open. Only this module sees Lark trees.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from checker.diagnostics import Diagnostic, ParseError, make
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
    tree_size,
)

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
            "\\": ": LaTeX commands are not read yet; write sqrt(x), exp(x), ...",
            "'": ": derivatives are written out by hand",
            ";": ": put one statement per line",
            "!": ": write factorial(n)",
            "&": "",
            "@": "",
            "$": ": write plain ASCII math without $",
        }
        hint = hints.get(char, "")
        if not hint and "\u0370" <= char <= "\u03ff":
            hint = ": write Greek letters as words (delta, sigma, eps, ...)"
        return _LineError("unexpected-character", line, col, char=char, hint=hint)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
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

    def _bare_name(self, node: Any) -> str:
        if isinstance(node, Tree) and node.data.endswith("name"):
            name = str(node.children[0])
            if name in CONSTANTS or name in FUNCTIONS:
                line, col = self.b.place(node)
                why = "a constant" if name in CONSTANTS else "a function"
                raise _LineError("reserved-name", line, col, name=name, why=why,
                                 use="declared as a variable")
            return name
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
            return Let(name, self.expr(c[-1]), sp_)
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


def parse_line(text: str, line0: int = 1, start: str = "line") -> Any:
    """Parse one logical line into a statement (or ``start``'s result); raises _LineError."""
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
        raise _translate(exc, text, line0) from None
    nodes, depth = tree_size(tree)
    if nodes > MAX_NODES:
        raise _LineError("expression-too-large", line0, 1, nodes=nodes, limit=MAX_NODES)
    if depth > MAX_TREE_DEPTH:
        raise _LineError("nesting-too-deep", line0, 1, depth=depth, limit=MAX_TREE_DEPTH)
    lines = _Lines(text, line0)
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

    for line0, chunk in _logical_lines(text):
        if not chunk.split("#", 1)[0].strip():
            continue
        if sum(d.severity == "error" for d in diags) >= MAX_ERRORS:
            diags.append(make("too-many-errors", file=path, line=line0, col=1,
                              limit=MAX_ERRORS))
            break
        try:
            pieces.append((line0, parse_line(chunk, line0)))
        except _LineError as exc:
            error(exc)
        except RecursionError:
            error(_LineError("nesting-too-deep", line0, 1, depth="too many",
                             limit=MAX_TREE_DEPTH))
    proof = _assemble(pieces, path, physical, diags)
    diags.sort(key=lambda d: (d.line, d.col))
    return proof, diags


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
    """Read and parse a proof file (limits checked before reading it whole)."""
    text = read_source(path)
    return parse_text(text, str(path))


def parse_claim(text: str) -> RelChain:
    """A claim given on the command line or to ``check_claim``; raises ParseError."""
    return _parse_single(text, "claim_text")  # type: ignore[no-any-return]


def parse_assumptions(text: str) -> tuple[Declaration, ...]:
    """Assumptions such as ``x in [-5, 5]`` or ``m >= 1 integer``; raises ParseError."""
    return _parse_single(text, "assumption_text")  # type: ignore[no-any-return]


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
