"""A hard wall-clock limit on one obligation's check, for the calls the budget cannot stop.

The engines keep their budget cooperatively: they look at the clock between steps. A single
SymPy call (``is_positive`` asking ``evalf`` about ``exp(exp(exp(exp(x))))``), an Arb
evaluation at a huge precision or a long Python loop inside a library does not look at any
clock, and may run for minutes. ``HardLimit`` stops such a call from outside: it arms
``signal.setitimer(ITIMER_REAL)`` and its SIGALRM handler raises ``TimeLimit``, which derives
from ``BaseException`` so that an engine's ``except Exception`` cannot swallow it.

Python runs signal handlers between bytecodes of the main thread, so the limit

* works only in the main thread (elsewhere, and where ``setitimer`` is missing, it does
  nothing and the cooperative budget is all there is: see docs/checking.md);
* interrupts a C call (a SymPy/mpmath or Arb routine written in C, a Z3 check) only when the
  call returns to Python: C calls are bounded separately (Z3's own timeout, Arb precisions
  capped by ``checker.numeric.PRECISIONS``).

Limits nest: an inner limit never outlives an outer one, and the outer timer is re-armed
with the time it has left when the inner limit ends. The previous SIGALRM handler and timer
are always restored, however the body ends.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType, TracebackType

# how long past the budget an obligation may run before it is stopped: a few times the
# budget (engines may overrun their shares a little on a loaded machine, and a verdict must
# not depend on the load) plus a fixed slack for start-up work (imports, compiling forms)
FACTOR = 3.0
SLACK_S = 2.0
SIGNALS_OK = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


def hard_seconds(budget_s: float) -> float:
    """The hard limit for a check with this budget."""
    return FACTOR * budget_s + SLACK_S


class TimeLimit(BaseException):
    """Raised in the main thread when a ``HardLimit`` expires."""

    def __init__(self, limit: HardLimit) -> None:
        super().__init__(f"hard time limit of {limit.seconds:g} s reached")
        self.limit = limit


class HardLimit:
    """``with HardLimit(seconds) as limit:`` raises ``TimeLimit(limit)`` inside the body once
    ``seconds`` of wall-clock time have passed; ``limit.expired`` tells afterwards.

    Catch it with ``except TimeLimit as exc`` and check ``exc.limit is limit``: an expired
    outer limit raises its own ``TimeLimit``, which must reach its own owner."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.enforced = False  # whether a timer was armed (main thread, signals available)
        self._deadline = 0.0
        self._armed = False
        self._old_handler: object = None
        self._old_timer = (0.0, 0.0)

    def __enter__(self) -> HardLimit:
        if (not SIGNALS_OK or self.seconds <= 0
                or threading.current_thread() is not threading.main_thread()):
            return self
        now = time.monotonic()
        self._deadline = now + self.seconds
        self._old_handler = signal.getsignal(signal.SIGALRM)
        self._old_timer = signal.getitimer(signal.ITIMER_REAL)
        delay = self.seconds
        if self._old_timer[0] > 0:  # someone's timer is running: never fire after it
            delay = min(delay, self._old_timer[0])
        try:
            signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread of the main interpreter after all
            return self
        self._armed = True
        self.enforced = True
        signal.setitimer(signal.ITIMER_REAL, delay)
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
        if isinstance(exc, TimeLimit) and exc.limit is self:
            self.expired = True

    def close(self) -> None:
        """Disarm and restore the previous handler and timer (idempotent)."""
        if not self._armed:
            return
        self._armed = False  # a signal still pending from here on is ignored by _fire
        signal.setitimer(signal.ITIMER_REAL, 0)
        old = self._old_handler if self._old_handler is not None else signal.SIG_DFL
        signal.signal(signal.SIGALRM, old)  # type: ignore[arg-type]
        old_delay, old_interval = self._old_timer
        if old_delay > 0:  # re-arm the outer timer with what it has left (at least a tick)
            spent = time.monotonic() - (self._deadline - self.seconds)
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - spent, 1e-4), old_interval)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed:
            return
        left = self._deadline - time.monotonic()
        if left <= 0.001:
            self.expired = True
            raise TimeLimit(self)
        # not our deadline: the outer timer's (it was due first), or a stray signal
        if self._old_timer[0] > 0 and callable(self._old_handler):
            outer_left = self._old_timer[0] - (self.seconds - left)
            if outer_left <= 0.001:
                self._old_handler(signum, frame)  # may raise the outer limit's exception
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))
