"""Records -> HTML pages: each student's ``feedback.html`` and the class's ``summary.html``.

The same self-contained page as ``proofcheck check --format html`` (inline style, no script,
MathML; :mod:`checker.report_html`), built only from the records, like every other output
(:mod:`checker.grade.exports`): no timestamps, sorted, so two runs write identical pages.
The summary's charts (score histogram, most common failing steps) are inline SVG. Every id,
file name and piece of a student's text is escaped; stored MathML is written out again
through the allow-list.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from checker.exercises import Catalog
from checker.grade.exports import (
    MAX_LISTED,
    STATUS_SUMMARY,
    Entry,
    Report,
    _example,
    failing,
    note_for,
)
from checker.report_html import esc, file_section, json_step_math, page, verdict_badge

BAR = {"proved": "#1a7f37", "refuted": "#c62828", "plausible": "#b26a00", "unknown": "#57606a"}


def _record_html(record: dict[str, Any], entry: Entry | None, ids: Sequence[str]) -> str:
    result = record.get("result")
    if isinstance(result, dict):
        steps = result.get("steps")
        math = record.get("math") or [json_step_math(st) for st in steps or []]
        body = file_section(result, math, heading=str(record.get("file", "")), level=3)
    else:
        body = (f'<section class="file"><h3><code>{esc(record.get("file", ""))}</code></h3>'
                f'<pre class="text">{esc(record.get("text", ""))}</pre></section>')
    note = note_for(entry, record, ids)
    return body + (f'<p class="why">note: {esc(note)}</p>' if note else "")


def _state(e: Entry) -> str:
    if e.passed:
        return "passed"
    return "not passed" if e.status == "graded" else STATUS_SUMMARY[e.status]


def student_html(r: Report) -> str:
    """``students/<name>/feedback.html``: the student's total, and per exercise its score,
    every step rendered as math with its verdict, the hints and the grader's note."""
    ids = [e.exercise.id for e in r.entries]
    parts = [f'<p class="score">{esc(f"{r.total:g}")} / {esc(f"{r.max_total:g}")} points</p>']
    for e in r.entries:
        cls = "passed" if e.passed else "failed"
        parts.append(f'<h2 id="{esc(e.exercise.id)}">{esc(e.exercise.id)}: '
                     f"{esc(e.exercise.title)} <span class=\"{cls}\">"
                     f"{esc(f'{e.score:g}')}/{esc(f'{e.exercise.max_points:g}')} points, "
                     f"{esc(_state(e))}</span></h2>")
        if e.record is None:
            parts.append(f"<p>No file for {esc(e.exercise.id)}: hand in a .proof file whose "
                         f"first line is <code>exercise {esc(e.exercise.id)}</code>.</p>")
        else:
            parts.append(_record_html(e.record, e, ids))
    if r.extra:
        parts.append("<h2>Other files (not counted)</h2>")
        parts += [_record_html(rec, None, ids) for rec in r.extra]
    return page(f"Feedback for {r.student}", "".join(parts))


# ----------------------------------------------------------------------------- charts


def histogram_svg(values: Sequence[float], top: float, bins: int = 10) -> str:
    """Total scores in ``bins`` bins of the maximum, as an SVG bar chart."""
    counts = [0] * bins
    for v in values:
        share = v / top if top else 0.0
        counts[min(bins - 1, max(0, int(share * bins)))] += 1
    width, height, left, bottom, pad = 640, 250, 40, 40, 20  # pad: room for a count on top
    plot_w, plot_h = width - left - pad, height - bottom - pad
    peak = max(counts, default=0) or 1
    bar_w = plot_w / bins
    out = [f'<svg class="chart histogram" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           "<title>Total scores: number of students per tenth of the maximum</title>",
           f'<line x1="{left}" y1="{pad + plot_h}" x2="{left + plot_w}" y2="{pad + plot_h}" '
           'stroke="#57606a"/>']
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x = left + i * bar_w
        lo, hi = 100 * i // bins, 100 * (i + 1) // bins
        out.append(f'<rect class="bar" x="{x + 2:.1f}" y="{pad + plot_h - h:.1f}" '
                   f'width="{bar_w - 4:.1f}" height="{h:.1f}" fill="#0969da">'
                   f"<title>{lo}–{hi}%: {c} student{'s' if c != 1 else ''}</title></rect>")
        if c:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{pad + plot_h - h - 3:.1f}" '
                       f'text-anchor="middle" font-size="12">{c}</text>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{pad + plot_h + 16:.1f}" '
                   f'text-anchor="middle" font-size="11" fill="#57606a">{lo}%</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
               'font-size="12" fill="#57606a">share of the maximum score</text>')
    out.append(f'<text x="12" y="{pad + plot_h / 2:.1f}" font-size="12" fill="#57606a" '
               f'transform="rotate(-90 12 {pad + plot_h / 2:.1f})" text-anchor="middle">'
               "students</text></svg>")
    return "".join(out)


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failing_svg(rows: Sequence[tuple[str, str, int]], students: int) -> str:
    """The most common failing steps as horizontal bars: (step, verdict, students)."""
    label_w, bar_w, row_h, pad = 420, 260, 26, 8
    width, height = label_w + bar_w + 60, pad * 2 + row_h * len(rows)
    peak = max([n for _, _, n in rows] + [students, 1])
    out = [f'<svg class="chart failing" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
           "<title>The steps most students did not get proved</title>"]
    for i, (step, verdict, n) in enumerate(rows):
        y = pad + i * row_h
        w = bar_w * n / peak
        out.append(f'<text x="{label_w - 8}" y="{y + row_h * 0.65:.1f}" text-anchor="end" '
                   f'font-size="12" font-family="monospace">{esc(_cut(step))}</text>')
        out.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" '
                   f'height="{row_h - 8}" fill="{BAR.get(verdict, BAR["unknown"])}">'
                   f"<title>{esc(verdict)}: {n} student{'s' if n != 1 else ''}</title></rect>")
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + row_h * 0.65:.1f}" '
                   f'font-size="12">{n} ({esc(verdict)})</text>')
    out.append("</svg>")
    return "".join(out)


def summary_html(reports: Sequence[Report], catalog: Catalog, budget_s: float) -> str:
    """``summary.html``: the class summary of ``summary.md``, with its histogram and the most
    common failing steps drawn as SVG."""
    from checker import __version__

    exercises = list(catalog.exercises.values())
    top = sum(ex.max_points for ex in exercises)
    files = sum(1 for r in reports for e in r.entries if e.record is not None) + sum(
        len(r.extra) for r in reports)
    parts = [f"<p>{len(reports)} students, {files} files counted or flagged, {len(exercises)} "
             f"exercises ({esc(f'{top:g}')} points in all). Checked by proofcheck "
             f"{esc(__version__)} with a budget of {esc(f'{budget_s:g}')} s per obligation."
             "</p><h2>Scores</h2><table class=\"scores\"><thead><tr><th>exercise</th>"
             "<th>title</th><th>max</th><th>handed in</th><th>passed</th><th>mean</th>"
             "<th>median</th></tr></thead><tbody>"]
    for ex in exercises:
        entries = [e for r in reports for e in r.entries if e.exercise.id == ex.id]
        scores = [e.score for e in entries]
        mean = statistics.fmean(scores) if scores else 0.0
        median = statistics.median(scores) if scores else 0.0
        parts.append(f"<tr><td><code>{esc(ex.id)}</code></td><td>{esc(ex.title)}</td>"
                     f"<td>{esc(f'{ex.max_points:g}')}</td>"
                     f"<td>{sum(e.record is not None for e in entries)}</td>"
                     f"<td>{sum(e.passed for e in entries)}</td><td>{mean:.2f}</td>"
                     f"<td>{esc(f'{median:g}')}</td></tr>")
    totals = [r.total for r in reports]
    if totals:
        parts.append(f"<tr><th>total</th><td></td><td>{esc(f'{top:g}')}</td><td></td><td></td>"
                     f"<td>{statistics.fmean(totals):.2f}</td>"
                     f"<td>{esc(f'{statistics.median(totals):g}')}</td></tr>")
    parts.append("</tbody></table><h2>Total scores</h2><figure>"
                 + histogram_svg(totals, top)
                 + "<figcaption>Students per tenth of the maximum total score.</figcaption>"
                 "</figure><h2>What the class got wrong</h2><p>The steps that most students "
                 "did not get proved, per exercise (a step counts once per student).</p>")
    for ex in exercises:
        parts.append(f"<h3><code>{esc(ex.id)}</code>: {esc(ex.title)}</h3>")
        ranked, common = failing(reports, ex)
        if ranked:
            rows = [(str(s.get("text", claim)), verdict, len(who))
                    for (claim, verdict), who, s in ranked]
            parts.append("<figure>" + failing_svg(rows, len(reports)) + "</figure>")
            parts.append('<table class="failing"><thead><tr><th>students</th><th>step (as '
                         "checked)</th><th>verdict</th><th>for example</th><th>who</th></tr>"
                         "</thead><tbody>")
            for (claim, verdict), who, s in ranked:
                names = sorted(who)
                listed = ", ".join(esc(n) for n in names[:MAX_LISTED]) + (
                    f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")
                parts.append(f"<tr><td>{len(who)}</td><td><code>{esc(claim)}</code> "
                             f"(line {esc(s.get('line'))}: <code>{esc(s.get('text'))}</code>)"
                             f"</td><td>{verdict_badge(verdict)}</td>"
                             f"<td>{esc(_example(s))}</td><td>{listed}</td></tr>")
            parts.append("</tbody></table>")
        if common:
            parts.append("<p>Errors that stopped files from being checked: " + ", ".join(
                f"<code>{esc(code)}</code> ({len(who)})" for code, who in common) + "</p>")
        if not ranked and not common:
            parts.append("<p>Every submitted step was proved.</p>")
    statuses = Counter(str(rec["status"]) for r in reports for rec in r.extra) + Counter(
        e.status for r in reports for e in r.entries if e.status not in ("graded", "missing"))
    if statuses:
        parts.append("<h2>Files not graded normally</h2><ul>" + "".join(
            f"<li>{n} × {esc(status)}: {esc(STATUS_SUMMARY.get(status, status))}</li>"
            for status, n in sorted(statuses.items())) + "</ul>")
    return page("Grading summary", "".join(parts))
