"""Batch grading: ``proofcheck grade SUBMISSIONS --exercises PATH --out RESULTS``.

Grades a class's proof files against the exercises' rubrics in isolated worker processes,
with a persistent verdict cache, resumable records and exports for Gradescope, PrairieLearn,
a CSV gradebook and a Markdown class summary. See ``docs/grading.md``.

    from checker.grade import Options, grade
    summary = grade(Options(Path("submissions"), Path("results"), Path("exercises/hw3")))
"""

from checker.grade.batch import GradeError, Options, Summary, cmd_grade, grade
from checker.grade.limits import Limits

__all__ = ["GradeError", "Limits", "Options", "Summary", "cmd_grade", "grade"]
