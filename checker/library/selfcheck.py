"""``proofcheck theorems --check``: is every theorem in the library stated right?

* a ``derived`` theorem's proof must be proved step by step and reach its conclusion;
* a ``cited`` theorem without opaque terms is stress-tested by the engines (it must not be
  refuted; proved or plausible passes);
* a ``cited`` theorem about probabilities is tested against its exact model, if it names
  one: the model gives the exact value of the opaque terms at sampled parameters, and the
  conclusion must hold there. So a mis-stated constant is caught with a counterexample.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.elaborate import Context, Elaborator, opaque_symbols
from checker.engines import portfolio
from checker.functions import is_opaque
from checker.library.citation import theorem_context
from checker.library.theorems import Library, Theorem
from checker.numeric import Undefined, holds_at
from checker.obligations import Counterexample, Domain, Obligation, Relation, Status
from checker.printing import show
from checker.syntax.ast import Declaration, ProofFile, Show
from checker.syntax.parse import parse_assumptions, parse_expression

MAX_MODEL_POINTS = 4000


@dataclass(frozen=True)
class Finding:
    theorem: str
    outcome: str  # "proved", "plausible", "model", "refuted", "unknown", "skipped", "failed"
    detail: str
    counterexample: Counterexample | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("refuted", "failed")


def check_library(lib: Library, budget_s: float = 3.0) -> list[Finding]:
    return [check_theorem(t, lib, budget_s) for t in lib.theorems.values()]


def check_theorem(thm: Theorem, lib: Library, budget_s: float = 3.0) -> Finding:
    try:
        if thm.status == "derived":
            return _derived(thm, lib, budget_s)
        exprs = [e.value for e in thm.conclusion.exprs]
        if any(e.atoms(AppliedUndef) for e in exprs):
            if thm.model:
                return _model(thm)
            return Finding(thm.id, "skipped", "about opaque quantities and names no exact model")
        return _stress(thm, budget_s)
    except Exception as exc:  # a broken entry must not stop the self-check of the others
        return Finding(thm.id, "failed", f"{type(exc).__name__}: {exc}")


def _obligations(thm: Theorem) -> list[Obligation]:
    ctx = theorem_context(thm)
    hyps = list(ctx.hypotheses)
    for chain in thm.hypotheses:
        hyps += [Relation(opaque_symbols(a.value), op, opaque_symbols(b.value))
                 for a, op, b in chain.relations()]
    out = []
    for a, op, b in thm.conclusion.relations():
        claim = Relation(a.value, op, b.value)
        names = set(claim.free_names) | {n for h in hyps for n in h.free_names}
        domains = tuple(sorted((n, ctx.domains.get(n, Domain())) for n in names))
        out.append(Obligation(claim, domains, tuple(hyps)))
    return out


def _stress(thm: Theorem, budget_s: float) -> Finding:
    worst: Finding | None = None
    for ob in _obligations(thm):
        v = portfolio.check(ob, budget_s)
        if v.status is Status.REFUTED:
            return Finding(thm.id, "refuted", f"the conclusion is false: {v.reason}",
                           v.counterexample)
        outcome = v.status.value
        f = Finding(thm.id, outcome, v.label + (f" [{v.engine}]" if v.engine else ""))
        if worst is None or outcome in ("unknown",):
            worst = f
    assert worst is not None
    return worst


def _derived(thm: Theorem, lib: Library, budget_s: float) -> Finding:
    from checker.check import check_text
    from checker.syntax.parse import parse_text

    assert thm.proof is not None
    text = thm.proof if thm.proof.lstrip().startswith("exercise") else \
        f"exercise {thm.id}\n{thm.proof}"
    result = check_text(text, f"{thm.path}:{thm.id}", budget_s, library=lib)
    if result.blocked:
        return Finding(thm.id, "failed", "its proof does not parse: "
                       + "; ".join(d.message for d in result.diagnostics))
    bad = [s for s in result.steps if s.verdict.status is not Status.PROVED]
    if bad:
        s = bad[0]
        outcome = "refuted" if s.verdict.status is Status.REFUTED else "failed"
        return Finding(thm.id, outcome, f"its proof's line {s.line} is {s.verdict.label}",
                       s.verdict.counterexample)
    proof, _ = parse_text(text)
    goals = [st for st in proof.statements if isinstance(st, Show)]
    want = [(opaque_symbols(a.value), op, opaque_symbols(b.value))
            for a, op, b in thm.conclusion.relations()]
    for g in goals:
        got = [(opaque_symbols(a.value), op, opaque_symbols(b.value))
               for a, op, b in g.claim.relations()]
        if all(_same(x, y) for x, y in zip(got, want, strict=False)) and len(got) == len(want):
            return Finding(thm.id, "proved", f"its proof is checked ({len(result.steps)} steps)")
    return Finding(thm.id, "failed", "its proof has no `show` of the theorem's conclusion")


def _same(a: tuple[sp.Expr, str, sp.Expr], b: tuple[sp.Expr, str, sp.Expr]) -> bool:
    return a[1] == b[1] and sp.expand(a[0] - b[0]) == 0 and sp.expand(a[2] - b[2]) == 0


# --------------------------------------------------------------------------- exact models


def _candidates(d: Domain, limits: tuple[int, int] | None) -> list[Fraction]:
    if d.integer:
        lo = int(d.lo) if d.lo is not None else 0
        hi = int(d.hi) if d.hi is not None else lo + 12
        if limits:
            lo, hi = max(lo, limits[0]), min(hi, limits[1])
        step = max(1, (hi - lo) // 12)
        return [Fraction(i) for i in range(lo, hi + 1, step) if d.contains(Fraction(i))]
    simple = [Fraction(n, q) for q in (1, 2, 4, 5, 10, 20) for n in range(-40, 41)]
    out = sorted({v for v in simple if d.contains(v)}, key=lambda v: (v.denominator, abs(v)))
    inside = [v for v in out if abs(v) <= 4][:10]
    return sorted(inside) or out[:10]


def _model(thm: Theorem) -> Finding:
    from checker.library.models import MODELS

    assert thm.model is not None
    name = str(thm.model.get("name", ""))
    model = MODELS.get(name)
    if model is None:
        return Finding(thm.id, "failed", f"names an exact model {name!r} that does not exist")
    fix = {k: parse_expression(str(v)).value for k, v in dict(thm.model.get("fix", {})).items()}
    ctx = theorem_context(thm)
    domains = dict(ctx.domains)
    for item_text in model.params:
        for item in parse_assumptions(item_text):
            sub = theorem_context_of([item])
            domains.update(sub.domains)
    free = [n for n in [*thm.var_names, *[n for n in domains if n not in thm.var_names]]
            if n not in fix]
    grids = [_candidates(domains.get(n, Domain()), model.limits.get(n)) for n in free]
    fixed = {n: Fraction(int(v.p), int(v.q)) for n, v in fix.items() if v.is_Rational}
    # hypotheses about random quantities hold by the model's construction (models.py)
    hyps = list(ctx.hypotheses) + [Relation(a.value, op, b.value) for chain in thm.hypotheses
                                   for a, op, b in chain.relations()
                                   if not (a.value.atoms(AppliedUndef)
                                           or b.value.atoms(AppliedUndef))]
    tested = 0
    for combo in itertools.islice(itertools.product(*grids), MAX_MODEL_POINTS):
        point = dict(zip(free, combo, strict=True)) | fixed
        try:
            if not all(holds_at(h, point) is True for h in hyps):
                continue
            values = model.evaluate(point)
        except (Undefined, ValueError, ZeroDivisionError, KeyError):
            continue
        for a, op, b in thm.conclusion.relations():
            lhs, rhs = (_fill(e.value, values) for e in (a, b))
            try:
                ok = holds_at(Relation(lhs, op, rhs), point)
            except Undefined:
                continue
            tested += 1
            if ok is False:
                shown = tuple(sorted(point.items()))
                from checker.numeric import decimal_of

                cx = Counterexample(shown, decimal_of(lhs, point), decimal_of(rhs, point))
                return Finding(thm.id, "refuted",
                               f"false under the exact model {name} at {cx.describe()}: "
                               f"{show(a.value)} = {cx.lhs}, {show(b.value)} = {cx.rhs}", cx)
    if not tested:
        return Finding(thm.id, "failed", f"the exact model {name} could not be evaluated")
    return Finding(thm.id, "model", f"holds at {tested} points of the exact model {name}")


def _fill(e: sp.Expr, values: dict[str, Fraction]) -> sp.Expr:
    """Each outermost opaque term replaced by the model's exact value for its head."""
    if is_opaque(e):
        head = type(e).__name__
        if head not in values:
            raise KeyError(head)
        q = values[head]
        return sp.Rational(q.numerator, q.denominator)
    if not e.args:
        return e
    return e.func(*(_fill(a, values) for a in e.args))


def theorem_context_of(items: list[Declaration]) -> Context:
    e = Elaborator(ProofFile("<model>", None, ()))
    for item in items:
        e.declare(item)
    return e.ctx

