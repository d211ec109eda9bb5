"""Facts about vector atoms that hold in every dimension (the library's vector theorems).

Each fact is an instance of a theorem of ``theorems/linear_algebra/norms.toml`` (its id is
given with it) about the atoms of an obligation: Hölder's inequality with the dual pair
(1, inf), Cauchy-Schwarz, the triangle inequality, homogeneity, the norm equivalences with
their ``sqrt(d)`` and ``d`` constants, the operator norm's submultiplicativity and its
bound by the Frobenius norm, relu's 1-Lipschitz property, and the log-sum-exp bounds over K
terms. ``checker.vectors.engine`` adds them as hypotheses after replacing each atom by a
variable: a proof from true facts is a proof at every dimension.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from checker.obligations import Relation
from checker.vectors.ir import (
    Coord,
    FamMax,
    FamMin,
    Inner,
    Map,
    MatMul,
    Norm1,
    Norm2,
    NormF,
    NormInf,
    NormOp,
    shape_of,
)

Fact = tuple[str, Relation]  # (theorem id, instance)

VECTOR_NORMS = (Norm1, Norm2, NormInf)
_INDEX = sp.Symbol("k", real=True)


def for_all(name: str, rows: sp.Expr, index: str | None,
            interval: tuple[str, sp.Expr, sp.Expr, str] | None,
            relations: list[tuple[sp.Expr, str, sp.Expr]]) -> list[Relation]:
    """What a declaration says of every coordinate of a vector or family of symbolic length,
    as relations on the smallest and largest coordinate (``min(k, 1, K, p_k) > 0``)."""
    k = sp.Symbol(index or "k", real=True)
    coord = Coord(sp.Symbol(name, real=True), k)
    out: list[Relation] = []

    def low(f: sp.Expr, op: str, c: sp.Expr) -> None:  # f(k) op c for every k, op > or >=
        out.append(Relation(FamMin(sp.Lambda(k, f), sp.Integer(1), rows), op, c))

    def high(f: sp.Expr, op: str, c: sp.Expr) -> None:  # f(k) op c for every k, op < or <=
        out.append(Relation(FamMax(sp.Lambda(k, f), sp.Integer(1), rows), op, c))

    if interval is not None:
        left, lo, hi, right = interval
        low(coord, ">" if left == "(" else ">=", lo)
        high(coord, "<" if right == ")" else "<=", hi)
    for a, op, b in relations:
        f = a - b
        if op in (">", ">="):
            low(f, op, sp.Integer(0))
        elif op in ("<", "<="):
            high(f, op, sp.Integer(0))
        elif op == "=":
            low(f, ">=", sp.Integer(0))
            high(f, "<=", sp.Integer(0))
        else:
            raise ValueError("'!=' cannot be said of every member of a family of symbolic "
                             "length")
    return out


def _dim(v: sp.Expr) -> sp.Expr:
    return shape_of(v)[0]


def _terms(v: sp.Expr) -> list[sp.Expr]:
    """The vector-valued terms of a sum of vectors (a single term otherwise)."""
    if isinstance(v, sp.Add):
        return [t for t in v.args if shape_of(t)]
    return [v]


def _scaled(v: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """``(c, u)`` for ``v = c*u`` with c a number expression and u a vector."""
    if isinstance(v, sp.Mul):
        coeff = [a for a in v.args if not shape_of(a)]
        rest = [a for a in v.args if shape_of(a)]
        if coeff and len(rest) == 1:
            return sp.Mul(*coeff), rest[0]
    return None


Nonempty = Callable[[sp.Expr, sp.Expr], bool]  # is the range lo..hi certainly nonempty?


def vector_facts(atoms: set[sp.Expr], closure: bool,
                 nonempty: Nonempty = lambda lo, hi: False) -> list[Fact]:
    """Facts about the given atoms; with ``closure``, also about the other norms of the
    vectors they mention (new atoms, so a chain such as Hölder then a norm equivalence is
    found)."""
    out: list[Fact] = []
    vectors: set[sp.Expr] = set()
    for a in atoms:
        if isinstance(a, VECTOR_NORMS):
            vectors.add(a.args[0])
        elif isinstance(a, Inner):
            vectors |= {a.args[0], a.args[1]}
    present = set(atoms)

    def have(*xs: sp.Expr) -> bool:
        return closure or all(x in present for x in xs)

    zero = sp.Integer(0)
    for v in sorted(vectors, key=sp.default_sort_key):
        n = _dim(v)
        n1, n2, ninf = Norm1(v), Norm2(v), NormInf(v)
        pairs = [
            ("norm_inf_le_norm_two", ninf, n2, sp.Integer(1)),
            ("norm_two_le_norm_one", n2, n1, sp.Integer(1)),
            ("norm_one_le_sqrt_dim_norm_two", n1, n2, sp.sqrt(n)),
            ("norm_two_le_sqrt_dim_norm_inf", n2, ninf, sp.sqrt(n)),
            ("norm_one_le_dim_norm_inf", n1, ninf, n),
        ]
        for thm, small, big, c in pairs:
            if have(small, big):
                out.append((thm, Relation(small, "<=", c * big)))
        for nv in (n1, n2, ninf):
            if have(nv):
                out.append(("norm_nonneg", Relation(nv, ">=", zero)))
        for cls in VECTOR_NORMS:
            nv = cls(v)
            if nv not in present and not closure:
                continue
            terms = _terms(v)
            if len(terms) > 1:  # the triangle inequality
                out.append(("norm_add_le", Relation(nv, "<=", sp.Add(*[cls(t) for t in terms]))))
            scaled = _scaled(v)
            if scaled is not None:  # homogeneity
                out.append(("norm_smul", Relation(nv, "=", sp.Abs(scaled[0]) * cls(scaled[1]))))
            if isinstance(v, Map) and v.args[0].name == "relu":
                out.append(("norm_relu_le", Relation(nv, "<=", cls(v.args[1]))))
            if len(terms) == 2 and all(isinstance(_unsign(t), Map) for t in terms):
                out += _relu_lipschitz(cls, nv, terms)
            if cls is Norm2 and len(terms) == 2 and all(
                    isinstance(_unsign(t), MatMul) for t in terms):
                out += _linear_difference(nv, terms)
    for a in sorted(atoms, key=sp.default_sort_key):
        if isinstance(a, Inner):
            u, v = a.args
            bounds = [("holder_one_inf", Norm1(u) * NormInf(v)),
                      ("holder_one_inf", NormInf(u) * Norm1(v)),
                      ("cauchy_schwarz", Norm2(u) * Norm2(v))]
            for thm, bound in bounds:
                if have(*bound.args):
                    out.append((thm, Relation(a, "<=", bound)))
                    out.append((thm, Relation(-a, "<=", bound)))
            if u == v:
                out.append(("inner_self_eq_norm_sq", Relation(a, "=", Norm2(u) ** 2)))
        if isinstance(a, (NormOp, NormF)):
            out.append(("norm_nonneg", Relation(a, ">=", zero)))
        if isinstance(a, NormOp) and have(NormF(a.args[0])):
            out.append(("op_norm_le_frobenius", Relation(a, "<=", NormF(a.args[0]))))
        if isinstance(a, NormOp) and isinstance(a.args[0], MatMul):
            p, q = a.args[0].args
            out.append(("op_norm_mul_le", Relation(a, "<=", NormOp(p) * NormOp(q))))
        if isinstance(a, Norm2) and isinstance(a.args[0], MatMul):
            p, x = a.args[0].args
            if shape_of(x)[1] == 1:
                out.append(("op_norm_apply_le", Relation(a, "<=", NormOp(p) * Norm2(x))))
        if isinstance(a, sp.Sum) and len(a.limits) == 1 and nonempty(*a.limits[0][1:]):
            out += _sum_facts(a, present, closure)
    return out


def _unsign(t: sp.Expr) -> sp.Expr:
    s = _scaled(t)
    return s[1] if s is not None and s[0] == -1 else t


def _difference(terms: list[sp.Expr]) -> tuple[sp.Expr, sp.Expr] | None:
    """(u, v) when the two terms are u and -v (in either order), else None."""
    a, b = terms
    pa, pb = _scaled(a), _scaled(b)
    if pa is None and pb is not None and pb[0] == -1:
        return a, pb[1]
    if pb is None and pa is not None and pa[0] == -1:
        return b, pa[1]
    return None


def _relu_lipschitz(cls: type, nv: sp.Expr, terms: list[sp.Expr]) -> list[Fact]:
    """||relu(u) - relu(v)|| <= ||u - v||: relu is 1-Lipschitz in each coordinate."""
    pair = _difference(terms)
    if pair is None:
        return []
    u, v = pair
    if not (u.args[0].name == v.args[0].name == "relu"):
        return []
    return [("relu_lipschitz", Relation(nv, "<=", cls(u.args[1] - v.args[1])))]


def _linear_difference(nv: sp.Expr, terms: list[sp.Expr]) -> list[Fact]:
    """||A u - A v||_2 = ||A (u - v)||_2 <= ||A||_op ||u - v||_2."""
    pair = _difference(terms)
    if pair is None:
        return []
    u, v = pair
    if u.args[0] != v.args[0] or shape_of(u.args[1])[1] != 1:
        return []
    return [("op_norm_apply_le",
             Relation(nv, "<=", NormOp(u.args[0]) * Norm2(u.args[1] - v.args[1])))]


def _sum_facts(s: sp.Sum, present: set[sp.Expr], closure: bool) -> list[Fact]:
    """The log-sum-exp bounds: max_k z_k <= log(sum_k exp(z_k)) <= max_k z_k + log(K)."""
    if len(s.limits) != 1 or not isinstance(s.function, sp.exp):
        return []
    k, lo, hi = s.limits[0]
    body = s.function.args[0]
    m = FamMax(sp.Lambda(k, body), lo, hi)
    if not (closure or m in present):
        return []
    count = hi - lo + 1
    return [
        ("sum_exp_pos", Relation(s, ">", sp.Integer(0))),
        ("log_sum_exp_ge_max", Relation(sp.log(s), ">=", m)),
        ("log_sum_exp_le_max_add_log", Relation(sp.log(s), "<=", m + sp.log(count))),
        ("log_sum_exp_ge_max", Relation(s, ">=", sp.exp(m))),
        ("log_sum_exp_le_max_add_log", Relation(s, "<=", count * sp.exp(m))),
    ]


def famextreme_facts(atoms: set[sp.Expr],
                     nonempty: Nonempty = lambda lo, hi: False) -> list[Fact]:
    """A nonempty family's largest member is at least its smallest."""
    out: list[Fact] = []
    for a in atoms:
        if isinstance(a, FamMax) and nonempty(a.args[1], a.args[2]):
            lam, lo, hi = a.args
            twin = FamMin(lam, lo, hi)
            if twin in atoms:
                out.append(("fam_min_le_max", Relation(twin, "<=", a)))
    return out
