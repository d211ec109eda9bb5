"""Tests for the SymPy engine: identities, sign facts, simple-point refutations, guards."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import sympy_engine
from checker.engines.sympy_engine import prove
from checker.functions import Phi, PhiInv, Sigmoid
from checker.obligations import Domain, Obligation, Relation, Status, sym

x, y, s, mu, p, pA, sigma = (sym(n) for n in ("x", "y", "s", "mu", "p", "pA", "sigma"))
a, b, A, H, m, n, k = (sym(v) for v in ("a", "b", "A", "H", "m", "n", "k"))
delta, eps = sym("delta"), sym("eps")

POS_INT = Domain(F(1), None, integer=True)
UNIT = Domain(F(0), F(1), lo_open=True, hi_open=True)
POSITIVE = Domain(F(0), None, lo_open=True)
NONNEG = Domain(F(0), None)
HOEFFDING = (("H", POS_INT), ("delta", UNIT), ("m", POS_INT))
ZERO = sp.Integer(0)


def ob(
    lhs: sp.Expr,
    op: str,
    rhs: sp.Expr,
    *domains: tuple[str, Domain],
    hyps: tuple[Relation, ...] = (),
) -> Obligation:
    return Obligation(Relation(lhs, op, rhs), tuple(sorted(domains)), tuple(hyps))


def status(o: Obligation, budget_s: float = 2.0) -> Status:
    return prove(o, budget_s).status


def refuted_at(o: Obligation) -> dict[str, F]:
    v = prove(o)
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None
    return dict(v.counterexample.values)


# ------------------------------------------------------------------------------- Hoeffding


def test_hoeffding_sample_size_identity() -> None:
    """2H exp(-2 m eps^2) = delta once eps = sqrt(log(2H/delta)/(2m)) is substituted."""
    e = sp.sqrt(sp.log(2 * H / delta) / (2 * m))
    v = prove(ob(2 * H * sp.exp(-2 * m * e**2), "=", delta, *HOEFFDING))
    assert v.status is Status.PROVED
    assert v.reason.startswith("identity")
    assert v.engine == "sympy"


def test_hoeffding_step() -> None:
    """2H exp(-log(2H/delta)) = 2H (delta/(2H))."""
    lhs = 2 * H * sp.exp(-sp.log(2 * H / delta))
    assert status(ob(lhs, "=", 2 * H * (delta / (2 * H)), *HOEFFDING)) is Status.PROVED


def test_hoeffding_wrong_step_refuted() -> None:
    """A doubled log in the exponent is refuted at H = 1, delta = 1/2, m = 1."""
    lhs = 2 * H * sp.exp(-2 * sp.log(2 * H / delta))
    point = refuted_at(ob(lhs, "=", 2 * H * (delta / (2 * H)), *HOEFFDING))
    assert point == {"H": F(1), "delta": F(1, 2), "m": F(1)}


def test_hoeffding_definition_as_hypothesis() -> None:
    """A hypothesis eps = expr is substituted into the claim."""
    definition = Relation(eps, "=", sp.sqrt(sp.log(2 * H / delta) / (2 * m)))
    o = ob(
        2 * H * sp.exp(-2 * m * eps**2),
        "=",
        delta,
        *HOEFFDING,
        ("eps", POSITIVE),
        hyps=(definition,),
    )
    v = prove(o)
    assert v.status is Status.PROVED
    assert "using hypothesis" in v.reason


# ---------------------------------------------------------------------- course functions


def test_phi_symmetry() -> None:
    """Phi(x) + Phi(-x) = 1."""
    assert status(ob(Phi(x) + Phi(-x), "=", sp.Integer(1))) is Status.PROVED


def test_phi_inv_symmetry() -> None:
    """Phi_inv(1 - p) = -Phi_inv(p) on (0, 1)."""
    assert status(ob(PhiInv(1 - p), "=", -PhiInv(p), ("p", UNIT))) is Status.PROVED


def test_certified_radius() -> None:
    """sigma/2 (Phi_inv(pA) - Phi_inv(1 - pA)) = sigma Phi_inv(pA)."""
    lhs = sigma / 2 * (PhiInv(pA) - PhiInv(1 - pA))
    assert status(ob(lhs, "=", sigma * PhiInv(pA), ("pA", UNIT))) is Status.PROVED


def test_sigmoid_definition() -> None:
    """sigmoid(x) = 1/(1 + exp(-x))."""
    assert status(ob(Sigmoid(x), "=", 1 / (1 + sp.exp(-x)))) is Status.PROVED


def test_tanh_through_sigmoid() -> None:
    """tanh(x) = 2 sigmoid(2x) - 1 (needs the rewrite to exp)."""
    v = prove(ob(sp.tanh(x), "=", 2 * Sigmoid(2 * x) - 1))
    assert v.status is Status.PROVED
    assert "exp" in v.reason


def test_phi_and_sigmoid_signs() -> None:
    """Phi(x) > 0 and 1 - sigmoid(x) > 0."""
    assert status(ob(Phi(x), ">", ZERO)) is Status.PROVED
    assert status(ob(1 - Sigmoid(x), ">", ZERO)) is Status.PROVED


# ------------------------------------------------------------------------------ logarithms


def test_gaussian_kl_rewrite() -> None:
    """mu^2/2 + s^2/2 - 1/2 - log s = mu^2/2 + (s^2 - 1 - log s^2)/2 for s > 0."""
    lhs = mu**2 / 2 + s**2 / 2 - sp.Rational(1, 2) - sp.log(s)
    rhs = mu**2 / 2 + (s**2 - 1 - sp.log(s**2)) / 2
    assert status(ob(lhs, "=", rhs, ("s", POSITIVE))) is Status.PROVED


def test_log_of_product_positive() -> None:
    """log(ab) = log a + log b for a, b > 0."""
    claim = (sp.log(a * b), "=", sp.log(a) + sp.log(b))
    assert status(ob(*claim, ("a", POSITIVE), ("b", POSITIVE))) is Status.PROVED


def test_log_of_product_real_not_proved() -> None:
    """log(ab) = log a + log b is not proved for reals a, b (forced expansion is unsound)."""
    v = prove(ob(sp.log(a * b), "=", sp.log(a) + sp.log(b)))
    assert v.status is Status.UNKNOWN


# ------------------------------------------------------------------------- refutations


def test_square_refuted_at_one() -> None:
    """(x + 1)^2 = x^2 + 1 fails at x = 1."""
    v = prove(ob((x + 1) ** 2, "=", x**2 + 1))
    assert v.status is Status.REFUTED
    assert v.counterexample is not None
    assert dict(v.counterexample.values) == {"x": F(1)}
    assert v.counterexample.lhs == "4"


def test_strictness_refuted_at_boundary() -> None:
    """x^2 > 0 fails at x = 0; x^2 >= x fails at x = 1/2."""
    assert refuted_at(ob(x**2, ">", ZERO)) == {"x": F(0)}
    assert refuted_at(ob(x**2, ">=", x)) == {"x": F(1, 2)}


def test_refutation_respects_domains() -> None:
    """sqrt(x^2) = x: refuted at x = -1 on the reals, proved for x >= 0."""
    assert refuted_at(ob(sp.sqrt(x**2), "=", x)) == {"x": F(-1)}
    assert status(ob(sp.sqrt(x**2), "=", x, ("x", NONNEG))) is Status.PROVED


def test_integer_domain_counterexample() -> None:
    """Counterexamples of an integer variable are integers of its domain."""
    point = refuted_at(ob(sp.Sum(k, (k, 1, n)), "=", n**2, ("n", POS_INT)))
    assert point["n"].denominator == 1 and point["n"] >= 1


# ---------------------------------------------------------------------------- inequalities


def test_am_gm_two_terms() -> None:
    """x^2 + y^2 >= 2xy is proved through the factored form (x - y)^2."""
    v = prove(ob(x**2 + y**2, ">=", 2 * x * y))
    assert v.status is Status.PROVED
    assert "factor" in v.reason


def test_simple_signs() -> None:
    """exp(x) > 0, mu^2/2 + A >= A, x + 1/x >= 2 for x > 0, exp(x) != 0."""
    big = sp.log(A) * sp.exp(x) + sp.sqrt(A)
    assert status(ob(sp.exp(x), ">", ZERO)) is Status.PROVED
    assert status(ob(mu**2 / 2 + big, ">=", big)) is Status.PROVED
    assert status(ob(x + 1 / x, ">=", sp.Integer(2), ("x", POSITIVE))) is Status.PROVED
    assert status(ob(sp.exp(x), "!=", ZERO)) is Status.PROVED


def test_transcendental_inequality_unknown() -> None:
    """exp(x) >= 1 + x is true but beyond SymPy's sign facts: UNKNOWN, never REFUTED."""
    assert status(ob(sp.exp(x), ">=", 1 + x)) is Status.UNKNOWN


def test_hypotheses() -> None:
    """A hypothesis plus a term of known sign proves the claim; a weaker one does not."""
    proved = ob(x + y**2, ">", y, hyps=(Relation(x, ">", y),))
    assert status(proved) is Status.PROVED
    same = ob(sp.sin(x), "<=", x / 2, ("x", POSITIVE), hyps=(Relation(sp.sin(x), "<=", x / 2),))
    assert prove(same).reason == "the claim is a hypothesis"
    weak = ob(x, ">", ZERO, hyps=(Relation(x, ">=", ZERO),))
    assert refuted_at(weak) == {"x": F(0)}


def test_a_sign_false_on_the_domain_is_left_to_the_hypotheses() -> None:
    """n + 1 > 0 fails at n = -10000 (a point of n's domain, where no rewrite can have that
    sign, so none is asked for); with the hypothesis n >= 0 the rest, 1, is positive."""
    v = prove(ob(2 * n + 1, ">", n, hyps=(Relation(n, ">=", ZERO),)))
    assert v.status is Status.PROVED and v.reason == "hypothesis plus a term of known sign"
    assert sympy_engine._fails_at(n + 1, ">", [{"n": F(-10_000)}])
    assert not sympy_engine._fails_at(n**2 + 1, ">", [{"n": F(-10_000)}, {"n": F(0)}])


# ------------------------------------------------------------------------------------ sums


def test_sums() -> None:
    """Small concrete sums are written out; other sums are opaque reals with a known sign."""
    assert status(ob(sp.Sum(k**2, (k, 1, 3)), "=", sp.Integer(14))) is Status.PROVED
    nonneg = ob(sp.Sum(k**2 * x**2, (k, 1, n)), ">=", ZERO, ("n", POS_INT))
    assert status(nonneg) is Status.PROVED
    gauss = ob(sp.Sum(k, (k, 1, n)), "=", n * (n + 1) / 2, ("n", POS_INT))
    assert status(gauss, budget_s=0.5) is Status.UNKNOWN


def test_bound_variable_keeps_no_assumptions() -> None:
    """A free k > 0 does not make the bound k of a sum positive."""
    claim = ob(sp.Sum(k, (k, -n, n)) + k, ">", k, ("k", POSITIVE), ("n", POS_INT))
    assert status(claim) is not Status.PROVED


# ---------------------------------------------------------------------------------- guards


def test_floats_and_huge_numbers_are_left_alone() -> None:
    """Floats and astronomically large powers give UNKNOWN at once."""
    v = prove(ob(sp.Float("0.1") * x, "=", x / 10))
    assert v.status is Status.UNKNOWN and "floating" in v.reason
    huge = sp.Mul(sp.Pow(10, 10**10, evaluate=False), x, evaluate=False)
    v = prove(ob(huge, "=", x))
    assert v.status is Status.UNKNOWN and v.time_s < 1.0


def test_opaque_constant_powers_are_not_evaluated() -> None:
    """2^(2^30) left opaque by the parser, or produced by writing out a sum, is never built."""
    tower = sp.Pow(2, sp.Pow(2, 30, evaluate=False), evaluate=False)
    v = prove(ob(sp.Add(tower, x, evaluate=False), "=", x + 1))
    assert v.status is Status.UNKNOWN and "too large" in v.reason
    v = prove(ob(sp.Sum(2 ** (2**k), (k, 1, 30)), ">=", x))
    assert v.status is Status.UNKNOWN and v.time_s < 1.0


def test_large_expansion_respects_budget() -> None:
    """(x+1)^60 (x-1)^60 = (x^2-1)^60 is not expanded on a small budget."""
    o = ob((x + 1) ** 60 * (x - 1) ** 60, "=", (x**2 - 1) ** 60)
    v = prove(o, budget_s=0.3)
    assert v.status is Status.UNKNOWN
    assert v.time_s < 1.0


def test_zero_budget() -> None:
    """No budget: UNKNOWN with the reason said."""
    v = prove(ob(Phi(x) + Phi(-x), "=", sp.Integer(1)), budget_s=0.0)
    assert v.status is Status.UNKNOWN and "budget" in v.reason


def test_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside SymPy becomes UNKNOWN."""

    def boom(*args: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(sympy_engine, "_prove_zero", boom)
    v = prove(ob(sp.exp(x) * sp.exp(-x), "=", sp.Integer(1)))
    assert v.status is Status.UNKNOWN
    assert "ValueError" in v.reason


def test_deterministic() -> None:
    """The same obligation gives the same verdict and counterexample."""
    o = ob(x**3 + y, ">=", x * y, ("x", Domain(F(-2), F(2))))
    first, second = prove(o), prove(o)
    assert (first.status, first.reason, first.counterexample) == (
        second.status,
        second.reason,
        second.counterexample,
    )
