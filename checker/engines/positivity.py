"""Signs from the shape of an expression: ``(1 - x)^t > 0`` given ``x < 1``.

A claim ``e > 0`` (also ``e >= 0``, ``e != 0``, and the same with the sides swapped) holds when
e is built from positive pieces by rules that keep positivity: ``exp``, ``Phi``, ``sigmoid``
and factorials are positive; a power of a positive base is positive (any real exponent); a
product, a quotient and a sum of positives are positive. The pieces the rules cannot open (a
variable, a sum with a negative term such as ``1 - x``) are sub-obligations ``piece > 0``
decided by the portfolio under the obligation's domains and hypotheses. Definedness
conditions of logs and powers (``log((1 - x)^t)`` needs ``(1 - x)^t > 0``) are this shape.
"""

from __future__ import annotations

import sympy as sp

from checker.engines import subproof
from checker.functions import Phi, Sigmoid
from checker.obligations import Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "positivity"
MAX_PIECES = 6


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove ``e > 0`` (or >= 0, != 0) from positive pieces."""
    claim = ob.claim
    if claim.lhs == 0 and claim.op in ("<", "<=", "!="):
        claim = claim.flipped()
    if not subproof.available() or claim.rhs != 0 or claim.op not in (">", ">=", "!="):
        return subproof.not_applicable(ENGINE)
    pieces: list[sp.Expr] = []
    if not _pieces(claim.lhs, pieces) or not pieces or len(pieces) > MAX_PIECES:
        return subproof.not_applicable(ENGINE)
    if pieces == [claim.lhs]:  # nothing to open: the claim itself
        return subproof.not_applicable(ENGINE)
    obs = [Obligation(Relation(p, ">", sp.Integer(0)), ob.domains, ob.hypotheses)
           for p in dict.fromkeys(pieces)]
    failed = subproof.prove_all(obs, budget_s)
    shown = ", ".join(f"{show(o.claim.lhs)} > 0" for o in obs)
    if failed is not None:
        return Verdict(Status.UNKNOWN, ENGINE, f"{failed.claim} was not shown")
    return Verdict(Status.PROVED, ENGINE,
                   f"positive by its shape (powers, products, sums and exp of positives), "
                   f"with {shown} proved from the hypotheses")


def _pieces(e: sp.Expr, out: list[sp.Expr]) -> bool:
    """Collect the pieces whose positivity makes e positive; False when a rule does not fit
    (a negative number, an odd function of an unknown sign)."""
    if e.is_number:
        return bool(e.is_positive)
    if isinstance(e, (sp.exp, Phi, Sigmoid, sp.factorial)):
        return True
    if e.is_Pow:
        return _pieces(e.base, out)
    if e.is_Mul:
        return all(_pieces(a, out) for a in e.args)
    if e.is_Add:
        mark = len(out)
        if all(_pieces(a, out) for a in e.args):
            return True
        del out[mark:]
    out.append(e)
    return True
