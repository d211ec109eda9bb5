"""Print SymPy expressions back in the proof language (``^``, ``Phi_inv``, ``|x|`` ...).

``show(expr)`` prints with the fewest parentheses; ``show(expr, full=True)`` puts every
compound operand in parentheses, which is how ``--show-parsed`` tells a student how a line
was read. Both print text that our grammar reads back to the same expression.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from checker.functions import Phi, PhiInv, Sigmoid

_NAMES = {
    PhiInv: "Phi_inv",
    Phi: "Phi",
    Sigmoid: "sigmoid",
    sp.Max: "max",
    sp.Min: "min",
    sp.ceiling: "ceil",
}


class _Printer(StrPrinter):  # type: ignore[misc]
    printmethod = "_proofcheck"

    def __init__(self, full: bool) -> None:
        super().__init__({"order": "none"})
        self.full = full

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        if self.full and not (item.is_Atom and not (item.is_Rational and not item.is_Integer)):
            if item.is_Number and item.is_Integer and item >= 0:
                return str(self._print(item))
            return f"({self._print(item)})"
        out: str = super().parenthesize(item, level, strict)
        return out

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        b, e = expr.as_base_exp()
        if e == sp.Rational(1, 2):
            return f"sqrt({self._print(b)})"
        if e == -1 and not self.full:
            return f"1/{self.parenthesize(b, precedence(expr), strict=False)}"
        pb = self.parenthesize(b, precedence(expr), strict=True)
        if (
            (not self.full
            and e.is_Rational
            and not e.is_Integer)
            or (e.is_Number and e.is_negative)
        ):
            return f"{pb}^({self._print(e)})"
        return f"{pb}^{self.parenthesize(e, precedence(expr), strict=False)}"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_Abs(self, expr: Any) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Sum(self, expr: Any) -> str:
        # SymPy merges nested sums into one with several limits, the innermost first
        out: str = self._print(expr.function)
        for k, a, b in expr.limits:
            out = f"sum({k}, {self._print(a)}, {self._print(b)}, {out})"
        return out

    def _print_Event(self, expr: Any) -> str:
        from checker.functions import OPS

        parts = [OPS[int(a)] if i % 2 else self._print(a) for i, a in enumerate(expr.args)]
        return " ".join(parts)

    def _print_Function(self, expr: Any) -> str:
        from checker.functions import is_opaque

        if is_opaque(expr):
            return f"{type(expr).__name__}[{', '.join(self._print(a) for a in expr.args)}]"
        name = _NAMES.get(type(expr), type(expr).__name__)
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_log(self, expr: Any) -> str:
        return f"log({self._print(expr.args[0])})"

    def _print_Rational(self, expr: Any) -> str:
        return f"{expr.p}/{expr.q}"

    def _print_Float(self, expr: Any) -> str:  # never built by the parser; kept readable
        return str(expr)

    _print_Max = _print_Function
    _print_Min = _print_Function
    _print_ceiling = _print_Function


_SHORT = _Printer(full=False)
_FULL = _Printer(full=True)


def show(expr: sp.Expr, full: bool = False) -> str:
    """The expression in the proof language."""
    try:
        return str((_FULL if full else _SHORT).doprint(expr))
    except RecursionError:  # deep trees are refused by the parser; this is a last guard
        return "<expression too deep to print>"


def decimal(q: Fraction, digits: int = 12) -> str:
    """A short decimal for an exact rational: integers and short decimals exactly."""
    if q.denominator == 1:
        text = str(q.numerator)
        return text if len(text) <= 30 else f"{float(q):.{digits}g}"
    value = float(q) if abs(q) < 1e300 else None
    if value is None:
        return "huge"
    # short decimals (1/4, 0.125) print exactly
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d == 1 and max(twos, fives) <= digits:
        places = max(twos, fives)
        scaled = q.numerator * 10**places // q.denominator
        sign = "-" if scaled < 0 else ""
        text = str(abs(scaled)).rjust(places + 1, "0")
        return f"{sign}{text[:-places]}.{text[-places:]}"
    return f"{value:.{digits}g}"
