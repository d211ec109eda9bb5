"""Vectors, matrices and indexed families as SymPy trees (see docs/vectors.md).

A vector or matrix *variable* is a node that carries its own shape: ``VecVar(w, d)`` is the
column vector ``w`` in R^d, ``MatVar(W, m, n)`` the matrix ``W`` in R^(m x n). Sums and scalar
multiples of vectors are SymPy's own ``Add`` and ``Mul`` (vector addition is commutative, so
nothing SymPy does to them on construction is wrong); everything that is not commutative or not
linear is a node of its own that SymPy never evaluates: ``MatMul``, ``Transpose``, ``MatInv``,
``Diag``, ``Map`` (a function applied to every coordinate) and ``VecLit`` (an explicit vector).

Scalar quantities of vectors are *atoms*: ``Inner``, ``Norm1``, ``Norm2``, ``NormInf``,
``NormOp``, ``NormF``, ``Trace``, ``Det``, and over families ``FamMax`` / ``FamMin`` (``max(k,
1, K, z_k)``), plus SymPy's ``Sum`` and ``Product`` whose body uses a coordinate ``Coord(z, k)``.

Where every dimension is a number, ``expand`` turns any of these into explicit SymPy matrices of
coordinate symbols (``w_1 .. w_d``, ``W_1_2``) and scalars: the scalar engines then check the
claim coordinate by coordinate. Where a dimension is a symbol (``d``, ``K``), the atoms stay:
``checker.vectors.engine`` proves such claims from library facts (Hölder, Cauchy-Schwarz, ...)
and refutes them in small concrete dimensions.

Nothing here reads text: the nodes are built by ``checker.syntax.build`` from parse trees.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from checker.obligations import sym

MAX_DIM = 64  # a concrete dimension (or family length) above this is refused by the parser
MAX_ENTRIES = 1024  # coordinates in one concrete matrix
MAX_DET = 4  # det, inverse and the operator norm are expanded for matrices up to this size
MAX_TERMS = 20_000  # terms a matrix product written out may have (rows*cols*inner*terms)


class NotExpandable(Exception):
    """The node cannot be written out in coordinates (a symbolic dimension or index, ...)."""


# ------------------------------------------------------------------------------ nodes


class _Node(sp.Function):  # type: ignore[misc]
    """A vector-language node: never evaluated by SymPy on construction."""

    def _proofcheck(self, printer: Any) -> str:
        return _print(self, printer)

    # SymPy's own printers have methods for its MatMul, Transpose, Trace ... (other classes)
    _sympystr = _proofcheck
    _sympyrepr = _proofcheck


class VecVar(_Node):
    """The vector variable ``args[0]`` (a Symbol) in R^``args[1]``."""

    nargs = 2


class MatVar(_Node):
    """The matrix variable ``args[0]`` in R^(``args[1]`` x ``args[2]``)."""

    nargs = 3


class VecLit(_Node):
    """An explicit column vector of its arguments."""


class MatMul(_Node):
    nargs = 2


class Transpose(_Node):
    nargs = 1


class MatInv(_Node):
    nargs = 1


class Diag(_Node):
    """The diagonal matrix with the vector ``args[0]`` on its diagonal."""

    nargs = 1


class Map(_Node):
    """``args[0]`` (a Symbol naming a function: relu, abs, sign, exp, ...) on each coordinate."""

    nargs = 2


class Coord(_Node):
    """The coordinate ``args[1]`` (1-based) of the vector or family named ``args[0]``; with a
    number for an index it is the plain variable ``name_i`` at once."""

    nargs = 2

    @staticmethod
    def _coord_value(name: sp.Expr, index: sp.Expr) -> sp.Expr | None:
        if isinstance(name, sp.Symbol) and index.is_Integer:
            return sym(f"{name.name}_{int(index)}")
        return None

    # SymPy's construction-time hook (bound by assignment, as in checker.functions)
    eval = classmethod(lambda cls, *args: cls._coord_value(*args))

    def _eval_is_real(self) -> bool:
        return True


class _Scalar(_Node):
    """A real number computed from vectors (an atom to the scalar engines)."""

    def _eval_is_real(self) -> bool:
        return True


class _Norm(_Scalar):
    nargs = 1

    def _eval_is_nonnegative(self) -> bool:
        return True


class Norm1(_Norm):
    pass


class Norm2(_Norm):
    pass


class NormInf(_Norm):
    pass


class NormOp(_Norm):
    pass


class NormF(_Norm):
    pass


class Inner(_Scalar):
    nargs = 2


class Trace(_Scalar):
    nargs = 1


class Det(_Scalar):
    nargs = 1


class FamMax(_Scalar):
    """``max(k, lo, hi, body)`` as ``FamMax(Lambda(k, body), lo, hi)``."""

    nargs = 3


class FamMin(_Scalar):
    nargs = 3


VECTOR_VALUED = (VecVar, MatVar, VecLit, MatMul, Transpose, MatInv, Diag, Map)
SCALAR_ATOMS = (Norm1, Norm2, NormInf, NormOp, NormF, Inner, Trace, Det, FamMax, FamMin)
NORMS = (Norm1, Norm2, NormInf, NormOp, NormF)

Shape = tuple[sp.Expr, sp.Expr]  # (rows, columns); a scalar has the shape ()


# ------------------------------------------------------------------------------ shapes


def shape_of(e: sp.Expr) -> tuple[sp.Expr, ...]:
    """``()`` for a scalar, ``(rows, cols)`` for a vector (cols 1) or a matrix."""
    if isinstance(e, VecVar):
        return (e.args[1], sp.Integer(1))
    if isinstance(e, MatVar):
        return (e.args[1], e.args[2])
    if isinstance(e, VecLit):
        return (sp.Integer(len(e.args)), sp.Integer(1))
    if isinstance(e, MatMul):
        return (shape_of(e.args[0])[0], shape_of(e.args[1])[1])
    if isinstance(e, Transpose):
        r, c = shape_of(e.args[0])
        return (c, r)
    if isinstance(e, MatInv):
        return shape_of(e.args[0])
    if isinstance(e, Diag):
        n = shape_of(e.args[0])[0]
        return (n, n)
    if isinstance(e, Map):
        return shape_of(e.args[1])
    if isinstance(e, (sp.Add, sp.Mul)):
        for a in e.args:
            s = shape_of(a)
            if s:
                return s
    return ()


def is_vector_valued(e: sp.Expr) -> bool:
    return bool(shape_of(e))


def has_vectors(e: sp.Basic) -> bool:
    """Does the expression use any node of the vector language (or a family sum)?"""
    return bool(e.atoms(_Node)) or any(s.function.has(Coord) for s in e.atoms(sp.Sum, sp.Product))


def dims_of(e: sp.Basic) -> set[sp.Expr]:
    """The dimension expressions of every variable and family range in ``e``."""
    out: set[sp.Expr] = set()
    for v in e.atoms(VecVar):
        out.add(v.args[1])
    for m in e.atoms(MatVar):
        out |= {m.args[1], m.args[2]}
    return out


def describe_shape(shape: tuple[sp.Expr, ...]) -> str:
    from checker.printing import show

    if not shape:
        return "a number"
    r, c = shape
    if c == 1:
        return f"a vector in R^{_dim(show(r))}"
    if r == 1:
        return f"a row vector (1 x {show(c)})"
    return f"a matrix in R^({show(r)} x {show(c)})"


def _dim(text: str) -> str:
    return text if text.replace("_", "").isalnum() else f"({text})"


# ------------------------------------------------------------------------------ expansion


def coordinate(name: str, *index: int) -> sp.Symbol:
    return sym(name + "".join(f"_{i}" for i in index))


def _size(n: sp.Expr) -> int:
    if not n.is_Integer:
        raise NotExpandable(f"the dimension {n} is not a number")
    v = int(n)
    if not 0 < v <= MAX_DIM:
        raise NotExpandable(f"the dimension {v} is outside 1..{MAX_DIM}")
    return v


def expand(e: sp.Expr) -> Any:
    """``e`` written out in coordinates: an ImmutableMatrix for a vector or matrix, a SymPy
    scalar otherwise. Raises NotExpandable where a dimension or an index is not a number."""
    if not has_vectors(e):
        return e
    if isinstance(e, VecVar):
        name = e.args[0].name
        return sp.ImmutableMatrix([coordinate(name, i) for i in range(1, _size(e.args[1]) + 1)])
    if isinstance(e, MatVar):
        name = e.args[0].name
        m, n = _size(e.args[1]), _size(e.args[2])
        if m * n > MAX_ENTRIES:
            raise NotExpandable(f"{m} x {n} entries are too many")
        return sp.ImmutableMatrix(m, n, lambda i, j: coordinate(name, i + 1, j + 1))
    if isinstance(e, VecLit):
        return sp.ImmutableMatrix([expand(a) for a in e.args])
    if isinstance(e, MatMul):
        a, b = expand(e.args[0]), expand(e.args[1])
        if a.shape[0] * b.shape[1] * a.shape[1] * _terms(a) * _terms(b) > MAX_TERMS:
            raise NotExpandable("a matrix product too large to write out")
        return sp.ImmutableMatrix(a * b)
    if isinstance(e, Transpose):
        return expand(e.args[0]).T
    if isinstance(e, MatInv):
        a = expand(e.args[0])
        if a.shape[0] > MAX_DET:
            raise NotExpandable("the inverse of a matrix larger than 4 x 4")
        return sp.ImmutableMatrix(a.adjugate() / a.det())
    if isinstance(e, Diag):
        v = expand(e.args[0])
        return sp.ImmutableMatrix(sp.diag(*list(v)))
    if isinstance(e, Map):
        v = expand(e.args[1])
        fn = MAPS[e.args[0].name]
        return v.applyfunc(fn)
    if isinstance(e, Coord):
        raise NotExpandable("a coordinate with a symbolic index")
    if isinstance(e, SCALAR_ATOMS):
        return _atom(e)
    if isinstance(e, (sp.Sum, sp.Product)):
        return _big(e)
    if isinstance(e, sp.Add):
        parts = [expand(a) for a in e.args]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total
    if isinstance(e, sp.Mul):
        parts = [expand(a) for a in e.args]
        scalars = [p for p in parts if not isinstance(p, sp.MatrixBase)]
        mats = [p for p in parts if isinstance(p, sp.MatrixBase)]
        coeff = sp.Mul(*scalars)
        if not mats:
            return coeff
        if len(mats) > 1:
            raise NotExpandable("a product of two vectors")
        return sp.ImmutableMatrix(mats[0] * coeff)
    args = [expand(a) for a in e.args]
    if any(isinstance(a, sp.MatrixBase) for a in args):
        raise NotExpandable(f"{type(e).__name__} of a vector")
    return e.func(*args)


def _terms(m: sp.MatrixBase) -> int:
    """The largest number of terms in an entry (a product's entries grow with it)."""
    return max((len(sp.Add.make_args(x)) for x in m), default=1)


def _atom(e: sp.Expr) -> sp.Expr:
    if isinstance(e, (FamMax, FamMin)):
        lam, lo, hi = e.args
        values = [expand(lam(i)) for i in _range(lo, hi)]
        if not values:
            raise NotExpandable("the largest or smallest member of an empty family")
        return (sp.Max if isinstance(e, FamMax) else sp.Min)(*values)
    if isinstance(e, Inner):
        u, v = expand(e.args[0]), expand(e.args[1])
        return sp.Add(*[a * b for a, b in zip(u, v, strict=True)])
    a = expand(e.args[0])
    entries = list(a)
    if isinstance(e, Norm1):
        return sp.Add(*[sp.Abs(x) for x in entries])
    if isinstance(e, NormInf):
        return sp.Max(*[sp.Abs(x) for x in entries]) if len(entries) > 1 else sp.Abs(entries[0])
    if isinstance(e, NormF) or (isinstance(e, (Norm2, NormOp)) and 1 in a.shape):
        return sp.sqrt(sp.Add(*[x**2 for x in entries]))
    if isinstance(e, (Norm2, NormOp)):
        if a.shape != (2, 2):
            raise NotExpandable("the operator norm of a matrix larger than 2 x 2")
        s = sp.Add(*[x**2 for x in entries])
        det = a.det()
        return sp.sqrt((s + sp.sqrt(s**2 - 4 * det**2)) / 2)
    if isinstance(e, Trace):
        return a.trace()
    if isinstance(e, Det):
        if a.shape[0] > MAX_DET:
            raise NotExpandable("the determinant of a matrix larger than 4 x 4")
        return sp.expand(a.det())
    raise NotExpandable(type(e).__name__)


def _range(lo: sp.Expr, hi: sp.Expr) -> range:
    if not (lo.is_Integer and hi.is_Integer):
        raise NotExpandable("a family range with symbolic bounds")
    if int(hi) - int(lo) + 1 > MAX_DIM:
        raise NotExpandable("a family range longer than the limit")
    return range(int(lo), int(hi) + 1)


def _big(e: sp.Sum | sp.Product) -> sp.Expr:
    body = e.function
    for k, lo, hi in reversed(e.limits):
        terms = [body.xreplace({k: sp.Integer(i)}) for i in _range(lo, hi)]
        body = sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)
    out = expand(body)
    if isinstance(out, sp.MatrixBase):
        raise NotExpandable("a sum of vectors")
    return out


def lower(e: sp.Expr) -> sp.Expr:
    """Every scalar atom whose dimensions are numbers written out in coordinates; the
    others (symbolic dimensions) kept."""
    if not has_vectors(e) or is_vector_valued(e):
        return e

    def go(x: sp.Basic) -> sp.Basic:
        if isinstance(x, SCALAR_ATOMS) or (
                isinstance(x, (sp.Sum, sp.Product)) and x.function.has(Coord)):
            try:
                out = expand(x)
            except NotExpandable:
                return x
            if isinstance(out, sp.MatrixBase):
                return x
            return out
        if not x.args or not has_vectors(x):
            return x
        return x.func(*[go(a) for a in x.args])

    return go(e)


def _sign(x: sp.Expr) -> sp.Expr:
    return sp.sign(x)


MAPS: dict[str, Any] = {
    "relu": lambda x: sp.Max(x, 0),
    "abs": sp.Abs,
    "sign": _sign,
    "exp": sp.exp,
    "sigmoid": None,  # filled below (avoids an import cycle at module load)
    "tanh": sp.tanh,
}


def _fill() -> None:
    from checker.functions import Sigmoid

    MAPS["sigmoid"] = Sigmoid


_fill()


# ------------------------------------------------------------------------------ printing


def _print(e: _Node, p: Any) -> str:
    a = e.args
    if isinstance(e, (VecVar, MatVar)):
        return str(a[0].name)
    if isinstance(e, VecLit):
        return "(" + ", ".join(p._print(x) for x in a) + ")"
    if isinstance(e, MatMul):
        return f"{_operand(a[0], p)}*{_operand(a[1], p)}"
    if isinstance(e, Transpose):
        return f"{_operand(a[0], p)}^T"
    if isinstance(e, MatInv):
        return f"inv({p._print(a[0])})"
    if isinstance(e, Diag):
        return f"diag({p._print(a[0])})"
    if isinstance(e, Map):
        return f"{a[0].name}({p._print(a[1])})"
    if isinstance(e, Coord):
        idx = p._print(a[1])
        return f"{a[0].name}_{idx}" if a[1].is_Symbol else f"{a[0].name}_({idx})"
    if isinstance(e, Inner):
        return f"<{p._print(a[0])}, {p._print(a[1])}>"
    sub = {Norm1: "_1", Norm2: "_2", NormInf: "_inf", NormOp: "_op", NormF: "_F"}
    if type(e) in sub:
        return f"||{p._print(a[0])}||{sub[type(e)]}"
    if isinstance(e, Trace):
        return f"tr({p._print(a[0])})"
    if isinstance(e, Det):
        return f"det({p._print(a[0])})"
    if isinstance(e, (FamMax, FamMin)):
        lam, lo, hi = a
        word = "max" if isinstance(e, FamMax) else "min"
        return f"{word}({lam.variables[0]}, {p._print(lo)}, {p._print(hi)}, {p._print(lam.expr)})"
    return f"{type(e).__name__}({', '.join(p._print(x) for x in a)})"


def _operand(x: sp.Expr, p: Any) -> str:
    text = str(p._print(x))
    if isinstance(x, (VecVar, MatVar, Transpose, MatInv, Diag, Map, VecLit)):
        return text
    return f"({text})"
