"""Do premises contradict each other? Proved only by an engine that proves (Z3's unsat, an
interval bound that rules out every box): then ``0 = 1`` follows from them, and so would
anything, so the checker reports the contradiction instead of letting it license steps.

A failure to prove a contradiction says nothing (the verdict is ``unknown``); the checker
relies on it only to *report* contradictions. Soundness does not depend on it: a proof is
``proved`` only after a cross-check at points that satisfy the hypotheses.
"""

from __future__ import annotations

import sympy as sp

from checker.obligations import Obligation, Relation, Status, Verdict

_FALSE = Relation(sp.Integer(0), "=", sp.Integer(1))


def contradiction(ob: Obligation, budget_s: float) -> Verdict:
    """PROVED when the hypotheses and domains of ``ob`` (its claim aside) cannot all hold."""
    if not ob.hypotheses:
        if any(d.is_empty for _, d in ob.domains):
            return Verdict(Status.PROVED, "domains", "a domain is empty")
        return Verdict(Status.UNKNOWN, "contradiction", "no hypotheses")
    false = Obligation(_FALSE, ob.domains, ob.hypotheses)
    from checker.engines import intervals, z3_engine

    reasons = []
    for name, engine, share in (("z3", z3_engine.prove, 0.25), ("intervals", intervals.prove,
                                                                 0.25)):
        try:
            v = engine(false, budget_s * share)
        except Exception as exc:  # an engine's failure only costs the report
            reasons.append(f"{name}: failed ({type(exc).__name__})")
            continue
        if v.status is Status.PROVED:
            return Verdict(Status.PROVED, name, v.reason)
        if v.time_limited:  # the safety cap: machine-dependent, say so first
            return v
        reasons.append(f"{name}: {v.reason or v.status.value}")
    return Verdict(Status.UNKNOWN, "contradiction", "; ".join(reasons))
