"""Where an expression is defined (and differentiable), as relations: the rule set the proof
methods (``goals``, ``subproof``) prove as side conditions before they use a value, a
derivative or the mean value theorem on a segment.

``conditions(e)`` lists, innermost first, relations under which ``e`` is defined: a
denominator is not 0, a logarithm's argument is > 0, ``Phi_inv``'s is in (0, 1), a root's base
is >= 0 (``strict``: > 0, where the root is also differentiable), a real power's base is > 0.
An expression outside these rules (an opaque function, ``abs``, ``floor``...) gives None: the
caller then does not use the method.
"""

from __future__ import annotations

import sympy as sp

from checker.functions import Phi, PhiInv, Sigmoid
from checker.obligations import Relation

SMOOTH = (sp.exp, sp.sin, sp.cos, sp.atan, sp.tanh, sp.sinh, sp.cosh, sp.erf, sp.erfc, Phi,
           Sigmoid)


def conditions(e: sp.Expr, strict: bool = False) -> list[Relation] | None:
    """Where ``e`` is defined, innermost first, or None outside these rules.

    ``strict``: where it is also differentiable (for an open set: a root's argument > 0)."""
    out: list[Relation] = []
    if not _collect(e, out, strict):
        return None
    return list(dict.fromkeys(out))


def _collect(e: sp.Basic, out: list[Relation], strict: bool) -> bool:
    zero = sp.Integer(0)
    if e.is_Symbol or e.is_Number or e in (sp.pi, sp.E):
        return True
    if e.is_Add or e.is_Mul:
        return all(_collect(a, out, strict) for a in e.args)
    if e.is_Pow:
        base, ex = e.args
        if not (_collect(base, out, strict) and _collect(ex, out, strict)):
            return False
        if base is sp.E or (base.is_number and base.is_positive):
            return True
        if ex.is_Integer:
            if ex < 0:
                out.append(Relation(base, "!=", zero))
            return True
        if ex.is_Rational and ex > 0 and not strict:
            # x^(1/2) is continuous at 0 but its derivative is not: a method that needs the
            # derivative collects the derivative's own condition (base > 0) as well
            out.append(Relation(base, ">=", zero))
            return True
        out.append(Relation(base, ">", zero))
        return True
    if isinstance(e, sp.log):
        ok = _collect(e.args[0], out, strict)
        out.append(Relation(e.args[0], ">", zero))
        return ok
    if isinstance(e, PhiInv):
        ok = _collect(e.args[0], out, strict)
        out.append(Relation(e.args[0], ">", zero))
        out.append(Relation(e.args[0], "<", sp.Integer(1)))
        return ok
    if isinstance(e, SMOOTH):
        return all(_collect(a, out, strict) for a in e.args)
    return False
