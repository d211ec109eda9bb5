"""Tests for the Z3 engine (checker/engines/z3_engine.py)."""

from __future__ import annotations

import threading
from fractions import Fraction as F

import sympy as sp

from checker.engines.z3_engine import prove
from checker.functions import Phi, PhiInv, Sigmoid
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym
from checker.timelimit import HardLimit

x, y, a, b, c, s, n = (sym(t) for t in ("x", "y", "a", "b", "c", "s", "n"))
ONE, TWO, THREE = sp.Integer(1), sp.Integer(2), sp.Integer(3)
NONNEG = Domain(F(0))
POSITIVE = Domain(F(0), lo_open=True)
INTEGER = Domain(integer=True)


def ob(
    lhs: sp.Expr, op: str, rhs: sp.Expr, *doms: tuple[str, Domain], hyps: tuple[Relation, ...] = ()
) -> Obligation:
    """An obligation with domains sorted by name."""
    return Obligation(Relation(lhs, op, rhs), domains=tuple(sorted(doms)), hypotheses=hyps)


def values(v: Verdict) -> dict[str, F]:
    """The counterexample of a REFUTED verdict as a dict."""
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None
    return dict(v.counterexample.values)


# ----------------------------------------------------------------------------- polynomial


def test_two_squares_proved() -> None:
    """x^2 + y^2 >= 2xy over the reals is proved."""
    v = prove(ob(x**2 + y**2, ">=", 2 * x * y))
    assert v.status is Status.PROVED and v.engine == "z3"


def test_x_plus_reciprocal_proved_for_positive_x() -> None:
    """x + 1/x >= 2 for x > 0 (division through an auxiliary variable) is proved."""
    assert prove(ob(x + 1 / x, ">=", TWO, ("x", POSITIVE))).status is Status.PROVED


def test_x_plus_reciprocal_refuted_at_simple_negative_x() -> None:
    """Without x > 0, x + 1/x >= 2 is refuted at a small negative integer."""
    pt = values(prove(ob(x + 1 / x, ">=", TWO)))
    assert pt["x"] < 0 and pt["x"].denominator == 1 and abs(pt["x"]) <= 3


def test_square_at_least_x_refuted_at_one_half() -> None:
    """x^2 >= x is refuted at x = 1/2."""
    assert values(prove(ob(x**2, ">=", x))) == {"x": F(1, 2)}


def test_am_gm_three_proved() -> None:
    """a^3 + b^3 + c^3 >= 3abc for a, b, c >= 0 is proved."""
    claim = ob(a**3 + b**3 + c**3, ">=", 3 * a * b * c, ("a", NONNEG), ("b", NONNEG), ("c", NONNEG))
    assert prove(claim).status is Status.PROVED


def test_sqrt_am_gm_proved() -> None:
    """sqrt(xy) <= (x + y)/2 for x, y >= 0 (sqrt through an auxiliary root) is proved."""
    claim = ob(sp.sqrt(x * y), "<=", (x + y) / 2, ("x", NONNEG), ("y", NONNEG))
    assert prove(claim).status is Status.PROVED


def test_reversed_sqrt_am_gm_refuted() -> None:
    """sqrt(xy) >= (x + y)/2 is refuted at a point with rational values."""
    claim = ob(sp.sqrt(x * y), ">=", (x + y) / 2, ("x", NONNEG), ("y", NONNEG))
    pt = values(prove(claim))
    assert pt["x"] != pt["y"]


def test_constant_claims() -> None:
    """Claims without variables: 3/7 < 1/2 is proved, 3/7 > 1/2 refuted."""
    assert prove(ob(sp.Rational(3, 7), "<", sp.Rational(1, 2))).status is Status.PROVED
    assert values(prove(ob(sp.Rational(3, 7), ">", sp.Rational(1, 2)))) == {}


def test_strict_claim_refuted_by_equality() -> None:
    """x^2 + 1 > 2x fails only at x = 1, and that point is found."""
    assert values(prove(ob(x**2 + 1, ">", 2 * x))) == {"x": F(1)}


def test_hypothesis_used() -> None:
    """x*y >= 1 follows from x >= 1, y >= 1 given as hypotheses."""
    hyps = (Relation(x, ">=", ONE), Relation(y, ">=", ONE))
    assert prove(ob(x * y, ">=", ONE, hyps=hyps)).status is Status.PROVED


# -------------------------------------------------------------------------------- integers


def test_integer_square_at_least_n_proved() -> None:
    """n^2 >= n for integer n is proved (false for reals)."""
    assert prove(ob(n**2, ">=", n, ("n", INTEGER))).status is Status.PROVED
    assert prove(ob(n**2, ">=", n)).status is Status.REFUTED


def test_integer_claim_refuted_at_small_n() -> None:
    """2n >= n + 3 for integer n >= 1 is refuted at n = 1 or 2."""
    pt = values(prove(ob(2 * n, ">=", n + 3, ("n", Domain(F(1), integer=True)))))
    assert pt["n"] in (1, 2)


def test_floor_bounds_proved() -> None:
    """floor(x) <= x < floor(x) + 1 is known to the engine."""
    assert prove(ob(sp.floor(x), "<=", x)).status is Status.PROVED
    assert prove(ob(x, "<", sp.floor(x) + 1)).status is Status.PROVED


# --------------------------------------------------------------------------- abstractions


def test_log_shared_between_claim_and_hypothesis() -> None:
    """(s^2 - 1 - log(s^2))/2 >= 0 follows from log(s^2) <= s^2 - 1: one variable for log(s^2)."""
    hyp = Relation(sp.log(s**2), "<=", s**2 - 1)
    claim = ob((s**2 - 1 - sp.log(s**2)) / 2, ">=", sp.Integer(0), ("s", POSITIVE), hyps=(hyp,))
    v = prove(claim)
    assert v.status is Status.PROVED
    assert any("log(s**2)" in note for note in v.notes)


def test_exp_tangent_line_fact() -> None:
    """exp(x) >= 1 + x is proved from the tangent-line fact attached to exp."""
    assert prove(ob(sp.exp(x), ">=", 1 + x)).status is Status.PROVED


def test_false_exp_claim_refuted_on_original() -> None:
    """exp(x) >= 1 + 2x is refuted at a point checked on the real exp."""
    pt = values(prove(ob(sp.exp(x), ">=", 1 + 2 * x)))
    assert 0 < pt["x"] < F(5, 4)


def test_unconfirmed_abstract_model_is_unknown() -> None:
    """exp(x) >= 1 + x + x^2/2 (x >= 0) is true but beyond the abstraction: UNKNOWN."""
    v = prove(ob(sp.exp(x), ">=", 1 + x + x**2 / 2, ("x", NONNEG)))
    assert v.status is Status.UNKNOWN and "could not be confirmed" in v.reason


def test_bounded_functions_and_monotonicity() -> None:
    """Phi and sigmoid lie in (0, 1); exp is monotone: facts the engine attaches."""
    assert prove(ob(Phi(x) + Sigmoid(y), "<", TWO)).status is Status.PROVED
    hyp = (Relation(x, "<=", y),)
    assert prove(ob(sp.exp(x), "<=", sp.exp(y), hyps=hyp)).status is Status.PROVED


def test_abs_max_and_constants() -> None:
    """|x + y| <= |x| + |y|, max(x, 0) - max(-x, 0) = x and pi > 3 are proved."""
    assert prove(ob(sp.Abs(x + y), "<=", sp.Abs(x) + sp.Abs(y))).status is Status.PROVED
    assert prove(ob(sp.Max(x, 0) - sp.Max(-x, 0), "=", x)).status is Status.PROVED
    assert prove(ob(sp.pi, ">", THREE)).status is Status.PROVED


def test_abstraction_never_proves_false_claims() -> None:
    """False claims over abstracted terms are refuted or UNKNOWN, never PROVED."""
    false_claims = [
        ob(sp.exp(x), ">=", 1 + x + x**2),
        ob(sp.log(x), "<=", x - 2, ("x", POSITIVE)),
        ob(sp.tanh(x), "<=", x / 2, ("x", NONNEG)),
        ob(2**n, ">=", n**3, ("n", Domain(F(1), integer=True))),
        ob(sp.sqrt(2), "<", sp.Rational(7, 5)),
    ]
    for claim in false_claims:
        assert prove(claim, 1.0).status is not Status.PROVED, claim


# ------------------------------------------------------------------------ limits and errors


def test_hard_integer_claim_unknown_within_budget() -> None:
    """a^3 + b^3 != c^3 over positive integers is out of reach: UNKNOWN when Z3's resource
    limit (work, not time) is spent, the same answer on any machine."""
    pos = Domain(F(1), integer=True)
    claim = ob(a**3 + b**3, "!=", c**3, ("a", pos), ("b", pos), ("c", pos))
    with HardLimit(30):  # a hang guard on CPU time; the work is what is bounded
        v = prove(claim, 0.5)
    assert v.status is Status.UNKNOWN and "work budget" in v.reason
    assert not v.time_limited
    assert prove(claim, 0.5).reason == v.reason


def test_untranslatable_claim_unknown() -> None:
    """A claim with infinity is answered UNKNOWN with a reason, not an exception."""
    v = prove(ob(x, "<", sp.oo))
    assert v.status is Status.UNKNOWN and "translate" in v.reason


def test_zero_budget_unknown() -> None:
    """With no time left the engine answers UNKNOWN at once."""
    assert prove(ob(x**2, ">=", sp.Integer(0)), 0.0).status is Status.UNKNOWN


def test_deterministic_counterexample() -> None:
    """The same obligation gives the same verdict and counterexample twice."""
    claim = ob(x**3 - 2 * x, ">", y, ("y", Domain(F(-1), F(1))))
    first, second = prove(claim), prove(claim)
    assert first.status is second.status is Status.REFUTED
    assert first.counterexample == second.counterexample


def test_parallel_threads() -> None:
    """Calls from several threads at once (one Z3 context each) all succeed."""
    results: list[Status] = []

    def work() -> None:
        for _ in range(5):
            results.append(prove(ob(x**2 + y**2, ">=", 2 * x * y)).status)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [Status.PROVED] * 20


# ------------------------------------------------------ definedness is never asserted as a fact

UNIT = Domain(F(0), F(1))
UNDEFINED = {  # built unevaluated, as the reader keeps them: each is defined nowhere
    "Phi_inv(2)": PhiInv(2),
    "1/0": sp.Pow(0, -1, evaluate=False),
    "log(-1)": sp.log(-1, evaluate=False),
    "sqrt(-1)": sp.Pow(-1, sp.Rational(1, 2), evaluate=False),
    "asin(2)": sp.asin(2, evaluate=False),
}


def test_undefined_term_in_claim_never_proved() -> None:
    """``0 < 2 < 1`` (and the like) used to be asserted, making every such claim unsat."""
    for name, bad in UNDEFINED.items():
        for claim in (ob(bad, ">", x, ("x", UNIT)), ob(bad, "<", x, ("x", UNIT)),
                      ob(x + bad, "=", x + 1 + bad, ("x", UNIT))):
            assert prove(claim).status is not Status.PROVED, name


def test_undefined_term_in_hypothesis_never_proves_a_false_claim() -> None:
    """``have h: x = x + 1 by exp_pos(x = Phi_inv(2))``: the cited conclusion
    ``exp(Phi_inv(2)) > 0`` must not make ``x = x + 1`` provable."""
    for name, bad in UNDEFINED.items():
        # unevaluated: SymPy itself rewrites exp(log(-1)) to -1, sqrt(-1)^2 to -1
        for hyp in (Relation(sp.exp(bad, evaluate=False) + x, ">", x),
                    Relation(bad + x, ">=", x)):
            v = prove(ob(x, "=", x + 1, ("x", UNIT), hyps=(hyp,)))
            assert v.status is not Status.PROVED, name
        v = prove(ob(x, ">=", sp.Integer(5), ("x", UNIT), hyps=(Relation(bad, ">=", x),)))
        assert v.status is not Status.PROVED, name


def test_definedness_conditional_facts_still_prove() -> None:
    """Facts still apply where the argument is in the domain: log(x) <= x - 1 for x > 0,
    Phi_inv(p) > 0 for p in (1/2, 1), 1/x > 0 for x > 0, sqrt(x) <= (x + 1)/2 for x >= 0."""
    half_to_one = Domain(F(1, 2), F(1), lo_open=True, hi_open=True)
    assert prove(ob(sp.log(x), "<=", x - 1, ("x", POSITIVE))).status is Status.PROVED
    assert prove(ob(PhiInv(x), ">", sp.Integer(0), ("x", half_to_one))).status is Status.PROVED
    assert prove(ob(1 / x, ">", sp.Integer(0), ("x", POSITIVE))).status is Status.PROVED
    assert prove(ob(sp.sqrt(x), "<=", (x + 1) / 2, ("x", NONNEG))).status is Status.PROVED


def test_counterexample_found_where_everything_is_defined() -> None:
    """Z3 may first pick x = 0 for x + 1/x >= 2 (1/0 unconstrained now); the engine then asks
    for a model where every term is defined, and refutes at a negative x."""
    pt = values(prove(ob(x + 1 / x, ">=", TWO)))
    assert pt["x"] < 0


def test_hypothesis_definedness_used_only_when_it_can_hold() -> None:
    """``t >= L*R^2/eps`` holds only where eps != 0, so with eps >= 0 it gives L*R^2/t <= eps;
    the same use of a contradictory requirement (Phi_inv(2)) proves nothing."""
    L, R, t, eps = (sym(name) for name in ("L", "R", "t", "eps"))
    doms = (("R", POSITIVE), ("t", Domain(F(1), integer=True)))
    hyps = (Relation(t, ">=", L * R**2 / eps), Relation(eps, ">=", sp.Integer(0)))
    v = prove(ob(L * R**2 / t, "<=", eps, *doms, hyps=hyps))
    assert v.status is Status.PROVED and "where the hypotheses are defined" in v.reason
    bad = (Relation(t, ">=", PhiInv(2) * eps), Relation(eps, ">=", sp.Integer(0)))
    assert prove(ob(t, "<=", sp.Integer(0), *doms, hyps=bad)).status is not Status.PROVED
