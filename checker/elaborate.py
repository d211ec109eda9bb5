"""AST -> tasks: domains and assumptions collected, ``let``s substituted, obligations built.

Each task is one thing to report at one line: a chain step, a ``have`` fact, a ``let``
definition (is it defined?), or a ``show`` goal (does the chain reach it?). A task carries
its main obligation and, separately, the obligations that say where it is defined.
Elaboration runs no engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.binders import rename_apart, substitute
from checker.diagnostics import Diagnostic, make
from checker.functions import is_opaque
from checker.library.citation import instantiate
from checker.library.theorems import Library
from checker.obligations import REAL, Domain, Obligation, Relation, Status, Verdict, sym
from checker.printing import show
from checker.syntax.ast import (
    Chain,
    Condition,
    Declaration,
    Expr,
    Given,
    Have,
    Justification,
    Let,
    ProofFile,
    RelChain,
    Show,
    Span,
)
from checker.vectors.build import scalar_relation, substitute_lets


@dataclass(frozen=True)
class Definedness:
    obligation: Obligation
    why: str


@dataclass(frozen=True)
class Cited:
    """A relation a justification brings in: a fact's, or a theorem's conclusion at the
    citation's arguments together with the theorem's hypotheses there (``conditions``)."""

    relation: Relation
    theorem: str | None = None
    conditions: tuple[Relation, ...] = ()


@dataclass
class Task:
    """One checked item at one line."""

    kind: str  # "step", "fact", "definition", "goal"
    span: Span
    text: str  # what is claimed, as the student wrote it
    op: str
    justification: Justification
    obligation: Obligation | None
    definedness: list[Definedness] = field(default_factory=list)
    side: list[Definedness] = field(default_factory=list)  # hypotheses of cited theorems
    preset: Verdict | None = None  # decided without engines (e.g. an unknown theorem)
    shown: str = ""  # the fully parenthesized reading, for --show-parsed
    # the tasks this one rests on (see checker/proofgraph.py): cited facts, the definitions its
    # expressions use, and for a goal the steps of its chain
    rests_on: list[int] = field(default_factory=list)
    goal: tuple[sp.Expr, str, sp.Expr, sp.Expr, str, sp.Expr] | None = None
    growth: int = 0  # how much the step changes its expression (for the step-size policy)
    raw: Relation | None = None  # the claim with opaque terms kept (for fallacy detectors)
    # builds obligations in the task's context (for a goal reached through a stronger claim)
    context: Callable[[Relation], Obligation] | None = None
    # the same claim without anything the justification brought in (cited facts and theorem
    # instances): a step must never be weaker for citing, nor hide a counterexample by it
    bare: Obligation | None = None
    # the relation as written (no `let` substituted, opaque terms kept): what milestones are
    # compared with
    written: Relation | None = None
    cited: list[Cited] = field(default_factory=list)  # what the justification brought in
    sides: tuple[str, str] | None = None  # the two sides as written (left, right), for reports

    @property
    def line(self) -> int:
        return self.span.line


@dataclass(frozen=True)
class ExerciseSetting:
    """What an exercise puts in force for a submission (see docs/exercise-format.md)."""

    id: str
    givens: tuple[Declaration, ...]
    parameters: tuple[tuple[str, sp.Expr], ...]
    definitions: tuple[tuple[str, Expr], ...]
    goal: RelChain
    allowed: tuple[str, ...] | None
    automation: str = "anything"  # what an unjustified step may close (exercise-format.md)


@dataclass
class Context:
    domains: dict[str, Domain] = field(default_factory=dict)
    hypotheses: list[Relation] = field(default_factory=list)
    lets: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    let_shown: dict[str, str] = field(default_factory=dict)
    let_text: dict[str, str] = field(default_factory=dict)
    let_conditions: dict[str, list[Relation]] = field(default_factory=dict)
    facts: dict[str, list[Relation]] = field(default_factory=dict)
    fact_tasks: dict[str, list[int]] = field(default_factory=dict)
    # assumptions as written (opaque terms kept), for matching theorems' hypotheses
    raw_hypotheses: list[tuple[sp.Expr, str, sp.Expr]] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)
    # a given `T = e` with T an opaque term: T inside other terms' brackets is e (congruence)
    same_terms: dict[sp.Expr, sp.Expr] = field(default_factory=dict)
    terms: set[sp.Expr] = field(default_factory=set)  # the opaque terms met so far


def _rational(e: sp.Expr) -> Fraction | None:
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    return None


class Elaborator:
    def __init__(self, proof: ProofFile, library: Library | None = None,
                 exercise: ExerciseSetting | None = None) -> None:
        self.proof = proof
        self.exercise = exercise
        self.findings: list[Diagnostic] = []
        self.ctx = Context()
        self.tasks: list[Task] = []
        self.diags: list[Diagnostic] = []
        self.library = library if library is not None else Library()
        self.warned: set[str] = set()
        self.declared_at: dict[str, int] = {}
        self.vector_shapes: dict[str, tuple[sp.Expr, sp.Expr]] = {}  # w -> (d, 1) (--show-parsed)
        self.let_task: dict[str, int] = {}  # a `let` name -> the task of its definition
        self.cites: list[Cited] = []  # what the last justification read brought in
        # (the line of a given, the premises in force after it): contradictory premises are
        # an error at the line that makes them contradictory (see checker.check)
        self.premises: list[tuple[Span, Obligation]] = []

    # -------------------------------------------------------------------------- helpers
    def diag(self, code: str, span: Span, **fields: Any) -> None:
        src = self.proof.lines[span.line - 1][:200] if 0 < span.line <= len(self.proof.lines) \
            else ""
        self.diags.append(make(code, file=self.proof.path, line=span.line, col=span.col,
                               source=src, **fields))

    def subst(self, e: sp.Expr) -> sp.Expr:
        """``let`` names replaced by their definitions, opaque terms by their variables."""
        e = substitute(substitute_lets(e, self.ctx.lets), self.ctx.lets)
        e = congruent(e, self.ctx.same_terms)
        if e.atoms(AppliedUndef):
            self.ctx.terms.update(t for t in e.atoms(AppliedUndef) if is_opaque(t))
        return opaque_symbols(e)

    def domains_for(self, names: set[str]) -> tuple[tuple[str, Domain], ...]:
        return tuple(sorted((n, self.ctx.domains.get(n, _opaque_domain(n))) for n in names))

    def obligation(self, claim: Relation, extra: list[Relation] | None = None,
                   uses: set[str] | None = None) -> Obligation:
        """An obligation in the current context: domains, assumptions and the hypotheses
        about ``let`` names that the claim mentions."""
        hyps: list[Relation] = list(self.ctx.hypotheses)
        for name in sorted(uses or set()):
            hyps += self.ctx.let_conditions.get(name, [])
        hyps += extra or []
        names = set(claim.free_names)
        for h in hyps:
            names |= h.free_names
        # keep only hypotheses connected to the claim's variables (smaller, faster, cacheable);
        # a vector or matrix of a concrete size is connected to its coordinates (det(S) is
        # written out in S_1_1, ... by the engines: hypotheses about them must come along)
        relevant = _connected(claim, hyps, lambda ns: ns | self.coordinates(ns))
        names = set(claim.free_names)
        for h in relevant:
            names |= h.free_names
        return Obligation(claim, self.domains_for(names | self.members(names)),
                          tuple(relevant))

    def members(self, names: set[str]) -> set[str]:
        """The coordinates of the vectors and families of a concrete dimension among
        ``names`` that have a domain of their own: ``sum(k, 1, 3, p_k)`` names only ``p``, but
        when it is written out in coordinates the domains of ``p_1``, ``p_2``, ``p_3`` (from
        ``p_k in (0, 1) for k in 1..3``) must come with it."""
        return {c for c in self.coordinates(names) if c in self.ctx.domains}

    def coordinates(self, names: set[str]) -> set[str]:
        """The coordinate names (``p_1``, ``S_1_2``) of the vectors, matrices and families of
        a concrete dimension among ``names``."""
        out: set[str] = set()
        for name in names:
            shape = self.vector_shapes.get(name)
            if shape is None or not (shape[0].is_Integer and shape[1].is_Integer):
                continue
            rows, cols = int(shape[0]), int(shape[1])
            out |= ({f"{name}_{i}" for i in range(1, rows + 1)} if cols == 1 else
                    {f"{name}_{i}_{j}" for i in range(1, rows + 1) for j in range(1, cols + 1)})
        return out

    def let_names(self, *exprs: Expr) -> set[str]:
        lets = {s.name for s in self.ctx.lets}
        out: set[str] = set()
        for e in exprs:
            out |= {s.name for s in e.value.free_symbols} & lets
        return out

    def warn_undeclared(self, e: Expr) -> None:
        for s in sorted(opaque_symbols(e.value).free_symbols, key=lambda s: s.name):
            name = s.name
            if (name not in self.ctx.declared and sym(name) not in self.ctx.lets
                    and not _is_opaque_name(name) and not self.existing_member(name)
                    and name not in self.warned and not _bound_in_sum(e.value, s)):
                self.warned.add(name)
                self.diag("undeclared-variable", e.span, name=name)

    def existing_member(self, name: str) -> bool:
        """Is ``name`` a coordinate ``z_2`` of a declared vector or family that has it in every
        dimension the givens allow (``z_1`` of ``z_k real for k in 1..K``, as K >= 1)?"""
        head, _, index = name.rpartition("_")
        shape = self.vector_shapes.get(head)
        if shape is None or shape[1] != 1 or not index.isdigit():
            return False
        n = shape[0]
        if n.is_Integer:
            return 1 <= int(index) <= int(n)
        dom = self.ctx.domains.get(n.name) if n.is_Symbol else None
        return dom is not None and dom.lo is not None and 1 <= int(index) <= dom.lo

    def conditions(self, exprs: list[Expr]) -> list[Definedness]:
        """Definedness obligations of the expressions, in the current context."""
        out: list[Definedness] = []
        seen: set[str] = set()
        for e in exprs:
            uses = self.let_names(e)
            for c in e.conditions:
                for rel, why, extra_domains, extra_hyps in self._condition(c):
                    key = f"{sp.srepr(rel.lhs)}{rel.op}{sp.srepr(rel.rhs)}"
                    if key in seen:
                        continue
                    seen.add(key)
                    ob = self.obligation(rel, extra_hyps, uses)
                    if extra_domains:
                        doms = dict(ob.domains)
                        doms.update(extra_domains)
                        ob = Obligation(ob.claim, tuple(sorted(doms.items())), ob.hypotheses)
                    out.append(Definedness(ob, why))
        return out

    def _condition(self, c: Condition) -> list[
            tuple[Relation, str, dict[str, Domain], list[Relation]]]:
        lhs, rhs, exponent, bound = c.relation.lhs, c.relation.rhs, c.exponent, c.bound
        note = ""
        if bound:
            # under a sum: stated about names of its own, never about a variable of the proof
            # (nor an outer summation variable) that has the same name
            ctx = self.ctx
            in_use = set(ctx.declared) | set(ctx.domains) | {s.name for s in ctx.lets}
            for rel in [*ctx.hypotheses, *(r for rs in ctx.let_conditions.values() for r in rs)]:
                in_use |= rel.free_names
            for value in ctx.lets.values():
                in_use |= {s.name for s in value.atoms(sp.Symbol)}
            exprs = [lhs, rhs] if exponent is None else [lhs, rhs, exponent]
            bound, exprs = rename_apart(bound, exprs, in_use)
            lhs, rhs = exprs[:2]
            exponent = exprs[2] if exponent is not None else None
            renamed = [f"{new} is the summation variable {old}"
                       for (old, _, _), (new, _, _) in zip(c.bound, bound, strict=True)
                       if new != old]
            note = f" ({', '.join(renamed)})" if renamed else ""
        rel = Relation(self.subst(lhs), c.relation.op, self.subst(rhs))
        extra_domains: dict[str, Domain] = {}
        extra_hyps: list[Relation] = []
        for name, lo, hi in bound:
            low = self.subst(lo)
            extra_domains[name] = Domain(lo=_rational(low), integer=True)
            extra_hyps += [Relation(sym(name), ">=", low),
                           Relation(sym(name), "<=", self.subst(hi))]
        if c.kind == "power":
            # base^exponent with a symbolic exponent: an integer exponent needs only a nonzero
            # base (and nothing when it cannot be negative); otherwise the base must be > 0.
            base = rel.lhs
            expo = self.subst(exponent) if exponent is not None else None
            if expo is not None:
                names = Relation(expo, "=", sp.Integer(0)).free_names
                doms = dict(self.domains_for(set(names)))
                for n, d in extra_domains.items():
                    if n in doms:
                        doms[n] = doms[n].meet(d)
                assumed = Obligation(Relation(expo, ">=", sp.Integer(0)),
                                     tuple(sorted(doms.items())))
                e2 = substitute(expo, assumed.assumed_symbols())
                if e2.is_integer:
                    if e2.is_nonnegative:
                        return []
                    if _nonnegative_over_range(expo, bound, self.subst, assumed):
                        return []  # 0^0 = 1: (1 - p)^(n - k) for k <= n is defined at p = 1
                    return [(Relation(base, "!=", sp.Integer(0)),
                             "the base of a power with a possibly negative exponent is not 0"
                             + note, extra_domains, extra_hyps)]
                if e2.is_positive:  # 0^p = 0 for p > 0: |x|^p is defined at x = 0
                    return [(Relation(base, ">=", sp.Integer(0)),
                             "the base of a power with a positive exponent is >= 0" + note,
                             extra_domains, extra_hyps)]
        members = self._per_member(rel, bound)
        if members is not None:
            return [(r, c.why + note, {}, []) for r in members]
        return [(rel, c.why + note, extra_domains, extra_hyps)]

    def _per_member(self, rel: Relation, bound: tuple[tuple[str, sp.Expr, sp.Expr], ...]
                    ) -> list[Relation] | None:
        """A condition under a sum with numeric bounds that is about the members of a family
        (``s_k > 0`` in ``sum(k, 1, 3, log(s_k))``), one per member (``s_1 > 0``, ...): a
        coordinate with a symbolic index cannot be written out, and the members' domains
        speak of ``s_1``, ``s_2``, ``s_3``. None when it is not such a condition."""
        from checker.vectors.ir import MAX_DIM, Coord

        if len(bound) != 1:
            return None
        name, lo, hi = bound[0]
        low, high = self.subst(lo), self.subst(hi)
        k = sym(name)
        if not (low.is_Integer and high.is_Integer) or not 0 < int(high) - int(low) + 1 <= MAX_DIM:
            return None
        if not any(k in c.args[1].free_symbols
                   for side in (rel.lhs, rel.rhs) for c in side.atoms(Coord)):
            return None
        return [Relation(rel.lhs.subs(k, i), rel.op, rel.rhs.subs(k, i))
                for i in range(int(low), int(high) + 1)]

    def checkpoint(self, span: Span) -> None:
        """What the givens declared so far put in force (checked for a contradiction)."""
        names: set[str] = set(self.ctx.domains)
        for h in self.ctx.hypotheses:
            names |= h.free_names
        ob = Obligation(Relation(sp.Integer(0), "=", sp.Integer(1)), self.domains_for(names),
                        tuple(dict.fromkeys(self.ctx.hypotheses)))
        if not self.premises or self.premises[-1][1] != ob:
            self.premises.append((span, ob))

    # -------------------------------------------------------------------------- statements
    def run(self) -> tuple[list[Task], list[Diagnostic]]:
        if self.exercise is not None:
            self.setup_exercise(self.exercise)
            self.checkpoint(Span(0, 0))
        else:
            for st in self.proof.statements:
                if isinstance(st, Given):
                    for item in st.items:
                        self.declare(item)
                    self.checkpoint(st.span)
        for st in self.proof.statements:
            if isinstance(st, Given):
                if self.exercise is not None:
                    for item in st.items:
                        self.assumption(item, st)
                continue
            if isinstance(st, Let):
                before = len(self.tasks)
                self.let(st)
                if len(self.tasks) > before and self.tasks[-1].kind == "definition":
                    self.tasks[-1].rests_on = self.definition_tasks(st.expr)
                    self.let_task[st.name] = len(self.tasks) - 1
            elif isinstance(st, Have):
                self.have(st)
            elif isinstance(st, Chain):
                self.chain(st)
            elif isinstance(st, Show):
                self.show(st)
        if self.exercise is not None:
            self.exercise_goal(self.exercise)
        return self.tasks, self.diags

    # -------------------------------------------------------------------------- exercises
    def setup_exercise(self, ex: ExerciseSetting) -> None:
        """The exercise's parameters, givens and definitions are in force."""
        for name, value in ex.parameters:
            self.ctx.lets[sym(name)] = value
            self.ctx.let_shown[name] = show(value)
            self.ctx.declared.add(name)
        for item in ex.givens:
            self.declare(item)
        for name, expr in ex.definitions:
            self.ctx.let_conditions[name] = self._let_hypotheses(expr)
            self.ctx.lets[sym(name)] = self.subst(expr.value)
            self.ctx.let_shown[name] = expr.shown
            self.ctx.let_text[name] = _written(expr)

    def assumption(self, item: Declaration, st: Given) -> None:
        """A submission's own given/assume line must follow from the exercise's givens."""
        scratch = Elaborator(ProofFile(self.proof.path, None, ()))
        scratch.ctx.lets = dict(self.ctx.lets)
        scratch.declare(item)
        rels: list[Relation] = [r for n, d in sorted(scratch.ctx.domains.items())
                                for r in d.relations(n)]
        rels += [Relation(sp.floor(sym(n)), "=", sym(n))
                 for n, d in sorted(scratch.ctx.domains.items()) if d.integer]
        rels += scratch.ctx.hypotheses
        word = "assume" if st.assume else "given"
        for rel in rels:
            claim = self.subst_rel(rel)
            if not claim.free_names and claim.lhs == claim.rhs:
                continue  # about a parameter the exercise fixes: nothing to check
            text = f"{word} {claim}"
            if isinstance(rel.lhs, sp.floor) and rel.op == "=" and rel.rhs.is_Symbol:
                text = f"{word} {rel.rhs} integer"
            self.tasks.append(Task(
                kind="assumption", span=item.span, text=text, op=rel.op,
                justification=Justification("none"), obligation=self.obligation(claim),
                shown=str(claim), sides=(str(claim.lhs), str(claim.rhs))))

    def exercise_goal(self, ex: ExerciseSetting) -> None:
        """Does the submission establish the exercise's goal? (checked after every step)"""
        rels = ex.goal.relations()
        lhs, op, rhs = rels[0]
        span = Span(1, 1)
        text = f"goal of {ex.id}: {lhs.text} {op} {rhs.text}"
        task = Task(kind="exercise", span=span, text=text, op=op,
                    justification=Justification("none"), obligation=None,
                    shown=f"{lhs.shown} {op} {rhs.shown}", context=self.obligation,
                    sides=(lhs.text, rhs.text))
        shows = [i for i, t in enumerate(self.tasks) if t.kind == "goal"]
        if not shows:
            task.preset = Verdict(Status.UNKNOWN, "goal",
                                  "the submission has no `show` block for the exercise's goal")
        else:
            last = self.tasks[shows[-1]]
            task.rests_on = [shows[-1]]  # the exercise's goal is reached through the last show
            task.span = last.span
            if last.goal is not None:
                start, chain_op, end = last.goal[3:]
            elif last.obligation is not None:
                start, chain_op, end = (last.obligation.claim.lhs, last.obligation.claim.op,
                                        last.obligation.claim.rhs)
            else:
                start = chain_op = end = None  # type: ignore[assignment]
            if start is None:
                task.preset = last.preset
            else:
                task.goal = (self.subst(lhs.value), op, self.subst(rhs.value), start, chain_op,
                             end)
        self.tasks.append(task)

    def declare(self, item: Declaration) -> None:
        if item.space is not None:
            self.declare_vector(item)
            return
        if item.relation is None:
            domain = Domain()
            if item.interval is not None:
                left, lo, hi, right = item.interval
                # ends in force: a variant's parameter (`x in [-a, a]`) is its number here
                low, high = self.subst(lo.value), self.subst(hi.value)
                qlo, qhi = _rational(low), _rational(high)
                if qlo is not None and qhi is not None:
                    domain = Domain(qlo, qhi, left == "(", right == ")")
                else:
                    for name in item.names:
                        x = sym(name)
                        self.ctx.hypotheses += [
                            Relation(x, ">" if left == "(" else ">=", low),
                            Relation(x, "<" if right == ")" else "<=", high)]
            for name in item.names:
                self.add_domain(name, _with_kind(domain, item.kind), item.span)
            return
        rel = item.relation
        symbols = set().union(*(opaque_symbols(e.value).free_symbols for e in rel.exprs))
        if not symbols:
            self.diag("bad-declaration", item.span,
                      detail="this relation has no variable in it"
                      + (" ('e' and 'pi' are constants)" if any(
                          e.text in ("e", "pi") for e in rel.exprs) else ""))
            return
        subjects = [opaque_symbols(e.value).name for e in rel.exprs
                    if opaque_symbols(e.value).is_Symbol]
        targets = list(item.names)
        for rel_tuple in rel.relations():
            lhs, op, rhs = rel_tuple
            for target in [None, *targets]:
                mapping = {}
                if target is not None:
                    if not subjects:
                        self.diag("bad-declaration", item.span,
                                  detail=f"cannot tell what {target!r} is: write a relation "
                                  f"on a name, e.g. `{target}, y > 0`")
                        return
                    mapping = {sym(subjects[0]): sym(target)}
                raw_left = substitute(lhs.value, mapping)
                raw_right = substitute(rhs.value, mapping)
                left, right = self.subst(raw_left), self.subst(raw_right)
                bound = _bound(left, op, right)
                if bound is not None:
                    name, dom = bound
                    self.add_domain(name, dom, item.span)
                else:
                    self.ctx.hypotheses.append(Relation(left, op, right))
                    self.ctx.raw_hypotheses.append((raw_left, op, raw_right))
                    if op == "=":
                        self.same_term(raw_left, raw_right)
        for s in symbols:
            self.ctx.declared.add(s.name)
            self.declared_at.setdefault(s.name, item.span.line)
        # a kind after a relation applies to the name it follows: `d <= m integer` makes m an
        # integer, not d (assuming more than was written would be unsound); after a number
        # (`n, m >= 1 integer`) it applies to the names the item declares
        last = opaque_symbols(rel.exprs[-1].value)
        names = [last.name] if last.is_Symbol else [*subjects[:1], *targets]
        for name in names if item.kind else []:
            if sym(name) not in self.ctx.lets:  # an exercise's parameter has its value
                self.add_domain(name, _with_kind(Domain(), item.kind), item.span)

    def same_term(self, raw_left: sp.Expr, raw_right: sp.Expr) -> None:
        """A given ``T = e`` with T an opaque term: from now on, T written inside another
        term's brackets is e (``KL[Q, Prior[M]]`` is ``KL[Q, StdNormal[d]]`` under the given
        ``Prior[M] = StdNormal[d]``). Terms are functions of what is in their brackets, so
        this is congruence, an equivalence: without it the two terms were two unknowns and a
        true step could be refuted by giving them different values."""
        sides = [congruent(substitute(substitute_lets(e, self.ctx.lets), self.ctx.lets),
                           self.ctx.same_terms) for e in (raw_left, raw_right)]
        sides = [self.ctx.same_terms.get(e, e) for e in sides]
        if sides[0] == sides[1]:
            return
        for term, value in (sides, sides[::-1]):
            if is_opaque(term) and not value.has(term):
                self.ctx.same_terms[term] = value
                # a term met before this given (``C[A[X]]`` in an earlier given) equals its
                # rewritten form: said as a hypothesis, so contradictions across givens show
                for t in sorted(self.ctx.terms, key=sp.default_sort_key):
                    now = congruent(t, self.ctx.same_terms)
                    if now != t:
                        self.ctx.hypotheses.append(Relation(opaque_symbols(t), "=",
                                                            opaque_symbols(now)))
                return

    def declare_vector(self, item: Declaration) -> None:
        """``w in R^d``, ``x in [0, 1]^d``, ``p_k in (0, 1) for k in 1..K`` (docs/vectors.md):
        the names and dimensions are declared; what the item says of each coordinate holds
        for each one (at a concrete dimension) or for all at once (at a symbolic one)."""
        from checker.vectors import facts

        assert item.space is not None
        for dim in item.space:
            for s in sorted(dim.free_symbols, key=lambda x: x.name):
                if s.name not in self.ctx.domains or not self.ctx.domains[s.name].integer:
                    self.add_domain(s.name, Domain(lo=Fraction(1) if dim.is_Symbol else
                                                   Fraction(0), integer=True), item.span)
        for name in item.names:
            self.ctx.declared.add(name)
            self.declared_at.setdefault(name, item.span.line)
            self.vector_shapes[name] = item.space
        rows = item.space[0]
        interval = None
        if item.interval is not None:
            left, lo, hi, right = item.interval
            interval = (left, self.subst(lo.value), self.subst(hi.value), right)
        relations = []
        if item.relation is not None:
            relations = [(self.subst(a.value), op, self.subst(b.value))
                         for a, op, b in item.relation.relations()]
        for name in item.names:
            if item.space[1] != 1:
                continue
            if rows.is_Integer:
                for i in range(1, int(rows) + 1):
                    coord = f"{name}_{i}"
                    self.ctx.declared.add(coord)
                    self.declared_at.setdefault(coord, item.span.line)
                    if interval is not None:
                        left, low, high, right = interval
                        qlo, qhi = _rational(low), _rational(high)
                        if qlo is not None and qhi is not None:
                            self.add_domain(coord, _with_kind(
                                Domain(qlo, qhi, left == "(", right == ")"), item.kind),
                                item.span)
                        else:
                            x = sym(coord)
                            self.ctx.hypotheses += [
                                Relation(x, ">" if left == "(" else ">=", low),
                                Relation(x, "<" if right == ")" else "<=", high)]
                    elif item.kind is not None:
                        self.add_domain(coord, _with_kind(Domain(), item.kind), item.span)
                    for a, op, b in relations:
                        k = sym(item.index or "k")
                        rel = Relation(a.xreplace({k: sp.Integer(i)}), op,
                                       b.xreplace({k: sp.Integer(i)}))
                        bound = _bound(rel.lhs, rel.op, rel.rhs)
                        if bound is not None:
                            self.add_domain(bound[0], bound[1], item.span)
                        else:
                            self.ctx.hypotheses.append(rel)
                continue
            if item.kind in ("integer", "natural"):
                self.diag("bad-declaration", item.span,
                          detail="integer coordinates need a concrete dimension")
                continue
            try:
                self.ctx.hypotheses += facts.for_all(name, rows, item.index, interval, relations)
            except ValueError as exc:
                self.diag("bad-declaration", item.span, detail=str(exc))

    def add_domain(self, name: str, dom: Domain, span: Span) -> None:
        self.declared_at.setdefault(name, span.line)
        # an opaque P[...] starts from [0, 1]: `given P[A] > 2` is an empty domain, not a licence
        merged = self.ctx.domains.get(name, _opaque_domain(name)).meet(dom)
        self.ctx.domains[name] = merged
        self.ctx.declared.add(name)
        if merged.is_empty:
            self.diag("empty-domain", span, name=name, domain=str(merged))

    def _let_hypotheses(self, e: Expr) -> list[Relation]:
        """What a later step may assume where it uses a definition: the definition's conditions,
        except those under a sum (about its summation variable, not about a variable of the
        proof that has the same name)."""
        return [rel for c in e.conditions if not c.bound for rel, _, _, _ in self._condition(c)]

    def let(self, st: Let) -> None:
        value = self.subst(st.expr.value)
        name = sym(st.name)
        if self.exercise is not None and name in self.ctx.lets:
            # the exercise defines this name already: the submission's definition must agree
            self.tasks.append(Task(
                kind="definition", span=st.span, text=f"{st.name} = {st.expr.text}", op="=",
                justification=Justification("none"),
                obligation=self.obligation(Relation(value, "=", self.ctx.lets[name])),
                shown=f"{st.name} := {st.expr.shown}", sides=(st.name, st.expr.text)))
            return
        if st.name in self.ctx.declared:
            self.diag("redefined-name", st.span, name=st.name,
                      first=self.declared_at.get(st.name, "?"))
            return
        self.warn_undeclared(st.expr)
        defined = self.conditions([st.expr])
        self.ctx.let_conditions[st.name] = self._let_hypotheses(st.expr) + [
            h for n in sorted(self.let_names(st.expr)) for h in self.ctx.let_conditions.get(n, [])]
        self.ctx.lets[name] = value
        self.ctx.let_shown[st.name] = st.expr.shown
        self.ctx.let_text[st.name] = _written(st.expr)
        self.tasks.append(Task(
            kind="definition", span=st.span, text=f"{st.name} = {st.expr.text}", op=":=",
            justification=Justification("none"), obligation=None, definedness=defined,
            shown=f"{st.name} := {st.expr.shown}", sides=(st.name, st.expr.text)))

    def relation_task(self, kind: str, span: Span, lhs: Expr, op: str, rhs: Expr,
                      just: Justification, text: str) -> Task:
        self.warn_undeclared(lhs)
        self.warn_undeclared(rhs)
        claim = Relation(*scalar_relation(self.subst(lhs.value), op, self.subst(rhs.value)))
        raw = [substitute(lhs.value, self.ctx.lets), substitute(rhs.value, self.ctx.lets)]
        extra, preset, side = self.cited(just, raw)
        uses = self.let_names(lhs, rhs)
        facts = [i for r in just.refs if r.name in self.ctx.fact_tasks
                 for i in self.ctx.fact_tasks[r.name]]
        ob = self.obligation(claim, extra, uses)
        shown = f"{lhs.shown} {op} {rhs.shown}" + self.shapes_shown(lhs, rhs)
        if uses:
            shown += "   where " + ", ".join(
                f"{n} = {self.ctx.let_shown[n]}" for n in sorted(uses))
        if preset is None and self.exercise is not None:
            preset = _policy(self.exercise.automation, just, claim)
        return Task(kind=kind, span=span, text=text, op=op, justification=just, obligation=ob,
                    definedness=self.conditions([lhs, rhs]), side=side,
                    preset=preset, shown=shown,
                    rests_on=facts + self.definition_tasks(lhs, rhs),
                    growth=abs(self.size(lhs) - self.size(rhs)),
                    raw=Relation(raw[0], op, raw[1]),
                    bare=self.obligation(claim, [], uses) if extra else None,
                    cited=list(self.cites),
                    written=Relation(lhs.value, op, rhs.value), sides=(lhs.text, rhs.text))

    def shapes_shown(self, *exprs: Expr) -> str:
        """``   with w, delta in R^d``: the shapes of the vectors a line uses (--show-parsed)."""
        from checker.vectors.ir import describe_shape

        used = {n for e in exprs for n in re.findall(r"[A-Za-z][A-Za-z0-9_]*", e.text)}
        groups: dict[str, list[str]] = {}
        for name in sorted(used & set(self.vector_shapes)):
            shape = describe_shape(self.vector_shapes[name]).split(" in ", 1)[-1]
            groups.setdefault(shape, []).append(name)
        if not groups:
            return ""
        return "   with " + "; ".join(f"{', '.join(ns)} in {sh}" for sh, ns in groups.items())

    def definition_tasks(self, *exprs: Expr) -> list[int]:
        """The tasks of the submission's own ``let`` definitions that the expressions use."""
        return sorted(self.let_task[n] for n in self.let_names(*exprs) if n in self.let_task)

    def size(self, e: Expr) -> int:
        """Operations in an expression as written, counting those of the definitions it uses.

        Counted on the text: SymPy simplifies on construction (exp(-log(u)) is 1/u at once),
        which would hide exactly the leaps the step-size policy is about."""
        total = _ops(_written(e))
        for name in self.let_names(e):
            total += _ops(self.ctx.let_text.get(name, ""))
        return total

    def cited(self, just: Justification, targets: list[sp.Expr]) -> tuple[
            list[Relation], Verdict | None, list[Definedness]]:
        """Hypotheses from cited facts and theorems, the side obligations (the theorems'
        hypotheses, and the citations' arguments being defined: an undefined argument must
        never license anything), and a preset verdict when a citation cannot be used."""
        self.cites = []
        if just.kind != "refs":
            return [], None, []
        extra: list[Relation] = []
        side: list[Definedness] = []
        pending: list[tuple[Relation, str]] = []
        arg_exprs = [e for ref in just.refs for _, e in ref.args]
        side += [Definedness(d.obligation, f"a citation's argument is defined: {d.why}")
                 for d in self.conditions(arg_exprs)]
        for ref in just.refs:
            if ref.name in ("algebra", "numeric") and not ref.args:
                continue  # `by h1, algebra`: the fact, then algebra
            if ref.name in self.ctx.facts and not ref.args:
                extra += self.ctx.facts[ref.name]
                self.cites += [Cited(r) for r in self.ctx.facts[ref.name]]
                continue
            if ref.name in self.ctx.facts:
                return extra, _citation(f"{ref.name!r} is a fact of this proof and takes no "
                                        "arguments"), side
            thm = self.library.get(ref.name)
            if thm is None:
                from checker.diagnostics import did_you_mean

                hint = did_you_mean(ref.name, [*self.ctx.facts, *self.library.theorems,
                                               "algebra", "numeric"])
                reason = f"no fact or theorem named {ref.name!r}{hint}"
                return extra, _citation(reason), side
            if (self.exercise is not None and self.exercise.allowed is not None
                    and thm.id not in self.exercise.allowed):
                self.findings.append(make(
                    "theorem-not-allowed", file=self.proof.path, line=ref.span.line,
                    col=ref.span.col, name=thm.id, exercise=self.exercise.id,
                    allowed=", ".join(self.exercise.allowed) or "none"))
            args = {n: substitute(e.value, self.ctx.lets) for n, e in ref.args}
            known = list(self.ctx.raw_hypotheses) + [
                (r.lhs, r.op, r.rhs) for rels in self.ctx.facts.values() for r in rels]
            inst = instantiate(thm, args, targets, known, self.numbers(targets))
            if isinstance(inst, str):
                return extra, _citation(inst), side
            conclusion, hyps = inst
            extra += [self.subst_rel(r) for r in conclusion]
            conditions = tuple(self.subst_rel(r) for r, _ in hyps)
            self.cites += [Cited(self.subst_rel(r), thm.id, conditions) for r in conclusion]
            pending += hyps
        facts = [r for ref in just.refs if ref.name in self.ctx.facts
                 for r in self.ctx.facts[ref.name]]
        for rel, why in pending:  # a theorem's hypotheses may use the facts cited beside it
            side.append(Definedness(self.obligation(self.subst_rel(rel), facts), why))
        return extra, None, side

    def numbers(self, exprs: list[sp.Expr]) -> frozenset[str]:
        """The names that are numbers here: declared, defined, or used outside brackets in
        ``exprs`` (a name used only inside ``P[...]``, ``Var[...]`` is a random quantity)."""
        outside = {s.name for e in exprs for s in opaque_symbols(e).free_symbols
                   if not _is_opaque_name(s.name)}
        return frozenset(self.ctx.declared | {v.name for v in self.ctx.lets} | outside)

    def subst_rel(self, r: Relation) -> Relation:
        return Relation(self.subst(r.lhs), r.op, self.subst(r.rhs))

    def have(self, st: Have) -> None:
        rels: list[Relation] = []
        self.ctx.fact_tasks[st.name] = []
        for lhs, op, rhs in st.claim.relations():
            task = self.relation_task("fact", st.span, lhs, op, rhs, st.justification,
                                      f"{st.name}: {lhs.text} {op} {rhs.text}")
            self.ctx.fact_tasks[st.name].append(len(self.tasks))
            self.tasks.append(task)
            assert task.obligation is not None
            rels.append(task.obligation.claim)
        self.ctx.facts[st.name] = rels

    def chain(self, ch: Chain) -> list[int]:
        indices = []
        prev = ch.start
        self.warn_undeclared(prev)
        for step in ch.steps:
            text = f"{step.op} {step.expr.text}"
            task = self.relation_task("step", step.span, prev, step.op, step.expr,
                                      step.justification, text)
            indices.append(len(self.tasks))
            self.tasks.append(task)
            prev = step.expr
        return indices

    def show(self, st: Show) -> None:
        rels = st.claim.relations()
        if st.justification.kind != "none" or not st.chains:
            for lhs, op, rhs in rels:
                task = self.relation_task("goal", st.span, lhs, op, rhs, st.justification,
                                          f"show {lhs.text} {op} {rhs.text}")
                if not st.chains and st.justification.kind == "none":
                    task.preset = Verdict(Status.UNKNOWN, "goal",
                                          "the show block has no chain of steps; add one, or "
                                          "give a justification with `by` on the show line")
                self.tasks.append(task)
            return
        steps: list[int] = []
        last: Chain | None = None
        for ch in st.chains:
            steps += self.chain(ch)
            last = ch
        assert last is not None
        lhs, op, rhs = rels[0]
        ends = last.steps[-1].expr if last.steps else last.start
        chain_op = _compose([s.op for s in last.steps]) if last.steps else None
        text = f"show {st.claim.exprs[0].text} ... {st.claim.exprs[-1].text}" if len(rels) > 1 \
            else f"show {lhs.text} {op} {rhs.text}"
        # the goal rests on its chain's steps, and its own two sides must be defined
        task = Task(kind="goal", span=st.span, text=text, op=op,
                    justification=Justification("none"), obligation=None, rests_on=steps,
                    shown=f"{lhs.shown} {op} {rhs.shown}",
                    definedness=self.conditions([e for e in st.claim.exprs]),
                    sides=(st.claim.exprs[0].text, st.claim.exprs[-1].text))
        if len(rels) > 1:
            task.preset = Verdict(Status.UNKNOWN, "goal",
                                  "a show block with a chain proves one relation; write one "
                                  "show block for each relation of the claim")
        elif chain_op is None:
            task.preset = Verdict(Status.UNKNOWN, "goal",
                                  "the chain mixes directions (<= with >=, or uses !=), so it "
                                  "proves no relation between its ends" if last.steps else
                                  "the chain has no steps")
        else:
            task.goal = (self.subst(lhs.value), op, self.subst(rhs.value),
                         self.subst(last.start.value), chain_op, self.subst(ends.value))
        if not st.closed:
            task.preset = Verdict(Status.UNKNOWN, "goal", "the show block has no qed")
        self.tasks.append(task)


_OPERATION = re.compile(r"\*\*|[-+*/^|]|[A-Za-z_][A-Za-z0-9_]*(?=\s*[(\[])")


def _written(e: Expr) -> str:
    """The text whose operations count: LaTeX hides them (2m, \\frac{a}{b}), so for an
    expression written in LaTeX its reading counts when it shows more."""
    return e.shown if _ops(e.shown) > _ops(e.text) else e.text


def _ops(text: str) -> int:
    """How many operations (operators and function calls) a written expression has."""
    return len(_OPERATION.findall(text))


def _compose(ops: list[str]) -> str | None:
    """The relation a chain proves between its ends: = then <= then < gives <."""
    kinds = set(ops)
    if kinds <= {"="}:
        return "="
    if "!=" in kinds:
        return "!=" if kinds == {"!=", "="} and ops.count("!=") == 1 else None
    if kinds <= {"=", "<=", "<"}:
        return "<" if "<" in kinds else "<="
    if kinds <= {"=", ">=", ">"}:
        return ">" if ">" in kinds else ">="
    return None


IMPLIES = {
    "=": {"=", "<=", ">="},
    "<": {"<", "<=", "!="},
    "<=": {"<="},
    ">": {">", ">=", "!="},
    ">=": {">="},
    "!=": {"!="},
}


def _bound(lhs: sp.Expr, op: str, rhs: sp.Expr) -> tuple[str, Domain] | None:
    """``x op c`` or ``c op x`` with c a rational number, as a domain for x."""
    if op in ("=", "!="):
        return None
    if lhs.is_Symbol and rhs.is_Rational:
        x, c = lhs.name, Fraction(int(rhs.p), int(rhs.q))
    elif rhs.is_Symbol and lhs.is_Rational:
        x, c = rhs.name, Fraction(int(lhs.p), int(lhs.q))
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    else:
        return None
    if op in (">", ">="):
        return x, Domain(lo=c, lo_open=op == ">")
    return x, Domain(hi=c, hi_open=op == "<")


def _with_kind(d: Domain, kind: str | None) -> Domain:
    if kind == "integer":
        return d.meet(Domain(integer=True))
    if kind == "natural":
        return d.meet(Domain(lo=Fraction(0), integer=True))
    return d


def _connected(claim: Relation, hyps: list[Relation],
               expand: Callable[[set[str]], set[str]] = lambda names: names) -> list[Relation]:
    """The hypotheses that share variables with the claim, directly or through others
    (``expand`` adds the names a name stands for, such as a matrix's entries)."""
    names = expand(set(claim.free_names))
    chosen: list[Relation] = []
    rest = list(dict.fromkeys(hyps))
    changed = True
    while changed:
        changed = False
        for h in list(rest):
            mentioned = expand(set(h.free_names))
            if mentioned & names or not h.free_names:
                chosen.append(h)
                names |= mentioned
                rest.remove(h)
                changed = True
    return [h for h in dict.fromkeys(hyps) if h in chosen]


def _bound_in_sum(e: sp.Expr, s: sp.Symbol) -> bool:
    return any(s in sm.variables for sm in e.atoms(sp.Sum))


def _policy(automation: str, just: Justification, claim: Relation) -> Verdict | None:
    """A verdict when the exercise's automation policy does not let this step close without
    a cited fact or theorem (None when it may be checked as usual)."""
    if automation == "anything" or (just.kind == "refs" and any(
            r.name not in ("algebra", "numeric") for r in just.refs)):
        return None
    if claim.op in ("=", "!=") or not claim.free_names:
        return None  # identities, and relations between numbers, are always automatic
    if automation == "polynomial":
        f, _ = claim.difference()
        names = [sym(n) for n in sorted(claim.free_names)]
        if not f.atoms(AppliedUndef) and f.is_polynomial(*names):
            return None
        allowed = "identities and polynomial inequalities"
    else:
        allowed = "identities"
    return Verdict(Status.UNKNOWN, "policy",
                   f"this exercise lets a step without a cited fact or theorem close {allowed} "
                   "only: justify this inequality with `by` a fact or a theorem")


def _citation(reason: str) -> Verdict:
    return Verdict(Status.UNKNOWN, "citation", reason)


def opaque_symbols(e: sp.Expr) -> sp.Expr:
    """Each opaque term (``P[...]``) replaced by a variable named by its text."""
    if not e.atoms(AppliedUndef):
        return e
    out: sp.Expr = e.replace(is_opaque, lambda t: sym(show(t)))
    return out


def congruent(e: sp.Expr, same: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """``e`` with every opaque term inside another term's brackets (at any depth, in an
    event too) rewritten by ``same`` (term -> equal value), inner terms first; a term at the
    top level keeps its own variable (its given relates it). At most 8 rewrites in a row
    (``same`` is built without cycles, but a bound costs nothing)."""
    if not same or not e.atoms(AppliedUndef):
        return e

    def walk(a: sp.Expr, in_brackets: bool, rewrites: int) -> sp.Expr:
        if is_opaque(a):
            a = a.func(*[walk(x, True, rewrites) for x in a.args])
            value = same.get(a) if in_brackets and rewrites < 8 else None
            return a if value is None else walk(value, True, rewrites + 1)
        if not a.args or not a.atoms(AppliedUndef):
            return a
        return a.func(*[walk(x, in_brackets, rewrites) for x in a.args])

    return walk(e, False, 0)


def _is_opaque_name(name: str) -> bool:
    return name.endswith("]") and "[" in name


def _opaque_domain(name: str) -> Domain:
    """A probability ``P[...]`` lies in [0, 1]; other opaque terms are any real."""
    if name.startswith("P[") and name.endswith("]"):
        return Domain(Fraction(0), Fraction(1))
    return REAL


def _nonnegative_over_range(expo: sp.Expr, bound: Any, subst: Any, assumed: Obligation) -> bool:
    """Is an integer exponent >= 0 for every value of the summation variables it runs over
    (``bound``: (name, lo, hi) triples)? Each variable is written as ``lo + j`` or ``hi - j``
    with a fresh integer j >= 0 (both cover its whole range), and SymPy's assumptions decide
    the sign: ``n - k`` for k in 0..n is ``j`` (k = n - j)."""
    import itertools

    names = [(name, subst(lo), subst(hi)) for name, lo, hi in bound
             if sym(name) in expo.free_symbols]
    if not names or len(names) > 3:
        return False
    for ends in itertools.product((0, 1), repeat=len(names)):
        e = expo
        for (name, lo, hi), end in zip(names, ends, strict=True):
            j = sp.Dummy("j", integer=True, nonnegative=True)
            e = e.subs(sym(name), lo + j if end == 0 else hi - j)
        if substitute(e, assumed.assumed_symbols()).is_nonnegative:
            return True
    return False
