"""Property tests of the parser: hostile or random text only ever yields our own errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.check import check_text
from checker.diagnostics import CODES, ParseError
from checker.elaborate import Elaborator
from checker.printing import show
from checker.syntax.parse import parse_expression, parse_text

from .strategies import polynomials, proof_lines

ALPHABET = st.sampled_from([*"xyz019+-*/^()[]|,.=<>!:# \n\tabeglnopqrstv_",
                           "exp(", "log(", "sqrt(", "given ", "let ", "have ", "show ", "qed",
                            " by ", "**", "<=", "≥", "≠", "@", "'", "\\", "\x00", "é"])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_random_text_never_crashes_the_parser(text: str) -> None:
    """Random text gives a ProofFile and coded diagnostics, or our ParseError; nothing else."""
    try:
        proof, diags = parse_text(text, "fuzz.proof")
    except ParseError as exc:
        assert exc.diagnostics
        return
    assert all(d.code in CODES for d in diags)
    if not any(d.severity == "error" for d in diags):
        Elaborator(proof).run()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(proof_lines(), min_size=1, max_size=6).map("\n".join))
def test_grammar_generated_text_elaborates_or_is_coded(text: str) -> None:
    """Text the grammar accepts either elaborates or yields coded diagnostics; never a crash."""
    proof, diags = parse_text(text, "gen.proof")
    assert all(d.code in CODES for d in diags)
    if not any(d.severity == "error" for d in diags):
        _, more = Elaborator(proof).run()
        assert all(d.code in CODES for d in more)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(proof_lines(), min_size=1, max_size=3).map("\n".join))
def test_grammar_generated_text_checks_without_crashing(text: str) -> None:
    """The whole pipeline on generated text returns a result with a valid exit code."""
    result = check_text(text, "gen.proof", budget_s=0.2)
    assert result.exit_code in (0, 1, 2)


@settings(max_examples=200, deadline=None)
@given(polynomials())
def test_printed_expressions_read_back_the_same(p: object) -> None:
    """Printing an expression in our language and parsing it again gives the same value."""
    text = show(p)  # type: ignore[arg-type]
    assert p == parse_expression(text).value
