"""Derivatives and gradients at a symbolic dimension, computed structurally (docs/vectors.md).

At a concrete dimension ``grad(f, w)`` and ``diff(f, t)`` write ``f`` out in coordinates and
let SymPy differentiate (``checker.vectors.build.gradient``). At a symbolic dimension there are
no coordinates; this module differentiates the structure instead, by exact rules:

* the scalar part of ``f`` by SymPy, each atom that depends on the variable (``<u, v>``, a
  squared norm, a family sum) standing for one unknown (the chain rule);
* ``<p, q>`` by the product rule, through the transposed Jacobian of each side
  (``(d p/d w)^T u``): ``grad(<w, x>, w) = x``, ``grad(<w, A w>, w) = A w + A^T w``;
* ``||p||_2^n`` for an even n >= 2 as ``<p, p>^(n/2)`` (``grad(||w||_2^2, w) = 2 w``);
* ``sum(k, 1, d, body)`` over the coordinates of ``w`` (``body`` using ``w_k``) coordinate by
  coordinate, when the result is a vector the language can write (``c*y`` for a vector ``y``
  of the same dimension, ``exp(y)``, ...): ``grad(sum(k, 1, d, (w_k - x_k)^2), w) = 2 w - 2 x``.

Anything else (``||w||_1``, ``||w||_2`` itself, ``max``, a componentwise ``relu`` inside, a
coordinate ``w_1`` named alone) raises ``NotStructural`` with the reason: the caller refuses
the expression with a coded diagnostic; a gradient is never guessed.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str

from checker.vectors.ir import (
    SCALAR_ATOMS,
    Coord,
    Inner,
    Map,
    MatMul,
    Norm2,
    VecVar,
    dims_of,
    shape_of,
)

SUPPORTED = ("structurally, grad and diff take linear terms, inner products, quadratic "
             "forms, squared l2 norms (||w||_2^2) and sums over the coordinates")
MAPPABLE = {sp.exp: "exp", sp.tanh: "tanh"}


class NotStructural(Exception):
    """No structural rule gives this derivative; the message says why."""


def squares_to_inner(f: sp.Expr) -> sp.Expr:
    """``||p||_2^n`` (n even, >= 2) as ``<p, p>^(n/2)``: differentiable everywhere."""
    return f.replace(
        lambda e: isinstance(e, sp.Pow) and isinstance(e.base, Norm2) and e.exp.is_Integer
        and e.exp > 0 and e.exp % 2 == 0,
        lambda e: Inner(e.base.args[0], e.base.args[0]) ** (e.exp / 2))


def _top_atoms(f: sp.Expr, depends: sp.Symbol) -> list[sp.Expr]:
    """The scalar atoms of ``f`` (and family sums) that use ``depends`` and are not inside
    another such atom, in a fixed order."""
    found = [a for a in f.atoms(*SCALAR_ATOMS, sp.Sum, sp.Product)
             if depends in a.free_symbols]
    top = [a for a in found if not any(b != a and b.has(a) for b in found)]
    return sorted(top, key=sp.default_sort_key)


def _chain(f: sp.Expr, depends: sp.Symbol) -> list[tuple[sp.Expr, sp.Expr]]:
    """``f`` as a function of its top atoms: (d f / d atom, atom) for each atom; raises when
    ``depends`` is used outside the atoms."""
    atoms = _top_atoms(f, depends)
    dummies = [sp.Dummy(f"u{i}", real=True) for i in range(len(atoms))]
    g = f.xreplace(dict(zip(atoms, dummies, strict=True)))
    if depends in g.free_symbols:
        raise NotStructural(f"{depends} is used outside the quantities of vectors; {SUPPORTED}")
    back = dict(zip(dummies, atoms, strict=True))
    out = []
    for u, a in zip(dummies, atoms, strict=True):
        partial = sp.diff(g, u)
        _closed(partial)
        if partial != 0:
            out.append((partial.xreplace(back), a))
    return out


def _closed(e: sp.Expr) -> None:
    """Refuse a derivative SymPy leaves unevaluated, or one of a function with a kink
    (relu, max: a Heaviside step or a Dirac delta in the result)."""
    if e.has(sp.Derivative, sp.Subs):
        raise NotStructural(f"this derivative has no closed form; {SUPPORTED}")
    if e.has(sp.Heaviside, sp.DiracDelta):
        raise NotStructural("relu, max and min are not differentiable at their kinks; "
                            f"{SUPPORTED}")


def _coordinate_named(f: sp.Expr, head: str) -> bool:
    """Does ``f`` name a coordinate ``head_1``, ``head_2``, ... by a number?"""
    prefix = head + "_"
    return any(s.name.startswith(prefix) and s.name[len(prefix):].isdigit()
               for s in f.free_symbols if isinstance(s, sp.Symbol))


# ------------------------------------------------------------------------------ gradients


def gradient(f: sp.Expr, w: sp.Expr) -> sp.Expr:
    """``grad(f, w)`` for a vector variable ``w`` of a symbolic dimension: a vector
    expression (or 0, the zero vector); raises NotStructural."""
    assert isinstance(w, VecVar)
    name = w.args[0]
    if _coordinate_named(f, name.name):
        raise NotStructural(f"f names a coordinate of {name} by its number; {SUPPORTED}")
    total: sp.Expr = sp.Integer(0)
    for partial, atom in _chain(squares_to_inner(f), name):
        total += partial * _grad_atom(atom, w)
    return total


def _grad_atom(a: sp.Expr, w: sp.Expr) -> sp.Expr:
    if isinstance(a, Inner):
        p, q = a.args
        return _jt(p, q, w) + _jt(q, p, w)
    if isinstance(a, sp.Sum):
        return _grad_sum(a, w)
    if isinstance(a, Norm2):
        raise NotStructural(f"{a} is not differentiable where its vector is 0; differentiate "
                            "its square, ||.||_2^2")
    raise NotStructural(f"{a} has no structural gradient; {SUPPORTED}")


def _jt(v: sp.Expr, u: sp.Expr, w: sp.Expr) -> sp.Expr:
    """``(d v / d w)^T u`` for vectors v and u (the transposed Jacobian applied to u)."""
    from checker.vectors import build as vec

    name = w.args[0]
    if name not in v.free_symbols:
        return sp.Integer(0)
    if v == w:
        return u
    if isinstance(v, sp.Add):
        return sp.Add(*[_jt(t, u, w) for t in v.args])
    if isinstance(v, sp.Mul):
        vectors = [t for t in v.args if shape_of(t)]
        if len(vectors) != 1:
            raise NotStructural(f"{v}: a product of vectors; {SUPPORTED}")
        c = sp.Mul(*[t for t in v.args if not shape_of(t)])
        out = c * _jt(vectors[0], u, w)
        if name in c.free_symbols:
            out += gradient(c, w) * vec.inner(vectors[0], u)
        return out
    if isinstance(v, MatMul) and name not in v.args[0].free_symbols:
        m, p = v.args
        return _jt(p, vec.multiply(vec.transpose(m), u), w)
    raise NotStructural(f"{v} is not linear in {name}; {SUPPORTED}")


def _grad_sum(s: sp.Sum, w: sp.Expr) -> sp.Expr:
    """``grad(sum(k, 1, d, body), w)`` with body using ``w_k``: coordinate k of the gradient
    is d body / d w_k, written as a vector of the language when it can be."""
    from checker.vectors import build as vec

    name, dim = w.args
    if len(s.limits) != 1:
        raise NotStructural(f"{s}: a nested sum; {SUPPORTED}")
    k, lo, hi = s.limits[0]
    coords = [c for c in s.function.atoms(Coord) if c.args[0] == name]
    if lo != 1 or hi != dim or any(c.args[1] != k for c in coords):
        raise NotStructural(f"{s} is not a sum over every coordinate {name}_{k}, {k} = 1..{dim}")
    t = sp.Dummy("t", real=True)
    body = s.function.xreplace({Coord(name, k): t})
    if name in body.free_symbols:
        raise NotStructural(f"{s}: {name} is used inside the sum other than by {name}_{k}")
    partial = sp.expand(sp.diff(body, t).xreplace({t: Coord(name, k)}))
    _closed(partial)
    total: sp.Expr = sp.Integer(0)
    for term in sp.Add.make_args(partial):
        if term == 0:
            continue
        coeff: list[sp.Expr] = []
        vector: sp.Expr | None = None
        for factor in sp.Mul.make_args(term):
            if k not in factor.free_symbols:
                coeff.append(factor)
                continue
            if vector is not None:
                raise NotStructural(f"the gradient of {s} multiplies coordinates; {SUPPORTED}")
            vector = _as_vector(factor, k, dim, vec)
        if vector is None:
            raise NotStructural(f"the gradient of {s} has coordinates that use no vector (a "
                                f"constant vector such as (1, ..., 1)); {SUPPORTED}")
        total += sp.Mul(*coeff) * vector
    return total


def _as_vector(factor: sp.Expr, k: sp.Symbol, dim: sp.Expr, vec: object) -> sp.Expr:
    """``y_k`` as the vector ``y``, ``exp(y_k)`` as ``exp(y)`` (y of the dimension dim)."""
    inner, fn = factor, None
    if type(factor) in MAPPABLE and len(factor.args) == 1:
        inner, fn = factor.args[0], MAPPABLE[type(factor)]
    if isinstance(inner, Coord) and inner.args[1] == k:
        y = vec.variable(str(inner.args[0].name))  # type: ignore[attr-defined]
        if y is not None and shape_of(y) and shape_of(y)[0] == dim:
            return y if fn is None else Map(Str(fn), y)
    raise NotStructural(f"{factor} is not a coordinate of a vector of R^{dim}; {SUPPORTED}")


# ------------------------------------------------------------------------------ derivatives


def derivative(f: sp.Expr, t: sp.Symbol) -> sp.Expr:
    """``diff(f, t)`` for a number f with vector quantities of a symbolic dimension and a
    scalar variable t; raises NotStructural."""
    from checker.vectors import build as vec

    if t in dims_of(f):
        raise NotStructural(f"{t} is a dimension")
    head, _, index = t.name.rpartition("_")
    if head and index.isdigit() and head in vec.current():
        raise NotStructural(f"{t} is a coordinate of {head}; {SUPPORTED}")
    f = squares_to_inner(f)
    atoms = _top_atoms(f, t)
    dummies = [sp.Dummy(f"u{i}", real=True) for i in range(len(atoms))]
    g = f.xreplace(dict(zip(atoms, dummies, strict=True)))
    back = dict(zip(dummies, atoms, strict=True))
    total = sp.diff(g, t).xreplace(back)
    for u, a in zip(dummies, atoms, strict=True):
        partial = sp.diff(g, u)
        if partial != 0:
            total += partial.xreplace(back) * _d_atom(a, t)
    _closed(total)
    return total


def _d_atom(a: sp.Expr, t: sp.Symbol) -> sp.Expr:
    from checker.vectors import build as vec

    if isinstance(a, Inner):
        p, q = a.args
        out: sp.Expr = sp.Integer(0)
        dp, dq = _dv(p, t), _dv(q, t)
        if dp != 0:
            out += vec.inner(dp, q)
        if dq != 0:
            out += vec.inner(p, dq)
        return out
    if isinstance(a, (sp.Sum, sp.Product)) and not any(
            t in x.free_symbols for x in a.function.atoms(*SCALAR_ATOMS)):
        return sp.diff(a, t)
    raise NotStructural(f"{a} has no structural derivative; {SUPPORTED}")


def _dv(v: sp.Expr, t: sp.Symbol) -> sp.Expr:
    """d v / d t for a vector v (0 when v does not use t)."""
    from checker.vectors import build as vec

    if t not in v.free_symbols:
        return sp.Integer(0)
    if isinstance(v, sp.Add):
        return sp.Add(*[_dv(x, t) for x in v.args])
    if isinstance(v, sp.Mul):
        vectors = [x for x in v.args if shape_of(x)]
        if len(vectors) != 1:
            raise NotStructural(f"{v}: a product of vectors; {SUPPORTED}")
        c = sp.Mul(*[x for x in v.args if not shape_of(x)])
        out = sp.diff(c, t) * vectors[0]
        d_inner = _dv(vectors[0], t)
        if d_inner != 0:
            out += c * d_inner
        return out
    if isinstance(v, MatMul) and t not in v.args[0].free_symbols:
        d_inner = _dv(v.args[1], t)
        return sp.Integer(0) if d_inner == 0 else vec.multiply(v.args[0], d_inner)
    raise NotStructural(f"{v} is not linear in {t}; {SUPPORTED}")
