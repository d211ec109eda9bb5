"""Citing a theorem: its variables and objects given or found in the step, then substituted.

A theorem has *variables* (numbers with a domain, ``n >= 1 integer``) and *objects* (the random
variables, classes, functions and points its opaque terms are about: ``X`` in
``P[|Mean[X, n] - E[X]| >= t]``, ``H`` in ``Rad[H, m]``). A citation gives either kind by name
(``markov(Z = Y, a = 3)``) or leaves it to be matched against the step's two sides and, for
names only the hypotheses mention, against what the proof assumes. An object carries no numeric
domain. An object written as the head of an opaque term (``f`` in ``f[x]``) can only stand for a
name, and the heads are renamed with it.

Values are substituted with ``checker.binders.substitute``, so a value that mentions the index of
a ``sum`` inside the theorem does not get captured by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.binders import substitute
from checker.functions import Event
from checker.library.theorems import Theorem
from checker.obligations import REAL, Relation, sym

if TYPE_CHECKING:
    from checker.elaborate import Context

FLIP_OP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}

# matching sees ``f[x]`` as ``APPLY(f, x)``, so the head ``f`` is a symbol a Wild can match, and
# ``|u|`` as ``ABS(u)``, which SymPy does not normalize: the pattern ``|X - E[X]|`` with a Wild for
# ``X`` may be stored as ``|E[X] - X|``, so matching tries both signs (``_sign_variants``)
_APPLY = sp.Function("@apply")
_ABS = sp.Function("@abs")
MAX_VARIANTS = 16


def theorem_context(thm: Theorem) -> Context:
    """The domains and hypotheses a theorem's variable declarations mean."""
    from checker.elaborate import Elaborator
    from checker.syntax.ast import ProofFile

    e = Elaborator(ProofFile(thm.path, None, ()))
    for item in thm.variables:
        e.declare(item)
    return e.ctx


def instantiate(thm: Theorem, args: dict[str, sp.Expr], targets: list[sp.Expr],
                known: list[tuple[sp.Expr, str, sp.Expr]] | None = None,
                numbers: frozenset[str] | None = None) -> (
        tuple[list[Relation], list[tuple[Relation, str]]] | str):
    """The theorem's conclusion and hypotheses with its variables and objects replaced.

    Arguments not given are found by matching the conclusion against ``targets`` (the step's
    two sides). ``numbers`` are the names that are numbers in the citing proof: a variable of
    the theorem (a number) may not be given a name that the proof uses only inside brackets,
    as a random quantity (``reparam_var(mu = X)`` with ``Var[X + Z]`` would make the theorem
    speak of a random ``mu``). Returns a reason (a string) when the citation cannot be
    instantiated.
    """
    names = _relevant(thm)
    params = [*thm.var_names, *thm.objects]
    unknown = [a for a in args if a not in params]
    if unknown:
        return (f"{thm.id} has no variable or object {unknown[0]!r}; its variables are "
                + (", ".join(thm.var_names) or "none")
                + (f" and its objects {', '.join(thm.objects)}" if thm.objects else ""))
    mapping: dict[str, sp.Expr] = dict(args)
    reason = _vector_arguments(thm, mapping)
    if reason is not None:
        return reason
    missing = [n for n in names if n not in mapping]
    if missing:
        found = _match(thm, mapping, targets, known or [])
        if found is not None and not _fits_domains(thm, found, set(args)):
            found = None  # a match that breaks the theorem's own domains is a wrong match
        if found is None:
            return (f"could not tell {', '.join(missing)} from the step; give "
                    f"{'them' if len(missing) > 1 else 'it'}: {thm.id}("
                    + ", ".join(f"{n} = ..." for n in missing) + ")")
        mapping = found
    if numbers is not None:
        for n in thm.var_names:
            if n not in mapping:
                continue
            outside = _bare_names(mapping[n])
            random = sorted(outside - numbers)
            if random:
                return (f"{thm.id}'s variable {n} is a number, but {random[0]} occurs in this "
                        "proof only inside brackets, as a random quantity; if it is a number, "
                        f"declare it (`given {random[0]} real`)")
    heads = _object_heads(thm)
    for n in heads:
        if n in mapping and not mapping[n].is_Symbol:
            return (f"{thm.id} applies its object {n} as a function ({n}[...]), so {n} must be "
                    f"a name, not {mapping[n]}")

    def put(e: sp.Expr) -> sp.Expr:
        return _substitute(e, mapping, heads)

    conclusion = [Relation(put(a.value), op, put(b.value))
                  for a, op, b in thm.conclusion.relations()]
    hyps: list[tuple[Relation, str]] = []
    ctx = theorem_context(thm)
    for n in [n for n in thm.var_names if n in mapping]:
        d = ctx.domains.get(n, REAL)
        for r in d.relations(n):
            hyps.append((Relation(put(r.lhs), r.op, put(r.rhs)), f"{thm.id} needs {r}"))
        if d.integer:
            value = put(sym(n))
            hyps.append((Relation(sp.floor(value), "=", value),
                         f"{thm.id} needs {n} to be an integer"))
    for r in ctx.hypotheses:
        hyps.append((Relation(put(r.lhs), r.op, put(r.rhs)), f"{thm.id} needs {r}"))
    for chain in thm.hypotheses:
        for a, op, b in chain.relations():
            rel = Relation(a.value, op, b.value)
            hyps.append((Relation(put(a.value), op, put(b.value)), f"{thm.id} needs {rel}"))
    return conclusion, hyps


def _vector_arguments(thm: Theorem, mapping: dict[str, sp.Expr]) -> str | None:
    """A vector or matrix argument (``holder_one_inf(u = w)``) brings its dimensions: the
    theorem's ``d`` becomes the student's. None, or the reason the shapes do not fit."""
    from checker.vectors.ir import MatVar, VecVar, shape_of

    for node in sorted({n for e in _formulas(thm) for n in e.atoms(VecVar, MatVar)},
                       key=sp.default_sort_key):
        name = node.args[0].name
        if name not in mapping:
            continue
        shape = shape_of(mapping[name])
        dims = (node.args[1], sp.Integer(1)) if isinstance(node, VecVar) else node.args[1:]
        if not shape or (isinstance(node, VecVar) and shape[1] != 1):
            return (f"{thm.id}'s {name} is a {'vector' if isinstance(node, VecVar) else 'matrix'}"
                    f"; give it one, not {mapping[name]}")
        for mine, theirs in zip(dims, shape, strict=True):
            if mine.is_Symbol and mine.name not in mapping:
                mapping[mine.name] = theirs
    return None


def _vectors_put(e: sp.Expr, mapping: dict[str, sp.Expr]) -> sp.Expr:
    """The theorem's vector and matrix variables replaced by the vector arguments."""
    from checker.vectors.ir import Coord, MatVar, VecVar, shape_of

    def given(t: sp.Basic) -> bool:
        return (isinstance(t, (VecVar, MatVar, Coord)) and t.args[0].name in mapping
                and bool(shape_of(mapping[t.args[0].name])))

    def put(t: sp.Basic) -> sp.Basic:
        value = mapping[t.args[0].name]
        if isinstance(t, Coord):
            if isinstance(value, VecVar):
                return Coord(value.args[0], t.args[1])
            return t
        return value

    return e.replace(given, put)


def _substitute(e: sp.Expr, mapping: dict[str, sp.Expr], heads: set[str]) -> sp.Expr:
    """``e`` with the theorem's names replaced: heads of opaque terms renamed, then symbols
    substituted without capture by bound sum variables."""
    from checker.vectors.ir import has_vectors, shape_of

    if has_vectors(e):
        e = _vectors_put(e, mapping)
        mapping = {n: v for n, v in mapping.items() if not shape_of(v)}
    renamed = {n: mapping[n] for n in heads if n in mapping and mapping[n].is_Symbol}
    if renamed and e.atoms(AppliedUndef):
        e = e.replace(lambda t: _is_applied(t) and type(t).__name__ in renamed,
                      lambda t: sp.Function(renamed[type(t).__name__].name)(*t.args))
    return substitute(e, {sym(n): v for n, v in mapping.items()})


def _fits_domains(thm: Theorem, found: dict[str, sp.Expr], given: set[str]) -> bool:
    """Do the values the matcher found (not those the student gave) that are numbers lie in
    the theorem's domains? (Matching numbers against a simplified step can bind a = 0.)"""
    from fractions import Fraction

    ctx = theorem_context(thm)
    for n, v in found.items():
        if n in given or n not in ctx.domains or not v.is_Rational:
            continue
        if not ctx.domains[n].contains(Fraction(int(v.p), int(v.q))):
            return False
    return True


def _bare_names(e: sp.Expr) -> set[str]:
    """The names of ``e`` outside any opaque term (``E[X]`` is a number; ``X`` alone is not)."""
    if e.atoms(AppliedUndef):
        e = e.replace(lambda t: isinstance(t, AppliedUndef), lambda t: sp.Integer(0))
    return {s.name for s in e.free_symbols}


def _is_applied(t: sp.Basic) -> bool:
    return isinstance(t, AppliedUndef) and not isinstance(t, Event)


def _object_heads(thm: Theorem) -> set[str]:
    """The objects the theorem applies as functions (``f`` in ``f[x]``)."""
    objects = set(thm.objects)
    return {type(t).__name__ for e in _formulas(thm) for t in e.atoms(AppliedUndef)
            if _is_applied(t) and type(t).__name__ in objects}


def _formulas(thm: Theorem) -> list[sp.Expr]:
    return [e.value for chain in (thm.conclusion, *thm.hypotheses) for e in chain.exprs]


def _relevant(thm: Theorem) -> list[str]:
    """The variables and objects the conclusion or a hypothesis mentions (others need no
    value)."""
    used: set[str] = set()
    for e in _formulas(thm):
        used |= {s.name for s in e.free_symbols}
    used |= _object_heads(thm)
    return [n for n in [*thm.var_names, *thm.objects] if n in used]


def _curry(e: sp.Expr) -> sp.Expr:
    """Every opaque term ``h[a, ...]`` as ``APPLY(h, a, ...)`` with ``h`` a symbol, and every
    ``|u|`` as ``ABS(u)``."""
    out: sp.Expr = e
    if out.atoms(AppliedUndef):
        out = out.replace(_is_applied, lambda t: _APPLY(sym(type(t).__name__), *t.args))
    if out.has(sp.Abs):
        out = out.replace(lambda t: isinstance(t, sp.Abs), lambda t: _ABS(t.args[0]))
    return out


def _uncurry(e: sp.Expr) -> sp.Expr:
    """The inverse of ``_curry``."""
    out: sp.Expr = e
    if out.has(_ABS):
        out = out.replace(lambda t: isinstance(t, _ABS), lambda t: sp.Abs(t.args[0]))
    if out.has(_APPLY):
        out = out.replace(lambda t: isinstance(t, _APPLY),
                          lambda t: sp.Function(t.args[0].name)(*t.args[1:]))
    return out


def _sign_variants(pat: sp.Expr) -> list[sp.Expr]:
    """``pat`` with each ``ABS(u)`` that holds a Wild also tried as ``ABS(-u)``."""
    variants = [pat]
    for t in sorted((t for t in pat.atoms(_ABS) if t.atoms(sp.Wild)), key=sp.default_sort_key):
        flipped = [v.xreplace({t: _ABS(-t.args[0])}) for v in variants]
        variants = (variants + [v for v in flipped if v not in variants])[:MAX_VARIANTS]
    return variants


def _match(thm: Theorem, given: dict[str, sp.Expr], targets: list[sp.Expr],
           known: list[tuple[sp.Expr, str, sp.Expr]]) -> dict[str, sp.Expr] | None:
    """Values for the theorem's missing variables and objects, found by matching its
    conclusion against the step (deterministic: the first match in a fixed order).

    First the conclusion's two sides against the step's two sides together; then, piece by
    piece, each side against the step's subterms, keeping the bindings consistent; then the
    hypotheses against what the proof assumes.
    """
    names = _relevant(thm)
    heads = _object_heads(thm)
    wilds = {sym(n): sp.Wild(f"w_{n}") for n in names if n not in given}
    fixed = {n: v for n, v in given.items()}

    def pattern(e: sp.Expr) -> sp.Expr:
        return _curry(_substitute(e, fixed, heads)).xreplace(wilds)

    rels = [(pattern(a.value), pattern(b.value)) for a, _, b in thm.conclusion.relations()]
    targets = [_curry(t) for t in targets]
    known = [(_curry(a), op, _curry(b)) for a, op, b in known]

    def complete(binding: dict[sp.Wild, sp.Expr]) -> dict[str, sp.Expr] | None:
        found = dict(given)
        for s, w in wilds.items():
            if w in binding:
                found[s.name] = _uncurry(binding[w])
        if any(n in found and not found[n].is_Symbol for n in heads if n not in given):
            return None
        return found if all(n in found for n in names) else None

    present = {t for e in [*targets, *[x for k in known for x in (k[0], k[2])]]
               for t in sp.preorder_traversal(e)}

    def extend(binding: dict[sp.Wild, sp.Expr], expr: sp.Expr,
               pat: sp.Expr) -> dict[sp.Wild, sp.Expr] | None:
        for variant in _sign_variants(pat.xreplace(binding)):
            m = expr.match(variant)
            # a value must stand in the step or the assumptions (SymPy would happily match x
            # against w^2 with w = sqrt(x), a value nobody wrote)
            if m is not None and all(v.is_Number or v in present for v in m.values()):
                return {**binding, **m}
        return None

    binding: dict[sp.Wild, sp.Expr] = {}
    if len(targets) == 2:
        for a, b in rels:
            for first, second in (targets, targets[::-1]):
                joint = extend({}, first, a)
                joint = extend(joint, second, b) if joint is not None else None
                if joint is not None:
                    if (found := complete(joint)) is not None:
                        return found
                    if len(joint) > len(binding):
                        binding = joint  # a partial match: the hypotheses may finish it
    # a bare number is no place to look for a pattern: `1 - delta` matched against the -1 of
    # the step's `1 - delta` would give delta = 2, a value nobody wrote
    subterms = [t for target in targets for t in sp.preorder_traversal(target)
                if isinstance(t, sp.Expr) and not t.is_Number]
    for pat in [side for pair in rels for side in pair]:
        if not pat.xreplace(binding).atoms(sp.Wild) or isinstance(pat, sp.Wild):
            continue
        for sub in subterms:
            extended = extend(binding, sub, pat)
            if extended:
                binding = extended
                break
        if (found := complete(binding)) is not None:
            return found
    # variables only the hypotheses mention: match them against what the proof assumes
    hyp_patterns = [(pattern(a.value), op, pattern(b.value))
                    for chain in thm.hypotheses for a, op, b in chain.relations()]
    for a, op, b in hyp_patterns:
        pairs = [(x, a, y, b) for x, op2, y in known if op2 == op]
        pairs += [(y, a, x, b) for x, op2, y in known if FLIP_OP.get(op2) == op]
        for left, pa, right, pb in pairs:
            step1 = extend(binding, left, pa)
            step2 = extend(step1, right, pb) if step1 is not None else None
            if step2 is not None:
                binding = step2
                break
        if (found := complete(binding)) is not None:
            return found
    return None
