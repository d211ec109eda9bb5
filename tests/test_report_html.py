"""The reports: ``proofcheck check --format html`` (one self-contained page, math as MathML),
``--format latex`` (a fragment with a mark per step), and the page in a real headless
Chromium with no network (tests/browser.py; skipped with the reason when no browser)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy.printing.mathml import mathml

from checker.check import check_file
from checker.cli import run
from checker.diagnostics import CheckerError
from checker.mathrender import (
    ATTRIBUTES,
    ELEMENTS,
    clean_mathml,
    expr_latex,
    expr_mathml,
    read_side,
)
from checker.report_latex import files_latex
from checker.syntax.ast import Expr
from checker.syntax.parse import parse_expression, parse_file

from .browser import chromium, offline, requests_made
from .conftest import EXERCISES

AGNOSTIC = EXERCISES / "generalization" / "finite_class_agnostic" / "solution.proof"
WRONG_FROM = "= 2*H*exp(-log(2*H/delta))"
WRONG_TO = "= 2*H*exp(-2*log(2*H/delta))"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def wrong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agnostic solution with its line 8 wrong (refuted, with a counterexample)."""
    folder = tmp_path_factory.mktemp("wrong")
    f = folder / "wrong.proof"
    text = AGNOSTIC.read_text()
    assert WRONG_FROM in text
    f.write_text(text.replace(WRONG_FROM, WRONG_TO))
    return f


@pytest.fixture(scope="module")
def wrong_html(wrong: Path) -> str:
    out, code = run(["check", str(wrong), "--format", "html", "--budget", "5"])
    assert code == 1
    return out


def _rows(page: str) -> dict[int, list[str]]:
    """The steps table's rows by line: each row's HTML."""
    rows: dict[int, list[str]] = {}
    starts = list(re.finditer(r'<tr class="step [a-z]+" id="line-(\d+)-\d+">', page))
    for m, after in zip(starts, [*starts[1:], None], strict=True):
        end = page.index("</tbody>", m.end()) if after is None else after.start()
        rows.setdefault(int(m.group(1)), []).append(page[m.end():end])
    return rows


# ------------------------------------------------------------------------------- HTML


def test_html_page_is_self_contained(wrong_html: str) -> None:
    """One page, nothing from outside: inline style, no script (a CSP forbids any), no link,
    no image or font URL."""
    page = wrong_html
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in page
    assert "<style>" in page
    for needle in ("<script", "<link", " src=", "@import", "url(", "http://", "https://"):
        assert needle not in page, needle


def test_html_page_shows_every_step_with_verdict_engine_and_reason(wrong_html: str) -> None:
    """Each step is a row with its math, a coloured verdict badge with the word, engine and
    reason; the refuted step has its counterexample as a table; score and hints are shown."""
    rows = _rows(wrong_html)
    assert {4, 5, 6, 8, 9, 10} <= set(rows)
    refuted = rows[8][0]
    assert 'class="verdict refuted"' in refuted and "refuted</span>" in refuted
    assert '<table class="cx">' in refuted and "<code>delta</code>" in refuted
    assert "left side" in refuted and "right side" in refuted
    assert "sympy" in refuted or "z3" in refuted or "intervals" in refuted
    assert 'class="verdict ' in rows[10][0]
    for line in (5, 8, 9, 10):
        assert "<math" in rows[line][0], line
    assert re.search(r"Score [0-9.]+ / 10: not passed", wrong_html)
    assert "<h3>Hints</h3>" in wrong_html and "Substitute eps first" in wrong_html


def test_html_math_is_the_step_as_written(wrong_html: str) -> None:
    """A side is shown as the student wrote it, not as SymPy simplifies it on construction:
    2*H*exp(-2*log(2*H/delta)) keeps its log (SymPy would make it delta**2/(200*...))."""
    row = _rows(wrong_html)[8][0]
    math = row[row.index("<math"):row.index("</math>")]
    assert "<mi>log</mi>" in math and "<msup>" in math
    assert "<mo>=</mo>" in math
    chain = _rows(wrong_html)[9][0]  # a chain step after another: its left side is not repeated
    shown = chain[chain.index("<math"):chain.index("</math>")]
    assert shown.count("<mo>=</mo>") == 1 and "<mi>log</mi>" not in shown


def test_hostile_text_is_escaped_everywhere(tmp_path: Path) -> None:
    """A file name and a line with <script> (echoed in a diagnostic) come out as text."""
    f = tmp_path / f"{HOSTILE.replace('/', '_')}.proof"
    f.write_text(f"exercise demo\ngiven x > 0\nhave h: x + 1 > x  by algebra\n"
                 f"have g: {HOSTILE} > 0\n")
    out, code = run(["check", str(f), "--format", "html", "--standalone"])
    assert code == 2
    assert "<script" not in out
    assert "&lt;script&gt;" in out


def test_mathml_writer_escapes_names_and_keeps_only_mathml() -> None:
    """SymPy's MathML printer does not escape names: ours writes its DOM through an allow-list,
    and stored MathML is cleaned the same way."""
    raw = mathml(sp.Symbol(HOSTILE), printer="presentation")
    assert "<script>" in raw  # the reason for the allow-list
    ours = expr_mathml(sp.Symbol(HOSTILE))
    assert ours is not None and "<script" not in ours and "&lt;script&gt;" in ours
    cleaned = clean_mathml('<math><mi onclick="steal()">x</mi><script>bad()</script>'
                           '<mi href="javascript:x">y</mi></math>')
    assert cleaned is not None
    assert "onclick" not in cleaned and "<script" not in cleaned and "href" not in cleaned
    assert clean_mathml('<!DOCTYPE x [<!ENTITY a "b">]><math>&a;</math>') is None
    assert clean_mathml("<div>not math</div>") is None


def test_sides_are_read_again_through_our_grammar_only() -> None:
    """Re-reading a side for display goes through the Lark grammar: text that is not an
    expression gives None (shown as text), never an evaluation."""
    assert read_side("__import__('os').system('true')") is None
    assert read_side("x" * 5000) is None
    e = read_side("2*H*exp(-log(2*H/delta))")
    assert e is not None and "log" in str(e)  # not simplified to delta


# ------------------------------------------------------------------------------ LaTeX


def test_latex_fragment_has_a_mark_per_step(wrong: Path, tmp_path: Path) -> None:
    """One align* line per step, each with its mark; the refuted one with its
    counterexample; student text escaped; compiles standalone when pdflatex is here."""
    out, code = run(["check", str(wrong), "--format", "latex", "--budget", "5"])
    assert code == 1
    result = check_file(wrong, budget_s=5)  # the marks of one run against its verdicts
    out = files_latex([result])
    steps = [s.to_json() for s in result.steps]
    assert out.count(r"\begin{align*}") == out.count(r"\end{align*}") == 1
    body = out[out.index(r"\begin{align*}"):out.index(r"\end{align*}")]
    marks = re.findall(r"\\pc(proved|refuted|plausible|unknown)\b", body)
    assert sorted(marks) == sorted(s["verdict"] for s in steps)
    assert r"\text{8}" in out and r"\footnotesize " in out
    assert "counterexample: delta = " in out  # under the refuted step, with both sides
    assert out.index("counterexample: delta = ") > out.index(r"\text{8}")
    assert r"\log" in out and r"\frac" in out
    assert out.count("{") == out.count("}")
    assert "finite\\_class\\_agnostic" in out  # an underscore is escaped in text
    # a file whose errors echo hostile TeX: escaped, and the whole fragment still compiles
    hostile = tmp_path / "x%y#z.proof"
    hostile.write_text("exercise demo\ngiven x > 0\nhave h: x \\input{/etc/passwd} $ & ^ ~ > 0\n"
                       "have g: \\write18{touch pwned} x > 0\n")
    blocked = check_file(hostile, standalone=True)
    assert blocked.blocked
    out = files_latex([result, blocked])
    assert "\\input{" not in out and "\\write18{" not in out
    if shutil.which("pdflatex") is None:
        return
    (tmp_path / "report.tex").write_text(out)
    (tmp_path / "main.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb,"
                                       "xcolor}\n\\begin{document}\n\\input{report.tex}\n"
                                       "\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape",
                           "main.tex"], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "main.log").read_text(errors="replace")
    assert "(/etc/passwd" not in log  # TeX logs each file it opens as "(PATH"
    assert not (tmp_path / "pwned").exists()


def test_latex_escapes_hostile_names() -> None:
    r"""A name that is not letters_digits is escaped text: it can issue no TeX command."""
    out = expr_latex(sp.Symbol("a}\\input{/etc/passwd}"))
    assert out is not None and "\\input{" not in out and "\\textbackslash{}input" in out


# ---------------------------------------------------------------------------- Chromium


def test_html_report_renders_in_headless_chromium(wrong_html: str, tmp_path: Path) -> None:
    """The page opened from file:// with the network cut: it renders, every step's verdict
    is visible as a word, the math is drawn (MathML elements with a size), nothing is
    fetched; a screenshot is written under the test's folder."""
    page = tmp_path / "report.html"
    page.write_text(wrong_html, encoding="utf-8")
    expected = len(re.findall(r'<tr class="step ', wrong_html))
    with chromium(tmp_path) as driver:
        offline(driver)
        driver.get(page.as_uri())
        assert driver.title.startswith("proofcheck")
        rows = driver.find_elements("css selector", "tr.step")
        assert len(rows) == expected > 5
        for row in rows:
            badge = row.find_element("css selector", ".verdict")
            assert badge.is_displayed()
            word = badge.text.split()[-1]
            assert word in ("proved", "refuted", "plausible", "unknown")
            assert word in row.get_attribute("class")
            colour = badge.value_of_css_property("background-color")
            assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        maths = driver.find_elements("css selector", "td.math math")
        assert len(maths) >= 5
        for m in maths:
            assert m.size["width"] > 0 and m.size["height"] > 0
        # laid out as MathML (display "math", MathML Core), not as unknown inline elements:
        # a fraction's numerator sits above its denominator
        for m in maths:
            assert "math" in driver.execute_script(
                "return getComputedStyle(arguments[0]).display", m)
        frac = driver.find_element("css selector", "td.math mfrac")
        above, below = driver.execute_script(
            "const k = arguments[0].children; return [k[0].getBoundingClientRect().bottom, "
            "k[1].getBoundingClientRect().top];", frac)
        assert above <= below
        heights = [m.size["height"] for m in maths]
        assert max(heights) > 1.3 * min(heights)
        assert driver.find_element("css selector", "table.cx").is_displayed()
        assert requests_made(driver) == []
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


# -------------------------------------------------------------------------- any text


DANGEROUS_TEX = {"input", "include", "write", "immediate", "openout", "openin", "read", "def",
                 "edef", "gdef", "xdef", "let", "csname", "catcode", "newcommand",
                 "renewcommand", "special", "usepackage", "directlua", "expandafter", "loop",
                 "begin", "end", "makeatletter", "verb", "url", "href"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_name_is_inert_in_mathml_and_latex(name: str) -> None:
    """Whatever a name holds, the MathML has only allowed elements and attributes, and the
    LaTeX issues no command that reads, writes or defines anything."""
    assume(name.strip())
    out = expr_mathml(sp.Symbol(name))
    assert out is not None
    for tag, attrs in re.findall(r"<(/?[^\s>/]+)([^>]*)>", out):
        assert tag.lstrip("/") in ELEMENTS
        for attr in re.findall(r"\s([^\s=]+)=", attrs):
            assert attr in ATTRIBUTES
    tex = expr_latex(sp.Symbol(name))
    assert tex is not None
    assert not DANGEROUS_TEX & set(re.findall(r"\\([A-Za-z@]+)", tex)), tex
    assert "\n" not in tex and "%" not in tex.replace("\\%", "")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' &;!?[]mathirowscp")), max_size=80))
def test_stored_mathml_is_cleaned_or_refused(text: str) -> None:
    out = clean_mathml(text)
    if out is not None:
        for tag in re.findall(r"</?([^\s>/]+)", out):
            assert tag in ELEMENTS


# --------------------------------------------------------------------- LaTeX reads back


def _expr_texts(node: object, out: list[str]) -> None:
    if isinstance(node, Expr):
        out.append(node.text)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            _expr_texts(getattr(node, f.name), out)
    elif isinstance(node, tuple | list):
        for item in node:
            _expr_texts(item, out)


def _unnamed(e: sp.Expr) -> sp.Expr:
    """Names up to underscores: SymPy's LaTeX writes mu1 as mu_{1}, abar as bar{a}."""
    return e.replace(lambda x: isinstance(x, sp.Symbol),
                     lambda x: sp.Symbol(x.name.replace("_", ""), real=True))


def test_latex_of_every_shipped_expression_reads_back_as_the_same() -> None:
    """The report's LaTeX of every expression in the shipped solutions, read by our own LaTeX
    input, is the same expression (names up to underscores); a product like k(1 - e) with k
    undeclared may be refused as ambiguous, never read as something else."""
    texts: list[str] = []
    for f in sorted(EXERCISES.glob("*/*/solution.proof")):
        proof, _ = parse_file(f)
        _expr_texts(proof.statements, texts)
    same = refused = 0
    for text in sorted(set(texts)):
        value = read_side(text)
        if value is None:  # e.g. vectors, read only in their file's context
            continue
        tex = expr_latex(value)
        assert tex is not None, text
        try:
            back = parse_expression(f"${tex}$").value
        except CheckerError as exc:
            assert {d.code for d in exc.diagnostics} <= {"latex-ambiguous", "reserved-name"}, tex
            refused += 1
            continue
        want = parse_expression(text).value
        assert _unnamed(back) == _unnamed(want) or sp.expand(
            _unnamed(back) - _unnamed(want)) == 0, (text, tex)
        same += 1
    assert same > 300 and refused < same / 10
