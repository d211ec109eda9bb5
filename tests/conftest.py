"""Shared test set-up: paths to the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"


@pytest.fixture
def agnostic() -> Path:
    return EXERCISES / "generalization" / "finite_class_agnostic" / "solution.proof"
