"""The per-submission task, run inside a grading process: check one file, make its record.

The process installs :class:`Hooks` as the portfolio's verdict cache. Through it every
obligation (1) is looked up in the shared SQLite store, (2) marks the start and end of its
phase for the parent's wall-clock watchdog and re-arms the CPU limit, and (3) in *isolated*
mode runs in its own short-lived forked process, so that a crash, a hang or running out of
memory costs only that obligation: its verdict becomes ``unknown (resource limit: ...)``.

How (3) works without a hook in the portfolio: ``portfolio.check`` calls ``get(key)``, and on
None computes the verdict and calls ``put(key, verdict)``. In isolated mode ``get`` forks:
the child answers None, so the portfolio computes the verdict *in the child*, whose ``put``
sends it through a pipe and exits at once; the parent's ``get`` returns what came through
the pipe (or a resource-limit verdict when the child died or ran out of time). A child that
leaves the portfolio any other way exits at the next hook or when ``grade_job`` returns.

A verdict that depends on the machine (a resource limit of the grader's isolation, or the
portfolio's hard ``time limit``) is never stored in or served from the shared cache: the next
submission with the same step checks it afresh, and the record lists it under
``resource_limits`` so that a rerun with other limits regrades it.
"""

from __future__ import annotations

import json
import mmap
import os
import select
import signal
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checker.grade.cache import VerdictStore, digest
from checker.grade.limits import (
    EXIT_ESCAPED,
    EXIT_MEMORY,
    Limits,
    arm_cpu,
    describe_exit,
    limit_verdict,
    on_cpu_limit,
)
from checker.grade.submissions import Job
from checker.obligations import Status, Verdict
from checker.results import SCHEMA_VERSION

# 2: storage names, limited verdicts never cached, visible text; 3: schema_version, a step's
# whole text and sides (feedback.html renders them as MathML when it is written)
RECORD_FORMAT = 3
# how the reason of a verdict that depends on the machine starts: the portfolio's hard time
# limit ("time limit: ...") and the grader's isolation ("resource limit: ...")
LIMIT_REASONS = ("time limit", "resource limit")
GRACE_S = 2.0  # the parent waits this much longer than a process's own limit


@dataclass(frozen=True)
class Settings:
    """Everything a grading process needs (picklable, paths absolute)."""

    exercises: str
    budget_s: float = 2.0
    limits: Limits = field(default_factory=Limits)
    cache_path: str | None = None
    collect_new: bool = False  # return newly computed verdicts with each record (Dask)
    recycle_after: int = 200  # a worker process is replaced after this many submissions


class Beat:
    """Three shared doubles a grading process writes and its parent reads: when the current
    phase started, its wall-clock limit, when the current submission started."""

    _FMT = "ddd"

    def __init__(self, mem: mmap.mmap | None = None) -> None:
        self.mem = mem if mem is not None else mmap.mmap(-1, struct.calcsize(self._FMT))

    def write(self, phase_start: float, limit_s: float, task_start: float) -> None:
        struct.pack_into(self._FMT, self.mem, 0, phase_start, limit_s, task_start)

    def read(self) -> tuple[float, float, float]:
        start, limit, task = struct.unpack_from(self._FMT, self.mem, 0)
        return float(start), float(limit), float(task)

    def phase(self, limit_s: float) -> None:
        _, _, task = self.read()
        self.write(time.monotonic(), limit_s, task)


def machine_dependent(verdict: Verdict) -> bool:
    """A verdict that a limit decided (it may differ on another machine or under another
    load): good for the submission that met it, never for the cache."""
    return verdict.status is Status.UNKNOWN and verdict.reason.startswith(LIMIT_REASONS)


def limit_reasons(doc: Any) -> list[str]:
    """The reasons of every limit-decided verdict in a result's JSON."""
    found: list[str] = []
    todo = [doc]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            reason = item.get("reason")
            if item.get("verdict") == "unknown" and isinstance(reason, str) and \
                    reason.startswith(LIMIT_REASONS):
                found.append(reason)
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return found


class Hooks:
    """The portfolio's verdict cache inside a grading process (see the module docstring)."""

    def __init__(self, settings: Settings, beat: Beat | None = None) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.beat = beat if beat is not None else Beat()
        self.store = VerdictStore(settings.cache_path) if settings.cache_path else None
        self.isolate = False
        self._child_key: str | None = None
        self._child_fd = -1
        self._claimed: str | None = None
        self.reset()

    def _release(self) -> None:
        """Give up a claim whose verdict never came (its check raised)."""
        if self._claimed is not None and self.store is not None:
            self.store.release(self._claimed)
        self._claimed = None

    def reset(self) -> None:
        self.calls = self.hits = self.computed = 0
        self.limited: list[str] = []
        if self.store is not None:
            self.store.errors = 0
        # limit verdicts met in this submission (an obligation repeated in the same file is
        # not checked twice), never shared with another submission
        self.poison: dict[str, Verdict] = {}
        self.new: list[tuple[str, str]] = []
        self.phase_limit = self.limits.between_s

    # -- phases: the parent's watchdog reads the beat; the CPU soft limit follows the phase
    def begin(self, isolate: bool) -> None:
        self._release()
        self.reset()
        self.isolate = isolate
        now = time.monotonic()
        self.beat.write(now, self.limits.between_s, now)
        arm_cpu(self.limits.between_s)

    def _phase(self, limit_s: float, cpu: bool = True) -> None:
        self.phase_limit = limit_s
        self.beat.phase(limit_s)
        if cpu:
            arm_cpu(limit_s)

    # -- the VerdictCache protocol
    def get(self, key: str) -> Verdict | None:
        if self._child_key is not None:  # an isolated child reached another obligation
            os._exit(EXIT_ESCAPED)
        self._release()
        self.calls += 1
        if key in self.poison:
            self.hits += 1
            return self.poison[key]
        if self.store is not None:
            found = self._lookup(key)
            if found is not None:
                self.hits += 1
                return found
        self.computed += 1
        if self.isolate:
            return self._isolated(key)
        self._phase(self.limits.timeout_s)
        return None

    def _stored(self, key: str) -> Verdict | None:
        """The cache's verdict, if it has a usable one (a damaged row or a limit-decided
        verdict left by an older version is a miss)."""
        assert self.store is not None
        text = self.store.get_json([key])
        if text is None:
            return None
        try:
            verdict = Verdict.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return None if machine_dependent(verdict) else verdict

    def _lookup(self, key: str) -> Verdict | None:
        """The stored verdict; if another process is checking this obligation right now,
        wait for its verdict (up to the obligation time limit) rather than check it too. An
        owner whose verdict was decided by a limit stores nothing and releases the claim:
        the waiter then checks the obligation itself."""
        assert self.store is not None
        deadline = 0.0
        pause = 0.005
        while True:
            found = self._stored(key)
            if found is not None:
                return found
            if self.store.claim(key, os.getpid()):
                found = self._stored(key)  # stored just before our claim?
                if found is not None:
                    self.store.release(key)
                    return found
                self._claimed = key
                return None
            if not deadline:
                deadline = time.monotonic() + self.limits.timeout_s
                self._phase(self.limits.timeout_s, cpu=False)
            elif time.monotonic() > deadline:
                return None  # its owner is stuck: check it here
            time.sleep(pause)
            pause = min(0.05, pause * 2)

    def put(self, key: str, verdict: Verdict) -> None:
        if self._child_key is not None:
            self._child_send(key, verdict)
        self._phase(self.limits.between_s)
        self._keep(key, verdict)

    def _keep(self, key: str, verdict: Verdict) -> None:
        if machine_dependent(verdict):  # this submission's only: not stored, not shared
            self.limited.append(verdict.reason)
            self.poison[key] = verdict
            if self.store is not None:
                self.store.release(key)
                self._claimed = None
            return
        text = json.dumps(verdict.to_json(), sort_keys=True)
        if self.store is not None:
            self.store.put_json(digest(key), text)
            self.store.release(key)
            self._claimed = None
        if self.settings.collect_new:
            self.new.append((digest(key), text))

    # -- isolated mode: one forked process per obligation
    def _isolated(self, key: str) -> Verdict | None:
        timeout = self.limits.timeout_s
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            self._phase(timeout)
            return None  # checked here, unprotected: better than not at all
        if pid == 0:
            os.close(r)
            self._child_key, self._child_fd = key, w
            on_cpu_limit(exit_now=True)
            arm_cpu(timeout)
            return None  # the portfolio now computes the verdict in this child, then put()
        os.close(w)
        self._phase(timeout + GRACE_S, cpu=False)
        data, status, timed_out = _wait_child(pid, r, timeout)
        self._phase(self.limits.between_s)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data:
            try:
                verdict = Verdict.from_json(json.loads(data))
            except (ValueError, KeyError, TypeError):
                pass
            else:
                self._keep(key, verdict)
                return verdict
        verdict = limit_verdict(describe_exit(status, timed_out, self.limits, timeout))
        self._keep(key, verdict)
        return verdict

    def _child_send(self, key: str, verdict: Verdict) -> None:
        code = EXIT_ESCAPED
        try:
            if key == self._child_key:
                data = json.dumps(verdict.to_json()).encode()
                while data:
                    data = data[os.write(self._child_fd, data):]
                code = 0
        finally:
            os._exit(code)


def _wait_child(pid: int, fd: int, limit_s: float) -> tuple[bytes, int, bool]:
    """Read the child's answer until EOF or ``limit_s`` (then kill it); its exit status."""
    deadline = time.monotonic() + limit_s
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks), status, timed_out


# ---------------------------------------------------------------------------- the task


def grade_job(job: Job, settings: Settings, hooks: Hooks, isolate: bool) -> dict[str, Any]:
    """Check one submission in this process; its record (JSON-ready)."""
    from checker.check import check_file
    from checker.report import file_text

    hooks.begin(isolate)
    owner = os.getpid()
    start = time.monotonic()
    result = None
    try:
        os.chdir(job.folder)  # so that feedback names the file as the student does
    except OSError as exc:
        return unreadable_record(job, exc, time.monotonic() - start)
    try:
        result = check_file(job.file, budget_s=settings.budget_s,
                            exercises=Path(settings.exercises), student=job.student)
        text = file_text(result)
    finally:
        if os.getpid() != owner:  # an isolated child that left the portfolio
            out_of_memory = result is not None and any(
                d.code == "internal-error" and "MemoryError" in d.message
                for d in result.diagnostics)
            os._exit(EXIT_MEMORY if out_of_memory else EXIT_ESCAPED)
    doc = strip_times(result.to_json())
    for shown, step in zip(doc["steps"], result.steps, strict=True):
        shown["claim"] = _claim_text(step.claim)
    codes = [d.code for d in result.diagnostics]
    limited = sorted(set(hooks.limited) | set(limit_reasons(doc)))
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "format": RECORD_FORMAT,
        "fingerprint": job.fingerprint,
        "student": job.student,
        "file": job.file,
        "exercise": result.exercise,
        "status": _status(result.assessment is not None, result.blocked, result.exercise,
                          codes),
        "assessment": doc["assessment"],
        "text": text,
        "result": doc,
        "resource_limits": limited,
        "limited": bool(limited),
        "meta": meta(time.monotonic() - start, isolate, hooks),
    }
    if settings.collect_new:
        record["new_verdicts"] = hooks.new
    return record


def _claim_text(claim: object) -> str | None:
    """The checked relation as text (the summary groups failing steps by it)."""
    if claim is None:
        return None
    try:
        return str(claim)
    except (ValueError, RecursionError):  # huge integers and very deep trees do not print
        return None


def _status(assessed: bool, blocked: bool, exercise: str | None, codes: list[str]) -> str:
    if "internal-error" in codes:
        return "internal-error"
    if assessed:
        return "graded"
    if blocked:
        return "blocked" if exercise else "unreadable"
    if "unknown-exercise" in codes:
        return "unknown-exercise"
    return "no-exercise"


def meta(elapsed: float, isolate: bool, hooks: Hooks | None) -> dict[str, Any]:
    """What differs from run to run (timestamps, timings, cache use): kept apart."""
    return {
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 3),
        "isolated": isolate,
        "obligations": hooks.calls if hooks else 0,
        "computed": hooks.computed if hooks else 0,
        "cache_hits": hooks.hits if hooks else 0,
        "cache_errors": hooks.store.errors if hooks and hooks.store else 0,
    }


def failed_record(job: Job, why: str, isolated: bool, elapsed: float) -> dict[str, Any]:
    """The record of a submission whose grading itself failed (even one step at a time)."""
    text = (f"{job.file}: error: grading this file {why}, outside any single step that "
            "could be set aside; it gets 0 points. Shorten or simplify the proof and "
            "resubmit, or ask the course staff to grade it by hand.")
    return _ungraded(job, "resource-limit", text, [why], meta(elapsed, isolated, None))


def unreadable_record(job: Job, exc: OSError, elapsed: float) -> dict[str, Any]:
    """The record of a file the grading process cannot even reach (a path the system
    refuses, e.g. too long): that submission's status, never the batch's failure."""
    why = exc.strerror or type(exc).__name__
    text = (f"{job.file}: error: this file could not be opened ({why}); it gets 0 points. "
            "Rename it with a shorter, plain name and resubmit.")
    return _ungraded(job, "unreadable", text, [], meta(elapsed, False, None))


def _ungraded(job: Job, status: str, text: str, limits: list[str],
              info: dict[str, Any]) -> dict[str, Any]:
    """A record with no result: the file got 0 points, and ``text`` says why."""
    return {
        "schema_version": SCHEMA_VERSION,
        "format": RECORD_FORMAT,
        "fingerprint": job.fingerprint,
        "student": job.student,
        "file": job.file,
        "exercise": job.header,
        "status": status,
        "assessment": None,
        "text": text,
        "result": None,
        "resource_limits": limits,
        "limited": bool(limits),
        "meta": info,
    }


def strip_times(doc: Any) -> Any:
    """The JSON without ``time_s`` fields (timings differ between runs)."""
    if isinstance(doc, dict):
        return {k: strip_times(v) for k, v in doc.items() if k != "time_s"}
    if isinstance(doc, list):
        return [strip_times(v) for v in doc]
    return doc
