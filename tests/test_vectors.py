"""Vectors, matrices and indexed families (docs/vectors.md): reading, shapes, proofs at a
symbolic dimension, refutations in small dimensions, and soundness on a labelled corpus.

Verdicts depend on engine budgets; the assertions that matter for soundness (a false claim is
never proved, a true one never refuted, a symbolic claim never proved from small dimensions)
hold whatever the load. Budgets are generous where a definite answer is asserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.check import check_claim, check_file, check_text
from checker.cli import run
from checker.diagnostics import ParseError
from checker.obligations import Status
from checker.syntax.parse import parse_expression, parse_text

DATA = Path(__file__).resolve().parent / "data" / "vectors"
BUDGET = 4.0


@dataclass(frozen=True)
class Labelled:
    label: bool
    text: str
    assume: tuple[str, ...]
    line: int


def _corpus() -> list[Labelled]:
    out: list[Labelled] = []
    for number, raw in enumerate((DATA / "claims.txt").read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        label, _, rest = line.split(" | ", 2)
        text, assume = rest.rsplit(" | ", 1)
        out.append(Labelled(label == "true", text.strip(),
                            tuple(a.strip() for a in assume.split(";") if a.strip()), number))
    return out


CORPUS = _corpus()


def _shape_cases() -> list[object]:
    out: list[object] = []
    for raw in (DATA / "shapes.txt").read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        code, givens, claim = (p.strip() for p in raw.split(" | ", 2))
        out.append(pytest.param(code, givens, claim, id=f"{code}:{claim}"))
    return out


# ------------------------------------------------------------------------------ acceptance


def test_holder_is_proved_at_every_dimension() -> None:
    """The issue's first acceptance claim: proved, citing Hölder."""
    r = check_claim("<w, delta> <= eps*||w||_1",
                    assume=["w, delta in R^d", "||delta||_inf <= eps"], budget_s=BUDGET)
    assert r.verdict.status is Status.PROVED, r.verdict
    assert "holder_one_inf" in r.verdict.reason
    assert "every dimension" in r.verdict.reason


def test_l2_version_is_refuted_in_two_dimensions() -> None:
    """The second: refuted, with a 2-dimensional counterexample shown as vectors."""
    r = check_claim("<w, delta> <= eps*||w||_2",
                    assume=["w, delta in R^d", "||delta||_inf <= eps"], budget_s=BUDGET)
    v = r.verdict
    assert v.status is Status.REFUTED, v
    assert v.counterexample is not None
    values = dict(v.counterexample.values)
    assert values["d"] == 2
    assert {"w_1", "w_2", "delta_1", "delta_2"} <= set(values)
    assert "false in dimension d = 2: " in v.reason
    assert "w = (" in v.reason and "delta = (" in v.reason
    # the point really breaks the claim: <w, delta> > eps*||w||_2 and ||delta||_inf <= eps
    w = (values["w_1"], values["w_2"])
    delta = (values["delta_1"], values["delta_2"])
    eps = values["eps"]
    assert max(abs(x) for x in delta) <= eps
    lhs = w[0] * delta[0] + w[1] * delta[1]
    assert lhs > 0 and lhs**2 > eps**2 * (w[0] ** 2 + w[1] ** 2)


def test_the_cli_prints_both_verdicts() -> None:
    out, code = run(["claim", "<w, delta> <= eps*||w||_2", "--assume", "w, delta in R^d",
                     "--assume", "||delta||_inf <= eps"])
    assert code == 1 and out.startswith("refuted"), out
    assert "d = 2" in out


# ------------------------------------------------------------------------------ reading


def test_declarations_and_shapes_are_read() -> None:
    text = ("exercise shapes\n"
            "given w, x in R^d, b real\n"
            "given W1 in R^(m x d), W2 in R^(2 x 3)\n"
            "given p_k in (0, 1) for k in 1..K\n"
            "given u in [0, 1]^3\n"
            "have h1: w^T x + b = <w, x> + b\n"
            "have h2: ||W1*w||_2 <= ||W1||_op*||w||_2\n"
            "have h3: sum(k, 1, K, p_k) >= max(k, 1, K, p_k)\n"
            "have h4: u_1 + u_3 <= 2\n")
    proof, diags = parse_text(text, "shapes.proof")
    assert [d.code for d in diags if d.severity == "error"] == []
    decls = [d for st in proof.statements if hasattr(st, "items") for d in st.items]
    spaces = {n: tuple(str(x) for x in d.space) for d in decls if d.space for n in d.names}
    assert spaces == {"w": ("d", "1"), "x": ("d", "1"), "W1": ("m", "d"), "W2": ("2", "3"),
                      "p": ("K", "1"), "u": ("3", "1")}


def test_show_parsed_prints_the_shapes(tmp_path: Path) -> None:
    f = tmp_path / "s.proof"
    f.write_text("exercise s\ngiven w, delta in R^d, eps > 0\n"
                 "have h: <w, delta> <= ||w||_1*||delta||_inf\n")
    out, _ = run(["check", str(f), "--show-parsed", "--standalone", "--budget", "1"])
    line = next(x for x in out.splitlines() if "read as" in x)
    assert "<w, delta> <= (||w||_1) * (||delta||_inf)" in line or "<w, delta>" in line
    assert "with delta, w in R^d" in line


@pytest.mark.parametrize(("code", "givens", "claim"), _shape_cases())
def test_shape_errors_have_their_code(code: str, givens: str, claim: str) -> None:
    """Every dimension mismatch is refused with a coded diagnostic, never a traceback."""
    text = "exercise bad\n" + "".join(f"given {g.strip()}\n" for g in givens.split(";"))
    text += f"have h: {claim}\n"
    result = check_text(text, "bad.proof", budget_s=0.5)
    codes = [d.code for d in result.diagnostics if d.severity == "error"]
    assert codes == [code], [d.format() for d in result.diagnostics]
    assert result.steps == ()


def test_shape_errors_in_claims_are_parse_errors() -> None:
    with pytest.raises(ParseError) as info:
        check_claim("<w, x> <= 1", assume=["w in R^d", "x in R^3"])
    assert info.value.diagnostics[0].code == "shape-mismatch"


@pytest.mark.parametrize(("text", "expected"), [
    ("|x - |y||", "Abs(x - Abs(y))"),  # a norm needs its subscript: nested bars still read
    ("||x| - |y||", "Abs(Abs(x) - Abs(y))"),
    ("1.5 + 2.", "7/2"),
    ("x^T + 1", "x**T + 1"),  # T is an exponent when x is a number
])
def test_scalar_readings_are_unchanged(text: str, expected: str) -> None:
    assert str(parse_expression(text).value) == expected


def test_a_chain_line_may_start_with_less_than() -> None:
    text = ("exercise c\ngiven x in (0, 1)\nshow x^2 < 1\n  x^2\n    < x   by algebra\n"
            "    < 1, 1 > 0\nqed\n")
    _, diags = parse_text(text, "c.proof")
    # `< 1, 1 > 0` is not an inner product opener here: at most a syntax error, never a crash
    assert all(d.code in ("syntax", "unexpected-character") for d in diags)


# ------------------------------------------------------------------------------ checking


def test_concrete_dimension_counterexample_is_shown_as_vectors() -> None:
    r = check_claim("<w, x> <= ||w||_2*||x||_inf", assume=["w, x in R^3"], budget_s=BUDGET)
    assert r.verdict.status is Status.REFUTED, r.verdict
    assert "as vectors: w = (" in r.verdict.reason


def test_concrete_identities_are_proved() -> None:
    for claim, assume in [("det(A*B) = det(A)*det(B)", ["A, B in R^(2 x 2)"]),
                          ("(A*B)^T = B^T*A^T", ["A, B in R^(2 x 2)"]),
                          ("||x||_2^2 = <x, x>", ["x in R^4"])]:
        r = check_claim(claim, assume=assume, budget_s=BUDGET)
        assert r.verdict.status is Status.PROVED, (claim, r.verdict)


def test_symbolic_claims_are_never_proved_from_small_dimensions() -> None:
    """True, but beyond the library's theorems: plausible at most, and saying why."""
    r = check_claim("sum(k, 1, K, p_k^2) <= 1",
                    assume=["p_k in (0, 1) for k in 1..K", "sum(k, 1, K, p_k) = 1"],
                    budget_s=BUDGET)
    assert r.verdict.status is not Status.PROVED, r.verdict
    assert r.verdict.status is not Status.REFUTED, r.verdict
    if r.verdict.status is Status.PLAUSIBLE:
        assert "not a proof for every dimension" in r.verdict.reason or \
            "small dimensions" in r.verdict.reason


def test_dimension_hypotheses_limit_the_search() -> None:
    """With d >= 3 the search never uses d = 1 or 2 (||x||_1 <= 2*||x||_2 fails first at 5)."""
    r = check_claim("||x||_1 <= 2*||x||_2", assume=["x in R^d", "d <= 4"], budget_s=BUDGET)
    assert r.verdict.status is not Status.REFUTED, r.verdict
    r = check_claim("||x||_1 <= 1.5*||x||_2", assume=["x in R^d", "d >= 3"], budget_s=BUDGET)
    assert r.verdict.status is Status.REFUTED, r.verdict
    assert dict(r.verdict.counterexample.values)["d"] >= 3  # type: ignore[union-attr]


def test_verdicts_are_deterministic() -> None:
    claim, assume = "||x + y||_1 >= ||x||_1", ["x, y in R^d"]
    first = check_claim(claim, assume=assume, budget_s=BUDGET).verdict
    second = check_claim(claim, assume=assume, budget_s=BUDGET).verdict
    assert first.status is second.status is Status.REFUTED
    assert first.counterexample == second.counterexample and first.reason == second.reason


def test_proof_file_with_vectors() -> None:
    result = check_file(DATA / "fgsm_linear.proof", budget_s=BUDGET, standalone=True)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    verdicts = {s.line: s.verdict for s in result.steps}
    by_line = {n: v.status for n, v in verdicts.items()}
    assert by_line[6] is Status.PROVED  # the Hölder step
    # the l2 version: refuted (a hard time limit on a loaded machine may leave it unknown,
    # and says so; it is never proved)
    assert by_line[13] is Status.REFUTED or verdicts[13].time_limited, verdicts[13]
    assert Status.REFUTED not in [by_line[n] for n in (6, 7, 10, 11)]


# ------------------------------------------------------------------------------ soundness


@pytest.mark.parametrize("c", [c for c in CORPUS if not c.label],
                         ids=[f"false-{c.line}" for c in CORPUS if not c.label])
def test_false_vector_claims_are_never_proved(c: Labelled) -> None:
    v = check_claim(c.text, assume=list(c.assume), budget_s=2.0).verdict
    assert v.status is not Status.PROVED, v
    if v.status is Status.REFUTED:
        assert v.counterexample is not None


@pytest.mark.parametrize("c", [c for c in CORPUS if c.label],
                         ids=[f"true-{c.line}" for c in CORPUS if c.label])
def test_true_vector_claims_are_never_refuted(c: Labelled) -> None:
    v = check_claim(c.text, assume=list(c.assume), budget_s=2.0).verdict
    assert v.status is not Status.REFUTED, v


def test_the_corpus_is_large_enough() -> None:
    assert sum(c.label for c in CORPUS) >= 20
    assert sum(not c.label for c in CORPUS) >= 20


# ------------------------------------------------------------------------------ more


def test_vector_lets_and_citations() -> None:
    """A `let` of a vector is a vector below; theorems about vectors are cited with vectors."""
    text = ("exercise deepfool\n"
            "given w, x0 in R^n, b real, eps > 0\n"
            "assume ||w||_2 > 0\n"
            "let r = -((<w, x0> + b)/||w||_2^2)*w\n"
            "have on_boundary: <w, x0 + r> + b = 0\n"
            "have dist: ||r||_2 = |<w, x0> + b|/||w||_2\n"
            "have wrong: ||r||_2 = |<w, x0> + b|/||w||_2^2\n"
            "have cited: <w, x0> <= ||w||_1*||x0||_inf   by holder_one_inf(u = w, v = x0)\n"
            "have misfit: ||w||_1 <= sqrt(n)*||w||_2   by norm_one_le_sqrt_dim_norm_two(v = eps)\n")
    result = check_text(text, "deepfool.proof", budget_s=BUDGET)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    by_line = {s.line: s.verdict for s in result.steps}
    assert by_line[5].status is Status.PROVED, by_line[5]
    assert by_line[6].status is Status.PROVED, by_line[6]
    assert by_line[7].status is Status.REFUTED, by_line[7]
    assert by_line[8].status is Status.PROVED, by_line[8]
    assert by_line[9].status is Status.UNKNOWN and "is a vector" in by_line[9].reason


def test_family_sums_are_linear() -> None:
    """Cross-entropy = entropy + KL over K classes, an identity at every K; a sign slip is
    refuted in a small K."""
    assume = ["p_k in (0, 1) for k in 1..K", "q_k in (0, 1) for k in 1..K"]
    right = ("-sum(k, 1, K, p_k*log(q_k)) = "
             "-sum(k, 1, K, p_k*log(p_k)) + sum(k, 1, K, p_k*log(p_k/q_k))")
    r = check_claim(right, assume=assume, budget_s=BUDGET)
    assert r.verdict.status is Status.PROVED, r.verdict
    r = check_claim(right.replace(") + sum", ") - sum"), assume=assume, budget_s=BUDGET)
    assert r.verdict.status is Status.REFUTED, r.verdict


def test_log_of_members_is_expanded_only_for_positive_families() -> None:
    """log(p_k/q_k) = log(p_k) - log(q_k) needs positive members: with q of any sign the
    identity is not proved (it is not even defined there)."""
    claim = ("sum(k, 1, K, p_k*log(p_k/q_k)) = "
             "sum(k, 1, K, p_k*log(p_k)) - sum(k, 1, K, p_k*log(q_k))")
    r = check_claim(claim, assume=["p_k in (0, 1) for k in 1..K", "q_k real for k in 1..K"],
                    budget_s=2.0)
    assert r.verdict.status is not Status.PROVED, r.verdict


@pytest.mark.parametrize(("claim", "assume"), [
    ("det(A) >= -1", ["A in R^(64 x 64)"]),
    ("tr(A^8) >= 0", ["A in R^(32 x 32)"]),
    ("||A*B*C||_F >= 0", ["A, B, C in R^(30 x 30)"]),
])
def test_large_concrete_matrices_are_refused_not_expanded(claim: str, assume: list[str]) -> None:
    """Writing out a large product or determinant is refused (unknown), never a hang."""
    r = check_claim(claim, assume=assume, budget_s=1.0)
    assert r.verdict.status is not Status.REFUTED, r.verdict


def test_a_submission_reads_the_exercises_vectors(tmp_path: Path) -> None:
    """Checked against an exercise, a submission need not repeat its vector givens: <w, x>
    is still an inner product (and a lazy restatement is read, so it can be scored)."""
    f = tmp_path / "lazy.proof"
    f.write_text("exercise fgsm_linear_model_d_dims\n"
                 "show <w, x + delta> + b <= <w, x> + b + eps*||w||_1 by algebra\n")
    result = check_file(f, budget_s=1.0)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    assert result.assessment is not None
    assert result.assessment.score <= 0.2 * result.assessment.max_score


def test_powers_with_a_positive_exponent_are_defined_at_zero() -> None:
    """|x|^p and 0^p for a symbolic p > 0 are defined as usual (l_p quantities with zero
    coordinates); with p of any sign the base must still be > 0."""
    assert check_claim("0^p = 0", assume=["p > 0"], budget_s=2.0).verdict.status \
        is Status.PROVED
    r = check_claim("|x|^p >= 0", assume=["x real", "p > 0"], budget_s=2.0)
    assert r.verdict.status is Status.PROVED, r.verdict
    r = check_claim("|x|^p >= 0", assume=["x real", "p real"], budget_s=2.0)
    assert r.verdict.status is Status.REFUTED and "not defined" in r.verdict.reason


def test_hypotheses_about_a_matrix_entries_come_with_the_matrix() -> None:
    """det(S) names only S, but the engines write it out in S_1_1, ...: the givens about the
    entries must come with it (they were dropped, and a true claim was refuted at S = 0)."""
    assume = ["S in R^(2 x 2)", "S_1_1 = s^2, S_1_2 = 0, S_2_1 = 0, S_2_2 = 1", "s > 0"]
    assert check_claim("det(S) > 0", assume).verdict.status is Status.PROVED
    v = check_claim("det(S) > 1", assume).verdict
    assert v.status is Status.REFUTED and v.counterexample is not None
    values = dict(v.counterexample.values)
    assert values["S_1_1"] == values["s"] ** 2 and values["S_2_2"] == 1, values


@pytest.mark.slow
def test_a_family_claim_no_method_settles_ends_by_work_not_by_the_cap() -> None:
    """The softmax goal in one step (five family lengths to try, exp everywhere) used to
    reach the CPU safety cap (a machine-dependent unknown); the small lengths now share the
    budget and run without the proof methods, so the verdict is reached by work."""
    v = check_claim("exp(z_1/T1)/sum(k, 1, K, exp(z_k/T1)) >= exp(z_1/T2)/sum(k, 1, K, "
                    "exp(z_k/T2))", ["z_k <= z_1 for k in 1..K", "T1 > 0", "T2 > 0",
                                     "T1 <= T2"]).verdict
    assert not v.time_limited, v.reason
    assert v.status is Status.PLAUSIBLE


def test_an_entry_of_a_one_column_matrix_has_one_name() -> None:
    """S_1_1 of S in R^(1 x 1) is the entry the engines call S_1: a given about it reaches
    det(S) (it was two unknowns, and a true claim was refuted at S = 0)."""
    base = ["S in R^(1 x 1)", "s > 0", "S_1_1 = s^2"]
    assert check_claim("det(S) = s^2", base).verdict.status is Status.PROVED
    assert check_claim("det(S) > 0", base).verdict.status is Status.PROVED
    assert check_claim("S_2_1 = S_2", ["S in R^(3 x 1)"]).verdict.status is Status.PROVED
    with pytest.raises(ParseError):
        check_claim("S_3_1 = 0", ["S in R^(2 x 1)"])


@pytest.mark.parametrize(("claim", "assume", "status"), [
    ("S_1_2 = S_2_1", ["S in R^(2 x 2)", "S^T = S"], Status.PROVED),
    ("S_1_2 = S_1_1", ["S in R^(2 x 2)", "S^T = S"], Status.REFUTED),
    ("u_1 = v_1", ["u, v in R^2", "u = v"], Status.PROVED),
    ("<u, w> = <v, w>", ["u, v, w in R^d", "u = v"], Status.PROVED),
    ("<u, w> <= <v, w> - 1", ["u, v, w in R^d", "u = v"], Status.REFUTED),
])
def test_a_given_equation_between_vectors_is_used(claim: str, assume: list[str],
                                                   status: Status) -> None:
    """`S^T = S` or `u = v` given: entry by entry in coordinates, by substitution at a
    symbolic dimension (they were dropped: `unknown`, "could not be written out")."""
    v = check_claim(claim, assume).verdict
    assert v.status is status, v.reason
    if status is Status.REFUTED:
        assert v.counterexample is not None
        values = dict(v.counterexample.values)
        assert all(values.get(f"u_{i}") == values.get(f"v_{i}") for i in (1, 2))
        assert values.get("S_1_2") == values.get("S_2_1")
