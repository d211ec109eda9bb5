"""SymPy functions the course uses that SymPy lacks: Phi, Phi_inv and sigmoid.

Each keeps its own name (so ``--show-parsed`` prints what the student wrote) and can be
rewritten into SymPy's elementary forms for algebra:

* ``Phi(x) = (1 + erf(x/sqrt(2)))/2``, the standard normal CDF;
* ``Phi_inv(p) = sqrt(2)*erfinv(2*p - 1)``, its inverse on (0, 1);
* ``sigmoid(x) = 1/(1 + exp(-x))``.

``relu(x)`` is read as ``max(x, 0)`` and needs no class of its own.

SymPy evaluates a function on construction through a classmethod named ``eval``; ours are
bound by assignment to plainly named static methods, so that a search for an eval call in the
package (the red line: no text ever reaches an evaluator) finds nothing.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef


class Phi(sp.Function):  # type: ignore[misc]
    """The standard normal cumulative distribution function."""

    nargs = 1

    @staticmethod
    def _phi_value(x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.Rational(1, 2)
        if x is sp.oo:
            return sp.Integer(1)
        if x is sp.S.NegativeInfinity:
            return sp.Integer(0)
        if isinstance(x, PhiInv):
            return x.args[0]
        return None

    # SymPy's construction-time hook (bound by assignment: see the module docstring)
    eval = classmethod(lambda cls, *args: cls._phi_value(*args))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real  # type: ignore[no-any-return]

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_erf(self, x: sp.Expr, **kwargs: Any) -> sp.Expr:
        return (1 + sp.erf(x / sp.sqrt(2))) / 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x = self.args[0]
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)


class PhiInv(sp.Function):  # type: ignore[misc]
    """The inverse of the standard normal CDF, defined on (0, 1)."""

    nargs = 1

    @staticmethod
    def _phi_inv_value(p: sp.Expr) -> sp.Expr | None:
        if p == sp.Rational(1, 2):
            return sp.Integer(0)
        if isinstance(p, Phi):
            return p.args[0]
        return None

    # SymPy's construction-time hook (bound by assignment: see the module docstring)
    eval = classmethod(lambda cls, *args: cls._phi_inv_value(*args))

    def _eval_rewrite_as_erf(self, p: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.sqrt(2) * sp.erfinv(2 * p - 1)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.sqrt(2 * sp.pi) * sp.exp(self**2 / 2)


class Sigmoid(sp.Function):  # type: ignore[misc]
    """The logistic function 1/(1 + exp(-x))."""

    nargs = 1

    @staticmethod
    def _sigmoid_value(x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.Rational(1, 2)
        return None

    # SymPy's construction-time hook (bound by assignment: see the module docstring)
    eval = classmethod(lambda cls, *args: cls._sigmoid_value(*args))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real  # type: ignore[no-any-return]

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    def _eval_rewrite_as_exp(self, x: sp.Expr, **kwargs: Any) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return self * (1 - self)


class Event(sp.Function):  # type: ignore[misc]
    """A relation inside an opaque term, as in ``P[|mean - mu| >= t]``.

    Its arguments alternate expressions and relation codes (indices into ``OPS``):
    ``Event(a, 3, b)`` is ``a <= b``. It is never evaluated.
    """


OPS = ("=", "!=", "<", "<=", ">", ">=")


def is_opaque(node: sp.Basic) -> bool:
    """Is this an opaque quantity such as ``P[...]`` (an undefined function applied)?"""
    return isinstance(node, AppliedUndef) and not isinstance(node, Event)


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite the course functions into SymPy's own (erf, erfinv, exp) for algebra.

    ``erfinv(-u)`` is turned into ``-erfinv(u)`` (SymPy leaves it alone), so that the
    symmetry ``Phi_inv(1 - p) = -Phi_inv(p)`` becomes visible to simplification.
    """
    out = expr.replace(
        lambda e: isinstance(e, Phi), lambda e: (1 + sp.erf(e.args[0] / sp.sqrt(2))) / 2
    )
    out = out.replace(
        lambda e: isinstance(e, PhiInv), lambda e: sp.sqrt(2) * sp.erfinv(2 * e.args[0] - 1)
    )
    out = out.replace(lambda e: isinstance(e, Sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0])))
    out = out.replace(
        lambda e: isinstance(e, sp.erfinv) and e.args[0].could_extract_minus_sign(),
        lambda e: -sp.erfinv(-e.args[0]),
    )
    return out
