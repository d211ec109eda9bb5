"""Issue 12's acceptance: every example listed under "Why" is proved by ``proofcheck claim``
with its natural assumptions. The examples live in ``data/engines_why/examples.txt`` (one claim a
line, its family and its assumptions); each runs through the Python API (``check_claim``), the
issue's own example also through the installed command. Lines marked ``fast`` run in the default
suite, the others in the slow profile (``pytest -m slow``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from checker import Status, check_claim

DATA = Path(__file__).parent / "data" / "engines_why" / "examples.txt"

# the families of the issue's "Why" list: each must keep at least one example
FAMILIES = {"unbounded", "maxminabs", "jensen", "monotone-hypothesis", "integer", "sums", "phi",
            "metitarski", "log-identity"}


class Example(NamedTuple):
    family: str
    fast: bool
    claim: str
    assume: list[str]
    line: int


def examples() -> list[Example]:
    """``family [fast] | claim | a; b; ...`` (``-`` for no assumption); ``|x|`` in a claim is
    fine: only `` | `` with spaces on both sides separates the fields."""
    out: list[Example] = []
    for no, raw in enumerate(DATA.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, rest = line.split(" | ", 1)
        claim, assume = rest.rsplit(" | ", 1)
        family, *flags = head.split()
        assert family in FAMILIES and flags in ([], ["fast"]), f"{DATA}:{no}: {head!r}"
        given = [] if assume.strip() == "-" else [a.strip() for a in assume.split(";")]
        out.append(Example(family, flags == ["fast"], claim.strip(), given, no))
    return out


EXAMPLES = examples()


def test_the_data_file_covers_every_family() -> None:
    assert {e.family for e in EXAMPLES} == FAMILIES
    assert 4 <= sum(e.fast for e in EXAMPLES) <= 6  # the default suite's share stays small


@pytest.mark.parametrize("ex", [
    pytest.param(e, id=f"{e.family}: {e.claim}", marks=() if e.fast else pytest.mark.slow)
    for e in EXAMPLES])
def test_why_example_is_proved(ex: Example) -> None:
    result = check_claim(ex.claim, ex.assume)
    v = result.verdict
    assert v.status is Status.PROVED, f"{DATA}:{ex.line}: {v.status.value}: {v.engine}: {v.reason}"
    assert v.reason  # a proof method says what it proved


def test_cli_proves_the_issue_example() -> None:
    """The command a student types, as the issue gives it."""
    out = subprocess.run(
        [sys.executable, "-m", "checker", "claim", "exp(-k*mu/L) <= eps", "--assume", "L > 0",
         "--assume", "mu in (0, L]", "--assume", "eps in (0, 1)", "--assume",
         "k >= (L/mu)*log(1/eps)"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("proved"), out.stdout
    assert "substituted k = " in out.stdout  # the method names what it used
