"""Proofs in a substituted variable: ``exp(x + y) >= 1 + x + y`` as ``exp(t) >= 1 + t``.

A claim whose variables occur only through one subexpression s is tried as g(t) with t
ranging over an enclosure of s on the box (exact when s is linear).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction

import sympy as sp

from checker.engines.intervals.arith import BOX_PRECISION, _to_fraction
from checker.engines.intervals.branch import MAX_BOXES, _Outcome, _Search, _Var
from checker.engines.intervals.compile import _compile, _evaluate
from checker.engines.work import Meter
from checker.numeric import Undefined
from checker.obligations import Relation, Status, sym

MAX_REDUCTION_OPS = 150


def _outside_sums(e: sp.Expr) -> Iterator[sp.Expr]:
    """The subterms of ``e`` in preorder, not entering sums: inside one, a subterm may mention
    the summation variable, which is not the variable of that name outside."""
    yield e
    if not isinstance(e, sp.Sum):
        for a in e.args:
            yield from _outside_sums(a)


def _reductions(f: sp.Expr, names: Sequence[str]) -> list[tuple[sp.Expr, sp.Expr, sp.Symbol]]:
    """Ways to write f = g(s, rest) with s a subexpression holding 2+ variables: (s, g, t)."""
    if sp.count_ops(f) > MAX_REDUCTION_OPS:
        return []
    taken = set(names)
    t = sym(
        next(n for n in ("t", "u", *(f"t{i}" for i in range(len(taken) + 1))) if n not in taken)
    )
    seen: set[sp.Expr] = set()
    candidates = []
    bound = {v for s in f.atoms(sp.Sum) for v in s.variables}
    for node in _outside_sums(f):
        if node is f or node.is_Symbol or node in seen or len(node.free_symbols) < 2:
            continue
        if node.free_symbols & bound:  # SymPy's subs would also replace it inside the sum
            continue
        seen.add(node)
        candidates.append(node)
    candidates.sort(key=lambda e: (-sp.count_ops(e), sp.srepr(e)))
    small_powers = all(abs(int(p.exp)) <= 20 for p in f.atoms(sp.Pow) if p.exp.is_Integer)
    out = []
    for s in candidates[:12]:
        try:
            g = f.subs(s, t)
        except Exception:  # SymPy's subs can fail on odd trees; then there is no reduction
            continue
        if t not in g.free_symbols or g.free_symbols & s.free_symbols:
            continue
        back = g.xreplace({t: s})
        if back != f and not (small_powers and sp.expand(back - f) == 0):
            continue
        out.append((s, g, t))
    return out


def _range_of(s: sp.Expr, variables: Sequence[_Var]) -> tuple[Fraction, Fraction, bool] | None:
    """Bounds of s over the box (exact when s is linear with rational coefficients)."""
    names = [v.name for v in variables]
    syms = [sym(n) for n in names]
    box = tuple((v.lo, v.hi) for v in variables)
    try:
        poly = sp.Poly(s, *syms)
        linear = poly.total_degree() == 1 and all(c.is_Rational for c in poly.coeffs())
    except Exception:  # not a polynomial (SymPy raises several kinds)
        linear = False
    if linear:
        lo = hi = Fraction(0)
        integer = True
        for exps, c in poly.terms():
            q = Fraction(int(c.p), int(c.q))
            if sum(exps) == 0:
                lo, hi = lo + q, hi + q
                integer = integer and q.denominator == 1
                continue
            k = exps.index(1)
            v = variables[k]
            lo += min(q * v.lo, q * v.hi)
            hi += max(q * v.lo, q * v.hi)
            integer = integer and v.integer and q.denominator == 1
        return lo, hi, integer
    fn = _compile(s, {n: i for i, n in enumerate(names)})
    try:
        iv = _evaluate(fn, box, names, BOX_PRECISION, False)
    except Undefined:
        return None
    if iv is None:
        return None
    return _to_fraction(iv[0]), _to_fraction(iv[1]), False


def _prove_reduced(
    f: sp.Expr, op: str, variables: Sequence[_Var], hyps: Sequence[Relation], meter: Meter,
    max_boxes: int = MAX_BOXES,
) -> _Outcome | None:
    """Try proving the claim in a substituted variable; an outcome only when proved."""
    names = [v.name for v in variables]
    for s, g, t in _reductions(f, names)[:2]:
        if meter.exhausted:
            return None
        used = {x.name for x in s.free_symbols}
        inside = [v for v in variables if v.name in used]
        rng = _range_of(s, inside)
        if rng is None:
            continue
        in_g = {x.name for x in g.free_symbols}
        rest = [v for v in variables if v.name not in used and v.name in in_g]
        new_vars = sorted([*rest, _Var(t.name, rng[0], rng[1], rng[2])], key=lambda v: v.name)
        rest_names = {v.name for v in rest}
        keep = [h for h in hyps if h.free_names <= rest_names]
        search = _Search(g, op, new_vars, keep, meter)
        outcome = search.run(max_boxes)
        if outcome.status is Status.PROVED:
            outcome.reason = f"{outcome.reason} with {t.name} = {s}"
            return outcome
    return None
