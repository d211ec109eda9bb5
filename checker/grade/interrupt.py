"""Ctrl-C (SIGINT) and SIGTERM during a batch: a flag that the run loop reads.

Python's default SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread is. Where
Python cannot raise (a gc callback, such as the one Hypothesis installs, or a finalizer: a
``__del__`` method, a weakref callback), the exception goes to ``sys.unraisablehook``
("Exception ignored in ...") and is lost: the batch would go on to the end. While a batch runs,
:class:`StopSignals` only records the signal; the executor's loop (which wakes at least every
0.1 s) and the driver read it where stopping is safe: no more submissions are started, the
results the workers have already sent are saved, the busy workers are killed, and the run
raises ``KeyboardInterrupt`` (``proofcheck grade`` exits 130; a rerun grades only the rest).
A second signal raises ``KeyboardInterrupt`` at once (nothing is half-written either way: every
file is written atomically).

A signal whose handler is not the default one is left alone: one that is ignored (a background
job of a non-interactive shell ignores Ctrl-C, and so does everything it starts) or one that a
program calling :func:`checker.grade.grade` handles itself. Handlers are installed only in the
main thread, and the previous ones are always restored.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """``with StopSignals() as stop:`` … ``stop.requested`` tells whether SIGINT or SIGTERM
    came; ``stop.check()`` raises ``KeyboardInterrupt`` if so."""

    def __init__(self, signals: tuple[int, ...] = STOP_SIGNALS) -> None:
        self.signals = signals
        self.received: int | None = None  # the first signal that came
        self.count = 0
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.received is not None

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if a stop signal came (call where stopping is safe)."""
        if self.received is not None:
            raise KeyboardInterrupt

    def handles(self, signum: int) -> bool:
        """Whether this object's handler is installed for ``signum``."""
        return signum in self._previous

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.received is None:
            self.received = signum
            return
        raise KeyboardInterrupt  # the second one: stop now

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in self.signals:
            current = signal.getsignal(signum)
            if current is signal.default_int_handler or current == signal.SIG_DFL:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
