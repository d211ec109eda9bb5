"""The theorem library: it loads, passes its self-check, is cited correctly and incorrectly,
catches mis-stated theorems, and its index in docs/ is in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.check import check_text
from checker.cli import run
from checker.library.binding import unbound_parameters
from checker.library.index import render_index
from checker.library.selfcheck import check_theorem
from checker.library.theorems import Library, Theorem, default_library, load
from checker.obligations import Status

from .conftest import ROOT

LIB = default_library()
THEOREMS = sorted(LIB.theorems.values(), key=lambda t: t.id)


def test_library_loads_without_diagnostics() -> None:
    """Every theorem file loads; there are at least 40 theorems, each with a source."""
    assert [d.format() for d in LIB.diagnostics] == []
    assert len(LIB.theorems) >= 40
    assert all(t.source and t.doc for t in THEOREMS)


@pytest.mark.parametrize("thm", THEOREMS, ids=lambda t: t.id)
def test_self_check_passes(thm: Theorem) -> None:
    """Every cited theorem survives stress-testing; every derived one is proved (one test per
    theorem, so that the suite's workers share them)."""
    finding = check_theorem(thm, LIB, budget_s=2.0)
    assert finding.ok, f"{finding.theorem}: {finding.detail}"


def test_misstated_theorems_are_caught() -> None:
    """1 + 2x <= exp(x) and Hoeffding with exp(-4*n*t^2) are refuted with counterexamples."""
    bad = load(ROOT / "tests" / "data" / "theorems-misstated")
    assert bad.diagnostics == []
    for thm in bad.theorems.values():
        finding = check_theorem(thm, bad, budget_s=2.0)
        assert finding.outcome == "refuted", finding.detail
        assert finding.counterexample is not None


def test_index_is_in_sync() -> None:
    """docs/theorems.md is generated from theorems/ (regenerate with
    `proofcheck theorems --index > docs/theorems.md`)."""
    assert render_index(LIB) == (ROOT / "docs" / "theorems.md").read_text()


def _shape_only(thm: Theorem, text: str) -> bool:
    """A declaration of vectors (`u, v in R^d`), or of a dimension they use (`d >= 1
    integer`): it says what the names are, not a restriction of their values."""
    spaces = [t for t in thm.texts.get("variables", []) if " in R^" in t]
    if " in R^" in text:
        return True
    name = text.split(">=")[0].strip()
    return text.replace(" ", "") == f"{name}>=1integer" and any(
        name in t.split(" in R^", 1)[1] for t in spaces)


def _givens(thm: Theorem, keep: bool) -> str:
    lines = []
    shapes = [v for v in thm.texts.get("variables", []) if _shape_only(thm, v)]
    for v in thm.texts.get("variables", []):
        lines.append(f"given {v}" if keep or v in shapes else "")
    if keep:
        lines += [f"assume {h}" for h in thm.texts.get("hypotheses", [])]
    else:
        vectors = {n.strip() for v in shapes if " in R^" in v
                   for n in v.split(" in R^")[0].split(",")}
        lines += [f"given {n} real" for n in thm.var_names if n not in vectors]
    return "\n".join(line for line in lines if line)


def _citation(thm: Theorem, keep: bool) -> str:
    return (f"exercise cite_{thm.id}\n{_givens(thm, keep)}\n"
            f"have c: {thm.statement} by {thm.id}\n")


def _restricted(thm: Theorem) -> bool:
    """Does the theorem restrict its variables (domains or hypotheses)?"""
    texts = [*thm.texts.get("variables", []), *thm.texts.get("hypotheses", [])]
    return any(not t.strip().endswith(" real") and not _shape_only(thm, t) for t in texts)


@pytest.mark.parametrize("thm", THEOREMS, ids=lambda t: t.id)
def test_correct_citation_is_proved(thm: Theorem) -> None:
    """Citing the theorem for its own conclusion, under its hypotheses, is proved."""
    result = check_text(_citation(thm, keep=True), f"{thm.id}.proof", budget_s=2.0,
                        library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status == Status.PROVED, step.verdict.label


@pytest.mark.parametrize("thm", [t for t in THEOREMS if _restricted(t)], ids=lambda t: t.id)
def test_citation_outside_hypotheses_is_not_proved(thm: Theorem) -> None:
    """Citing the theorem with its variables unrestricted leaves a side obligation unproved."""
    result = check_text(_citation(thm, keep=False), f"{thm.id}.proof", budget_s=1.0,
                        library=LIB)
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status != Status.PROVED


@pytest.mark.parametrize("thm", [t for t in THEOREMS if not _restricted(t)],
                         ids=lambda t: t.id)
def test_citation_of_a_different_claim_is_not_proved(thm: Theorem) -> None:
    """Citing the theorem for a claim it does not give (the conclusion plus 1) is not proved."""
    a, op, b = thm.conclusion.relations()[0]
    # a strictly stronger claim than the theorem gives
    wrong = f"{a.text} + 1 {op} {b.text}" if op in ("<", "<=") else f"{a.text} {op} ({b.text}) + 1"
    text = f"exercise w\n{_givens(thm, True)}\nhave c: {wrong} by {thm.id}\n"
    result = check_text(text, f"{thm.id}.proof", budget_s=1.0, library=LIB)
    step = next(s for s in result.steps if s.kind == "fact")
    assert step.verdict.status != Status.PROVED


def test_misspelled_theorem_gets_did_you_mean() -> None:
    """A misspelled theorem name is unknown with a suggestion."""
    result = check_text("exercise t\ngiven x > 0\nhave h: log(x) <= x - 1 by log_le_sub_on\n",
                        budget_s=1.0, library=LIB)
    assert "did you mean 'log_le_sub_one'" in result.steps[0].verdict.reason


def test_sauer_shelah_with_m_below_d_is_refuted() -> None:
    """(e*m/d)^d cited with m < d allowed: the side obligation m >= d is refuted."""
    thm = next(t for t in THEOREMS if "m >= d" in " ".join(t.texts.get("hypotheses", [])))
    text = (f"exercise t\ngiven m >= 1 integer, d >= 1 integer\n"
            f"have h: {thm.statement} by {thm.id}\n")
    result = check_text(text, budget_s=1.0, library=LIB)
    step = result.steps[0]
    assert step.verdict.status == Status.REFUTED
    assert step.verdict.counterexample is not None


def test_empty_library_is_empty(tmp_path: Path) -> None:
    """A folder with no theorem files is an empty library, not an error."""
    assert isinstance(load(tmp_path), Library)
    assert load(tmp_path).theorems == {}


# ------------------------------------------------------------------------------ binding rule


def _verdicts(text: str) -> dict[int, Status]:
    """The weakest verdict on each line of a checked proof."""
    order = [Status.PROVED, Status.PLAUSIBLE, Status.UNKNOWN, Status.REFUTED]
    result = check_text(text, "t.proof", budget_s=2.0, library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    out: dict[int, Status] = {}
    for s in result.steps:
        seen = out.get(s.line, Status.PROVED)
        out[s.line] = max(seen, s.verdict.status, key=order.index)
    return out


def test_library_has_no_unbound_parameters() -> None:
    """Every variable and object of every theorem is bound to the opaque terms it describes."""
    assert [u.describe() for t in THEOREMS for u in unbound_parameters(t)] == []


def test_unbound_parameters_are_named() -> None:
    """The lint names the theorem and the parameter: Hoeffding's n outside P[...], the names
    mean and mu that nobody declared, the dimension d of the ReLU construction."""
    lib = load(ROOT / "tests" / "data" / "theorems-unbound")
    assert lib.diagnostics == []
    found = {(u.theorem, u.name, u.kind) for t in lib.theorems.values()
             for u in unbound_parameters(t)}
    assert ("hoeffding_untied_n", "n", "variable") in found
    assert ("hoeffding_untied_n", "mean", "undeclared") in found
    assert ("relu3_units_untied_d", "d", "variable") in found
    assert not any(name in ("t", "delta", "g") for _, name, _ in found)


def test_theorems_check_fails_on_unbound_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    """`proofcheck theorems --check` fails on a library with an untied parameter, naming it;
    on the shipped library it reports 0 unbound parameters."""
    monkeypatch.setenv("PROOFCHECK_THEOREMS", str(ROOT / "tests" / "data" / "theorems-unbound"))
    out, code = run(["theorems", "--check", "--budget", "1"])
    assert code == 1
    assert "FAIL hoeffding_untied_n: variable 'n' is unbound" in out
    assert "FAIL relu3_units_untied_d: variable 'd' is unbound" in out
    assert out.splitlines()[-1].endswith("unbound parameters")
    monkeypatch.delenv("PROOFCHECK_THEOREMS")
    out, code = run(["theorems", "markov", "--check", "--budget", "1"])
    assert code == 0, out
    assert out.splitlines()[-1].endswith("; 0 unbound parameters")


def test_hoeffding_cannot_be_cited_at_any_sample_size(tmp_path: Path) -> None:
    """The adversarial citation: Hoeffding at n = 100 for a mean of unknown size proves nothing;
    at the sample size the term carries it is proved, at another it is not."""
    attack = ("exercise a\n"
              "have h: P[|mean - mu| >= 1/2] <= 2*exp(-50) by hoeffding_mean_two_sided(n = 100, "
              "t = 1/2, a = 0, b = 1)\n")
    assert _verdicts(attack)[2] != Status.PROVED
    path = tmp_path / "attack.proof"
    path.write_text(attack)
    out, code = run(["check", str(path)])
    assert code != 0 and ":2: proved" not in out
    tied = ("exercise a\nassume P[0 <= X <= 1] = 1\n"
            "have h: P[|Mean[X, 100] - E[X]| >= 1/2] <= 2*exp(-50) by hoeffding_mean_two_sided\n"
            "have k: P[|Mean[X, 10] - E[X]| >= 1/2] <= 2*exp(-50) by "
            "hoeffding_mean_two_sided(n = 100, t = 1/2, a = 0, b = 1)\n")
    verdicts = _verdicts(tied)
    assert verdicts[3] == Status.PROVED
    assert verdicts[4] != Status.PROVED


def test_relu_construction_cannot_make_ten_equal_thirty_six() -> None:
    """relu3_construction_units cited at d = 1 and d = 2 for one network: the dimension is tied
    to g by Dim[g] = d, so neither citation is proved and neither is 10 = 36."""
    for net in ("Net[g, 1/2]", "Net[g, 1/2, 1/10]"):
        text = (f"exercise a\n"
                f"have a: Units[{net}] = 10 by relu3_construction_units(d = 1, delta = 1/2)\n"
                f"have b: Units[{net}] = 36 by relu3_construction_units(d = 2, delta = 1/2)\n"
                f"show Units[{net}] = 0 by a, b\n")
        verdicts = _verdicts(text)
        assert verdicts[2] != Status.PROVED and verdicts[3] != Status.PROVED
        assert verdicts[4] != Status.PROVED
    tied = ("exercise a\nassume Dim[g] = 2\n"
            "have b: Units[Net[g, 1/2, 1/10]] = 36 by relu3_construction_units\n")
    assert _verdicts(tied)[3] == Status.PROVED


def test_objects_are_matched_for_any_instance() -> None:
    """markov holds for any nonnegative random variable, matched or given by name; kl_nonneg
    for any pair of distributions; descent_lemma for a function of any name (its applications
    renamed with it)."""
    text = ("exercise a\ngiven s > 0, L > 0\nassume P[Y >= 0] = 1, Smooth[loss] <= L\n"
            "have h: P[Y >= 3] <= E[Y]/3 by markov\n"
            "have k: P[Y >= 3] <= E[Y]/3 by markov(Z = Y, a = 3)\n"
            "have q: KL[Normal[0, s], Normal[0, 1]] >= 0 by kl_nonneg\n"
            "have d: loss[v] <= loss[w] + Inner[Grad[loss, w], v - w] + L/2*Norm[v - w]^2 "
            "by descent_lemma(f = loss)\n"
            "have bad: P[W >= 3] <= E[W]/3 by markov(Z = W, a = 3)\n")
    verdicts = _verdicts(text)
    assert [verdicts[n] for n in (4, 5, 6, 7)] == [Status.PROVED] * 4
    assert verdicts[8] != Status.PROVED  # nothing says W >= 0


def test_citation_does_not_capture_a_free_variable() -> None:
    """sum_binomial_le_pow_of_le(m = 10*i, d = 3) with the student's free i: the theorem's
    bound index is renamed apart, so the sum stays sum_k C(10*i, k), not sum_i C(10*i, i)."""
    text = ("exercise a\ngiven i >= 1 integer\n"
            "have h: sum(k, 0, 3, binomial(10*i, k)) <= (e*(10*i)/3)^3 by "
            "sum_binomial_le_pow_of_le(m = 10*i, d = 3)\n"
            "have bad: 4261 <= (10*e*i/3)^3 by sum_binomial_le_pow_of_le(m = 10*i, d = 3)\n")
    verdicts = _verdicts(text)
    assert verdicts[3] == Status.PROVED
    assert verdicts[4] != Status.PROVED


def test_objects_are_named_in_refusals() -> None:
    """A citation that names an unknown parameter, or gives a function object as an
    expression, is refused with a reason that lists the theorem's objects."""
    text = ("exercise a\ngiven L > 0\nassume Smooth[loss] <= L\n"
            "have d: loss[v] <= loss[w] + Inner[Grad[loss, w], v - w] + L/2*Norm[v - w]^2 "
            "by descent_lemma(f = 2*loss, x = w, y = v, L = L)\n"
            "have m: P[Y >= 3] <= E[Y]/3 by markov(W = Y, a = 3)\n")
    result = check_text(text, "t.proof", budget_s=1.0, library=LIB)
    reasons = {s.line: s.verdict for s in result.steps}
    assert reasons[4].status != Status.PROVED and "must be a name" in reasons[4].reason
    assert reasons[5].status != Status.PROVED and "its objects Z" in reasons[5].reason


def test_a_match_outside_the_theorems_domains_is_no_match() -> None:
    """Matching a theorem against a step of numbers (which SymPy simplifies) bound a = 0 and
    refuted a true step "outside the hypotheses"; such a match is refused instead."""
    text = ("have pt: (1/2)*log(1/2) + (9/10)*log(1/2) <= (1/2)*log((1/2)/(1/2 + 9/10)) "
            "+ (9/10)*log((9/10)/(1/2 + 9/10))   by mul_log_add_mul_log_one_sub_le\n")
    step = next(s for s in check_text(text, budget_s=2.0, library=LIB).steps)
    assert step.verdict.status is not Status.REFUTED
    assert "give them" in step.verdict.reason
