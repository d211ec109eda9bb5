"""The playground's bounded pool of worker processes and its fair queue.

* Each check runs in a worker process (``checker.serve.worker``) under the request's limits;
  the parent kills a worker that overruns its wall-clock limit by ``GRACE_S``.
* Requests wait in one queue per client. A client has at most ``per_client_running``
  checks running and ``per_client_queued`` waiting: a newer text supersedes the oldest waiting
  one (it gets a ``superseded`` answer at once: an editor only needs the latest version). At
  most ``max_queued`` requests wait in all; beyond that a request is refused with
  ``server-busy``.
* The next request comes from a client whose requests are usually quick (their duration's
  moving average is under ``LIGHT_S``: an editor's, not a hostile loop's), then from the
  waiting client that has used the least worker time lately (decayed with a half-life of
  ``HALF_LIFE_S``): a client that sends slow, hostile proofs in a loop waits behind everyone.
* When every worker has been busy for longer than ``burst_after_s``, extra workers start (up
  to ``max_workers``); for a quick client at once, and up to ``light_reserve`` more: a quick
  request does not wait for slow ones to finish. A request that has run longer than
  ``SLOW_S`` is lowered in CPU priority (nice ``NICE``), and its worker is retired when it is
  done (a process cannot raise its priority again), so quick checks keep the CPU.
* When even those are taken, a quick request stops the longest-running request of a client
  that a limit stopped in the last ``STOPPED_MEMORY_S`` (a hostile loop), or of a new client
  running longer than ``PREEMPT_AFTER_S``: that one is answered ``server-busy`` and, its
  verdicts being cached, goes on from there when sent again.
* The last answers are kept by text (an LRU of ``RESPONSES`` entries, ``RESPONSE_BYTES`` in
  all), and repeated texts are answered without a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from checker.serve.worker import WorkerSettings, error_doc

GRACE_S = 2.0
HALF_LIFE_S = 30.0
SLOW_S = 1.0
LIGHT_S = 2.0  # a client whose requests usually take less than this is served first
NICE = 15  # the CPU priority of a request that has run longer than SLOW_S
PREEMPT_AFTER_S = 4.0  # a new client's request running this long may be stopped
STOPPED_MEMORY_S = 300.0  # a client stopped by a limit this recently may be stopped again
RESPONSES = 512  # answers kept by text, at most this many and RESPONSE_BYTES in all
RESPONSE_BYTES = 64 * 1024 * 1024
PRELOAD = ["checker.session", "checker.check", "checker.assess", "checker.engines.portfolio",
           "checker.serve.worker", "checker.grade.cache", "checker.grade.limits",
           "checker.serve.warm"]


class Busy(Exception):
    """The server cannot take another request now (the queue is full or it is stopping)."""


@dataclass(frozen=True)
class PoolSettings:
    worker: WorkerSettings
    min_workers: int = 2
    max_workers: int = 4
    per_client_running: int = 1
    per_client_queued: int = 2
    max_queued: int = 64
    burst_after_s: float = 0.5
    light_reserve: int = 2  # workers beyond max_workers that only quick clients may start


@dataclass
class _Job:
    client: str
    text: str
    seed: int | None
    future: asyncio.Future[dict[str, Any]]
    queued_at: float = field(default_factory=time.monotonic)


class _Worker:
    def __init__(self, ctx: Any, settings: WorkerSettings) -> None:
        from checker.serve.worker import main

        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=main, args=(child, settings), daemon=True,
                                name="proofcheck-serve-worker")
        self.proc.start()
        child.close()
        self.conn: multiprocessing.connection.Connection = parent
        self.since = 0.0
        self.client: str | None = None
        self.demoted = False
        self.preempted = False  # stopped to make room for a quick request
        self.alive = True
        self.idle_since = time.monotonic()

    def call(self, text: str, seed: int | None, timeout_s: float) -> dict[str, Any]:
        """Send one document and wait for its report (blocking: run it in a thread)."""
        try:
            self.conn.send((text, seed))
            if self.conn.poll(timeout_s + GRACE_S):
                doc: dict[str, Any] = self.conn.recv()
                return doc
            self.kill()
            return error_doc("check-time-limit", limit=timeout_s)
        except (EOFError, OSError, BrokenPipeError):
            self.kill()
            if self.preempted:
                return error_doc("server-busy", detail="this check was stopped to let quicker "
                                 "ones run; what it checked is kept, so sending the text "
                                 "again goes on from there")
            code = self.proc.exitcode
            why = ("was killed (out of memory?)" if code == -9 else
                   f"stopped unexpectedly (exit code {code})")
            return error_doc("check-resource-limit", why=why)

    def kill(self) -> None:
        self.alive = False
        with contextlib.suppress(OSError, ValueError):
            self.proc.kill()
        self.proc.join(2.0)
        with contextlib.suppress(OSError):
            self.conn.close()

    def stop(self) -> None:
        self.alive = False
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.proc.join(1.0)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(OSError):
            self.conn.close()


def _stop_all(idle: list[_Worker], busy: list[_Worker], grace_s: float = 1.0) -> None:
    """Stop every worker at once (one at a time took 3-6 s on Ctrl-C): a busy one is killed
    (its job was answered "the server is stopping"), an idle one asked to exit and given
    ``grace_s`` in all, then killed."""
    for w in busy:
        w.alive = False
        with contextlib.suppress(OSError, ValueError):
            w.proc.kill()
    for w in idle:
        w.alive = False
        with contextlib.suppress(OSError, ValueError):
            w.conn.send(None)
    deadline = time.monotonic() + grace_s
    for w in idle:
        w.proc.join(max(0.0, deadline - time.monotonic()))
    for w in [*idle, *busy]:
        if w.proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                w.proc.kill()
        w.proc.join(2.0)
        with contextlib.suppress(OSError):
            w.conn.close()


class Pool:
    """Checks documents in worker processes, fairly between clients (see the module doc)."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(PRELOAD)
        self.idle: list[_Worker] = []
        self.busy: set[_Worker] = set()
        self.queues: dict[str, deque[_Job]] = {}
        self.running: dict[str, int] = {}
        self.usage: dict[str, tuple[float, float]] = {}  # client -> (worker-seconds, when)
        self.typical: dict[str, float] = {}  # client -> its requests' usual duration (EWMA)
        self.stopped: dict[str, float] = {}  # client -> when a limit last stopped its check
        self.responses: OrderedDict[tuple[str, int | None], str] = OrderedDict()
        self.response_bytes = 0
        self.threads = ThreadPoolExecutor(max_workers=settings.max_workers + 8,
                                          thread_name_prefix="proofcheck-serve")
        self.closed = False
        self.stats = {"requests": 0, "answered": 0, "from_memory": 0, "superseded": 0,
                      "refused": 0, "time_limits": 0, "preempted": 0, "workers_started": 0,
                      "workers_killed": 0}
        self._ticker: asyncio.Task[None] | None = None

    # -- life
    async def start(self) -> None:
        """Start the minimum number of workers (the first start launches the fork server,
        which imports the checker once: a few seconds). A closed pool may start again."""
        self.closed = False
        self.threads = ThreadPoolExecutor(max_workers=self.settings.max_workers + 8,
                                          thread_name_prefix="proofcheck-serve")
        started = await asyncio.get_running_loop().run_in_executor(
            self.threads, lambda: [self._spawn() for _ in range(self.settings.min_workers)])
        self.idle.extend(started)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def close(self) -> None:
        self.closed = True
        if self._ticker is not None:
            self._ticker.cancel()
        for q in self.queues.values():
            for job in q:
                if not job.future.done():
                    job.future.set_result(error_doc("server-busy",
                                                    detail="the server is stopping"))
        self.queues.clear()
        idle, busy = list(self.idle), list(self.busy)
        await asyncio.get_running_loop().run_in_executor(self.threads, _stop_all, idle, busy)
        self.idle.clear()
        self.threads.shutdown(wait=False, cancel_futures=True)

    def _spawn(self) -> _Worker:
        self.stats["workers_started"] += 1
        return _Worker(self.ctx, self.settings.worker)

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def health(self) -> dict[str, Any]:
        return {"status": "stopping" if self.closed else "ok",
                "workers": len(self.idle) + len(self.busy), "busy": len(self.busy),
                "queued": self.queued, "clients_waiting": len(self.queues), **self.stats}

    # -- requests
    async def check(self, client: str, text: str, seed: int | None) -> dict[str, Any]:
        """The report of ``text`` (JSON-ready), or a coded error. Raises ``Busy``."""
        self.stats["requests"] += 1
        known = self.responses.get((text, seed))
        if known is not None:
            self.responses.move_to_end((text, seed))
            self.stats["from_memory"] += 1
            doc: dict[str, Any] = json.loads(known)
            doc["stats"] = {"computed": 0, "cached": 0, "time_s": 0.0, "from_memory": True}
            return doc
        if self.closed:
            raise Busy("the server is stopping")
        q = self.queues.setdefault(client, deque())
        while len(q) >= self.settings.per_client_queued:
            old = q.popleft()
            self.stats["superseded"] += 1
            if not old.future.done():
                old.future.set_result(error_doc("request-superseded"))
        if self.queued >= self.settings.max_queued:
            if not q:
                del self.queues[client]
            self.stats["refused"] += 1
            raise Busy(f"{self.queued} requests are waiting (the limit is "
                       f"{self.settings.max_queued})")
        job = _Job(client, text, seed, asyncio.get_running_loop().create_future())
        q.append(job)
        self._dispatch()
        try:
            return await job.future
        except asyncio.CancelledError:  # the client went away: forget its waiting request
            waiting = self.queues.get(client)
            if waiting is not None and job in waiting:
                waiting.remove(job)
                if not waiting:
                    del self.queues[client]
            raise

    def _usage(self, client: str) -> float:
        used, when = self.usage.get(client, (0.0, 0.0))
        return float(used * 0.5 ** ((time.monotonic() - when) / HALF_LIFE_S))

    def _charge(self, client: str, seconds: float) -> None:
        self.usage[client] = (self._usage(client) + seconds, time.monotonic())
        if len(self.usage) > 10_000:  # forget the oldest clients
            for c in sorted(self.usage, key=lambda c: self.usage[c][1])[:5_000]:
                del self.usage[c]
                self.typical.pop(c, None)
                self.stopped.pop(c, None)

    def _light(self, client: str) -> bool:
        """Are this client's requests usually quick (an editor's, not a hostile loop's)?"""
        return self.typical.get(client, 0.0) < LIGHT_S

    def _free_worker(self, light: bool) -> _Worker | None:
        """An idle worker, or a new one: below the minimum; up to the maximum when every
        worker has been busy a while; for a client whose requests are quick, at once and up
        to ``light_reserve`` more (its request is short and the extra workers retire when
        idle)."""
        s = self.settings
        while self.idle:
            w = self.idle.pop()
            if w.alive and w.proc.is_alive():
                return w
            w.kill()  # it exited after answering (out of memory): reap it
        total = len(self.busy)
        now = time.monotonic()
        if total < s.min_workers or (total < s.max_workers and all(
                now - w.since > s.burst_after_s for w in self.busy)) or (
                light and total < s.max_workers + s.light_reserve):
            return self._spawn()
        return None

    def _dispatch(self) -> None:
        while not self.closed:
            eligible = [c for c, q in self.queues.items()
                        if q and self.running.get(c, 0) < self.settings.per_client_running]
            if not eligible:
                return
            # quick clients first, then the one that used the least worker time lately
            client = min(eligible, key=lambda c: (not self._light(c), self._usage(c),
                                                  self.queues[c][0].queued_at))
            light = self._light(client)
            worker = self._free_worker(light)
            if worker is None and light and self._preempt():
                worker = self._spawn()  # in the place of the request being stopped
            if worker is None:
                return
            q = self.queues[client]
            job = q.popleft()
            if not q:
                del self.queues[client]
            self.running[client] = self.running.get(client, 0) + 1
            worker.client, worker.since = client, time.monotonic()
            self.busy.add(worker)
            asyncio.get_running_loop().create_task(self._run(worker, job))

    def _preempt(self) -> bool:
        """Make room for a quick request when every worker is taken: stop the longest-running
        request of a client that recently ran into the time limit or was stopped already
        (a hostile loop), or of a new client once it has run longer than
        ``PREEMPT_AFTER_S``. Any other client keeps its long check. The stopped one is
        answered ``server-busy``; what it checked is in the verdict cache, so sending it
        again goes on from there (the page does so)."""
        now = time.monotonic()
        victims = [w for w in self.busy if not w.preempted and w.client is not None
                   and now - w.since > SLOW_S
                   and (now - self.stopped.get(w.client, -1e9) < STOPPED_MEMORY_S
                        or (w.client not in self.typical and now - w.since > PREEMPT_AFTER_S))]
        if not victims:
            return False
        victim = min(victims, key=lambda w: w.since)
        victim.preempted = True
        self.stats["preempted"] += 1
        try:
            self.threads.submit(victim.kill)
        except RuntimeError:
            victim.kill()
        return True

    async def _run(self, worker: _Worker, job: _Job) -> None:
        start = time.monotonic()
        timeout = self.settings.worker.timeout_s
        try:
            doc = await asyncio.get_running_loop().run_in_executor(
                self.threads, worker.call, job.text, job.seed, timeout)
        except Exception as exc:  # the thread pool is gone (the server is stopping)
            doc = error_doc("check-resource-limit", why=f"could not run ({exc})")
        took = time.monotonic() - start
        self._charge(job.client, took)
        self.typical[job.client] = 0.7 * self.typical.get(job.client, took) + 0.3 * took
        if isinstance(doc.get("stats"), dict):
            doc["stats"]["queued_s"] = round(start - job.queued_at, 3)
        self.running[job.client] -= 1
        if not self.running[job.client]:
            del self.running[job.client]
        self.busy.discard(worker)
        if not worker.alive:
            self.stats["workers_killed"] += 1
        if worker.alive and worker.demoted:
            self._retire(worker)  # a fresh worker gets the normal priority
        elif worker.alive and not self.closed:
            worker.idle_since = time.monotonic()
            self.idle.append(worker)
        codes = {d["code"] for d in doc.get("diagnostics", [])}
        if "check-time-limit" in codes or (worker.preempted and job.client in self.stopped):
            self.stopped[job.client] = time.monotonic()  # (a new client stopped is not marked)
        if "check-time-limit" in codes:
            self.stats["time_limits"] += 1
        elif not _machine_dependent(doc):
            self._remember(job.text, job.seed, doc)
        self.stats["answered"] += 1
        if not job.future.done():
            job.future.set_result(doc)
        self._dispatch()

    def _retire(self, worker: _Worker) -> None:
        """Stop a worker without waiting for it (in a thread; at once if the pool is gone)."""
        try:
            self.threads.submit(worker.stop)
        except RuntimeError:  # the thread pool is shut down: the server is stopping
            worker.kill()

    def _remember(self, text: str, seed: int | None, doc: dict[str, Any]) -> None:
        answer = json.dumps(doc)
        size = len(answer) + len(text)
        if size > RESPONSE_BYTES // 8 or (text, seed) in self.responses:
            return
        self.responses[(text, seed)] = answer
        self.response_bytes += size
        while len(self.responses) > RESPONSES or self.response_bytes > RESPONSE_BYTES:
            (old_text, _), old = self.responses.popitem(last=False)
            self.response_bytes -= len(old) + len(old_text)

    async def _tick(self) -> None:
        """Start extra workers when every worker is stuck on a slow request, lower the
        priority of slow requests, and retire extra workers that have been idle a while."""
        while not self.closed:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for w in list(self.busy):
                if not w.demoted and now - w.since > SLOW_S:
                    w.demoted = True
                    with contextlib.suppress(OSError, ProcessLookupError, TypeError):
                        os.setpriority(os.PRIO_PROCESS, w.proc.pid or 0, NICE)
            self._dispatch()
            extra = len(self.idle) + len(self.busy) - self.settings.min_workers
            for w in sorted(self.idle, key=lambda w: w.idle_since)[:max(0, extra)]:
                if now - w.idle_since > 20.0:
                    self.idle.remove(w)
                    self._retire(w)


def _machine_dependent(doc: dict[str, Any]) -> bool:
    """Does the answer hold a verdict or an error that a limit decided (not to be kept)?"""
    from checker.grade.task import limit_reasons

    codes = {d["code"] for d in doc.get("diagnostics", [])}
    return bool(codes & {"check-time-limit", "check-resource-limit", "internal-error",
                         "server-busy", "request-superseded"}) \
        or bool(limit_reasons(doc.get("lines", [])))
