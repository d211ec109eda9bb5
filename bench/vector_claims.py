"""The benchmark's vector category: its corpus, its labels re-checked, its naive baseline.

The corpus is tests/data/vectors/claims.txt (the soundness tests use the same file). Labels are
re-checked here with mpmath at 50 digits, by an evaluator of its own (mpmath matrices, its SVD
for operator norms, its determinant and inverse), independent of the checker's engines and of
its own way of writing vectors out in coordinates (``checker.vectors.ir.expand``):

* a false claim at its counterexample (dimensions and coordinates; a coordinate left out is 0);
* a true claim at pseudo-random points (a fixed seed) in every combination of dimensions
  1..6 (at most 30 combinations), with families that must sum to 1 drawn on the simplex.

The naive baseline takes every vector quantity (``<w, x>``, ``||x||_1``, ...) as an unknown
number, with no theorem about it, and asks Z3 alone (or SymPy's simplify for an equality).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import sympy as sp

from checker.obligations import Obligation, Relation
from checker.syntax.ast import Declaration, RelChain
from checker.vectors import ir

ROOT = Path(__file__).resolve().parent.parent
VECTOR_CLAIMS = ROOT / "tests" / "data" / "vectors" / "claims.txt"
DIMS = (1, 2, 3, 4, 5, 6)
MAX_COMBOS = 30
POINTS = 40  # random points per combination of dimensions
TOL = mpmath.mpf(10) ** -30


class Undefined(Exception):
    pass


def read(claim: str, assume: Sequence[str]) -> tuple[RelChain, list[Declaration]]:
    """The claim and its assumptions, parsed with the vectors they declare in force."""
    from checker.syntax.parse import parse_assumptions, parse_claim, shapes_of
    from checker.vectors.build import declared

    decls: list[Declaration] = []
    for text in assume:
        with declared(shapes_of(decls)):
            decls += list(parse_assumptions(text))
    with declared(shapes_of(decls)):
        chain = parse_claim(claim)
    return chain, decls


# ------------------------------------------------------------------------------ evaluation

Env = dict[str, Any]


def value(e: sp.Basic, env: Env) -> Any:
    """e at the point: an mpf, or an mpmath matrix for a vector or matrix."""
    if isinstance(e, ir.VecVar | ir.MatVar):
        return env[e.args[0].name]
    if isinstance(e, ir.VecLit):
        return mpmath.matrix([[value(a, env)] for a in e.args])
    if isinstance(e, ir.MatMul):
        return value(e.args[0], env) * value(e.args[1], env)
    if isinstance(e, ir.Transpose):
        return value(e.args[0], env).T
    if isinstance(e, ir.MatInv):
        a = value(e.args[0], env)
        if abs(mpmath.det(a)) < TOL:
            raise Undefined("singular matrix")
        return mpmath.inverse(a)
    if isinstance(e, ir.Diag):
        v = value(e.args[0], env)
        return mpmath.diag([v[i] for i in range(v.rows)])
    if isinstance(e, ir.Map):
        v = value(e.args[1], env)
        fn = {"relu": lambda t: max(t, 0), "abs": abs, "exp": mpmath.exp,
              "sign": mpmath.sign, "tanh": mpmath.tanh,
              "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t))}[e.args[0].name]
        return v.apply(fn)
    if isinstance(e, ir.Coord):
        i = int(value(e.args[1], env))
        v = env[e.args[0].name]
        if not 1 <= i <= v.rows:
            raise Undefined("index out of range")
        return v[i - 1]
    if isinstance(e, ir.Inner):
        u, v = value(e.args[0], env), value(e.args[1], env)
        return mpmath.fsum(u[i] * v[i] for i in range(u.rows))
    if isinstance(e, ir.Norm1 | ir.Norm2 | ir.NormInf | ir.NormF):
        a = value(e.args[0], env)
        entries = [a[i, j] for i in range(a.rows) for j in range(a.cols)]
        if isinstance(e, ir.Norm1):
            return mpmath.fsum(abs(x) for x in entries)
        if isinstance(e, ir.NormInf):
            return max(abs(x) for x in entries)
        return mpmath.sqrt(mpmath.fsum(x**2 for x in entries))
    if isinstance(e, ir.NormOp):
        a = value(e.args[0], env)
        return max(mpmath.svd_r(a, compute_uv=False))
    if isinstance(e, ir.Trace):
        a = value(e.args[0], env)
        return mpmath.fsum(a[i, i] for i in range(a.rows))
    if isinstance(e, ir.Det):
        return mpmath.det(value(e.args[0], env))
    if isinstance(e, ir.FamMax | ir.FamMin):
        lam, lo, hi = e.args
        k = lam.variables[0].name
        vals = [value(lam.expr, {**env, k: mpmath.mpf(i)})
                for i in range(int(value(lo, env)), int(value(hi, env)) + 1)]
        if not vals:
            raise Undefined("empty family")
        return max(vals) if isinstance(e, ir.FamMax) else min(vals)
    if isinstance(e, sp.Sum | sp.Product):
        (k, lo, hi), = e.limits
        terms = [value(e.function, {**env, k.name: mpmath.mpf(i)})
                 for i in range(int(value(lo, env)), int(value(hi, env)) + 1)]
        if isinstance(e, sp.Sum):
            return mpmath.fsum(terms)
        return mpmath.fprod(terms)
    if e.is_Symbol:
        return env[e.name]
    if e.is_Rational:
        return mpmath.mpf(e.p) / e.q
    if e is sp.pi:
        return mpmath.pi
    if e is sp.E:
        return mpmath.e
    if e.is_Add:
        parts = [value(a, env) for a in e.args]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total
    if e.is_Mul:
        parts = [value(a, env) for a in e.args]
        scalars = [p for p in parts if not isinstance(p, mpmath.matrix)]
        mats = [p for p in parts if isinstance(p, mpmath.matrix)]
        out = mpmath.fprod(scalars) if scalars else mpmath.mpf(1)
        return out * mats[0] if mats else out
    if e.is_Pow:
        b, x = value(e.base, env), value(e.exp, env)
        if b < 0 and x != int(x):
            raise Undefined("a fractional power of a negative number")
        if b == 0 and x < 0:
            raise Undefined("0 to a negative power")
        return b**x
    fn = _FUNCTIONS.get(type(e))
    if fn is not None:
        return fn(*[value(a, env) for a in e.args])
    raise Undefined(f"cannot evaluate {type(e).__name__}")


def _log(x: Any) -> Any:
    if x <= 0:
        raise Undefined("log of a number <= 0")
    return mpmath.log(x)


_FUNCTIONS: dict[type, Callable[..., Any]] = {
    sp.exp: mpmath.exp, sp.log: _log, sp.Abs: abs, sp.sign: mpmath.sign,
    sp.Max: max, sp.Min: min, sp.tanh: mpmath.tanh,
}


def holds(lhs: sp.Expr, op: str, rhs: sp.Expr, env: Env) -> tuple[bool, Any]:
    """(does ``lhs op rhs`` hold at the point, how far from failing)."""
    a, b = value(lhs, env), value(rhs, env)
    if isinstance(a, mpmath.matrix) or isinstance(b, mpmath.matrix):
        diff = mpmath.mnorm(a - b, 1)
        return (diff <= TOL) == (op == "="), diff
    d = a - b
    ok = {"=": abs(d) <= TOL, "!=": abs(d) > TOL, "<": d < -TOL, "<=": d <= TOL,
          ">": d > TOL, ">=": d >= -TOL}[op]
    return bool(ok), d


# ------------------------------------------------------------------------------ points


def _relations(decls: list[Declaration]) -> list[tuple[sp.Expr, str, sp.Expr]]:
    """The assumptions as relations, each coordinate's range included."""
    out: list[tuple[sp.Expr, str, sp.Expr]] = []
    for d in decls:
        if d.space is not None:
            continue  # checked in _point's draw (intervals of coordinates)
        if d.relation is not None:
            out += [(a.value, op, b.value) for a, op, b in d.relation.relations()]
        elif d.interval is not None:
            left, lo, hi, right = d.interval
            for n in d.names:
                x = sp.Symbol(n, real=True)
                out += [(x, ">" if left == "(" else ">=", lo.value),
                        (x, "<" if right == ")" else "<=", hi.value)]
    return out


def _spaces(decls: list[Declaration]) -> dict[str, Declaration]:
    return {n: d for d in decls if d.space is not None for n in d.names}


def _dims(spaces: dict[str, Declaration]) -> list[str]:
    out: set[str] = set()
    for d in spaces.values():
        assert d.space is not None
        for x in d.space:
            out |= {s.name for s in x.free_symbols}
    return sorted(out)


def _size(x: sp.Expr, dims: dict[str, int]) -> int:
    return int(x.xreplace({sp.Symbol(n, real=True): v for n, v in dims.items()}))


def _fill(env: Env, spaces: dict[str, Declaration], dims: dict[str, int],
          coords: Callable[[str], Any]) -> None:
    for n, d in spaces.items():
        assert d.space is not None
        rows, cols = _size(d.space[0], dims), _size(d.space[1], dims)
        if d.space[1] == 1:  # declared a vector (R^(m x d) at d = 1 is still a matrix)
            env[n] = mpmath.matrix([[coords(f"{n}_{i}")] for i in range(1, rows + 1)])
            for i in range(1, rows + 1):
                env[f"{n}_{i}"] = env[n][i - 1]
        else:
            env[n] = mpmath.matrix([[coords(f"{n}_{i}_{j}") for j in range(1, cols + 1)]
                                    for i in range(1, rows + 1)])
            for i in range(rows):
                for j in range(cols):
                    env[f"{n}_{i + 1}_{j + 1}"] = env[n][i, j]


def _coordinate_ok(spaces: dict[str, Declaration], env: Env) -> bool:
    """Each coordinate within its declared interval, and each family relation true."""
    for n, d in spaces.items():
        v = env[n]
        entries = [v[i, j] for i in range(v.rows) for j in range(v.cols)]
        if d.interval is not None:
            left, lo, hi, right = d.interval
            a, b = value(lo.value, env), value(hi.value, env)
            for x in entries:
                if x < a or x > b or (left == "(" and x == a) or (right == ")" and x == b):
                    return False
        if d.relation is not None and d.index is not None:
            for i in range(1, len(entries) + 1):
                sub = {**env, d.index: mpmath.mpf(i)}
                for a, op, b in d.relation.relations():
                    if not holds(a.value, op, b.value, sub)[0]:
                        return False
    return True


# ------------------------------------------------------------------------------ labels


def check_label(text: str, assume: Sequence[str], label: bool,
                cex: dict[str, Fraction] | None) -> tuple[bool, str, int]:
    """(label confirmed, detail, points evaluated)."""
    mpmath.mp.dps = 50
    chain, decls = read(text, assume)
    (lhs, op, rhs), = chain.relations()
    spaces = _spaces(decls)
    rels = _relations(decls)
    names = _dims(spaces)
    if not label:
        assert cex is not None
        dims = {n: int(cex[n]) for n in names}
        env: Env = {n: mpmath.mpf(v) for n, v in dims.items()}
        env.update({n: mpmath.mpf(q.numerator) / q.denominator for n, q in cex.items()})
        _fill(env, spaces, dims, lambda c: env.get(c, mpmath.mpf(0)))
        if not _coordinate_ok(spaces, env):
            return False, "the counterexample breaks a coordinate's declaration", 0
        for a, o, b in rels:
            if not holds(a, o, b, env)[0]:
                return False, f"the counterexample breaks an assumption {a} {o} {b}", 0
        ok, diff = holds(lhs.value, op, rhs.value, env)
        if ok:
            return False, "the claim holds at the counterexample", 1
        return True, f"fails at the counterexample (lhs - rhs = {mpmath.nstr(diff, 8)})", 1
    rng = random.Random(12345)
    combos = list(itertools.product(DIMS, repeat=len(names)))[:MAX_COMBOS]
    tried = 0
    for combo in combos:
        dims = dict(zip(names, combo, strict=True))
        for _ in range(POINTS * 5):
            if tried >= POINTS * len(combos):
                break
            env = {n: mpmath.mpf(v) for n, v in dims.items()}
            scalars = _scalars(rels, lhs.value, rhs.value, spaces, names)
            env.update({n: _draw(rng) for n in scalars})
            _fill(env, spaces, dims, lambda c: _draw(rng))
            _simplex(env, spaces, rels)
            try:
                if not _coordinate_ok(spaces, env):
                    continue
                if not all(holds(a, o, b, env)[0] for a, o, b in rels):
                    continue
                ok, diff = holds(lhs.value, op, rhs.value, env)
            except (Undefined, ZeroDivisionError):
                continue
            tried += 1
            if not ok:
                return False, f"fails at dimensions {dims} (lhs - rhs = {mpmath.nstr(diff, 8)})", \
                    tried
    if tried == 0:
        return False, "no random point satisfies the assumptions", 0
    return True, f"holds at {tried} random points in {len(combos)} dimension choices", tried


def _draw(rng: random.Random) -> Any:
    return mpmath.mpf(rng.randint(-3000, 3000)) / 1000


def _scalars(rels: list[tuple[sp.Expr, str, sp.Expr]], lhs: sp.Expr, rhs: sp.Expr,
             spaces: dict[str, Declaration], dims: list[str]) -> list[str]:
    out: set[str] = set()
    for e in [lhs, rhs, *(x for a, _, b in rels for x in (a, b))]:
        for s in e.free_symbols:
            out.add(s.name)
    bound = {str(v) for e in [lhs, rhs] for s in e.atoms(sp.Sum, sp.Product) for v in s.variables}
    return sorted(out - set(spaces) - set(dims) - bound)


def _simplex(env: Env, spaces: dict[str, Declaration],
             rels: list[tuple[sp.Expr, str, sp.Expr]]) -> None:
    """A family that an assumption says sums to 1: drawn as |x| / sum |x| instead."""
    for a, op, b in rels:
        if op == "=" and b == 1 and isinstance(a, sp.Sum):
            heads = {c.args[0].name for c in a.function.atoms(ir.Coord)}
            for h in heads & set(spaces):
                v = env[h]
                total = mpmath.fsum(abs(v[i]) for i in range(v.rows)) or mpmath.mpf(1)
                for i in range(v.rows):
                    v[i] = abs(v[i]) / total
                    env[f"{h}_{i + 1}"] = v[i]


# ------------------------------------------------------------------------------ baseline


def baseline(text: str, assume: Sequence[str], budget: float) -> dict[str, Any]:
    """Z3 alone (SymPy's simplify for an equality), each vector quantity an unknown number."""
    from checker.engines import z3_engine
    from checker.functions import to_elementary
    from checker.vectors.build import scalar_relation
    from checker.vectors.engine import atoms_of

    start = time.perf_counter()
    chain, decls = read(text, assume)
    (lhs, op, rhs), = chain.relations()
    claim = Relation(*scalar_relation(lhs.value, op, rhs.value))
    hyps = [Relation(*scalar_relation(a, o, b)) for a, o, b in _relations(decls)]
    atoms: set[sp.Expr] = set()
    for r in [claim, *hyps]:
        atoms |= atoms_of(r.lhs) | atoms_of(r.rhs)
    mapping = {a: sp.Symbol(f"atom{i}", real=True)
               for i, a in enumerate(sorted(atoms, key=sp.default_sort_key))}

    def sub(r: Relation) -> Relation:
        return Relation(r.lhs.xreplace(mapping), r.op, r.rhs.xreplace(mapping))

    ob = Obligation(sub(claim), (), tuple(sub(h) for h in hyps))
    if ob.claim.op == "=":
        zero = sp.simplify(to_elementary(ob.claim.lhs - ob.claim.rhs)) == 0
        return {"status": "proved" if zero else "unknown", "engine": "sympy.simplify",
                "wall_s": time.perf_counter() - start, "reason": "", "counterexample": ""}
    v = z3_engine.prove(ob, budget)
    status = v.status.value
    if status == "refuted" and atoms:
        status = "unknown"  # a model of unknown numbers is no counterexample to vectors
    return {"status": status, "engine": "z3", "wall_s": time.perf_counter() - start,
            "reason": v.reason[:300], "counterexample": ""}
