"""proofcheck: checks stepwise proof sketches for a course on the theory of deep learning.

The public API (the command line is a thin layer over it)::

    from checker import check_file, check_claim
    check_file("exercises/generalization/finite_class_agnostic/solution.proof").exit_code
    check_claim("exp(x) >= 1 + x", assume=["x in [-5, 5]"]).verdict.status
"""

__version__ = "0.1.0"

from checker.check import ClaimResult, FileResult, StepResult, check_claim, check_file, check_text
from checker.diagnostics import CheckerError, Diagnostic, ParseError
from checker.obligations import Counterexample, Status, Verdict

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
