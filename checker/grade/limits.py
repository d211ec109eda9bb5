"""Resource limits for grading processes: memory (RLIMIT_AS), CPU time (RLIMIT_CPU with a
SIGXCPU handler) and how a dead process's exit status reads to a student.

Wall-clock limits are enforced from outside (the parent kills the process group): a process
cannot stop itself while stuck in one long C call.
"""

from __future__ import annotations

import os
import resource
import signal
from dataclasses import dataclass
from types import FrameType

from checker.obligations import Status, Verdict

EXIT_CPU = 97  # an isolated obligation ran out of CPU time
EXIT_ESCAPED = 98  # an isolated obligation's process left the portfolio some other way
EXIT_FAILED = 99  # a worker's own code failed
HEADROOM_MB = 512
EXIT_MEMORY = 96  # an isolated obligation's process ran out of memory (MemoryError)


@dataclass(frozen=True)
class Limits:
    """Per-phase limits: ``timeout_s`` wall clock and CPU for one obligation (three times that
    for the work between obligations: parsing, elaboration, feedback), ``memory_mb`` of address
    space per process, ``submission_s`` wall clock for a whole submission."""

    timeout_s: float = 10.0
    memory_mb: int = 2048
    submission_s: float = 600.0

    @property
    def between_s(self) -> float:
        return 3 * self.timeout_s


class CpuLimitExceeded(BaseException):
    """Raised by the SIGXCPU handler: the current phase used more CPU than allowed."""


def address_space() -> int:
    """This process's current address space in bytes (0 if unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at ``memory_mb`` (a failed allocation then raises
    MemoryError; GMP aborts the process instead, which the parent reports). A process that
    already maps more (forked from a large parent, e.g. a Dask worker with many threads) may
    still grow by HEADROOM_MB, so that the cap never starves it from the start."""
    if memory_mb <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = max(memory_mb * 1024 * 1024, address_space() + HEADROOM_MB * 1024 * 1024)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_AS, (want, hard))


def cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def arm_cpu(seconds: float) -> None:
    """Allow ``seconds`` more CPU time from now (the soft limit; SIGXCPU when it is reached).
    The hard limit is left alone so that the soft one can be raised again."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = int(cpu_used() + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (want, hard))


def disarm_cpu() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def _raise_cpu(signum: int, frame: FrameType | None) -> None:
    disarm_cpu()  # the kernel repeats SIGXCPU every CPU second until the limit is raised
    raise CpuLimitExceeded


def _exit_cpu(signum: int, frame: FrameType | None) -> None:
    os._exit(EXIT_CPU)


def on_cpu_limit(exit_now: bool) -> None:
    """What SIGXCPU does: raise CpuLimitExceeded (a worker), or exit at once (an isolated
    obligation's process)."""
    signal.signal(signal.SIGXCPU, _exit_cpu if exit_now else _raise_cpu)


def describe_exit(status: int, timed_out: bool, limits: Limits, limit_s: float) -> str:
    """Why a process died, from ``os.waitpid``'s status, in words for the feedback."""
    if timed_out:
        return f"took longer than {limit_s:g} s"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGABRT:
            return f"ran out of memory (limit {limits.memory_mb} MB; the process aborted)"
        if sig == signal.SIGKILL:
            return "was killed (out of memory?)"
        if sig == signal.SIGXCPU:
            return f"used more than {limit_s:g} s of CPU time"
        if sig == signal.SIGSEGV:
            return "crashed (segmentation fault)"
        return f"died ({signal.Signals(sig).name})"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == EXIT_CPU:
        return f"used more than {limit_s:g} s of CPU time"
    if code == EXIT_MEMORY:
        return f"ran out of memory (limit {limits.memory_mb} MB)"
    if code == EXIT_ESCAPED:
        return "failed inside the checker"
    return f"stopped unexpectedly (exit code {code})"


def limit_verdict(why: str) -> Verdict:
    """The verdict of an obligation whose process hit a limit: it costs only this step."""
    return Verdict(Status.UNKNOWN, "grader", f"resource limit: checking this claim {why}")
