"""Substitution that respects bound variables (the index of ``sum(k, a, b, ...)``).

SymPy's ``xreplace`` replaces a symbol everywhere, bound occurrences included: replacing ``k``
by 5 inside ``Sum(k, (k, 1, 3))`` builds ``Sum(5, (5, 1, 3))`` (an error), and replacing ``m``
by ``10*i`` inside ``Sum(binomial(m, i), (i, 0, d))`` captures the free ``i``. ``substitute``
leaves bound occurrences alone and renames a bound variable apart when a replacement value
mentions it. Fresh names are deterministic: the bound name followed by the
first number that is free (``i1``, ``i2``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits


def substitute(e: sp.Expr, mapping: Mapping[sp.Basic, sp.Basic]) -> sp.Expr:
    """``e`` with each key of ``mapping`` replaced by its value, free occurrences only."""
    if not mapping:
        return e
    if not e.has(ExprWithLimits):
        return e.xreplace(dict(mapping))
    avoid = {s.name for v in mapping.values() for s in v.atoms(sp.Symbol)}
    out: sp.Expr = _subst(e, dict(mapping), avoid)
    return out


def fresh_name(base: str, taken: Iterable[str]) -> str:
    """``base`` followed by the first number that makes a name not in ``taken``."""
    used = set(taken)
    n = 1
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def _subst(e: sp.Basic, mapping: dict[sp.Basic, sp.Basic], avoid: set[str]) -> sp.Basic:
    if e in mapping:
        return mapping[e]
    if not e.args:
        return e
    if not isinstance(e, ExprWithLimits):
        return e.func(*[_subst(a, mapping, avoid) for a in e.args])
    # One limit at a time, the outermost first: SymPy lists the innermost limit first, and
    # ``Sum(f, (j, 1, k), (k, 1, n))`` is the sum over k of the sum over j. The ends of a limit
    # lie outside its own scope (``sum(k, 1, k, x)``: the upper end is the free k).
    *inner_limits, (v, *ends) = e.limits
    ends = [_subst(b, mapping, avoid) for b in ends]
    body = type(e)(e.function, *inner_limits) if inner_limits else e.function
    inside = _outside(mapping, {v})
    if v.name in avoid and any(body.has(k) for k in inside):
        # a replacement mentions v's name: rename v apart before anything can meet it
        taken = avoid | {s.name for s in body.atoms(sp.Symbol)}
        taken |= {s.name for k in mapping for s in k.atoms(sp.Symbol)}
        fresh = sp.Symbol(fresh_name(v.name, taken), **v.assumptions0)
        body = _subst(body, {v: fresh}, set())
        v = fresh
    return type(e)(_subst(body, inside, avoid), (v, *ends))


def _outside(mapping: dict[sp.Basic, sp.Basic], bound: set[sp.Symbol]) -> dict[sp.Basic, sp.Basic]:
    """The entries of ``mapping`` that still mean the same inside the scope of ``bound``: a key
    that mentions a bound variable (``k``, or ``Abs(k - 4)``) names something else there."""
    return {k: v for k, v in mapping.items() if not (k.free_symbols & bound)}


Scope = tuple[tuple[str, sp.Expr, sp.Expr], ...]


def rename_apart(scope: Scope, exprs: Sequence[sp.Expr],
                 in_use: Iterable[str]) -> tuple[Scope, list[sp.Expr]]:
    """A condition under summation variables, stated about names of its own.

    ``scope`` lists the variables with their ranges, the outermost first (an inner range may
    mention an outer variable); ``exprs`` are the condition's expressions, in the scope of all
    of them. A variable whose name is ``in_use`` (a variable of the proof), or is the name of
    an outer variable, is renamed with ``fresh_name`` in the expressions and in the ranges
    inside its scope, so that nothing said about it can be read as said about the other."""
    busy = set(in_use)
    out = list(scope)
    parts = list(exprs)
    taken = busy | {n for n, _, _ in scope}
    for e in (*exprs, *(x for _, lo, hi in scope for x in (lo, hi))):
        taken |= {s.name for s in e.atoms(sp.Symbol)}
    for i in reversed(range(len(out))):  # the innermost first: it shadows the outer ones
        name, lo, hi = out[i]
        if name not in busy and all(name != n for n, _, _ in out[:i]):
            continue
        new = fresh_name(name, taken)
        taken.add(new)
        inside = [*parts, *(x for _, a, b in out[i + 1:] for x in (a, b))]
        mapping: dict[sp.Basic, sp.Basic] = {
            s: sp.Symbol(new, **s.assumptions0)
            for e in inside for s in e.free_symbols
            if isinstance(s, sp.Symbol) and s.name == name}
        parts = [substitute(p, mapping) for p in parts]
        for j in range(i + 1, len(out)):
            n, a, b = out[j]
            out[j] = (n, substitute(a, mapping), substitute(b, mapping))
        out[i] = (new, lo, hi)
    return tuple(out), parts


BOUND_NAMES = ("k", "j", "i", "l")  # by nesting depth; then k5, k6, ...


def canonical_bound(e: sp.Expr, taken: Iterable[str]) -> sp.Expr:
    """``e`` with the index of every ``Sum``/``Product`` renamed by its nesting depth (``k``
    outermost, then ``j``, ``i``, ``l``; a name in ``taken``, the free names of the whole
    obligation, is never used), so that ``sum(i, 1, K, p_i)`` and ``sum(k, 1, K, p_k)``
    become the same expression (alpha-equivalence). An index whose new name is already used
    inside keeps its name: equal sums may then stay apart, never different ones merge."""
    if not e.has(sp.Sum, sp.Product):
        return e
    used = set(taken)
    names = [n for n in BOUND_NAMES if n not in used]

    def name(depth: int) -> str:
        return names[depth] if depth < len(names) else fresh_name("k", used | set(names))

    def walk(x: sp.Basic, depth: int) -> sp.Basic:
        if isinstance(x, (sp.Sum, sp.Product)):
            # SymPy merges nested sums into one with several limits, innermost first
            body = walk(x.function, depth + len(x.limits))
            limits = [list(lim) for lim in x.limits]
            for idx in range(len(limits) - 1, -1, -1):  # the outermost first
                v, lo, hi = limits[idx]
                d = depth + len(limits) - 1 - idx
                new = sp.Symbol(name(d), **v.assumptions0)
                inner = [a for lim in limits[:idx] for a in lim]
                if new != v and not any(new in a.free_symbols for a in [body, *inner]):
                    body = body.xreplace({v: new})
                    for lim in limits[:idx]:
                        lim[1], lim[2] = lim[1].xreplace({v: new}), lim[2].xreplace({v: new})
                    v = new
                limits[idx] = [v, walk(lo, d), walk(hi, d)]
            return x.func(body, *[tuple(lim) for lim in limits])
        if not x.args or not x.has(sp.Sum, sp.Product):
            return x
        return x.func(*[walk(a, depth) for a in x.args])

    out: sp.Expr = walk(e, 0)
    return out

