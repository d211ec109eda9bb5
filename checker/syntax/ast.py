"""The typed result of parsing: frozen dataclasses with source positions.

Expressions are SymPy objects already (built straight from the parse tree), wrapped in
``Expr`` with the source text, the fully parenthesized reading, and the conditions under which
the expression is defined (denominators nonzero, log arguments positive, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from checker.obligations import Relation


@dataclass(frozen=True)
class Span:
    line: int
    col: int


@dataclass(frozen=True)
class Condition:
    """Where an expression is defined: ``relation`` must hold.

    ``kind`` is "plain", or "power" for ``base^exponent`` with a symbolic exponent (elaboration
    decides, knowing the domains, whether the base must be positive or only nonzero).
    ``bound`` lists summation variables with their ranges when the condition sits inside a sum.
    """

    relation: Relation
    why: str
    kind: str = "plain"
    bound: tuple[tuple[str, sp.Expr, sp.Expr], ...] = ()
    exponent: sp.Expr | None = None  # for kind "power"


@dataclass(frozen=True)
class Expr:
    value: sp.Expr
    text: str
    shown: str
    conditions: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True)
class RelChain:
    """``e0 op1 e1 op2 e2 ...``: one or more relations sharing their middle terms."""

    exprs: tuple[Expr, ...]
    ops: tuple[str, ...]
    span: Span

    def relations(self) -> list[tuple[Expr, str, Expr]]:
        return [(self.exprs[i], op, self.exprs[i + 1]) for i, op in enumerate(self.ops)]


@dataclass(frozen=True)
class Ref:
    """A cited fact or theorem: ``h1``, or ``hoeffding(n = m, t = eps)``."""

    name: str
    args: tuple[tuple[str, Expr], ...]
    span: Span


@dataclass(frozen=True)
class Justification:
    """``by algebra``, ``by numeric``, ``by h1, thm(x = 1)``; kind "none" when absent."""

    kind: str  # "none", "algebra", "numeric", "refs"
    refs: tuple[Ref, ...] = ()
    span: Span | None = None

    def describe(self) -> str:
        if self.kind == "refs":
            return "by " + ", ".join(r.name for r in self.refs)
        return "" if self.kind == "none" else f"by {self.kind}"


NO_JUSTIFICATION = Justification("none")


@dataclass(frozen=True)
class Header:
    exercise: str
    span: Span


@dataclass(frozen=True)
class Declaration:
    """``given``/``assume`` item: a variable's kind and bounds, or a general relation.

    ``names`` are the variables declared by the item: its own subject (for ``x real`` and
    ``x in (0, 1)``), or, before a relation, the names grouped with it (``x, y > 0``).
    """

    names: tuple[str, ...]
    relation: RelChain | None  # e.g. m >= 1, 0 < delta < 1, m >= d
    interval: tuple[str, Expr, Expr, str] | None  # ("(", lo, hi, "]")
    kind: str | None  # "integer", "real", "natural"
    span: Span
    # vectors and matrices (docs/vectors.md): `w in R^d` has space (d, 1), `W in R^(m x d)`
    # (m, d); `x in [0, 1]^d` has space (d, 1) and the interval of each coordinate; a family
    # `p_k in (0, 1) for k in 1..K` has space (K, 1), its index name in `index`, and says of
    # each member what the item says of `p_k`
    space: tuple[sp.Expr, sp.Expr] | None = None
    index: str | None = None


@dataclass(frozen=True)
class Given:
    items: tuple[Declaration, ...]
    assume: bool
    span: Span


@dataclass(frozen=True)
class Let:
    name: str
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Have:
    name: str
    claim: RelChain
    justification: Justification
    span: Span


@dataclass(frozen=True)
class Step:
    """One link of a chain: ``op expr by ...`` relating the previous expression to ``expr``."""

    op: str
    expr: Expr
    justification: Justification
    span: Span


@dataclass(frozen=True)
class Chain:
    start: Expr
    steps: tuple[Step, ...]
    span: Span


@dataclass(frozen=True)
class Show:
    claim: RelChain
    justification: Justification
    chains: tuple[Chain, ...]
    span: Span
    closed: bool = True


Statement = Given | Let | Have | Chain | Show


@dataclass(frozen=True)
class ProofFile:
    path: str
    header: Header | None
    statements: tuple[Statement, ...]
    lines: tuple[str, ...] = field(default=(), repr=False)
