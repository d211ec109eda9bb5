"""LaTeX input: $...$ in proofs and .tex homework files (docs/latex.md).

* the parser corpus tests/data/latex/expressions.test (input -> SymPy value and reading, or
  the code of the diagnostic) and tests/data/latex/errors.test (proof files -> diagnostics);
* the shipped solutions written in LaTeX (exercises/*/*/solution.tex) give the verdicts and
  the score of their solution.proof;
* a homework with a wrong step: refuted at its .tex line, with a counterexample, exit 1;
* hostile LaTeX: a coded error in under a second, nothing read or run; a Hypothesis fuzz test.

Run one part with ``pytest tests/test_latex.py -k corpus`` (or equivalence, hostile, fuzz).
"""

from __future__ import annotations

import builtins
import functools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.check import check_file, check_text
from checker.cli import run
from checker.diagnostics import CODES, ParseError
from checker.obligations import Status
from checker.syntax.build import BuildError
from checker.syntax.latex import parse_latex_expression
from checker.syntax.texfile import parse_tex

from .conftest import ROOT, error_cases

DATA = ROOT / "tests" / "data" / "latex"
DECLARED = frozenset({"x", "y", "m", "sigma"})
EQUIVALENCE_BUDGET_S = 10.0  # generous: the verdicts must not depend on the machine's load


# ------------------------------------------------------------------------------ corpus


def _expression_cases() -> list[Any]:
    cases = []
    for line in (DATA / "expressions.test").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, expect = line.partition(" ==> ")
        value, _, reading = expect.partition(" || ")
        cases.append(pytest.param(text.strip(), value.strip(), reading.strip() or None,
                                  id=text.strip()))
    return cases


@pytest.mark.parametrize(("text", "value", "reading"), _expression_cases())
def test_corpus_expression(text: str, value: str, reading: str | None) -> None:
    """Each LaTeX expression becomes the expected SymPy value and reading, or is refused
    with the expected code."""
    if value.startswith("!"):
        with pytest.raises(BuildError) as info:
            parse_latex_expression(text, DECLARED)
        assert info.value.code == value[1:]
        assert info.value.code in CODES
        return
    built = parse_latex_expression(text, DECLARED)
    assert str(built.value) == value
    if reading is not None:
        assert built.shown == reading


def _error_cases() -> list[Any]:
    return [pytest.param(text, expected, id=name)
            for name, text, expected in error_cases(DATA / "errors.test")]


@pytest.mark.parametrize(("text", "expected"), _error_cases())
def test_corpus_proof_lines(text: str, expected: list[tuple[int, int, str]]) -> None:
    """A proof with $...$ math gives exactly the expected errors, at the expected places."""
    result = check_text(text, "case.proof", budget_s=0.5)
    got = [(d.line, d.col, d.code) for d in result.diagnostics if d.severity == "error"]
    assert got == expected, "\n".join(d.format() for d in result.diagnostics)


def test_latex_and_ascii_build_the_same_objects() -> None:
    """A line in LaTeX and the same line in ASCII give the same SymPy values and conditions."""
    ascii_text = ("exercise t\ngiven x real, y > 0\n"
                  "show sqrt(y)*log(y)/2 + max(x, 1) = exp(log(sqrt(y)))*log(y)/2 + max(x, 1) "
                  "by algebra\n")
    latex_text = ("exercise t\ngiven $x \\in \\mathbb{R}, y > 0$\n"
                  "show $\\frac{\\sqrt{y}\\log y}{2} + \\max(x, 1) = "
                  "\\frac{e^{\\log\\sqrt{y}} \\log(y)}{2} + \\max\\{x, 1\\}$ by algebra\n")
    a = check_text(ascii_text, "a.proof", budget_s=2)
    b = check_text(latex_text, "b.proof", budget_s=2)
    assert not a.diagnostics and not b.diagnostics
    assert [s.claim for s in a.steps] == [s.claim for s in b.steps]
    assert [[d for d, _ in s.definedness] for s in a.steps] == \
        [[d for d, _ in s.definedness] for s in b.steps]
    assert [s.verdict.status for s in a.steps] == [s.verdict.status for s in b.steps]


def test_show_parsed_shows_the_reading(tmp_path: Path) -> None:
    """--show-parsed prints how the LaTeX was read, before the verdict."""
    f = tmp_path / "read.proof"
    f.write_text("exercise t\ngiven m >= 1\nshow $\\frac12 2m = m$ by algebra\n")
    out, code = run(["check", str(f), "--show-parsed", "--standalone"])
    assert code == 0, out
    assert "read.proof:3: read as: ((1 / 2) * 2) * m = m" in out


def test_claim_in_latex() -> None:
    """`proofcheck claim` reads LaTeX too."""
    out, code = run(["claim", "$e^{x} \\ge 1 + x$", "--assume", "$x \\in [-2, 2]$"])
    assert code == 0, out
    assert out.startswith("proved")
    out, code = run(["claim", "$\\frac{1}{x} \\le x$", "--assume", "$x \\in [1/4, 2]$"])
    assert code == 1
    assert out.startswith("refuted")


# ------------------------------------------------------------------------------ .tex files


HOMEWORK = r"""\documentclass{article}
\usepackage{amsmath,amsthm}
\begin{document}
% proofcheck: exercise finite_class_agnostic
% proofcheck: given $m \ge 1$ integer, $H \ge 1$ integer, $\delta \in (0, 1)$
% proofcheck: let $\varepsilon$ = $\sqrt{\frac{\log(2H/\delta)}{2m}}$
% proofcheck: have exponent: $2m\varepsilon^2 = \log\frac{2H}{\delta}$ by algebra
We show $2H e^{-2m\varepsilon^2} = \delta$; text outside math, even $\oops{x}$, is ignored.
% proofcheck: show $2 H e^{-2 m \varepsilon^2} = \delta$
\begin{proof}
\begin{align*}
  2 H e^{-2 m \varepsilon^2}
    &= 2H \exp\left(-\log\frac{2H}{\delta}\right) \tag{by exponent} \\
    &= 2H \cdot \frac{\delta}{H} % by algebra
    \\
    &= \delta. && \text{by algebra}
\end{align*}
\end{proof}
\end{document}
"""


def test_wrong_step_refuted_at_its_tex_line(tmp_path: Path) -> None:
    """A homework with a wrong step: refuted at that step's .tex line, with a
    counterexample, exit 1 (and comment directives need no package)."""
    f = tmp_path / "homework.tex"
    f.write_text(HOMEWORK)
    out, code = run(["check", str(f)])
    assert code == 1, out
    wrong = [line for line in out.splitlines() if ":14: refuted" in line]
    assert wrong, out
    assert "= 2H \\cdot \\frac{\\delta}{H}" in wrong[0]
    assert "counterexample: " in out.split(":14: refuted", 1)[1].split("\n")[1]
    result = check_file(f)
    step = next(s for s in result.steps if s.line == 14)
    assert step.verdict.status is Status.REFUTED
    assert step.verdict.counterexample is not None
    assert {s.line for s in result.steps if s.kind == "step"} == {13, 14, 16}


def test_tex_diagnostic_points_at_tex_line_and_column(tmp_path: Path) -> None:
    """An error inside a row spread over two lines is reported at its own line and column."""
    f = tmp_path / "hw.tex"
    f.write_text("% proofcheck: exercise t\n% proofcheck: given $x \\in \\mathbb{R}$\n"
                 "\\begin{align}\n  x + 1 &= 1 +\n     \\fracc{x}{1} \\\\\n\\end{align}\n")
    result = check_file(f, standalone=True)
    assert [(d.line, d.col, d.code) for d in result.diagnostics] == \
        [(5, 6, "latex-unknown-command")]
    assert result.exit_code == 2


def test_tex_structure_and_ignored_macros(tmp_path: Path) -> None:
    """latex-structure for an environment never closed; latex-macro-ignored for a
    preamble macro (a warning: the rest is still read)."""
    f = tmp_path / "hw.tex"
    f.write_text("\\newcommand{\\R}{\\mathbb{R}}\n\\begin{document}\n"
                 "% proofcheck: exercise t\n\\begin{align*}\n  1 + 1 &= 2 \\\\\n"
                 "\\end{document}\n")
    result = check_file(f, standalone=True)
    codes = [(d.line, d.code) for d in result.diagnostics]
    assert (1, "latex-macro-ignored") in codes
    assert (4, "latex-structure") in codes
    g = tmp_path / "ok.tex"
    g.write_text("\\newcommand{\\half}{\\frac12}\n\\begin{document}\n"
                 "% proofcheck: exercise t\n\\begin{equation}\n  1 + 1 = 2\n\\end{equation}\n"
                 "% proofcheck: skip\n\\begin{equation}\n  1 + 1 = 3\n\\end{equation}\n")
    result = check_file(g, standalone=True)
    assert [d.code for d in result.diagnostics] == ["latex-macro-ignored"]
    assert [s.verdict.status for s in result.steps] == [Status.PROVED]


SOLUTIONS = sorted(ROOT.glob("exercises/*/*/solution.tex"))


def test_at_least_eight_solutions_in_latex() -> None:
    assert len(SOLUTIONS) >= 8
    for tex in SOLUTIONS:
        assert tex.with_suffix(".proof").exists(), tex


@pytest.mark.parametrize("tex", SOLUTIONS, ids=[p.parent.name for p in SOLUTIONS])
def test_equivalence_with_the_ascii_solution(tex: Path) -> None:
    """The LaTeX form of a shipped solution gets the verdicts and score of its .proof form."""
    ascii_result = check_file(tex.with_suffix(".proof"), budget_s=EQUIVALENCE_BUDGET_S)
    latex_result = check_file(tex, budget_s=EQUIVALENCE_BUDGET_S)
    assert not latex_result.diagnostics, "\n".join(d.format() for d in latex_result.diagnostics)
    # the same tasks (givens may come in another order) with the same verdicts
    a = sorted((s.kind, s.verdict.status.value, str(s.claim)) for s in ascii_result.steps)
    b = sorted((s.kind, s.verdict.status.value, str(s.claim)) for s in latex_result.steps)
    assert a == b
    assert ascii_result.assessment is not None and latex_result.assessment is not None
    assert latex_result.assessment.score == ascii_result.assessment.score
    assert latex_result.assessment.max_score == ascii_result.assessment.max_score
    assert latex_result.exit_code == ascii_result.exit_code == 0


# ------------------------------------------------------------------------------ hostile


HOSTILE_MATH = [
    ("\\def\\x{1} \\x = 1", "latex-macro"),
    ("\\input{/etc/passwd} = 1", "latex-macro"),
    ("\\csname x\\endcsname = 1", "latex-macro"),
    ("10^{10^{10}} = 1", "exponent-too-large"),
    ("x = " + "{" * 5000 + "x" + "}" * 5000, "line-too-long"),
    ("x = " + "{" * 300 + "x" + "}" * 300, "nesting-too-deep"),
]


@functools.cache
def _warm() -> None:
    """Build the parsers and run one check first (once per process)."""
    parse_latex_expression("x")
    check_text("exercise t\nshow $1 = 1$ by algebra\n", "w.proof", budget_s=0.5)


@pytest.fixture
def no_file_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file opened by name while the test runs."""
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    return opened


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile input is refused before any engine runs (fast, whatever the machine's load:
    speed itself is measured by benchmarks, not asserted here)."""
    from checker.engines import portfolio

    _warm()  # (cached) before the engines are switched off

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine ran on input that should have been refused")

    monkeypatch.setattr(portfolio, "check", refuse)


@pytest.mark.parametrize(("math", "code"), HOSTILE_MATH, ids=[c for _, c in HOSTILE_MATH])
def test_hostile_math_in_a_proof(math: str, code: str, no_file_opened: list[str],
                                 no_engine: None) -> None:
    """Hostile $...$ math: its coded error before any engine runs, nothing read."""
    _warm()
    result = check_text(f"exercise t\ngiven x real\nshow ${math}$ by algebra\n", "h.proof",
                        budget_s=0.5)
    assert code in [d.code for d in result.diagnostics], [d.format() for d in result.diagnostics]
    assert result.exit_code == 2
    assert not any("passwd" in f for f in no_file_opened)


@pytest.mark.parametrize(("math", "code"), [
    *HOSTILE_MATH[:4], ("x = " + "{" * 5000 + "x" + "}" * 5000, "nesting-too-deep")],
    ids=[*(c for _, c in HOSTILE_MATH[:4]), "5000-braces"])
def test_hostile_math_in_a_tex_file(tmp_path: Path, math: str, code: str,
                                    no_file_opened: list[str], no_engine: None) -> None:
    """The same in a .tex homework's derivation: a coded error before any engine runs."""
    f = tmp_path / "h.tex"
    f.write_text("\\begin{document}\n% proofcheck: exercise t\n\\begin{align*}\n"
                 f"  {math} \\\\\n\\end{{align*}}\n\\end{{document}}\n")
    _warm()
    result = check_file(f, standalone=True, budget_s=0.5)
    assert code in [d.code for d in result.diagnostics], [d.format() for d in result.diagnostics]
    assert result.exit_code == 2
    assert not any("passwd" in p for p in no_file_opened)


def test_huge_expression_in_a_tex_row(tmp_path: Path, no_engine: None) -> None:
    """A row of thousands of factors over a few lines: expression-too-large, no engine run."""
    f = tmp_path / "h.tex"
    f.write_text("% proofcheck: exercise t\n\\begin{align*}\n" + ("x" * 800 + "\n") * 5
                 + "&= 1\n\\end{align*}\n")
    _warm()
    result = check_file(f, standalone=True, budget_s=0.5)
    assert [d.code for d in result.diagnostics] == ["expression-too-large"]


@pytest.mark.parametrize("command", ["\\input{/etc/passwd}", "\\include{/etc/passwd}",
                                     "\\def\\x{y}", "\\csname input\\endcsname{/etc/passwd}",
                                     "\\immediate\\write18{touch pwned}"])
def test_hostile_commands_in_tex_prose(tmp_path: Path, command: str,
                                       no_file_opened: list[str], no_engine: None) -> None:
    """Macro and file commands anywhere in a .tex file (prose included) stop it being read."""
    f = tmp_path / "h.tex"
    f.write_text("\\begin{document}\n% proofcheck: exercise t\nSome text " + command
                 + " more.\n\\begin{align*}\n  1 + 1 &= 2\n\\end{align*}\n\\end{document}\n")
    _warm()
    out, code = run(["check", str(f), "--standalone"])
    assert code == 2, out
    assert "[latex-macro]" in out
    assert not (tmp_path / "pwned").exists()
    assert not any("passwd" in p for p in no_file_opened)


def test_five_megabyte_tex_file(tmp_path: Path, no_engine: None) -> None:
    """A 5 MB .tex file is refused by its size, before anything is checked."""
    f = tmp_path / "big.tex"
    f.write_text("% padding padding padding\n" * 200_000)
    assert f.stat().st_size > 5_000_000
    _warm()
    out, code = run(["check", str(f)])
    assert code == 2
    assert "[file-too-large]" in out


# ------------------------------------------------------------------------------ fuzz


FRAGMENTS = [
    "x", "y", "2", "10", "0.5", "+", "-", "*", "/", "^", "_", "!", "(", ")", "[", "]", "{", "}",
    "|", ",", "=", "<", "\\le ", "\\ge ", "\\ne ", "\\frac", "\\sqrt", "\\sqrt[3]", "\\binom",
    "\\sum_{k=1}^{n}", "\\log", "\\exp", "\\max", "\\Phi^{-1}", "\\Pr", "\\mathbb{E}",
    "\\mathrm{pA}", "\\operatorname{foo}", "\\left(", "\\right)", "\\lvert", "\\rvert",
    "\\lfloor", "\\rfloor", "\\cdot", "\\alpha", "\\varepsilon", "\\bar", "\\in", "\\mathbb{N}",
    "\\def", "\\input{/etc/passwd}", "\\csname", "\\endcsname", "\\x", "\\", "$", "&", "%",
    "\\\\", "\\text{by algebra}", " ", "\n", "\ue000", "é", "{{{{", "}}}}", "10^{10^{10}}",
]
fuzz_math = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(fuzz_math)
def test_fuzz_latex_expression(text: str) -> None:
    """Any LaTeX text is read or refused with one of our coded errors, quickly."""
    _warm()
    try:
        parse_latex_expression(text, DECLARED)
    except BuildError as exc:
        assert exc.code in CODES


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(fuzz_math, fuzz_math)
def test_fuzz_proof_and_tex(left: str, right: str) -> None:
    """LaTeX in a proof line or in a .tex derivation never raises and never crashes: only
    coded diagnostics (no internal errors)."""
    text = f"exercise t\ngiven x real\nhave h: ${left}$ = ${right}$ by algebra\n"
    _warm()
    from checker.syntax.parse import parse_text

    try:
        _, diags = parse_text(text, "f.proof")
    except ParseError as exc:
        diags = exc.diagnostics
    assert all(d.code in CODES and d.code != "internal-error" for d in diags)
    tex = (f"% proofcheck: exercise t\n\\given{{{left}}}\n\\begin{{align}}\n{left} &= {right}"
           f" \\\\\n&\\le {right}\n\\end{{align}}\n")
    try:
        _, diags = parse_tex(tex, "f.tex")
    except ParseError as exc:
        diags = exc.diagnostics
    assert all(d.code in CODES and d.code != "internal-error" for d in diags)


# ------------------------------------------------------------------------------ docs


LATEX_MD = ROOT / "docs" / "latex.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def _doc_blocks(kind: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(LATEX_MD.read_text(encoding="utf-8"))
            if m.group(1) == kind]


def _shown(line: str) -> str:
    """A line of output up to the engine's reason (which may vary with the load)."""
    return line.split("  [", 1)[0]


def test_docs_example_homework_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/latex.md's complete example prints what the page shows (up to the engines'
    reasons), with the exit code shown."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "homework.tex").write_text(_doc_blocks("latex")[0])
    console = _doc_blocks("console")[0].splitlines()
    assert console[0] == "$ proofcheck check homework.tex"
    expected_exit = int(console[-1].strip("[]").split()[1])
    out, code = run(["check", "homework.tex", "--budget", "5"])
    assert code == expected_exit
    assert [_shown(x) for x in out.splitlines()] == [_shown(x) for x in console[1:-1]]


def test_docs_proof_example_is_proved() -> None:
    """docs/latex.md's .proof example with $...$ reads cleanly and is proved."""
    (text,) = _doc_blocks("proof")
    result = check_text(text, "example.proof", budget_s=5)
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    assert result.steps and all(s.verdict.status is Status.PROVED for s in result.steps)
