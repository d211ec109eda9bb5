"""Log and power identities whose arguments are positive only through the hypotheses.

SymPy's ``expand_log`` and ``powsimp`` apply ``log(u*v) = log(u) + log(v)`` and
``(u*v)^t = u^t*v^t`` only when it knows u and v positive. ``log((1 + a)/(2 - b)) =
log(1 + a) - log(2 - b)`` given ``a > -1, b < 2`` is true, but ``1 + a`` and ``2 - b`` are
positive only because of the hypotheses, which SymPy's assumptions cannot see.

The method: split every log's argument and every base of a power with a non-integer exponent
into its factors; for each factor u that is not a variable already known positive, prove
``u > 0`` under the obligation's domains and hypotheses (a sub-obligation decided by the
portfolio); put a fresh *positive* symbol for each u proved positive, everywhere it occurs;
then expand logs and powers (now legitimately) and simplify. If the difference of the two
sides is 0 for every positive value of the fresh symbols, the identity holds at every point of
the obligation (each such point gives the fresh symbols positive values). Only equalities are
handled; nothing is ever expanded with ``force=True``.

An equation among the hypotheses is used by substitution when that is not enough: an
equation ``a*s + b = 0`` linear in a variable s (a, b free of s; ``x*y = 1`` is
``y*x - 1 = 0``) gives ``s = -b/a`` wherever ``a != 0``, so once ``a != 0`` is proved under
the hypotheses (a sub-obligation, like the positivity of the factors) the claim holds at
every point of the obligation if the claim with s replaced does (``log(x) + log(y) = 0``
given ``x, y > 0`` and ``x*y = 1``: ``x = 1/y`` with ``y != 0``, then ``log(1/y) + log(y) =
0`` for ``y > 0``). Equations with a rational coefficient are eliminated before any engine
runs (``portfolio.eliminate``); at most ``MAX_SUBSTITUTIONS`` are tried.
"""

from __future__ import annotations

import sympy as sp

from checker.engines import subproof
from checker.obligations import Obligation, Relation, Status, Verdict
from checker.printing import show

ENGINE = "logrules"
MAX_FACTORS = 8
MAX_OPS = 150


def prove(ob: Obligation, budget_s: float) -> Verdict:
    """Prove a log/power identity once its arguments' factors are shown positive, also
    after substituting a variable that an equation among the hypotheses gives."""
    if not subproof.available() or ob.claim.op != "=":
        return subproof.not_applicable(ENGINE)
    diff = ob.claim.lhs - ob.claim.rhs
    if sp.count_ops(diff) > MAX_OPS or diff.has(sp.Sum):
        return subproof.not_applicable(ENGINE)
    verdict = _expanded(ob, diff, budget_s)
    if verdict.status is Status.PROVED:
        return verdict
    solutions = _solutions(ob)
    for i, (s, value, coeff, h) in enumerate(solutions):
        share = budget_s / (2 * len(solutions))
        nonzero = Obligation(Relation(coeff, "!=", sp.Integer(0)), ob.domains, ob.hypotheses)
        if not coeff.is_number and subproof.prove(nonzero, share).status is not Status.PROVED:
            continue
        new = diff.xreplace({s: value})
        if sp.count_ops(new) > MAX_OPS:
            continue
        sub = _expanded(ob, new, share, bare=True)
        if sub.status is Status.PROVED:
            why = "" if coeff.is_number else f", where {show(coeff)} != 0 (proved)"
            return Verdict(Status.PROVED, ENGINE,
                           f"substituted {s} = {show(value)} from the hypothesis {h}{why}; "
                           f"then {sub.reason}")
        if i + 1 >= MAX_SUBSTITUTIONS:
            break
    return verdict


MAX_SUBSTITUTIONS = 2


def _solutions(ob: Obligation) -> list[tuple[sp.Symbol, sp.Expr, sp.Expr, Relation]]:
    """(s, value, a, h): the hypothesis h, an equation ``a*s + b = 0`` linear in the
    variable s, gives ``s = value = -b/a`` where ``a != 0`` (variables in a fixed order)."""
    out: list[tuple[sp.Symbol, sp.Expr, sp.Expr, Relation]] = []
    claimed = ob.claim.lhs.free_symbols | ob.claim.rhs.free_symbols
    for h in ob.hypotheses:
        if h.op != "=":
            continue
        f = sp.expand(h.lhs - h.rhs)
        for s in sorted(f.free_symbols & claimed, key=lambda v: v.name):
            if not isinstance(s, sp.Symbol) or ob.domain(s.name).integer:
                continue
            solved = subproof.linear_solution(f, s)
            if solved is not None:
                out.append((s, solved[1], solved[0], h))
    return out


def _expanded(ob: Obligation, diff: sp.Expr, budget_s: float, bare: bool = False) -> Verdict:
    """PROVED when ``diff`` is 0 once its log arguments' and power bases' factors are shown
    positive (``bare``: also when no factor needs showing, the variables' own domains being
    enough)."""
    assumed = ob.assumed_symbols()
    factors = [f for f in _factors(diff) if not f.xreplace(assumed).is_positive]
    if len(factors) > MAX_FACTORS or not (factors or bare):
        return subproof.not_applicable(ENGINE)
    if not factors:
        if _is_zero(diff.xreplace(assumed)):
            return Verdict(Status.PROVED, ENGINE, "the two sides are equal (the variables' "
                           "domains make every log argument and power base positive)")
        return Verdict(Status.UNKNOWN, ENGINE, "the two sides still differ after expanding "
                       "logs and powers")
    share = budget_s / len(factors)
    fresh: dict[sp.Basic, sp.Basic] = {}
    shown: list[str] = []
    for i, f in enumerate(factors):
        sub = Obligation(Relation(f, ">", sp.Integer(0)), ob.domains, ob.hypotheses)
        if subproof.prove(sub, share).status is Status.PROVED:
            fresh[f.xreplace(assumed)] = sp.Dummy(f"pos_{i}", positive=True)
            shown.append(show(f))
    if not fresh:
        return Verdict(Status.UNKNOWN, ENGINE,
                       "no argument of a log or base of a power could be shown positive "
                       f"({', '.join(show(f) for f in factors)})")
    g = diff.xreplace(assumed).xreplace(fresh)
    if not _is_zero(g):
        return Verdict(Status.UNKNOWN, ENGINE,
                       f"with {', '.join(s + ' > 0' for s in shown)} the two sides still differ "
                       "after expanding logs and powers")
    return Verdict(Status.PROVED, ENGINE,
                   f"proved {', '.join(s + ' > 0' for s in shown)} from the hypotheses, then "
                   "expanded the logs and powers of these positive factors: the two sides "
                   "are equal")


def _factors(e: sp.Expr) -> list[sp.Expr]:
    """The non-numeric factors of log arguments and of bases of non-integer powers."""
    out: list[sp.Expr] = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.log):
            out += _split(node.args[0])
        elif node.is_Pow and not node.exp.is_Integer and node.base is not sp.E:
            out += _split(node.base)
    return list(dict.fromkeys(f for f in out if not f.is_number))


def _split(u: sp.Expr) -> list[sp.Expr]:
    """u's multiplicative factors (a power's base, a product's and a quotient's parts)."""
    if u.is_Mul:
        return [f for a in u.args for f in _split(a)]
    if u.is_Pow and u.base is not sp.E:  # log(b^t) = t*log(b) once b > 0 (t real)
        return _split(u.base)
    if isinstance(u, sp.exp):  # positive already
        return []
    return [u]


def _is_zero(g: sp.Expr) -> bool:
    for form in (sp.expand_log(g), sp.expand_log(sp.expand_power_base(sp.powdenest(g)))):
        if form == 0 or sp.simplify(form) == 0:
            return True
    return False
