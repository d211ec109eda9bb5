"""Substitution that respects bound variables (the index of ``sum(k, a, b, ...)``).

SymPy's ``xreplace`` replaces a symbol everywhere, bound occurrences included: replacing ``k``
by 5 inside ``Sum(k, (k, 1, 3))`` builds ``Sum(5, (5, 1, 3))`` (an error), and replacing ``m``
by ``10*i`` inside ``Sum(binomial(m, i), (i, 0, d))`` captures the free ``i``. ``substitute``
leaves bound occurrences alone and renames a bound variable apart when a replacement value
mentions it. Fresh names are deterministic: the bound name followed by the
first number that is free (``i1``, ``i2``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
    clash = [lim[0] for lim in e.limits if lim[0].name in avoid]
    if clash:  # rename the bound variables apart before anything can meet them
        taken = avoid | {s.name for s in e.atoms(sp.Symbol)}
        renaming = {}
        for v in clash:
            name = fresh_name(v.name, taken)
            taken.add(name)
            renaming[v] = sp.Symbol(name, **v.assumptions0)
        e = e.xreplace(renaming)
    bound = [lim[0] for lim in e.limits]
    limits = []
    for j, lim in enumerate(e.limits):
        # SymPy lists the innermost limit first: its bounds lie inside the later variables' scope
        outer = {k: v for k, v in mapping.items() if k not in bound[j + 1:]}
        limits.append((lim[0], *[_subst(b, outer, avoid) for b in lim[1:]]))
    inner = {k: v for k, v in mapping.items() if k not in bound}
    return type(e)(_subst(e.function, inner, avoid), *limits)
