"""Figure 6, memory: one container's peak RSS over ``events`` events, and whether it grows with them.

One child process (``benchmarks.child``, mode ``memory``) is one warm container: it builds the function
once and runs ``events / 10`` batches of new orders through it against the emulator (no latency) and
moto, each in a process of its own. Its resident set is read after every tenth of the events (after a
garbage collection), and its peak (``VmHWM``) at the end. The naive peer runs the same in a child
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.hot_path import run_child
from benchmarks.peers import EmulatorProcess
from benchmarks.workload import BATCH_SIZE


@dataclass(frozen=True)
class Memory:
    peak_mb: float
    checkpoints: dict[int, float]  # events done -> RSS in MB
    events: int
    failures: int
    missing_tasks: int

    def rss_at(self, events: int) -> float:
        """The RSS at the checkpoint nearest ``events``."""
        nearest = min(self.checkpoints, key=lambda done: abs(done - events))
        return self.checkpoints[nearest]

    @property
    def growth_mb(self) -> float:
        """RSS at the end minus RSS after a fifth of the events (the warm-up done)."""
        return self.rss_at(self.events) - self.rss_at(self.events // 5)


def measure_memory(spec: dict[str, Any], emulator: EmulatorProcess, peer: str, *, events: int) -> Memory:
    every = max(BATCH_SIZE, events // 10 // BATCH_SIZE * BATCH_SIZE)  # ten checkpoints
    before = emulator.created()
    result = run_child(
        {
            **spec,
            "mode": "memory",
            "peer": peer,
            "batches": events // BATCH_SIZE,
            "every": every,
            "prefix": f"memory-{peer}",
        }
    )
    return Memory(
        peak_mb=float(result["peak_mb"]),
        checkpoints={int(done): float(mb) for done, mb in result["checkpoints"].items()},
        events=int(result["events"]),
        failures=int(result["failures"]),
        missing_tasks=int(result["events"]) - (emulator.created() - before),
    )
