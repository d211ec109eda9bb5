"""Records -> what people read: per-student feedback (text and JSON), Gradescope and
PrairieLearn results, a CSV gradebook, the class's grades (JSON) and summary (Markdown).

Every output is a pure function of the records and the catalog (no timestamps, sorted), so two
runs over the same submissions write identical files. Formats: ``docs/grading.md``. Student
ids and files are shown as visible text (the records already are), gradebook cells are
neutralised against spreadsheet formulas, and each file is written atomically under a unique
temporary name.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.exercises import Catalog, Exercise
from checker.grade.names import csv_cell
from checker.grade.submissions import Batch

PL_LIMIT = 900_000  # PrairieLearn's results.json must stay under 1 MB
GS_OUTPUT_LIMIT = 200_000  # per Gradescope test output (a long feedback is cut, with a note)


@dataclass
class Entry:
    """A student's result on one exercise of the assignment."""

    exercise: Exercise
    score: float = 0.0
    passed: bool = False
    status: str = "missing"
    record: dict[str, Any] | None = None
    others: list[str] = field(default_factory=list)  # more files for the same exercise

    @property
    def file(self) -> str | None:
        return None if self.record is None else str(self.record["file"])

    @property
    def summary(self) -> str:
        a = self.record.get("assessment") if self.record else None
        if a:
            return str(a["summary"])
        return STATUS_SUMMARY[self.status]


@dataclass
class Report:
    student: str  # the id as shown
    entries: list[Entry]
    extra: list[dict[str, Any]]  # files not matched to an exercise of the assignment
    name: str = ""  # the storage name: students/<name>/

    @property
    def total(self) -> float:
        return round(sum(e.score for e in self.entries), 2)

    @property
    def max_total(self) -> float:
        return round(sum(e.exercise.max_points for e in self.entries), 2)


STATUS_SUMMARY = {
    "missing": "no submission",
    "graded": "graded",
    "blocked": "not checked: the file has errors",
    "unreadable": "not checked: the file could not be read",
    "no-exercise": "not matched: the file has no `exercise` line",
    "unknown-exercise": "not matched: the file names an exercise outside this assignment",
    "resource-limit": "not graded: the checker ran out of time or memory on this file",
    "internal-error": "not graded: the checker failed on this file",
}


def record_score(record: dict[str, Any]) -> float:
    a = record.get("assessment")
    return float(a["score"]) if a else 0.0


def build_reports(batch: Batch, catalog: Catalog,
                  records: dict[str, dict[str, Any]]) -> list[Report]:
    """Each student's best file per exercise (ties: the first file name) and the rest."""
    by_student: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for job in batch.jobs:
        rec = records.get(job.key)
        if rec is not None:
            by_student[job.name].append(rec)
    reports = []
    for who in sorted(batch.students, key=lambda s: (s.id, s.name)):
        student = who.id
        recs = sorted(by_student.get(who.name, []), key=lambda r: str(r["file"]))
        entries = []
        matched: set[int] = set()
        for ex in catalog.exercises.values():
            mine = [(i, r) for i, r in enumerate(recs) if r.get("exercise") == ex.id and
                    r["status"] not in ("unknown-exercise", "no-exercise", "unreadable")]
            entry = Entry(ex)
            if mine:
                best_i, best = max(mine, key=lambda ir: (record_score(ir[1]), -ir[0]))
                a = best.get("assessment")
                entry = Entry(ex, record_score(best), bool(a and a["passed"]), best["status"],
                              best, [str(r["file"]) for i, r in mine if i != best_i])
                matched.update(i for i, _ in mine)
            entries.append(entry)
        extra = [r for i, r in enumerate(recs) if i not in matched]
        reports.append(Report(student, entries, extra, who.name))
    return reports


# ------------------------------------------------------------------------- per student


def note_for(entry: Entry | None, record: dict[str, Any], ids: Sequence[str]) -> str:
    """What the grader adds to the checker's feedback: why a file scored what it did."""
    status = str(record["status"])
    name = record["file"]
    listed = ", ".join(ids)
    if status == "blocked":
        return (f"{name}: this file could not be read as a proof (the errors above), so it gets "
                "0 points; fix them and resubmit.")
    if status == "unreadable":
        return f"{name}: this file could not be read (see above), so it gets 0 points."
    if status == "no-exercise":
        result = record.get("result") or {}
        what = "is empty (or only comments)" if not result.get("steps") and not result.get(
            "diagnostics") else "has no `exercise ID` first line"
        return (f"{name}: this file {what}, so it matches no exercise of this assignment "
                f"({listed}); it gets 0 points.")
    if status == "unknown-exercise":
        return (f"{name}: this file names exercise {record.get('exercise')!r}, which is not "
                f"part of this assignment ({listed}); it gets 0 points.")
    if status == "internal-error":
        return (f"{name}: the checker failed on this file (an internal error, not your "
                "mistake); it gets 0 points for now: please tell the course staff.")
    if status == "graded" and record.get("resource_limits"):
        return (f"{name}: some steps could not be checked within the grader's limits "
                "(marked `resource limit` or `time limit`); they count as not proved. They "
                "are checked again when the course staff regrade with larger limits.")
    if entry is not None and entry.others:
        return (f"you handed in {1 + len(entry.others)} files for {entry.exercise.id}; the best "
                f"one counts ({entry.file}; also: {', '.join(entry.others)}).")
    return ""


def _heading(e: Entry) -> str:
    state = "passed" if e.passed else STATUS_SUMMARY[e.status] if e.status != "graded" else \
        "not passed"
    return (f"== {e.exercise.id} ({e.exercise.title}): {e.score:g}/{e.exercise.max_points:g} "
            f"points, {state} ==")


def entry_text(e: Entry, ids: Sequence[str]) -> str:
    if e.record is None:
        return (f"no file for {e.exercise.id}: hand in a .proof file whose first line is "
                f"`exercise {e.exercise.id}`.")
    parts = [str(e.record["text"])]
    note = note_for(e, e.record, ids)
    if note:
        parts.append("note: " + note)
    return "\n".join(parts)


def student_text(r: Report) -> str:
    ids = [e.exercise.id for e in r.entries]
    out = [f"Feedback for {r.student}: {r.total:g}/{r.max_total:g} points", ""]
    for e in r.entries:
        out += [_heading(e), entry_text(e, ids), ""]
    if r.extra:
        out.append("== other files (not counted) ==")
        for rec in r.extra:
            out += [str(rec["text"]), "note: " + note_for(None, rec, ids), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _file_json(rec: dict[str, Any], ids: Sequence[str], entry: Entry | None) -> dict[str, Any]:
    return {
        "file": rec["file"], "status": rec["status"], "exercise": rec.get("exercise"),
        "note": note_for(entry, rec, ids), "resource_limits": rec.get("resource_limits", []),
        "text": rec["text"], "result": rec.get("result"),
    }


def student_json(r: Report) -> dict[str, Any]:
    ids = [e.exercise.id for e in r.entries]
    return {
        "student": r.student,
        "score": r.total,
        "max_score": r.max_total,
        "exercises": [{
            "exercise": e.exercise.id, "title": e.exercise.title, "score": e.score,
            "max_score": e.exercise.max_points, "passed": e.passed, "status": e.status,
            "summary": e.summary, "file": e.file, "other_files": e.others,
            "submission": None if e.record is None else _file_json(e.record, ids, e),
        } for e in r.entries],
        "other_files": [_file_json(rec, ids, None) for rec in r.extra],
    }


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + "\n... (feedback cut here: it is too long to show in full)"


def gradescope(r: Report) -> dict[str, Any]:
    """Gradescope's results.json (the autograder specification's "Output format")."""
    ids = [e.exercise.id for e in r.entries]
    tests = []
    for n, e in enumerate(r.entries, 1):
        tests.append({
            "name": f"{e.exercise.id}: {e.exercise.title}",
            "number": str(n),
            "score": e.score,
            "max_score": e.exercise.max_points,
            "status": "passed" if e.passed else "failed",
            "output": _cut(entry_text(e, ids), GS_OUTPUT_LIMIT),
            "output_format": "text",
            "tags": [e.exercise.topic],
            "visibility": "visible",
        })
    for rec in r.extra:
        tests.append({
            "name": f"not counted: {rec['file']}",
            "number": str(len(tests) + 1),
            "score": 0.0,
            "max_score": 0.0,
            "status": "failed",
            "output": _cut(f"{rec['text']}\nnote: {note_for(None, rec, ids)}", GS_OUTPUT_LIMIT),
            "output_format": "text",
            "visibility": "visible",
        })
    passed = sum(e.passed for e in r.entries)
    return {
        "score": r.total,
        "output": (f"{r.total:g}/{r.max_total:g} points; {passed} of {len(r.entries)} "
                   "exercises passed. Each exercise below shows the checker's verdict on "
                   "every step."),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student": r.student},
    }


def prairielearn(r: Report) -> dict[str, Any]:
    """PrairieLearn's external-grader results.json (``docs/externalGrading.md``)."""
    ids = [e.exercise.id for e in r.entries]
    considered = [e for e in r.entries if e.record is not None]
    readable = [e for e in considered if e.status in ("graded", "resource-limit")]
    gradable = bool(readable) or not (considered or r.extra)
    score = r.total / r.max_total if r.max_total else 0.0
    doc: dict[str, Any] = {
        "gradable": gradable,
        "score": round(min(1.0, max(0.0, score)), 4),
        "message": f"{r.total:g}/{r.max_total:g} points",
        "output": _cut(student_text(r), PL_LIMIT // 2),
        "tests": [{
            "name": e.exercise.id,
            "description": e.exercise.title,
            "points": e.score,
            "max_points": e.exercise.max_points,
            "message": e.summary,
            "output": _cut(entry_text(e, ids), PL_LIMIT // (4 * max(1, len(r.entries)))),
        } for e in r.entries],
    }
    if not gradable:
        doc["format_errors"] = [note_for(e, e.record, ids) for e in considered
                                if e.record is not None] + [
            note_for(None, rec, ids) for rec in r.extra]
    return doc


# ------------------------------------------------------------------------------ class


def gradebook_csv(reports: Sequence[Report], catalog: Catalog) -> str:
    """student x exercise; an empty cell: nothing handed in for that exercise (a 0: a file
    was, and scored 0); ``not_counted``: files that count for no exercise (empty, no or an
    unknown exercise line, unreadable), so an empty file is told from no file at all."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    ids = list(catalog.exercises)
    w.writerow(["student", *(csv_cell(i) for i in ids), "total", "max_total", "not_counted"])
    for r in reports:
        cells = ["" if e.record is None else f"{e.score:g}" for e in r.entries]
        w.writerow([csv_cell(r.student), *cells, f"{r.total:g}", f"{r.max_total:g}",
                    str(len(r.extra))])
    return buf.getvalue()


def grades_json(reports: Sequence[Report], catalog: Catalog) -> dict[str, Any]:
    from checker import __version__

    return {
        "checker": __version__,
        "exercises": [{"id": ex.id, "title": ex.title, "topic": ex.topic,
                       "max_score": ex.max_points} for ex in catalog.exercises.values()],
        "students": [{
            "student": r.student, "score": r.total, "max_score": r.max_total,
            "exercises": {e.exercise.id: {"score": e.score, "passed": e.passed,
                                          "status": e.status, "file": e.file}
                          for e in r.entries},
            "other_files": [str(rec["file"]) for rec in r.extra],
        } for r in reports],
    }


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell's code span."""
    return re.sub(r"\s+", " ", text).replace("|", "\\|").replace("`", "'")


def histogram(values: Sequence[float], top: float, bins: int = 10) -> list[str]:
    counts = [0] * bins
    for v in values:
        share = v / top if top else 0.0
        counts[min(bins - 1, max(0, int(share * bins)))] += 1
    width = max(counts, default=0)
    lines = []
    for i, c in enumerate(counts):
        lo, hi = 100 * i // bins, 100 * (i + 1) // bins
        bar = "#" * (40 * c // width if width else 0)
        right = "]" if i == bins - 1 else ")"
        lines.append(f"[{lo:3d}%, {hi:3d}%{right} {c:5d} {bar}")
    return lines


def _example(step: dict[str, Any]) -> str:
    cx = step.get("counterexample")
    if cx is not None:
        point = ", ".join(f"{k} = {v}" for k, v in cx.items())
        where = f"counterexample {point}" if point else "false as stated"
        sides = step.get("counterexample_sides") or {}
        return f"{where}: left {sides.get('lhs')}, right {sides.get('rhs')}"
    return str(step.get("label") or step.get("verdict"))


MAX_LISTED = 30  # students named per common failing step in summary.md (it is for staff)


Failing = list[tuple[tuple[str, str], set[str], dict[str, Any]]]  # (claim, verdict), who, a step


def failing(reports: Sequence[Report], ex: Exercise,
            top: int = 5) -> tuple[Failing, list[tuple[str, set[str]]]]:
    """The steps most students did not get proved on ``ex`` (most students first), and the
    diagnostic codes that stopped files from being checked."""
    students: dict[tuple[str, str], set[str]] = defaultdict(set)
    shown: dict[tuple[str, str], dict[str, Any]] = {}
    codes: dict[str, set[str]] = defaultdict(set)
    for r in reports:
        for e in r.entries:
            if e.exercise.id != ex.id or e.record is None:
                continue
            result = e.record.get("result") or {}
            for d in result.get("diagnostics", []):
                if d.get("severity") == "error":
                    codes[str(d.get("code"))].add(r.student)
            for s in result.get("steps", []):
                if s["kind"] in ("goal", "exercise") or s["verdict"] == "proved":
                    continue
                key = (str(s.get("claim") or s["text"]), str(s["verdict"]))
                students[key].add(r.student)
                shown.setdefault(key, s)
    ranked = sorted(students.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    common = sorted(codes.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return [(key, who, shown[key]) for key, who in ranked], common


def failing_steps(reports: Sequence[Report], ex: Exercise, top: int = 5) -> list[str]:
    """The steps most students got wrong on ``ex``: a Markdown table."""
    ranked, common = failing(reports, ex, top)
    lines: list[str] = []
    if ranked:
        lines += ["| students | step (as checked) | verdict | for example | who |",
                  "|---:|---|---|---|---|"]
        for (claim, verdict), who, s in ranked:
            names = sorted(who)
            listed = ", ".join(_md(csv_cell(n)) for n in names[:MAX_LISTED]) + (
                f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")
            lines.append(f"| {len(who)} | `{_md(claim)}` (line {s['line']}: "
                         f"`{_md(str(s['text']))}`) | {verdict} | {_md(_example(s))} | "
                         f"{listed} |")
    if common:
        lines += ["", "Errors that stopped files from being checked: " + ", ".join(
            f"`{code}` ({len(who)})" for code, who in common)]
    return lines or ["Every submitted step was proved."]


def summary_md(reports: Sequence[Report], catalog: Catalog, budget_s: float) -> str:
    from checker import __version__

    exercises = list(catalog.exercises.values())
    top = sum(ex.max_points for ex in exercises)
    files = sum(1 for r in reports for e in r.entries if e.record is not None) + sum(
        len(r.extra) for r in reports)
    out = ["# Grading summary", "",
           f"{len(reports)} students, {files} files counted or flagged, {len(exercises)} "
           f"exercises ({top:g} points in all). Checked by proofcheck {__version__} with a "
           f"budget of {budget_s:g} s per obligation.", "",
           "## Scores", "",
           "| exercise | title | max | handed in | passed | mean | median |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for ex in exercises:
        entries = [e for r in reports for e in r.entries if e.exercise.id == ex.id]
        scores = [e.score for e in entries]
        handed = sum(e.record is not None for e in entries)
        passed = sum(e.passed for e in entries)
        mean = statistics.fmean(scores) if scores else 0.0
        median = statistics.median(scores) if scores else 0.0
        out.append(f"| {ex.id} | {_md(ex.title)} | {ex.max_points:g} | {handed} | {passed} | "
                   f"{mean:.2f} | {median:g} |")
    totals = [r.total for r in reports]
    if totals:
        out.append(f"| **total** | | {top:g} | | | {statistics.fmean(totals):.2f} | "
                   f"{statistics.median(totals):g} |")
    out += ["", "### Total scores (share of the maximum)", "", "```", *histogram(totals, top),
            "```", "", "## What the class got wrong", "",
            "The steps that most students did not get proved, per exercise (a step counts once "
            "per student).", ""]
    for ex in exercises:
        out += [f"### {ex.id}: {_md(ex.title)}", "", *failing_steps(reports, ex), ""]
    statuses = Counter(str(rec["status"]) for r in reports for rec in r.extra) + Counter(
        e.status for r in reports for e in r.entries if e.status not in ("graded", "missing"))
    if statuses:
        out += ["## Files not graded normally", ""]
        out += [f"- {n} x {status}: {STATUS_SUMMARY[status]}"
                for status, n in sorted(statuses.items())]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------ writing


def write_text(path: Path, text: str) -> None:
    """Atomically (a reader never sees half a file), under a unique temporary name in the
    same folder; on failure (disk full, read-only) the temporary file is removed, the old
    file stays whole, and the OSError goes up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8", "backslashreplace")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp's 0600 would hide results from the staff
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, doc: Any) -> None:
    write_text(path, json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_all(out: Path, batch: Batch, catalog: Catalog, records: dict[str, dict[str, Any]],
              budget_s: float) -> list[Report]:
    from checker.grade.pages import student_html, summary_html

    reports = build_reports(batch, catalog, records)
    for r in reports:
        folder = out / "students" / r.name
        write_text(folder / "feedback.txt", student_text(r))
        write_json(folder / "feedback.json", student_json(r))
        write_json(folder / "gradescope.json", gradescope(r))
        write_json(folder / "prairielearn.json", prairielearn(r))
        write_text(folder / "feedback.html", student_html(r))
    write_text(out / "gradebook.csv", gradebook_csv(reports, catalog))
    write_json(out / "grades.json", grades_json(reports, catalog))
    write_text(out / "summary.md", summary_md(reports, catalog, budget_s))
    write_text(out / "summary.html", summary_html(reports, catalog, budget_s))
    if batch.layout in ("single", "gradescope") and len(reports) == 1:
        write_json(out / "results.json", gradescope(reports[0]))
    return reports
