"""Checking engines. Each module exposes ``prove(ob, budget_s) -> Verdict``.

An engine answers PROVED, REFUTED (with a counterexample checked by ``checker.numeric``),
PLAUSIBLE (search only) or UNKNOWN with its reason; it never raises for a claim it cannot
handle. Engines may assume that both sides of the claim (and of each hypothesis) are defined
at the points they consider: definedness conditions are separate obligations, checked and
reported on their own by the portfolio.
"""
