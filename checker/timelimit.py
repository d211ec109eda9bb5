"""A hard limit on one obligation's check, for the calls the work budget cannot stop.

The engines are bounded by counted work (``checker.engines.work``). A single SymPy call
(``is_positive`` asking ``evalf`` about ``exp(exp(exp(exp(x))))``), an Arb evaluation at a
huge precision or a long Python loop inside a library counts nothing, and may run for
minutes. ``HardLimit`` stops such a call from outside: it arms an interval timer whose
signal handler raises ``TimeLimit``, which derives from ``BaseException`` so that an
engine's ``except Exception`` cannot swallow it.

The limit counts the process's **CPU time** by default (``ITIMER_PROF``/``SIGPROF``): a
process that waits for a core on a busy machine does not get closer to it, so the verdicts
of the same proof do not depend on what else the machine is doing (a slower machine can
still reach it: such a verdict says so and is never cached). ``HardLimit(s, wall=True)``
counts wall-clock time (``ITIMER_REAL``/``SIGALRM``) for callers that answer a person (the
playground's per-request limit); the grader, the playground and the language server also
stop a whole worker process on the wall clock, so a check that waits without computing
cannot hang them.

Python runs signal handlers between bytecodes of the main thread, so the limit

* works only in the main thread (elsewhere, and where ``setitimer`` is missing, it does
  nothing and the counted work is all there is: see docs/checking.md);
* interrupts a C call (a SymPy/mpmath or Arb routine written in C, a Z3 check) only when the
  call returns to Python: C calls are bounded separately (Z3's resource limit and its
  watchdog, Arb precisions capped by ``checker.numeric.PRECISIONS``);
* can land where Python cannot raise (a gc callback, such as Hypothesis's, or a
  finalizer): Python hands such an exception to ``sys.unraisablehook`` and goes on. While a
  limit is armed, the hook is ``_on_unraisable``, which re-arms the limit's timer to fire
  again almost at once (``SOON_S``), after the callback has returned, and passes anything
  else to the hook it replaced. In case that hook is replaced in the meantime, the handler
  also re-arms its timer (``REFIRE_S``) before it raises.

Limits of one clock nest: an inner limit never outlives an outer one, and the outer timer is
re-armed with the time it has left when the inner limit ends. The previous handler and timer
are always restored, however the body ends.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

# how much CPU time an obligation may use before it is stopped: engines are bounded by
# deterministic work (checker.engines.work), which takes at most about 2 x budget of CPU time
# on the reference machine; the cap is a generous multiple of that (a slower machine must
# not reach it) plus a fixed slack for start-up work (imports). A busy machine does not
# bring a check closer to it: waiting for a core uses no CPU time.
FACTOR = 5.0
SLACK_S = 5.0
SIGNALS_OK = (hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")
              and hasattr(signal, "SIGPROF"))
# a TimeLimit that was swallowed (raised inside a gc callback) fires again this much later;
# long enough for a TimeLimit that does propagate to reach its owner, which disarms it
REFIRE_S = 0.25
# ... and this much later when the unraisable hook saw it swallowed: the callback has returned
SOON_S = 0.001


class _Clock:
    """A timer, its signal and the clock it counts."""

    def __init__(self, name: str, timer: int, signum: int, now: Callable[[], float]) -> None:
        self.name = name
        self.timer = timer
        self.signum = signum
        self.read = now


if SIGNALS_OK:
    CPU = _Clock("CPU", signal.ITIMER_PROF, signal.SIGPROF, time.process_time)
    WALL = _Clock("wall-clock", signal.ITIMER_REAL, signal.SIGALRM, time.monotonic)
else:  # pragma: no cover - platforms without interval timers: limits do nothing
    CPU = _Clock("CPU", 0, 0, time.process_time)
    WALL = _Clock("wall-clock", 0, 0, time.monotonic)


def hard_seconds(budget_s: float) -> float:
    """The hard limit for a check with this budget."""
    return FACTOR * budget_s + SLACK_S


_active: list[HardLimit] = []  # armed limits, innermost last (main thread only)
_replaced_hook: list[Callable[[Any], object]] = []  # the unraisable hook _on_unraisable wraps


def _on_unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook`` while a limit is armed: a ``TimeLimit`` swallowed where Python
    cannot raise fires again as soon as the code that swallowed it has returned."""
    exc = getattr(unraisable, "exc_value", None)
    if isinstance(exc, TimeLimit) and exc.limit._armed:
        signal.setitimer(exc.limit.clock.timer, SOON_S)
        return
    hook = _replaced_hook[-1] if _replaced_hook else sys.__unraisablehook__
    hook(unraisable)


def remaining() -> float | None:
    """CPU seconds until the first armed CPU-time limit fires (the portfolio's), or None if
    none is armed (or this is not the main thread)."""
    armed = [limit for limit in _active if limit.clock is CPU]
    if not armed or threading.current_thread() is not threading.main_thread():
        return None
    return min(limit._deadline for limit in armed) - CPU.read()


class TimeLimit(BaseException):
    """Raised in the main thread when a ``HardLimit`` expires."""

    def __init__(self, limit: HardLimit) -> None:
        super().__init__(f"hard time limit of {limit.seconds:g} s reached")
        self.limit = limit


class HardLimit:
    """``with HardLimit(seconds) as limit:`` raises ``TimeLimit(limit)`` inside the body once
    the process has used ``seconds`` of CPU time (``wall=True``: once ``seconds`` of
    wall-clock time have passed); ``limit.expired`` tells afterwards.

    Catch it with ``except TimeLimit as exc`` and check ``exc.limit is limit``: an expired
    outer limit raises its own ``TimeLimit``, which must reach its own owner."""

    def __init__(self, seconds: float, wall: bool = False) -> None:
        self.seconds = seconds
        self.clock = WALL if wall else CPU
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
        clock = self.clock
        now = clock.read()
        self._deadline = now + self.seconds
        self._old_handler = signal.getsignal(clock.signum)
        self._old_timer = signal.getitimer(clock.timer)
        delay = self.seconds
        if self._old_timer[0] > 0:  # someone's timer is running: never fire after it
            delay = min(delay, self._old_timer[0])
        try:
            signal.signal(clock.signum, self._fire)
        except ValueError:  # not the main thread of the main interpreter after all
            return self
        self._armed = True
        self.enforced = True
        signal.setitimer(clock.timer, delay)
        if not _active and sys.unraisablehook is not _on_unraisable:
            _replaced_hook[:] = [sys.unraisablehook]
            sys.unraisablehook = _on_unraisable
        _active.append(self)
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
        if self in _active:
            _active.remove(self)
        if not _active and sys.unraisablehook is _on_unraisable:
            sys.unraisablehook = _replaced_hook[0] if _replaced_hook else sys.__unraisablehook__
            _replaced_hook.clear()
        clock = self.clock
        signal.setitimer(clock.timer, 0)
        old = self._old_handler if self._old_handler is not None else signal.SIG_DFL
        signal.signal(clock.signum, old)  # type: ignore[arg-type]
        old_delay, old_interval = self._old_timer
        if old_delay > 0:  # re-arm the outer timer with what it has left (at least a tick)
            spent = clock.read() - (self._deadline - self.seconds)
            signal.setitimer(clock.timer, max(old_delay - spent, 1e-4), old_interval)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed:
            return
        clock = self.clock
        left = self._deadline - clock.read()
        if left <= 0.001:
            self.expired = True
            # if this TimeLimit is swallowed (raised inside a gc callback or a finalizer),
            # the timer fires again; the owner's close() disarms it once it is caught
            signal.setitimer(clock.timer, REFIRE_S)
            raise TimeLimit(self)
        # not our deadline: the outer timer's (it was due first), or a stray signal
        if self._old_timer[0] > 0 and callable(self._old_handler):
            outer_left = self._old_timer[0] - (self.seconds - left)
            if outer_left <= 0.001:
                self._old_handler(signum, frame)  # may raise the outer limit's exception
        signal.setitimer(clock.timer, max(left, 1e-4))
