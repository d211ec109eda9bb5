"""Comparing logarithms: ``L <= R`` with L, R > 0 holds exactly when ``log(L) <= log(R)``.

For an inequality whose sides carry powers with variable exponents or ``exp`` (``(1 +
x/n)^n <= exp(x)``, ``(1 - 1/n)^n <= exp(-1)``), the logs are often what a solver handles:
``n*log(1 + x/n) <= x``. The method proves ``L > 0`` and ``R > 0``, proves each factor of the
sides and of the powers' bases positive, expands the logs of these positive factors (as
``logrules`` does: with fresh positive symbols, never ``force=True``) and asks the portfolio
for the inequality between the logs. Since log is strictly increasing on the positive reals,
the logs' inequality is equivalent to the claim at every point where both sides are positive,
which is every point of the obligation.
"""

from __future__ import annotations

import sympy as sp

from checker.engines import subproof
from checker.obligations import Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "logtransform"
MAX_FACTORS = 6
MAX_OPS = 120


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove an inequality between positive sides by comparing their logs."""
    claim = ob.claim
    if not subproof.available() or claim.op in ("=", "!="):
        return subproof.not_applicable(ENGINE)
    if not (_exponential(claim.lhs) or _exponential(claim.rhs)):
        return subproof.not_applicable(ENGINE)
    if not (_opens(claim.lhs) or _opens(claim.rhs)):
        # log(L) <= log(R) with neither log opening into simpler terms is the claim itself
        # composed with log: nothing for the sub-proof to gain, and the calculus methods
        # (derivative signs, inverse functions) see the claim as it is
        return subproof.not_applicable(ENGINE)
    if sp.count_ops(claim.lhs) + sp.count_ops(claim.rhs) > MAX_OPS:
        return subproof.not_applicable(ENGINE)
    # the factors whose logs expand: powers and exp are opened through their bases
    factors = list(dict.fromkeys(
        f for side in (claim.lhs, claim.rhs) for f in _factors(side) if not f.is_number))
    if len(factors) > MAX_FACTORS:
        return subproof.not_applicable(ENGINE)
    if any(s.is_number and not s.is_positive for s in (claim.lhs, claim.rhs)):
        return subproof.not_applicable(ENGINE)
    fresh: dict[sp.Basic, sp.Basic] = {}
    share = 0.3 * budget_s / max(1, len(factors))
    for i, f in enumerate(factors):
        if subproof.proved(Obligation(Relation(f, ">", sp.Integer(0)), ob.domains,
                                      ob.hypotheses), share):
            fresh[f] = sp.Dummy(f"pos{i}", positive=True)
    # both sides positive: from their shape (a power of a positive base, exp, ...), else
    # proved as sub-obligations
    unsure = [Obligation(Relation(s, ">", sp.Integer(0)), ob.domains, ob.hypotheses)
              for s in (claim.lhs, claim.rhs) if not subproof.positive(s, set(fresh))]
    failed = subproof.prove_all(unsure, 0.2 * budget_s)
    if failed is not None:
        return Verdict(Status.UNKNOWN, ENGINE, f"{failed.claim} was not shown")
    back = {v: k for k, v in fresh.items()}
    logs = [sp.expand_log(sp.log(s.xreplace(fresh))).xreplace(back)
            for s in (claim.lhs, claim.rhs)]
    if any(g.has(sp.Dummy) for g in logs):
        return Verdict(Status.UNKNOWN, ENGINE, "the logs could not be expanded")
    log_claim = Relation(logs[0], claim.op, logs[1])
    if subproof.prove(Obligation(log_claim, ob.domains, ob.hypotheses),
                      0.5 * budget_s).status is not Status.PROVED:
        return Verdict(Status.UNKNOWN, ENGINE, f"taking logs: {log_claim} was not proved")
    return Verdict(Status.PROVED, ENGINE,
                   f"both sides are positive, and their logs compare the same way: proved "
                   f"{show(logs[0])} {claim.op} {show(logs[1])}")


def _exponential(e: sp.Expr) -> bool:
    return e.has(sp.exp) or any(not p.exp.is_number for p in e.atoms(sp.Pow))


def _opens(e: sp.Expr) -> bool:
    """Whether the log of this side expands: a product, a power or exp (not a sum, a
    number or another function)."""
    return bool(e.is_Mul or e.is_Pow or isinstance(e, sp.exp))


def _factors(e: sp.Expr) -> list[sp.Expr]:
    """The side's factors, a power standing for its base (kept whole: ``((n + 1)/n)^n`` has
    the log ``n*log((n + 1)/n)``, one log that a solver bounds at once)."""
    out: list[sp.Expr] = []
    for f in sp.Mul.make_args(e):
        if f.is_Pow and not f.exp.is_Integer:
            out.append(f.base)
        elif not isinstance(f, sp.exp):
            out.append(f)
    return out
