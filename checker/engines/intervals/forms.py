"""An expression and its partial derivatives, each compiled to interval functions.

``_Forms`` holds f and, on demand, its partial derivatives keyed by the sorted tuple of
variable indices; each ``_Form`` knows whether derivative tests apply (``smooth``) and may
add a factored form as a second, equal enclosure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from checker.engines.intervals.compile import Fn, _compile
from checker.engines.sign import MAX_FACTOR_GENERATORS, generators, low_degree
from checker.functions import Phi, PhiInv, Sigmoid

MAX_DERIVATIVE_OPS = 400
MAX_FACTOR_OPS = 60

_SMOOTH = (
    sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.atan, sp.asin, sp.acos, sp.sinh, sp.cosh,
    sp.tanh, sp.erf, sp.erfc, Phi, PhiInv, Sigmoid,
)  # fmt: skip


def _is_smooth(e: sp.Expr) -> bool:
    """Only functions differentiable inside their domains, so derivative tests apply."""
    for node in sp.preorder_traversal(e):
        if node.is_Symbol or node.is_Add or node.is_Mul or node.is_Pow:
            continue
        if (node.is_Number and node.is_finite) or node in (sp.pi, sp.E):
            continue
        if isinstance(node, _SMOOTH):
            continue
        return False
    return True


def _substitutable(e: sp.Expr) -> bool:
    """Whether SymPy may evaluate ``e`` at a rational point without risk of blow-up."""
    if e.has(sp.factorial, sp.binomial, sp.Sum, sp.gamma):
        return False
    return all(abs(int(p.exp)) <= 200 for p in e.atoms(sp.Pow) if p.exp.is_Integer)


def _factored(e: sp.Expr) -> list[sp.Expr]:
    """``factor(e)`` as another form to evaluate, when small and different (and cheap to
    find: see ``checker.engines.sign.MAX_FACTOR_GENERATORS``)."""
    if not e.free_symbols or sp.count_ops(e) > MAX_FACTOR_OPS or not low_degree(e) \
            or generators(e) > MAX_FACTOR_GENERATORS:
        return []
    try:
        g = sp.factor(e)
    except Exception:  # SymPy's polynomial code raises many kinds on odd inputs
        return []
    return [g] if g != e else []


@dataclass
class _Form:
    """One expression (the claim's f or a derivative) with its compiled forms."""

    expr: sp.Expr
    index: dict[str, int]
    fns: list[Fn]  # the expression itself first, then equal forms (factored), made on demand
    deps: frozenset[int]
    smooth: bool
    substitutable: bool
    exponents: list[Fn]  # symbolic exponents: SymPy evaluates number**number eagerly
    exponent_exprs: list[sp.Expr]  # the same exponents, as expressions
    nodes: int = 0  # the expression's size (tree nodes): what a derivative or factoring costs
    complete: bool = False

    def count(self) -> int:
        """How many forms there are (factoring the expression the first time)."""
        if not self.complete:
            self.complete = True
            self.fns += [_compile(g, self.index) for g in _factored(self.expr)]
        return len(self.fns)


class _Forms:
    """f and its partial derivatives, keyed by the sorted tuple of variable indices."""

    def __init__(self, f: sp.Expr, syms: Sequence[sp.Symbol]) -> None:
        self.syms = list(syms)
        self.index = {s.name: i for i, s in enumerate(self.syms)}
        self.cache: dict[tuple[int, ...], _Form | None] = {(): self._make(f)}

    def _make(self, e: sp.Expr) -> _Form:
        exponents = [p.exp for p in e.atoms(sp.Pow) if p.exp.free_symbols and not p.exp.is_Integer]
        return _Form(
            expr=e,
            index=self.index,
            fns=[_compile(e, self.index)],
            deps=frozenset(self.index[s.name] for s in e.free_symbols if s.name in self.index),
            smooth=_is_smooth(e),
            substitutable=_substitutable(e),
            exponents=[_compile(p, self.index) for p in exponents],
            exponent_exprs=exponents,
            nodes=sum(1 for _ in sp.preorder_traversal(e)),
        )

    def get(self, key: tuple[int, ...]) -> _Form | None:
        if key in self.cache:
            return self.cache[key]
        parent = self.get(key[:-1])
        form = None
        if parent is not None and parent.smooth:
            i = key[-1]
            d = sp.diff(parent.expr, self.syms[i]) if i in parent.deps else sp.Integer(0)
            if sp.count_ops(d) <= MAX_DERIVATIVE_OPS:
                form = self._make(d)
        self.cache[key] = form
        return form


def _with(key: tuple[int, ...], i: int, times: int = 1) -> tuple[int, ...]:
    return tuple(sorted(key + (i,) * times))
