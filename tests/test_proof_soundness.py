"""Soundness of whole proofs: no proof of a goal that is false at a known point is accepted.

Each example draws a point P (exact rational values for the variables), givens that P
satisfies, and a goal that is false at P, then a proof of it built from small pieces of the
language: true and false facts, `let`s (some named like a sum's index), finite and nested sums,
citations of library theorems with right, undefined (`log(-1)`, `1/0`, `Phi_inv(2)`) and
clashing arguments, citations of false facts, chains with random links, and now and then an
assumption that contradicts the givens. Every expression is built twice, as text and as a SymPy
expression, and "false at P" is decided exactly from the SymPy side (nothing is `eval`ed).

Whatever the proof, it is never accepted: the exit code is not 0 and the goal is not proved.
(A proof under contradictory assumptions must not be accepted either: the contradiction has to
be caught.)

The default run checks 30 proofs. `pytest -m slow tests/test_proof_soundness.py` checks
10,000 (or PROOFCHECK_SOUNDNESS_EXAMPLES of them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from checker import Status, check_text

BUDGET_S = 0.5
SLOW_EXAMPLES = int(os.environ.get("PROOFCHECK_SOUNDNESS_EXAMPLES", "10000"))

DEFAULT = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

# variable names: ordinary ones and ones that clash with the sum indices used below
NAMES = ["x", "y", "z", "a", "b", "k", "i", "j", "n"]
INDICES = ["k", "i", "j"]
# arguments at which no theorem is defined (1/0 is refused while reading: also not accepted)
UNDEFINED = ["log(-1)", "Phi_inv(2)", "1/0", "sqrt(-1)", "log(0)", "Phi_inv(0)", "1/(3 - 3)"]


# ---------------------------------------------------------------------------------------------
# Expressions, as text and as SymPy at the same time


@dataclass(frozen=True)
class Ex:
    text: str
    sym: sp.Expr
    # where it is defined: (expression, ">0" | ">=0" | "!=0")
    conds: tuple[tuple[sp.Expr, str], ...] = ()
    depth: int = 0


def num(q: Fraction) -> Ex:
    r = sp.Rational(q.numerator, q.denominator)
    text = str(q.numerator) if q.denominator == 1 else f"{abs(q.numerator)}/{q.denominator}"
    if q < 0:
        text = f"(-{text.lstrip('-')})"
    elif q.denominator != 1:
        text = f"({text})"
    return Ex(text, r)


def var(name: str) -> Ex:
    return Ex(name, sp.Symbol(name))


def call(fn: str, a: Ex) -> Ex:
    conds = a.conds
    if fn == "exp":
        sym = sp.exp(a.sym)
    elif fn == "log":
        sym, conds = sp.log(a.sym), (*conds, (a.sym, ">0"))
    elif fn == "sqrt":
        sym, conds = sp.sqrt(a.sym), (*conds, (a.sym, ">=0"))
    elif fn == "abs":
        sym = sp.Abs(a.sym)
    elif fn == "Phi":
        sym = (1 + sp.erf(a.sym / sp.sqrt(2))) / 2
    elif fn == "Phi_inv":
        sym = sp.sqrt(2) * sp.erfinv(2 * a.sym - 1)
        conds = (*conds, (a.sym, ">0"), (1 - a.sym, ">0"))
    elif fn == "ceil":
        sym = sp.ceiling(a.sym)
    else:
        raise AssertionError(fn)
    return Ex(f"{fn}({a.text})", sym, conds, a.depth + 1)


def binop(op: str, a: Ex, b: Ex) -> Ex:
    conds = a.conds + b.conds
    if op == "+":
        sym = a.sym + b.sym
    elif op == "-":
        sym = a.sym - b.sym
    elif op == "*":
        sym = a.sym * b.sym
    elif op == "/":
        sym, conds = a.sym / b.sym, (*conds, (b.sym, "!=0"))
    else:
        raise AssertionError(op)
    return Ex(f"({a.text} {op} {b.text})", sym, conds, max(a.depth, b.depth) + 1)


def power(a: Ex, k: int) -> Ex:
    conds = a.conds + (((a.sym, "!=0"),) if k < 0 else ())
    exponent = str(k) if k >= 0 else f"({k})"
    return Ex(f"({a.text})^{exponent}", a.sym**k, conds, a.depth + 1)


def finite_sum(index: str, lo: int, hi: int, body_of: Ex, dummy: sp.Symbol) -> Ex:
    """sum(index, lo, hi, body): written out term by term on the SymPy side."""
    terms = [body_of.sym.subs(dummy, v) for v in range(lo, hi + 1)]
    conds = tuple((c.subs(dummy, v), kind) for v in range(lo, hi + 1)
                  for c, kind in body_of.conds)
    return Ex(f"sum({index}, {lo}, {hi}, {body_of.text})", sp.Add(*terms), conds,
              body_of.depth + 1)


# ---------------------------------------------------------------------------------------------
# Deciding signs exactly enough


def sign_at(value: sp.Expr) -> int | None:
    """The sign of a constant: exact for rationals, else at 60 digits when clearly away from 0;
    None when it cannot be told (the example is then skipped)."""
    value = sp.sympify(value)
    if value.is_Rational:
        return int(sp.sign(value))
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    try:
        approx = sp.N(value, 60)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not approx.is_number or approx.as_real_imag()[1] != 0:
        return None
    if abs(approx) < sp.Float("1e-30"):
        return None
    return 1 if approx > 0 else -1


def defined_at(e: Ex, point: dict[sp.Symbol, sp.Rational]) -> bool:
    for cond, kind in e.conds:
        s = sign_at(cond.subs(point))
        if s is None:
            return False
        if (kind == ">0" and s <= 0) or (kind == ">=0" and s < 0) or (kind == "!=0" and s == 0):
            return False
    return True


def value_at(e: Ex, point: dict[sp.Symbol, sp.Rational]) -> sp.Expr:
    return e.sym.subs(point)


# ---------------------------------------------------------------------------------------------
# Points, givens and expressions over them


@dataclass
class World:
    """The point, the variables in scope and the proof being written."""

    values: dict[str, Fraction]
    integer: set[str]
    lets: dict[str, Ex] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)
    false_facts: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    contradictory: bool = False

    @property
    def point(self) -> dict[sp.Symbol, sp.Rational]:
        return {sp.Symbol(n): sp.Rational(v.numerator, v.denominator)
                for n, v in self.values.items()}


fractions = st.builds(Fraction, st.integers(-6, 6), st.sampled_from([1, 1, 2, 3, 4]))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    values: dict[str, Fraction] = {}
    integer: set[str] = set()
    items: list[str] = []
    for name in names:
        is_int = draw(st.booleans())
        v = Fraction(draw(st.integers(-3, 5))) if is_int else draw(fractions)
        values[name] = v
        kind = " integer" if is_int else ""
        if is_int:
            integer.add(name)
        form = draw(st.sampled_from(["plain", "interval", "lower", "upper"]))
        below = v - draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1),
                                          Fraction(3)]))
        above = v + draw(st.sampled_from([Fraction(0), Fraction(1, 3), Fraction(2)]))
        if form == "plain":
            items.append(f"{name} {'integer' if is_int else 'real'}")
        elif form == "interval":
            left = "[" if below == v or draw(st.booleans()) else "("
            right = "]" if above == v or draw(st.booleans()) else ")"
            items.append(f"{name} in {left}{_q(below)}, {_q(above)}{right}{kind}")
        elif form == "lower":
            items.append(f"{name} {'>=' if below == v else '>'} {_q(below)}{kind}")
        else:
            items.append(f"{name} {'<=' if above == v else '<'} {_q(above)}{kind}")
    world = World(values, integer)
    world.lines.append("given " + ", ".join(items))
    if len(names) >= 2 and draw(st.booleans()):
        # a general relation P satisfies
        u, w = names[0], names[1]
        total = values[u] + values[w] + draw(st.sampled_from([Fraction(0), Fraction(1)]))
        world.lines.append(f"assume {u} + {w} <= {_q(total)}")
    return world


def _q(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def expressions(world: World, depth: int = 2, extra: tuple[str, ...] = ()) -> st.SearchStrategy[Ex]:
    """Expressions over the world's variables and lets (and extra bound names)."""
    names = [*world.values, *world.lets, *extra]
    leaves: list[st.SearchStrategy[Ex]] = [fractions.map(num)]
    if names:  # names three times as often as numbers
        leaves += [st.sampled_from(names).map(lambda n: world.lets.get(n, var(n)))] * 3
    leaf = st.one_of(*leaves)
    if depth <= 0:
        return leaf
    sub = expressions(world, depth - 1, extra)
    return st.one_of(
        leaf,
        st.builds(binop, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(call, st.sampled_from(["exp", "log", "sqrt", "abs", "Phi", "ceil"]),
                  expressions(world, depth - 1, extra)),
        st.builds(power, sub, st.sampled_from([2, 3, -1])),
        sums(world, depth - 1),
    )


@st.composite
def sums(draw: st.DrawFn, world: World, depth: int) -> Ex:
    """A finite sum, its index often named like a variable or a let; sometimes nested."""
    index = draw(st.sampled_from(INDICES))
    dummy = sp.Dummy(index)
    lo = draw(st.integers(0, 2))
    hi = lo + draw(st.integers(0, 3))
    inner_world = World(world.values, world.integer, dict(world.lets))
    inner_world.lets[index] = Ex(index, dummy)  # the index hides a variable or let so named
    if depth > 0 and draw(st.booleans()):
        body = draw(sums(inner_world, depth - 1))
    else:
        body = draw(expressions(inner_world, 1))
    return finite_sum(index, lo, hi, body, dummy)


# ---------------------------------------------------------------------------------------------
# Justifications: facts and theorems with right, undefined and clashing arguments

THEOREMS = {
    "exp_pos": ["x"],
    "exp_ge_one_add": ["x"],
    "log_le_sub_one": ["x"],
    "log_mul": ["x", "y"],
    "sq_nonneg": ["x"],
    "Phi_neg": ["x"],
    "Phi_inv_symmetry": ["p"],
    "abs_add_le": ["a", "b"],
    "relu3_construction_units": ["d", "delta"],
    "sum_binomial_le_pow_of_le": ["m", "d"],
    "hoeffding_mean_two_sided": ["n", "t", "a", "b"],
}


@st.composite
def arguments(draw: st.DrawFn, world: World) -> str:
    kind = draw(st.sampled_from(["expr", "expr", "undefined", "index", "number"]))
    if kind == "undefined":
        return draw(st.sampled_from(UNDEFINED))
    if kind == "index":  # a free name that is bound inside the theorem's statement
        return draw(st.sampled_from([f"10*{i}" for i in INDICES] + INDICES))
    if kind == "number":
        return draw(st.sampled_from(["1", "2", "1/2", "100", "10^7", "0", "-1"]))
    return draw(expressions(world, 1)).text


@st.composite
def citations(draw: st.DrawFn, world: World) -> str:
    name = draw(st.sampled_from(sorted(THEOREMS)))
    params = THEOREMS[name]
    if draw(st.integers(0, 4)) == 0:
        return name  # the values are found by matching
    chosen = draw(st.lists(st.sampled_from(params), min_size=1, max_size=len(params),
                           unique=True))
    if draw(st.integers(0, 5)) == 0 and len(chosen) >= 1:
        chosen = [*chosen, chosen[0]]  # a parameter given twice
    args = ", ".join(f"{p} = {draw(arguments(world))}" for p in chosen)
    return f"{name}({args})"


@st.composite
def justifications(draw: st.DrawFn, world: World) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        choice = draw(st.sampled_from(["algebra", "numeric", "fact", "false", "theorem",
                                       "theorem"]))
        if choice == "fact" and world.facts:
            parts.append(draw(st.sampled_from(world.facts)))
        elif choice == "false" and world.false_facts:
            parts.append(draw(st.sampled_from(world.false_facts)))
        elif choice in ("algebra", "numeric"):
            parts.append(choice)
        else:
            parts.append(draw(citations(world)))
    return f"   by {', '.join(parts)}" if parts else ""


# ---------------------------------------------------------------------------------------------
# The proof: prelude items, then the goal, false at P


@dataclass(frozen=True)
class Goal:
    lhs: Ex
    op: str
    rhs: Ex

    @property
    def text(self) -> str:
        return f"{self.lhs.text} {self.op} {self.rhs.text}"


FALSE_OPS = {1: ["<", "<=", "="], -1: [">", ">=", "="], 0: ["<", ">", "!="]}


@st.composite
def false_relations(draw: st.DrawFn, world: World, lhs: Ex | None = None,
                    rhs: Ex | None = None) -> Goal:
    """A relation between two expressions defined at P, false at P."""
    lhs = lhs if lhs is not None else draw(expressions(world))
    rhs = rhs if rhs is not None else draw(expressions(world))
    point = world.point
    assume(defined_at(lhs, point) and defined_at(rhs, point))
    s = sign_at(value_at(lhs, point) - value_at(rhs, point))
    assume(s is not None)
    assert s is not None
    return Goal(lhs, draw(st.sampled_from(FALSE_OPS[s])), rhs)


@st.composite
def preludes(draw: st.DrawFn, world: World) -> None:
    """Lets, facts (true, false, citing), contradictions: written into world.lines."""
    for n in range(draw(st.integers(0, 3))):
        item = draw(st.sampled_from(["let", "fact", "false", "cited", "contradiction"]))
        if item == "let":
            name = draw(st.sampled_from([*INDICES, "s", "w"]))
            if name in world.values or name in world.lets:
                continue
            e = draw(expressions(world, 1))
            if not defined_at(e, world.point):
                continue  # a let must be defined at P for P to stay a point of the proof
            world.lines.append(f"let {name} = {e.text}")
            world.lets[name] = Ex(name, e.sym, e.conds, e.depth)
        elif item == "fact":
            lhs, rhs = draw(expressions(world, 1)), draw(expressions(world, 1))
            op = draw(st.sampled_from(["=", "<=", ">=", "<", ">", "!="]))
            world.lines.append(f"have f{n}: {lhs.text} {op} {rhs.text}"
                               f"{draw(justifications(world))}")
            world.facts.append(f"f{n}")
        elif item == "false":
            rel = draw(false_relations(world))
            world.lines.append(f"have bad{n}: {rel.text}{draw(justifications(world))}")
            world.false_facts.append(f"bad{n}")
        elif item == "cited":
            world.lines.append(f"have c{n}: {draw(expressions(world, 1)).text} "
                               f"{draw(st.sampled_from(['=', '<=', '>=']))} "
                               f"{draw(expressions(world, 1)).text}   by "
                               f"{draw(citations(world))}")
            world.facts.append(f"c{n}")
        else:
            v = draw(st.sampled_from(sorted(world.values)))
            world.lines.append("assume " + draw(st.sampled_from(
                [f"{v}^2 < 0", f"{v} < {v}", f"exp({v}) <= 0", f"{v}^2 + 1 <= 0"])))
            world.contradictory = True


@st.composite
def goal_blocks(draw: st.DrawFn, world: World, goal: Goal) -> None:
    """The goal, one line with a justification, a chain, or an empty block."""
    shape = draw(st.sampled_from(["one-line", "chain", "chain", "empty", "bad-fact"]))
    if shape == "bad-fact":
        # the goal itself as a fact (refuted), then cited
        world.lines.append(f"have badgoal: {goal.text}")
        world.false_facts.append("badgoal")
        shape = draw(st.sampled_from(["one-line", "chain"]))
    if shape == "one-line":
        why = draw(justifications(world)) or "   by algebra"
        if world.false_facts and draw(st.booleans()):
            why = f"   by {draw(st.sampled_from(world.false_facts))}"
        world.lines.append(f"show {goal.text}{why}")
        return
    world.lines.append(f"show {goal.text}")
    if shape == "chain":
        middle = draw(st.lists(expressions(world, 1), max_size=2))
        ops = draw(st.lists(st.sampled_from([goal.op, goal.op, "=", "<=", "<", ">=", ">"]),
                            min_size=len(middle) + 1, max_size=len(middle) + 1))
        world.lines.append(f"  {goal.lhs.text}")
        for op, e in zip(ops, [*middle, goal.rhs], strict=True):
            op = "=" if op == "!=" else op
            why = draw(justifications(world))
            if world.false_facts and draw(st.integers(0, 2)) == 0:
                why = f"   by {draw(st.sampled_from(world.false_facts))}"
            world.lines.append(f"    {op} {e.text}{why}")
    world.lines.append("qed")


# targeted attacks: shapes that broke the checker before


@st.composite
def relu3_bridges(draw: st.DrawFn, world: World) -> Goal:
    """(4*d1 + 1)*ceil(1/D)^d1 = (4*d2 + 1)*ceil(1/D)^d2 through Units[Net[g, D]]."""
    d1, d2 = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2, unique=True))
    delta = draw(st.one_of(
        st.sampled_from(["1/2", "1/3", "2"]).map(lambda t: num(Fraction(t))),
        expressions(world, 1).map(lambda e: binop("+", power(e, 2), num(Fraction(1))))))
    sides = [binop("*", num(Fraction(4 * d + 1)),
                   power(call("ceil", binop("/", num(Fraction(1)), delta)), d))
             for d in (d1, d2)]
    point = world.point
    assume(defined_at(delta, point))
    s = sign_at(value_at(sides[0], point) - value_at(sides[1], point))
    assume(s not in (None, 0))
    goal = Goal(sides[0], "=", sides[1])
    world.lines.append(f"show {goal.text}")
    world.lines.append(f"  {sides[0].text} = Units[Net[g, {delta.text}]]   "
                       f"by relu3_construction_units(d = {d1}, delta = {delta.text})")
    world.lines.append(f"    = {sides[1].text}   "
                       f"by relu3_construction_units(d = {d2}, delta = {delta.text})")
    world.lines.append("qed")
    return goal


@st.composite
def hoeffding_untied(draw: st.DrawFn, world: World) -> Goal:
    """A given fixes P[|mean - mu| >= t]; Hoeffding at an untied n bounds it below that."""
    t = draw(st.sampled_from(["1/2", "1/10", "1/4"]))
    held = draw(st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(9, 10)]))
    n = draw(st.sampled_from(["100", "10^4", "10^7"] + [f"{v}^2 + 1000" for v in world.values]))
    world.lines.append(f"given P[0 <= X <= 1] = 1, P[|mean - mu| >= {t}] = {_q(held)}")
    bound = held / 10
    term = Ex(f"P[|mean - mu| >= {t}]", sp.Rational(held.numerator, held.denominator))
    goal = Goal(term, draw(st.sampled_from(["<=", "<"])), num(bound))
    world.lines.append(f"show {goal.text}   by hoeffding_mean_two_sided"
                       f"(n = {n}, t = {t}, a = 0, b = 1)")
    return goal


HIDDEN = [
    # (variable's given, wrong claim (as a function of the name), citation, variable's value)
    ("in (0, 1)", lambda v: (f"Phi_inv(1 - {v})", "=", f"Phi_inv({v})"),
     "Phi_inv_symmetry(p = {v})"),
    ("real", lambda v: (f"Phi(-{v})", "=", f"Phi({v})"), "Phi_neg(x = {v})"),
    ("> 0", lambda v: (f"log({v}*2)", "=", f"log({v}) - log(2)"), "log_mul(x = {v}, y = 2)"),
    ("real", lambda v: (f"exp({v})", ">=", f"2 + {v}"), "exp_ge_one_add(x = {v})"),
    ("> 0", lambda v: (f"log({v})", "<=", f"{v} - 2"), "log_le_sub_one(x = {v})"),
]


@st.composite
def hidden_counterexamples(draw: st.DrawFn, world: World) -> Goal:
    """A wrong variant of a theorem's conclusion, cited with the right argument."""
    given_form, claim, cite = draw(st.sampled_from(HIDDEN))
    name = "q"
    value = draw(st.sampled_from([Fraction(1, 4), Fraction(1, 3), Fraction(3, 4)])) \
        if given_form == "in (0, 1)" else draw(st.sampled_from([Fraction(1, 2), Fraction(3),
                                                                 Fraction(1, 3)]))
    world.values[name] = value
    world.lines.append(f"given {name} {given_form}")
    lhs_text, op, rhs_text = claim(name)
    q = sp.Rational(value.numerator, value.denominator)
    sym = {
        "Phi_inv(1 - q)": sp.sqrt(2) * sp.erfinv(1 - 2 * q), "Phi_inv(q)":
        sp.sqrt(2) * sp.erfinv(2 * q - 1), "Phi(-q)": (1 + sp.erf(-q / sp.sqrt(2))) / 2,
        "Phi(q)": (1 + sp.erf(q / sp.sqrt(2))) / 2, "log(q*2)": sp.log(2 * q),
        "log(q) - log(2)": sp.log(q) - sp.log(2), "exp(q)": sp.exp(q), "2 + q": 2 + q,
        "log(q)": sp.log(q), "q - 2": q - 2,
    }
    lhs, rhs = Ex(lhs_text, sym[lhs_text]), Ex(rhs_text, sym[rhs_text])
    s = sign_at(lhs.sym - rhs.sym)
    assume(s is not None)
    assert s is not None
    # the relation is false at q when ... it is false: keep only those points
    holds = {"=": s == 0, ">=": s >= 0, "<=": s <= 0}[op]
    assume(not holds)
    goal = Goal(lhs, op, rhs)
    world.lines.append(f"show {goal.text}   by {cite.format(v=name)}")
    return goal


@st.composite
def captured_indices(draw: st.DrawFn, world: World) -> Goal:
    """A free i in a citation of a theorem whose statement binds i."""
    i_value = draw(st.integers(1, 3))
    world.values["i"] = Fraction(i_value)
    world.integer.add("i")
    world.lines.append("given i >= 1 integer")
    c = draw(st.integers(i_value + 1, i_value + 3))
    goal = Goal(var("i"), ">=", num(Fraction(c)))
    world.lines.append(f"show i >= {c}   by sum_binomial_le_pow_of_le(m = 10*i, d = 3)")
    return goal


@dataclass(frozen=True)
class Generated:
    """A generated proof, the point where its goal is false, and that goal."""

    text: str
    world: World
    goal: Goal
    kind: str

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        point = ", ".join(f"{n} = {v}" for n, v in self.world.values.items())
        return (f"<{self.kind} proof; false at {point}"
                f"{'; contradictory assumptions' if self.world.contradictory else ''}>\n"
                f"{self.text}")


@st.composite
def proofs(draw: st.DrawFn) -> Generated:
    world = draw(worlds())
    kind = draw(st.sampled_from(["random"] * 5 + ["relu3", "hoeffding", "hidden", "capture"]))
    if kind == "random":
        draw(preludes(world))
        goal = draw(false_relations(world))
        # mostly goals about the variables: constant goals are the easy case
        assume(draw(st.integers(0, 4)) == 0
               or bool((goal.lhs.sym - goal.rhs.sym).free_symbols))
        draw(goal_blocks(world, goal))
    elif kind == "relu3":
        goal = draw(relu3_bridges(world))
    elif kind == "hoeffding":
        goal = draw(hoeffding_untied(world))
    elif kind == "hidden":
        if "q" in world.values:
            return draw(proofs())
        goal = draw(hidden_counterexamples(world))
    else:
        if "i" in world.values:
            return draw(proofs())
        goal = draw(captured_indices(world))
    return Generated("\n".join(world.lines) + "\n", world, goal, kind)


# ---------------------------------------------------------------------------------------------
# The property


def _never_accepted(generated: Generated) -> None:
    text = generated.text
    note(f"goal, false at the point: {generated.goal.text}")
    result = check_text(text, "generated.proof", budget_s=BUDGET_S)
    crashes = [d.message for d in result.diagnostics if d.code == "internal-error"]
    assert [] == crashes, "the checker crashed"
    show_line = next(n for n, line in enumerate(text.splitlines(), 1)
                     if line.startswith("show "))
    goal_verdicts = [s.verdict for s in result.steps if s.line == show_line]
    assert all(v.status is not Status.PROVED for v in goal_verdicts), (
        f"the goal on line {show_line}, false at the point, is proved: "
        f"{[v.reason for v in goal_verdicts]}")
    assert 0 != result.exit_code, "a proof of a goal false at the point is accepted"


@DEFAULT
@given(proofs())
def test_goal_false_at_a_point_is_never_accepted(
        generated: Generated) -> None:
    """30 generated proofs of goals false at a known point: none is accepted."""
    _never_accepted(generated)


@pytest.mark.slow
@SLOW
@given(proofs())
def test_goal_false_at_a_point_is_never_accepted_10k(
        generated: Generated) -> None:
    """The same over 10,000 generated proofs (PROOFCHECK_SOUNDNESS_EXAMPLES to change)."""
    _never_accepted(generated)
