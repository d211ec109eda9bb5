"""Hostile input: every case is a coded diagnostic with exit 2 and nothing is executed.

Speed is measured in bench/ (not asserted here); the timeouts below only catch hangs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker import check_file

from .conftest import ROOT


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", "check", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("body", "code"), [
    ("show __import__('os').system('touch {marker}') = 0", "unexpected-character"),
    ("have h: 10^10^10 = 1", "exponent-too-large"),
    ("have h: factorial(10^8) = 1", "argument-too-large"),
    ("have h: " + "(" * 5000 + "x" + ")" * 5000 + " = x", "line-too-long"),
    ("have h: x = " + "(" * 400 + "x" + ")" * 400, "nesting-too-deep"),
])
def test_hostile_expressions(tmp_path: Path, body: str, code: str) -> None:
    """Each hostile line gets its own coded error, exit 2, and runs nothing."""
    marker = tmp_path / "pwned"
    f = tmp_path / "h.proof"
    f.write_text("exercise t\ngiven x real\n" + body.format(marker=marker) + "\n")
    proc = _run(f)
    assert proc.returncode == 2, proc.stdout
    assert f"[{code}]" in proc.stdout
    assert not marker.exists()


def test_5000_nested_parentheses_over_lines(tmp_path: Path) -> None:
    """5,000 nested parentheses spread over short lines are refused, not recursed into."""
    f = tmp_path / "deep.proof"
    f.write_text("exercise t\nhave h: x = " + "(\n" * 5000 + "x" + ")" * 5000 + "\n")
    result = check_file(f)
    assert result.exit_code == 2
    assert {"nesting-too-deep"} <= {d.code for d in result.diagnostics}


def test_five_megabyte_file(tmp_path: Path) -> None:
    """A 5 MB file is refused by size before it is read whole."""
    f = tmp_path / "big.proof"
    f.write_text("exercise t\n" + "# padding\n" * 500_000)
    proc = _run(f)
    assert proc.returncode == 2
    assert "[file-too-large]" in proc.stdout


@pytest.mark.parametrize(("data", "code"), [
    (b"\x00\x01\x02binary\xff", "not-text"),
    (b"exercise t\n\xff\xfe bad utf8\n", "not-text"),
])
def test_binary_junk(tmp_path: Path, data: bytes, code: str) -> None:
    """Binary junk is a coded error, not a traceback."""
    f = tmp_path / "junk.proof"
    f.write_bytes(data)
    result = check_file(f)
    assert result.exit_code == 2
    assert [code] == [d.code for d in result.diagnostics]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    """A file with nothing to check is an error (usually the wrong file), never "0 checked"."""
    f = tmp_path / "empty.proof"
    f.write_text(text)
    result = check_file(f)
    assert result.steps == ()
    assert ["empty-proof"] == [d.code for d in result.diagnostics]
    assert 2 == result.exit_code


def test_no_evaluator_is_applied_to_text() -> None:
    """No eval(, exec(, sympify(, parse_expr( or lambdify( anywhere under checker/."""
    pattern = re.compile(r"\b(eval|exec|sympify|parse_expr|lambdify)\(")
    hits = [f"{p}:{i}" for p in (ROOT / "checker").rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []
