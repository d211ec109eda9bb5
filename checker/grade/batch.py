"""``proofcheck grade``: find submissions, grade what is not graded yet, write the outputs.

A short driver: :mod:`submissions` finds the jobs, an executor (:mod:`workers` or
:mod:`dask_executor`) runs the per-submission task (:mod:`task`), each record is written to
``OUT/records/`` the moment it arrives (so an interrupted run loses nothing it finished), and
:mod:`exports` turns the records into feedback, platform results, the gradebook and the
summary. A rerun skips every job whose record has the same fingerprint.

RESULTS is locked for the run (``.proofcheck.lock``), remembers which submissions folder it
holds (``.proofcheck-class.json``: another class needs ``--force``), and every file in it is
written atomically under a unique temporary name; any failure to write is one line (exit 2).

Ctrl-C or SIGTERM stops the run cleanly (:mod:`interrupt`): the signal only sets a flag, read
by the executor's loop, so it cannot be lost where Python cannot raise (a gc callback, a
finalizer); the finished records stay, and the run raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from checker.diagnostics import CheckerError
from checker.exercises import Catalog
from checker.grade import exports
from checker.grade.cache import VerdictStore
from checker.grade.interrupt import StopSignals
from checker.grade.limits import Limits
from checker.grade.names import short, visible, visible_doc
from checker.grade.progress import Progress
from checker.grade.submissions import LAYOUTS, Batch, Job, LayoutError, discover
from checker.grade.task import RECORD_FORMAT, Settings
from checker.grade.workers import Executor, LocalExecutor

LOCK_FILE = ".proofcheck.lock"
CLASS_FILE = ".proofcheck-class.json"
# what the grader writes in students/<name>/: only these are removed with a stale student
STUDENT_FILES = ("feedback.txt", "feedback.json", "feedback.html", "gradescope.json",
                 "prairielearn.json")


class GradeError(Exception):
    """A batch that cannot start (no exercises, no submissions folder, ...) or cannot write
    its results; ``code`` names the case in the one-line message."""

    def __init__(self, message: str, code: str = "usage") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Options:
    submissions: Path
    out: Path
    exercises: Path | None = None  # default: the shipped exercises/
    jobs: int | None = None  # worker processes (default: one per core)
    budget_s: float = 2.0
    limits: Limits = field(default_factory=Limits)
    cache: bool = True
    cache_path: Path | None = None  # default: OUT/cache.sqlite
    force: bool = False  # regrade everything; also needed to grade another class into out
    layout: str = "auto"  # "auto", "folders", "gradescope" or "single"
    scheduler: str | None = None  # a Dask scheduler address: grade on that cluster
    progress: bool = True
    stream: TextIO | None = None  # progress goes here (default: stderr)


@dataclass
class Summary:
    """What one run did (also written to OUT/run.json)."""

    students: int = 0
    submissions: int = 0
    graded: int = 0
    skipped: int = 0
    not_graded: int = 0  # resource-limit or internal-error records
    obligations: int = 0
    computed: int = 0
    cache_hits: int = 0
    isolated: int = 0
    workers_lost: int = 0
    wall_s: float = 0.0
    cache_entries: int = 0
    cache_errors: int = 0
    layout: str = ""  # the detected layout, in words
    warnings: list[str] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.obligations if self.obligations else 0.0

    def text(self, out: Path) -> str:
        lines = [self.layout] if self.layout else []
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [
            f"graded {self.graded} submission(s) of {self.students} student(s) in "
            f"{self.wall_s:.1f} s" + (f"; {self.skipped} already graded, skipped"
                                      if self.skipped else ""),
            f"obligations: {self.obligations} ({self.cache_hits} from the cache, "
            f"{self.hit_rate:.0%}; {self.computed} checked)",
        ]
        if self.isolated:
            lines.append(f"{self.isolated} submission(s) regraded one step per process after "
                         f"a worker was lost ({self.workers_lost} lost in all)")
        if self.not_graded:
            lines.append(f"{self.not_graded} submission(s) could not be graded (0 points, "
                         "reason in their feedback)")
        lines.append(f"results in {visible(str(out))}: gradebook.csv, summary.md, summary.html, "
                     "grades.json, students/<id>/feedback.txt, feedback.html"
                     + (", results.json"
                                                      if (out / "results.json").exists() else ""))
        return "\n".join(lines)


def catalog_digest(catalog: Catalog) -> str:
    h = hashlib.sha256()
    for ex in sorted(catalog.exercises.values(), key=lambda e: e.id):
        toml = ex.folder / "exercise.toml"
        h.update(ex.id.encode() + b"\0")
        with contextlib.suppress(OSError):
            h.update(toml.read_bytes())
    return h.hexdigest()


def limits_tag(limits: Limits) -> str:
    return f"timeout {limits.timeout_s:g} s, memory {limits.memory_mb} MB"


def record_path(out: Path, job: Job) -> Path:
    return out / "records" / (job.key + ".json")


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_record(path: Path, record: dict[str, Any]) -> None:
    exports.write_json(path, record)


def _roots(paths: list[Path] | None) -> Path | None:
    """``--exercises`` given once or several times, as the one path the workers carry."""
    from checker.exercises import joined_roots

    return joined_roots(paths) if paths else None


def warm(exercises: Path) -> None:
    """Import the engines and load the library and catalog before forking the workers,
    so each starts warm (fork shares all of it)."""
    import checker.check
    import checker.report  # noqa: F401
    from checker.engines import intervals, search, sympy_engine, z3_engine  # noqa: F401
    from checker.exercises import load_catalog_cached
    from checker.library.theorems import default_library
    from checker.syntax import latex

    latex.warm()  # LaTeX homework (.tex) and $...$ in proofs: build the grammar once
    default_library()
    load_catalog_cached(exercises)


def grade(opts: Options) -> Summary:
    """Grade a batch; raises GradeError when it cannot start or cannot write its results
    (one line, nothing half-written), KeyboardInterrupt when interrupted (every finished
    submission is already saved).

    While it runs, SIGINT and SIGTERM (when their handlers are Python's defaults, in the main
    thread) only ask the run to stop: it stops within about 0.1 s, kills its busy workers and
    raises KeyboardInterrupt; a second signal raises at once. The handlers are restored after."""
    with StopSignals() as stop:
        return _grade_batch(opts, stop)


def _grade_batch(opts: Options, stop: StopSignals) -> Summary:
    from checker import __version__
    from checker.exercises import default_root, joined_roots, load_catalog_cached, split_roots

    started = time.monotonic()
    exercises = joined_roots([p.resolve() for p in split_roots(opts.exercises or default_root())])
    if opts.layout not in LAYOUTS:
        raise GradeError(f"--layout must be one of {', '.join(LAYOUTS)}")
    if not opts.submissions.is_dir():
        raise GradeError(f"{visible(str(opts.submissions))} is not a folder of submissions")
    for part in split_roots(exercises):
        if not part.exists():
            raise GradeError(f"{visible(str(part))} does not exist")
    submissions = opts.submissions.resolve()
    out = opts.out.resolve()
    _check_places(submissions, out)
    catalog = load_catalog_cached(exercises)
    if catalog.diagnostics:
        raise CheckerError(catalog.diagnostics)
    if not catalog.exercises:
        raise GradeError(f"no exercise.toml under {visible(str(exercises))}")
    base = f"{__version__}\n{catalog_digest(catalog)}\n{opts.budget_s:g}\n{RECORD_FORMAT}"
    try:  # before RESULTS is touched: a refused layout leaves nothing behind
        batch = discover(submissions, base, exclude=out, layout=opts.layout)
    except LayoutError as exc:
        raise GradeError(str(exc), exc.code) from None
    try:
        stop.check()
        with OutputLock(out):
            return _grade(opts, batch, out, exercises, catalog, started, stop)
    except OSError as exc:
        raise GradeError(*_os_error(out, exc)) from None


_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                 errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG)


def _os_error(out: Path, exc: OSError) -> tuple[str, str]:
    """One line for a system error while grading (never a traceback)."""
    where = visible(str(exc.filename), keep="") if exc.filename else visible(str(out))
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in _WRITE_ERRORS:
        return (f"cannot write the results in {visible(str(out), keep='')} ({where}: {what}); "
                "every file already there is whole: free some space or fix the permissions, "
                "then run the same command again"), "cannot-write"
    return (f"grading stopped: {where}: {what}; every submission finished so far is saved: "
            "run the same command again"), "system-error"


def _check_places(submissions: Path, out: Path) -> None:
    """The results folder is never the submissions folder, inside it, or around it."""
    if out == submissions or out.is_relative_to(submissions):
        raise GradeError(f"--out {visible(str(out))} is the submissions folder or inside it "
                         f"({visible(str(submissions))}): its files would be read as students'; "
                         "choose a folder outside it", "out-in-submissions")
    if submissions.is_relative_to(out):
        raise GradeError(f"the submissions folder {visible(str(submissions))} is inside --out "
                         f"{visible(str(out))}: cleaning the results could delete submissions; "
                         "choose another --out", "submissions-in-out")


class OutputLock:
    """An exclusive lock on RESULTS for one run (``RESULTS/.proofcheck.lock``, flock): a
    second run on the same folder stops at once with a clear message. The lock goes with the
    process, so a killed run never leaves a stale one."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.fd = -1

    def __enter__(self) -> OutputLock:
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            try:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            raise GradeError(
                f"another proofcheck grade run is writing to {visible(str(self.out))}"
                + (f" (process {holder})" if holder.isdigit() else "")
                + ": wait for it to finish, or choose another --out", "out-locked") from None
        self.fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the lock (forked workers are gone by now)
            self.fd = -1


def _previous_class(out: Path) -> str | None:
    """The submissions folder whose results are in ``out`` (None: none yet)."""
    for name in (CLASS_FILE, "run.json"):
        doc = read_record(out / name)
        if doc is not None and isinstance(doc.get("submissions_folder"), str):
            return str(doc["submissions_folder"])
    return None


def _grade(opts: Options, batch: Batch, out: Path, exercises: Path, catalog: Catalog,
           started: float, stop: StopSignals) -> Summary:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    previous = _previous_class(out)
    if previous is not None and previous != str(batch.root) and not opts.force:
        raise GradeError(
            f"{visible(str(out))} holds the results of another submissions folder "
            f"({visible(previous)}); grading {visible(str(batch.root))} into it would replace "
            "them: add --force to do that, or choose another --out", "another-class")
    exports.write_json(out / CLASS_FILE, {"submissions_folder": str(batch.root),
                                          "layout": batch.layout})
    progress = Progress(len(batch.jobs), opts.stream, opts.progress)
    progress.message(batch.describe())
    warnings = list(batch.problems)
    for line in warnings:
        progress.message("warning: " + line)

    todo: list[Job] = []
    records: dict[str, dict[str, Any]] = {}
    limits = limits_tag(opts.limits)
    for job in batch.jobs:
        rec = None if opts.force else read_record(record_path(out, job))
        if rec is not None and rec.get("fingerprint") == job.fingerprint and (
                not rec.get("resource_limits") or rec.get("limits") == limits):
            records[job.key] = rec
        else:  # new, changed, or cut short by limits that have changed since
            todo.append(job)
    remove_stale(out, batch)

    cache_path = None
    if opts.cache:
        cache_path, problem = open_cache((opts.cache_path or out / "cache.sqlite").resolve())
        if problem:
            warnings.append(problem)
            progress.message("warning: " + problem)
    settings = Settings(str(exercises), opts.budget_s, opts.limits,
                        None if cache_path is None else str(cache_path))
    summary = Summary(students=len(batch.students), submissions=len(batch.jobs),
                      skipped=len(batch.jobs) - len(todo), layout=batch.describe(),
                      warnings=warnings)
    progress.skip(summary.skipped)
    executor: Executor
    if opts.scheduler:
        from checker.grade.dask_executor import DaskExecutor

        executor = DaskExecutor(opts.scheduler, settings, stop=lambda: stop.requested)
    else:
        if todo:
            warm(exercises)
        executor = LocalExecutor(settings, opts.jobs, stop=lambda: stop.requested)
    try:
        stop.check()
        for job, raw in executor.run(todo):
            record: dict[str, Any] = visible_doc(raw)
            record["limits"] = limits
            write_record(record_path(out, job), record)
            records[job.key] = record
            _count(summary, record)
            progress.advance(f"{short(job.student)}/{short(job.file)}: {_outcome(record)}")
        stop.check()  # the executor ended early: the run is interrupted, not finished
    finally:
        executor.close()
        progress.close()
        summary.workers_lost = getattr(executor, "crashes", 0)
    if summary.cache_errors:
        warnings.append(f"the verdict cache failed {summary.cache_errors} time(s) during the "
                        "run (those verdicts were checked or dropped, not shared)")
    summary.not_graded = sum(r["status"] in ("resource-limit", "internal-error")
                             for r in records.values())
    exports.write_all(out, batch, catalog, records, opts.budget_s)
    if cache_path is not None:
        store = VerdictStore(cache_path)
        summary.cache_entries = store.count()
        store.close()
    summary.wall_s = round(time.monotonic() - started, 2)
    exports.write_json(out / "run.json", {
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "layout": batch.layout, "submissions_folder": str(batch.root),
        "exercises": str(exercises),
        "executor": opts.scheduler or f"local ({getattr(executor, 'size', 1)} workers)",
        "budget_s": opts.budget_s, "limits": vars(opts.limits),
        "cache": None if cache_path is None else str(cache_path),
        **{k: v for k, v in vars(summary).items() if k != "layout"},
        "hit_rate": round(summary.hit_rate, 4),
    })
    return summary


def open_cache(path: Path) -> tuple[Path | None, str]:
    """The verdict cache, ready for the workers; (None, why) when it cannot be used: the run
    goes on without it (it is an optimisation, never a point of failure)."""
    store = VerdictStore(path)
    try:
        store.init()
        store.clear_claims()  # left by an interrupted run
    except (sqlite3.Error, OSError) as exc:
        return None, (f"the verdict cache {visible(str(path))} cannot be used "
                      f"({visible(str(exc), keep='') or type(exc).__name__}); grading without "
                      "it (every obligation is checked)")
    finally:
        store.close()
    return path, ""


def _count(summary: Summary, record: dict[str, Any]) -> None:
    summary.graded += 1
    meta = record.get("meta", {})
    summary.obligations += int(meta.get("obligations", 0))
    summary.computed += int(meta.get("computed", 0))
    summary.cache_hits += int(meta.get("cache_hits", 0))
    summary.isolated += bool(meta.get("isolated"))
    summary.cache_errors += int(meta.get("cache_errors", 0))


def _outcome(record: dict[str, Any]) -> str:
    a = record.get("assessment")
    if a:
        return f"{a['exercise']} {a['score']:g}/{a['max_score']:g}"
    return str(record["status"])


def remove_stale(out: Path, batch: Batch) -> None:
    """Records of files no longer in the submissions, and the feedback folders of students
    no longer in them, would be counted or read: remove them. Only what the grader writes
    is removed (records, its five feedback files, temporary files), nothing else."""
    records = out / "records"
    keep = {record_path(out, j) for j in batch.jobs}
    if records.is_dir():
        for path in sorted(records.rglob("*"), reverse=True):
            if path.is_symlink() or path.is_file():
                if path not in keep and path.name.endswith((".json", ".tmp")):
                    path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    students = out / "students"
    names = {s.name for s in batch.students}
    if students.is_dir():
        for folder in sorted(students.iterdir()):
            if folder.is_symlink() or not folder.is_dir():
                continue
            stale = folder.name not in names
            for item in folder.iterdir():
                if item.name.endswith(".tmp") or (stale and item.name in STUDENT_FILES):
                    item.unlink()
            if stale and not any(folder.iterdir()):
                folder.rmdir()
    for item in out.glob(".*.tmp"):  # left by a run that was killed while writing
        item.unlink()


def cmd_grade(args: Any) -> tuple[str, int]:
    """The ``proofcheck grade`` command (see checker/cli.py for its options)."""
    if args.jobs is not None and args.jobs < 1:
        return "proofcheck: error: --jobs must be at least 1", 2
    from checker.timelimit import hard_seconds

    # above the portfolio's own wall-clock safety cap, so that a check that reaches it ends
    # with the portfolio's "time limit" verdict, not the worker being stopped
    timeout = args.timeout if args.timeout is not None else max(10.0, hard_seconds(args.budget) + 5)
    opts = Options(
        submissions=args.submissions, out=args.out, jobs=args.jobs,
        exercises=_roots(args.exercises),
        budget_s=args.budget, limits=Limits(timeout_s=timeout, memory_mb=args.memory),
        cache=not args.no_cache, cache_path=args.cache, force=args.force,
        layout=getattr(args, "layout", None) or "auto", scheduler=args.scheduler)
    try:  # Ctrl-C and SIGTERM: see grade()
        summary = grade(opts)
    except GradeError as exc:
        return f"proofcheck: error: {exc} [{exc.code}]", 2
    except CheckerError as exc:
        return "\n".join(d.format() for d in exc.diagnostics), 2
    except OSError as exc:
        message, code = _os_error(opts.out.absolute(), exc)
        return f"proofcheck: error: {message} [{code}]", 2
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        detail = visible(f"{type(exc).__name__}: {exc}", keep="")[:200]
        return (f"proofcheck: error: the grader failed ({detail}); every submission finished "
                "so far is saved; please report this [internal-error]"), 2
    except KeyboardInterrupt:
        return ("proofcheck: interrupted; every submission finished so far is saved: run the "
                "same command again to grade the rest"), 130
    return summary.text(opts.out), 1 if summary.not_graded else 0


