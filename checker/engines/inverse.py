"""Apply a strictly increasing function's inverse to both sides of a claim.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "inverse"), and ``attempt`` for
the recursion of ``checker.engines.goals``.

The claim ``f >= 0`` (or ``> 0``) is a sum; one of its terms is ``c*F(A)`` with c a nonzero
number and F strictly increasing with a known inverse G on its range (a, b):

=========  ===========  ==============
F          G            range
=========  ===========  ==============
log        exp          all reals
exp        log          (0, +inf)
sqrt       v^2          [0, +inf)
Phi        Phi_inv      (0, 1)
Phi_inv    Phi          all reals
sigmoid    log(v/(1-v)) (0, 1)
atan       tan          (-pi/2, pi/2)
=========  ===========  ==============

With v = -(the other terms)/c the claim is ``F(A) >= v`` (c > 0) or ``F(A) <= v`` (c < 0).
Where v is inside F's range this is ``A >= G(v)`` (``<=``); where v is beyond the range
the claim holds at once on one side and is false on the other, so the method proves: the
new claim with "v inside the range" as hypotheses, and, for the side where the claim would
fail, that v never gets there (``F(A) <= v`` with F > a needs v > a). Both sub-goals are
decided by ``goals.Prover``. Strictness is kept (F is strictly increasing).

Examples: ``log(exp(a) + exp(b)) >= (a + b)/2 + log(2)`` becomes
``exp(a) + exp(b) >= 2*exp(a/2 + b/2)``; ``Phi(Phi_inv(a)) <= Phi(t)`` (read as
``a <= Phi(t)``) becomes ``Phi_inv(a) <= t``, which a hypothesis may state. What it cannot
do: a function applied to a product with a variable coefficient (``x*log(x)``), or a
non-monotone function (sin, cos).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from checker.engines import goals
from checker.functions import Phi, PhiInv, Sigmoid
from checker.obligations import Obligation, Relation, Status, Verdict

ENGINE = "inverse"
MAX_CANDIDATES = 4

Range = tuple[sp.Expr | None, sp.Expr | None]


def _inverse(term: sp.Expr) -> tuple[sp.Expr, Callable[[sp.Expr], sp.Expr], Range, str] | None:
    """(A, G, range, name of F) when ``term`` is F(A) for an F of the table."""
    zero, one = sp.Integer(0), sp.Integer(1)
    if isinstance(term, sp.log):
        return term.args[0], sp.exp, (None, None), "exp"
    if isinstance(term, sp.exp):
        return term.args[0], sp.log, (zero, None), "log"
    if term.is_Pow and term.base is sp.E:
        return term.exp, sp.log, (zero, None), "log"
    if term.is_Pow and term.exp == sp.Rational(1, 2):
        return term.base, lambda v: v**2, (zero, None), "the square"
    if isinstance(term, Phi):
        return term.args[0], PhiInv, (zero, one), "Phi_inv"
    if isinstance(term, PhiInv):
        return term.args[0], Phi, (None, None), "Phi"
    if isinstance(term, Sigmoid):
        return term.args[0], lambda v: sp.log(v / (1 - v)), (zero, one), "logit"
    if isinstance(term, sp.atan):
        return term.args[0], sp.tan, (-sp.pi / 2, sp.pi / 2), "tan"
    return None


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """PROVED when the claim with an inverse applied to both sides is proved."""
    f, op = ob.claim.difference()
    if op not in (">=", ">") or not _candidates(f):
        return Verdict(Status.UNKNOWN, ENGINE, "")
    return goals.run(ob, budget_s, ENGINE, attempt)


def _candidates(f: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]]:
    out: list[tuple[sp.Expr, sp.Expr]] = []
    for t in sp.Add.make_args(f):
        c, core = t.as_coeff_Mul()
        if c != 0 and _inverse(core) is not None and core.free_symbols:
            out.append((sp.Rational(c) if c.is_Rational else c, core))
    return out[:MAX_CANDIDATES]


def attempt(ob: Obligation, prover: goals.Prover, depth: int) -> str | None:
    f, op = ob.claim.difference()
    if op not in (">=", ">") or prover.made_by.get(ob.key()) == ENGINE:
        return None  # never undo its own step
    for c, core in _candidates(f):
        if not c.is_Rational:
            continue
        found = _inverse(core)
        if found is None:
            continue
        a_expr, g, (lo, hi), g_name = found
        rest = f - c * core
        v = -rest / c
        strict = op == ">"
        increasing = c > 0  # F(A) >= v, else F(A) <= v
        reason = _transformed(ob, prover, depth, a_expr, g, lo, hi, v, strict, increasing,
                              core)
        if reason is not None:
            return f"applied {g_name} to both sides ({reason})"
    return None


def _transformed(ob: Obligation, prover: goals.Prover, depth: int, a_expr: sp.Expr,
                 g: Callable[[sp.Expr], sp.Expr], lo: sp.Expr | None, hi: sp.Expr | None,
                 v: sp.Expr, strict: bool, increasing: bool, core: sp.Expr) -> str | None:
    sqrt = core.is_Pow and core.exp == sp.Rational(1, 2)
    hyps: list[Relation] = []
    needs: list[Relation] = []
    if increasing:  # F(A) >= v: automatic below the range, impossible above it
        if lo is not None:
            # sqrt(A) > v at v = 0 needs A > 0 = v^2: keep that point in the new claim
            hyps.append(Relation(v, ">=" if (sqrt and strict) else ">", lo))
        if hi is not None:
            needs.append(Relation(v, "<", hi))
    else:  # F(A) <= v: automatic above the range, impossible below it
        if hi is not None:
            hyps.append(Relation(v, "<", hi))
        if lo is not None:
            needs.append(Relation(v, ">" if (strict or not sqrt) else ">=", lo))
    for need in needs:
        if prover.prove(goals.with_claim(ob, need), depth + 1) is None:
            return None
    op = (">" if strict else ">=") if increasing else ("<" if strict else "<=")
    claim = Relation(a_expr, op, g(v))
    sub = goals.with_claim(ob, claim, (*hyps, *needs))
    prover.made_by.setdefault(sub.key(), ENGINE)
    reason = prover.prove(sub, depth + 1)
    if reason is None:
        return None
    return f"{claim}: {reason}"

