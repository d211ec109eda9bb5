"""What the engines check: obligations, and what they answer: verdicts.

An obligation is one claim (a single relation between two SymPy expressions) together with
the domains of its variables and the hypotheses it may use. Every symbol in an obligation is
``sym(name)``: a real SymPy Symbol with no further assumptions, so that the same name is the
same symbol everywhere; engines that want SymPy assumptions (positive, integer) substitute
their own symbols (see ``Obligation.assumed_symbols``).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

OPS = ("=", "!=", "<", "<=", ">", ">=")
FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
NEGATE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def sym(name: str) -> sp.Symbol:
    """The one Symbol for a variable name."""
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Relation:
    """``lhs op rhs`` with op one of OPS."""

    lhs: sp.Expr
    op: str
    rhs: sp.Expr

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown relation {self.op!r}")
        for side in ("lhs", "rhs"):  # allow plain Python numbers in hand-built relations
            value = getattr(self, side)
            if isinstance(value, (int, Fraction)):
                object.__setattr__(self, side, sp.Rational(value.numerator, value.denominator))

    @property
    def free_names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.lhs.free_symbols | self.rhs.free_symbols)

    def difference(self) -> tuple[sp.Expr, str]:
        """(f, op2) with the relation equivalent to ``f op2 0`` and op2 in =, !=, >=, >.

        ``a <= b`` becomes ``b - a >= 0``: the form the interval and search engines test.
        """
        if self.op in ("<", "<="):
            return self.rhs - self.lhs, FLIP[self.op]
        return self.lhs - self.rhs, self.op

    def flipped(self) -> Relation:
        return Relation(self.rhs, FLIP[self.op], self.lhs)

    def negated(self) -> Relation:
        return Relation(self.lhs, NEGATE[self.op], self.rhs)

    def subs(self, mapping: dict[sp.Symbol, sp.Expr]) -> Relation:
        """Free occurrences only: the k of ``sum(k, ...)`` is not replaced (nor captured)."""
        from checker.binders import substitute

        return Relation(substitute(self.lhs, mapping), self.op, substitute(self.rhs, mapping))

    def __str__(self) -> str:
        from checker.printing import show

        return f"{show(self.lhs)} {self.op} {show(self.rhs)}"


@dataclass(frozen=True)
class Domain:
    """An interval of the real line (bounds exact, open or closed), optionally integers only."""

    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def contains(self, value: Fraction) -> bool:
        if self.integer and value.denominator != 1:
            return False
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        return not (
            self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi))
        )

    @property
    def is_empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        if self.lo > self.hi:
            return True
        if self.lo == self.hi and (self.lo_open or self.hi_open):
            return True
        if self.integer:
            import math

            first = math.ceil(self.lo) + (1 if self.lo_open and self.lo.denominator == 1 else 0)
            last = math.floor(self.hi) - (1 if self.hi_open and self.hi.denominator == 1 else 0)
            return first > last
        return False

    def meet(self, other: Domain) -> Domain:
        """The intersection of two domains."""
        lo, lo_open = self.lo, self.lo_open
        if other.lo is not None and (
            lo is None or other.lo > lo or (other.lo == lo and other.lo_open)
        ):
            lo, lo_open = other.lo, other.lo_open
        hi, hi_open = self.hi, self.hi_open
        if other.hi is not None and (
            hi is None or other.hi < hi or (other.hi == hi and other.hi_open)
        ):
            hi, hi_open = other.hi, other.hi_open
        return Domain(lo, hi, lo_open, hi_open, self.integer or other.integer)

    def relations(self, name: str) -> list[Relation]:
        """The domain as relations on the variable (for engines that take hypotheses only)."""
        x = sym(name)
        out: list[Relation] = []
        if self.lo is not None:
            out.append(Relation(x, ">" if self.lo_open else ">=", sp.Rational(self.lo)))
        if self.hi is not None:
            out.append(Relation(x, "<" if self.hi_open else "<=", sp.Rational(self.hi)))
        return out

    def __str__(self) -> str:
        kind = "integer" if self.integer else "real"
        if self.lo is None and self.hi is None:
            return kind
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {_frac(self.lo)} {kind}"
        if self.lo is None:
            return f"{'<' if self.hi_open else '<='} {_frac(self.hi)} {kind}"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"in {left}{_frac(self.lo)}, {_frac(self.hi)}{right} {kind}"


def _frac(q: Fraction | None) -> str:
    return str(q)


REAL = Domain()


@dataclass(frozen=True)
class Obligation:
    """Prove or refute ``claim`` for every point of the domains that satisfies the hypotheses.

    ``domains`` names every variable of the claim and the hypotheses (sorted by name);
    a name missing from it is an unrestricted real.
    """

    claim: Relation
    domains: tuple[tuple[str, Domain], ...] = ()
    hypotheses: tuple[Relation, ...] = ()

    @property
    def names(self) -> list[str]:
        names: set[str] = set(self.claim.free_names)
        for h in self.hypotheses:
            names |= h.free_names
        names |= {n for n, _ in self.domains}
        return sorted(names)

    def domain(self, name: str) -> Domain:
        for n, d in self.domains:
            if n == name:
                return d
        return REAL

    def assumed_symbols(self) -> dict[sp.Symbol, sp.Symbol]:
        """Map each plain symbol to one carrying what SymPy can know from its domain."""
        out: dict[sp.Symbol, sp.Symbol] = {}
        for name in self.names:
            d = self.domain(name)
            kw: dict[str, bool] = {"real": True}
            if d.integer:
                kw["integer"] = True
            if d.lo is not None and (d.lo > 0 or (d.lo == 0 and d.lo_open)):
                kw["positive"] = True
            elif d.lo is not None and d.lo >= 0:
                kw["nonnegative"] = True
            elif d.hi is not None and (d.hi < 0 or (d.hi == 0 and d.hi_open)):
                kw["negative"] = True
            elif d.hi is not None and d.hi <= 0:
                kw["nonpositive"] = True
            out[sym(name)] = sp.Symbol(name, **kw)
        return out

    def key(self) -> str:
        """A canonical text for caches and for seeding searches (stable across runs).
        Computed once per obligation (it is immutable; srepr is costly)."""
        cached: str | None = self.__dict__.get("_key")
        if cached is None:
            parts = [sp.srepr(self.claim.lhs), self.claim.op, sp.srepr(self.claim.rhs)]
            parts += [f"{n}:{d!r}" for n, d in self.domains]
            parts += [f"{sp.srepr(h.lhs)} {h.op} {sp.srepr(h.rhs)}" for h in self.hypotheses]
            cached = "\n".join(parts)
            object.__setattr__(self, "_key", cached)
        return cached

    def seed(self) -> int:
        return int.from_bytes(hashlib.sha256(self.key().encode()).digest()[:8], "big")


TIME_LIMIT = "time limit"  # how the reason of a verdict from a hard time limit starts


class Status(enum.Enum):
    PROVED = "proved"
    REFUTED = "refuted"
    PLAUSIBLE = "plausible"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Counterexample:
    """A point where the claim is false, checked with rigorous arithmetic.

    ``values`` maps each variable to its exact value; ``lhs`` and ``rhs`` are both sides
    evaluated there, as decimals.
    """

    values: tuple[tuple[str, Fraction], ...]
    lhs: str
    rhs: str

    def describe(self) -> str:
        from checker.printing import decimal

        parts = []
        for name, v in self.values:
            exact = str(v)
            dec = decimal(v)
            parts.append(f"{name} = {exact}" + ("" if dec == exact else f" (≈ {dec})"))
        return ", ".join(parts)


@dataclass(frozen=True)
class Verdict:
    """An engine's answer. ``UNKNOWN`` doubles as "no answer" with the reason said."""

    status: Status
    engine: str
    reason: str = ""
    counterexample: Counterexample | None = None
    samples: int = 0
    time_s: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        cx = self.counterexample
        return {
            "status": self.status.value, "engine": self.engine, "reason": self.reason,
            "counterexample": None if cx is None else {
                "values": [[n, str(q)] for n, q in cx.values], "lhs": cx.lhs, "rhs": cx.rhs},
            "samples": self.samples, "time_s": self.time_s, "notes": list(self.notes),
        }

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Verdict:
        cx = doc.get("counterexample")
        counterexample = None if cx is None else Counterexample(
            tuple((str(n), Fraction(q)) for n, q in cx["values"]), str(cx["lhs"]),
            str(cx["rhs"]))
        return Verdict(Status(doc["status"]), str(doc["engine"]), str(doc["reason"]),
                       counterexample, int(doc["samples"]), float(doc["time_s"]),
                       tuple(doc.get("notes", ())))

    @property
    def time_limited(self) -> bool:
        """Whether a hard time limit stopped the check: the verdict depends on the machine
        (and its load), so it is never kept in a verdict cache."""
        return self.status is Status.UNKNOWN and self.reason.startswith(TIME_LIMIT)

    @property
    def label(self) -> str:
        if self.status is Status.PLAUSIBLE:
            return f"plausible ({self.samples} samples, no counterexample)"
        if self.status is Status.UNKNOWN:
            return f"unknown ({self.reason})" if self.reason else "unknown"
        return str(self.status.value)
