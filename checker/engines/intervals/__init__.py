"""Rigorous interval branch-and-bound: certify ``f >= 0`` (``> 0``, ``!= 0``) on every box.

Public API: ``prove(ob, budget_s) -> Verdict`` (engine name "intervals").

The claim is written ``f op 0`` (``Relation.difference``) over the box that the variables'
domains and simple hypotheses (``x <= 3``, ``2*x > 1``) give; every variable of the claim
must get finite bounds. Boxes are evaluated with endpoint interval arithmetic built on Arb:
every bound is an exact Arb number rounded outward, so ``x**2`` on [-1, 1] is [0, 1] and a
box end such as 0 stays exactly 0 (Arb's midpoint-radius balls would inflate it, and
``ball**2`` of a ball centred at 0 is NaN). Where the claim is defined only on part of a box,
bounds may be infinite (``log(x)`` on [0, 1] is [-oo, 0]). Where plain evaluation is too
loose, tests from SymPy derivatives certify the box:

* monotone in a variable on the box: only the worst face (an exact point in one dimension)
  needs checking, so touching points such as ``log(1 + x) <= x`` at 0 stay exact;
* the sign test: ``g(a) >= 0, g'(a) >= 0, ..., g^(k)(X) >= 0`` gives ``g >= 0`` on [a, b]
  (mirrored at b), with the conditions at ``x = a`` certified recursively;
* the mean-value form ``f(c) + grad f(X) . (X - c)``.

Derivative tests need the expression and its derivatives defined and finite on the whole
box (checked without clipping square roots), so the mean value theorem applies. Values at
exact points use exact rationals, SymPy's automatic simplification (``exp(-1) - exp(-1)`` is
0) and increasing precision. On each box, f is specialised: ``Abs``, ``Max``, ``Min``,
``floor`` and ``ceiling`` decided on the box are replaced by their branch or value, integer
variables fixed to one value by that value; undecided branches are certified one by one on
the whole box (a point takes one of them). Integer variables are relaxed to reals and split
at integers, down to single values. Boxes left uncertified are split at 0, 1 or -1 when
inside, else at the simplest rational of the middle third; that point is also tried as a
counterexample, reported only as ``verify_counterexample`` returns it. A claim whose
variables occur only through one subexpression (``exp(x + y) >= 1 + x + y``) is also tried
in the substituted variable ``t = x + y`` over an enclosure of its range.

PROVED only when every box is certified (or certainly violates a hypothesis, or has no point
where the claim is defined). ``=`` claims are certified only where f simplifies to 0 (after
specialisation) or at single integer points. Deterministic, whatever the machine's load: the
budget is work (boxes and evaluations counted, ``checker.engines.work``), never time.

Layout: ``arith`` (endpoint interval arithmetic), ``compile`` (expressions to interval
functions), ``forms`` (derivatives and factored forms), ``branch`` (branch and bound),
``substitution`` (proofs in a substituted variable), ``engine`` (the obligation to a search).
"""

from checker.engines.intervals.branch import MAX_BOXES, MAX_EQUALITY_BOXES, MAX_ORDER, MIN_WIDTH
from checker.engines.intervals.engine import ENGINE, prove

__all__ = ["ENGINE", "MAX_BOXES", "MAX_EQUALITY_BOXES", "MAX_ORDER", "MIN_WIDTH", "prove"]
