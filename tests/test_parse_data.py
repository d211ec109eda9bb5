"""Data-driven parser cases from tests/data/parse-*.test (new cases are picked up automatically).

Run one file's cases with ``pytest tests/test_parse_data.py -k errors``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.check import check_text
from checker.syntax.parse import parse_expression

from .conftest import error_cases

DATA = Path(__file__).parent / "data"


def _expression_cases() -> list[tuple[str, str, str | None]]:
    cases = []
    for line in (DATA / "parse-expressions.test").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, expect = line.partition(" ==> ")
        value, _, reading = expect.partition(" || ")
        cases.append((text.strip(), value.strip(), reading.strip() or None))
    return cases


def _error_cases() -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    return error_cases(DATA / "parse-errors.test")


@pytest.mark.parametrize(("text", "value", "reading"), _expression_cases(),
                         ids=[c[0] for c in _expression_cases()])
def test_expression(text: str, value: str, reading: str | None) -> None:
    """The expression becomes the expected SymPy value (and reading, when given)."""
    expr = parse_expression(text)
    assert value == str(expr.value)
    if reading is not None:
        assert reading == expr.shown


@pytest.mark.parametrize(("name", "text", "expected"), _error_cases(),
                         ids=[c[0] for c in _error_cases()])
def test_diagnostics(name: str, text: str, expected: list[tuple[int, int, str]]) -> None:
    """The proof text gives exactly the expected diagnostics, at the expected places."""
    result = check_text(text, "case.proof", budget_s=0.5)
    got = [(d.line, d.col, d.code) for d in result.diagnostics]
    assert expected == got, "\n".join(d.format() for d in result.diagnostics)
