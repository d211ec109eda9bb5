"""The binding rule: every variable of a theorem is determined by what its statement is about.

A theorem about opaque quantities (``P[...]``, ``E[...]``, ``Rad[...]``, any ``HEAD[...]``) is
cited at whatever values the student gives its variables. A variable the opaque terms do not
carry (the sample size ``n`` of ``P[|mean - mu| >= t] <= 2*exp(-2*n*t^2)``) can then be chosen
at will, and the theorem proves anything. So each variable and object must be *bound*:

* it occurs inside an opaque term of the conclusion (``n`` in ``P[|Mean[X, n] - E[X]| >= t]``);
* or a hypothesis with an opaque term ties it to a bound name (``Size[H] <= k`` with ``H``
  bound binds ``k``; ``P[a <= X <= b] = 1`` binds ``a`` and ``b``);
* or a hypothesis without opaque terms leaves it as the only name not yet bound: it is then a
  number constrained by bound ones (``n >= log(2/delta)/(2*t^2)`` binds ``delta``), for which the
  theorem must hold at every value the hypothesis allows;
* or the theorem has no opaque term at all (an elementary statement, true for every value).

Every free name in a theorem's formulas must also be declared, as a variable or as an object:
no silent constants (a name like ``mean`` inside ``P[...]`` would be a fixed constant of the term,
so the theorem would speak of one random variable named ``mean`` only).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.functions import is_opaque
from checker.library.theorems import Theorem


@dataclass(frozen=True)
class Unbound:
    theorem: str
    name: str
    kind: str  # "variable", "object", "undeclared", "unused"

    def describe(self) -> str:
        if self.kind == "undeclared":
            return (f"{self.theorem}: {self.name!r} is neither a variable nor an object (declare "
                    f"it in `variables` or `objects`)")
        if self.kind == "unused":
            return f"{self.theorem}: {self.name!r} is declared but never used"
        return (f"{self.theorem}: {self.kind} {self.name!r} is unbound: no opaque term of the "
                f"conclusion carries it and no hypothesis ties it to one")


def _names(e: sp.Expr, objects: set[str]) -> set[str]:
    """Free names of ``e``, with the objects it applies as functions (``f`` in ``f[x]``)."""
    out = {s.name for s in e.free_symbols}
    out |= {type(t).__name__ for t in e.atoms(AppliedUndef)
            if is_opaque(t) and type(t).__name__ in objects}
    return out


def _inside_opaque(e: sp.Expr, objects: set[str]) -> set[str]:
    out: set[str] = set()
    for t in e.atoms(AppliedUndef):
        if is_opaque(t):
            out |= _names(t, objects)
    return out


def _has_opaque(e: sp.Expr) -> bool:
    return any(is_opaque(t) for t in e.atoms(AppliedUndef))


def unbound_parameters(thm: Theorem) -> list[Unbound]:
    """The theorem's names that break the binding rule (module docstring), in a fixed order."""
    objects = set(thm.objects)
    declared = [*thm.var_names, *thm.objects]
    conclusion = [e.value for e in thm.conclusion.exprs]
    hypotheses = [(a.value, b.value) for chain in thm.hypotheses for a, _, b in chain.relations()]
    formulas = [*conclusion, *[x for pair in hypotheses for x in pair]]
    used: set[str] = set()
    for e in formulas:
        used |= _names(e, objects)
    out = [Unbound(thm.id, n, "undeclared") for n in sorted(used - set(declared))]
    out += [Unbound(thm.id, n, "unused") for n in declared if n not in used]
    if not any(_has_opaque(e) for e in formulas):
        return out
    bound: set[str] = set()
    for e in conclusion:
        bound |= _inside_opaque(e, objects)
    changed = True
    while changed:
        changed = False
        for a, b in hypotheses:
            names = _names(a, objects) | _names(b, objects)
            if names <= bound:
                continue
            if _has_opaque(a) or _has_opaque(b):
                tie = (_inside_opaque(a, objects) | _inside_opaque(b, objects)) & bound
            else:
                tie = {"one name left"} if len(names - bound) == 1 else set()
            if tie:
                bound |= names
                changed = True
    for n in declared:
        if n in used and n not in bound:
            out.append(Unbound(thm.id, n, "object" if n in objects else "variable"))
    return out
