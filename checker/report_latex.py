"""Results -> a LaTeX fragment (``proofcheck check --format latex``). Decides nothing.

The fragment is the checked proof as an ``align*`` per file, one line per step with a mark
(a coloured word: proved, refuted, plausible, unknown) and its justification; under a step
that is not proved, the engine's reason and the counterexample; and the exercise's score. It
defines its marks with ``\\providecommand`` (so a document may restyle them) and needs only
this preamble::

    \\documentclass{article}
    \\usepackage{amsmath,amssymb,xcolor}
    \\begin{document}
    \\input{report.tex}
    \\end{document}

Student text is hostile: every piece of it is written through :func:`latex_text` (all TeX
special characters escaped), and math comes from SymPy's LaTeX printer with every name that
is not a plain ``letters_digits`` name written as escaped text (:mod:`checker.mathrender`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.mathrender import LATEX_RELATIONS, expr_latex, latex_text, read_side

PREAMBLE = r"\usepackage{amsmath,amssymb,xcolor}"
# the marks are used in math mode (inside align*): each is text
MARKS = "\n".join((
    r"\providecommand{\pcproved}{\text{\textcolor{green!45!black}{$\checkmark$\ "
    r"\textsf{proved}}}}",
    r"\providecommand{\pcrefuted}{\text{\textcolor{red!75!black}{$\times$\ "
    r"\textsf{refuted}}}}",
    r"\providecommand{\pcplausible}{\text{\textcolor{orange!85!black}{$\approx$\ "
    r"\textsf{plausible}}}}",
    r"\providecommand{\pcunknown}{\text{\textcolor{gray}{?\ \textsf{unknown}}}}"))
MARK = {"proved": r"\pcproved", "refuted": r"\pcrefuted", "plausible": r"\pcplausible",
        "unknown": r"\pcunknown"}
KIND_WORDS = {"definition": "let", "fact": "have", "goal": "show", "assumption": "given",
              "exercise": "goal"}


def _side(text: str | None) -> str:
    if not text:
        return ""
    expr = read_side(text)
    out = None if expr is None else expr_latex(expr)
    return out if out is not None else r"\texttt{" + latex_text(text) + "}"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def step_line(step: Any, hide_lhs: bool) -> tuple[str, list[str]]:
    """The ``align*`` row of a step, and the notes under it (for a step not proved: the
    engine's reason, and the counterexample with both sides there)."""
    v = step.verdict
    sides = step.sides
    if sides is None:
        math = r"&\text{" + latex_text(_one_line(step.text)) + "}"
    else:
        lhs = "" if hide_lhs else _side(sides[0])
        op = LATEX_RELATIONS.get(step.op, latex_text(step.op))
        math = f"{lhs} &{op} {_side(sides[1])}"
    word = KIND_WORDS.get(step.kind, "")
    if step.kind == "fact":
        word = "have " + _one_line(step.text).split(":", 1)[0]
    tag = r"\text{" + latex_text(f"{step.line}: {word}".rstrip(": ").rstrip()) + "}"
    just = step.justification if step.justification and step.justification != "none" else ""
    row = rf"{tag} && {math} && {MARK.get(v.status.value, MARK['unknown'])}"
    if just:
        row += r"\ \text{" + latex_text(_one_line(just)) + "}"
    notes = []
    if v.status.value != "proved":
        notes.append(f"{v.engine}: {v.reason}" if v.reason else v.engine)
    cx = v.counterexample
    if cx is not None:
        point = ", ".join(f"{n} = {q}" for n, q in cx.values)
        notes.append((f"counterexample: {point}; " if point else "false as stated: ")
                     + f"left side = {cx.lhs}, right side = {cx.rhs}")
    return row, [latex_text(_one_line(n)) for n in notes]


def _notes(notes: list[str]) -> str:
    return r"{\footnotesize " + r"\newline ".join(notes) + "}"


def file_latex(result: Any) -> str:
    out = [f"% proofcheck: {_one_line(result.path)}".replace("\\", "/"),
           r"\subsection*{\texttt{" + latex_text(_one_line(result.path)) + "}"
           + (r" (exercise \texttt{" + latex_text(result.exercise) + "})"
              if result.exercise else "") + "}"]
    for d in result.diagnostics:
        out.append(r"\noindent\textcolor{red!75!black}{" + latex_text(_one_line(
            f"line {d.line}, column {d.col}: {d.severity}: {d.message} [{d.code}]"))
            + r"}\par")
    steps = sorted(result.steps, key=lambda s: (s.line, s.col, s.kind == "exercise"))
    if steps:
        body: list[str] = [r"\begin{align*}"]
        prev = None
        last_notes: list[str] = []
        for i, s in enumerate(steps):
            hide = (s.kind == "step" and prev is not None and prev.kind == "step"
                    and prev.sides is not None and s.sides is not None
                    and prev.sides[1] == s.sides[0])
            row, notes = step_line(s, hide)
            if i == len(steps) - 1:
                body.append(f"  {row}")
                last_notes = notes
            else:
                body.append(f"  {row} \\\\")
                if notes:  # a paragraph between the rows, as wide as the page
                    body.append(r"  \intertext{" + _notes(notes) + "}")
            prev = s
        body.append(r"\end{align*}")
        if last_notes:
            body.append(r"\noindent" + _notes(last_notes) + r"\par")
        out += body
    a = result.assessment
    if a is not None:
        state = "passed" if a.passed else "not passed"
        out.append(r"\noindent\textbf{" + latex_text(
            f"Score {a.score:g}/{a.max_score:g}: {state}") + r"}. "
            + latex_text(_one_line(a.summary)) + r"\par")
        if a.hints:
            out.append(r"\begin{itemize}")
            out += [r"  \item " + latex_text(_one_line(f"hint: {h}")) for h in a.hints]
            out.append(r"\end{itemize}")
    return "\n".join(out)


def files_latex(results: Sequence[Any]) -> str:
    """The fragment for every file checked (see the module docstring for the preamble)."""
    head = ["% proofcheck LaTeX report (a fragment). Preamble: " + PREAMBLE, MARKS]
    return "\n".join(head + [file_latex(r) for r in results]) + "\n"
