"""Progress: a one-line bar with count and ETA on a terminal, plain log lines otherwise.

Every text shown comes through :func:`~checker.grade.names.visible`: a student's file name or
id never reaches the terminal as control characters or escape sequences."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from checker.grade.names import visible


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    """Counts finished submissions; ``skipped`` ones (already graded) do not count for the ETA."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True,
                 interval_s: float = 0.1) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and self.stream.isatty()
        self.interval_s = interval_s
        self.done = 0
        self.skipped = 0
        self.start = time.monotonic()
        self._last = 0.0

    def eta(self) -> float | None:
        graded = self.done - self.skipped
        left = self.total - self.done
        if graded <= 0:
            return None
        return (time.monotonic() - self.start) / graded * left

    def line(self) -> str:
        eta = self.eta()
        elapsed = time.monotonic() - self.start
        tail = f"ETA {_clock(eta)}" if eta is not None and self.done < self.total else \
            f"elapsed {_clock(elapsed)}"
        return f"{self.done}/{self.total} graded, {tail}"

    def skip(self, count: int) -> None:
        self.skipped += count
        self.done += count
        if count and self.enabled:
            self._log(f"{count} submission(s) already graded, skipped (use --force to regrade)")

    def advance(self, what: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if now - self._last >= self.interval_s or self.done == self.total:
                self._last = now
                self._bar()
        else:
            self._log(f"[{self.line()}] {visible(what, keep='')}".rstrip())

    def message(self, text: str) -> None:
        """A line of its own (above the bar on a terminal)."""
        if not self.enabled:
            return
        text = visible(text, keep="")
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + "\n")
            self._bar()
        else:
            self._log(text)

    def _bar(self) -> None:
        width = 30
        filled = width * self.done // self.total if self.total else width
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r\x1b[2K[{bar}] {self.line()}")
        self.stream.flush()

    def _log(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
