"""Instructor commands: ``proofcheck validate``, ``new`` and ``show``."""

from __future__ import annotations

import argparse
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from checker.diagnostics import CheckerError, did_you_mean
from checker.exercises import Exercise, default_root, load_catalog, seed_for

if TYPE_CHECKING:
    from checker.validate import Report


def _validate_one(ex: Exercise, budget: float, mutants: bool) -> Report:
    from checker.engines import portfolio
    from checker.library.theorems import default_library
    from checker.validate import validate

    portfolio.set_cache(portfolio.MemoryCache())  # samples repeat the solution's obligations
    return validate(ex, default_library(), budget, mutants=mutants)


def cmd_validate(args: argparse.Namespace) -> tuple[str, int]:
    roots = list(args.paths) or [default_root()]
    for root in roots:
        if not root.exists():
            return f"proofcheck: error: {root} does not exist", 2
    catalog = load_catalog(roots[0])
    for root in roots[1:]:
        more = load_catalog(root)
        catalog.diagnostics += more.diagnostics
        for ex_id, ex in more.exercises.items():
            if ex_id in catalog.exercises and catalog.exercises[ex_id].folder != ex.folder:
                return f"proofcheck: error: exercise id {ex_id!r} is used twice", 2
            catalog.exercises[ex_id] = ex
    lines = [d.format() for d in catalog.diagnostics]
    if not catalog.exercises:
        if not catalog.diagnostics:  # a file that failed to load was reported above
            lines.append("proofcheck: no exercise.toml under " + ", ".join(map(str, roots)))
        return "\n".join(lines), 2
    exercises = list(catalog.exercises.values())
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, len(exercises)))
    work = partial(_validate_one, budget=args.budget, mutants=not args.no_mutants)
    if jobs == 1:
        reports = [work(ex) for ex in exercises]
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            reports = list(pool.map(work, exercises))
    failed = 0
    killed = total = 0
    for ex, rep in zip(exercises, reports, strict=True):
        failed += not rep.ok
        killed += rep.killed
        total += rep.mutants
        mutants = f"; mutants rejected {rep.killed}/{rep.mutants}" if rep.mutants else ""
        lines.append(f"{'ok  ' if rep.ok else 'FAIL'} {ex.id} ({ex.folder}){mutants}")
        lines += [f"     problem: {p}" for p in rep.problems]
        lines += [f"     note: {n}" for n in rep.notes]
        if rep.survivors and rep.ok:
            lines += [f"     surviving mutant: {s}" for s in rep.survivors]
    n = len(catalog.exercises)
    rate = f"; {killed}/{total} mutants rejected overall" if total else ""
    lines.append(f"{n - failed} of {n} exercises valid{rate}")
    code = 2 if catalog.diagnostics else (1 if failed else 0)
    return "\n".join(lines), code


TEMPLATE = '''id = "{id}"
title = "TODO: a short title"
topic = "{topic}"
statement = """
TODO: the problem in Markdown (a variant parameter n is written with braces around it).
"""
givens = ["x > 0"]
goal = "x + 1/x >= 2"
allowed = []
solution = "solution.proof"
points = {{ goal = 4, steps = 2 }}
# what a step with no cited fact or theorem may close: "identities", "polynomial" or "anything"
policy = {{ automation = "anything" }}

# what the student must show on the way (compared as written, up to algebra); a submission
# that only restates the goal must earn at most 20% of the points, or validate fails
[[milestone]]
relation = "x + 1/x = 2 + (x - 1)^2/x"
points = 4
hint = "TODO: a hint for this milestone."

# [[required]]
# theorems = ["some_theorem"]
# why = "TODO: why the exercise is about citing it"

[[hint]]
text = "TODO: a general hint."

[[hint]]
step = "(x - 1)^2/x"
text = "TODO: a hint for the step that reaches this expression."

[[sample]]
file = "samples/right.proof"
expect = "accepted"

[[sample]]
file = "samples/wrong.proof"
expect = "rejected"
line = 6
verdict = "refuted"

# [variants]
# n = "{{100, 200, 500}}"
'''

SOLUTION = """exercise {id}
given x > 0
show x + 1/x >= 2
  x + 1/x
    = 2 + (x - 1)^2/x   by algebra
    >= 2
qed
"""

WRONG = """exercise {id}
given x > 0
show x + 1/x >= 2
  x + 1/x
    = 2 + (x - 1)^2/x   by algebra
    >= 3
    >= 2
qed
"""


def cmd_new(args: argparse.Namespace) -> tuple[str, int]:
    root: Path = args.dir or default_root()
    folder = root / args.topic / args.id
    if folder.exists():
        return f"proofcheck: error: {folder} already exists", 2
    if not args.id.replace("_", "").isalnum():
        return "proofcheck: error: an exercise id is letters, digits and underscores", 2
    (folder / "samples").mkdir(parents=True)
    (folder / "exercise.toml").write_text(TEMPLATE.format(id=args.id, topic=args.topic))
    (folder / "solution.proof").write_text(SOLUTION.format(id=args.id))
    (folder / "samples" / "right.proof").write_text(SOLUTION.format(id=args.id))
    (folder / "samples" / "wrong.proof").write_text(WRONG.format(id=args.id))
    return (f"created {folder}/ with exercise.toml, solution.proof and two samples;\n"
            f"edit them, then run: proofcheck validate {folder}"), 0


def cmd_show(args: argparse.Namespace) -> tuple[str, int]:
    catalog = load_catalog(args.exercises or default_root())
    ex = catalog.exercises.get(args.id)
    if ex is None:
        return (f"proofcheck: no exercise named {args.id!r}"
                + did_you_mean(args.id, list(catalog.exercises))), 2
    seed = args.seed
    if args.student is not None:
        seed = seed_for(args.student, ex.id)
    try:
        values = ex.variant(seed)
    except CheckerError as exc:
        return "\n".join(d.format() for d in exc.diagnostics), 2
    lines = [f"# {ex.title}", "", ex.render(seed).strip(), ""]
    lines.append("Given: " + ", ".join(str(g) for g in ex.texts.get("givens", [])))
    for d in ex.texts.get("definitions", []):
        lines.append(f"Let: {d}")
    lines.append(f"Show: {ex.texts['goal']}")
    for m in ex.milestones:
        lines.append(f"Milestone ({m.points:g} points): {m.text}")
    for r in ex.required:
        lines.append("Cite: " + " or ".join(r.theorems) + (f" ({r.why})" if r.why else ""))
    if ex.allowed is not None:
        lines.append("Theorems you may cite: " + (", ".join(ex.allowed) or "none"))
    if ex.automation != "anything":
        lines.append("Steps without a cited fact or theorem may close: " + {
            "identities": "identities only",
            "polynomial": "identities and polynomial inequalities"}[ex.automation])
    if values:
        shown = ", ".join(f"{k} = {v}" for k, v in values.items())
        which = f"seed {seed}" if seed is not None else "the default variant; pass --seed"
        lines.append(f"Variant ({which}): {shown}")
    lines.append(f"Points: {ex.max_points:g}")
    return "\n".join(lines), 0
