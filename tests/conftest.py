"""Shared test set-up: paths to the shipped examples."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


@pytest.fixture
def agnostic() -> Path:
    return EXERCISES / "generalization" / "finite_class_agnostic" / "solution.proof"


def error_cases(path: Path) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    """The cases of a ``.test`` file of expected errors: ``=== name``, the text, then
    ``--- expect`` and one ``row:col code`` per line; as (name, text, [(row, col, code)])."""
    cases = []
    for chunk in path.read_text(encoding="utf-8").split("\n=== ")[1:]:
        name, _, rest = chunk.partition("\n")
        text, _, expect = rest.partition("--- expect\n")
        expected = []
        for line in expect.strip().splitlines():
            place, code = line.split()
            row, col = place.split(":")
            expected.append((int(row), int(col), code))
        cases.append((name.strip(), text, expected))
    return cases


def wait_up(url: str, seconds: float = 60.0) -> None:
    """Wait until the playground at ``url`` answers its health check (a hang guard)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=5) as r:
                if json.load(r)["status"] == "ok":
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)
