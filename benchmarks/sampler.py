"""A CPU-time sampling profiler: where a single-threaded run spends its CPU, with little overhead.

cProfile times every call (twice the handler's CPU here, most of it in the many small calls botocore
makes) and counts waiting for a socket as time spent; this samples instead. ``setitimer(ITIMER_PROF)``
fires SIGPROF after every ``interval`` of the process's CPU time (user and system); the handler, which
Python runs in the main thread, records the main thread's Python stack. Time in C code (a socket
``sendall``, the JSON encoder) is counted to the Python function that called it. Only the main thread is
seen: run the measured work there (``benchmarks.child.InlineExecutor``).

    with CpuSampler() as sampler:
        work()
    sampler.samples  # Counter of stacks, innermost frame first: ((filename, function, line), ...)
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

Frame = tuple[str, str, int]  # (filename, function, first line)
Stack = tuple[Frame, ...]


class CpuSampler:
    def __init__(self, interval_seconds: float = 0.0005) -> None:
        self.interval_seconds = interval_seconds
        self.samples: Counter[Stack] = Counter()
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None

    def __enter__(self) -> CpuSampler:
        self._previous = signal.signal(signal.SIGPROF, self._on_tick)
        signal.setitimer(signal.ITIMER_PROF, self.interval_seconds, self.interval_seconds)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self._previous or signal.SIG_DFL)

    def _on_tick(self, signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            code = frame.f_code
            stack.append((code.co_filename, code.co_name, code.co_firstlineno))
            frame = frame.f_back
        self.samples[tuple(stack)] += 1

    @property
    def total(self) -> int:
        return sum(self.samples.values())

    def self_shares(self, classify: Callable[[Frame], str]) -> list[tuple[str, float]]:
        """Each class of innermost frames' share of the samples, largest first."""
        counts: Counter[str] = Counter()
        for stack, count in self.samples.items():
            if stack:
                counts[classify(stack[0])] += count
        total = self.total or 1
        return [(name, count / total) for name, count in counts.most_common()]

    def inclusive_shares(self) -> list[tuple[Frame, float]]:
        """Each function's share of the samples it was on the stack for (cumulative), largest first."""
        counts: Counter[Frame] = Counter()
        for stack, count in self.samples.items():
            for frame in set(stack):
                counts[frame] += count
        total = self.total or 1
        return [(frame, count / total) for frame, count in counts.most_common()]
