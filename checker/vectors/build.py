"""Building vector-language nodes with their shapes checked (used by checker.syntax.build).

The declarations in force (``given w, x in R^d``, ``given W in R^(m x d)``, ``given p_k in
(0, 1) for k in 1..K``) are collected from a file's ``given``/``assume`` lines before its
expressions are built (``checker.syntax.parse``), and put in force with ``declared``. Each
function here takes built SymPy values and returns a node, or raises ``ShapeError`` with a
diagnostic code; the builder adds the place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar

import sympy as sp
from sympy.core.symbol import Str

from checker.obligations import sym
from checker.vectors.ir import (
    MAX_DIM,
    Coord,
    Det,
    Diag,
    FamMax,
    FamMin,
    Inner,
    Map,
    MatInv,
    MatMul,
    MatVar,
    Norm1,
    Norm2,
    NormF,
    NormInf,
    NormOp,
    Trace,
    Transpose,
    VecLit,
    VecVar,
    describe_shape,
    shape_of,
)

MAX_MATRIX_POWER = 8

# name -> (rows, columns) of every vector, matrix and family declared in the current file
_SHAPES: ContextVar[Mapping[str, tuple[sp.Expr, sp.Expr]] | None] = ContextVar("shapes",
                                                                                default=None)


class ShapeError(Exception):
    def __init__(self, code: str, **fields: object) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields


@contextlib.contextmanager
def declared(shapes: Mapping[str, tuple[sp.Expr, sp.Expr]]) -> Iterator[None]:
    """Build expressions with these vectors, matrices and families in force."""
    token = _SHAPES.set(dict(shapes))
    try:
        yield
    finally:
        _SHAPES.reset(token)


def define(name: str, value: sp.Expr) -> None:
    """``let r = <a vector>``: r is a vector (of its value's shape) in the lines below."""
    shapes = _SHAPES.get()
    shape = shape_of(value)
    if shapes is not None and shape and isinstance(shapes, dict):
        shapes[name] = (shape[0], shape[1])


def substitute_lets(e: sp.Expr, lets: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """A vector-valued ``let`` name (a ``VecVar``/``MatVar`` node named by it) replaced by
    its definition (the scalar names are substituted as usual, afterwards)."""
    if not lets or not e.has(VecVar, MatVar):
        return e

    def named(t: sp.Basic) -> bool:
        return isinstance(t, (VecVar, MatVar)) and t.args[0] in lets and bool(
            shape_of(lets[t.args[0]]))

    return e.replace(named, lambda t: lets[t.args[0]])


def current() -> Mapping[str, tuple[sp.Expr, sp.Expr]]:
    return _SHAPES.get() or {}


def check_dim(n: sp.Expr, text: str) -> sp.Expr:
    """A dimension as declared: a positive whole number up to MAX_DIM, or an expression."""
    if n.is_Number:
        if not n.is_Integer or n < 1:
            raise ShapeError("bad-dimension", dim=text,
                             detail="a dimension is a whole number >= 1 or a variable")
        if n > MAX_DIM:
            raise ShapeError("dimension-too-large", dim=text, limit=MAX_DIM)
    return n


def variable(name: str) -> sp.Expr | None:
    """The node for a declared name (``w``), a coordinate (``w_2``, ``z_k``), or None."""
    shapes = current()
    if name in shapes:
        rows, cols = shapes[name]
        if cols == 1:
            return VecVar(sym(name), rows)
        return MatVar(sym(name), rows, cols)
    head, _, index = name.rpartition("_")
    column, _, row = head.rpartition("_")
    if index == "1" and row.isdigit() and column in shapes and shapes[column][1] == 1:
        # S_2_1 of a one-column matrix (S in R^(m x 1), R^(1 x 1)) is its entry S_2, as
        # the engines name it: two names for one number would make two unknowns
        return variable(f"{column}_{row}")
    if head and head in shapes and shapes[head][1] == 1 and index:
        if index.isdigit():
            i = int(index)
            n = shapes[head][0]
            if i < 1 or (n.is_Integer and i > n):
                raise ShapeError("bad-index", name=name, vector=head,
                                 range=f"1..{n}")
            return sym(name)
        if index[0].isalpha():
            return Coord(sym(head), sym(index))
    return None


def coordinate(head: str, index: sp.Expr) -> sp.Expr | None:
    """``z_(k + 1)``: the coordinate ``index`` of the declared vector or family ``head``."""
    shapes = current()
    if head not in shapes or shapes[head][1] != 1:
        return None
    n = shapes[head][0]
    if index.is_Number and (not index.is_Integer or index < 1 or (n.is_Integer and index > n)):
        raise ShapeError("bad-index", name=f"{head}_({index})", vector=head, range=f"1..{n}")
    return Coord(sym(head), index)


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return bool(sp.simplify(a - b) == 0) if a != b else True


def add(values: list[sp.Expr], op_text: str = "+") -> None:
    """Terms of a sum must all have one shape."""
    shapes = [shape_of(v) for v in values]
    first = shapes[0]
    for s in shapes[1:]:
        if bool(s) != bool(first) or (s and not (_same(s[0], first[0]) and _same(s[1], first[1]))):
            raise ShapeError("shape-mismatch", what=f"the terms of {op_text!r}",
                             detail=f"{describe_shape(first)} and {describe_shape(s)}")


def transpose(a: sp.Expr) -> sp.Expr:
    if isinstance(a, Transpose):
        return a.args[0]
    if isinstance(a, MatMul):
        return MatMul(transpose(a.args[1]), transpose(a.args[0]))
    if isinstance(a, (sp.Add, sp.Mul)):
        return a.func(*[transpose(x) if shape_of(x) else x for x in a.args])
    if isinstance(a, Diag):
        return a
    return Transpose(a)


def _is_row(s: tuple[sp.Expr, ...]) -> bool:
    return bool(s) and s[0] == 1 and s[1] != 1


def multiply(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``a*b``: a scalar multiple, a matrix product, or an inner product (row times column)."""
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return a * b
    if not _same(sa[1], sb[0]):
        if sa[1] == 1 and sb[1] == 1:
            raise ShapeError("shape-mismatch", what="'*'",
                             detail=f"{describe_shape(sa)} times {describe_shape(sb)}; "
                             "for the inner product write <u, v> or u^T v")
        raise ShapeError("shape-mismatch", what="the matrix product",
                         detail=f"{describe_shape(sa)} times {describe_shape(sb)}: the "
                         "columns of the first must match the rows of the second")
    if _is_row(sa) and sb[1] == 1:
        return Inner(transpose(a), b)
    if sa[0] == 1 and sa[1] == 1 and sb[0] == 1 and sb[1] == 1:
        return Inner(transpose(a), b)
    return MatMul(a, b)


def divide(a: sp.Expr, b: sp.Expr) -> None:
    if shape_of(b):
        raise ShapeError("shape-mismatch", what="'/'",
                         detail=f"dividing by {describe_shape(shape_of(b))}")


def power(a: sp.Expr, e: sp.Expr) -> sp.Expr | None:
    """``A^T``, ``A^(-1)``, ``A^2``; None when ``a`` is a number (an ordinary power)."""
    sa = shape_of(a)
    if shape_of(e):
        raise ShapeError("shape-mismatch", what="'^'",
                         detail=f"an exponent that is {describe_shape(shape_of(e))}")
    if not sa:
        return None
    if isinstance(e, sp.Symbol) and e.name == "T":
        return transpose(a)
    square = _same(sa[0], sa[1]) and sa[1] != 1
    if square and e == -1:
        return MatInv(a)
    if square and e.is_Integer and 1 <= e <= MAX_MATRIX_POWER:
        out = a
        for _ in range(int(e) - 1):
            out = MatMul(out, a)
        return out
    raise ShapeError("shape-mismatch", what="'^'",
                     detail=f"a power of {describe_shape(sa)}; vectors and matrices take ^T "
                     "(transpose), square matrices ^(-1) and ^n for n = 1..8; for a norm "
                     "squared write ||x||_2^2")


def inner(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    sa, sb = shape_of(a), shape_of(b)
    if not (sa and sb and sa[1] == 1 and sb[1] == 1 and _same(sa[0], sb[0])):
        raise ShapeError("shape-mismatch", what="the inner product <u, v>",
                         detail=f"{describe_shape(sa)} and {describe_shape(sb)}: both must "
                         "be vectors of one dimension")
    return Inner(a, b)


NORMS = {"_1": Norm1, "_2": Norm2, "_inf": NormInf, "_op": NormOp, "_F": NormF, "": Norm2}


def norm(a: sp.Expr, sub: str) -> sp.Expr:
    s = shape_of(a)
    if not s:
        return sp.Abs(a)  # the norm of a number is its absolute value
    vector = s[1] == 1 or s[0] == 1
    if sub == "_op" or (sub in ("_2", "") and not vector):
        if vector:
            return Norm2(a if s[1] == 1 else transpose(a))
        return NormOp(a)
    if sub == "_F":
        return NormF(a) if not vector else Norm2(a if s[1] == 1 else transpose(a))
    if not vector:
        raise ShapeError("shape-mismatch", what=f"the norm ||.||{sub}",
                         detail=f"{describe_shape(s)}; matrices take ||A||_op (= ||A||_2) "
                         "and ||A||_F")
    col = a if s[1] == 1 else transpose(a)
    return NORMS[sub](col)


MAPPED = ("relu", "abs", "sign", "exp", "tanh", "sigmoid")
VECTOR_FUNCTIONS = ("tr", "det", "inv", "diag", "transpose")


def function(name: str, args: list[sp.Expr]) -> sp.Expr | None:
    """A function applied to vectors (componentwise relu, abs, ...; tr, det, inv, diag,
    transpose), or None when it is an ordinary function of numbers."""
    shapes = [shape_of(a) for a in args]
    if name in VECTOR_FUNCTIONS:
        s = shapes[0]
        if name == "diag":
            if not (s and s[1] == 1):
                raise ShapeError("shape-mismatch", what="diag",
                                 detail=f"{describe_shape(s)}; diag takes a vector")
            return Diag(args[0])
        if name == "transpose":
            if not s:
                raise ShapeError("shape-mismatch", what="transpose",
                                 detail="a number; transpose takes a vector or a matrix")
            return transpose(args[0])
        if not (s and _same(s[0], s[1])):
            raise ShapeError("shape-mismatch", what=name,
                             detail=f"{describe_shape(s)}; {name} takes a square matrix")
        return {"tr": Trace, "det": Det, "inv": MatInv}[name](args[0])
    if not any(shapes):
        return None
    if name in MAPPED and len(args) == 1:
        return Map(Str(name), args[0])
    raise ShapeError("shape-mismatch", what=f"{name}(...)",
                     detail=f"an argument that is {describe_shape(next(s for s in shapes if s))}"
                     f"; componentwise functions are {', '.join(MAPPED)}")


def family_extreme(word: str, k: sp.Symbol, lo: sp.Expr, hi: sp.Expr,
                   body: sp.Expr) -> sp.Expr:
    """``max(k, 1, K, z_k)``: the largest (smallest) value of the body for k = lo..hi."""
    if shape_of(body):
        raise ShapeError("shape-mismatch", what=f"{word}(k, a, b, ...)",
                         detail=f"a body that is {describe_shape(shape_of(body))}")
    cls = FamMax if word == "max" else FamMin
    return cls(sp.Lambda(k, body), lo, hi)


def uses_index(body: sp.Expr, k: sp.Symbol) -> bool:
    """Does ``body`` use a coordinate indexed by ``k`` (so ``max(k, 1, K, body)`` ranges over
    a family rather than taking the maximum of four numbers)?"""
    return any(k in c.args[1].free_symbols for c in body.atoms(Coord))


def literal(values: list[sp.Expr]) -> sp.Expr:
    return VecLit(*values)


def gradient(f: sp.Expr, x: sp.Expr) -> sp.Expr:
    """``grad(f, w)``: at a concrete dimension the vector of partials; at a symbolic one,
    computed structurally (checker/vectors/calculus.py: grad(<w, x>, w) = x), or refused
    with the code ``symbolic-dimension`` and the reason."""
    from checker.vectors.calculus import NotStructural
    from checker.vectors.calculus import gradient as structural
    from checker.vectors.ir import NotExpandable, expand

    s = shape_of(x)
    if not isinstance(x, VecVar):
        raise ShapeError("shape-mismatch", what="grad(f, w)",
                         detail=f"w is {describe_shape(s)}; it must be a declared vector")
    if shape_of(f):
        raise ShapeError("shape-mismatch", what="grad(f, w)",
                         detail="f must be a number (for a vector f, take each coordinate)")
    try:
        coords = list(expand(x))
        fx = expand(f)
    except NotExpandable as exc:
        try:
            return structural(f, x)
        except NotStructural as why:
            raise ShapeError("symbolic-dimension", what="grad(f, w)",
                             detail=f"{exc}; {why}") from why
    return VecLit(*[sp.diff(fx, c) for c in coords])


def scalar_relation(lhs: sp.Expr, op: str, rhs: sp.Expr) -> tuple[sp.Expr, str, sp.Expr]:
    """A relation as one between numbers: ``u = v`` between vectors is ``<u - v, u - v> = 0``
    (matrices: ``||A - B||_F^2 = 0``); numbers are left alone."""
    from checker.vectors.ir import lower

    s = shape_of(lhs) or shape_of(rhs)
    if not s:
        return lhs, op, rhs
    diff = lhs - rhs
    if diff == 0:
        return sp.Integer(0), op, sp.Integer(0)
    if s[1] == 1:
        value = Inner(diff, diff)
    elif s[0] == 1:
        value = Inner(transpose(diff), transpose(diff))
    else:
        value = NormF(diff) ** 2
    return lower(value), op, sp.Integer(0)


def check_relation(lhs: sp.Expr, op: str, rhs: sp.Expr) -> None:
    """Both sides of a relation have one shape; vectors are only equal or not."""
    sl, sr = shape_of(lhs), shape_of(rhs)
    if not sl and not sr:
        return
    if (lhs == 0 and not sl) or (rhs == 0 and not sr):
        sl = sr = sl or sr  # u = 0: the zero vector (grad(f, w) = 0: the gradient vanishes)
    if bool(sl) != bool(sr) or not (_same(sl[0], sr[0]) and _same(sl[1], sr[1])):
        raise ShapeError("shape-mismatch", what=f"the two sides of {op!r}",
                         detail=f"{describe_shape(sl)} and {describe_shape(sr)}")
    if op not in ("=", "!="):
        raise ShapeError("vector-relation", op=op)
