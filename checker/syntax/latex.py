"""LaTeX math -> the same SymPy objects the ASCII language builds (see docs/latex.md).

The text is parsed by our own Lark grammar (``latex.lark``); nothing is handed to TeX, to
SymPy's ``parse_latex`` or to ``eval``. Before parsing, every command in the text is checked
against the list of commands the grammar knows: a macro definition, a file command or an
unknown command is refused with a coded diagnostic, and brackets are counted, so hostile input
fails at once.

LaTeX is embedded in the proof language by *rewriting*: each piece of math (an expression, a
relation sign, a comma, ``in``, an interval bracket) is read here, and the line handed to the
ASCII grammar keeps every character at its column, with each expression replaced by a run of
placeholder characters (one ``LATEX`` token) and each sign by its ASCII spelling. The ASCII
builder then takes the expression already built here for that token. So a ``.proof`` line
``show $\\frac{a}{b} \\le 1$ by algebra``, a ``.tex`` row and an ASCII line give the same
statement, and every position is the writer's own line and column.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from checker.functions import Phi, PhiInv
from checker.obligations import sym
from checker.syntax.build import (
    ARITY_WORDS,
    CONSTANTS,
    FUNCTIONS,
    MAX_NODES,
    MAX_TREE_DEPTH,
    Builder,
    BuildError,
    Built,
    _cond,
    _paren,
    opaque_term,
    tree_size,
)
from checker.vectors import build as vec
from checker.vectors.ir import Coord, shape_of

PLACEHOLDER = "\ue000"  # stands for one pre-built expression in the rewritten line
MAX_LATEX_DEPTH = 40  # open { ( [ | at once (as MAX_BRACKET_DEPTH for ASCII)

GREEK_NAMES = {"epsilon": "eps", "varepsilon": "eps", "vartheta": "theta", "varphi": "phi",
               "varpi": "pi", "varrho": "rho", "varsigma": "sigma"}
FUNCTION_COMMANDS = {"exp": "exp", "log": "log", "ln": "ln", "sin": "sin", "cos": "cos",
                     "tan": "tan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
                     "arctan": "atan", "arcsin": "asin", "arccos": "acos", "max": "max",
                     "min": "min", "det": "det", "Phi": "Phi"}
ACCENTS = {"bar": "bar", "overline": "bar", "hat": "hat", "widehat": "hat", "tilde": "tilde",
           "widetilde": "tilde"}
RELOPS = {"\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "\\ge": ">=", "\\geq": ">=",
          "\\geqslant": ">=", "\\ne": "!=", "\\neq": "!=", "\\lt": "<", "\\gt": ">",
          "≤": "<=", "≥": ">=", "≠": "!=", "==": "=", "<=": "<=", ">=": ">=", "!=": "!=",
          "<": "<", ">": ">", "=": "="}
MULOPS = {"\\cdot": "*", "\\times": "*", "\\div": "/", "*": "*", "/": "/"}
KINDS = {"N": "natural", "Z": "integer", "R": "real"}
INTERVALS = {"open_open": ("(", ")"), "open_closed": ("(", "]"), "closed_open": ("[", ")"),
             "closed_closed": ("[", "]")}

_SIZES = ("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
          "biggl", "biggr", "Biggl", "Biggr")
KNOWN_COMMANDS = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho",
    "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma",
    "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Psi", "Omega",
    *FUNCTION_COMMANDS, *ACCENTS, *_SIZES,
    "mathrm", "operatorname", "mathit", "mathsf", "textrm", "textit", "text", "mathbb",
    "frac", "dfrac", "tfrac", "sqrt", "binom", "dbinom", "tbinom", "sum", "Pr", "in",
    "cdot", "times", "div", "le", "leq", "leqslant", "ge", "geq", "geqslant", "ne", "neq",
    "lt", "gt", "lvert", "rvert", "vert", "lfloor", "rfloor", "lceil", "rceil",
    "quad", "qquad", "displaystyle", "textstyle", "limits", "nolimits",
    # vectors, matrices and families (docs/vectors.md)
    "prod", "langle", "rangle", "Vert", "lVert", "rVert", "top", "intercal", "infty",
})
# commands that define or expand macros, read or write files, or change how TeX reads
MACRO_COMMANDS = frozenset(
    [
        "def", "edef", "gdef", "xdef", "let", "futurelet", "newcommand", "renewcommand",
        "providecommand", "newenvironment", "renewenvironment", "DeclareMathOperator",
        "DeclareRobustCommand", "NewDocumentCommand", "csname", "endcsname", "expandafter",
        "noexpand", "input", "include", "InputIfFileExists", "includeonly", "openin", "openout",
        "read", "readline", "write", "immediate", "catcode", "uccode", "lccode", "mathcode",
        "directlua", "ShellEscape", "usepackage", "RequirePackage", "documentclass", "loop",
        "makeatletter", "special", "verbatiminput", "lstinputlisting", "includegraphics"
    ])

_COMMAND = re.compile(r"\\([A-Za-z]+|.?)", re.S)
_JUSTIFICATION = re.compile(r"\\(text|textrm|mbox|tag\*?)\s*\{\s*(?=by\b)")


@dataclass(frozen=True)
class Rewritten:
    """A line in the ASCII language (same length and line breaks as the original) and the
    expressions built for its placeholder tokens, by offset."""

    text: str
    table: dict[int, Built]


# ------------------------------------------------------------------------------ parser


def _event_op(child: Tree[Token] | Token) -> str | None:
    """The relation sign of an event's token (LaTeX grammar), or None for an operand."""
    if isinstance(child, Token) and child.type == "RELOP":
        return RELOPS[str(child)]
    return None


class _PostLex:
    """Lark post-lexer for what a context-free lexer cannot see.

    * A bare ``|`` opens an absolute value at the start, after an operator or an opening
      bracket, and when none is open; otherwise it closes the innermost one.
    * A TeX argument is one token: after ``\\frac`` (two arguments), ``^``, ``_`` and
      ``\\sqrt`` (one), digits are single arguments (``\\frac12`` is 1/2, ``x^23`` is x^2 3).
    """

    always_accept = ("BAR", "NBAR", "NUMBER")
    _OPERAND_ENDS = frozenset({"NUMBER", "DIGIT", "LETTER", "GREEK", "NAMECMD", "_RPAR",
                               "_RBRACK", "_RBRACE", "_RBAR", "_RFLOOR", "_RCEIL", "_RSET",
                               "BANG", "BB", "_RNORM", "_RANGLE", "TOP", "INFTY"})
    _TAKES: ClassVar[dict[str, int]] = {"FRAC": 2, "BINOM": 2, "SQRT": 1, "POW": 1,
                                        "_SUB": 1, "ACCENT": 1}

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        norms = 0  # norms open (a bare \\| closes one when it follows an operand)
        prev = ""
        pending = 0  # single-token arguments still to come
        groups: list[tuple[str, int]] = []  # open { or [ with the arguments pending after it
        for tok in stream:
            if tok.type == "BAR":
                tok.type = "_LBAR" if depth == 0 or prev not in self._OPERAND_ENDS else "_RBAR"
            if tok.type == "NBAR":
                tok.type = "_LNORM" if norms == 0 or prev not in self._OPERAND_ENDS \
                    else "_RNORM"
            if tok.type == "_LNORM":
                norms += 1
            elif tok.type == "_RNORM":
                norms -= 1
            if tok.type == "_LBAR":
                depth += 1
            elif tok.type == "_RBAR":
                depth -= 1
            if tok.type == "_LBRACE" or (tok.type == "_LBRACK" and prev == "SQRT"):
                groups.append((tok.type, max(pending - (tok.type == "_LBRACE"), 0)))
                pending = 0
            elif tok.type in ("_RBRACE", "_RBRACK") and groups and \
                    groups[-1][0] == ("_LBRACE" if tok.type == "_RBRACE" else "_LBRACK"):
                pending = groups.pop()[1]
            elif tok.type == "NUMBER" and pending:
                yield from self._split(tok, pending)
                pending = max(pending - len(str(tok)), 0)
                prev = "NUMBER"
                continue
            elif pending:
                pending -= 1
            pending += self._TAKES.get(tok.type, 0)
            prev = tok.type
            yield tok

    @staticmethod
    def _split(tok: Token, count: int) -> Iterator[Token]:
        text = str(tok)
        start = tok.start_pos or 0
        col = tok.column or 1
        i = 0
        while i < len(text) and i < count and text[i].isdigit():
            yield Token("DIGIT", text[i], start + i, tok.line, col + i, tok.line, col + i + 1,
                        start + i + 1)
            i += 1
        if i < len(text):
            yield Token("NUMBER", text[i:], start + i, tok.line, col + i, tok.end_line,
                        tok.end_column, tok.end_pos)


def warm() -> None:
    """Build the grammar now (the grader calls this before forking its workers)."""
    _parser()


@functools.cache
def _parser() -> Lark:
    return Lark.open("latex.lark", rel_to=__file__, parser="lalr", start="segment",
                     propagate_positions=True, maybe_placeholders=False, postlex=_PostLex())


# ------------------------------------------------------------------------------ positions


class _Places:
    def __init__(self, text: str, line0: int) -> None:
        self.text = text
        self.line0 = line0

    def at(self, offset: int) -> tuple[int, int]:
        line = self.line0 + self.text.count("\n", 0, offset)
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def error(self, code: str, offset: int, **fields: object) -> BuildError:
        line, col = self.at(offset)
        return BuildError(code, line, col, **fields)


# the usual homework macros and near-misses, and what to write instead
COMMAND_ALIASES = {"R": "\\mathbb{R}", "N": "\\mathbb{N}", "Z": "\\mathbb{Z}",
                   "E": "\\mathbb{E}", "P": "\\Pr", "Var": "\\operatorname{Var}",
                   "leqq": "\\le", "geqq": "\\ge", "ldots": "\\sum_{k=a}^{b}",
                   "cdots": "\\sum_{k=a}^{b}", "dots": "\\sum_{k=a}^{b}",
                   "mathbf": "\\mathrm", "boldsymbol": "\\mathrm",
                   "abs": "\\lvert x \\rvert", "ceil": "\\lceil x \\rceil",
                   "floor": "\\lfloor x \\rfloor", "relu": "\\operatorname{relu}"}


def suggest_command(name: str) -> str:
    if name in COMMAND_ALIASES:
        return f"; write {COMMAND_ALIASES[name]}"
    close = difflib.get_close_matches(name, sorted(KNOWN_COMMANDS), n=2, cutoff=0.6)
    if not close:
        return " (see docs/latex.md for the commands proofcheck reads)"
    return "; did you mean " + " or ".join(f"\\{c}" for c in close) + "?"


def macro_error(places: _Places, offset: int, name: str) -> BuildError:
    return places.error("latex-macro", offset, name=f"\\{name}")


def scan(text: str, start: int, end: int, places: _Places) -> None:
    """Refuse what the grammar must never see: unknown, macro and file commands, stray
    alignment or row marks, unbalanced or too deeply nested brackets."""
    for m in _COMMAND.finditer(text, start, end):
        name = m.group(1)
        if name.isalpha():
            if name in MACRO_COMMANDS:
                raise macro_error(places, m.start(), name)
            if name not in KNOWN_COMMANDS:
                raise places.error("latex-unknown-command", m.start(), name=f"\\{name}",
                                   suggestion=suggest_command(name))
        elif name == "\\":
            raise places.error("syntax", m.start(), detail="a row break \\\\ inside math: "
                               "one step per row of an align environment, or one per line")
        elif name not in (",", ";", ":", "!", " ", "{", "}", "_", "|"):
            shown = name if name.strip() else "a space"
            raise places.error("latex-unknown-command", m.start(), name=f"\\{shown}",
                               suggestion=suggest_command(name))
    stack: list[tuple[str, int]] = []
    i = start
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "&#%$":
            what = {"&": "an alignment mark & outside an align environment",
                    "#": "a macro parameter #", "%": "a comment inside math",
                    "$": "a $ inside math"}[ch]
            raise places.error("syntax", i, detail=f"{what} is not read here")
        if ch in "{([":
            stack.append((ch, i))
            if len(stack) > MAX_LATEX_DEPTH:
                line, col = places.at(i)
                raise BuildError("nesting-too-deep", line, col,
                                 depth=f"at least {MAX_LATEX_DEPTH + 1}", limit=MAX_LATEX_DEPTH)
        elif ch == "}":
            if not stack or stack[-1][0] != "{":
                raise places.error("unbalanced-brackets", i, detail="this '}' closes no '{'")
            stack.pop()
        elif ch in ")]":
            # (0, 1] and [0, 1) are intervals: a round or square bracket closes either
            if not stack or stack[-1][0] == "{":
                raise places.error("unbalanced-brackets", i,
                                   detail=f"this {ch!r} closes no '(' or '['")
            stack.pop()
        i += 1
    if stack:
        ch, at = stack[-1]
        raise places.error("unbalanced-brackets", at, detail=f"this {ch!r} is never closed")


_TOKEN_WORDS = {
    "NUMBER": "a number", "DIGIT": "a digit", "LETTER": "a letter", "GREEK": "a Greek letter",
    "RELOP": "a relation sign", "ADDOP": "'+' or '-'", "MULOP": "'\\cdot' or '/'",
    "POW": "'^'", "_SUB": "'_'", "_LPAR": "'('", "_RPAR": "')'", "_LBRACK": "'['",
    "_RBRACK": "']'", "_LBRACE": "'{'", "_RBRACE": "'}'", "COMMA": "','", "_RBAR": "'|'",
    "_LBAR": "'|'", "BAR": "'|'", "$END": "the end of the math", "IN": "'\\in'",
    "NAMECMD": "\\mathrm{...}", "FRAC": "\\frac", "MINUS": "'-'", "PLUS": "'+'",
}


def _translate(exc: LarkError, places: _Places, end: int) -> BuildError:
    if isinstance(exc, UnexpectedCharacters):
        return places.error("syntax", exc.pos_in_stream or 0,
                            detail=f"cannot read {exc.char!r} here")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        offset = tok.start_pos if tok.type != "$END" and tok.start_pos is not None else end
        expected = sorted({_TOKEN_WORDS.get(str(t), str(t).lower().strip("_"))
                           for t in exc.expected})
        if len(expected) > 5:
            expected = [*expected[:5], "..."]
        shown = "the end of the math" if tok.type == "$END" else repr(str(tok))
        return places.error("syntax", offset,
                            detail=f"unexpected {shown}; expected {', '.join(expected)}")
    if isinstance(exc, UnexpectedEOF):
        return places.error("syntax", end, detail="unexpected end of the math")
    return places.error("syntax", end, detail="this math could not be read")


def parse_math(text: str, start: int, end: int, places: _Places) -> Tree[Token]:
    """The Lark tree of ``text[start:end]``; positions are offsets in ``text``."""
    scan(text, start, end, places)
    masked = "".join(ch if ch == "\n" else " " for ch in text[:start]) + text[start:end]
    try:
        tree = _parser().parse(masked)
    except LarkError as exc:
        raise _translate(exc, places, end) from None
    nodes, depth = tree_size(tree)
    if nodes > MAX_NODES:
        raise places.error("expression-too-large", start, nodes=nodes, limit=MAX_NODES)
    if depth > MAX_TREE_DEPTH:
        raise places.error("nesting-too-deep", start, depth=depth, limit=MAX_TREE_DEPTH)
    return tree


# ------------------------------------------------------------------------------ builder


def _namecmd(tok: Token) -> tuple[str, str]:
    """(command, content) of ``\\mathrm{content}``."""
    text = str(tok)
    cmd = text[1:text.index("{")].strip()
    return cmd, text[text.index("{") + 1 : -1].strip()


_NAME_CONTENT = re.compile(r"[A-Za-z][A-Za-z0-9]*((\\?_)[A-Za-z0-9]+)*")


class LatexBuilder(Builder):
    """Builds expressions from ``latex.lark`` trees; values, readings and definedness
    conditions are those of the ASCII builder for the same expression."""

    def __init__(self, text: str, line0: int, declared: frozenset[str] = frozenset()) -> None:
        super().__init__(text, line0)
        self.declared = declared

    def place(self, node: Tree[Token] | Token) -> tuple[int, int]:
        # positions are offsets in the whole (possibly multi-line) text
        if isinstance(node, Token):
            if node.start_pos is None:
                return self.line0, 1
            return _Places(self.text, self.line0).at(node.start_pos)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.line0, 1
        return _Places(self.text, self.line0).at(meta.start_pos)

    def error(self, code: str, node: Tree[Token] | Token, **fields: object) -> BuildError:
        line, col = self.place(node)
        return BuildError(code, line, col, **fields)

    # -- names
    def name_of(self, node: Tree[Token] | Token) -> str:
        """The ASCII name a LaTeX name stands for: p_{A} is p_A, \\varepsilon is eps."""
        if isinstance(node, Token):
            if node.type in ("LETTER", "DIGIT"):
                return str(node)
            if node.type == "NUMBER":  # x_{12}
                if not str(node).isdigit():
                    raise self.error("syntax", node, detail="a subscript is a label of "
                                     "letters and digits (x_{12}, p_{A}), not a number")
                return str(node)
            if node.type == "GREEK":
                word = str(node)[1:]
                return GREEK_NAMES.get(word, word)
            if node.type == "NAMECMD":
                cmd, content = _namecmd(node)
                if not _NAME_CONTENT.fullmatch(content):
                    raise self.error("syntax", node, detail=f"\\{cmd}{{...}} must hold a name "
                                     "(letters, digits, \\_), such as \\mathrm{pA}; got "
                                     f"{content!r}")
                return content.replace("\\_", "_")
            raise AssertionError(node.type)
        if node.data == "accent":
            accent, base = node.children[0], node.children[1]
            return f"{self.name_of(base)}_{ACCENTS[str(accent)[1:]]}"
        if node.data == "sub":
            return "".join(self.name_of(c) for c in node.children)
        assert node.data == "lname", node.data
        name = self.name_of(node.children[0])
        if len(node.children) > 1:
            name += "_" + self.name_of(node.children[1])
        return name

    def _lname(self, node: Tree[Token]) -> Built:
        name = self.name_of(node)
        if name in CONSTANTS:
            return Built(CONSTANTS[name], name, ())
        if name in FUNCTIONS:
            raise self.error("reserved-name", node, name=name, why="a function",
                             use=f"used without arguments: write \\operatorname{{{name}}}(...)")
        node_value = vec.variable(name)  # a declared vector, matrix or coordinate (z_k)
        if node_value is not None:
            return Built(node_value, name, ())
        return Built(sym(name), name, ())

    # -- operators
    def _product(self, node: Tree[Token]) -> Built:
        children: list[Tree[Token] | Token] = []
        for c in node.children:
            if isinstance(c, Token) and c.type == "MULOP":
                c = Token.new_borrow_pos("MULOP", MULOPS[" ".join(str(c).split())], c)
            children.append(c)
        return super()._product(Tree("product", children, node.meta))

    def _juxt(self, node: Tree[Token]) -> Built:
        parts = [self.build(c) for c in node.children]
        value = parts[0].value
        shown = _paren(parts[0].shown)
        for i, b in enumerate(parts[1:], start=2):
            value = vec.multiply(value, b.value)  # w^\\top x: an inner product
            shown = f"({shown} * {_paren(b.shown)})" if i < len(parts) else \
                f"{shown} * {_paren(b.shown)}"
        return Built(value, shown, tuple(c for b in parts for c in b.conditions))

    def _frac(self, node: Tree[Token]) -> Built:
        num, den = (self.build(c) for c in node.children[1:])
        if den.value.is_zero:
            raise self.error("division-by-zero", node)
        conds = list(num.conditions) + list(den.conditions)
        if not den.value.is_Number:
            conds.append(_cond(den.value, "!=", sp.Integer(0), "the denominator is not 0"))
        return Built(num.value / den.value, f"{_paren(num.shown)} / {_paren(den.shown)}",
                     tuple(conds))

    def _power(self, node: Tree[Token]) -> Built:
        base = node.children[0]
        script = node.children[2]
        if isinstance(script, Tree) and script.data == "tmark":  # w^\\top, A^{\\top}
            b = self.build(base)
            value = vec.power(b.value, sp.Symbol("T"))
            if value is None:
                raise self.error("shape-mismatch", script, what="^\\top",
                                 detail=f"{b.shown} is a number; ^\\top transposes a vector "
                                 "or a matrix")
            return Built(value, f"{_paren(b.shown)}^T", b.conditions)
        if isinstance(base, Tree) and base.data == "call":
            head, arg = self._call_product(base)
            if head is not None and arg is not None:  # x(y+1)^2 is x*(y+1)^2
                powered = super()._power(Tree("power", [arg, *node.children[1:]], node.meta))
                return Built(vec.multiply(head.value, powered.value),
                             f"{_paren(head.shown)} * {_paren(powered.shown)}",
                             head.conditions + powered.conditions)
        return super()._power(node)

    def _factorial(self, node: Tree[Token]) -> Built:
        return self.apply("factorial", [self.build(node.children[0])], node.children[1])

    def _floor(self, node: Tree[Token]) -> Built:
        return self.apply("floor", [self.build(node.children[0])], node)

    def _ceil(self, node: Tree[Token]) -> Built:
        return self.apply("ceil", [self.build(node.children[0])], node)

    def _sqrt(self, node: Tree[Token]) -> Built:
        return self.apply("sqrt", [self.build(node.children[1])], node.children[0])

    def _root(self, node: Tree[Token]) -> Built:
        index, radicand = node.children[1], node.children[2]
        n = self.build(index)
        x = self.build(radicand)
        if not (n.value.is_Integer and 2 <= n.value <= 1000):
            raise self.error("syntax", index, detail="\\sqrt[n]{...} needs a whole number n "
                             "from 2 to 1000")
        one_over = sp.Rational(1, int(n.value))
        conds = list(x.conditions)
        if not (x.value.is_Number and x.value >= 0):
            conds.append(_cond(x.value, ">=", sp.Integer(0),
                               "the base of a fractional power is >= 0"))
        return Built(sp.Pow(x.value, one_over), f"{_paren(x.shown)}^(1/{n.value})",
                     tuple(conds))

    def _binom(self, node: Tree[Token]) -> Built:
        return self.apply("binomial", [self.build(c) for c in node.children[1:]],
                          node.children[0])

    # -- functions
    def apply(self, name: str, args: Sequence[Built], at: Tree[Token] | Token) -> Built:
        """A function of the ASCII language applied to built arguments."""
        lo, hi, _ = FUNCTIONS[name]
        line, col = self.place(at)
        if not lo <= len(args) <= hi:
            expected = ARITY_WORDS.get(lo, f"{lo} arguments") if lo == hi else \
                f"{lo} to {hi} arguments"
            given = len(args)
            raise BuildError("wrong-arity", line, col, name=name, expected=expected,
                             given=f"{given} {'was' if given == 1 else 'were'}")
        return self.call_built(name, list(args), line, col)

    def _function(self, node: Tree[Token], args: list[Built]) -> Built:
        func_tok, scripts = node.children[0], node.children[1]
        assert isinstance(func_tok, Token) and isinstance(scripts, Tree)
        word = str(func_tok)[1:]
        name = FUNCTION_COMMANDS[word]
        power = base = None
        after_pow = False
        for s in scripts.children:
            # fscripts: (POW script)? (_SUB script)? -- the POW token marks a power
            if isinstance(s, Token) and s.type == "POW":
                after_pow = True
            elif after_pow:
                power, after_pow = s, False
            else:
                base = s
        if name in ("max", "min") and base is None and power is None and len(args) == 4 and \
                isinstance(args[0].value, sp.Symbol) and args[0].shown not in vec.current() \
                and vec.uses_index(args[3].value, args[0].value):
            # \\max(k, 1, K, z_k): over a family, as max(k, 1, K, z_k) in ASCII
            return self.family_extreme_built(name, args[0].shown, args[1], args[2], args[3])
        if base is not None and name in ("max", "min"):  # \\max_k z_k: over a family
            if power is not None or len(args) != 1:
                raise self.error("syntax", func_tok, detail=f"\\{word}_{{k}} takes one body: "
                                 f"\\{word}_{{k}} z_k or \\{word}_{{1 \\le k \\le K}} z_k")
            k_name = self._index_name(base)
            lo, hi = self._implied_range(k_name, args[0], func_tok)
            return self.family_extreme_built(name, k_name, lo, hi, args[0])
        if base is not None:
            if name != "log":
                raise self.error("syntax", func_tok, detail=f"\\{word} takes no subscript")
            b = self.build(base)
            args = [*args, b]
        inverse = False
        if power is not None:
            p = self.build(power)
            if p.value == -1:
                if name != "Phi":
                    raise self.error("syntax", func_tok, detail=f"\\{word}^{{-1}} is not "
                                     "read: write the inverse function (\\arcsin, \\Phi^{-1}, "
                                     "...) or \\frac{1}{...}")
                inverse = True
            elif not (p.value.is_Integer and 1 <= p.value <= 100):
                raise self.error("syntax", func_tok, detail=f"\\{word}^{{...}}: only a whole "
                                 "power from 1 to 100 (or \\Phi^{-1})")
        if inverse:
            result = self.apply("Phi_inv", args, func_tok)
        else:
            result = self.apply(name, args, func_tok)
            if power is not None and not inverse and p.value != 1:
                result = Built(result.value ** p.value, f"{result.shown}^{p.shown}",
                               result.conditions)
        return result

    def _func_call(self, node: Tree[Token]) -> Built:
        args_tree = node.children[2]
        assert isinstance(args_tree, Tree)
        return self._function(node, [self.build(a) for a in args_tree.children])

    def _func_bare(self, node: Tree[Token]) -> Built:
        bare = node.children[2]
        assert isinstance(bare, Tree)
        arg = self.build(bare.children[0]) if len(bare.children) == 1 else self._juxt(bare)
        return self._function(node, [arg])

    def _call_product(self, node: Tree[Token]) -> tuple[Built | None, Tree[Token] | None]:
        """For ``name(...)`` read as a product (a declared variable or a constant before a
        parenthesis): (the name, the parenthesized argument); else (None, None)."""
        head, args = node.children
        assert isinstance(head, Tree) and isinstance(args, Tree)
        name = self.name_of(head)
        if name in FUNCTIONS or len(args.children) != 1:
            return None, None
        if name in self.declared or name in CONSTANTS or name in vec.current():
            return self._lname(head), Tree("paren", [args.children[0]], args.meta)
        return None, None

    def _call(self, node: Tree[Token]) -> Built:
        head, args = node.children
        assert isinstance(head, Tree) and isinstance(args, Tree)
        name = self.name_of(head)
        if name in ("sum", "prod") and args.children:  # \\operatorname{sum}(k, 1, n, k)
            line, col = self.place(head)
            var = args.children[0]
            nodes = list(args.children)
            if isinstance(var, Tree) and var.data == "lname":
                nodes[0] = Tree("name", [Token("NAME", self.name_of(var), line=1, column=col)])
            if len(nodes) != 4:
                raise self.error("wrong-arity", head, name=name, expected=ARITY_WORDS[4],
                                 given=f"{len(nodes)} {'was' if len(nodes) == 1 else 'were'}")
            return self._finite_sum(nodes, line, col, name)
        if name in FUNCTIONS:
            return self.apply(name, [self.build(a) for a in args.children], head)
        first, arg = self._call_product(node)
        if first is not None and arg is not None:
            inner = self.build(arg)
            return Built(vec.multiply(first.value, inner.value), f"{_paren(first.shown)} * "
                         f"{_paren(inner.shown)}", first.conditions + inner.conditions)
        explicit = isinstance(head.children[0], Token) and head.children[0].type == "NAMECMD" \
            and str(head.children[0]).startswith("\\operatorname")
        written = self.source(node)
        if explicit or len(args.children) != 1:
            from checker.diagnostics import did_you_mean

            raise self.error("unknown-function", head, name=name,
                             suggestion=did_you_mean(name, list(FUNCTIONS)))
        arg_text = self.source(args.children[0])
        raise self.error("latex-ambiguous", head, text=written,
                         first=f"the product {name}*({arg_text})",
                         second=f"a function {name} applied to {arg_text}",
                         fix=f"declare {name} as a variable (given ...) or write "
                         f"{name} \\cdot ({arg_text}) for the product; proofcheck has no "
                         f"function named {name}")

    def _opaque(self, node: Tree[Token]) -> Built:
        head_node, args_tree = node.children
        assert isinstance(args_tree, Tree)
        if isinstance(head_node, Token) and head_node.type == "PR":
            head = "P"
        elif isinstance(head_node, Token) and head_node.type == "BB":
            letter = str(head_node).replace("\\mathbb", "").strip(" {}")
            if letter not in ("P", "E"):
                raise self.error("syntax", head_node, detail=f"\\mathbb{{{letter}}}[...] is not "
                                 "read: \\mathbb{P}[...] and \\mathbb{E}[...] are")
            head = letter
        else:
            head = self.name_of(head_node)
        if head in FUNCTIONS or head in CONSTANTS:
            raise self.error("reserved-name", head_node, name=head,
                             why="a function or constant",
                             use="the name of an opaque quantity like P[...]")
        return opaque_term(head, args_tree.children, "orel", _event_op, self.build)

    def _bigsum(self, node: Tree[Token]) -> Built:
        sum_tok, var, eq, lo, _pow, hi, body = node.children
        assert isinstance(eq, Token) and isinstance(var, Tree) and isinstance(body, Tree)
        if RELOPS[str(eq)] != "=":
            raise self.error("syntax", eq, detail="\\sum_{k=a}^{b}: write = after the index")
        k_name = self.name_of(var)
        line, col = self.place(var)
        name_tree: Tree[Token] = Tree("name", [Token("NAME", k_name, line=1, column=col)])
        body_node = body.children[0] if len(body.children) == 1 else Tree("juxt", body.children,
                                                                           body.meta)
        return self._finite_sum([name_tree, lo, hi, body_node], line, col, _bigop(sum_tok))

    # -- vectors, matrices and families (docs/vectors.md): the ASCII builder's own logic
    def _inner(self, node: Tree[Token]) -> Built:
        a, b = (self.build(c) for c in node.children)
        return self.inner_of(a, b)

    def _norm(self, node: Tree[Token]) -> Built:
        inner = self.build(node.children[0])
        if len(node.children) == 1:  # \\|x\\|: the Euclidean norm of a vector
            if len(shape_of(inner.value)) == 2 and 1 not in shape_of(inner.value):
                raise self.error("syntax", node, detail="the norm of a matrix needs its "
                                 "subscript: \\|A\\|_{op} (= \\|A\\|_2) or \\|A\\|_F")
            return self.norm_of(inner, "_2")
        sub_node = node.children[1]
        assert isinstance(sub_node, Tree)
        words = []
        for tok in sub_node.children:
            assert isinstance(tok, Token)
            words.append("inf" if tok.type == "INFTY" else
                         _namecmd(tok)[1] if tok.type == "NAMECMD" else str(tok))
        sub = "".join(words)
        if sub not in ("1", "2", "inf", "op", "F"):
            raise self.error("syntax", sub_node, detail=f"a norm's subscript is 1, 2, \\infty, "
                             f"op or F (\\|x\\|_1, \\|A\\|_{{op}}); got {sub!r}")
        return self.norm_of(inner, f"_{sub}")

    def _tmark(self, node: Tree[Token]) -> Built:
        raise self.error("syntax", node, detail="\\top marks a transpose: write it as an "
                         "exponent, w^\\top x")

    def _index_name(self, node: Tree[Token] | Token) -> str:
        if not (isinstance(node, Tree) and node.data == "lname"):
            raise self.error("bad-sum", node, got=self.source(node))
        k_name = self.name_of(node)
        if k_name in CONSTANTS or k_name in vec.current():
            raise self.error("reserved-name", node, name=k_name, why="a constant or a vector",
                             use="an index")
        return k_name

    def _implied_range(self, k_name: str, body: Built,
                       at: Tree[Token] | Token) -> tuple[Built, Built]:
        """The range 1..n of ``\\sum_k z_k``, ``\\max_k z_k``: the length of the declared
        family (or vector) that the body indexes by k, exactly ``z_k``; one length only."""
        k = sym(k_name)
        sizes: set[sp.Expr] = set()
        for c in body.value.atoms(Coord):
            if k not in c.args[1].free_symbols:
                continue
            shape = vec.current().get(str(c.args[0].name))
            if c.args[1] != k or shape is None:
                sizes = set()
                break
            sizes.add(shape[0])
        if len(sizes) != 1:
            raise self.error("syntax", at, detail=f"a range given by its index alone ranges "
                             f"over one declared family indexed by {k_name} (z_{k_name}); "
                             f"write the bounds: _{{{k_name}=1}}^{{K}}, or "
                             f"_{{1 \\le {k_name} \\le K}} for \\max and \\min")
        n = sizes.pop()
        return Built(sp.Integer(1), "1", ()), Built(n, str(n), ())

    def _bigsum_implied(self, node: Tree[Token]) -> Built:
        sum_tok, var, body = node.children
        assert isinstance(body, Tree)
        k_name = self._index_name(var)
        body_node = body.children[0] if len(body.children) == 1 else Tree("juxt", body.children,
                                                                           body.meta)
        inner = self.build(body_node)
        lo, hi = self._implied_range(k_name, inner, sum_tok)
        line, col = self.place(sum_tok)
        return self.finite_sum_built(k_name, lo, hi, inner, line, col, _bigop(sum_tok))

    def _func_range(self, node: Tree[Token]) -> Built:
        func_tok, lo_node, op1, var, op2, hi_node, body = node.children
        assert isinstance(func_tok, Token) and isinstance(op1, Token) and isinstance(op2, Token)
        word = str(func_tok)[1:]
        if word not in ("max", "min") or RELOPS[str(op1)] != "<=" or RELOPS[str(op2)] != "<=":
            raise self.error("syntax", func_tok, detail="a range under \\max or \\min is "
                             f"written {{1 \\le k \\le K}}; \\{word} takes no such range"
                             if word not in ("max", "min") else
                             "a range under \\max or \\min is written {1 \\le k \\le K}")
        k_name = self._index_name(var)
        lo, hi = self.build(lo_node), self.build(hi_node)
        if isinstance(body, Tree) and body.data == "bare":
            inner = self.build(body.children[0]) if len(body.children) == 1 else self._juxt(body)
        else:
            inner = self.build(body)
        if not vec.uses_index(inner.value, sym(k_name)):
            raise self.error("syntax", func_tok, detail=f"\\{word} over {k_name}: the body "
                             f"uses no member of a family indexed by {k_name} (z_{k_name})")
        return self.family_extreme_built(FUNCTION_COMMANDS[word], k_name, lo, hi, inner)


def _bigop(tok: Tree[Token] | Token) -> str:
    """``sum`` for ``\\sum``, ``prod`` for ``\\prod``."""
    return str(tok).strip()[1:]


# ------------------------------------------------------------------------------ rewriting


@dataclass
class _Piece:
    start: int
    end: int
    ascii: str | None  # None: an expression (placeholders); else its ASCII spelling
    built: Built | None = None


def _span(node: Tree[Token] | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        assert node.start_pos is not None and node.end_pos is not None
        return node.start_pos, node.end_pos
    return node.meta.start_pos, node.meta.end_pos


def _pieces(tree: Tree[Token], builder: LatexBuilder) -> list[_Piece]:
    out: list[_Piece] = []

    def expr(node: Tree[Token] | Token) -> None:
        s, e = _span(node)
        assert isinstance(node, Tree)
        out.append(_Piece(s, e, None, builder.build(node)))

    def sign(tok: Token, ascii_text: str) -> None:
        s, e = _span(tok)
        out.append(_Piece(s, e, ascii_text))

    items = tree.children
    for n, item in enumerate(items):
        if n:  # the comma between two items
            out.append(_Piece(out[-1].end, _span(item)[0], ","))
        if not isinstance(item, Tree) or item.data not in ("lchain", "lcont", "lin", "lkind",
                                                            "lspace", "lbox"):
            expr(item)
            continue
        if item.data in ("lchain", "lcont"):
            for c in item.children:
                if isinstance(c, Token) and c.type == "RELOP":
                    sign(c, RELOPS[str(c)])
                else:
                    expr(c)
        elif item.data in ("lspace", "lbox"):  # w \\in \\mathbb{R}^d, x \\in [0, 1]^d
            subject, in_tok, where, pow_tok, script = item.children
            assert isinstance(in_tok, Token) and isinstance(pow_tok, Token)
            expr(subject)
            sign(in_tok, "in")
            if isinstance(where, Token):  # \\mathbb{R}
                letter = str(where).replace("\\mathbb", "").strip(" {}")
                if letter != "R":
                    raise builder.error("bad-declaration", where, detail="vectors and "
                                        "matrices are declared in \\mathbb{R}^d or "
                                        "\\mathbb{R}^{m \\times d}")
                start = _span(where)[0]
                head = "R"
            else:
                lo, hi = where.children
                left, right = INTERVALS[where.data]
                start = _span(where)[0]
                out.append(_Piece(start, _span(lo)[0], left))
                expr(lo)
                out.append(_Piece(out[-1].end, _span(hi)[0], ","))
                expr(hi)
                start = out[-1].end
                head = right
            # the space in ASCII (R^d, R^(m x d), ]^(d + 1)), in the place of what it reads
            text = head + "^" + _space_dims(builder, script, matrix=isinstance(where, Token))
            end = _span(script)[1]
            if end < len(builder.text) and builder.text[end] == "}":
                end += 1
            if len(text) > end - start:
                raise builder.error("bad-declaration", script, detail="write the dimension as "
                                    "a name or a number (\\mathbb{R}^d, \\mathbb{R}^{m \\times d})")
            out.append(_Piece(start, end, text))
        elif item.data == "lin":
            subject, in_tok, interval = item.children
            assert isinstance(in_tok, Token) and isinstance(interval, Tree)
            expr(subject)
            sign(in_tok, "in")
            lo, hi = interval.children
            left, right = INTERVALS[interval.data]
            s, e = _span(interval)
            out.append(_Piece(s, _span(lo)[0], left))
            expr(lo)
            out.append(_Piece(out[-1].end, _span(hi)[0], ","))
            expr(hi)
            out.append(_Piece(out[-1].end, e, right))
        else:  # lkind: x \in \mathbb{N}
            subject, in_tok, bb = item.children
            expr(subject)
            assert isinstance(in_tok, Token) and isinstance(bb, Token)
            letter = str(bb).replace("\\mathbb", "").strip(" {}")
            if letter not in KINDS:
                raise builder.error("syntax", bb, detail="a domain is \\mathbb{N} (natural), "
                                    "\\mathbb{Z} (integer), \\mathbb{R} (real) or an interval")
            s, _ = _span(in_tok)
            _, e = _span(bb)
            out.append(_Piece(s, e, KINDS[letter]))
    return out


def _space_dims(builder: LatexBuilder, script: Tree[Token] | Token, matrix: bool) -> str:
    """The dimensions of ``\\mathbb{R}^{...}`` in the ASCII language: ``d``, ``(d + 1)``,
    ``(m x d)`` (a matrix's two sides are names or numbers, as in ASCII)."""
    assert isinstance(script, Tree)
    if script.data == "product" and len(script.children) == 3 and \
            str(script.children[1]).strip() == "\\times":
        if not matrix:
            raise builder.error("bad-declaration", script, detail="a box [a, b]^d has one "
                                "dimension")
        sides = [builder.build(c) for c in (script.children[0], script.children[2])]
        for side, node in zip(sides, (script.children[0], script.children[2]), strict=True):
            if not (isinstance(side.value, sp.Symbol) or side.value.is_Integer):
                raise builder.error("bad-declaration", node, detail="each side of m \\times d "
                                    "is a name or a number")
        return f"({sides[0].shown} x {sides[1].shown})"
    dim = builder.build(script)
    return dim.shown if isinstance(dim.value, sp.Symbol) or dim.value.is_Integer \
        else f"({dim.shown})"


def split_justification(text: str, start: int, end: int,
                        places: _Places) -> tuple[int, tuple[int, int] | None]:
    """A final ``\\text{by ...}`` or ``\\tag{by ...}`` in ``text[start:end]``: (where the math
    ends, the span of the ``by ...`` text, kept as written) or (end, None)."""
    m = _JUSTIFICATION.search(text, start, end)
    if m is None:
        return end, None
    depth = 1
    i = m.end()
    while i < end and depth:
        depth += text[i] == "{"
        depth -= text[i] == "}"
        i += 1
    if depth:
        raise places.error("unbalanced-brackets", m.start(), detail="this \\text{ is never "
                           "closed")
    rest = text[i:end].strip().strip(".,").strip()
    if rest:
        raise places.error("syntax", i, detail="the justification \\text{by ...} must come "
                           "last")
    return m.start(), (m.end(), i - 1)


def rewrite(text: str, line0: int, segments: Sequence[tuple[int, int]],
            declared: frozenset[str] = frozenset(),
            keep: Sequence[tuple[int, int]] = ()) -> Rewritten:
    """``text`` with each math segment ``text[s:e]`` rewritten into the ASCII language (see
    the module's docstring). Characters outside segments are kept where ``keep`` says so,
    or when no ``keep`` is given, everywhere outside the segments; all else becomes spaces.

    A segment may end with ``\\text{by ...}`` or ``\\tag{by ...}``: that justification, like
    the ``keep`` parts, is proof-language text, where ``\\_`` is ``_`` and ``$...$`` is math."""
    places = _Places(text, line0)
    builder = LatexBuilder(text, line0, declared)
    out = list(text)
    if keep:
        out = [ch if ch == "\n" else " " for ch in text]
    maths: list[tuple[int, int]] = []
    verbatim = list(keep)
    for start, end in segments:
        for i in range(start, end):
            if text[i] != "\n":
                out[i] = " "
        math_end, just = split_justification(text, start, end, places)
        stop = text[start:math_end].rstrip()
        if stop.endswith((".", ",")):  # the sentence's full stop: "&= \\delta. \\text{by ...}"
            math_end = start + len(stop) - 1
        if just is not None:
            verbatim.append(just)
        elif not text[start:math_end].strip():
            raise places.error("expected-expression", start, after="$")
        if text[start:math_end].strip():
            maths.append((start, math_end))
    for s, e in verbatim:
        maths += _verbatim(text, s, e, out, line0)
    table: dict[int, Built] = {}
    for start, end in maths:
        tree = parse_math(text, start, end, places)
        for piece in _pieces(tree, builder):
            if piece.ascii is None:
                assert piece.built is not None
                table[piece.start] = piece.built
                for i in range(piece.start, piece.end):
                    if text[i] != "\n":
                        out[i] = PLACEHOLDER
            else:
                width = piece.end - piece.start
                assert len(piece.ascii) <= width, (piece.ascii, width)
                out[piece.start:piece.end] = piece.ascii.ljust(width)
    return Rewritten("".join(out), table)


def _verbatim(text: str, start: int, end: int, out: list[str],
              line0: int) -> list[tuple[int, int]]:
    """Copy proof-language text ``text[start:end]`` into ``out``, with ``\\_`` read as ``_``
    (each stretch between $...$ padded to its width); return its ``$...$`` math segments."""
    region = text[start:end]
    if "$" not in region and "\\_" not in region:
        out[start:end] = region
        return []
    inner = dollar_segments(text, line0, start, end) if "$" in region else []
    cuts = [start]
    for s, e in inner:
        cuts += [s - _dollar_width(text, s), e + _dollar_width(text, s)]
    cuts.append(end)
    for k in range(0, len(cuts), 2):
        a, b = cuts[k], cuts[k + 1]
        out[a:b] = text[a:b].replace("\\_", "_").ljust(b - a)
    return inner


_DOLLAR = re.compile(r"\$\$?")


def dollar_segments(text: str, line0: int, start: int = 0,
                    end: int | None = None) -> list[tuple[int, int]]:
    """The ``$...$`` (or ``$$...$$``) math of a proof-language line (or of its part
    ``text[start:end]``), without the dollars."""
    places = _Places(text, line0)
    out: list[tuple[int, int]] = []
    comment = _comment_start(text) if end is None else end
    opened: re.Match[str] | None = None
    for m in _DOLLAR.finditer(text, start, comment):
        if m.start() > 0 and text[m.start() - 1] == "\\":
            continue
        if opened is None:
            opened = m
            continue
        if m.group() != opened.group() or "\n" in text[opened.end():m.start()]:
            raise places.error("latex-unclosed-math", opened.start())
        out.append((opened.end(), m.start()))
        opened = None
    if opened is not None:
        raise places.error("latex-unclosed-math", opened.start())
    return out


def _comment_start(text: str) -> int:
    """Where a ``#`` comment starts outside ``$...$`` (or the text's end)."""
    inside = False
    for i, ch in enumerate(text):
        if ch == "$" and (i == 0 or text[i - 1] != "\\"):
            inside = not inside
        elif ch == "#" and not inside:
            return i
        elif ch == "\n":
            inside = False
    return len(text)


def rewrite_dollars(text: str, line0: int, declared: frozenset[str] = frozenset()) -> Rewritten:
    """A proof-language line with ``$...$`` math, rewritten for the ASCII grammar."""
    segments = dollar_segments(text, line0)
    r = rewrite(text, line0, segments, declared)
    chars = list(r.text)
    for s, e in segments:  # the dollars themselves
        for i in range(s - 1, s - 1 - _dollar_width(text, s), -1):
            chars[i] = " "
        for i in range(e, e + _dollar_width(text, s)):
            chars[i] = " "
    return Rewritten("".join(chars), r.table)


def _dollar_width(text: str, s: int) -> int:
    return 2 if s >= 2 and text[s - 2 : s] == "$$" else 1


# ------------------------------------------------------------------------------ public


def parse_latex_expression(text: str, declared: frozenset[str] = frozenset()) -> Built:
    """One LaTeX expression (for tests and tools); raises BuildError."""
    places = _Places(text, 1)
    tree = parse_math(text, 0, len(text), places)
    builder = LatexBuilder(text, 1, declared)
    items = tree.children
    node = items[0]
    if isinstance(node, Tree) and node.data == "lchain" and len(node.children) == 1:
        node = node.children[0]
    if len(items) != 1 or (isinstance(node, Tree) and node.data in
                           ("lchain", "lcont", "lin", "lkind")):
        raise places.error("syntax", 0, detail="expected one expression")
    assert isinstance(node, Tree)
    return builder.build(node)


__all__ = ["PLACEHOLDER", "Phi", "PhiInv", "Rewritten", "dollar_segments",
           "parse_latex_expression", "rewrite", "rewrite_dollars"]
