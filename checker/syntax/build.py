"""Lark parse trees of expressions -> SymPy objects, with limits and definedness conditions.

Nothing here turns text into code: numbers are read digit by digit into Python integers after
their length is checked, names become Symbols, and each operator builds its SymPy node. Sizes
are bounded before SymPy evaluates anything that could blow up (huge powers, factorials,
long sums), so hostile input fails fast with a coded diagnostic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp
from lark import Token, Tree

from checker.functions import OPS as EVENT_OPS
from checker.functions import Event, Phi, PhiInv, Sigmoid
from checker.obligations import Relation, sym
from checker.syntax.ast import Condition, Expr, Span
from checker.vectors import build as vec
from checker.vectors.ir import MAX_DIM, NotExpandable, shape_of

MAX_DIGITS = 100  # digits in one number literal
MAX_BITS = 4000  # bits in any number the parser computes (about 1,200 decimal digits)
MAX_SYMBOLIC_EXPONENT = 1000  # |n| in x^n for a symbolic base
MAX_FACTORIAL = 1000  # largest n in a computed factorial(n)
MAX_SUM_TERMS = 10_000  # terms in a sum with numeric bounds
MAX_NODES = 2000  # parse-tree nodes in one line
MAX_TREE_DEPTH = 100  # parse-tree depth of one line

CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}


class BuildError(Exception):
    """A coded problem at a place in the line being built."""

    def __init__(self, code: str, line: int, col: int, **fields: object) -> None:
        super().__init__(code)
        self.code = code
        self.line = line
        self.col = col
        self.fields = fields


@dataclass(frozen=True)
class Built:
    value: sp.Expr
    shown: str  # fully parenthesized reading
    conditions: tuple[Condition, ...]


def _differentiable(value: sp.Expr, shown: str, line: int, col: int) -> tuple[Condition, ...]:
    """Where a derivative computed by SymPy exists: where its own value is defined
    (``diff(sqrt(x), x)`` is ``1/(2*sqrt(x))``: x > 0; the gradient of ``||w||_2`` needs
    w != 0), on top of where f is. A kink (abs, max, min, relu: SymPy answers with a sign, a
    step or a delta, and a value at the kink where there is none) is refused."""
    from checker.engines.definedness import conditions

    if value.has(sp.Heaviside, sp.DiracDelta, sp.sign):
        raise BuildError("not-differentiable", line, col, what=shown,
                         detail="abs, max, min and relu have no derivative at their kinks; "
                         "split the cases (x > 0, x < 0) and differentiate each piece")
    out: list[Condition] = []
    for node in sp.preorder_traversal(value):
        if isinstance(node, (sp.Pow, sp.log)):
            for rel in conditions(node) or ():
                c = _cond(rel.lhs, rel.op, rel.rhs, f"where {shown} exists")
                if c not in out:
                    out.append(c)
    return tuple(out)


def _cond(lhs: sp.Expr, op: str, rhs: sp.Expr, why: str, kind: str = "plain") -> Condition:
    return Condition(Relation(lhs, op, rhs), why, kind)


def _atomic(shown: str) -> bool:
    """Does the reading need no parentheses as an operand?"""
    if shown.startswith("(") and shown.endswith(")"):
        depth = 0
        for i, ch in enumerate(shown):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(shown) - 1:
                return False
        return True
    if all(ch.isalnum() or ch in "_." for ch in shown):
        return True
    head = shown.split("(")[0]
    if shown.endswith(")") and head and head.replace("_", "").isalnum():
        return _closes_at_end(shown, len(head))  # a call: name(...) as a whole
    if _NORM_SHOWN.fullmatch(shown) or _INNER_SHOWN.fullmatch(shown):
        return True  # ||x||_1, <u, v>
    return shown.startswith("|") and shown.endswith("|") and shown.count("|") == 2


_NORM_SHOWN = re.compile(r"\|\|[^|]*\|\|_(1|2|inf|op|F)")
_INNER_SHOWN = re.compile(r"<[^<>]*>")


def _closes_at_end(text: str, open_at: int) -> bool:
    depth = 0
    for i in range(open_at, len(text)):
        depth += text[i] == "("
        depth -= text[i] == ")"
        if depth == 0:
            return i == len(text) - 1
    return False


def _paren(shown: str) -> str:
    return shown if _atomic(shown) else f"({shown})"


# ---------------------------------------------------------------------------- functions


FnBuilder = Callable[[Sequence[sp.Expr]], tuple[sp.Expr, list[Condition]]]


def _log(a: Sequence[sp.Expr]) -> tuple[sp.Expr, list[Condition]]:
    conds = [_cond(a[0], ">", sp.Integer(0), "the argument of log is > 0")]
    if len(a) == 1:
        return sp.log(a[0]), conds
    conds += [
        _cond(a[1], ">", sp.Integer(0), "the base of log is > 0"),
        _cond(a[1], "!=", sp.Integer(1), "the base of log is not 1"),
    ]
    return sp.log(a[0]) / sp.log(a[1]), conds


def _unit_interval(name: str, fn: Callable[[sp.Expr], sp.Expr]) -> FnBuilder:
    def build(a: Sequence[sp.Expr]) -> tuple[sp.Expr, list[Condition]]:
        return fn(a[0]), [
            _cond(a[0], ">=", sp.Integer(-1), f"the argument of {name} is >= -1"),
            _cond(a[0], "<=", sp.Integer(1), f"the argument of {name} is <= 1"),
        ]

    return build


def _plain(fn: Callable[..., sp.Expr]) -> FnBuilder:
    return lambda a: (fn(*a), [])


def _factorial(a: Sequence[sp.Expr]) -> tuple[sp.Expr, list[Condition]]:
    n = a[0]
    if n.is_Number and (not n.is_Integer or n < 0):
        raise ValueError("factorial needs a whole number >= 0")
    if n.is_Integer and (n > MAX_FACTORIAL or math.lgamma(int(n) + 1) / math.log(2) > MAX_BITS):
        raise OverflowError(f"the result would have more than {MAX_BITS} bits")
    return sp.factorial(n), [_cond(n, ">=", sp.Integer(0), "the argument of factorial is >= 0")]


def _binomial(a: Sequence[sp.Expr]) -> tuple[sp.Expr, list[Condition]]:
    n, k = a
    if n.is_Integer and k.is_Integer and 0 <= k <= n:
        small = min(int(k), int(n - k))
        if small * max(1, int(n).bit_length()) > MAX_BITS:
            raise OverflowError(f"the result would have more than {MAX_BITS} bits")
    elif (n.is_Integer and abs(n) > 10**12) or (k.is_Integer and abs(k) > MAX_FACTORIAL):
        raise OverflowError("the arguments are limited in size")
    return sp.binomial(n, k), []


FUNCTIONS: dict[str, tuple[int, int, FnBuilder]] = {
    # name: (fewest arguments, most arguments, builder)
    "exp": (1, 1, _plain(sp.exp)),
    "log": (1, 2, _log),
    "ln": (1, 1, _log),
    "sqrt": (1, 1, lambda a: (sp.sqrt(a[0]), [
        _cond(a[0], ">=", sp.Integer(0), "the argument of sqrt is >= 0")])),
    "abs": (1, 1, _plain(sp.Abs)),
    "max": (2, 16, _plain(sp.Max)),
    "min": (2, 16, _plain(sp.Min)),
    "sin": (1, 1, _plain(sp.sin)),
    "cos": (1, 1, _plain(sp.cos)),
    "tan": (1, 1, lambda a: (sp.tan(a[0]), [
        _cond(sp.cos(a[0]), "!=", sp.Integer(0), "cos of the argument of tan is not 0")])),
    "atan": (1, 1, _plain(sp.atan)),
    "asin": (1, 1, _unit_interval("asin", sp.asin)),
    "acos": (1, 1, _unit_interval("acos", sp.acos)),
    "sinh": (1, 1, _plain(sp.sinh)),
    "cosh": (1, 1, _plain(sp.cosh)),
    "tanh": (1, 1, _plain(sp.tanh)),
    "sigmoid": (1, 1, _plain(Sigmoid)),
    "relu": (1, 1, lambda a: (sp.Max(a[0], 0), [])),
    "erf": (1, 1, _plain(sp.erf)),
    "Phi": (1, 1, _plain(Phi)),
    "Phi_inv": (1, 1, lambda a: (PhiInv(a[0]), [
        _cond(a[0], ">", sp.Integer(0), "the argument of Phi_inv is > 0"),
        _cond(a[0], "<", sp.Integer(1), "the argument of Phi_inv is < 1")])),
    "binomial": (2, 2, _binomial),
    "factorial": (1, 1, _factorial),
    "floor": (1, 1, _plain(sp.floor)),
    "ceil": (1, 1, _plain(sp.ceiling)),
    "sum": (4, 4, lambda a: (sp.Integer(0), [])),  # built specially in Builder._call
    # vectors, matrices and families (docs/vectors.md); built specially in Builder._call
    "prod": (4, 4, lambda a: (sp.Integer(0), [])),
    "sign": (1, 1, _plain(sp.sign)),
    "tr": (1, 1, lambda a: (sp.Integer(0), [])),
    "det": (1, 1, lambda a: (sp.Integer(0), [])),
    "inv": (1, 1, lambda a: (sp.Integer(0), [])),
    "diag": (1, 1, lambda a: (sp.Integer(0), [])),
    "transpose": (1, 1, lambda a: (sp.Integer(0), [])),
    "diff": (2, 2, lambda a: (sp.Integer(0), [])),
    "grad": (2, 2, lambda a: (sp.Integer(0), [])),
}

ARITY_WORDS = {1: "one argument", 2: "two arguments", 4: "four arguments"}


# ------------------------------------------------------------------------------ numbers


def read_number(text: str, line: int, col: int) -> sp.Rational:
    """An exact rational from a decimal literal such as ``12``, ``0.1`` or ``2.5e-3``."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise BuildError("number-too-long", line, col, digits=len(digits), limit=MAX_DIGITS)
    exp10 = -len(frac)
    if exponent:
        if len(exponent.lstrip("+-")) > 6:
            raise BuildError("exponent-too-large", line, col, what=f"the number {text}",
                             detail="its exponent has too many digits")
        exp10 += int(exponent)
    if abs(exp10) * 3.33 > MAX_BITS:
        raise BuildError("exponent-too-large", line, col, what=f"the number {text}",
                         detail=f"10^{exp10} needs more than {MAX_BITS} bits")
    value = int(whole + frac) if (whole + frac) else 0
    if exp10 >= 0:
        return sp.Integer(value * 10**exp10)
    return sp.Rational(value, 10**-exp10)


def _bits(q: sp.Expr) -> int:
    return max(int(q.p).bit_length(), int(q.q).bit_length())


# ------------------------------------------------------------------------------ builder


def tree_size(tree: Tree[Token]) -> tuple[int, int]:
    """(node count, depth) of a parse tree, without recursion."""
    nodes, depth = 0, 0
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        nodes += 1
        depth = max(depth, d)
        if isinstance(node, Tree):
            stack.extend((c, d + 1) for c in node.children if c is not None)
    return nodes, depth


_EVENT_SIGNS = {"≤": "<=", "≥": ">=", "≠": "!=", "==": "="}


def _event_op(child: Tree[Token] | Token) -> str | None:
    """The relation sign of an event's token (ASCII grammar), or None for an operand."""
    return _EVENT_SIGNS.get(str(child), str(child)) if isinstance(child, Token) else None


def opaque_term(head: str, args: Sequence[Tree[Token] | Token], relation: str,
                op_of: Callable[[Tree[Token] | Token], str | None],
                build: Callable[[Tree[Token] | Token], Built]) -> Built:
    """``head[arg, ...]``, an opaque quantity (``P[...]``, ``E[...]``): each argument built
    with ``build``, an argument that is a ``relation`` tree becomes an ``Event`` (its signs
    found by ``op_of``). Shared by the ASCII and the LaTeX builders; no definedness
    conditions (they describe random quantities, not the proof's variables)."""
    values: list[sp.Expr] = []
    shown: list[str] = []
    for arg in args:
        if isinstance(arg, Tree) and arg.data == relation:
            parts: list[sp.Expr] = []
            texts: list[str] = []
            for child in arg.children:
                op = op_of(child)
                if op is not None:
                    parts.append(sp.Integer(EVENT_OPS.index(op)))
                    texts.append(op)
                else:
                    built = build(child)
                    parts.append(built.value)
                    texts.append(built.shown)
            values.append(Event(*parts))
            shown.append(" ".join(texts))
        else:
            built = build(arg)
            values.append(built.value)
            shown.append(built.shown)
    return Built(sp.Function(head)(*values), f"{head}[{', '.join(shown)}]", ())


class Builder:
    """Builds one line's expressions. ``line0`` is the file line of the text's first line."""

    def __init__(self, text: str, line0: int) -> None:
        self.text = text
        self.line0 = line0
        # expressions written in LaTeX ($...$, .tex files), built by checker/syntax/latex.py
        # and stood in for by one LATEX token each: by the token's offset in the text
        self.latex: dict[int, Built] = {}

    def place(self, node: Tree[Token] | Token) -> tuple[int, int]:
        if isinstance(node, Token):
            return self.line0 + (node.line or 1) - 1, node.column or 1
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.line0, 1
        return self.line0 + meta.line - 1, meta.column

    def source(self, node: Tree[Token] | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        meta = node.meta
        if getattr(meta, "empty", True):
            return ""
        return " ".join(self.text[meta.start_pos : meta.end_pos].split())

    def expr(self, tree: Tree[Token] | Token) -> Expr:
        b = self.build(tree)
        line, col = self.place(tree)
        # vector quantities stay whole, even at a concrete dimension: checker.vectors.engine
        # proves from theorems about them first, then writes them out in coordinates
        return Expr(b.value, self.source(tree), b.shown, b.conditions, Span(line, col))

    def build(self, node: Tree[Token] | Token) -> Built:
        if isinstance(node, Token):
            raise AssertionError(f"unexpected token {node.type}")
        kind = node.data.removeprefix("expr__")
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise AssertionError(f"no builder for {kind}")
        try:
            result: Built = method(node)
        except vec.ShapeError as exc:
            line, col = self.place(node)
            raise BuildError(exc.code, line, col, **exc.fields) from exc
        value = result.value
        if value.is_Rational and _bits(value) > MAX_BITS:
            line, col = self.place(node)
            raise BuildError("exponent-too-large", line, col, what="this number",
                             detail=f"it has more than {MAX_BITS} bits")
        if value is sp.zoo or value is sp.nan:
            line, col = self.place(node)
            raise BuildError("division-by-zero", line, col)
        return result

    # -- leaves
    def _number(self, node: Tree[Token]) -> Built:
        tok = node.children[0]
        assert isinstance(tok, Token)
        line, col = self.place(tok)
        value = read_number(str(tok), line, col)
        shown = str(value) if value.is_Integer else f"({value.p}/{value.q})"
        return Built(value, shown if value.is_Integer or "." in str(tok) else str(tok), ())

    def _name(self, node: Tree[Token]) -> Built:
        tok = node.children[0]
        assert isinstance(tok, Token)
        name = str(tok)
        if name in CONSTANTS:
            return Built(CONSTANTS[name], name, ())
        if name in FUNCTIONS:
            line, col = self.place(tok)
            raise BuildError("reserved-name", line, col, name=name, why="a function",
                             use=f"used without arguments: write {name}(...)")
        node_value = vec.variable(name)  # a declared vector, matrix or coordinate
        if node_value is not None:
            return Built(node_value, name, ())
        return Built(sym(name), name, ())

    def _latex(self, node: Tree[Token]) -> Built:
        tok = node.children[0]
        assert isinstance(tok, Token)
        built = self.latex.get(tok.start_pos or 0)
        if built is None:  # the placeholder character typed in by hand
            line, col = self.place(tok)
            raise BuildError("unexpected-character", line, col, char=str(tok)[0], hint="")
        return built

    # -- operators
    def _paren(self, node: Tree[Token]) -> Built:
        inner = self.build(node.children[0])
        return inner

    def _abs_bars(self, node: Tree[Token]) -> Built:
        inner = self.build(node.children[0])
        if shape_of(inner.value):
            raise vec.ShapeError("shape-mismatch", what="|...|",
                                 detail="a vector or matrix; write a norm (||x||_2, ||x||_1, "
                                 "||x||_inf) or abs(x) for the componentwise absolute value")
        return Built(sp.Abs(inner.value), f"|{inner.shown}|", inner.conditions)

    def _neg(self, node: Tree[Token]) -> Built:
        inner = self.build(node.children[0])
        return Built(-inner.value, f"-{_paren(inner.shown)}", inner.conditions)

    def _pos(self, node: Tree[Token]) -> Built:
        return self.build(node.children[0])

    def _sum(self, node: Tree[Token]) -> Built:
        parts = node.children
        first = self.build(parts[0])
        terms = [first.value]
        shown = [first.shown]
        conds = list(first.conditions)
        for i in range(1, len(parts), 2):
            op = str(parts[i])
            b = self.build(parts[i + 1])
            terms.append(b.value if op == "+" else -b.value)
            shown.append(f"{op} {_paren(b.shown) if op == '-' else b.shown}")
            conds += b.conditions
        if any(shape_of(t) for t in terms):
            vec.add(terms, "+" if len(parts) < 3 else str(parts[1]))
        return Built(sp.Add(*terms), " ".join(shown), tuple(conds))

    def _product(self, node: Tree[Token]) -> Built:
        parts = node.children
        first = self.build(parts[0])
        value = first.value
        shown = _paren(first.shown)
        conds = list(first.conditions)
        for i in range(1, len(parts), 2):
            op = str(parts[i])
            b = self.build(parts[i + 1])
            conds += b.conditions
            if op == "*":
                value = vec.multiply(value, b.value)
            else:
                vec.divide(value, b.value)
                if b.value.is_zero:
                    line, col = self.place(parts[i])
                    raise BuildError("division-by-zero", line, col)
                if not b.value.is_Number:
                    conds.append(_cond(b.value, "!=", sp.Integer(0), "the denominator is not 0"))
                value = value / b.value
            shown = f"({shown} {op} {_paren(b.shown)})" if i + 2 < len(parts) else \
                f"{shown} {op} {_paren(b.shown)}"
        return Built(value, shown, tuple(conds))

    def _power(self, node: Tree[Token]) -> Built:
        base_node, op_tok, exp_node = node.children
        base = self.build(base_node)
        if (shape_of(base.value) and isinstance(exp_node, Tree) and exp_node.data.endswith("call")
                and str(exp_node.children[0]) == "T" and isinstance(exp_node.children[1], Tree)
                and len(exp_node.children[1].children) == 1):
            # w^T (x + delta): the transpose of w times the bracket
            arg = self.build(exp_node.children[1].children[0])
            value = vec.multiply(vec.transpose(base.value), arg.value)
            return Built(value, f"{_paren(base.shown)}^T ({arg.shown})",
                         base.conditions + arg.conditions)
        expo = self.build(exp_node)
        line, col = self.place(op_tok)
        b, e = base.value, expo.value
        matrix_power = vec.power(b, e)
        if matrix_power is not None:
            return Built(matrix_power, f"{_paren(base.shown)}^{_paren(expo.shown)}",
                         base.conditions + self._invertible(matrix_power))
        self._check_power(b, e, line, col, base.shown, expo.shown)
        conds = list(base.conditions) + list(expo.conditions)
        zero = sp.Integer(0)
        if e.is_Integer:
            if e < 0:
                if b.is_zero:
                    raise BuildError("division-by-zero", line, col)
                if not b.is_Number:
                    conds.append(_cond(b, "!=", zero, "the base of a negative power is not 0"))
        elif e.is_Rational:
            if not b.is_Number or b < 0:
                conds.append(_cond(b, ">=" if e > 0 else ">", zero,
                                   "the base of a fractional power is "
                                   + (">= 0" if e > 0 else "> 0")))
        elif not (b.is_Number and b > 0) and b is not sp.E:
            conds.append(Condition(Relation(b, ">", zero),
                                   "the base of a power with a variable exponent is > 0",
                                   kind="power", exponent=e))
        value = sp.Pow(b, e)
        return Built(value, f"{_paren(base.shown)}^{_paren(expo.shown)}", tuple(conds))

    def _check_power(self, b: sp.Expr, e: sp.Expr, line: int, col: int, bs: str, es: str) -> None:
        if not e.is_Number:
            return
        what = f"the power {bs}^{es}"
        if b.is_Rational and e.is_Rational:
            if b in (0, 1, -1):
                return
            size = float(abs(e)) * max(math.log2(abs(b.p)), math.log2(b.q), 1.0)
            if size > MAX_BITS:
                bits = f"{size:,.0f}" if size < 1e15 else f"{size:.1e}"
                raise BuildError("exponent-too-large", line, col, what=what,
                                 detail=f"it would need about {bits} bits; the limit is "
                                 f"{MAX_BITS:,}")
        elif abs(e) > MAX_SYMBOLIC_EXPONENT:
            raise BuildError("exponent-too-large", line, col, what=what,
                             detail=f"exponents of variables are limited to "
                             f"{MAX_SYMBOLIC_EXPONENT} in size")

    def _opaque(self, node: Tree[Token]) -> Built:
        name_tok, args_tree = node.children
        assert isinstance(name_tok, Token) and isinstance(args_tree, Tree)
        head = str(name_tok)
        if head in FUNCTIONS or head in CONSTANTS:
            line, col = self.place(name_tok)
            raise BuildError("reserved-name", line, col, name=head, why="a function or constant",
                             use="the name of an opaque quantity like P[...]")
        # conditions inside an opaque term describe random quantities: not the proof's business
        return opaque_term(head, args_tree.children, "relation", _event_op, self.build)

    def _call(self, node: Tree[Token]) -> Built:
        name_tok, args_tree = node.children
        assert isinstance(name_tok, Token)
        name = str(name_tok)
        line, col = self.place(name_tok)
        arg_nodes = list(args_tree.children) if isinstance(args_tree, Tree) else []
        if name not in FUNCTIONS and name.endswith("_") and len(arg_nodes) == 1:
            index = self.build(arg_nodes[0])
            coord = vec.coordinate(name[:-1], index.value)  # z_(k + 1)
            if coord is not None:
                return Built(coord, f"{name}({index.shown})", index.conditions)
        if name not in FUNCTIONS:
            from checker.diagnostics import did_you_mean

            aliases = {"Phi_inverse": "Phi_inv", "PhiInv": "Phi_inv", "ceiling": "ceil",
                       "Abs": "abs", "ReLU": "relu", "erfinv": "Phi_inv"}
            hint = (f"; did you mean {aliases[name]!r}?" if name in aliases
                    else did_you_mean(name, list(FUNCTIONS)))
            raise BuildError("unknown-function", line, col, name=name, suggestion=hint)
        lo, hi, _ = FUNCTIONS[name]
        if not lo <= len(arg_nodes) <= hi:
            expected = ARITY_WORDS.get(lo, f"{lo} arguments") if lo == hi else \
                f"{lo} to {hi} arguments"
            given = len(arg_nodes)
            raise BuildError("wrong-arity", line, col, name=name, expected=expected,
                             given=f"{given} {'was' if given == 1 else 'were'}")
        if name in ("sum", "prod"):
            return self._finite_sum(arg_nodes, line, col, name)
        if name in ("max", "min") and len(arg_nodes) == 4:
            family = self._family_extreme(name, arg_nodes)
            if family is not None:
                return family
        return self.call_built(name, [self.build(a) for a in arg_nodes], line, col)

    def call_built(self, name: str, args: list[Built], line: int, col: int) -> Built:
        """A function of the language (its arity checked) applied to built arguments: shared
        by the ASCII builder and the LaTeX builder (checker/syntax/latex.py)."""
        fn = FUNCTIONS[name][2]
        if name in ("diff", "grad"):
            return self._derivative(name, args, line, col)
        if name in ("sum", "prod"):
            raise BuildError("bad-sum", line, col, got=", ".join(a.shown for a in args))
        mapped = vec.function(name, [a.value for a in args])
        if mapped is not None:
            return Built(mapped, f"{name}({', '.join(a.shown for a in args)})",
                         tuple(c for a in args for c in a.conditions) + self._invertible(mapped))
        try:
            value, conds = fn([a.value for a in args])
        except OverflowError as exc:
            raise BuildError("argument-too-large", line, col, function=name,
                             args=", ".join(a.shown for a in args), detail=str(exc)) from exc
        except ValueError as exc:
            raise BuildError("syntax", line, col, detail=f"{name}: {exc}") from exc
        all_conds = [c for a in args for c in a.conditions] + conds
        shown_name = "log" if name == "ln" else name
        return Built(value, f"{shown_name}({', '.join(a.shown for a in args)})", tuple(all_conds))

    def _finite_sum(self, arg_nodes: list[Tree[Token] | Token], line: int, col: int,
                    word: str = "sum") -> Built:
        var_node = arg_nodes[0]
        if not (isinstance(var_node, Tree) and var_node.data.endswith("name")):
            raise BuildError("bad-sum", line, col, got=self.source(var_node))
        k_name = str(var_node.children[0])
        if k_name in CONSTANTS:
            raise BuildError("reserved-name", line, col, name=k_name, why="a constant",
                             use="a summation variable")
        lo, hi, body = (self.build(a) for a in arg_nodes[1:])
        return self.finite_sum_built(k_name, lo, hi, body, line, col, word)

    def finite_sum_built(self, k_name: str, lo: Built, hi: Built, body: Built, line: int,
                         col: int, word: str = "sum") -> Built:
        """``sum(k, lo, hi, body)`` (or ``prod``) from its built parts (ASCII and LaTeX)."""
        if lo.value.is_Number and hi.value.is_Number:
            count = int(sp.floor(hi.value)) - int(sp.ceiling(lo.value)) + 1
            if count > MAX_SUM_TERMS:
                raise BuildError("argument-too-large", line, col, function="sum",
                                 args=f"{k_name}, {lo.shown}, {hi.shown}, ...",
                                 detail=f"{count} terms; sums are limited to {MAX_SUM_TERMS}")
        k = sym(k_name)
        if shape_of(body.value) or shape_of(lo.value) or shape_of(hi.value):
            raise vec.ShapeError("shape-mismatch", what=f"{word}(k, a, b, ...)",
                                 detail="a bound or a body that is a vector or matrix; sum "
                                 "numbers, e.g. sum(k, 1, d, x_k)")
        if lo.value.is_Number and hi.value.is_Number and vec.uses_index(body.value, k):
            count = int(sp.floor(hi.value)) - int(sp.ceiling(lo.value)) + 1
            if count > MAX_DIM:
                raise BuildError("dimension-too-large", line, col, dim=str(count),
                                 limit=MAX_DIM)
        value = (sp.Sum if word == "sum" else sp.Product)(body.value, (k, lo.value, hi.value))
        conds = list(lo.conditions) + list(hi.conditions)
        for c in body.conditions:
            names = set(c.relation.free_names)
            if c.exponent is not None:
                names |= {s.name for s in c.exponent.free_symbols}
            for name, a, b in reversed(c.bound):  # the innermost first: inside its scope
                names.discard(name)  # its own name means it; its range is in the outer scope
                names |= {s.name for s in a.free_symbols | b.free_symbols}
            if k_name in names:
                conds.append(Condition(c.relation, c.why, c.kind,
                                       ((k_name, lo.value, hi.value), *c.bound), c.exponent))
            else:
                conds.append(c)
        shown = f"{word}({k_name}, {lo.shown}, {hi.shown}, {body.shown})"
        return Built(value, shown, tuple(conds))

    # -- vectors, matrices and families (docs/vectors.md)
    def _inner(self, node: Tree[Token]) -> Built:
        close = node.children[3]
        if str(close) != ">":
            line, col = self.place(close)
            raise BuildError("syntax", line, col,
                             detail="an inner product <u, v> closes with '>'")
        a, b = (self.build(c) for c in node.children[1:3])
        return self.inner_of(a, b)

    def _norm(self, node: Tree[Token]) -> Built:
        return self.norm_of(self.build(node.children[1]), str(node.children[2])[2:])

    @staticmethod
    def inner_of(a: Built, b: Built) -> Built:
        """``<a, b>`` from its built parts (ASCII and LaTeX)."""
        return Built(vec.inner(a.value, b.value), f"<{a.shown}, {b.shown}>",
                     a.conditions + b.conditions)

    @staticmethod
    def norm_of(inner: Built, sub: str) -> Built:
        """``||inner||_sub`` (sub ``_1``, ``_2``, ``_inf``, ``_op``, ``_F``) from its parts."""
        return Built(vec.norm(inner.value, sub), f"||{inner.shown}||{sub}", inner.conditions)

    def _transpose_times(self, node: Tree[Token]) -> Built:
        base_node, _, t_tok, *names = node.children
        if str(t_tok) != "T":
            line, col = self.place(names[0])
            raise BuildError("missing-operator", line, col, left=str(t_tok), right=str(names[0]))
        base = self.build(base_node)
        value = vec.power(base.value, sp.Symbol("T"))
        if value is None:
            line, col = self.place(t_tok)
            raise BuildError("shape-mismatch", line, col, what="^T",
                             detail=f"{base.shown} is a number; ^T transposes a vector or a "
                             "matrix")
        shown = f"{_paren(base.shown)}^T"
        for tok in names:
            b = self._name(Tree("name", [tok]))
            try:
                value = vec.multiply(value, b.value)
            except vec.ShapeError as exc:
                line, col = self.place(tok)
                raise BuildError(exc.code, line, col, **exc.fields) from exc
            shown = f"{shown} {b.shown}"
        return Built(value, shown, base.conditions)

    def _family_extreme(self, word: str, arg_nodes: list[Tree[Token] | Token]) -> Built | None:
        """``max(k, 1, K, z_k)``: over a family when the body uses a coordinate by k."""
        var_node = arg_nodes[0]
        if not (isinstance(var_node, Tree) and var_node.data.endswith("name")):
            return None
        k_name = str(var_node.children[0])
        if k_name in CONSTANTS or k_name in vec.current():
            return None
        lo, hi, body = (self.build(a) for a in arg_nodes[1:])
        if not vec.uses_index(body.value, sym(k_name)):
            return None
        return self.family_extreme_built(word, k_name, lo, hi, body)

    def family_extreme_built(self, word: str, k_name: str, lo: Built, hi: Built,
                             body: Built) -> Built:
        """``max(k, lo, hi, body)`` over a family from its built parts (ASCII and LaTeX)."""
        k = sym(k_name)
        value = vec.family_extreme(word, k, lo.value, hi.value, body.value)
        conds = list(lo.conditions) + list(hi.conditions) + [
            Condition(c.relation, c.why, c.kind, ((k_name, lo.value, hi.value), *c.bound),
                      c.exponent) for c in body.conditions]
        return Built(value, f"{word}({k_name}, {lo.shown}, {hi.shown}, {body.shown})",
                     tuple(conds))

    def _derivative(self, name: str, args: list[Built], line: int, col: int) -> Built:
        f, x = args
        shown = f"{name}({f.shown}, {x.shown})"
        if name == "grad":
            value = vec.gradient(f.value, x.value)
            return Built(value, shown, f.conditions + _differentiable(value, shown, line, col))
        if not isinstance(x.value, sp.Symbol):
            raise BuildError("syntax", line, col,
                             detail="diff(f, x) takes a variable name as its second argument")
        if shape_of(f.value):
            raise vec.ShapeError("shape-mismatch", what="diff(f, x)",
                                 detail="f is a vector or matrix; differentiate a number")
        from checker.vectors.calculus import NotStructural, derivative
        from checker.vectors.ir import expand

        try:
            value = sp.diff(expand(f.value), x.value)
        except NotExpandable as exc:  # a symbolic dimension: by the structure's rules
            try:
                value = derivative(f.value, x.value)
            except NotStructural as why:
                raise vec.ShapeError("symbolic-dimension", what="diff(f, x)",
                                     detail=f"{exc}; {why}") from why
        if value.has(sp.Derivative, sp.Subs):
            raise BuildError("syntax", line, col,
                             detail=f"{name}: this derivative has no closed form here")
        return Built(value, shown, f.conditions + _differentiable(value, shown, line, col))

    def _invertible(self, value: sp.Expr) -> tuple[Condition, ...]:
        from checker.vectors.ir import Det, MatInv

        return tuple(_cond(Det(m.args[0]), "!=", sp.Integer(0), "the matrix is invertible")
                     for m in value.atoms(MatInv))
