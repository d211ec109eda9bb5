"""An exercise's statement, givens and goal as HTML with MathML, made on the server.

Formulas are read with the proof language's own parser (never ``sympify``), as written
(SymPy's evaluation off), and printed by SymPy's presentation MathML printer through
``checker.mathrender`` (the course's notation, every text escaped). The browser renders
MathML natively: no script, no network. A formula that cannot be read stays as code.
"""

from __future__ import annotations

import html

from checker.diagnostics import CheckerError
from checker.mathrender import expr_mathml, read_side, relation_mathml
from checker.syntax.ast import Declaration, Expr, RelChain


def _expr(e: Expr) -> tuple[str, str]:
    value = read_side(e.text)
    out = expr_mathml(value if value is not None else e.value)
    return ("expr", out) if out is not None else ("text", e.text)


def _name(name: str) -> tuple[str, str]:
    """A declared variable's name as MathML (``delta`` as δ, as in the formulas)."""
    from checker.obligations import sym

    out = expr_mathml(sym(name))
    return ("expr", out) if out is not None else ("text", name)


def chain_mathml(chain: RelChain) -> str:
    parts = [_expr(chain.exprs[0])]
    for op, e in zip(chain.ops, chain.exprs[1:], strict=True):
        parts += [("op", op), _expr(e)]
    return relation_mathml(parts)


def declaration_mathml(d: Declaration) -> str:
    names = [_name(n) for n in d.names]
    if d.relation is not None:
        parts = [_expr(d.relation.exprs[0])]
        for op, e in zip(d.relation.ops, d.relation.exprs[1:], strict=True):
            parts += [("op", op), _expr(e)]
    elif d.interval is not None:
        left, lo, hi, right = d.interval
        parts = [*names, ("op", "∈"), ("op", left), _expr(lo), ("op", ","), _expr(hi),
                 ("op", right)]
    else:
        parts = names
    if d.kind:
        parts.append(("text", f"\u2003{d.kind}"))
    return relation_mathml(parts)


def formula_html(text: str) -> str:
    """A formula (a relation, an expression or a `given` item) as MathML, or as code."""
    from checker.syntax.parse import parse_assumptions, parse_claim, parse_expression

    def claim() -> str:
        return chain_mathml(parse_claim(text))

    def expression() -> str:
        return relation_mathml([_expr(parse_expression(text))])

    def given() -> str:
        return " ".join(declaration_mathml(d) for d in parse_assumptions(text))

    for attempt in (claim, expression, given):
        try:
            return attempt()
        except (CheckerError, ValueError, TypeError, AttributeError, RecursionError):
            continue
        except Exception:  # a printer failure on an odd term: show the text instead
            break
    return f"<code>{html.escape(text)}</code>"


def statement_html(text: str) -> str:
    """Prose with `formulas` in backquotes -> paragraphs of HTML with MathML."""
    out = []
    for para in text.strip().split("\n\n"):
        pieces = para.replace("\n", " ").split("`")
        parts = []
        for i, piece in enumerate(pieces):
            if i % 2 == 1 and i < len(pieces) - 1:
                parts.append(formula_html(piece))
            else:
                parts.append(html.escape(piece if i % 2 == 0 else "`" + piece))
        out.append("<p>" + "".join(parts) + "</p>")
    return "\n".join(out)
