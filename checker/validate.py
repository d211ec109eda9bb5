"""``proofcheck validate``: can an exercise tell right from wrong before students see it?

For each exercise: the reference solution passes (at several variant seeds); every sample gets
its expected outcome (a rejected one at the expected line); the goal is not refuted
numerically; every allowed theorem exists; the statement's placeholders are parameters. Then a
mutation test: small perturbations of the reference solution (a constant, a relation's
direction, a dropped term or factor, a swapped function) must be rejected; an exercise whose
checks let more than 5% of them through fails. In an exercise without parameters, a mutant
whose every step is proved is still a proof (a weaker but true bound): it is noted, not
counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.check import FileResult, check_proof
from checker.exercises import Exercise
from checker.library.theorems import Library
from checker.obligations import Status
from checker.printing import show
from checker.syntax.ast import Chain, Expr, Have, Show
from checker.syntax.parse import parse_file, parse_text

MUTANT_RATE = 0.95  # the least share of mutants an exercise must reject
LAZY_SHARE = 0.2  # the most a submission that only restates the goal may earn
MAX_MUTANTS = 12
SWAPS = {"exp(": "log(", "log(": "exp(", "sqrt(": "log(", "Phi_inv(": "Phi(", "Phi(": "Phi_inv(",
         "sin(": "cos(", "cos(": "sin(", "tanh(": "sigmoid(", "sigmoid(": "tanh("}
FLIPS = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}


@dataclass
class Report:
    exercise: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mutants: int = 0
    killed: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rate(self) -> float:
        return self.killed / self.mutants if self.mutants else 1.0


def seeds_for(ex: Exercise) -> list[int | None]:
    return [None, 1, 2, 3] if ex.parameters else [None]


def check_submission(path: Path, ex: Exercise, seed: int | None, lib: Library | None,
                     budget_s: float) -> FileResult:
    from checker.check import with_exercise_vectors

    proof, diags = parse_file(path)
    proof, diags = with_exercise_vectors(proof, diags, ex)
    return check_proof(proof, diags, budget_s, lib, ex, seed)


def first_failure(result: FileResult) -> tuple[int, str] | None:
    """(line, verdict) of the first step that is not proved, in line order."""
    bad = [s for s in result.steps if s.verdict.status is not Status.PROVED]
    if not bad:
        return None
    steps = [s for s in bad if s.kind not in ("goal", "exercise")] or bad
    s = min(steps, key=lambda s: (s.line, s.kind == "exercise"))
    return s.line, s.verdict.status.value


def validate(ex: Exercise, lib: Library | None = None, budget_s: float = 2.0,
             mutants: bool = True) -> Report:
    rep = Report(ex.id)
    for key in ("title", "statement"):  # a scaffold is not an exercise until it is written
        if "TODO" in str(getattr(ex, key)):
            rep.problems.append(f"the {key} still says TODO (written by `proofcheck new`)")
    # the statement's placeholders and the parameters agree
    names = {p.name for p in ex.parameters}
    for placeholder in re.findall(r"\{([A-Za-z][A-Za-z0-9_]*)\}", ex.statement):
        if placeholder not in names:
            rep.problems.append(f"the statement uses {{{placeholder}}}, which is no parameter")
    if lib is not None and ex.allowed is not None:
        for name in ex.allowed:
            if lib.get(name) is None:
                rep.problems.append(f"`allowed` names {name!r}, which is not in the library")
    # the reference solution passes at every seed
    for seed in seeds_for(ex):
        if not ex.solution.exists():
            rep.problems.append(f"the solution {ex.solution} does not exist")
            break
        r = check_submission(ex.solution, ex, seed, lib, budget_s)
        if r.assessment is None or not r.assessment.passed:
            why = r.assessment.summary if r.assessment else "; ".join(
                d.message for d in r.diagnostics)
            fail = first_failure(r)
            where = f" (line {fail[0]} is {fail[1]})" if fail else ""
            rep.problems.append(f"the reference solution does not pass at seed {seed}: "
                                f"{why}{where}")
            break
        big = [d for d in r.assessment.findings if d.code == "step-too-large"]
        if big and seed is None:
            rep.problems.append(f"the reference solution's line {big[0].line} is larger than "
                                "the exercise's step-size policy allows")
    # samples
    wrong = 0
    for sample in ex.samples:
        if not sample.file.exists():
            rep.problems.append(f"sample {sample.file.name} does not exist")
            continue
        r = check_submission(sample.file, ex, sample.seed, lib, budget_s)
        passed = r.assessment is not None and r.assessment.passed
        name = sample.file.name
        if sample.expect == "accepted" and not passed:
            fail = first_failure(r)
            rep.problems.append(f"sample {name} should be accepted but is not"
                                + (f" (line {fail[0]} is {fail[1]})" if fail else ""))
        elif sample.expect == "rejected":
            wrong += 1
            fail = first_failure(r)
            if passed:
                rep.problems.append(f"sample {name} should be rejected but passes")
            elif sample.line is not None and (fail is None or fail[0] != sample.line):
                got = f"line {fail[0]} ({fail[1]})" if fail else "no failing step"
                rep.problems.append(f"sample {name} should fail at line {sample.line}, "
                                    f"but fails at {got}")
            elif sample.verdict is not None and fail is not None and fail[1] != sample.verdict:
                rep.problems.append(f"sample {name} should be {sample.verdict} at line "
                                    f"{sample.line}, but is {fail[1]}")
    if wrong < 2:
        rep.notes.append(f"only {wrong} wrong sample(s); two or more catch more mistakes")
    for name, share in _lazy_scores(ex, budget_s, lib):
        if share > LAZY_SHARE:
            rep.problems.append(
                f"the lazy submission `{name}` earns {share:.0%} of the points (at most "
                f"{LAZY_SHARE:.0%} allowed): add milestones or required citations, or "
                "restrict policy.automation (docs/exercise-format.md)")
            break
    # the goal is not refuted numerically
    goal_check = _goal_refuted(ex, budget_s, lib)
    if goal_check:
        rep.problems.append(goal_check)
    if mutants and ex.solution.exists() and not rep.problems:
        _mutation_test(ex, lib, budget_s, rep)
    return rep


def _check_against(ex: Exercise, text: str, name: str, budget_s: float,
                   lib: Library | None) -> FileResult | None:
    """A generated proof text checked against the exercise (None if it does not parse)."""
    from checker.syntax.parse import shapes_of
    from checker.vectors.build import declared

    with declared(shapes_of(ex.givens)):  # the exercise's vectors (docs/vectors.md)
        proof, diags = parse_text(text, f"{ex.id}:{name}")
    if any(d.blocking for d in diags):
        return None
    return check_proof(proof, diags, budget_s, lib, ex, None)


def lazy_submissions(ex: Exercise) -> list[tuple[str, str]]:
    """(name, text) of submissions that only restate the goal and close it in one automatic
    step: none of them may earn more than LAZY_SHARE of the points."""
    a, op, b = ex.goal.relations()[0]
    head = f"exercise {ex.id}\n"
    return [
        ("show GOAL by algebra", f"{head}show {a.text} {op} {b.text} by algebra\n"),
        ("one step by algebra", f"{head}show {a.text} {op} {b.text}\n  {a.text}\n"
                                f"    {op} {b.text}   by algebra\nqed\n"),
        ("one step, no justification", f"{head}show {a.text} {op} {b.text}\n  {a.text}\n"
                                       f"    {op} {b.text}\nqed\n"),
    ]


def _lazy_scores(ex: Exercise, budget_s: float, lib: Library | None) -> list[tuple[str, float]]:
    out = []
    for name, text in lazy_submissions(ex):
        r = _check_against(ex, text, name, budget_s, lib)
        a = r.assessment if r is not None else None
        out.append((name, a.score / a.max_score if a is not None and a.max_score else 0.0))
    return out


def _goal_refuted(ex: Exercise, budget_s: float, lib: Library | None) -> str | None:
    a, op, b = ex.goal.relations()[0]
    if a.value.atoms(AppliedUndef) or b.value.atoms(AppliedUndef):
        return None  # P[...] and the like are known only through theorems: no numeric test
    r = _check_against(ex, f"exercise {ex.id}\nshow {a.text} {op} {b.text} by numeric\n",
                       "goal", budget_s, lib)
    for s in r.steps if r is not None else ():
        if s.kind == "goal" and s.verdict.status is Status.REFUTED:
            cx = s.verdict.counterexample
            return ("the goal itself is refuted numerically"
                    + (f" at {cx.describe()}" if cx else ""))
    return None


# ---------------------------------------------------------------------------- mutation


def mutants_of(path: Path) -> list[tuple[str, str]]:
    """(description, text) of small perturbations of a proof, deterministic and spread over
    the kinds: a constant, a relation's direction, a dropped term or factor, a swapped
    function."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    proof, _ = parse_text(text, str(path))
    places: list[tuple[int, Expr, str | None]] = []  # (line, expression, step op)
    for st in proof.statements:
        chains: list[Chain] = []
        if isinstance(st, Show):
            chains = list(st.chains)
        elif isinstance(st, Chain):
            chains = [st]
        elif isinstance(st, Have):
            places += [(e.span.line, e, None) for e in st.claim.exprs]
        for ch in chains:
            places += [(s.expr.span.line, s.expr, s.op) for s in ch.steps]
    by_kind: dict[str, list[tuple[str, str]]] = {"constant": [], "direction": [], "drop": [],
                                                  "swap": []}

    def edit(line_no: int, old: str, new: str, what: str, kind: str) -> None:
        line = lines[line_no - 1]
        if old not in line or old == new:
            return
        changed = line.replace(old, new, 1)
        mutated = "\n".join([*lines[: line_no - 1], changed, *lines[line_no:]])
        by_kind[kind].append((f"line {line_no}: {what}", mutated))

    for line_no, expr, op in places:
        src = expr.text
        for m in re.finditer(r"(?<![\w.])(\d+)(?![\w.])", src):
            k = int(m.group(1))
            new_src = src[: m.start()] + str(k + 1) + src[m.end():]
            edit(line_no, src, new_src, f"{k} -> {k + 1} in {new_src[:40]}", "constant")
        if op in FLIPS:
            line = lines[line_no - 1]
            stripped = line.lstrip()
            if stripped.startswith(op):
                indent = line[: len(line) - len(stripped)]
                edit(line_no, line, indent + FLIPS[op] + stripped[len(op):],
                     f"{op} -> {FLIPS[op]}", "direction")
        value = expr.value
        for part in _dropped(value):
            edit(line_no, src, show(part), f"dropped a term or factor: {show(part)}", "drop")
        for old, new in SWAPS.items():
            if old in src and not (old == "Phi(" and "Phi_inv(" in src and src.count(old) == 0):
                idx = src.find(old)
                if old == "Phi(" and src[max(0, idx - 4):idx] == "inv(":
                    continue
                edit(line_no, src, src.replace(old, new, 1), f"{old[:-1]} -> {new[:-1]}", "swap")
    # round-robin over the kinds so every kind is represented
    out: list[tuple[str, str]] = []
    queues = [list(v) for v in by_kind.values()]
    while len(out) < MAX_MUTANTS and any(queues):
        for q in queues:
            if q and len(out) < MAX_MUTANTS:
                out.append(q.pop(0))
    return out


def _dropped(value: sp.Expr) -> list[sp.Expr]:
    """The expression with one top-level term (of a sum) or factor (of a product) removed."""
    if value.is_Add or value.is_Mul:
        args = list(value.args)
        out = []
        for i in range(len(args)):
            rest = args[:i] + args[i + 1:]
            if rest:
                out.append(value.func(*rest))
        return out[:2]
    return []


def _mutation_test(ex: Exercise, lib: Library | None, budget_s: float, rep: Report) -> None:
    proofs: list[str] = []
    for what, text in mutants_of(ex.solution):
        r = _check_against(ex, text, "mutant", min(budget_s, 1.0), lib)
        if r is None:
            continue  # a mutant that does not parse tells nothing about the checks
        if not ex.parameters and r.assessment is not None and r.assessment.passed and \
                r.steps and all(s.verdict.status is Status.PROVED for s in r.steps):
            # every step proved, for every value of the variables: the mutant is still a
            # proof (a weaker but true bound, `exp(-m*eps) <= delta` for `<= delta/k`), not a
            # wrong one the checks missed. (With parameters, the test runs at one variant,
            # where a wrong mutant may hold by accident: sigma^3 = sigma^2 at sigma = 1.)
            proofs.append(what)
            continue
        rep.mutants += 1
        if r.assessment is not None and not r.assessment.passed:
            rep.killed += 1
        else:
            rep.survivors.append(what)
    if proofs:
        rep.notes.append(f"{len(proofs)} mutant(s) still a complete proof, every step proved, "
                         f"so not counted ({', '.join(proofs[:2])})")
    if rep.mutants and rep.rate < MUTANT_RATE:
        rep.problems.append(
            f"the checks let {rep.mutants - rep.killed} of {rep.mutants} mutants of the "
            f"solution through ({', '.join(rep.survivors[:3])}): they cannot tell right from "
            "wrong well enough")
