"""Exercises: ``exercises/<topic>/<id>/exercise.toml`` loaded, and variants drawn from seeds.

See ``docs/exercise-format.md``. Loading checks the form (keys present, formulas readable)
and reports problems as coded diagnostics; ``validate.py`` checks the content.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from checker.diagnostics import CheckerError, Diagnostic, ParseError, make
from checker.syntax.ast import Declaration, Expr, RelChain
from checker.syntax.parse import parse_assumptions, parse_claim, parse_expression

REQUIRED = ("id", "title", "topic", "statement", "givens", "goal", "solution")
DEFAULT_MAX_STEP_GROWTH = 25
# what a step with no justification (or `by algebra`, `by numeric`) may close, weakest first
AUTOMATION = ("identities", "polynomial", "anything")
# every key an exercise.toml may use, and the keys of its tables (a typo is an error)
KEYS: dict[str, tuple[str, ...]] = {
    "": ("id", "title", "topic", "statement", "givens", "definitions", "goal", "allowed",
         "solution", "points", "policy", "hint", "sample", "variants", "milestone",
         "required"),
    "points": ("goal", "steps"),
    "policy": ("max_step_growth", "automation"),
    "hint": ("text", "step"),
    "sample": ("file", "expect", "line", "verdict", "seed"),
    "milestone": ("relation", "points", "hint"),
    "required": ("theorems", "why"),
}


def default_root() -> Path:
    return Path(__file__).resolve().parent.parent / "exercises"


@dataclass(frozen=True)
class Hint:
    text: str
    step: Expr | None = None


@dataclass(frozen=True)
class Milestone:
    """An intermediate relation a submission must establish (proved) before its goal counts."""

    relation: RelChain
    text: str
    points: float = 0.0
    hint: str = ""


@dataclass(frozen=True)
class Required:
    """A citation the submission's proof of the goal must make: one of ``theorems``."""

    theorems: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class Sample:
    file: Path
    expect: str  # "accepted" or "rejected"
    line: int | None = None
    verdict: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    choices: tuple[Fraction, ...] = ()  # a finite set
    interval: tuple[Fraction, Fraction] | None = None  # or a closed interval
    text: str = ""

    def draw(self, rng: random.Random) -> Fraction:
        if self.choices:
            return self.choices[rng.randrange(len(self.choices))]
        assert self.interval is not None
        lo, hi = self.interval
        # exact values with a short decimal expansion, so statements stay readable
        steps = 100
        return lo + (hi - lo) * Fraction(rng.randint(0, steps), steps)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    topic: str
    statement: str
    givens: tuple[Declaration, ...]
    definitions: tuple[tuple[str, Expr], ...]
    goal: RelChain
    allowed: tuple[str, ...] | None
    folder: Path
    solution: Path
    points_goal: float = 1.0
    points_steps: float = 0.0
    max_step_growth: int = DEFAULT_MAX_STEP_GROWTH
    hints: tuple[Hint, ...] = ()
    samples: tuple[Sample, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    texts: dict[str, Any] = field(default_factory=dict, compare=False)
    milestones: tuple[Milestone, ...] = ()
    required: tuple[Required, ...] = ()
    automation: str = "anything"

    @property
    def max_points(self) -> float:
        return self.points_goal + self.points_steps + sum(m.points for m in self.milestones)

    def variant(self, seed: int | None) -> dict[str, Fraction]:
        """The parameters' values for a seed (None: the first value of each parameter)."""
        if seed is None:
            return {p.name: p.choices[0] if p.choices else p.interval[0]  # type: ignore[index]
                    for p in self.parameters}
        digest = hashlib.sha256(f"{self.id}:{seed}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        return {p.name: p.draw(rng) for p in self.parameters}

    def render(self, seed: int | None = None) -> str:
        """The statement for a variant, with parameters replaced by their values."""
        values = self.variant(seed)
        text = self.statement
        for name, v in values.items():
            text = text.replace("{" + name + "}", _number(v))
        return text


def seed_for(student: str, exercise_id: str) -> int:
    """A student's variant seed: stable across runs and machines."""
    digest = hashlib.sha256(f"{student}\0{exercise_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _number(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    from checker.printing import decimal

    dec = decimal(v)
    return dec if len(dec) <= 12 else f"{v.numerator}/{v.denominator}"


def _rational(text: str) -> Fraction:
    value = parse_expression(text).value
    if not value.is_Rational:
        raise ValueError(f"{text!r} is not a rational number")
    return Fraction(int(value.p), int(value.q))


def _parameter(name: str, text: str) -> Parameter:
    t = text.strip()
    if t.startswith("{") and t.endswith("}"):
        return Parameter(name, tuple(_rational(x) for x in t[1:-1].split(",")), None, t)
    if t.startswith("[") and t.endswith("]"):
        lo, hi = (_rational(x) for x in t[1:-1].split(","))
        if lo > hi:
            raise ValueError(f"empty interval {t}")
        return Parameter(name, (), (lo, hi), t)
    raise ValueError(f"a parameter is a set {{a, b}} or an interval [lo, hi], not {t!r}")


def load_exercise(path: Path) -> Exercise:
    """Load ``exercise.toml`` (or the folder holding it); raises CheckerError with diagnostics."""
    toml = path / "exercise.toml" if path.is_dir() else path
    folder = toml.parent
    name = str(toml)

    def fail(detail: str, needle: str = "") -> CheckerError:
        line = 0
        if needle:
            for i, text in enumerate(toml.read_text(encoding="utf-8").splitlines(), 1):
                if needle in text:
                    line = i
                    break
        return CheckerError([make("exercise-file", file=name, line=line, detail=detail)])

    try:
        doc = tomllib.loads(toml.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise fail(f"cannot read the exercise: {exc}") from None
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise fail(f"the exercise lacks {', '.join(missing)}")
    unknown = _unknown_key(doc)
    if unknown is not None:
        raise fail(*unknown)
    try:
        from checker.syntax.parse import shapes_of
        from checker.vectors.build import declared

        givens: list[Declaration] = []
        for g in doc["givens"]:  # the vectors they declare are in force below (docs/vectors.md)
            with declared(shapes_of(givens)):
                givens += list(parse_assumptions(g))
        scope = declared(shapes_of(givens))
        scope.__enter__()
    except ParseError as exc:
        d = exc.diagnostics[0]
        raise fail(f"{d.message} [{d.code}]") from None
    try:
        definitions = []
        for d in doc.get("definitions", []):
            left, _, right = d.partition("=")
            definitions.append((left.strip(), parse_expression(right)))
        goal = parse_claim(doc["goal"])
        hints = tuple(Hint(h["text"], parse_expression(h["step"]) if "step" in h else None)
                      for h in doc.get("hint", []))
        params = tuple(_parameter(k, str(v)) for k, v in doc.get("variants", {}).items())
        milestones = tuple(_milestone(m) for m in doc.get("milestone", []))
        required = tuple(_required(r) for r in doc.get("required", []))
    except ParseError as exc:
        d = exc.diagnostics[0]
        raise fail(f"{d.message} [{d.code}]") from None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc)) from None
    finally:
        scope.__exit__(None, None, None)
    samples = []
    for s in doc.get("sample", []):
        if s.get("expect") not in ("accepted", "rejected"):
            raise fail('each sample needs expect = "accepted" or "rejected"', str(s.get("file")))
        samples.append(Sample(folder / s["file"], s["expect"], s.get("line"), s.get("verdict"),
                              s.get("seed")))
    points = doc.get("points", {})
    policy = doc.get("policy", {})
    allowed = doc.get("allowed")
    automation = str(policy.get("automation", "anything"))
    if automation not in AUTOMATION:
        from checker.diagnostics import did_you_mean

        raise fail(f"policy.automation is {automation!r}; it is one of "
                   + ", ".join(AUTOMATION) + did_you_mean(automation, AUTOMATION), "automation")
    return Exercise(
        id=str(doc["id"]), title=str(doc["title"]), topic=str(doc["topic"]),
        statement=str(doc["statement"]), givens=tuple(givens), definitions=tuple(definitions),
        goal=goal, allowed=tuple(allowed) if allowed is not None else None, folder=folder,
        solution=folder / doc["solution"], points_goal=float(points.get("goal", 1)),
        points_steps=float(points.get("steps", 0)),
        max_step_growth=int(policy.get("max_step_growth", DEFAULT_MAX_STEP_GROWTH)),
        hints=hints, samples=tuple(samples), parameters=params, texts=dict(doc),
        milestones=milestones, required=required, automation=automation)


def _unknown_key(doc: dict[str, Any]) -> tuple[str, str] | None:
    """(message, the key) for the first key that exercise.toml does not know, if any."""
    from checker.diagnostics import did_you_mean

    tables: list[tuple[str, dict[str, Any]]] = [("", doc)]
    for table in KEYS:
        value = doc.get(table) if table else None
        if isinstance(value, dict):
            tables.append((table, value))
        elif isinstance(value, list):
            tables += [(table, v) for v in value if isinstance(v, dict)]
    for table, entries in tables:
        for key in entries:
            if key not in KEYS[table]:
                where = f"[{table}] " if table else ""
                return (f"unknown key {where}{key!r}{did_you_mean(key, KEYS[table])}", key)
    return None


def _milestone(entry: dict[str, Any]) -> Milestone:
    if "relation" not in entry:
        raise ValueError("each [[milestone]] needs a relation")
    rel = parse_claim(str(entry["relation"]))
    if len(rel.relations()) != 1:
        raise ValueError(f"a milestone is one relation, not {entry['relation']!r}")
    return Milestone(rel, str(entry["relation"]), float(entry.get("points", 0)),
                     str(entry.get("hint", "")))


def _required(entry: dict[str, Any]) -> Required:
    names = entry.get("theorems")
    if isinstance(names, str):
        names = [names]
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise ValueError("each [[required]] needs theorems = [\"name\", ...]")
    return Required(tuple(names), str(entry.get("why", "")))


@dataclass
class Catalog:
    exercises: dict[str, Exercise] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def joined_roots(paths: list[Path]) -> Path:
    """Several exercise roots as one path (``os.pathsep`` between them), so the one
    ``exercises`` setting of ``check_file`` and the grader's workers can carry them."""
    import os

    return Path(os.pathsep.join(str(p) for p in paths))


def split_roots(root: Path) -> list[Path]:
    """The roots ``joined_roots`` joined (one, for an ordinary path)."""
    import os

    if root.exists() or os.pathsep not in str(root):
        return [root]
    return [Path(p) for p in str(root).split(os.pathsep) if p]


def load_catalog(root: Path | None = None) -> Catalog:
    """Every exercise under ``root`` (a folder of exercises, or one exercise; several
    joined by ``joined_roots``)."""
    root = root or default_root()
    cat = Catalog()
    files: list[Path] = []
    for part in split_roots(root):
        files += [part] if part.is_file() else sorted(part.rglob("exercise.toml"))
    for toml in files:
        try:
            ex = load_exercise(toml)
        except CheckerError as exc:
            cat.diagnostics += exc.diagnostics
            continue
        if ex.id in cat.exercises:
            cat.diagnostics.append(make("exercise-file", file=str(toml),
                                        detail=f"exercise id {ex.id!r} is used twice"))
            continue
        cat.exercises[ex.id] = ex
    return cat


_CATALOGS: dict[str, Catalog] = {}


def load_catalog_cached(root: Path | None = None) -> Catalog:
    key = str((root or default_root()).resolve())
    if key not in _CATALOGS:
        _CATALOGS[key] = load_catalog(root)
    return _CATALOGS[key]


def parameter_values(ex: Exercise, seed: int | None) -> dict[str, sp.Expr]:
    return {n: sp.Rational(v.numerator, v.denominator) for n, v in ex.variant(seed).items()}
