"""A step's sides as math for the reports: MathML (HTML) and LaTeX, from SymPy's printers.

The sides are read again from the text the student wrote, with SymPy's evaluation switched
off, so that ``2*H*exp(-log(2*H/delta))`` is shown as written and not as the ``delta`` SymPy
makes of it on construction. Reading goes through our own grammar (never ``sympify``); a
side that cannot be read again (too long, or a form the expression grammar does not take) is
shown from the value the checker used, or as plain text.

Student text is hostile, and SymPy's MathML printer does not escape names. So the MathML is
never taken as a string: the printer's DOM is walked and written out here, keeping only the
MathML elements and attributes in :data:`ELEMENTS` and :data:`ATTRIBUTES`, every text
escaped. :func:`clean_mathml` applies the same walk to stored MathML (the grader's records).
"""

from __future__ import annotations

import html
import re
from typing import Any
from xml.dom import minidom
from xml.etree import ElementTree

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

MAX_SIDE_CHARS = 2000  # longer sides are shown as text
MAX_MATHML_CHARS = 60_000
ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "mfrac", "msqrt", "mroot",
    "msub", "msup", "msubsup", "munder", "mover", "munderover", "mstyle", "mpadded",
    "mphantom", "mtable", "mtr", "mtd", "semantics", "annotation"})
ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "form", "lspace", "rspace",
    "linethickness", "accent", "accentunder", "movablelimits", "largeop", "symmetric",
    "displaystyle", "scriptlevel", "bevelled", "encoding"})
RELATION_SIGNS = {"=": "=", "<=": "≤", ">=": "≥", "<": "<", ">": ">", "!=": "≠", ":=": "≔"}
LATEX_RELATIONS = {"=": "=", "<=": r"\le", ">=": r"\ge", "<": "<", ">": ">", "!=": r"\ne",
                   ":=": r"\mathrel{:=}"}
_NAMES = {"Phi": "Φ", "PhiInv": "Φ⁻¹", "sigmoid": "σ"}
_LATEX_NAMES = {"Phi": r"\Phi", "PhiInv": r"\Phi^{-1}", "sigmoid": r"\sigma"}
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?")
_EVENT_SIGNS = ("=", "≠", "<", "≤", ">", "≥")
_LATEX_EVENT_SIGNS = ("=", r"\ne", "<", r"\le", ">", r"\ge")


def read_side(text: str) -> sp.Expr | None:
    """The side as written (SymPy evaluation off), or None when it cannot be read again."""
    from checker.diagnostics import CheckerError
    from checker.syntax.parse import parse_expression

    if not text or len(text) > MAX_SIDE_CHARS:
        return None
    # LaTeX written without its dollars (a row of a .tex homework) is read as LaTeX
    tries = [text] if "\\" not in text or "$" in text else [text, f"${text}$"]
    for attempt in tries:
        try:
            with sp.evaluate(False):
                value = parse_expression(attempt).value
        except (CheckerError, RecursionError, ValueError, TypeError, ArithmeticError,
                AttributeError, NotImplementedError):
            continue
        except Exception:  # a form the unevaluated reading trips on: shown another way
            continue
        if isinstance(value, sp.Basic):
            return value
    return None


def _mul_parts(expr: sp.Expr) -> tuple[bool, Any, Any, list[Any]]:
    """A product as written: (a leading minus?, numerator, denominator or None, factors).
    Only powers with a negative number exponent go under the fraction bar (``exp(-a)``
    stays where it was written); factors keep their order."""
    from sympy.simplify import fraction

    if not isinstance(expr, sp.Mul):  # SymPy's printers hand x**-1 to the product printer
        expr = sp.Mul(sp.S.One, expr, evaluate=False)
    args: list[Any] = []
    todo = list(expr.args)
    while todo:  # products of products (a*b*c is read as (a*b)*c): one product
        a = todo.pop(0)
        if isinstance(a, sp.Mul) and not any(
                f.is_Pow and f.exp.is_Number and f.exp.is_negative for f in a.args):
            todo[:0] = list(a.args)  # a quotient inside stays one factor, as written
        else:
            args.append(a)
    sign = False
    for i, a in enumerate(args):
        if a.is_Number and a.is_negative:
            sign, args[i] = not sign, -a
    args = [a for a in args if a != 1] or [sp.S.One]
    rest = sp.Mul(*args, evaluate=False) if len(args) > 1 else args[0]
    numer, denom = fraction(rest, exact=True)
    if denom != 1:
        return sign, numer, denom, []
    return sign, None, None, args


# ------------------------------------------------------------------------------ MathML


class _MathML(MathMLPresentationPrinter):  # type: ignore[misc]
    """SymPy's presentation printer, showing the course's notation: ``P[...]`` with
    brackets, events as relations, Phi as Φ; exp(-a) kept as written (not moved under a
    fraction bar and re-evaluated)."""

    def _print_Mul(self, expr: sp.Expr) -> Any:
        sign, numer, denom, factors = _mul_parts(expr)
        mrow = self.dom.createElement("mrow")
        if sign:
            mrow.appendChild(self._mo("-"))
        if denom is not None:
            frac = self.dom.createElement("mfrac")
            frac.appendChild(self._print(numer))
            frac.appendChild(self._print(denom))
            mrow.appendChild(frac)
            return mrow
        for i, f in enumerate(factors):
            if i:
                both_numbers = factors[i - 1].is_Number and f.is_Number
                mrow.appendChild(self._mo("·" if both_numbers else "\u2062"))
            mrow.appendChild(self.parenthesize(f, PRECEDENCE["Mul"], strict=True))
        return mrow

    def _print_Function(self, e: sp.Expr) -> Any:
        from checker.functions import Event, is_opaque

        name = type(e).__name__
        if isinstance(e, Event):
            mrow = self.dom.createElement("mrow")
            for i, a in enumerate(e.args):
                if i % 2:
                    mrow.appendChild(self._mo(_EVENT_SIGNS[int(a)]
                                              if a.is_Integer and 0 <= int(a) < 6 else "?"))
                else:
                    mrow.appendChild(self._print(a))
            return mrow
        if is_opaque(e):
            mrow = self.dom.createElement("mrow")
            mi = self.dom.createElement("mi")
            mi.appendChild(self.dom.createTextNode(name))
            mrow.appendChild(mi)
            mrow.appendChild(self._mo("["))
            for i, a in enumerate(e.args):
                if i:
                    mrow.appendChild(self._mo(","))
                mrow.appendChild(self._print(a))
            mrow.appendChild(self._mo("]"))
            return mrow
        if name in _NAMES:
            mrow = self.dom.createElement("mrow")
            mi = self.dom.createElement("mi")
            mi.appendChild(self.dom.createTextNode(_NAMES[name]))
            mrow.appendChild(mi)
            mrow.appendChild(self._paren_comma_separated(*e.args))
            return mrow
        return super()._print_Function(e)

    def _mo(self, text: str) -> Any:
        mo = self.dom.createElement("mo")
        mo.appendChild(self.dom.createTextNode(text))
        return mo


def _text(data: str) -> str:
    """A text node as the printer made it (entity names such as ``&InvisibleTimes;`` in
    it), escaped: whatever a name holds comes out as characters, never as markup."""
    text = html.unescape(data).replace("\u2147", "e")  # SymPy's double-struck e: plain e
    return html.escape(text, quote=False)


def _write_dom(node: Any, out: list[str]) -> None:
    if node.nodeType == minidom.Node.TEXT_NODE:
        out.append(_text(node.data))
        return
    if node.nodeType != minidom.Node.ELEMENT_NODE:
        return
    tag = node.tagName if node.tagName in ELEMENTS else "mrow"
    attrs = "".join(f' {k}="{html.escape(v, quote=True)}"'
                    for k, v in sorted(node.attributes.items()) if k in ATTRIBUTES)
    out.append(f"<{tag}{attrs}>")
    if tag == "mo" and [c.data for c in node.childNodes
                        if c.nodeType == minidom.Node.TEXT_NODE] == ["-"]:
        out.append("−</mo>")  # a minus sign, not a hyphen
        return
    for child in node.childNodes:
        _write_dom(child, out)
    out.append(f"</{tag}>")


def _write_tree(node: ElementTree.Element, out: list[str]) -> None:
    tag = node.tag.rsplit("}", 1)[-1]
    tag = tag if tag in ELEMENTS else "mrow"
    attrs = "".join(f' {k}="{html.escape(v, quote=True)}"'
                    for k, v in sorted(node.attrib.items()) if k in ATTRIBUTES)
    out.append(f"<{tag}{attrs}>")
    if node.text:
        out.append(html.escape(node.text, quote=False))
    for child in node:
        _write_tree(child, out)
        if child.tail:
            out.append(html.escape(child.tail, quote=False))
    out.append(f"</{tag}>")


def expr_mathml(expr: sp.Basic) -> str | None:
    """One expression as (safe) MathML content, or None when it cannot be printed."""
    try:
        printer = _MathML({"order": "none"})
        node = printer._print(expr)
    except Exception:  # a form the printer does not know: the caller shows text
        return None
    out: list[str] = []
    _write_dom(node, out)
    text = "".join(out)
    return text if len(text) <= MAX_MATHML_CHARS else None


def relation_mathml(parts: list[tuple[str, str]]) -> str:
    """A ``<math>`` element from pieces: ("expr", MathML content) or ("op", a relation sign
    such as "<=") or ("text", plain text)."""
    out = ['<math display="inline"><mstyle displaystyle="true"><mrow>']
    for kind, value in parts:
        if kind == "expr":
            out.append(value)
        elif kind == "op":
            out.append(f"<mo>{html.escape(RELATION_SIGNS.get(value, value), quote=False)}</mo>")
        else:
            out.append(f"<mtext>{html.escape(value, quote=False)}</mtext>")
    out.append("</mrow></mstyle></math>")
    return "".join(out)


def clean_mathml(text: str) -> str | None:
    """Stored MathML written out again through the same allow-list (None: not MathML)."""
    if not text or len(text) > MAX_MATHML_CHARS or "<!" in text or "<?" in text:
        return None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    if root.tag.rsplit("}", 1)[-1] != "math":
        return None
    out: list[str] = []
    _write_tree(root, out)
    return "".join(out)


# ------------------------------------------------------------------------------- LaTeX


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
                "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}"}
_TEX_SYMBOLS = {"≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}", "≠": r"\ensuremath{\ne}",
                "≈": r"\ensuremath{\approx}", "×": r"\ensuremath{\times}", "−": "-",
                "·": r"\ensuremath{\cdot}", "∈": r"\ensuremath{\in}", "…": r"\ldots{}",
                "–": "--", "—": "---", "√": r"\ensuremath{\surd}", "∞": r"\ensuremath{\infty}"}
_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
          "chi", "psi", "omega")


def _tex_char(ch: str) -> str:
    if ch in _TEX_SPECIAL:
        return _TEX_SPECIAL[ch]
    if ch in _TEX_SYMBOLS:
        return _TEX_SYMBOLS[ch]
    if not ch.isprintable():
        return " "
    if ord(ch) < 0x250:  # Latin letters: pdflatex's utf8 input takes them
        return ch
    code = ord(ch)
    if 0x3B1 <= code <= 0x3C9 and code != 0x3C2:  # Greek small letters (not final sigma)
        name = _GREEK[code - 0x3B1 - (code > 0x3C2)]
        return "o" if name == "omicron" else rf"\ensuremath{{\{name}}}"
    return "?"  # what pdflatex cannot typeset without more packages


def latex_text(text: str) -> str:
    """Plain text safe inside LaTeX, for text mode (every special character escaped, controls
    dropped, math signs as math, characters pdflatex has no glyph for as ``?``)."""
    return "".join(_tex_char(ch) for ch in text)


class _Latex(LatexPrinter):  # type: ignore[misc]
    """SymPy's LaTeX printer with the course's notation, and every name that is not a
    plain letter-digits name (with one ``_`` subscript) written as escaped ``\\text{...}``
    (amsmath), so that no name can ever issue a TeX command."""

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if _PLAIN_NAME.fullmatch(expr.name):
            # a name of several letters is one name (eps, MinRisk), not a product of letters
            base, _, sub = expr.name.partition("_")
            out = str(super()._print_Symbol(sp.Symbol(base), style))
            if "\\" not in out and len(base) > 1:
                out = rf"\mathit{{{base}}}"
            return f"{out}_{{{sub}}}" if sub else out
        return r"\text{" + latex_text(expr.name) + "}"

    def _print_Function(self, e: sp.Expr, exp: str | None = None) -> str:
        from checker.functions import Event, is_opaque

        name = type(e).__name__
        if isinstance(e, Event):
            parts = [(_LATEX_EVENT_SIGNS[int(a)] if a.is_Integer and 0 <= int(a) < 6 else "?")
                     if i % 2 else self._print(a) for i, a in enumerate(e.args)]
            return " ".join(parts)
        if is_opaque(e):
            if not _PLAIN_NAME.fullmatch(name):
                head = r"\operatorname{\text{" + latex_text(name) + "}}"
            elif "_" in name or len(name) == 1:
                head = self._print_Symbol(sp.Symbol(name))  # L_D: L_{D}
            else:
                head = rf"\operatorname{{{name}}}"  # MinRisk: one name
            args = ", ".join(self._print(a) for a in e.args)
            out = f"{head}\\left[{args}\\right]"
        elif name in _LATEX_NAMES:
            args = ", ".join(self._print(a) for a in e.args)
            out = f"{_LATEX_NAMES[name]}\\left({args}\\right)"
        else:
            return str(super()._print_Function(e, exp))
        return f"{out}^{{{exp}}}" if exp else out

    def _print_Mul(self, expr: sp.Expr) -> str:
        sign, numer, denom, factors = _mul_parts(expr)
        head = "- " if sign else ""
        if denom is not None:
            return rf"{head}\frac{{{self._print(numer)}}}{{{self._print(denom)}}}"
        out = []
        for i, f in enumerate(factors):
            if i:
                out.append(r" \cdot " if factors[i - 1].is_Number and f.is_Number else " ")
            out.append(self.parenthesize(f, PRECEDENCE["Mul"], strict=True))
        return head + "".join(out)


def expr_latex(expr: sp.Basic) -> str | None:
    try:
        return str(_Latex({"order": "none"}).doprint(expr))
    except Exception:  # a form the printer does not know: the caller shows text
        return None


__all__ = ["LATEX_RELATIONS", "clean_mathml", "expr_latex", "expr_mathml",
           "latex_text", "read_side", "relation_mathml"]
