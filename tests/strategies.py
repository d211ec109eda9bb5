"""Shared Hypothesis strategies: text from our grammars, and claims known true or false."""

from __future__ import annotations

from pathlib import Path

import sympy as sp
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

import checker.syntax.parse as parse_module

GRAMMAR_DIR = Path(parse_module.__file__).parent


def proof_lines() -> st.SearchStrategy[str]:
    """Lines generated from the proof grammar itself (syntactically valid statements)."""
    grammar = Lark.open(str(GRAMMAR_DIR / "proof.lark"), parser="lalr", start="line",
                        lexer="basic")
    return from_lark(grammar, start="line", explicit={
        "EXERCISE_ID": st.sampled_from(["t", "ex_1", "a.b-c"]),
        "NAME": st.sampled_from(["x", "y", "delta", "p_A", "algebra", "h1", "exp", "e", "pi",
                                 "log", "sqrt", "sum", "Phi_inv", "foo", "in", "by"]),
        "NUMBER": st.sampled_from(["0", "1", "2", "0.5", "10", "1e3", "3.25e-2"]),
        "COMMENT": st.just("# c"),
    })


X, Y = sp.symbols("x y", real=True)


@st.composite
def polynomials(draw: st.DrawFn, variables: tuple[sp.Symbol, ...] = (X, Y)) -> sp.Expr:
    """A small polynomial with integer coefficients."""
    terms = draw(st.lists(st.tuples(st.integers(-4, 4), st.integers(0, 2), st.integers(0, 2)),
                          min_size=1, max_size=4))
    return sp.Add(*[c * variables[0] ** i * variables[1] ** j for c, i, j in terms])
