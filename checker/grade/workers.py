"""Executors: where the per-submission task runs. The default is local worker processes.

:class:`LocalExecutor` forks ``jobs`` long-lived worker processes (each in its own process
group, with a memory cap and a CPU limit per phase) and talks to each over its own socket, so
a worker that dies is known by name: no pool-wide ``BrokenProcessPool``, no hung
``multiprocessing.Pool``. The parent is the wall-clock watchdog: it reads each worker's
:class:`~checker.grade.task.Beat` and kills the worker's process group when a phase overruns.

A submission whose worker crashed, hung, hit the CPU limit or ran out of memory is graded
again in a fresh worker in *isolated* mode (one process per obligation), so that only the
guilty step becomes ``unknown (resource limit: ...)``. If even that fails, the submission
gets a ``resource-limit`` record (0 points, the reason in its feedback). Either way the
batch goes on.

``stop`` (a callable, read at least every 0.1 s) ends the run early: on Ctrl-C
(:mod:`checker.grade.interrupt`) no more submissions are started, the records the workers have
already sent are still yielded, and :meth:`LocalExecutor.close` kills the busy workers at once.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from checker.grade.cache import VerdictStore
from checker.grade.limits import (
    EXIT_FAILED,
    CpuLimitExceeded,
    describe_exit,
    disarm_cpu,
    limit_memory,
    on_cpu_limit,
)
from checker.grade.submissions import Job
from checker.grade.task import GRACE_S, Beat, Hooks, Settings, failed_record, grade_job

Outcome = tuple[Job, dict[str, Any]]


class Executor(Protocol):
    """Runs the per-submission task on many jobs; yields each (job, record) as it is done."""

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


# parent ends of every worker socket in this process: a forked worker closes them all, so a
# worker sees EOF when its own parent goes away, whoever else forked meanwhile
_PARENT_FDS: set[int] = set()


@dataclass
class _Worker:
    pid: int
    conn: Connection
    beat: Beat
    job: Job | None = None
    isolate: bool = False
    started: float = 0.0
    dead: bool = False


def worker_main(conn: Connection, beat: Beat, settings: Settings) -> int:
    """A worker's life: take (job, isolated) pairs, send records back, until EOF or None."""
    from checker.engines import portfolio

    with contextlib.suppress(OSError):  # the parent kills this group: the worker, its children
        os.setpgid(0, 0)
    faulthandler.disable()  # a crash is reported by the parent, not as a traceback on stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limit_memory(settings.limits.memory_mb)
    on_cpu_limit(exit_now=False)
    hooks = Hooks(settings, beat)
    portfolio.set_cache(hooks)
    served = 0
    while True:
        disarm_cpu()
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return 0
        if msg is None:
            return 0
        job, isolate = msg
        try:
            record = grade_job(job, settings, hooks, isolate)
        except CpuLimitExceeded:
            disarm_cpu()
            conn.send(("limit", f"used more than {hooks.phase_limit:g} s of CPU time"))
            return 0
        except MemoryError:
            conn.send(("limit", f"ran out of memory (limit {settings.limits.memory_mb} MB)"))
            return 0
        served += 1
        retire = served >= settings.recycle_after or record["status"] == "internal-error"
        conn.send(("done", record, retire))
        if retire:
            return 0


class LocalExecutor:
    """``jobs`` worker processes on this machine (default: one per core)."""

    def __init__(self, settings: Settings, jobs: int | None = None,
                 stop: Callable[[], bool] | None = None) -> None:
        self.settings = settings
        self.size = max(1, jobs or os.cpu_count() or 1)
        self.stop = stop or (lambda: False)  # true: end the run early (Ctrl-C)
        self.workers: list[_Worker] = []
        self.crashes = 0  # workers lost (killed, crashed or over a limit)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers
    def _spawn(self) -> _Worker:
        parent_end, child_end = socket.socketpair()
        beat = Beat()
        pid = os.fork()
        if pid == 0:  # the worker
            code = EXIT_FAILED
            try:
                parent_end.close()
                for fd in list(_PARENT_FDS):
                    with contextlib.suppress(OSError):
                        os.close(fd)
                _PARENT_FDS.clear()
                code = worker_main(Connection(child_end.detach()), beat, self.settings)
            except BaseException:
                code = EXIT_FAILED
            finally:
                os._exit(code)
        child_end.close()
        with contextlib.suppress(OSError):  # the worker does it too: whichever runs first
            os.setpgid(pid, pid)
        fd = parent_end.detach()
        _PARENT_FDS.add(fd)
        w = _Worker(pid, Connection(fd), beat)
        self.workers.append(w)
        return w

    def _bury(self, w: _Worker, kill: bool) -> int:
        """Stop a worker (and its isolated children); its wait status."""
        if kill:
            self._kill(w)
        _PARENT_FDS.discard(w.conn.fileno())
        w.conn.close()
        try:
            _, status = os.waitpid(w.pid, 0)
        except ChildProcessError:
            status = 0
        w.dead = True
        self.workers.remove(w)
        self._release_claims(w.pid)
        return status

    @staticmethod
    def _kill(w: _Worker) -> None:
        try:
            os.killpg(w.pid, signal.SIGKILL)
        except OSError:  # not yet its own group leader
            with contextlib.suppress(OSError):
                os.kill(w.pid, signal.SIGKILL)

    def _release_claims(self, pid: int) -> None:
        """Obligations a lost worker was checking: let the others check them."""
        if self.settings.cache_path is None:
            return
        store = VerdictStore(self.settings.cache_path)
        store.release_owner(pid)
        store.close()

    def close(self) -> None:
        busy = [w for w in self.workers if w.job is not None]
        for w in busy:  # stopped in the middle of a submission (Ctrl-C): no use waiting;
            self._kill(w)  # all killed first, so that a second Ctrl-C cannot leave one behind
        for w in busy:
            self._bury(w, kill=True)
        for w in list(self.workers):
            if not w.dead:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        deadline = time.monotonic() + 2.0
        for w in list(self.workers):
            while time.monotonic() < deadline:
                pid, _ = os.waitpid(w.pid, os.WNOHANG)
                if pid:
                    _PARENT_FDS.discard(w.conn.fileno())
                    w.conn.close()
                    w.dead = True
                    self.workers.remove(w)
                    break
                time.sleep(0.01)
            else:
                self._bury(w, kill=True)

    # -- the loop
    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        queue: deque[tuple[Job, bool]] = deque((j, False) for j in jobs)
        limits = self.settings.limits
        while queue or any(w.job is not None for w in self.workers):
            if self.stop():
                yield from self._sent()
                return
            idle = [w for w in self.workers if w.job is None]
            while queue and (idle or len(self.workers) < self.size):
                w = idle.pop() if idle else self._spawn()
                job, isolate = queue.popleft()
                now = time.monotonic()
                w.beat.write(now, limits.between_s, now)
                w.job, w.isolate, w.started = job, isolate, now
                with contextlib.suppress(OSError):  # a dead worker is found below
                    w.conn.send((job, isolate))
            busy = [w for w in self.workers if w.job is not None]
            ready = wait([w.conn for w in busy], timeout=0.1)
            now = time.monotonic()
            for w in busy:
                if w.job is None:
                    continue
                job = w.job
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg is not None and msg[0] == "done":
                        w.job = None
                        if msg[2]:
                            self._bury(w, kill=False)
                        if msg[1]["status"] == "internal-error" and not w.isolate:
                            queue.appendleft((job, True))  # once more, in fresh processes
                            continue
                        yield job, msg[1]
                        continue
                    reason = None if msg is None else str(msg[1])
                    status = self._bury(w, kill=msg is None)
                    why = reason or describe_exit(status, False, limits, limits.timeout_s)
                    yield from self._failed(job, w, why, queue, now)
                    continue
                phase_start, phase_limit, _ = w.beat.read()
                if now - w.started > limits.submission_s:
                    self._bury(w, kill=True)
                    why = f"took longer than {limits.submission_s:g} s in all"
                    self.crashes += 1
                    yield job, failed_record(job, why, w.isolate, now - w.started)
                elif now - phase_start > phase_limit + GRACE_S:
                    self._bury(w, kill=True)
                    why = describe_exit(0, True, limits, phase_limit)
                    yield from self._failed(job, w, why, queue, now)

    def _sent(self) -> Iterator[Outcome]:
        """When stopping: the records that busy workers have already sent (not yet read)."""
        busy = [w for w in self.workers if w.job is not None]
        ready = wait([w.conn for w in busy], timeout=0)
        for w in busy:
            if w.conn not in ready:
                continue
            try:
                msg = w.conn.recv()
            except (EOFError, OSError):
                continue
            job = w.job
            if job is None or msg[0] != "done" or msg[1]["status"] == "internal-error":
                continue  # a limit or a failure: graded again (isolated) by the next run
            w.job = None
            if msg[2]:
                self._bury(w, kill=False)
            yield job, msg[1]

    def _failed(self, job: Job, w: _Worker, why: str, queue: deque[tuple[Job, bool]],
                now: float) -> Iterator[Outcome]:
        self.crashes += 1
        if not w.isolate:
            queue.appendleft((job, True))  # again, one process per obligation
            return
        yield job, failed_record(job, why, True, now - w.started)
