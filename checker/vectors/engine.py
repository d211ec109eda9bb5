"""Checking claims about vectors, matrices and families of a symbolic dimension.

An obligation that still has vector atoms after parsing (``<w, delta>``, ``||w||_1``,
``sum(k, 1, K, exp(z_k))`` with ``d`` or ``K`` a variable) is checked in two ways:

1. **At every dimension, from theorems.** Each atom becomes a variable (``||w||_1`` is one
   unknown number), and instances of the library's vector theorems about the atoms
   (``checker.vectors.facts``: Hölder, Cauchy-Schwarz, triangle, norm equivalences, ...) are
   added as hypotheses. The scalar portfolio then proves the abstract claim, or not. A proof
   is a proof at every dimension: the facts hold for the true values of the atoms.
2. **In small concrete dimensions, by search.** Each dimension is set to 1..4 (a family's
   length to 1..5), the atoms are written out in coordinates, and the scalar portfolio
   checks the result. A counterexample there (re-checked exactly, as every counterexample)
   refutes the claim, and is shown as vectors. Proofs there say nothing about other
   dimensions: a claim proved in each small dimension is at most **plausible**, and the
   verdict says so.

Between the two, a claim that compares two family sums over the same range
(``sum(k, 1, K, a_k) <= sum(k, 1, K, b_k)``) is proved term by term (``_termwise``): the
claim ``a_i <= b_i`` about one member ``i``, an integer between the bounds, under the same
hypotheses, proved at every dimension, gives the claim for the sums (theorem
``sum_le_sum``; strict only over a range that is certainly nonempty).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction

import sympy as sp

from checker.binders import canonical_bound
from checker.obligations import (
    REAL,
    Counterexample,
    Domain,
    Obligation,
    Relation,
    Status,
    Verdict,
)
from checker.printing import decimal, show
from checker.vectors import facts as vfacts
from checker.vectors.ir import (
    SCALAR_ATOMS,
    Coord,
    FamMax,
    FamMin,
    Inner,
    MatInv,
    MatMul,
    MatVar,
    NotExpandable,
    Trace,
    VecVar,
    expand,
    has_vectors,
    shape_of,
)

Check = Callable[[Obligation, float, str], Verdict]

SMALL_DIMS = (1, 2, 3, 4)
SMALL_FAMILIES = (1, 2, 3, 4, 5)
MAX_COMBINATIONS = 5
# shares of the budget: each stage of the proof from theorems, each small dimension (all of
# them together stay well under the hard time limit of checker.timelimit)
STRUCTURAL_SHARE = 0.5
# the small dimensions share CONCRETE_TOTAL budgets, at most CONCRETE_SHARE each: with five of
# them at 0.8 each, a claim the methods cannot settle (the softmax goal in one step) ran into
# the CPU safety cap, a machine-dependent verdict
CONCRETE_SHARE = 0.8
CONCRETE_TOTAL = 1.2
FACT_ROUNDS = 3

THEOREM_NAMES = {
    "holder_one_inf": "Hölder's inequality (1, inf)",
    "cauchy_schwarz": "Cauchy-Schwarz",
    "norm_add_le": "the triangle inequality",
    "norm_smul": "homogeneity of norms",
    "norm_nonneg": "norms are >= 0",
    "norm_inf_le_norm_two": "||x||_inf <= ||x||_2",
    "norm_two_le_norm_one": "||x||_2 <= ||x||_1",
    "norm_one_le_sqrt_dim_norm_two": "||x||_1 <= sqrt(d)*||x||_2",
    "norm_two_le_sqrt_dim_norm_inf": "||x||_2 <= sqrt(d)*||x||_inf",
    "norm_one_le_dim_norm_inf": "||x||_1 <= d*||x||_inf",
    "inner_self_eq_norm_sq": "<x, x> = ||x||_2^2",
    "op_norm_le_frobenius": "||A||_op <= ||A||_F",
    "op_norm_mul_le": "submultiplicativity of the operator norm",
    "op_norm_apply_le": "||A x||_2 <= ||A||_op ||x||_2",
    "norm_relu_le": "||relu(x)|| <= ||x||",
    "relu_lipschitz": "relu is 1-Lipschitz",
    "sum_exp_pos": "a sum of exponentials is > 0",
    "log_sum_exp_ge_max": "log-sum-exp >= max",
    "log_sum_exp_le_max_add_log": "log-sum-exp <= max + log(K)",
    "fam_min_le_max": "min <= max",
    "sum_pos": "a sum of positive terms is positive",
    "sum_le_sum": "sums compare term by term",
}


def applies(ob: Obligation) -> bool:
    rels = [ob.claim, *ob.hypotheses]
    return any(has_vectors(r.lhs) or has_vectors(r.rhs) for r in rels)


def _is_atom(x: sp.Basic) -> bool:
    return isinstance(x, (*SCALAR_ATOMS, Coord)) or (
        isinstance(x, (sp.Sum, sp.Product)) and has_vectors(x))


def atoms_of(e: sp.Basic) -> set[sp.Expr]:
    """The outermost atoms of an expression (not those inside another atom)."""
    out: set[sp.Expr] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if _is_atom(x):
            out.add(x)
        elif x.args and has_vectors(x):
            stack.extend(x.args)
    return out


def _name(atom: sp.Expr) -> sp.Symbol:
    return sp.Symbol(show(atom), real=True)


def _linear_terms(v: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]]:
    """``v`` as a sum of (number coefficient, vector term)."""
    out: list[tuple[sp.Expr, sp.Expr]] = []
    for t in sp.Add.make_args(v):
        coeff = [a for a in sp.Mul.make_args(t) if not shape_of(a)]
        rest = [a for a in sp.Mul.make_args(t) if shape_of(a)]
        if len(rest) != 1:
            return [(sp.Integer(1), v)]
        out.append((sp.Mul(*coeff), rest[0]))
    return out


def _positive_families(ob: Obligation) -> set[str]:
    """Families whose every member the hypotheses say is > 0 (``min(k, 1, K, p_k) > 0``)."""
    out: set[str] = set()
    for h in ob.hypotheses:
        if isinstance(h.lhs, FamMin) and h.op in (">", ">=") and h.rhs.is_Number and (
                h.rhs > 0 or (h.rhs == 0 and h.op == ">")):
            lam = h.lhs.args[0]
            if isinstance(lam.expr, Coord) and lam.expr.args[1] == lam.variables[0]:
                out.add(lam.expr.args[0].name)
    return out


def _split_sum(s: sp.Sum, positive: set[str]) -> sp.Expr:
    """A family sum split into sums of its terms, factors free of k taken out, and the log of
    a product or quotient of positive members expanded: ``sum(p_k*log(p_k/q_k))`` is
    ``sum(p_k*log(p_k)) - sum(p_k*log(q_k))`` when p and q are positive families."""
    if len(s.limits) != 1:
        return s
    k, lo, hi = s.limits[0]

    def positive_log(x: sp.Basic) -> bool:
        if not isinstance(x, sp.log):
            return False
        parts = [b for f in sp.Mul.make_args(x.args[0]) for b in [sp.Pow(f, 1).as_base_exp()[0]]]
        return all((p.is_Number and p > 0) or (isinstance(p, Coord) and
                                                p.args[0].name in positive) for p in parts)

    body = s.function.replace(positive_log, lambda x: sp.expand_log(x, force=True))
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(body)):
        inside = [f for f in sp.Mul.make_args(term) if k in f.free_symbols]
        outside = [f for f in sp.Mul.make_args(term) if k not in f.free_symbols]
        total += sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (k, lo, hi))
    return total


def _trace_of(t: sp.Expr) -> sp.Expr:
    """``tr(t)``, with ``tr(A^(-1)*A) = tr(A*A^(-1)) = n`` for an n x n matrix A (theorems
    ``tr_inv_mul_self``, ``tr_mul_inv_self``): exact wherever ``A^(-1)`` is defined, and the
    inverse carries its own condition ``det(A) != 0``."""
    if isinstance(t, MatMul):
        a, b = t.args
        if (isinstance(a, MatInv) and a.args[0] == b) or (isinstance(b, MatInv) and b.args[0] == a):
            return shape_of(t)[0]
    return Trace(t)


def normalize(e: sp.Expr, positive: set[str] | None = None) -> sp.Expr:
    """Exact rewrites that make equal atoms look equal: the inner product is bilinear and
    symmetric, the trace linear (``<w, x + delta>`` is ``<w, x> + <w, delta>``), matrix
    products distribute, family sums are linear (``_split_sum``), and the trace of
    ``A^(-1)*A`` is the dimension (``_trace_of``)."""

    def inner(x: sp.Expr) -> sp.Expr:
        total = sp.Integer(0)
        for cu, u in _linear_terms(x.args[0]):
            for cv, v in _linear_terms(x.args[1]):
                a, b = sorted((u, v), key=sp.default_sort_key)
                total += cu * cv * Inner(a, b)
        return total

    def trace(x: sp.Expr) -> sp.Expr:
        return sp.Add(*[c * _trace_of(t) for c, t in _linear_terms(x.args[0])])

    def matmul(x: sp.Expr) -> sp.Expr:
        total = sp.Integer(0)
        for ca, a in _linear_terms(x.args[0]):
            for cb, b in _linear_terms(x.args[1]):
                total += ca * cb * MatMul(a, b)
        return total

    out = e
    if positive is not None:
        out = out.replace(lambda x: isinstance(x, sp.Sum) and x.function.has(Coord),
                          lambda x: _split_sum(x, positive))
    out = out.replace(lambda x: isinstance(x, MatMul), matmul)  # A*(u - v) = A*u - A*v
    out = out.replace(lambda x: isinstance(x, Inner), inner)
    return out.replace(lambda x: isinstance(x, Trace), trace)


def _equal_vectors_replaced(ob: Obligation) -> Obligation:
    """A given ``u = e`` about a declared vector or matrix u (not in e): u replaced by e in
    the claim and the other hypotheses, and the given dropped. Only for the stages that
    prove (a proof of the result is one of the original); the small dimensions write the
    given out entry by entry instead (``_expanded_given``)."""
    for h in ob.hypotheses:
        if h.op != "=":
            continue
        for u, e in ((h.lhs, h.rhs), (h.rhs, h.lhs)):
            if isinstance(u, (VecVar, MatVar)) and not e.has(u) and shape_of(e) == shape_of(u):
                rest = tuple(r for r in ob.hypotheses if r is not h)
                return _equal_vectors_replaced(Obligation(
                    ob.claim.subs({u: e}), ob.domains,
                    tuple(r.subs({u: e}) for r in rest)))
    return ob


def abstract(ob: Obligation, closure: bool,
             split: bool = True) -> tuple[Obligation, list[str]] | None:
    """The obligation with each atom a variable and the facts about the atoms added, and the
    theorems the facts come from; None when an atom is left that has no name (a vector).
    ``split``: family sums split by linearity (``_split_sum``), else each taken whole."""
    ob = _equal_vectors_replaced(ob)
    pos = _positive_families(ob) if split else None
    taken = set(ob.names)

    def norm(e: sp.Expr) -> sp.Expr:  # a family sum's index by its depth: sum(i, ...) = sum(k, ...)
        return normalize(canonical_bound(e, taken), pos)

    ob = Obligation(Relation(norm(ob.claim.lhs), ob.claim.op, norm(ob.claim.rhs)),
                    ob.domains, tuple(Relation(norm(h.lhs), h.op, norm(h.rhs))
                                      for h in ob.hypotheses))
    rels = [ob.claim, *ob.hypotheses]
    atoms: set[sp.Expr] = set()
    for r in rels:
        atoms |= atoms_of(r.lhs) | atoms_of(r.rhs)
    found: list[tuple[str, Relation]] = []
    seen: set[sp.Expr] = set()
    for _ in range(FACT_ROUNDS):  # facts about the atoms that facts bring in, a few rounds
        new = atoms - seen
        if not new:
            break
        seen |= new
        more = vfacts.vector_facts(atoms, closure, lambda lo, hi: nonempty(ob, lo, hi))
        more += vfacts.famextreme_facts(atoms, lambda lo, hi: nonempty(ob, lo, hi))
        found += [f for f in more if f not in found]
        for _, f in more:
            atoms |= atoms_of(f.lhs) | atoms_of(f.rhs)
    for thm, f in [*_member_facts(ob, atoms), *_sum_sign_facts(ob, atoms)]:
        found.append((thm, f))
        atoms |= atoms_of(f.lhs) | atoms_of(f.rhs)
    mapping = {a: _name(a) for a in atoms}

    def sub(e: sp.Expr) -> sp.Expr:
        return e.xreplace(mapping)

    claim = Relation(sub(ob.claim.lhs), ob.claim.op, sub(ob.claim.rhs))
    hyps = [Relation(sub(h.lhs), h.op, sub(h.rhs)) for h in ob.hypotheses]
    extra = [Relation(sub(f.lhs), f.op, sub(f.rhs)) for _, f in found]
    everything = [claim, *hyps, *extra]
    if any(has_vectors(r.lhs) or has_vectors(r.rhs) for r in everything):
        return None
    names: set[str] = set()
    for r in everything:
        names |= r.free_names
    domains = tuple((n, d) for n, d in ob.domains if n in names)
    theorems = list(dict.fromkeys(t for t, _ in found))
    return Obligation(claim, domains, tuple(dict.fromkeys([*hyps, *extra]))), theorems


def _member_facts(ob: Obligation, atoms: set[sp.Expr]) -> list[tuple[str, Relation]]:
    """``min(k, lo, hi, f) <= f(i) <= max(k, lo, hi, f)`` for an index i that the obligation
    says is an integer between lo and hi (a condition under a sum, ``z_i <= max(...)``)."""
    hyps = set(ob.hypotheses)
    out: list[tuple[str, Relation]] = []
    indices = {c.args[1] for a in atoms for c in a.atoms(Coord) if c.args[1].is_Symbol}
    extremes = {a for a in atoms if isinstance(a, (FamMin, FamMax))}
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            extremes |= set(e.atoms(FamMin, FamMax))
    for i in sorted(indices, key=lambda x: x.name):
        if not ob.domain(i.name).integer:
            continue
        for m in sorted(extremes, key=sp.default_sort_key):
            lam, lo, hi = m.args
            low = Relation(i, ">=", lo) in hyps or (
                lo.is_Rational and ob.domain(i.name).lo is not None
                and ob.domain(i.name).lo >= lo)
            if not (low and Relation(i, "<=", hi) in hyps):
                continue
            op = ">=" if isinstance(m, FamMin) else "<="
            out.append(("fam_min_le_max", Relation(lam(i), op, m)))
    return out


def nonempty(ob: Obligation, lo: sp.Expr, hi: sp.Expr) -> bool:
    """Is the range lo..hi certainly nonempty (a family sum or max over it well defined)?"""
    if lo.is_Integer and hi.is_Integer:
        return bool(hi >= lo)
    least = ob.domain(hi.name).lo if hi.is_Symbol else None
    return bool(lo.is_Integer and least is not None and least >= lo)


def _sum_sign_facts(ob: Obligation, atoms: set[sp.Expr]) -> list[tuple[str, Relation]]:
    """A sum over k = 1..K (K >= 1) of products of positive factors is positive: members of
    families that the hypotheses say are > 0 (``min(k, 1, K, p_k) > 0``), exponentials and
    positive numbers (>= 0 with a factor only >= 0)."""
    positive: dict[str, str] = {}  # family name -> ">" or ">="
    for h in ob.hypotheses:
        if isinstance(h.lhs, FamMin) and h.op in (">", ">=") and h.rhs.is_Number \
                and h.rhs >= 0:
            lam = h.lhs.args[0]
            body = lam.expr
            if isinstance(body, Coord) and body.args[1] == lam.variables[0]:
                strict = h.op == ">" or h.rhs > 0
                name = body.args[0].name
                if positive.get(name) != ">":
                    positive[name] = ">" if strict else ">="
    out: list[tuple[str, Relation]] = []
    for a in sorted(atoms, key=sp.default_sort_key):
        if not (isinstance(a, sp.Sum) and len(a.limits) == 1):
            continue
        k, lo, hi = a.limits[0]
        if not nonempty(ob, lo, hi):
            continue
        signs = []
        for f in sp.Mul.make_args(a.function):
            if (f.is_Number and f > 0) or isinstance(f, sp.exp):
                signs.append(">")
            elif isinstance(f, Coord) and f.args[1] == k and f.args[0].name in positive:
                signs.append(positive[f.args[0].name])
            else:
                signs = []
                break
        if signs:
            op = ">" if all(x == ">" for x in signs) else ">="
            out.append(("sum_pos", Relation(a, op, sp.Integer(0))))
    return out


def _splits(ob: Obligation) -> bool:
    """Does splitting family sums by linearity change the obligation?"""
    pos = _positive_families(ob)
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            for x in e.atoms(sp.Sum):
                if x.function.has(Coord) and _split_sum(x, pos) != x:
                    return True
    return False


def _termwise(ob: Obligation, budget_s: float, run: Check) -> Verdict | None:
    """``sum(k, lo, hi, a_k) op sum(k, lo, hi, b_k)`` from ``a_i op b_i`` for one member
    ``i``, a fresh integer with ``lo <= i <= hi``, under the obligation's hypotheses (which
    do not mention i): what holds for every member holds for the sums (theorem
    ``sum_le_sum``). A strict claim needs a range that is certainly nonempty. None when the
    claim is not such a comparison."""
    lhs, op, rhs = ob.claim.lhs, ob.claim.op, ob.claim.rhs
    if not (isinstance(lhs, sp.Sum) and isinstance(rhs, sp.Sum) and op != "!="
            and len(lhs.limits) == 1 and len(rhs.limits) == 1):
        return None
    (ka, lo, hi), (kb, lo_b, hi_b) = lhs.limits[0], rhs.limits[0]
    if (lo, hi) != (lo_b, hi_b) or not all(x.is_Integer or x.is_Symbol for x in (lo, hi)):
        return None
    if op in ("<", ">") and not nonempty(ob, lo, hi):
        return None
    used = {n for n, _ in ob.domains}
    for r in [ob.claim, *ob.hypotheses]:
        used |= {x.name for e in (r.lhs, r.rhs) for x in e.atoms(sp.Symbol)}
    name = next(n for n in itertools.chain(["i"], (f"i{j}" for j in itertools.count(1)))
                if n not in used)
    i = sp.Symbol(name, real=True)
    claim = Relation(lhs.function.xreplace({ka: i}), op, rhs.function.xreplace({kb: i}))
    dom = Domain(lo=Fraction(int(lo)) if lo.is_Integer else None, integer=True)
    pointwise = Obligation(claim, tuple(sorted([*ob.domains, (name, dom)])),
                           (*ob.hypotheses, Relation(i, ">=", lo), Relation(i, "<=", hi)))
    made = abstract(pointwise, False)  # at every dimension only: i is no dimension
    if made is None:
        return None
    v = run(made[0], budget_s, "auto")
    if v.status is not Status.PROVED:
        return v if v.time_limited else Verdict(Status.UNKNOWN, "vectors", v.reason[:300])
    cited = "".join(f", {t} ({THEOREM_NAMES.get(t, t)})" for t in made[1])
    return Verdict(Status.PROVED, f"vectors+{v.engine}",
                   f"proved at every dimension, term by term (sum_le_sum{cited}): "
                   f"{show(claim.lhs)} {op} {show(claim.rhs)} for every integer {name} from "
                   f"{show(lo)} to {show(hi)}", None, v.samples, v.time_s, v.notes)


def dimension_symbols(ob: Obligation) -> list[sp.Symbol]:
    """The variables that are dimensions or family lengths in the obligation."""
    out: set[sp.Symbol] = set()
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            for v in e.atoms(VecVar):
                out |= v.args[1].free_symbols
            for m in e.atoms(MatVar):
                out |= m.args[1].free_symbols | m.args[2].free_symbols
            for s in e.atoms(sp.Sum, sp.Product):
                if s.function.has(Coord):
                    for _, lo, hi in s.limits:
                        out |= lo.free_symbols | hi.free_symbols
            for f in e.atoms(FamMax, FamMin):
                out |= f.args[1].free_symbols | f.args[2].free_symbols
    return sorted(out, key=lambda s: s.name)


def _families(ob: Obligation, dims: list[sp.Symbol]) -> set[sp.Symbol]:
    """The dimension symbols that are only lengths of families (not of declared vectors)."""
    vector_dims: set[sp.Symbol] = set()
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            for v in e.atoms(VecVar, MatVar):
                for d in v.args[1:]:
                    vector_dims |= d.free_symbols
    return {d for d in dims if d not in vector_dims}


def combinations(ob: Obligation, dims: list[sp.Symbol]) -> list[dict[sp.Symbol, int]]:
    """Small values of the dimensions that their domains allow, smallest first."""
    fam = _families(ob, dims)
    ranges = [[v for v in (SMALL_FAMILIES if d in fam else SMALL_DIMS)
               if ob.domain(d.name).contains(Fraction(v))] for d in dims]
    combos = [dict(zip(dims, vals, strict=True)) for vals in itertools.product(*ranges)]
    combos.sort(key=lambda c: (sum(c.values()), [c[d] for d in dims]))
    return combos[:MAX_COMBINATIONS]


def _split_extremes(rel: Relation) -> list[Relation]:
    """``min(k, 1, 3, f) > c`` as ``f(1) > c, f(2) > c, f(3) > c`` (and max with <)."""
    lhs, op, rhs = rel.lhs, rel.op, rel.rhs
    if (isinstance(lhs, FamMin) and op in (">", ">=")) or (isinstance(lhs, FamMax) and op in (
            "<", "<=")):
        lam, lo, hi = lhs.args
        if lo.is_Integer and hi.is_Integer and int(hi) - int(lo) < 64:
            return [Relation(lam(sp.Integer(i)), op, rhs) for i in range(int(lo), int(hi) + 1)]
    return [rel]


def concrete(ob: Obligation, values: dict[sp.Symbol, int]) -> Obligation | None:
    """The obligation at these dimensions, written out in coordinates; None when it cannot
    be (or when the dimensions break a hypothesis about them)."""
    from checker.elaborate import _bound
    from checker.numeric import Undefined, holds_at

    mapping = {d: sp.Integer(v) for d, v in values.items()}
    try:
        claim = _expanded(ob.claim, mapping)
        hyps: list[Relation] = []
        for h in ob.hypotheses:
            h2 = Relation(h.lhs.xreplace(mapping), h.op, h.rhs.xreplace(mapping))
            for part in _split_extremes(h2):
                hyps += _expanded_given(part)
    except (NotExpandable, ValueError, TypeError):
        return None
    domains = {n: d for n, d in ob.domains if sp.Symbol(n, real=True) not in mapping}
    kept: list[Relation] = []
    for h in hyps:
        if not h.free_names:
            try:
                ok = holds_at(h, {})
            except (Undefined, ArithmeticError, NotImplementedError, ValueError):
                return None
            if ok is not True:
                return None
            continue
        bound = _bound(h.lhs, h.op, h.rhs)
        if bound is not None:
            name, dom = bound
            domains[name] = domains.get(name, REAL).meet(dom)
            continue
        kept.append(h)
    names: set[str] = set(claim.free_names)
    for h in kept:
        names |= h.free_names
    doms = tuple(sorted((n, d) for n, d in domains.items() if n in names))
    if any(d.is_empty for _, d in doms):
        return None
    return Obligation(claim, doms, tuple(dict.fromkeys(kept)))


def _expanded_given(rel: Relation) -> list[Relation]:
    """A hypothesis written out in coordinates; an equation between vectors or matrices
    (``u = v``, ``S^T = S``) is one equation per entry, its exact meaning."""
    if rel.op == "=":
        lhs, rhs = expand(rel.lhs), expand(rel.rhs)
        if isinstance(lhs, sp.MatrixBase) and isinstance(rhs, sp.MatrixBase):
            if lhs.shape != rhs.shape:
                raise NotExpandable("an equation between different shapes")
            out = [Relation(a, "=", b) for a, b in zip(lhs, rhs, strict=True) if a != b]
            if any(has_vectors(r.lhs) or has_vectors(r.rhs) for r in out):
                raise NotExpandable("atoms left")
            return out
    return [_expanded(rel, {})]


def _expanded(rel: Relation, mapping: dict[sp.Symbol, sp.Integer]) -> Relation:
    lhs = expand(rel.lhs.xreplace(mapping))
    rhs = expand(rel.rhs.xreplace(mapping))
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        raise NotExpandable("a relation between vectors")
    if has_vectors(lhs) or has_vectors(rhs):
        raise NotExpandable("atoms left")
    return Relation(lhs, rel.op, rhs)


def _vectors_shown(ob: Obligation, values: dict[sp.Symbol, int],
                   point: dict[str, Fraction]) -> str:
    """The counterexample as vectors: ``d = 2: w = (1, -1), delta = (1/2, 1/2), eps = 1/2``."""
    vectors: dict[str, list[str]] = {}
    shown: set[str] = set()
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            for v in sorted(e.atoms(VecVar), key=lambda x: x.args[0].name):
                name = v.args[0].name
                n = v.args[1].xreplace({d: sp.Integer(x) for d, x in values.items()})
                if name in vectors or not n.is_Integer:
                    continue
                coords = [f"{name}_{i}" for i in range(1, int(n) + 1)]
                vectors[name] = [_q(point.get(c, Fraction(0))) for c in coords]
                shown |= set(coords)
            for m in sorted(e.atoms(MatVar), key=lambda x: x.args[0].name):
                name = m.args[0].name
                rows, cols = (x.xreplace({d: sp.Integer(v) for d, v in values.items()})
                              for x in m.args[1:])
                if name in vectors or not (rows.is_Integer and cols.is_Integer):
                    continue
                entries = [[f"{name}_{i}_{j}" for j in range(1, int(cols) + 1)]
                           for i in range(1, int(rows) + 1)]
                vectors[name] = ["(" + ", ".join(_q(point.get(x, Fraction(0))) for x in row)
                                 + ")" for row in entries]
                shown |= {x for row in entries for x in row}
            for c in e.atoms(Coord):
                head = c.args[0].name
                if head in vectors:
                    continue
                size = next((s for s in _family_sizes(ob, head, values)), None)
                if size is None:
                    continue
                coords = [f"{head}_{i}" for i in range(1, size + 1)]
                vectors[head] = [_q(point.get(x, Fraction(0))) for x in coords]
                shown |= set(coords)
    dims = ", ".join(f"{d.name} = {v}" for d, v in values.items())
    parts = [f"{n} = ({', '.join(vs)})" for n, vs in sorted(vectors.items())]
    parts += [f"{n} = {_q(q)}" for n, q in sorted(point.items()) if n not in shown]
    return f"{dims}: {', '.join(parts)}" if dims else ", ".join(parts)


def _family_sizes(ob: Obligation, head: str, values: dict[sp.Symbol, int]) -> list[int]:
    out: list[int] = []
    for r in [ob.claim, *ob.hypotheses]:
        for e in (r.lhs, r.rhs):
            for s in e.atoms(sp.Sum, sp.Product, FamMax, FamMin):
                if not any(c.args[0].name == head for c in s.atoms(Coord)):
                    continue
                hi = s.limits[0][2] if isinstance(s, (sp.Sum, sp.Product)) else s.args[2]
                hi = hi.xreplace({d: sp.Integer(x) for d, x in values.items()})
                if hi.is_Integer:
                    out.append(int(hi))
    return out


def _q(q: Fraction) -> str:
    exact = str(q)
    dec = decimal(q)
    return exact if dec == exact or len(exact) <= 7 else f"{exact} (≈ {dec})"


def check(ob: Obligation, budget_s: float, mode: str, run: Check) -> Verdict:
    """The verdict on an obligation with vector atoms (module docstring). Each inner check
    gets a fixed share of the budget (never what the clock leaves), so that the verdict does
    not depend on the machine; an inner check stopped by the hard time limit makes the
    verdict a time-limited one unless another check decided the claim."""
    reasons: list[str] = []
    limited: Verdict | None = None
    dims = dimension_symbols(ob)
    if mode != "numeric":
        if ob.claim.op != "=" and _splits(ob):
            # an inequality between family sums may need them whole (1/sum(...) against
            # 1/sum(...)): splitting brings factors out that only get in the way there;
            # tried first, as it is quick when it works
            made = abstract(ob, False, split=False)
            if made is not None:
                v = run(made[0], budget_s * STRUCTURAL_SHARE, "auto")
                if v.status is Status.PROVED:
                    cited = ", ".join(f"{t} ({THEOREM_NAMES.get(t, t)})" for t in made[1])
                    why = "proved at every dimension, each family sum taken whole" + (
                        f", with these library theorems in force: {cited}" if cited else "")
                    return Verdict(Status.PROVED, f"vectors+{v.engine}", why, None,
                                   v.samples, v.time_s, v.notes)
                if v.time_limited:
                    limited = v
        for closure in (False, True):
            made = abstract(ob, closure)
            if made is None:
                break
            abstract_ob, theorems = made
            if not theorems and not dims:
                break  # nothing to reason with: the coordinates decide
            v = run(abstract_ob, budget_s * STRUCTURAL_SHARE, "auto")
            if v.status is Status.PROVED:
                cited = ", ".join(f"{t} ({THEOREM_NAMES.get(t, t)})" for t in theorems)
                why = "proved at every dimension" + (
                    f", with these library theorems in force: {cited}" if cited
                    else " (each vector quantity taken as a number)")
                return Verdict(Status.PROVED, f"vectors+{v.engine}", why, None, v.samples,
                               v.time_s, v.notes)
            if v.time_limited:
                limited = v
            elif v.reason:
                reasons.append(f"from theorems: {v.reason}"[:300])
        tw = _termwise(ob, budget_s * STRUCTURAL_SHARE, run)
        if tw is not None and tw.status is Status.PROVED:
            return tw
        if tw is not None and tw.time_limited:
            limited = tw
        elif tw is not None and tw.reason:
            reasons.append(f"term by term: {tw.reason}"[:300])
    if not dims:  # every dimension is a number: the claim in coordinates is the claim
        small = concrete(ob, {})
        if small is None:
            return Verdict(Status.UNKNOWN, "vectors", "; ".join(
                [*reasons, "the claim could not be written out in coordinates"])[:500])
        v = run(small, budget_s, mode)
        if v.status is Status.REFUTED and v.counterexample is not None:
            where = _vectors_shown(ob, {}, dict(v.counterexample.values))
            return Verdict(v.status, v.engine, f"{v.reason}; as vectors: {where}",
                           v.counterexample, v.samples, v.time_s, v.notes)
        return v
    combos = combinations(ob, dims)
    share = min(CONCRETE_SHARE, CONCRETE_TOTAL / max(len(combos), 1))
    proved: list[str] = []
    tried = 0
    last_plausible: Verdict | None = None
    for values in combos:
        small = concrete(ob, values)
        label = ", ".join(f"{d.name} = {v}" for d, v in values.items())
        if small is None:
            continue
        tried += 1
        # evidence, never a proof for every dimension: the engines without the proof methods
        # (whose sub-proofs grow with the dimension: the softmax goal took 5 s at K = 3)
        v = run(small, budget_s * share, "evidence" if mode == "auto" else mode)
        if v.status is Status.REFUTED and v.counterexample is not None:
            point = dict(v.counterexample.values)
            where = _vectors_shown(ob, values, point)
            cx = Counterexample(
                tuple((d.name, Fraction(x)) for d, x in values.items()) + v.counterexample.values,
                v.counterexample.lhs, v.counterexample.rhs)
            return Verdict(Status.REFUTED, f"vectors+{v.engine}",
                           f"false in dimension {where}", cx, v.samples, v.time_s, v.notes)
        if v.status is Status.PROVED:
            proved.append(label)
        elif v.status is Status.PLAUSIBLE:
            last_plausible = v
        elif v.time_limited:
            limited = v
        else:
            reasons.append(f"at {label}: {v.reason}"[:200])
    if limited is not None:
        return Verdict(Status.UNKNOWN, "vectors", limited.reason)
    if proved and len(proved) == tried:
        return Verdict(Status.PLAUSIBLE, "vectors",
                       f"proved in the small dimensions {'; '.join(proved)} only, which is "
                       "not a proof for every dimension", samples=len(proved),
                       notes=("checked in concrete dimensions only",))
    if proved or last_plausible is not None:
        return Verdict(Status.PLAUSIBLE, "vectors",
                       "no counterexample in small dimensions"
                       + (f" (proved at {'; '.join(proved)})" if proved else ""),
                       samples=max(len(proved), last_plausible.samples if last_plausible
                                   else 0),
                       notes=("checked in concrete dimensions only",))
    return Verdict(Status.UNKNOWN, "vectors", "; ".join(reasons)[:500] or
                   "the claim could not be written out in small dimensions")
