"""The checking process behind ``proofcheck lsp``: checks run here, off the server's event
loop, within limits, and a check whose document has changed since is stopped at once.

The server starts ``python -m checker.lsp.worker FD MEMORY_MB`` with one end of a socket pair
as ``FD`` and talks to it with ``multiprocessing.connection`` messages:

* server -> worker: ``("check", job, text, path, options)``; ``None`` to stop.
* worker -> server: ``("ready",)`` once, then per job ``("done", job, payload)``,
  ``("cancelled", job)`` or ``("limit", job, why)`` (after which the worker exits).

Limits: the address space is capped at ``MEMORY_MB`` (a failed allocation ends the job with
"limit"; an aborted or killed process is noticed and replaced by the server, which also
enforces a wall-clock limit per check); each obligation keeps the command line's hard time
limit (``checker.timelimit``, armed in this process's main thread, where it works).
Cancelling the job in progress: SIGUSR1 makes it stop before its next obligation (the
verdict cache raises ``Cancelled``, a ``BaseException`` that no engine catches); SIGUSR2,
which the server sends when that has not happened within ``HARD_CANCEL_S``, raises it at
once in the main thread (like the hard time limit's SIGALRM). Verdicts already computed stay
in the process's verdict cache, so the next check of the document repeats none of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.obligations import Verdict

# SIGUSR1 asks the check in progress to stop before its next obligation (a clean point: the
# verdict cache is asked first); SIGUSR2, sent when that takes too long, stops it at once
CANCEL_SIGNAL = getattr(signal, "SIGUSR1", None)
HARD_CANCEL_SIGNAL = getattr(signal, "SIGUSR2", None)
# how long a verdict decided by the hard time limit is reused while the document is edited
# (the lasting cache never keeps one: it depends on the load); then it is tried again
TIME_LIMITED_TTL_S = 60.0


class EditorCache:
    """The checking process's verdict cache: a ``BoundedCache`` for lasting verdicts, and for
    a minute the verdicts a hard time limit decided (``unknown (time limit ...)``), so that a
    line the engines cannot settle does not cost its full time limit again at every pause
    in typing elsewhere in the document."""

    def __init__(self) -> None:
        from checker.session import BoundedCache

        self.lasting = BoundedCache()
        self.recent: dict[str, tuple[float, Verdict]] = {}

    def get(self, key: str) -> Verdict | None:
        if _cancelled and _running:
            raise Cancelled
        found = self.lasting.get(key)
        if found is not None:
            return found
        hit = self.recent.get(key)
        if hit is not None and time.monotonic() - hit[0] < TIME_LIMITED_TTL_S:
            return hit[1]
        return None

    def put(self, key: str, verdict: Verdict) -> None:
        if not verdict.time_limited:
            self.lasting.put(key, verdict)
            return
        now = time.monotonic()
        self.recent = {k: v for k, v in self.recent.items() if now - v[0] < TIME_LIMITED_TTL_S}
        self.recent[key] = (now, verdict)


class Cancelled(BaseException):
    """The check in progress is no longer wanted (its document changed)."""


_running = False
_cancelled = False


def _on_cancel(signum: int, frame: FrameType | None) -> None:
    global _cancelled
    if _running:
        _cancelled = True


def _on_hard_cancel(signum: int, frame: FrameType | None) -> None:
    if _running:
        raise Cancelled


def _check(text: str, path: str, options: dict[str, Any]) -> Any:
    from checker.lsp.render import payload
    from checker.session import check_document

    global _running, _cancelled
    start = time.perf_counter()
    exercises = options.get("exercises")
    try:
        _cancelled = False
        _running = True
        result = check_document(
            text, path, budget_s=float(options.get("budget", 2.0)),
            exercises=Path(exercises) if exercises else None,
            seed=options.get("seed"), standalone=bool(options.get("standalone", False)))
    finally:
        _running = False
    return payload(result, text, time.perf_counter() - start)


def serve(conn: Connection, memory_mb: int) -> int:
    global _running
    from checker.grade.limits import limit_memory

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the editor stops the server, not Ctrl-C
    if CANCEL_SIGNAL is not None:
        signal.signal(CANCEL_SIGNAL, _on_cancel)
    if HARD_CANCEL_SIGNAL is not None:
        signal.signal(HARD_CANCEL_SIGNAL, _on_hard_cancel)
    limit_memory(memory_mb)
    from checker.engines import portfolio
    from checker.library.theorems import default_library

    portfolio.set_cache(EditorCache())
    import checker.check  # noqa: F401  (load the engines before the first keystroke)

    default_library()
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return 0
        if msg is None:
            return 0
        _kind, job, text, path, options = msg
        try:
            out: tuple[Any, ...] = ("done", job, _check(text, path, options))
        except Cancelled:
            _running = False
            out = ("cancelled", job)
        except MemoryError:
            _running = False
            with contextlib.suppress(OSError):
                conn.send(("limit", job, f"ran out of memory (limit {memory_mb} MB)"))
            return 0
        try:
            conn.send(out)
        except (OSError, ValueError):
            return 0


def main(argv: list[str]) -> int:
    fd, memory_mb = int(argv[0]), int(argv[1])
    # stdout belongs to nobody here (the server's is the editor's channel)
    with contextlib.suppress(OSError):
        os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(Connection(fd), memory_mb)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
