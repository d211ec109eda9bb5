"""LaTeX forms of the vector language (docs/latex.md, docs/vectors.md).

* tests/data/latex/vectors.test: pairs (LaTeX, ASCII) that must build the same SymPy object
  under the same declarations, and LaTeX that must be refused with its code;
* a property test: random vector expressions written both ways build the same object;
* declarations in LaTeX (``w, x \\in \\mathbb{R}^d``, ``W \\in \\mathbb{R}^{m \\times d}``) in a
  .proof line, a .tex homework and ``proofcheck claim``, checked as the ASCII ones are.
(The LaTeX twin of a d-dimensional solution is checked by tests/test_latex.py's equivalence
test, with every shipped solution.tex.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.check import check_file, check_text
from checker.cli import run
from checker.diagnostics import CODES, ParseError
from checker.obligations import Status
from checker.syntax.build import BuildError
from checker.syntax.latex import parse_latex_expression
from checker.syntax.parse import parse_expression
from checker.vectors import build as vec

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "latex" / "vectors.test"

D, M, K, T = sp.symbols("d m K T", integer=True, positive=True)
ONE = sp.Integer(1)
SHAPES = {"w": (D, ONE), "x": (D, ONE), "u": (D, ONE), "v": (D, ONE), "delta": (D, ONE),
          "y": (sp.Integer(3), ONE), "A": (D, D), "B": (D, D), "W": (M, D),
          "z": (K, ONE), "p": (K, ONE), "a": (T, ONE)}


def _shapes() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    # the same Symbol objects the parser makes for d, m, K, T (real, as every name)
    out = {}
    for name, (r, c) in SHAPES.items():
        out[name] = (parse_expression(str(r)).value if not r.is_Integer else r,
                     parse_expression(str(c)).value if not c.is_Integer else c)
    return out


def _cases() -> list[Any]:
    cases = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if " ==> " in line:
            text, _, code = line.partition(" ==> ")
            cases.append(pytest.param(text.strip(), None, code.strip()[1:], id=text.strip()))
        else:
            text, _, ascii_text = line.partition(" <=> ")
            cases.append(pytest.param(text.strip(), ascii_text.strip(), None, id=text.strip()))
    return cases


@pytest.mark.parametrize(("latex", "ascii_text", "code"), _cases())
def test_latex_vector_form(latex: str, ascii_text: str | None, code: str | None) -> None:
    """Each LaTeX form builds what its ASCII form builds (or is refused with its code)."""
    with vec.declared(_shapes()):
        if code is not None:
            with pytest.raises(BuildError) as info:
                parse_latex_expression(latex)
            assert info.value.code == code, info.value.fields
            assert code in CODES
            return
        assert ascii_text is not None
        built = parse_latex_expression(latex)
        expected = parse_expression(ascii_text)
    assert built.value == expected.value, (built.shown, expected.shown)
    assert [c.relation for c in built.conditions] == [c.relation for c in expected.conditions]


# ------------------------------------------------------------------------------ property

VECTORS = ["w", "x", "u", "delta"]
LATEX_NAMES = {"w": "w", "x": "x", "u": "u", "delta": "\\delta"}


@st.composite
def vector_exprs(draw: st.DrawFn, depth: int = 2) -> tuple[str, str]:
    """A vector of R^d written (LaTeX, ASCII)."""
    if depth == 0 or draw(st.booleans()):
        name = draw(st.sampled_from(VECTORS))
        return LATEX_NAMES[name], name
    kind = draw(st.sampled_from(["add", "sub", "scale", "matvec"]))
    a_l, a_a = draw(vector_exprs(depth - 1))
    if kind == "matvec":
        return f"A ({a_l})", f"A*({a_a})"
    if kind == "scale":
        c = draw(st.integers(2, 5))
        return f"{c} ({a_l})", f"{c}*({a_a})"
    b_l, b_a = draw(vector_exprs(depth - 1))
    op = "+" if kind == "add" else "-"
    return f"{a_l} {op} {b_l}", f"{a_a} {op} {b_a}"


@st.composite
def scalar_exprs(draw: st.DrawFn) -> tuple[str, str]:
    """A number made of vectors of R^d, written (LaTeX, ASCII)."""
    a_l, a_a = draw(vector_exprs())
    b_l, b_a = draw(vector_exprs())
    kind = draw(st.sampled_from(["inner", "top", "norm1", "norm2", "norminf", "sq"]))
    if kind == "inner":
        return f"\\langle {a_l}, {b_l} \\rangle", f"<{a_a}, {b_a}>"
    if kind == "top":
        return f"({a_l})^\\top ({b_l})", f"<{a_a}, {b_a}>"
    sub = {"norm1": ("1", "1"), "norm2": ("2", "2"), "norminf": ("\\infty", "inf"),
           "sq": ("2", "2")}[kind]
    power = "^2" if kind == "sq" else ""
    return f"\\|{a_l}\\|_{{{sub[0]}}}{power}", f"||{a_a}||_{sub[1]}{power}"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(scalar_exprs(), scalar_exprs(), st.sampled_from(["+", "-", "\\cdot"]))
def test_random_vector_expressions_read_alike(left: tuple[str, str], right: tuple[str, str],
                                              op: str) -> None:
    """Random vector expressions written in LaTeX and in ASCII build the same object."""
    ascii_op = "*" if op == "\\cdot" else op
    with vec.declared(_shapes()):
        try:
            built: object = parse_latex_expression(f"{left[0]} {op} {right[0]}").value
        except BuildError as exc:  # w - w is the number 0: <w - w, x> is refused alike
            built = exc.code
        try:
            expected: object = parse_expression(f"({left[1]}) {ascii_op} ({right[1]})").value
        except ParseError as exc:
            expected = exc.diagnostics[0].code
    assert built == expected


# ------------------------------------------------------------------------------ declarations

ASCII_PROOF = """exercise t
given w, x, delta in R^d, W in R^(m x d), b real
given eps > 0
assume ||delta||_inf <= eps
have h: <w, delta> <= eps*||w||_1   by holder_one_inf(u = w, v = delta)
show <w, x + delta> + b <= <w, x> + b + eps*||w||_1   by h
show ||W*(x - delta)||_2 <= ||W||_op*||x - delta||_2
qed
"""

LATEX_PROOF = r"""exercise t
given $w, x, \delta \in \mathbb{R}^d$, $W \in \mathbb{R}^{m \times d}$, $b \in \mathbb{R}$
given $\varepsilon > 0$
assume $\|\delta\|_\infty \le \varepsilon$
have h: $w^\top \delta \le \varepsilon \lVert w \rVert_1$   by holder_one_inf(u = w, v = delta)
show $\langle w, x + \delta \rangle + b \le \langle w, x \rangle + b + \varepsilon \|w\|_1$   by h
show $\|W (x - \delta)\|_2 \le \|W\|_{op} \|x - \delta\|_2$
qed
"""


def _summary(result: Any) -> list[tuple[str, str, str]]:
    return sorted((s.kind, s.verdict.status.value, str(s.claim)) for s in result.steps)


def test_latex_declarations_in_a_proof_file() -> None:
    """Vectors and matrices declared in LaTeX in a .proof file: the same tasks and verdicts
    as the ASCII file (Hölder proves the step; the matrix step is left unproved alike)."""
    a = check_text(ASCII_PROOF, "a.proof", budget_s=2)
    b = check_text(LATEX_PROOF, "b.proof", budget_s=2)
    assert not a.diagnostics and not b.diagnostics, [d.format() for d in b.diagnostics]
    assert _summary(a) == _summary(b)
    assert Status.PROVED.value in [s for _, s, _ in _summary(b)]


def test_latex_declarations_in_a_tex_file(tmp_path: Path) -> None:
    """\\given{w, x \\in \\mathbb{R}^d} in a .tex homework declares vectors for every row;
    a false row (the l2 norm for the l1 norm) is refuted with a counterexample as vectors."""
    f = tmp_path / "hw.tex"
    f.write_text("\\begin{document}\n% proofcheck: exercise t\n"
                 "\\given{w, \\delta \\in \\mathbb{R}^d, \\varepsilon > 0}\n"
                 "\\assume{\\|\\delta\\|_\\infty \\le \\varepsilon}\n"
                 "\\begin{align*}\n"
                 "  \\langle w, \\delta \\rangle &\\le \\varepsilon \\|w\\|_2 \\\\\n"
                 "\\end{align*}\n\\end{document}\n")
    result = check_file(f, standalone=True, budget_s=3)
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    (step,) = [s for s in result.steps if s.kind == "step"]
    assert step.verdict.status is Status.REFUTED
    assert step.line == 6
    assert step.verdict.counterexample is not None
    shown = str(step.verdict.reason) + str(step.verdict.counterexample)
    assert "(" in shown and "," in shown  # the vectors shown as tuples


def test_claim_with_latex_vectors() -> None:
    """`proofcheck claim` with LaTeX vectors (one CLI test): Hölder proves the l1 bound."""
    out, code = run(["claim", "$\\langle w, \\delta \\rangle \\le \\varepsilon \\|w\\|_1$",
                     "--assume", "$w, \\delta \\in \\mathbb{R}^d$",
                     "--assume", "$\\|\\delta\\|_\\infty \\le \\varepsilon$"])
    assert code == 0, out
    assert out.startswith("proved")


@pytest.mark.parametrize(("given", "code"), [
    ("$w \\in \\mathbb{Z}^d$", "bad-declaration"),
    ("$w \\in \\mathbb{R}^{0}$", "bad-dimension"),
    ("$W \\in \\mathbb{R}^{(m+1) \\times d}$", "bad-declaration"),
    ("$w \\in \\mathbb{R}^{100}$", "dimension-too-large"),
])
def test_bad_latex_declarations(given: str, code: str) -> None:
    """A wrong space or dimension written in LaTeX gets the ASCII declaration's code."""
    result = check_text(f"exercise t\ngiven {given}\nshow 1 = 1 by algebra\n", "d.proof",
                        budget_s=0.5)
    assert code in [d.code for d in result.diagnostics], [d.format() for d in result.diagnostics]


# ------------------------------------------------------------------------------ fuzz

VECTOR_FRAGMENTS = [
    "w", "x", "A", "W", "z_k", "y_2", "b", "2", "+", "-", "^", "_", "(", ")", "{", "}", ",",
    "\\langle ", "\\rangle", "\\left\\langle", "\\right\\rangle", "\\|", "\\lVert", "\\rVert",
    "\\Vert", "\\left\\|", "\\right\\|", "_2", "_1", "_\\infty", "_{op}", "_F", "^\\top",
    "^T", "^{-1}", "\\top", "\\infty", "\\det", "\\operatorname{tr}", "\\sum_k", "\\prod_{t=1}^{T}",
    "\\sum_{k=1}^{K}", "\\max_k", "\\max_{1 \\le k \\le K}", "\\cdot", " ", "|", "\\le ",
    "\\in", "\\mathbb{R}^d", "\\mathbb{R}^{m \\times d}", "\\operatorname{grad}",
]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(VECTOR_FRAGMENTS), max_size=30).map("".join))
def test_fuzz_vector_latex(text: str) -> None:
    """Any LaTeX made of vector pieces is read, or refused with one of our codes: never a
    traceback."""
    with vec.declared(_shapes()):
        try:
            parse_latex_expression(text)
        except BuildError as exc:
            assert exc.code in CODES
