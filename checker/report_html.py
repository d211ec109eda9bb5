"""Results -> one self-contained HTML page (``proofcheck check --format html``, and the
grader's ``feedback.html`` and ``summary.html``). Decides nothing.

The page needs nothing from outside: the style is inline, there is no script at all (a
Content-Security-Policy forbids any), and the math is MathML, which browsers draw natively.
Every piece of student text (names, steps, comments, file names, ids) is escaped; the MathML
comes from :mod:`checker.mathrender`, which writes it through an allow-list.

The page is built from the JSON form of a result (``FileResult.to_json()``) plus each step's
sides as MathML (:func:`step_math`), so the grader renders its stored records the same way.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from checker.mathrender import clean_mathml, expr_mathml, read_side, relation_mathml
from checker.printing import decimal

VERDICT_WORDS = {"proved": ("proved", "✓"), "refuted": ("refuted", "✗"),
                 "plausible": ("plausible", "≈"), "unknown": ("unknown", "?")}
KIND_WORDS = {"definition": "let", "fact": "have", "goal": "show", "assumption": "given",
              "exercise": "goal", "step": ""}

CSS = """
:root { color-scheme: light; --proved: #1a7f37; --refuted: #c62828; --plausible: #b26a00;
  --unknown: #57606a; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
  max-width: 70em; padding: 0 1em; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.5em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; }
code, .text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5em 0; }
table.steps { width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.35em 0.6em;
  border-bottom: 1px solid #eaeef2; }
th { background: #f6f8fa; font-weight: 600; }
td.line { color: #57606a; text-align: right; white-space: nowrap; }
td.kind { color: #57606a; white-space: nowrap; }
td.math { font-size: 1.1em; }
math { font-size: 1.05em; font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math",
  "DejaVu Math TeX Gyre", math; }  /* local OpenType MATH fonts: stretchy radicals */
.verdict { display: inline-block; font-weight: 600; padding: 0.1em 0.55em; border-radius: 1em;
  color: #fff; white-space: nowrap; }
.verdict.proved { background: var(--proved); } .verdict.refuted { background: var(--refuted); }
.verdict.plausible { background: var(--plausible); }
.verdict.unknown { background: var(--unknown); }
tr.refuted td.math { background: #ffebe9; }
tr.unknown td.math, tr.plausible td.math { background: #fff8c5; }
.why { color: #57606a; font-size: 0.9em; }
table.cx { font-size: 0.9em; margin: 0.3em 0 0.3em 0; }
table.cx th, table.cx td { border: 1px solid #d0d7de; padding: 0.15em 0.5em; }
.score { font-size: 1.2em; font-weight: 600; }
.passed { color: var(--proved); } .failed { color: var(--refuted); }
.diag { color: var(--refuted); } .diag.warning { color: var(--plausible); }
.hints li, .feedback li { margin: 0.25em 0; }
figure { margin: 1em 0; } figcaption { color: #57606a; font-size: 0.9em; }
footer { margin-top: 3em; color: #57606a; font-size: 0.85em; }
"""

# no script, no outside resource of any kind: only the inline style and data: images
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# ------------------------------------------------------------------------------ math


@functools.lru_cache(maxsize=8192)
def side_math(text: str | None) -> str | None:
    """One side as MathML content (no ``<math>`` wrapper), or None (shown as text).
    Cached: a class's submissions share most of their steps, and printing MathML costs a few
    milliseconds a side."""
    if not text:
        return None
    expr = read_side(text)
    return None if expr is None else expr_mathml(expr)


def json_step_math(step: Any) -> dict[str, str | None]:
    """:func:`step_math` from a step's JSON form (a grader's record), as written."""
    if not isinstance(step, dict):
        return {"lhs": None, "rhs": None}
    lhs, rhs = step.get("lhs"), step.get("rhs")
    lhs = lhs if isinstance(lhs, str) else None
    rhs = rhs if isinstance(rhs, str) else None
    if step.get("kind") == "definition" and lhs and lhs.isidentifier():
        return {"lhs": expr_mathml(_name_symbol(lhs)), "rhs": side_math(rhs)}
    return {"lhs": side_math(lhs), "rhs": side_math(rhs)}


def step_math(step: Any) -> dict[str, str | None]:
    """A step's two sides as MathML content, for :func:`file_section` (and the records)."""
    sides = getattr(step, "sides", None)
    if sides is None:
        return {"lhs": None, "rhs": None}
    lhs, rhs = sides
    claim = getattr(step, "claim", None)
    if step.kind == "assumption" and claim is not None:
        # a given as checked (its sides are the checker's, not text the student wrote)
        return {"lhs": expr_mathml(claim.lhs), "rhs": expr_mathml(claim.rhs)}
    left = expr_mathml(_name_symbol(lhs)) if step.kind == "definition" else side_math(lhs)
    return {"lhs": left, "rhs": side_math(rhs)}


def _name_symbol(name: str) -> Any:
    import sympy as sp

    return sp.Symbol(name)


def _side_html(content: str | None, text: str | None) -> list[tuple[str, str]]:
    if content is not None:
        return [("expr", content)]
    return [("text", text or "")]


def _cleaned(content: Any) -> str | None:
    """Stored MathML content, checked again against the allow-list."""
    if not isinstance(content, str):
        return None
    math = clean_mathml(f"<math>{content}</math>")
    if math is None:
        return None
    return math.removeprefix("<math>").removesuffix("</math>")


def relation_html(step: dict[str, Any], math: dict[str, Any] | None, hide_lhs: bool) -> str:
    """The step as math: ``lhs op rhs`` (``op rhs`` in a chain whose left side is the
    previous step's right side), falling back to the text as written."""
    lhs, rhs, op = step.get("lhs"), step.get("rhs"), str(step.get("relation") or "")
    if lhs is None or rhs is None:
        return f'<span class="text">{esc(step.get("text", ""))}</span>'
    math = math or {}
    left, right = _cleaned(math.get("lhs")), _cleaned(math.get("rhs"))
    if left is None and right is None:
        shown = f"{op} {rhs}" if hide_lhs else f"{lhs} {op} {rhs}"
        return f'<span class="text">{esc(shown)}</span>'
    parts: list[tuple[str, str]] = []
    if not hide_lhs:
        parts += _side_html(left, str(lhs))
    parts.append(("op", op))
    parts += _side_html(right, str(rhs))
    return relation_mathml(parts)


# ------------------------------------------------------------------------------ pieces


def verdict_badge(verdict: str) -> str:
    word, mark = VERDICT_WORDS.get(verdict, (verdict, "?"))
    return f'<span class="verdict {esc(word)}" title="{esc(word)}">{mark} {esc(word)}</span>'


def _decimal(value: str) -> str:
    try:
        return decimal(Fraction(value))
    except (ValueError, ZeroDivisionError, OverflowError):
        return ""


def counterexample_html(step: dict[str, Any]) -> str:
    cx = step.get("counterexample")
    if cx is None:
        return ""
    rows = []
    for name, value in cx.items():
        dec = _decimal(str(value))
        rows.append(f"<tr><td><code>{esc(name)}</code></td><td><code>{esc(value)}</code></td>"
                    f"<td><code>{esc(dec) if dec != value else ''}</code></td></tr>")
    sides = step.get("counterexample_sides") or {}
    out = ['<table class="cx"><caption class="why">'
           + ("counterexample" if cx else "false as stated") + "</caption>"]
    if rows:
        out.append("<tr><th>variable</th><th>value</th><th>≈</th></tr>")
        out += rows
    if sides:
        out.append(f'<tr><td>left side</td><td colspan="2"><code>{esc(sides.get("lhs"))}'
                   f'</code></td></tr><tr><td>right side</td><td colspan="2"><code>'
                   f'{esc(sides.get("rhs"))}</code></td></tr>')
    out.append("</table>")
    return "".join(out)


def _conditions_html(step: dict[str, Any]) -> str:
    items = [c for key in ("definedness", "side_obligations") for c in step.get(key) or []
             if c.get("verdict") != "proved"]
    if not items:
        return ""
    lis = "".join(f"<li>{verdict_badge(str(c.get('verdict')))} <code>{esc(c.get('condition'))}"
                  f"</code></li>" for c in items)
    return f'<ul class="why">{lis}</ul>'


def _kind(step: dict[str, Any]) -> str:
    kind = str(step.get("kind", ""))
    word = KIND_WORDS.get(kind, kind)
    if kind == "fact":
        name = str(step.get("text", "")).split(":", 1)[0]
        return f"have <code>{esc(name)}</code>"
    return esc(word)


def steps_table(doc: dict[str, Any], math: Sequence[Any] | None) -> str:
    steps = doc.get("steps") or []
    if not steps:
        return ""
    math = list(math or [])
    order = sorted(range(len(steps)), key=lambda i: (
        steps[i].get("line", 0), steps[i].get("col", 0), steps[i].get("kind") == "exercise"))
    rows = ['<table class="steps"><thead><tr><th>line</th><th></th><th>step</th>'
            "<th>verdict</th><th>justification</th><th>engine and reason</th></tr></thead>"
            "<tbody>"]
    prev: dict[str, Any] | None = None
    for i in order:
        s = steps[i]
        m = math[i] if i < len(math) and isinstance(math[i], dict) else None
        hide = (s.get("kind") == "step" and prev is not None and prev.get("kind") == "step"
                and prev.get("rhs") == s.get("lhs"))
        verdict = str(s.get("verdict"))
        reason = str(s.get("reason") or "")
        detail = f"<code>{esc(s.get('engine'))}</code>" + (f": {esc(reason)}" if reason else "")
        label = str(s.get("label") or "")
        if label and label != verdict and verdict == "plausible":
            detail += f'<div class="why">{esc(label)}</div>'
        just = str(s.get("justification") or "")
        rows.append(
            f'<tr class="step {esc(verdict)}" id="line-{esc(s.get("line"))}-{i}">'
            f'<td class="line">{esc(s.get("line"))}</td><td class="kind">{_kind(s)}</td>'
            f'<td class="math">{relation_html(s, m, hide)}{counterexample_html(s)}'
            f"{_conditions_html(s)}</td>"
            f"<td>{verdict_badge(verdict)}</td>"
            f"<td>{esc(just) if just and just != 'none' else ''}</td>"
            f'<td class="why">{detail}</td></tr>')
        prev = s
    rows.append("</tbody></table>")
    return "".join(rows)


def _diagnostics_html(doc: dict[str, Any]) -> str:
    diags = doc.get("diagnostics") or []
    if not diags:
        return ""
    items = "".join(
        f'<li class="diag {esc(d.get("severity"))}">line {esc(d.get("line"))}, column '
        f'{esc(d.get("col"))}: {esc(d.get("severity"))}: {esc(d.get("message"))} '
        f'<code>[{esc(d.get("code"))}]</code></li>' for d in diags)
    return f'<ul class="diagnostics">{items}</ul>'


def assessment_html(doc: dict[str, Any]) -> str:
    a = doc.get("assessment")
    out = []
    notes = doc.get("notes") or []
    if a is None:
        if notes:
            out.append('<ul class="feedback">' + "".join(
                f"<li>line {esc(n.get('line'))}: {esc(n.get('text'))}</li>" for n in notes)
                + "</ul>")
        return "".join(out)
    feedback = a.get("feedback") or []
    if feedback:
        out.append("<h3>Feedback</h3><ul class=\"feedback\">" + "".join(
            f"<li>line {esc(f.get('line'))}: {esc(f.get('text'))}</li>" for f in feedback)
            + "</ul>")
    hints = a.get("hints") or []
    if hints:
        out.append('<h3>Hints</h3><ul class="hints">'
                   + "".join(f"<li>{esc(h)}</li>" for h in hints) + "</ul>")
    milestones = a.get("milestones") or []
    if milestones:
        out.append('<h3>Milestones</h3><ul class="milestones">' + "".join(
            f"<li>{'✓ shown' if m.get('established') else '✗ not shown'}: "
            f"<code>{esc(m.get('relation'))}</code></li>" for m in milestones) + "</ul>")
    required = a.get("required_citations") or []
    if required:
        out.append('<h3>Required citations</h3><ul class="required">' + "".join(
            f"<li>{'✓ cited' if r.get('cited') else '✗ not cited'}: "
            f"<code>{esc(r.get('theorems'))}</code></li>" for r in required) + "</ul>")
    return "".join(out)


def score_html(doc: dict[str, Any]) -> str:
    a = doc.get("assessment")
    if a is None:
        return ""
    cls = "passed" if a.get("passed") else "failed"
    word = "passed" if a.get("passed") else "not passed"
    seed = f", variant seed {esc(a['seed'])}" if a.get("seed") is not None else ""
    return (f'<p class="score {cls}">Score {esc(_num(a.get("score")))} / '
            f'{esc(_num(a.get("max_score")))}: {word}{seed}</p>'
            f'<p class="summary">{esc(a.get("summary"))}</p>')


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, int | float) else str(x)


def counts_line(doc: dict[str, Any]) -> str:
    c = doc.get("summary") or {}
    total = len(doc.get("steps") or [])
    if not total and doc.get("diagnostics"):
        return "not checked: the file has errors (below)"
    return (f"{total} checked: {c.get('proved', 0)} proved, {c.get('refuted', 0)} refuted, "
            f"{c.get('plausible', 0)} plausible, {c.get('unknown', 0)} unknown")


def file_section(doc: dict[str, Any], math: Sequence[Any] | None = None,
                 heading: str | None = None, level: int = 2) -> str:
    """One checked file: its heading, diagnostics, steps, score, feedback and hints."""
    title = heading if heading is not None else str(doc.get("path", ""))
    exercise = doc.get("exercise")
    sub = f' <span class="why">exercise <code>{esc(exercise)}</code></span>' if exercise else ""
    return (f'<section class="file"><h{level}><code>{esc(title)}</code>{sub}</h{level}>'
            f'<p class="counts">{esc(counts_line(doc))}</p>'
            + score_html(doc) + _diagnostics_html(doc) + steps_table(doc, math)
            + assessment_html(doc) + "</section>")


def page(title: str, body: str) -> str:
    from checker import __version__

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1>{body}"
            f"<footer>proofcheck {esc(__version__)}</footer></body></html>\n")


def files_html(results: Sequence[Any]) -> str:
    """``proofcheck check --format html``: every file checked, one page."""
    sections = [file_section(r.to_json(), [step_math(s) for s in r.steps]) for r in results]
    title = ("proofcheck: " + str(results[0].path)) if len(results) == 1 else \
        f"proofcheck: {len(results)} files"
    return page(title, "".join(sections))
