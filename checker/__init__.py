"""proofcheck: checks stepwise proof sketches for a course on the theory of deep learning.

The public API (the command line is a thin layer over it)::

    from checker import check_file, check_claim
    check_file("exercises/generalization/finite_class_agnostic/solution.proof").exit_code
    check_claim("exp(x) >= 1 + x", assume=["x in [-5, 5]"]).verdict.status
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from checker.diagnostics import CheckerError, Diagnostic, ParseError

if TYPE_CHECKING:
    from checker.check import (
        ClaimResult,
        FileResult,
        StepResult,
        check_claim,
        check_file,
        check_text,
    )
    from checker.obligations import Counterexample, Status, Verdict

_LAZY = {
    "ClaimResult": "checker.check", "FileResult": "checker.check", "StepResult": "checker.check",
    "check_claim": "checker.check", "check_file": "checker.check", "check_text": "checker.check",
    "Counterexample": "checker.obligations", "Status": "checker.obligations",
    "Verdict": "checker.obligations",
}


def __getattr__(name: str) -> Any:
    """Load the engines only when they are used (``proofcheck --version`` stays instant)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'checker' has no attribute {name!r}")

__all__ = [
    "CheckerError",
    "ClaimResult",
    "Counterexample",
    "Diagnostic",
    "FileResult",
    "ParseError",
    "Status",
    "StepResult",
    "Verdict",
    "__version__",
    "check_claim",
    "check_file",
    "check_text",
]
