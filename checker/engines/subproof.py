"""What the proof methods (substitution, induction, sums, log rules) share.

A method turns an obligation into smaller ones (a derivative's sign, a substituted claim, an
induction step) and asks the portfolio to decide each: ``prove`` runs a sub-obligation through
``portfolio.check``, so every sub-proof is itself cross-checked at sample points, and the
method's own ``proved`` is cross-checked again on the original claim. Methods nest at most
``MAX_DEPTH`` deep (a method's sub-obligation may be handled by another method, never deeper),
so a check always ends.

``conditions`` gives, conservatively, where an expression is defined (``log(u)``: u > 0; a
power with a negative exponent: base != 0; a non-integer exponent: base >= 0 or > 0): a method
that reasons about an expression on a whole interval (a derivative's sign on a segment) proves
these conditions there first, because the engines only ever prove a claim where its sides are
defined.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sympy as sp

from checker.engines import definedness
from checker.functions import Phi, Sigmoid
from checker.obligations import Obligation, Relation, Status, Verdict

MAX_DEPTH = 2
_depth = 0


def depth() -> int:
    """How many methods are running around the current check (0 at the top)."""
    return _depth


def available() -> bool:
    """Whether a method may start another round of sub-proofs here."""
    return _depth < MAX_DEPTH


@contextlib.contextmanager
def _nested() -> Iterator[None]:
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """The portfolio's verdict on a sub-obligation (one level deeper)."""
    from checker.engines import portfolio

    if _false_at_samples(ob):
        return Verdict(Status.UNKNOWN, "subproof", "false at a sample point")
    with _nested():
        return portfolio.check(ob, budget_s, "proof")


SAMPLES = 6  # points tried before a sub-obligation goes to the engines


def _false_at_samples(ob: Obligation) -> bool:
    """Whether the sub-obligation certainly fails at one of a few deterministic points that
    satisfy its hypotheses: a method's reduction of a false claim usually fails this way,
    and then costs no engine time."""
    return false_at_samples(ob, SAMPLES)


def false_at_samples(ob: Obligation, count: int, undrawable: bool = False) -> bool:
    """Whether the claim certainly fails (exact or Arb evaluation) at one of ``count``
    deterministic sample points that satisfy its hypotheses; ``undrawable`` is the answer
    when no point can be drawn (no evidence either way: the caller says which way is safe)."""
    from checker.engines.portfolio import sample_points
    from checker.numeric import Undefined, holds_at

    try:
        points = sample_points(ob, count)
    except Exception:
        return undrawable
    for pt in points:
        try:
            if holds_at(ob.claim, pt) is False:
                return True
        except (Undefined, NotImplementedError, ZeroDivisionError, ValueError, OverflowError):
            continue
    return False


def linear_solution(f: sp.Expr, s: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """``(a, -b/a)`` when the expanded ``f`` is ``a*s + b`` with ``a != 0`` and a, b free of
    s (so ``f = 0`` gives ``s = -b/a`` wherever ``a != 0``: ``x*y - 1`` in x is ``(y, 1/y)``);
    None otherwise. Shared by the log rules and the search, which use an equation among the
    hypotheses to compute a variable."""
    coeff = f.coeff(s, 1)
    rest = f - coeff * s
    if coeff == 0 or s in coeff.free_symbols or s in rest.free_symbols:
        return None
    value = sp.cancel(-rest / coeff)
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return coeff, value


def proved(ob: Obligation, budget_s: float) -> bool:
    return prove(ob, budget_s).status is Status.PROVED


def not_applicable(engine: str) -> Verdict:
    """The answer of a method whose shape does not fit (no reason: nothing to tell)."""
    return Verdict(Status.UNKNOWN, engine, "")


def conditions(e: sp.Expr) -> list[Relation] | None:
    """Relations under which ``e`` is defined (and differentiable, away from the end points of
    roots), or None for an expression this rule set does not cover (checker.engines.definedness)."""
    return definedness.conditions(e)


def condition_obligations(exprs: list[sp.Expr], ob: Obligation) -> list[Obligation] | None:
    """One obligation per definedness condition of the expressions, under ``ob``'s domains and
    hypotheses (None when some expression is outside the rules). Conditions that hold
    trivially (a positive number) are left out."""
    rels: list[Relation] = []
    for e in exprs:
        c = conditions(e)
        if c is None:
            return None
        rels += c
    out: list[Obligation] = []
    for rel in dict.fromkeys(rels):
        f, op = rel.difference()
        if f.is_number and ((op == ">" and f.is_positive) or (op == ">=" and f.is_nonnegative)
                            or (op == "!=" and f.is_nonzero)):
            continue
        out.append(Obligation(rel, ob.domains, ob.hypotheses))
    return out


def prove_all(obs: list[Obligation], budget_s: float) -> Obligation | None:
    """Prove each obligation in turn (each with an equal share of the budget); the first one
    not proved, or None when every one is."""
    if not obs:
        return None
    share = budget_s / len(obs)
    for sub in obs:
        if not proved(sub, share):
            return sub
    return None



def positive(e: sp.Expr, known: set[sp.Basic]) -> bool:
    """Whether e > 0 follows from its shape, given that the expressions in ``known`` are > 0
    (exp, Phi and sigmoid are positive; sums, products and real powers of positives too)."""
    if e in known or (e.is_number and e.is_positive):
        return True
    if isinstance(e, (sp.exp, Phi, Sigmoid, sp.factorial)):
        return True
    if e.is_Pow:
        return positive(e.base, known)
    if e.is_Mul or e.is_Add:
        return all(positive(a, known) for a in e.args)
    return False


def fresh_symbols(ob: Obligation, stem: str, count: int) -> list[sp.Symbol]:
    """``count`` real symbols whose names the obligation does not use (``stem_0``, ...; a
    student's variable of that name is never captured)."""
    used = set(ob.names)
    out: list[sp.Symbol] = []
    i = 0
    while len(out) < count:
        name = f"{stem}_{i}"
        if name not in used:
            out.append(sp.Symbol(name, real=True))
        i += 1
    return out
