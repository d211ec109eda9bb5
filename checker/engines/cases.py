"""Sound case splits on ``max``, ``min`` and absolute values.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "cases"), and ``attempt`` for the
recursion of ``checker.engines.goals``.

A kink ``|u|``, ``max(a, b, ...)`` or ``min(a, b, ...)`` whose arguments have no kink of their
own is split into its branches: ``|u|`` is ``u`` where ``u >= 0`` and ``-u`` where
``u <= 0``; ``max(a_1, ..., a_k)`` is ``a_i`` where ``a_i >= a_j`` for every j (``min`` with
``<=``). Every point satisfies one branch's conditions, and there the kink equals that
branch, so the claim holds if it holds in every branch: each branch is a sub-goal (the
conditions added as hypotheses, the kink replaced in the claim and the hypotheses), decided
by the other methods (``goals.Prover``); further kinks are split the same way, at most
``MAX_SPLITS`` in all. Example: ``log(1 + exp(z)) >= max(0, z)`` is ``log(1 + exp(z)) >= 0``
where ``0 >= z`` and ``log(1 + exp(z)) >= z`` where ``z >= 0``, each proved by applying
``exp`` to both sides (``checker.engines.inverse``).
"""

from __future__ import annotations

import sympy as sp

from checker.engines import goals
from checker.obligations import Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "cases"
MAX_SPLITS = 4
MAX_ARGS = 3
_KINKS = (sp.Abs, sp.Max, sp.Min)


def prove(ob: Obligation, budget_s: float = 2.0) -> Verdict:
    """PROVED when every branch of the claim's max, min and absolute values is proved."""
    goals.begin(ob, budget_s)  # the first calculus engine: see goals.begin
    if not _kink(ob):
        return Verdict(Status.UNKNOWN, ENGINE, "")
    return goals.run(ob, budget_s, ENGINE, attempt)


def _kink(ob: Obligation) -> sp.Expr | None:
    """The first kink (in a fixed order) whose arguments have none."""
    exprs = [ob.claim.lhs, ob.claim.rhs] + [s for h in ob.hypotheses for s in (h.lhs, h.rhs)]
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, _KINKS) and not any(a.has(*_KINKS) for a in node.args):
                return node
    return None


def branches(kink: sp.Expr) -> list[tuple[sp.Expr, tuple[Relation, ...]]] | None:
    """(value, conditions) for each branch of the kink."""
    zero = sp.Integer(0)
    if isinstance(kink, sp.Abs):
        u = kink.args[0]
        return [(u, (Relation(u, ">=", zero),)), (-u, (Relation(u, "<=", zero),))]
    args = list(kink.args)
    if len(args) > MAX_ARGS:
        return None
    op = ">=" if isinstance(kink, sp.Max) else "<="
    return [(a, tuple(Relation(a, op, b) for j, b in enumerate(args) if j != i))
            for i, a in enumerate(args)]


def attempt(ob: Obligation, prover: goals.Prover, depth: int) -> str | None:
    kink = _kink(ob)
    if kink is None:
        return None
    return _split(ob, prover, depth, MAX_SPLITS)


def _split(ob: Obligation, prover: goals.Prover, depth: int, left: int) -> str | None:
    kink = _kink(ob)
    if kink is None:
        return prover.prove(ob, depth + 1)
    if left <= 0:
        return None
    parts = branches(kink)
    if parts is None:
        return None
    shown: list[str] = []
    for value, conds in parts:
        mapping = {kink: value}
        claim = Relation(ob.claim.lhs.xreplace(mapping), ob.claim.op,
                         ob.claim.rhs.xreplace(mapping))
        hyps = tuple(Relation(h.lhs.xreplace(mapping), h.op, h.rhs.xreplace(mapping))
                     for h in ob.hypotheses)
        sub = goals.with_claim(Obligation(claim, ob.domains, hyps), claim, conds)
        reason = _split(sub, prover, depth, left - 1)
        if reason is None:
            return None
        where = " and ".join(str(c) for c in conds)
        shown.append(f"where {where}: {reason}")
    return f"case split on {show(kink)} ({'; '.join(shown)})"
