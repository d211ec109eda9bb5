"""Branch and bound over boxes: certify ``f op 0`` on every box or find a counterexample.

``_Search(f, op, variables, hypotheses, meter, ob).run(max_boxes)`` splits the start box
until every box is certified by plain evaluation, monotonicity in a variable, the sign test
or the mean-value form (see the package docstring), is discarded by a hypothesis, or a simple
point of a box is a verified counterexample.

Work is counted, never timed (``checker.engines.work``): each interval evaluation, point value
and new derivative or specialised form spends from the ``meter``, and the search stops after
``max_boxes`` boxes or when the meter runs out, so its answer does not depend on the load.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import ctx

from checker.binders import substitute
from checker.engines.intervals.arith import (
    BOX_PRECISION,
    POINT_PRECISIONS,
    Box,
    Iv,
    _add,
    _const,
    _decide,
    _exact_iv,
    _holds,
    _mul,
    _NoBound,
    _sign,
)
from checker.engines.intervals.compile import Fn, _compile, _evaluate
from checker.engines.intervals.forms import _Form, _Forms, _substitutable, _with
from checker.engines.work import Meter, OutOfWork
from checker.numeric import Undefined, exact, simplest_between, verify_counterexample
from checker.obligations import Obligation, Relation, Status, sym

MAX_BOXES = 100_000
MAX_EQUALITY_BOXES = 500  # "=" claims: only a search for a counterexample at simple points
MAX_ORDER = 4  # highest derivative used by the sign test
MIN_WIDTH = Fraction(1, 2**40)  # relative to a variable's starting width: not split further

FORM_COST = 20  # work units for a new derivative or specialised form (SymPy's diff, subs)
# and per node of a new derivative, and again of a form factored: SymPy's diff and factor
# grow with the size (a derivative of 300 nodes takes about 70 ms, 500 units here)
NODE_COST = 2


def _pick(lo: Fraction, hi: Fraction, integer: bool) -> Fraction:
    """A simple interior point to split at and try: 0, 1, -1, else the middle third's simplest."""
    if lo == hi:
        return lo
    third = (hi - lo) / 3
    if integer:
        first, last = math.ceil(lo + third), math.floor(hi - third)
        if first <= last:
            return simplest_between(Fraction(first), Fraction(last))
        return Fraction(math.floor((lo + hi) / 2))
    for p in (0, 1, -1):
        if lo < p < hi:
            return Fraction(p)
    return simplest_between(lo + third, hi - third)


MAX_EXPONENT_DENOMINATOR = 16  # a point's exponents with larger denominators are not given
# to SymPy: (45723/124288)^(45723/124288) makes it build integers of thousands of digits, for
# a value that is not rational anyway


def _simple_exponents(form: _Form, mapping: dict[str, Fraction]) -> bool:
    """Whether every symbolic exponent of the form is, at the point, a rational number with
    a small denominator (else SymPy's exact power is costly and rarely rational)."""
    for e in form.exponent_exprs:
        try:
            q = exact(e, mapping)
        except (Undefined, ZeroDivisionError):
            return False
        if q is None or q.denominator > MAX_EXPONENT_DENOMINATOR:
            return False
    return True


@dataclass(frozen=True)
class _Var:
    name: str
    lo: Fraction
    hi: Fraction
    integer: bool
    lo_open: bool = False  # the domain excludes lo (strict claims may be 0 there)
    hi_open: bool = False


@dataclass
class _Outcome:
    status: Status
    reason: str = ""
    counterexample: Any = None
    boxes: int = 0


_KINKS = (sp.Abs, sp.Max, sp.Min)
MAX_COMBOS = 8  # combinations of undecided branches certified one by one
MAX_KINK_ARGS = 4
MAX_INTEGER_SUBSTITUTION = 1000
MAX_EXPONENT = 4096  # symbolic exponents larger than this are not handed to SymPy


class _Search:
    """Branch and bound over the boxes of one problem ``f op 0``.

    With ``ob`` set, simple points are tried as counterexamples to ``ob``; without it
    (a substituted problem whose points need not be reachable) any point where the claim
    certainly fails ends the search.

    On each box, f is specialised: ``Abs``, ``Max`` and ``Min`` whose branch is decided on
    the box are replaced by that branch, and integer variables fixed to one value by the value,
    so that SymPy simplifies (``Abs(x) - x`` is 0 where x >= 0) and derivatives exist.
    """

    def __init__(
        self,
        f: sp.Expr,
        op: str,
        variables: Sequence[_Var],
        hypotheses: Sequence[Relation],
        meter: Meter,
        ob: Obligation | None = None,
        completion: dict[str, Fraction] | None = None,
    ) -> None:
        self.f = f
        self.op = op
        self.vars = list(variables)
        self.names = [v.name for v in self.vars]
        self.syms = [sym(n) for n in self.names]
        self.base = _Forms(f, self.syms)
        self.index = self.base.index
        base_form = self.base.get(())
        self.f_deps = base_form.deps if base_form is not None else frozenset()
        self.specials: dict[tuple[object, ...], _Forms] = {(): self.base}
        self.sig: tuple[object, ...] = ()
        self.excluded_faces: set[tuple[int, Fraction]] = set()  # checked on their own
        self.forms = self.base
        self.kinks: list[tuple[sp.Expr, list[list[Fn]]]] = []
        for node in sp.preorder_traversal(f):
            if isinstance(node, _KINKS) and len(node.args) <= MAX_KINK_ARGS:
                if any(node == k for k, _ in self.kinks):
                    continue
                args = [node.args[0], -node.args[0]] if isinstance(node, sp.Abs) else node.args
                # row i: the differences that must all be >= 0 for the kink to be args[i]:
                # args[i] - args[j] for Max and Abs (the max of u and -u), the reverse for Min
                low = isinstance(node, sp.Min)
                rows = [
                    [_compile(b - a if low else a - b, self.index) for b in args if b is not a]
                    for a in args
                ]
                self.kinks.append((node, rows))
        # floor and ceiling: (node, its argument, (i, a, b) when the argument is a*x_i + b)
        self.steps: list[tuple[sp.Expr, Fn, tuple[int, Fraction, Fraction] | None]] = []
        for node in sp.preorder_traversal(f):
            if isinstance(node, (sp.floor, sp.ceiling)) and all(
                node != k for k, _, _ in self.steps
            ):
                arg = node.args[0]
                self.steps.append((node, _compile(arg, self.index), self._linear(arg)))
        self.f_smooth_free = _substitutable(f)
        self.can_specialise = bool(self.kinks or self.steps or any(v.integer for v in self.vars))
        self.hyps: list[tuple[Fn, str]] = []
        for h in hypotheses:
            g, hop = h.difference()
            self.hyps.append((_compile(g, self.index), hop))
        self.meter = meter
        self.ob = ob
        self.completion = completion or {}
        self.start: Box = tuple((v.lo, v.hi) for v in self.vars)
        self.min_width = [(v.hi - v.lo) * MIN_WIDTH for v in self.vars]
        self.points: dict[tuple[tuple[object, ...], tuple[int, ...], Box], Iv | None] = {}
        self.memo: dict[tuple[tuple[object, ...], tuple[int, ...], int, Box, bool], Iv | None] = {}
        self.tried: set[Box] = set()
        self.boxes = 0
        self.certified = 0
        self.undefined = 0  # boxes discarded because the claim is undefined on all of them

    # ---------------------------------------------------------------- specialisation

    def _decisions(self, box: Box) -> tuple[list[object], list[list[object]], list[Box]]:
        """What is decided on the box, per integer variable, kink and step (None: undecided).

        Also the values each undecided kink or step may take on the box (a point of the box
        takes one of them), and the faces of the box that need their own check: ``floor(x)``
        is m - 1 on [a, m] except at x = m (``ceiling`` likewise at the lower end).
        """
        sig: list[object] = []
        options: list[list[object]] = []
        faces: list[Box] = []
        for i, (v, (lo, hi)) in enumerate(zip(self.vars, box, strict=True)):
            value: object = None
            if v.integer and lo == hi and i in self.f_deps:
                limit = MAX_INTEGER_SUBSTITUTION if self.f_smooth_free else 50
                value = int(lo) if abs(lo) <= limit else None
            sig.append(value)
            options.append([value])
        for _, rows in self.kinks:
            choice = self._branch(rows, box)
            sig.append(choice)
            options.append([choice] if choice >= 0 else list(range(len(rows))))
        for node, argfn, linear in self.steps:
            value, face, possible = self._step_value(node, argfn, linear, box)
            sig.append(value)
            options.append(possible)
            if face is not None:
                faces.append(face)
        return sig, options, faces

    def _powers_small(self, form: _Form, box: Box) -> bool:
        """Whether every symbolic exponent is small on the box, so that SymPy may substitute
        numbers without computing a huge power (2**(2**n) at n = 1000)."""
        for fn in form.exponents:
            try:
                iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
            except Undefined:
                return False
            if iv is None or not (iv[0] >= -MAX_EXPONENT and iv[1] <= MAX_EXPONENT):
                return False
        return True

    def _use(self, sig: Sequence[object], box: Box) -> None:
        """Set ``self.forms`` to f with the decisions ``sig`` substituted."""
        mapping: dict[sp.Expr, sp.Expr] = {}
        n = len(self.vars)
        base_form = self.base.get(())
        substitutes = any(isinstance(v, int) for v in sig[:n])
        if base_form is not None and substitutes and not self._powers_small(base_form, box):
            sig = [None] * n + list(sig[n:])
        for i, value in enumerate(sig[:n]):
            if isinstance(value, int):
                mapping[self.syms[i]] = sp.Integer(value)
        for (node, _), choice in zip(self.kinks, sig[n : n + len(self.kinks)], strict=True):
            if isinstance(choice, int) and choice >= 0:
                if isinstance(node, sp.Abs):
                    mapping[node] = node.args[0] if choice == 0 else -node.args[0]
                else:
                    mapping[node] = node.args[choice]
        for (node, _, _), value in zip(self.steps, sig[n + len(self.kinks) :], strict=True):
            if isinstance(value, int):
                mapping[node] = sp.Integer(value)
        key = tuple(sig) if mapping else ()
        if key not in self.specials:
            g = self.f
            for _ in range(8):
                nxt = substitute(g, mapping)  # not inside a sum whose variable it mentions
                if nxt == g:
                    break
                g = nxt
            self.meter.spend(FORM_COST)
            self.specials[key] = _Forms(g, self.syms)
        self.sig, self.forms = key, self.specials[key]

    def _step_value(
        self, node: sp.Expr, argfn: Fn, linear: tuple[int, Fraction, Fraction] | None, box: Box
    ) -> tuple[int | None, Box | None, list[object]]:
        """floor/ceiling on the box: its value (with the face where it differs) and the values
        it may take."""
        try:
            iv = _evaluate(argfn, box, self.names, BOX_PRECISION, True)
        except Undefined:
            return None, None, [None]
        if iv is None:
            return None, None, [None]
        up = isinstance(node, sp.ceiling)
        ends = [int((x.ceil() if up else x.floor()).unique_fmpz()) for x in iv]
        if ends[0] == ends[1]:
            return ends[0], None, [ends[0]]
        possible: list[object] = (
            list(range(ends[0], ends[1] + 1)) if ends[1] - ends[0] < MAX_COMBOS else [None]
        )
        if linear is None or ends[1] != ends[0] + 1:
            return None, None, possible
        # the argument a*x + b reaches the integer m only on the face x = (m - b)/a
        var, a, b = linear
        m = ends[1] if not up else ends[0]
        at = (m - b) / a
        lo, hi = box[var]
        reaches_m_at = (hi if a > 0 else lo) if not up else (lo if a > 0 else hi)
        if at != reaches_m_at:
            return None, None, possible
        return (ends[0] if not up else ends[1]), _fix(box, var, at), possible

    def _linear(self, e: sp.Expr) -> tuple[int, Fraction, Fraction] | None:
        """(i, a, b) when e = a*x_i + b with x_i a real variable and a, b rational."""
        names = [s.name for s in e.free_symbols]
        if len(names) != 1 or names[0] not in self.index:
            return None
        i = self.index[names[0]]
        if self.vars[i].integer:
            return None
        try:
            poly = sp.Poly(e, self.syms[i])
        except Exception:  # not a polynomial (SymPy raises several kinds)
            return None
        coeffs = poly.all_coeffs()
        if poly.degree() != 1 or not all(c.is_Rational for c in coeffs):
            return None
        a, b = (Fraction(int(c.p), int(c.q)) for c in coeffs)
        return i, a, b

    def _branch(self, rows: list[list[Fn]], box: Box) -> int:
        """The argument of a kink certainly chosen on the box (Abs: 0 for u, 1 for -u), or -1."""
        for i, row in enumerate(rows):
            ok = True
            for fn in row:
                try:
                    iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
                except Undefined:
                    iv = None
                if iv is None or not iv[0] >= 0:
                    ok = False
                    break
            if ok:
                return i
        return -1

    def _use_base(self) -> None:
        self.sig, self.forms = (), self.base
        self.excluded_faces = set()

    # ---------------------------------------------------------------- evaluation helpers

    def _bound(self, key: tuple[int, ...], k: int, box: Box, clip: bool) -> Iv | None:
        """Form ``k`` of expression ``key`` on the box; None when unbounded or undefined."""
        memo_key = (self.sig, key, k, box, clip)
        if memo_key in self.memo:
            return self.memo[memo_key]
        self.meter.spend()
        new = key not in self.forms.cache
        if new:
            self.meter.spend(FORM_COST)
        form = self.forms.get(key)
        if form is not None and new:  # a large derivative took longer to make
            self.meter.spend(form.nodes * NODE_COST)
        if form is not None and k and not form.complete:  # factoring it, the first time
            self.meter.spend(FORM_COST + form.nodes * NODE_COST)
        result = None
        if form is not None and k < (form.count() if k else 1):
            try:
                result = _evaluate(form.fns[k], box, self.names, BOX_PRECISION, clip)
            except Undefined:
                result = None
        self.memo[memo_key] = result
        return result

    def _point_value(self, key: tuple[int, ...], pt: Box) -> Iv | None:
        """Bounds of expression ``key`` at an exact point, as tight as needed to decide signs."""
        cache_key = (self.sig, key, pt)
        if cache_key in self.points:
            return self.points[cache_key]
        value = self._point_value_uncached(key, pt)
        self.points[cache_key] = value
        return value

    def _point_value_uncached(self, key: tuple[int, ...], pt: Box) -> Iv | None:
        self.meter.spend()
        form = self.forms.get(key)
        if form is None:
            return None
        mapping = {n: lo for n, (lo, _) in zip(self.names, pt, strict=True)}
        try:
            q = exact(form.expr, mapping)
        except Undefined:
            return None
        if q is not None:
            return _exact_iv(q)
        iv = self._decided(form.fns[0], pt, POINT_PRECISIONS[0])
        if iv is not None and iv[2]:
            return iv[0], iv[1]
        if (form.substitutable and self._powers_small(form, pt)
                and _simple_exponents(form, mapping)):
            subs = {sym(n): sp.Rational(v.numerator, v.denominator) for n, v in mapping.items()}
            v = form.expr.xreplace(subs)
            if v.is_Rational:
                return _exact_iv(Fraction(int(v.p), int(v.q)))
        last = None
        for prec in POINT_PRECISIONS[1:]:
            self.meter.spend(prec // POINT_PRECISIONS[0])
            iv = self._decided(form.fns[0], pt, prec)
            if iv is None:
                return None
            last = (iv[0], iv[1])
            if iv[2]:
                break
        return last

    def _decided(self, fn: Fn, pt: Box, prec: int) -> tuple[Any, Any, bool] | None:
        try:
            iv = _evaluate(fn, pt, self.names, prec, False)
        except Undefined:
            return None
        if iv is None:
            return None
        lo, hi = iv
        return lo, hi, bool(lo > 0 or hi < 0 or (lo == 0 and hi == 0))

    # --------------------------------------------------------------------- certification

    def _excluded(self, i: int, end: Fraction) -> bool:
        """Whether x_i = end lies outside the variable's domain (an open end)."""
        v = self.vars[i]
        if (i, end) in self.excluded_faces:
            return True
        return (end == v.lo and v.lo_open) or (end == v.hi and v.hi_open)

    def _certify(self, key: tuple[int, ...], sign: int, box: Box, strict: bool) -> bool:
        """Is ``sign * D >= 0`` (``> 0`` if strict) certain on the box, D = expression ``key``?

        With ``strict``, points of the box outside an open end of a domain need not be > 0.
        """
        form = self.forms.get(key)
        if form is None:
            return False
        free = sorted(i for i in form.deps if box[i][0] != box[i][1])
        if not free:
            pt = tuple((lo, lo) for lo, _ in box)
            value = self._point_value(key, pt)
            return value is not None and _holds(value, sign, strict)
        k = 0
        while k < (form.count() if k else 1):  # factored forms only when the first fails
            # clip square roots only in the expression itself: a factored form is equal to it
            # where both are defined, and is trusted only where it is defined everywhere
            iv = self._bound(key, k, box, k == 0)
            if iv is not None and _holds(iv, sign, strict):
                return True
            k += 1
        if not form.smooth or self._bound(key, 0, box, False) is None:
            return False
        grads: dict[int, Iv] = {}
        for i in free:
            gkey = _with(key, i)
            g = self._bound(gkey, 0, box, False)
            if g is None:
                continue
            grads[i] = g
            ivs = [g]
            gform = self.forms.get(gkey)
            if _sign(g) == 0 and gform is not None:
                for k in range(1, gform.count()):
                    alt = self._bound(gkey, k, box, False)
                    if alt is not None:
                        ivs.append(alt)
            direction = next(
                (d for d in (1, -1) if any(_holds(v, d * sign, False) for v in ivs)), 0
            )
            if direction == 0:
                continue
            # sign * D is monotone in x_i: its least value is on the face at `end`
            end = box[i][0] if direction > 0 else box[i][1]
            relaxed = (
                strict
                and self._excluded(i, end)
                and any(_holds(v, direction * sign, True) for v in ivs)
            )
            if self._certify(key, sign, _fix(box, i, end), strict and not relaxed):
                return True
            if not (strict and self._excluded(i, end)):
                return False  # the least value is on that face: nothing else can do better
            break  # a strict claim at an excluded end: the sign test below may still work
        if len(grads) == len(free) and self._mean_value(key, sign, box, grads, strict):
            return True
        if len(free) <= 2:
            return any(self._sign_test(key, sign, box, i, strict) for i in free if i in grads)
        return False

    def _mean_value(
        self, key: tuple[int, ...], sign: int, box: Box, grads: dict[int, Iv], strict: bool
    ) -> bool:
        """``f(c) + sum_i df/dx_i(X) (X_i - c_i)`` with c the box's centre."""
        centre = tuple(((lo + hi) / 2, (lo + hi) / 2) for lo, hi in box)
        fc = self._point_value(key, centre)
        if fc is None:
            return False
        old = ctx.prec
        ctx.prec = BOX_PRECISION
        try:
            total = fc
            for i, g in grads.items():
                lo, hi = box[i]
                c = centre[i][0]
                total = _add(total, _mul(g, (_const(lo - c)[0], _const(hi - c)[1])))
        except _NoBound:
            return False
        finally:
            ctx.prec = old
        return _holds(total, sign, strict)

    def _sign_test(self, key: tuple[int, ...], sign: int, box: Box, i: int, strict: bool) -> bool:
        """g(a) >= 0, ..., g^(j)(a) >= 0 and g^(j+1) >= 0 on the box (or mirrored at b).

        For a strict claim at an excluded end a, g^(j)(a) >= 0 and g^(j+1) > 0 on the box
        give g > 0 on (a, b].
        """
        for end, mirror in ((box[i][0], 1), (box[i][1], -1)):
            face = _fix(box, i, end)
            relaxed = strict and self._excluded(i, end)
            for j in range(MAX_ORDER):
                s = sign * mirror**j
                if not self._certify(_with(key, i, j), s, face, strict and j == 0 and not relaxed):
                    break
                if j == 0 and not relaxed:
                    continue  # order 1 on the box is the monotonicity test, already failed
                nxt = _with(key, i, j + 1)
                g = self._bound(nxt, 0, box, False)
                if g is None:
                    break
                s1 = sign * mirror ** (j + 1)
                if _holds(g, s1, relaxed):
                    return True
                form = self.forms.get(nxt)
                for k in range(1, form.count() if form is not None else 1):
                    alt = self._bound(nxt, k, box, False)
                    if alt is not None and _holds(alt, s1, relaxed):
                        return True
        return False

    def _certify_box(self, box: Box) -> str:
        """ "ok", "discard" (no point of the box where the claim is defined) or "fail".

        f is specialised to the box (decided branches substituted); if that is not enough,
        every combination of the undecided branches is certified on the whole box: each point
        takes one of them, so f is the certified value there.
        """
        try:
            form = self.base.get(())
            assert form is not None
            _evaluate(form.fns[0], box, self.names, BOX_PRECISION, True)
        except Undefined:
            return "discard" if self._integers_fixed(box) else "fail"
        if self.op == "=" and not self.can_specialise:
            return "fail"
        sig, options, faces = self._decisions(box)
        excluded = {
            (i, lo)
            for face in faces
            for i, (lo, hi) in enumerate(face)
            if lo == hi and box[i][0] != box[i][1]
        }
        self.excluded_faces = excluded
        self._use(sig, box)
        ok = self._certify_claim(box)
        combos = math.prod(len(o) for o in options)
        if not ok and 1 < combos <= MAX_COMBOS:
            for combo in itertools.product(*options):
                self.excluded_faces = excluded
                self._use(combo, box)
                ok = self._certify_claim(box)
                if not ok:
                    break
        if ok and any(self._certify_box(face) == "fail" for face in faces):
            return "fail"
        return "ok" if ok else "fail"

    def _certify_claim(self, box: Box) -> bool:
        """The claim ``f op 0`` for the current (specialised) f on the whole box."""
        if self.op == "=":
            form = self.forms.get(())
            if form is None:
                return False
            if form.expr == 0:
                return True
            if any(box[i][0] != box[i][1] for i in form.deps):
                return False
            value = self._point_value((), tuple((lo, lo) for lo, _ in box))
            return value is not None and bool(value[0] == 0 and value[1] == 0)
        if self.op == "!=":
            return self._certify((), 1, box, True) or self._certify((), -1, box, True)
        return self._certify((), 1, box, self.op == ">")

    def _integers_fixed(self, box: Box) -> bool:
        return all(not v.integer or lo == hi for v, (lo, hi) in zip(self.vars, box, strict=True))

    # ----------------------------------------------------------- hypotheses and points

    def _feasible(self, box: Box, active: tuple[int, ...]) -> tuple[bool, tuple[int, ...]]:
        """Whether the box may hold points satisfying the hypotheses; those still undecided."""
        keep = []
        for k in active:
            fn, hop = self.hyps[k]
            try:
                iv = _evaluate(fn, box, self.names, BOX_PRECISION, True)
            except Undefined:
                # an undefined hypothesis excludes nothing: a contradictory definedness
                # requirement (Phi_inv(2), 1/0) must not make the obligation vacuous
                keep.append(k)
                continue
            if iv is None:
                keep.append(k)
                continue
            decided = _decide(iv, hop)
            if decided is False:
                return False, ()
            if decided is None:
                keep.append(k)
        return True, tuple(keep)

    def _fails_at(self, pt: Box) -> bool:
        self._use_base()
        value = self._point_value((), pt)
        if value is None:
            return False
        return _decide(value, self.op) is False

    def _try_point(self, pt: Box) -> Any:
        """A verified counterexample at the point, or None."""
        if self.ob is None or pt in self.tried:
            return None
        self.tried.add(pt)
        if not self._fails_at(pt):
            return None
        point = dict(self.completion)
        point.update({n: lo for n, (lo, _) in zip(self.names, pt, strict=True)})
        return verify_counterexample(self.ob, point)

    def _candidate(self, box: Box) -> Box:
        return tuple(
            (p, p)
            for p in (_pick(lo, hi, v.integer) for v, (lo, hi) in zip(self.vars, box, strict=True))
        )

    def _split_var(self, box: Box) -> int | None:
        best, best_width = None, Fraction(0)
        for i, (v, (lo, hi)) in enumerate(zip(self.vars, box, strict=True)):
            if lo == hi or (not v.integer and hi - lo <= self.min_width[i]):
                continue
            width = (hi - lo) / (v.hi - v.lo)
            if best is None or width > best_width:
                best, best_width = i, width
        return best

    def _split(self, box: Box, i: int, at: Fraction) -> list[Box]:
        lo, hi = box[i]
        if self.vars[i].integer:
            m = min(max(at, lo), hi - 1)
            parts = [(lo, m), (m + 1, hi)]
        else:
            parts = [(lo, at), (at, hi)]
        return [(*box[:i], part, *box[i + 1 :]) for part in parts]

    # ------------------------------------------------------------------------------ main

    def run(self, max_boxes: int) -> _Outcome:
        if self.op == "=":
            max_boxes = min(max_boxes, MAX_EQUALITY_BOXES)
        everything = tuple(range(len(self.hyps)))
        queue: deque[tuple[Box, tuple[int, ...]]] = deque([(self.start, everything)])
        stuck: list[Box] = []
        try:
            corner = tuple(
                (simplest_between(lo, hi), simplest_between(lo, hi)) for lo, hi in self.start
            )
            cex = self._try_point(corner)
            if cex is not None:
                return _Outcome(Status.REFUTED, counterexample=cex, boxes=0)
            while queue:
                if self.boxes >= max_boxes or self.meter.exhausted:
                    return self._exhausted()
                box, active = queue.popleft()
                self.boxes += 1
                self.meter.spend()
                self.memo.clear()
                feasible, active = self._feasible(box, active)
                if not feasible:
                    continue
                pt = self._candidate(box)
                if self.ob is not None:
                    cex = self._try_point(pt)
                    if cex is not None:
                        return _Outcome(Status.REFUTED, counterexample=cex, boxes=self.boxes)
                elif self._fails_at(pt):
                    return _Outcome(Status.UNKNOWN, "fails at a point", boxes=self.boxes)
                result = self._certify_box(box)
                if result == "ok":
                    self.certified += 1
                if result == "discard":
                    self.undefined += 1
                if result != "fail":
                    continue
                i = self._split_var(box)
                if i is None:
                    stuck.append(pt)
                    continue
                for child in self._split(box, i, pt[i][0]):
                    queue.append((child, active))
        except OutOfWork:
            return self._exhausted()
        if self.op == "=" and stuck:
            return self._equality_unknown()
        if stuck and not self.vars:
            return _Outcome(Status.UNKNOWN, "undecided at the point", boxes=self.boxes)
        if stuck:
            pairs = zip(self.names, stuck[0], strict=True)
            where = ", ".join(f"{n} = {lo}" for n, (lo, _) in pairs)
            return _Outcome(
                Status.UNKNOWN,
                f"could not certify {len(stuck)} tiny boxes, first near {where}",
                boxes=self.boxes,
            )
        if self.undefined and not self.certified:
            return _Outcome(
                Status.UNKNOWN, "the claim is undefined on the domain", boxes=self.boxes
            )
        note = f" ({self.undefined} where the claim is undefined)" if self.undefined else ""
        boxes = f"{self.boxes} box" if self.boxes == 1 else f"{self.boxes} boxes"
        return _Outcome(Status.PROVED, f"certified on {boxes}{note}", boxes=self.boxes)

    def _equality_unknown(self) -> _Outcome:
        return _Outcome(
            Status.UNKNOWN,
            f"no counterexample in {self.boxes} boxes; equalities are left to other engines",
            boxes=self.boxes,
        )

    def _exhausted(self) -> _Outcome:
        if self.op == "=":
            return self._equality_unknown()
        return _Outcome(
            Status.UNKNOWN,
            f"interval search exhausted its work budget after {self.boxes} boxes",
            boxes=self.boxes,
        )


def _fix(box: Box, i: int, value: Fraction) -> Box:
    return (*box[:i], (value, value), *box[i + 1 :])
