"""Bound variables: the summation variable of ``sum(k, a, b, ...)`` is not the variable ``k``.

Each case once went wrong: a condition under a sum leaked onto the free variable of the same
name, a ``let`` substituted into a sum's own variable (a crash), nested sums (which SymPy
merges into one ``Sum`` with several limits) were evaluated over their first limit only, a
trailing kind in ``given d <= m integer`` went to the wrong name, and a counterexample could sit
where a power with a variable exponent is undefined. Checked through the user-facing API.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import Status, check_claim, check_text
from checker.binders import canonical_bound, rename_apart, substitute
from checker.cli import run
from checker.numeric import ball, to_arb, verify_counterexample
from checker.obligations import Domain, Obligation, Relation, sym

K, J, X, Y, N = (sym(n) for n in ("k", "j", "x", "y", "n"))


def verdicts(text: str) -> dict[int, Status]:
    """The verdict of each checked line of a proof text."""
    return {s.line: s.verdict.status for s in check_text(text).steps}


def step(text: str, line: int) -> tuple[Status, str]:
    found = [s.verdict for s in check_text(text).steps if s.line == line]
    assert len(found) == 1, found
    return found[0].status, found[0].reason


# ------------------------------------------------------------- 1. conditions under a sum leaking


LEAK = "given k real\nlet s = sum(k, 1, 3, sqrt(k))\n"


def test_condition_under_a_sum_says_nothing_about_the_free_variable() -> None:
    """sqrt(k) in the sum needs the summation variable >= 0, not the given k."""
    v = verdicts(LEAK + "have h: s*k >= 0\n")
    assert v == {2: Status.PROVED, 3: Status.REFUTED}  # s > 0, k = -1
    assert verdicts(LEAK + "show k >= 0 by algebra\n")[3] is Status.REFUTED
    chain = LEAK + "show k*s >= 0\n  k*s >= 0 by algebra\nqed\n"
    assert Status.PROVED not in {st for line, st in verdicts(chain).items() if line > 2}


def test_condition_under_a_sum_ignores_a_hypothesis_on_the_same_name() -> None:
    """`assume k < x` is about the free k: it cannot make sqrt(x - k) defined for k = 1, 2, 3."""
    text = "given x real, k real\nassume k < x\nlet s = sum(k, 1, 3, sqrt(x - k))\n"
    assert verdicts(text)[3] is Status.REFUTED  # x = 0
    assert verdicts(text.replace("given x real", "given x >= 3"))[3] is Status.PROVED


def test_renamed_summation_variable_is_explained() -> None:
    """A condition about a renamed summation variable says which variable it is."""
    status, reason = step("given k real\nlet s = sum(k, 1, 3, 1/(k - 2))\n", 2)
    assert status is Status.REFUTED
    assert "k1 is the summation variable k" in reason
    status, reason = step("let s = sum(k, 1, 3, 1/(k - 2))\n", 1)
    assert status is Status.REFUTED and "summation variable" not in reason


def test_nested_conditions_with_the_same_index_name() -> None:
    """The inner k shadows the outer one; an inner range may use the outer variable."""
    assert verdicts("have h: sum(k, 1, 3, sum(k, 1, 2, sqrt(k - 1))) >= 0\n")[1] is Status.PROVED
    assert verdicts("have h: sum(k, 1, 3, sum(k, 0, 2, sqrt(k - 1))) >= 0\n")[1] is \
        Status.REFUTED
    text = "given n >= 1 integer\nlet s = sum(k, 1, n, sum(j, k, n, 1/j))\n"
    assert verdicts(text)[2] is Status.PROVED
    assert verdicts(text.replace("sum(k, 1, n", "sum(k, 0, n"))[2] is Status.REFUTED  # j = 0


def test_sum_with_symbolic_bounds_keeps_its_range() -> None:
    """sum(k, 1, n, log(k)) is defined for every n; the free k is still any real."""
    text = "given n >= 1 integer, k real\nlet s = sum(k, 1, n, log(k))\nhave h: k + s >= k\n"
    assert verdicts(text) == {2: Status.PROVED, 3: Status.PROVED}
    assert verdicts(text.replace("k + s >= k", "k >= 1"))[3] is Status.REFUTED


# ------------------------------------------------------- 2. substitution and the bound variable


def test_let_with_the_name_of_a_summation_variable() -> None:
    """`let k = 5` does not reach the k of sum(k, ...): once a crash (Invalid limits)."""
    text = "let k = 5\nhave h: sum(k, 1, 3, k) = 6\nhave h2: sum(j, 1, k, j) = 15\n"
    assert verdicts(text) == {1: Status.PROVED, 2: Status.PROVED, 3: Status.PROVED}
    text = "let k = 5\nlet s = sum(k, 1, 3, k*k)\nhave h: s + k = 19\n"
    assert verdicts(text) == {1: Status.PROVED, 2: Status.PROVED, 3: Status.PROVED}


def test_given_with_the_name_of_a_summation_variable() -> None:
    """A given k and the summation variable k are different variables."""
    text = "given k < 0\nhave h: sum(k, 1, 3, abs(k)) + k = 6 + k\nhave h2: sum(k, 1, 3, k) > k\n"
    assert verdicts(text) == {2: Status.PROVED, 3: Status.PROVED}
    assert step("given k < 0\nhave h: sum(k, 1, 3, sqrt(k)) + k >= 0\n", 2)[0] is \
        Status.REFUTED  # at k = -5: sqrt(1) + sqrt(2) + sqrt(3) - 5 < 0


def test_definition_does_not_capture_through_a_let() -> None:
    """t = x + k mentions the free k: inside sum(k, ...) it is renamed apart, not captured."""
    text = ("given x real, k real\nlet t = x + k\nlet s = sum(k, 1, 3, t - k)\n"
            "have h: s = 3*x + 3*k - 6\n")
    assert verdicts(text)[4] is Status.PROVED
    assert verdicts(text.replace("3*x + 3*k - 6", "3*x - 6"))[4] is Status.REFUTED
    text = "given i real\nlet m = 10*i\nhave h: sum(i, 0, 1, m + i) = 20*i + 1\n"
    assert verdicts(text)[3] is Status.PROVED


# ------------------------------------------------------------------------------ 3. nested sums


def test_nested_sum_is_evaluated_over_every_limit() -> None:
    """sum(k, 1, 3, sum(j, 1, 2, j*k)) is 18 whatever the free k is."""
    assume = ["k in [0, 10]"]
    assert check_claim("sum(k, 1, 3, sum(j, 1, 2, j*k)) <= 3*k + 1", assume).verdict.status \
        is Status.REFUTED
    assert check_claim("sum(k, 1, 3, sum(j, 1, 2, j*k)) = 18", assume).verdict.status \
        is Status.PROVED
    assert check_claim("sum(k, 1, 3, sum(j, 1, 2, j*k)) + k >= 18", assume).verdict.status \
        is Status.PROVED


def test_nested_sums_with_the_same_index_name() -> None:
    """The inner k shadows the outer one: 3 * (1 + 2) = 9."""
    assume = ["k in [0, 10]"]
    assert check_claim("sum(k, 1, 3, sum(k, 1, 2, k)) = 9", assume).verdict.status \
        is Status.PROVED
    assert check_claim("sum(k, 1, 3, sum(k, 1, 2, k)) = 18", assume).verdict.status \
        is Status.REFUTED


def test_nested_sums_with_symbolic_bounds() -> None:
    """The inner range depends on the outer variable; the outer one on a given."""
    assert check_claim("sum(k, 1, 3, sum(j, 1, k, j)) = 10", ["k in [0, 5] integer"]) \
        .verdict.status is Status.PROVED  # 1 + 3 + 6
    n = ["n in [1, 20] integer"]
    assert check_claim("sum(k, 1, n, sum(j, 1, k, 1)) <= n", n).verdict.status is \
        Status.REFUTED
    assert check_claim("sum(k, 1, n, sum(j, 1, k, 1)) = n*(n + 1)/2", n).verdict.status in (
        Status.PROVED, Status.PLAUSIBLE)


def test_nested_sum_is_shown_as_written() -> None:
    shown = check_claim("sum(k, 1, 3, sum(j, 1, k, j*k)) = 0").steps[0].shown
    assert "sum(k, 1, 3, sum(j, 1, k" in shown


# ----------------------------------------------------------------- 4. a kind after a relation


def test_kind_after_a_relation_applies_to_the_name_it_follows() -> None:
    """`d <= m integer` makes m an integer and only m: assuming d integer too would let a
    student prove what fails for a real d."""
    text = "given d <= m integer\nhave h: floor(m) = m\nhave h2: floor(d) = d\n"
    assert verdicts(text) == {2: Status.PROVED, 3: Status.REFUTED}
    text = "given a, d <= m integer\nhave h: floor(m) = m\nhave h2: a <= m\n"
    assert verdicts(text) == {2: Status.PROVED, 3: Status.PROVED}
    assert verdicts("given d <= m\nhave h: floor(m) = m\n")[2] is Status.REFUTED
    assert verdicts("given n, m >= 1 integer\nhave h: floor(n) = n\n")[2] is Status.PROVED


# ------------------------------------------------- 5. counterexamples only where sides are defined


def test_counterexample_to_a_power_is_where_the_base_is_positive() -> None:
    """(-y)^x with x real needs -y > 0: x = 0, y = 0 is no counterexample (0^0 undefined)."""
    v = check_claim("(-y)^x = 0", ["x, y real"]).verdict
    assert v.status is Status.REFUTED and v.counterexample is not None
    assert dict(v.counterexample.values)["y"] < 0


def test_claim_false_only_where_undefined_is_refuted_for_its_definedness() -> None:
    """y^x != 0 holds wherever y^x is defined (y > 0): its failure is its definedness."""
    v = check_claim("y^x != 0", ["x real", "y >= 0"]).verdict
    assert v.status is Status.REFUTED
    assert v.reason.startswith("not defined everywhere")


def test_verify_counterexample_follows_the_power_rules() -> None:
    x, y, n = X, Y, N
    ob = Obligation(Relation((-y) ** x, "=", sp.Integer(0)))
    assert verify_counterexample(ob, {"x": Fraction(0), "y": Fraction(0)}) is None
    assert verify_counterexample(ob, {"x": Fraction(0), "y": Fraction(-1)}) is not None
    # an integer exponent (from its domain) needs only a nonzero base, or nothing if >= 0
    ints = (("n", Domain(integer=True)), ("y", Domain()))
    ob = Obligation(Relation(y**n, "=", sp.Integer(0)), ints)
    assert verify_counterexample(ob, {"n": Fraction(0), "y": Fraction(0)}) is None
    assert verify_counterexample(ob, {"n": Fraction(2), "y": Fraction(-1)}) is not None
    nat = (("n", Domain(lo=Fraction(0), integer=True)), ("y", Domain()))
    ob = Obligation(Relation(y**n, "=", sp.Integer(0)), nat)
    assert verify_counterexample(ob, {"n": Fraction(0), "y": Fraction(0)}) is not None
    # a summation variable is an integer variable from its range
    k = K
    ob = Obligation(Relation(sp.Sum(y**k, (k, 0, 2)), "=", sp.Integer(2)))
    assert verify_counterexample(ob, {"y": Fraction(0)}) is not None  # 0^0 + 0 + 0 = 1
    ob = Obligation(Relation(sp.Sum(y ** (k - 1), (k, 0, 2)), "=", sp.Integer(2)))
    assert verify_counterexample(ob, {"y": Fraction(0)}) is None  # 0^(-1)


# ------------------------------------------------------------------------------------ the CLI


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.proof"
    good.write_text("exercise binders\nlet k = 5\nhave h: sum(k, 1, 3, k) + k = 11\n")
    assert run(["check", str(good)])[1] == 0
    bad = tmp_path / "bad.proof"
    bad.write_text("exercise binders\n" + LEAK + "have h: s*k >= 0\n")
    out, code = run(["check", str(bad)])
    assert code == 1 and "refuted" in out


# ------------------------------------------------------------------------- binders, directly


def test_rename_apart() -> None:
    """Only names in use (or of an outer variable) are renamed; inner ranges follow."""
    scope = (("k", sp.Integer(1), N), ("j", sp.Integer(1), K))
    out, exprs = rename_apart(scope, [J - K], {"n"})
    assert out == scope and exprs == [J - K]
    out, exprs = rename_apart(scope, [J - K], {"k", "n"})
    k1 = sym("k1")
    assert out == (("k1", sp.Integer(1), N), ("j", sp.Integer(1), k1)) and exprs == [J - k1]
    out, exprs = rename_apart((("k", sp.Integer(1), N), ("k", sp.Integer(1), K)), [K], set())
    assert out == (("k", sp.Integer(1), N), ("k1", sp.Integer(1), K)) and exprs == [k1]


NAMES = ("k", "j")
VALUES = [K, K + 1, 2 * K, J, Y, K * J, sp.Integer(3)]  # what x is replaced by: may mention k, j


@st.composite
def sums(draw: st.DrawFn) -> tuple[sp.Expr, dict[str, Fraction], sp.Expr]:
    """A sum (maybe nested, maybe shadowing) with x free, a point, and a value for x."""
    outer = draw(st.sampled_from(NAMES))
    inner = draw(st.sampled_from((None, *NAMES)))
    names = [outer] + ([inner] if inner else [])
    atoms = [X, Y, *(sym(n) for n in names)]
    coeffs = draw(st.lists(st.integers(-3, 3), min_size=len(atoms) + 1,
                           max_size=len(atoms) + 1))
    body = coeffs[-1] + sum(c * a for c, a in zip(coeffs, atoms, strict=False))
    body = body * draw(st.sampled_from((sp.Integer(1), X, sym(outer))))
    if inner:
        lo = draw(st.sampled_from((sp.Integer(0), sp.Integer(1), sym(outer))))
        hi = draw(st.sampled_from((sp.Integer(2), sym(outer) + 1, X)))
        body = sp.Sum(body, (sym(inner), lo, hi))
    e = sp.Sum(body, (sym(outer), draw(st.integers(-1, 1)), draw(st.sampled_from((2, 3, X)))))
    point = {n: Fraction(draw(st.integers(-2, 3))) for n in ("k", "j", "y")}
    point["x"] = Fraction(draw(st.integers(0, 3)))
    return e, point, draw(st.sampled_from(VALUES))


def by_hand(e: sp.Expr, env: dict[str, Fraction], x_value: Fraction) -> Fraction:
    """The sum of the terms one by one, with x (outside every sum) meaning ``x_value``."""
    if isinstance(e, sp.Sum):
        var, lo, hi = e.limits[-1]  # SymPy lists the innermost limit first
        inner = sp.Sum(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function
        a, b = by_hand(lo, env, x_value), by_hand(hi, env, x_value)
        total = Fraction(0)
        for i in range(int(a), int(b) + 1):
            total += by_hand(inner, {**env, var.name: Fraction(i)}, x_value)
        return total
    values = {sym(n): sp.Rational(v.numerator, v.denominator) for n, v in env.items()}
    values[X] = sp.Rational(x_value.numerator, x_value.denominator)
    out = e.xreplace(values)  # no sum left below: a plain expression
    return Fraction(int(out.p), int(out.q))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(sums())
def test_substitute_agrees_with_summing_by_hand(case: tuple[sp.Expr, dict[str, Fraction],
                                                            sp.Expr]) -> None:
    """Replacing x by a value (that may mention k or j) inside a sum, then evaluating, is the
    sum with x's value computed outside it: no capture, no reach into a bound variable."""
    e, point, value = case
    x_value = by_hand(value, point, point["x"])
    expected = by_hand(e, point, x_value)
    replaced = substitute(e, {X: value})
    env = {n: to_arb(v) for n, v in point.items()}
    got = ball(replaced, env, 128)
    assert got.contains(to_arb(expected)) and got.rad() < 1e-9, (e, value, point)
    # and the sum before the replacement, with x at its value, is the same number
    got = ball(e, {**env, "x": to_arb(x_value)}, 128)
    assert got.contains(to_arb(expected)), (e, point)


# ------------------------------------------------------- alpha-equivalent sums are one sum

def test_sums_that_differ_only_in_their_index_become_equal() -> None:
    i, m = sym("i"), sym("m")
    a = sp.Sum(sp.Function("f")(i) * N, (i, 1, N))
    b = sp.Sum(sp.Function("f")(K) * N, (K, 1, N))
    assert canonical_bound(a, {"n"}) == canonical_bound(b, {"n"})
    # a free k is never captured: the index becomes j, and the free k stays free
    c = canonical_bound(sp.Sum(i * K, (i, 1, N)), {"k", "n"})
    assert c == sp.Sum(J * K, (J, 1, N))
    # nested sums: the outer index k, the inner one j, whatever they were called
    nested = sp.Sum(sp.Sum(i * m, (i, 1, m)), (m, 1, N))
    assert canonical_bound(nested, {"n"}) == sp.Sum(sp.Sum(J * K, (J, 1, K)), (K, 1, N))


def test_family_sums_with_different_indices_are_compared_as_one() -> None:
    fam = ["p_k in (0, 1) for k in 1..K"]
    assert check_claim("sum(i, 1, K, p_i) <= sum(k, 1, K, p_k) + 1", fam).verdict.status \
        is Status.PROVED
    v = check_claim("sum(i, 1, K, p_i) <= sum(k, 1, K, p_k) - 1", fam).verdict
    assert v.status is Status.REFUTED

