"""Grading on a Dask distributed cluster: ``proofcheck grade ... --scheduler ADDRESS``.

Needs ``pip install proofcheck[dask]``. Each Dask task is the same per-submission task as
locally, run through a one-process :class:`~checker.grade.workers.LocalExecutor` kept by the
Dask worker thread (a forked grading process with the same limits, watchdog and isolated
regrade), so a hostile submission can crash or exhaust only that process, never the Dask
worker. Workers must see the submissions and exercises at the same paths (a shared file
system).

The cache is **merged, not shared**: each Dask worker keeps its own SQLite file in its local
directory, seeded at the start with the client's cache, and every task returns the verdicts
it computed, which the client merges into its cache (``--cache``) as results arrive. SQLite
must not be shared over a network file system (WAL needs shared memory on one host, and
network file locks are unreliable), and a shared server (Redis, PostgreSQL) would be one more
service to run. Verdicts are immutable and keyed by content, so merging cannot conflict
(first writer wins); the cost is that two Dask workers may each check an obligation once.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from checker.grade.cache import VerdictStore
from checker.grade.submissions import Job
from checker.grade.task import Settings
from checker.grade.workers import LocalExecutor, Outcome

LOCAL_CACHE = "proofcheck-verdicts.sqlite"
_LOCAL = threading.local()


def _distributed() -> Any:
    """The ``distributed`` module (untyped: reached through Any)."""
    return importlib.import_module("distributed")


def _local_dir(dask_worker: Any | None = None) -> Path:
    if dask_worker is None:
        dask_worker = _distributed().get_worker()
    return Path(dask_worker.local_directory)


def seed_cache(rows: list[tuple[str, str]], dask_worker: Any = None) -> int:
    """Run on every Dask worker before grading: copy the client's cache rows in."""
    store = VerdictStore(_local_dir(dask_worker) / LOCAL_CACHE)
    try:
        return store.put_many(rows)
    finally:
        store.close()


def dask_task(job: Job, settings: Settings, use_cache: bool) -> Outcome:
    """The Dask task: grade one submission in this Dask worker's grading process."""
    executor: LocalExecutor | None = getattr(_LOCAL, "executor", None)
    if executor is None:
        from checker.grade.batch import warm

        warm(Path(settings.exercises))
        path = str(_local_dir() / LOCAL_CACHE) if use_cache else None
        executor = LocalExecutor(replace(settings, cache_path=path, collect_new=True), jobs=1)
        _LOCAL.executor = executor
    outcomes = list(executor.run([job]))
    return outcomes[0]


class DaskExecutor:
    """The same per-submission task, on a Dask cluster."""

    def __init__(self, address: str, settings: Settings,
                 stop: Callable[[], bool] | None = None) -> None:
        try:
            distributed = _distributed()
        except ImportError as exc:
            from checker.grade.batch import GradeError

            raise GradeError("--scheduler needs Dask: pip install 'proofcheck[dask]'") from exc
        self.settings = settings
        self.address = address
        self.client: Any = distributed.Client(address)
        self.crashes = 0
        self.stop = stop or (lambda: False)  # true: end the run early (Ctrl-C)

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        todo = list(jobs)
        if not todo:
            return
        store = None
        use_cache = self.settings.cache_path is not None
        if use_cache:
            store = VerdictStore(str(self.settings.cache_path))
            rows = list(store.rows())
            if rows:
                self.client.run(seed_cache, rows)
        remote = replace(self.settings, cache_path=None)
        futures = [self.client.submit(dask_task, job, remote, use_cache, pure=False,
                                      key=f"proofcheck-grade-{job.fingerprint}")
                   for job in todo]
        pending = list(futures)
        try:
            while pending:  # polled, not as_completed: Ctrl-C (self.stop) is seen at once
                done = [f for f in pending if f.done()]
                for future in done:
                    pending.remove(future)
                    job, record = future.result()
                    self.crashes += bool(record.get("meta", {}).get("isolated"))
                    new = record.pop("new_verdicts", [])
                    if store is not None and new:
                        store.put_many([(str(d), str(v)) for d, v in new])
                    yield job, record
                if self.stop():
                    return
                if not done:
                    time.sleep(0.1)
        finally:
            for future in futures:
                future.cancel()
            if store is not None:
                store.close()

    def close(self) -> None:
        self.client.close()
