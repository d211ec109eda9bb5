"""A playground worker process: checks one document at a time under the request's limits.

Each worker runs in its own process (forked from a pre-loaded fork server, so a new one
starts in milliseconds), with an address-space limit, a CPU-time limit per request
(``SIGXCPU``) and a wall-clock limit per request (``checker.timelimit.HardLimit``, under which
the portfolio's per-obligation limit nests). The parent kills a worker that does not answer in
time (a long C call) and starts another. A request that meets a limit gets a coded error;
the verdicts computed before it are kept in the shared verdict cache, so sending the same
text again goes further.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from checker.diagnostics import make
from checker.obligations import Verdict

# the diagnostic codes the server gives itself (a request refused or stopped by a limit)
FLUSH_EVERY_S = 1.0
CODES = ("check-time-limit", "check-resource-limit", "server-busy", "request-superseded",
         "bad-request")


@dataclass(frozen=True)
class WorkerSettings:
    exercises: str | None
    budget_s: float
    timeout_s: float  # wall clock and CPU time per request
    memory_mb: int
    cache_path: str | None


def error_doc(code: str, path: str = "<document>", **fields: Any) -> dict[str, Any]:
    """A check's JSON answer that holds only one coded error (the same shape as a report)."""
    d = make(code, file=path, **fields)
    return {"exercise": None, "blocked": True, "exit_code": 2,
            "summary": {"proved": 0, "refuted": 0, "plausible": 0, "unknown": 0},
            "lines": [], "diagnostics": [d.to_json()], "assessment": None, "notes": [],
            "stats": {}}


class _Layered:
    """An in-memory LRU cache in front of the server's shared SQLite store. New verdicts
    reach the store in one transaction after the answer is sent (``flush``): writing them
    is not on the way of the answer, and the workers do not queue for the write lock; a long
    check also writes them every ``FLUSH_EVERY_S``, so that its progress survives a kill."""

    def __init__(self, cache_path: str | None) -> None:
        from checker.grade.cache import VerdictStore
        from checker.session import BoundedCache

        self.front = BoundedCache(20_000)
        self.store = VerdictStore(cache_path) if cache_path else None
        self.pending: list[tuple[str, str]] = []
        self.flushed = time.monotonic()

    def get(self, key: str) -> Verdict | None:
        found = self.front.get(key)
        if found is None and self.store is not None:
            found = self.store.get(key)
            if found is not None:
                self.front.put(key, found)
        return found

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.time_limited:
            return
        self.front.put(key, verdict)
        if self.store is not None:
            import json

            from checker.grade.cache import digest

            self.pending.append((digest(key), json.dumps(verdict.to_json(), sort_keys=True)))
            if time.monotonic() - self.flushed > FLUSH_EVERY_S:
                self.flush()  # a long check keeps its progress even if it is stopped

    def begin(self) -> None:
        self.flushed = time.monotonic()

    def flush(self) -> None:
        if self.store is not None and self.pending:
            self.store.put_many(self.pending)
        self.pending = []
        self.flushed = time.monotonic()


def _quiet(unraisable: Any) -> None:
    """Ignore an exception raised where Python cannot propagate it (a finalizer, a gc
    callback), without printing it. A hard time limit that fired there is not lost:
    ``checker.timelimit`` puts its own hook in front of this one while a limit is armed, and
    fires the limit again as soon as the callback has returned."""


def main(conn: Connection, settings: WorkerSettings) -> None:
    """The worker's loop: receive (text, seed), send back the report's JSON; stop on None."""
    from checker.grade.limits import (
        CpuLimitExceeded,
        arm_cpu,
        disarm_cpu,
        limit_memory,
        on_cpu_limit,
    )
    from checker.session import Session
    from checker.timelimit import HardLimit, TimeLimit

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    # an object finalized after a limit interrupted its constructor (z3's Context when the
    # hard time limit fires inside it) reports "Exception ignored in __del__" on stderr: the
    # exception is ignored anyway, and the server's console is the user's
    sys.unraisablehook = _quiet
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limit_memory(settings.memory_mb)
    on_cpu_limit(exit_now=False)
    cache = _Layered(settings.cache_path)
    session = Session(Path(settings.exercises) if settings.exercises else None,
                      settings.budget_s, cache)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        text, seed = msg
        limit = HardLimit(settings.timeout_s, wall=True)
        cache.begin()
        fatal = False
        try:
            arm_cpu(settings.timeout_s)
            with limit:
                doc = session.check(text, seed=seed).to_json()
        except TimeLimit:
            doc = error_doc("check-time-limit", limit=settings.timeout_s)
        except CpuLimitExceeded:
            doc = error_doc("check-resource-limit",
                            why=f"used more than {settings.timeout_s:g} s of CPU time")
        except MemoryError:
            doc = error_doc("check-resource-limit",
                            why=f"ran out of memory (limit {settings.memory_mb} MB)")
            fatal = True
        finally:
            limit.close()
            disarm_cpu()
        if any(d["code"] == "internal-error" and "MemoryError" in d["message"]
               for d in doc["diagnostics"]):
            doc = error_doc("check-resource-limit",
                            why=f"ran out of memory (limit {settings.memory_mb} MB)")
            fatal = True
        with contextlib.suppress(OSError, ValueError):
            conn.send(doc)
        cache.flush()  # after the answer (a worker killed meanwhile loses only these)
        if fatal:  # the heap may be in a bad state: the parent starts a fresh worker
            return
