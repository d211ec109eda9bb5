"""Which library theorem a step has the shape of (the advice "cite this theorem" that a
``plausible``, ``unknown`` or opaque-``refuted`` verdict carries; docs/checking.md).

Each theorem's conclusion becomes a *pattern*: every relation of it (a chain gives several) with
the theorem's variables and objects as SymPy ``Wild`` s, opaque terms curried as for citing
(``checker.library.citation``: ``P[...]`` is ``APPLY(P, ...)``, so an object used as a head is a
Wild too), the bound variable of every sum renamed canonically, and ``>`` / ``>=`` turned into
``<`` / ``<=``. A theorem about families or vectors of a symbolic size (``sum(k, 1, K,
p_k*log(p_k/q_k)) >= 0``) is also written out at sizes 2 and 3, so that a step with two or three
explicit terms (Gibbs' inequality for two outcomes) matches it too. The patterns are built once
per library (``index``).

A step ``S <= B`` (or ``=``) is matched against every pattern whose function and opaque heads
all occur in the step (a set test: most theorems are ruled out without any matching):

* **whole**: both sides match with one assignment of the theorem's names (names the sides do
  not fix, such as ``a``, ``b`` of Hoeffding's range, are read off the step's hypotheses by
  matching the theorem's hypotheses against them); citing the theorem with those values gives
  the step.
* **side**: one side matches the same side of the conclusion (the side the theorem bounds, so
  that the bound points the way the step needs) and the pattern of that side is specific (an
  opaque head, or a function and at least two other nodes): the step splits into the theorem's
  instance and a step from the theorem's bound to the student's.

Matching is SymPy's structural ``match``, at most ``MAX_MATCHES`` calls per step, in a fixed
order (library order, then orientation): deterministic, and a few milliseconds per step. A
value must stand in the step or its hypotheses (or be a number), and a number must lie in the
theorem's domain for that name, as when citing. Advice never changes a verdict.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp
from sympy.core.function import AppliedUndef

from checker.library.citation import (
    _ABS,
    _APPLY,
    _curry,
    _object_heads,
    _relevant,
    _sign_variants,
    _uncurry,
    theorem_context,
)
from checker.library.theorems import Library, Theorem, default_library
from checker.obligations import Domain, Obligation, Relation

SIZES = (2, 3)  # a family or vector theorem of symbolic size is also written out at these
MAX_MATCHES = 200  # SymPy match calls per step (a work bound, not a clock)
MIN_SIDE_WEIGHT = 3  # nodes a side pattern needs (with a function head) to match on its own
MIN_WHOLE_WEIGHT = 5  # nodes a whole pattern without any function head needs
_FLIP = {">": "<", ">=": "<="}
_FITS = {"<": ("<", "<="), "<=": ("<=",), "=": ("=",)}  # theorem op -> step ops it gives


@dataclass(frozen=True)
class Shape:
    """One relation of a theorem's conclusion as a pattern ``small op big``."""

    theorem: Theorem
    op: str  # "<", "<=" or "="
    small: sp.Expr
    big: sp.Expr
    names: tuple[tuple[str, sp.Wild], ...]  # the theorem's names (or coordinates) -> Wilds
    hyps: tuple[tuple[sp.Expr, str, sp.Expr], ...]  # the hypotheses as patterns
    heads: frozenset[str]  # heads the step must contain
    weight: tuple[int, int]  # specificity of small, big
    opaque: tuple[bool, bool]  # does small / big hold an opaque term of fixed head?
    size: tuple[tuple[str, int], ...] = ()  # (("K", 2),) for a written-out family theorem
    variants: tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]] = ((), ())  # with |u| as |-u|
    side_heads: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    census: tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]] = ((), ())
    # values a Wild may not take in a side match: the identity of the operation it sits in
    # (`w*x` with w = 1, `w + x` with w = 0), which would collapse the pattern
    forbidden: tuple[tuple[sp.Wild, frozenset[int]], ...] = ()


@dataclass(frozen=True)
class Match:
    """A theorem a step has the shape of."""

    theorem: Theorem
    whole: bool  # both sides (citing it gives the step), or one side only
    values: tuple[tuple[str, sp.Expr | None], ...]  # theorem name -> value (None: not found)
    size: tuple[tuple[str, int], ...] = ()
    matched: sp.Expr | None = None  # side match: the step's side the theorem bounds
    bound: sp.Expr | None = None  # side match: the theorem's other side, instantiated
    rest: sp.Expr | None = None  # side match: the step's other side
    op: str = "<="  # side match: matched op bound (op as the step reads, "<=" or ">=" ...)
    remaining: Relation | None = None  # side match: what is left to show after the theorem


# ---------------------------------------------------------------------------- the index

# per library object: the theorems' shapes, each theorem's built when first needed
_INDEX: dict[int, tuple[Library, dict[str, tuple[Shape, ...]]]] = {}


def _built(lib: Library) -> dict[str, tuple[Shape, ...]]:
    got = _INDEX.get(id(lib))
    if got is None or got[0] is not lib:
        got = (lib, {})
        _INDEX[id(lib)] = got
    return got[1]


def theorem_shapes(thm: Theorem, lib: Library | None = None) -> tuple[Shape, ...]:
    """The patterns of one theorem of ``lib``, built once."""
    built = _built(lib or default_library())
    got = built.get(thm.id)
    if got is None:
        try:
            got = tuple(_shapes(thm))
        except (ValueError, TypeError, AttributeError, NotImplementedError):
            got = ()  # a theorem the matcher cannot read is simply never suggested
        built[thm.id] = got
    return got


def index(lib: Library | None = None) -> tuple[Shape, ...]:
    """The patterns of every theorem of ``lib`` (the default library when None), in the
    library's order (files sorted, then as written)."""
    lib = lib or default_library()
    return tuple(s for thm in lib.theorems.values() for s in theorem_shapes(thm, lib))


_NEEDED: dict[int, tuple[Theorem, tuple[frozenset[str], ...] | None]] = {}


def needed_heads(thm: Theorem) -> tuple[frozenset[str], ...] | None:
    """For a theorem without vectors, the heads each relation of its conclusion needs in a
    step (a subset of its shapes' ``heads``: tests/test_theorem_advice.py checks it on the
    whole library), read off the statement without building a pattern; None for a theorem
    with vectors (its written-out sizes have other heads). A step that has none of these
    sets cannot match the theorem, whose patterns are then never built: the index costs
    what the steps' heads call for, not the whole library (0.8 s of CPU)."""
    from checker.vectors.ir import has_vectors

    got = _NEEDED.get(id(thm))
    if got is not None and got[0] is thm:
        return got[1]
    rels = [(a.value, b.value) for a, _, b in thm.conclusion.relations()]
    needed: tuple[frozenset[str], ...] | None = None
    if not any(has_vectors(x) for pair in rels for x in pair):
        names = {"@" + n for n in (*_relevant(thm), *_object_heads(thm))}
        needed = tuple(frozenset((_heads(_canonical(_curry(a))) | _heads(_canonical(_curry(b))))
                                 - names) for a, b in rels)
    _NEEDED[id(thm)] = (thm, needed)
    return needed


def _canonical(e: sp.Expr, names: dict[sp.Symbol, sp.Symbol] | None = None) -> sp.Expr:
    """Every sum's (and product's) bound variable renamed by its nesting depth, so that
    ``sum(k, 1, K, p_k)`` and ``sum(i, 1, K, p_i)`` are the same tree (``names``, when given,
    collects the first original name of each canonical one, to show values as written)."""
    if not e.has(sp.Sum, sp.Product):
        return e

    def rename(node: sp.Basic, depth: int) -> sp.Basic:
        if not node.args:
            return node
        if isinstance(node, (sp.Sum, sp.Product)) and len(node.limits) == 1:
            var, lo, hi = node.limits[0]
            fresh = sp.Symbol(f"@k{depth}", real=True)
            if names is not None:
                names.setdefault(fresh, var)
            body = rename(node.function.xreplace({var: fresh}), depth + 1)
            return type(node)(body, (fresh, rename(lo, depth), rename(hi, depth)))
        return node.func(*[rename(a, depth) for a in node.args])

    out = rename(e, 0)
    assert isinstance(out, sp.Expr)
    return out


def _head(node: sp.Basic) -> str | None:
    """The head of one node (curried): ``exp``, ``log``, ``Max``, ``abs``, ``@P`` for
    ``P[...]``, ``Sum``, ``^`` for a power; None for arithmetic, atoms and applied Wilds."""
    if isinstance(node, sp.Pow):
        return "^"
    if node.is_Atom or isinstance(node, (sp.Add, sp.Mul, sp.Tuple)):
        return None
    if isinstance(node, _APPLY):
        return None if isinstance(node.args[0], sp.Wild) else "@" + node.args[0].name
    if isinstance(node, _ABS):
        return "abs"
    return type(node).__name__


def _heads(e: sp.Expr) -> set[str]:
    """The heads of ``e`` other than powers (see ``_head``)."""
    return {h for node in sp.preorder_traversal(e) if (h := _head(node)) and h != "^"}


def _census(e: sp.Expr) -> tuple[tuple[str, int], ...]:
    """How many of each head and of powers ``e`` has: a pattern that matches without
    collapsing has no more of any than its target (a cheap test before ``match``)."""
    out: dict[str, int] = {}
    for node in sp.preorder_traversal(e):
        key = _head(node)
        if key is not None:
            out[key] = out.get(key, 0) + 1
    return tuple(sorted(out.items()))


def _covers(target: dict[str, int], census: tuple[tuple[str, int], ...]) -> bool:
    return all(target.get(k, 0) >= n for k, n in census)


def _weight(e: sp.Expr) -> int:
    """How specific a pattern is: its nodes that are not Wilds or bare names."""
    return sum(1 for node in sp.preorder_traversal(e)
               if not isinstance(node, sp.Wild) and not node.is_Symbol)


def _opaque(e: sp.Expr) -> bool:
    return any(h.startswith("@") for h in _heads(e))


def _shapes(thm: Theorem) -> list[Shape]:
    from checker.vectors.engine import dimension_symbols
    from checker.vectors.ir import NotExpandable, expand, has_vectors

    rels = [(a.value, op, b.value) for a, op, b in thm.conclusion.relations()]
    hyps = [(a.value, op, b.value) for chain in thm.hypotheses for a, op, b in chain.relations()]
    names = _relevant(thm)
    heads = _object_heads(thm)
    variants: list[tuple[tuple[tuple[str, int], ...], list[tuple[sp.Expr, str, sp.Expr]],
                         list[tuple[sp.Expr, str, sp.Expr]]]] = []
    variants.append(((), rels, hyps))  # as stated (a symbolic size too)
    if any(has_vectors(x) for a, _, b in rels for x in (a, b)):
        relations = [Relation(a, op, b) for a, op, b in rels]
        dims = dimension_symbols(Obligation(relations[0], (), tuple(relations[1:])))
        for size_ in SIZES:
            m = {d: sp.Integer(size_) for d in dims}
            try:
                out = [(expand(a.xreplace(m)), op, expand(b.xreplace(m))) for a, op, b in rels]
            except (NotExpandable, ValueError, TypeError):
                continue
            if any(isinstance(x, sp.MatrixBase) for a, _, b in out for x in (a, b)):
                continue
            hs: list[tuple[sp.Expr, str, sp.Expr]] = []
            for a, op, b in hyps:
                try:
                    ea, eb = expand(a.xreplace(m)), expand(b.xreplace(m))
                except (NotExpandable, ValueError, TypeError):
                    continue
                if not isinstance(ea, sp.MatrixBase) and not isinstance(eb, sp.MatrixBase):
                    hs.append((ea, op, eb))
            variants.append((tuple((d.name, size_) for d in dims), out, hs))
    shapes: list[Shape] = []
    for size, rs, hs in variants:
        sized = {name for name, _ in size}
        free: set[str] = set()
        for a, _, b in rs:
            free |= {s.name for s in a.free_symbols | b.free_symbols}
        own = [n for n in names if (n not in sized and n in free) or n in heads]
        if size:  # the coordinates p_1, p_2 of a family p stand for themselves
            coords = sorted((f for f in free if "_" in f and f.rsplit("_", 1)[0] in names
                             and f.rsplit("_", 1)[1].isdigit()),
                            key=lambda f: (f.rsplit("_", 1)[0], int(f.rsplit("_", 1)[1])))
            own = [n for n in own if n not in {c.rsplit("_", 1)[0] for c in coords}] + coords
        wilds: dict[str, sp.Wild] = {}
        for n in own:
            if n in heads:
                wilds[n] = sp.Wild(f"w_{n}", properties=[lambda e: e.is_Symbol])
            else:
                wilds[n] = sp.Wild(f"w_{n}")
        table = {sp.Symbol(n, real=True): w for n, w in wilds.items()}

        def pattern(e: sp.Expr, table: dict[sp.Symbol, sp.Wild] = table) -> sp.Expr:
            # names become Wilds one for one: nothing to evaluate (and rebuilding a max or
            # min with evaluation compares its arguments, the slowest part of the index)
            with sp.evaluate(False):
                out: sp.Expr = _canonical(_curry(e)).xreplace(table)
            return out

        hyp_patterns = tuple((pattern(a), op, pattern(b)) for a, op, b in hs)
        for a, op, b in rs:
            if op == "!=" or (op == "=" and not _heads(a) | _heads(b)):
                continue  # an identity of polynomials is algebra's, not a theorem to cite
            if op in _FLIP:
                a, op, b = b, _FLIP[op], a
            small, big = pattern(a), pattern(b)
            hs_small, hs_big = frozenset(_heads(small)), frozenset(_heads(big))
            shapes.append(Shape(
                thm, op, small, big, tuple(wilds.items()), hyp_patterns, hs_small | hs_big,
                (_weight(small), _weight(big)), (_opaque(small), _opaque(big)), size,
                variants=(tuple(_sign_variants(small)), tuple(_sign_variants(big))),
                side_heads=(hs_small, hs_big), census=(_census(small), _census(big)),
                forbidden=_forbidden([small, big])))
    return shapes


def _forbidden(patterns: list[sp.Expr]) -> tuple[tuple[sp.Wild, frozenset[int]], ...]:
    out: dict[sp.Wild, set[int]] = {}
    for p in patterns:
        for node in sp.preorder_traversal(p):
            for i, arg in enumerate(node.args):
                if not isinstance(arg, sp.Wild):
                    continue
                if isinstance(node, sp.Add):
                    out.setdefault(arg, set()).add(0)
                elif isinstance(node, sp.Mul):
                    out.setdefault(arg, set()).update((0, 1))
                elif isinstance(node, sp.Pow):
                    out.setdefault(arg, set()).update((1,) if i == 0 else (0, 1))
    return tuple((w, frozenset(v)) for w, v in sorted(out.items(), key=lambda t: t[0].name))


# ----------------------------------------------------------------------------- matching


class _Budget:
    def __init__(self, n: int) -> None:
        self.left = n

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _compatible(expr: sp.Expr, pat: sp.Expr) -> bool:
    """Can ``pat`` match ``expr`` without collapsing (``a + c`` against ``exp(x)`` with
    ``a = 0``, ``a^k`` against anything with ``k = 1``)? The same kind of top node (any, for a
    bare Wild), the same head for an opaque term, and no more fixed arguments than ``expr``
    has for a sum or product. Cheap: it rules out most pairs before SymPy's ``match``."""
    if isinstance(pat, sp.Wild):
        return True
    if type(expr) is not type(pat):
        return False
    if isinstance(pat, _APPLY):
        head = pat.args[0]
        return isinstance(head, sp.Wild) or head == expr.args[0]
    if isinstance(pat, (sp.Add, sp.Mul)):
        fixed = [a for a in pat.args if not isinstance(a, sp.Wild)]
        return len(fixed) <= len(expr.args) and len(pat.args) <= len(expr.args)
    if pat.is_Atom:
        return bool(pat == expr)
    return len(pat.args) == len(expr.args)


def _extend(binding: dict[sp.Wild, sp.Expr], expr: sp.Expr, variants: Sequence[sp.Expr],
            present: set[sp.Basic], budget: _Budget,
            forbidden: Sequence[tuple[sp.Wild, frozenset[int]]] = (),
            census: tuple[dict[str, int], tuple[tuple[str, int], ...]] | None = None) -> (
        dict[sp.Wild, sp.Expr] | None):
    for variant in variants:
        if binding:
            variant = variant.xreplace(binding)
        if not _compatible(expr, variant):
            continue
        if census is not None and not _covers(
                census[0], _census(variant) if binding else census[1]):
            continue
        if not budget.spend():
            return None
        try:
            m = expr.match(variant)
        except (ValueError, TypeError, AttributeError, RecursionError):
            m = None
        if m is None:
            continue
        # a value must stand in the step (SymPy would match x against w^2 with w = sqrt(x))
        if not all(v.is_Number or v in present for v in m.values()):
            continue
        if any(w in m and m[w].is_Integer and int(m[w]) in bad for w, bad in forbidden):
            continue  # a collapsed pattern (`w*x` with w = 1) is not the theorem's shape
        return {**binding, **m}
    return None


def _from_hyps(shape: Shape, binding: dict[sp.Wild, sp.Expr],
               known: Sequence[tuple[sp.Expr, str, sp.Expr]], present: set[sp.Basic],
               budget: _Budget) -> dict[sp.Wild, sp.Expr]:
    """Names only the theorem's hypotheses fix, read off the step's hypotheses."""
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
    for a, op, b in shape.hyps:
        if not (a.xreplace(binding).has(sp.Wild) or b.xreplace(binding).has(sp.Wild)):
            continue
        pairs = [(x, y) for x, op2, y in known if op2 == op]
        pairs += [(y, x) for x, op2, y in known if flip[op2] == op]
        for left, right in pairs:
            one = _extend(binding, left, (a,), present, budget)
            two = _extend(one, right, (b,), present, budget) if one is not None else None
            if two is not None:
                binding = two
                break
    return binding


def _fits_domains(shape: Shape, values: dict[str, sp.Expr | None],
                  domains: dict[str, Domain]) -> bool:
    for n, v in values.items():
        if v is None or not v.is_Rational or n not in domains:
            continue
        if not domains[n].contains(Fraction(int(v.p), int(v.q))):
            return False
    return True


_DOMAINS: dict[str, dict[str, Domain]] = {}


def _domains(thm: Theorem) -> dict[str, Domain]:
    key = f"{thm.path}\n{thm.id}"
    if key not in _DOMAINS:
        _DOMAINS[key] = dict(theorem_context(thm).domains)
    return _DOMAINS[key]


def _fit(shape: Shape, s: tuple[sp.Expr, frozenset[str]], b: tuple[sp.Expr, frozenset[str]],
         known: Sequence[tuple[sp.Expr, str, sp.Expr]], present: set[sp.Basic],
         budget: _Budget) -> tuple[dict[sp.Wild, sp.Expr], set[str]]:
    """The binding and which sides ("small", "big") of the shape matched the step's sides
    ``s`` and ``b`` (each with its heads)."""
    sides = [("small", s, 0), ("big", b, 1)]
    counts = {0: dict(_census(s[0])), 1: dict(_census(b[0]))}
    sides.sort(key=lambda t: -shape.weight[t[2]])  # the more specific side first
    binding: dict[sp.Wild, sp.Expr] = {}
    matched: set[str] = set()
    for round_ in range(2):  # the sides, then (if one is left) the hypotheses and again
        progress = True
        while progress and len(matched) < 2:  # a side fixed by the other may match now
            progress = False
            for role, (target, heads), i in sides:
                if role in matched or not shape.side_heads[i] <= heads:
                    continue
                got = _extend(binding, target, shape.variants[i], present, budget,
                              shape.forbidden if round_ == 0 else (),
                              (counts[i], shape.census[i]))
                if got is not None:
                    binding = got
                    matched.add(role)
                    progress = True
        if len(matched) == 2 or not matched or round_ == 1:
            break
        before = len(binding)
        binding = _from_hyps(shape, binding, known, present, budget)
        if len(binding) == before:
            break
    return binding, matched


_COMPARE = {"<": lambda d: d < 0, "<=": lambda d: d <= 0, ">": lambda d: d > 0,
            ">=": lambda d: d >= 0, "=": lambda d: d == 0, "!=": lambda d: d != 0}


def _complete(shape: Shape, binding: dict[sp.Wild, sp.Expr], i: int, target: sp.Expr,
              numbers: Sequence[sp.Rational], budget: _Budget) -> (
        dict[sp.Wild, sp.Expr] | None):
    """One side matched; the other is the step's side once at most two names left open get
    small numbers (0, 1, -1 or a number of the step): Hoeffding's ``(b - a)^2`` with ``a = 0``,
    ``b = 1``. Accepted only if the instance is the step's side exactly and the theorem's
    hypotheses that become relations between numbers hold."""
    import itertools

    variants = shape.variants[i]
    if target.is_Atom or not shape.side_heads[i] <= _heads(target):
        return None  # a side collapsed to a number (`(1 - a)*beta` with a = 1) is no shape
    open_ = sorted({w for v in variants for w in v.xreplace(binding).atoms(sp.Wild)},
                   key=lambda w: w.name)
    if not open_ or len(open_) > 2:
        return None
    values = list(dict.fromkeys([sp.Integer(0), sp.Integer(1), sp.Integer(-1), *numbers]))[:5]
    for combo in itertools.product(values, repeat=len(open_)):
        trial = {**binding, **dict(zip(open_, combo, strict=True))}
        if not budget.spend():
            return None
        if not any(v.xreplace(trial) == target for v in variants):
            continue
        ok = True
        for a, op, b in shape.hyps:
            d = (a - b).xreplace(trial)
            if d.is_Rational and not _COMPARE[op](d):
                ok = False
                break
        if ok:
            return trial
    return None


def _values(shape: Shape, binding: dict[sp.Wild, sp.Expr]) -> dict[str, sp.Expr | None]:
    return {n: (_uncurry(binding[w]) if w in binding else None) for n, w in shape.names}


def _present(exprs: Sequence[sp.Expr]) -> set[sp.Basic]:
    return {t for e in exprs for t in sp.preorder_traversal(e)}


@functools.lru_cache(maxsize=1024)
def _opaque_term(name: str) -> sp.Expr | None:
    """The opaque term an obligation's variable named ``P[...]`` stands for (obligations
    carry each opaque term as a variable named by its text: ``checker.elaborate``), read back
    by the proof language's own parser; None when it does not read as one term."""
    from checker.diagnostics import CheckerError
    from checker.syntax.parse import parse_expression

    try:
        value = parse_expression(name).value
    except (CheckerError, ValueError, TypeError, RecursionError):
        return None
    return value if isinstance(value, AppliedUndef) else None


def _terms(e: sp.Expr) -> sp.Expr:
    """``e`` with its opaque variables (``P[...]`` named symbols) as the terms they name."""
    table = {}
    for s in e.free_symbols:
        if s.name.endswith("]") and "[" in s.name and (t := _opaque_term(s.name)) is not None:
            table[s] = t
    return e.xreplace(table) if table else e


def _may_fit(thm: Theorem, step_heads: frozenset[str]) -> bool:
    needed = needed_heads(thm)
    return needed is None or any(h <= step_heads for h in needed)


def matches(claim: Relation, hypotheses: Sequence[Relation] = (),
            lib: Library | None = None, limit: int = 3) -> list[Match]:
    """The theorems ``claim`` has the shape of, best first (whole matches, then the more
    specific), at most ``limit``; ``hypotheses`` are the step's (for names only a theorem's
    hypotheses fix). Deterministic; bounded by MAX_MATCHES match calls."""
    if claim.op == "!=":
        return []
    written = claim
    claim = Relation(_terms(claim.lhs), claim.op, _terms(claim.rhs))
    hypotheses = [Relation(_terms(h.lhs), h.op, _terms(h.rhs)) for h in hypotheses]
    bound_names: dict[sp.Symbol, sp.Symbol] = {}
    lhs = _canonical(_curry(claim.lhs), bound_names)
    rhs = _canonical(_curry(claim.rhs), bound_names)
    shown = {lhs: written.lhs, rhs: written.rhs}  # each side as the step has it
    # (small, big, op): `big >= small` is read as `small <= big`
    base = [(rhs, lhs, _FLIP[claim.op])] if claim.op in _FLIP else [(lhs, rhs, claim.op)]
    swapped = [(big, small, op) for small, big, op in base]
    known = [(_canonical(_curry(h.lhs)), h.op, _canonical(_curry(h.rhs))) for h in hypotheses]
    present = _present([lhs, rhs, *[x for a, _, b in known for x in (a, b)]])
    heads = {lhs: frozenset(_heads(lhs)), rhs: frozenset(_heads(rhs))}
    step_heads = heads[lhs] | heads[rhs]
    budget = _Budget(MAX_MATCHES)
    numbers = sorted({t for t in present if isinstance(t, sp.Rational) and abs(t) <= 100},
                     key=lambda t: (abs(t), t))
    found: list[tuple[tuple[int, ...], Match]] = []  # (rank, match): sorted at the end
    seen: set[tuple[str, bool]] = set()
    lib = lib or default_library()
    shapes_in_order = ((t * 1000 + i, shape)  # the library's order, as the full index's
                       for t, thm in enumerate(lib.theorems.values())
                       if _may_fit(thm, step_heads)
                       for i, shape in enumerate(theorem_shapes(thm, lib)))
    for order, shape in shapes_in_order:
        if not shape.heads <= step_heads or budget.left <= 0:
            continue
        # an identity fits either way round
        for small, big, op in base + swapped if shape.op == "=" else base:
            if op not in _FITS[shape.op]:
                continue
            binding, sides = _fit(shape, (small, heads[small]), (big, heads[big]), known,
                                  present, budget)
            if not sides:
                continue
            if len(sides) == 1:  # the other side may need a number no hypothesis gave
                i = 1 if "small" in sides else 0
                done = _complete(shape, binding, i, big if i else small, numbers, budget)
                if done is not None:
                    binding, sides = done, {"small", "big"}
            values = {n: v if v is None else v.xreplace(bound_names)
                      for n, v in _values(shape, binding).items()}
            if not _fits_domains(shape, values, _domains(shape.theorem)):
                continue
            thm = shape.theorem
            if len(sides) == 2:
                if (thm.id, True) in seen or not (
                        shape.heads or sum(shape.weight) >= MIN_WHOLE_WEIGHT):
                    continue  # `a + c <= b + d` fits any two sums: a rule, not a shape
                if not any(shape.opaque) and any(
                        isinstance(p, sp.Wild) and _opaque(t)
                        for p, t in ((shape.small, small), (shape.big, big))):
                    continue  # a theorem about numbers whose bare name took P[...] whole
                seen.add((thm.id, True))
                # a bare name of the theorem (`P[...] <= delta`) that took a whole compound
                # side fits loosely: a theorem that bounds the other side itself comes first
                loose = any(isinstance(p, sp.Wild) and not (t.is_Symbol or t.is_Number)
                            for p, t in ((shape.small, small), (shape.big, big)))
                rank: tuple[int, ...] = (2 if loose else 0, -sum(shape.weight), order)
                found.append((rank, Match(thm, True, tuple(values.items()), shape.size)))
                continue
            role = next(iter(sides))
            weight = shape.weight[0 if role == "small" else 1]
            opaque = shape.opaque[0 if role == "small" else 1]
            pat = shape.small if role == "small" else shape.big
            if not opaque and (weight < MIN_SIDE_WEIGHT or not _heads(pat)):
                continue  # `exp(w)` or `1 + w` alone says little about a step
            if shape.op == "=" or (thm.id, False) in seen or (thm.id, True) in seen:
                continue  # a side of an identity is a rewrite, not a bound
            seen.add((thm.id, False))
            other = shape.big if role == "small" else shape.small
            bound = _uncurry(other.xreplace(binding).xreplace(
                {w: sp.Symbol(n, real=True) for n, w in shape.names}))
            matched_side = shown[small if role == "small" else big]
            rest = shown[big if role == "small" else small]
            # as the step reads: `matched <= bound` (small side) or `bound <= matched`
            step_op = shape.op if role == "small" else _FLIP_BACK[shape.op]
            remaining = Relation(bound, op, shown[big]) if role == "small" else Relation(
                shown[small], op, bound)
            rank = (1, 0 if opaque else 1, -weight, order)
            found.append((rank, Match(thm, False, tuple(values.items()), shape.size,
                                      matched_side, bound, rest, step_op, remaining)))
    found.sort(key=lambda t: t[0])
    return [m for _, m in found[:limit]]


_FLIP_BACK = {"<": ">", "<=": ">="}
