"""``proofcheck grade``: find submissions, grade what is not graded yet, write the outputs.

A short driver: :mod:`submissions` finds the jobs, an executor (:mod:`workers` or
:mod:`dask_executor`) runs the per-submission task (:mod:`task`), each record is written to
``OUT/records/`` the moment it arrives (so an interrupted run loses nothing it finished), and
:mod:`exports` turns the records into feedback, platform results, the gradebook and the
summary. A rerun skips every job whose record has the same fingerprint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from checker.diagnostics import CheckerError
from checker.exercises import Catalog
from checker.grade import exports
from checker.grade.cache import VerdictStore
from checker.grade.limits import Limits
from checker.grade.progress import Progress
from checker.grade.submissions import Batch, Job, discover
from checker.grade.task import RECORD_FORMAT, Settings
from checker.grade.workers import Executor, LocalExecutor


class GradeError(Exception):
    """A batch that cannot start (no exercises, no submissions folder, ...)."""


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
    force: bool = False
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

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.obligations if self.obligations else 0.0

    def text(self, out: Path) -> str:
        lines = [
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
        lines.append(f"results in {out}: gradebook.csv, summary.md, grades.json, "
                     "students/<id>/feedback.txt" + (", results.json"
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


def warm(exercises: Path) -> None:
    """Import the engines and load the library and catalog before forking the workers,
    so each starts warm (fork shares all of it)."""
    import checker.check
    import checker.report  # noqa: F401
    from checker.engines import intervals, search, sympy_engine, z3_engine  # noqa: F401
    from checker.exercises import load_catalog_cached
    from checker.library.theorems import default_library

    default_library()
    load_catalog_cached(exercises)


def grade(opts: Options) -> Summary:
    """Grade a batch; raises GradeError when it cannot start, KeyboardInterrupt when
    interrupted (every finished submission is already saved)."""
    from checker import __version__
    from checker.exercises import default_root, load_catalog_cached

    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    exercises = (opts.exercises or default_root()).resolve()
    if not opts.submissions.is_dir():
        raise GradeError(f"{opts.submissions} is not a folder of submissions")
    if not exercises.exists():
        raise GradeError(f"{exercises} does not exist")
    catalog = load_catalog_cached(exercises)
    if catalog.diagnostics:
        raise CheckerError(catalog.diagnostics)
    if not catalog.exercises:
        raise GradeError(f"no exercise.toml under {exercises}")
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    base = f"{__version__}\n{catalog_digest(catalog)}\n{opts.budget_s:g}\n{RECORD_FORMAT}"
    batch = discover(opts.submissions, base, exclude=out)

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
    _remove_stale(out, batch)

    cache_path = None
    if opts.cache:
        cache_path = (opts.cache_path or out / "cache.sqlite").resolve()
        store = VerdictStore(cache_path)
        store.init()
        store.clear_claims()  # left by an interrupted run
        store.close()
    settings = Settings(str(exercises), opts.budget_s, opts.limits,
                        None if cache_path is None else str(cache_path))
    summary = Summary(students=len(batch.students), submissions=len(batch.jobs),
                      skipped=len(batch.jobs) - len(todo))
    progress = Progress(len(batch.jobs), opts.stream, opts.progress)
    progress.skip(summary.skipped)
    executor: Executor
    if opts.scheduler:
        from checker.grade.dask_executor import DaskExecutor

        executor = DaskExecutor(opts.scheduler, settings)
    else:
        if todo:
            warm(exercises)
        executor = LocalExecutor(settings, opts.jobs)
    try:
        for job, record in executor.run(todo):
            record["limits"] = limits
            write_record(record_path(out, job), record)
            records[job.key] = record
            _count(summary, record)
            progress.advance(f"{job.student}/{job.file}: {_outcome(record)}")
    finally:
        executor.close()
        progress.close()
        summary.workers_lost = getattr(executor, "crashes", 0)
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
        **{k: v for k, v in vars(summary).items()}, "hit_rate": round(summary.hit_rate, 4),
    })
    return summary


def _count(summary: Summary, record: dict[str, Any]) -> None:
    summary.graded += 1
    meta = record.get("meta", {})
    summary.obligations += int(meta.get("obligations", 0))
    summary.computed += int(meta.get("computed", 0))
    summary.cache_hits += int(meta.get("cache_hits", 0))
    summary.isolated += bool(meta.get("isolated"))


def _outcome(record: dict[str, Any]) -> str:
    a = record.get("assessment")
    if a:
        return f"{a['exercise']} {a['score']:g}/{a['max_score']:g}"
    return str(record["status"])


def _remove_stale(out: Path, batch: Batch) -> None:
    """Records of files no longer in the submissions would be counted: remove them."""
    root = out / "records"
    if not root.is_dir():
        return
    keep = {str(record_path(out, j)) for j in batch.jobs}
    for path in root.rglob("*"):
        if path.is_file() and str(path) not in keep:
            path.unlink()
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def cmd_grade(args: Any) -> tuple[str, int]:
    """The ``proofcheck grade`` command (see checker/cli.py for its options)."""
    import signal

    if args.jobs is not None and args.jobs < 1:
        return "proofcheck: error: --jobs must be at least 1", 2
    timeout = args.timeout if args.timeout is not None else max(10.0, 5 * args.budget)
    opts = Options(
        submissions=args.submissions, out=args.out, exercises=args.exercises, jobs=args.jobs,
        budget_s=args.budget, limits=Limits(timeout_s=timeout, memory_mb=args.memory),
        cache=not args.no_cache, cache_path=args.cache, force=args.force,
        scheduler=args.scheduler)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        summary = grade(opts)
    except GradeError as exc:
        return f"proofcheck: error: {exc}", 2
    except CheckerError as exc:
        return "\n".join(d.format() for d in exc.diagnostics), 2
    except KeyboardInterrupt:
        return ("proofcheck: interrupted; every submission finished so far is saved: run the "
                "same command again to grade the rest"), 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return summary.text(opts.out), 1 if summary.not_graded else 0


