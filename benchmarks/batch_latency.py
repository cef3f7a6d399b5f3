"""Figure 5, batch latency: a batch of 10 through the real handler with 100 ms Connect latency, against
one StartTaskContact.

The function is built from the stack's environment (``LEAN`` deployment) with ``maxParallelCalls``
= the batch size, so that every record can be in flight at once (with the default 5 the batch takes
two round trips; that, and 1, the sequential batch, are printed beside it). The emulator and moto run
in processes of their own; the handler runs in this one, its logs and EMF to /dev/null. One call is the
naive peer's client on a warm connection; the naive loop runs the same batches. Medians over
``repeat`` batches after a warm-up.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.deployment import handler_invoker, provision
from benchmarks.naive import NaiveTaskCreator, naive_client
from benchmarks.peers import EmulatorProcess, MotoProcess
from benchmarks.sustained import emulator_faults, round_trip_seconds
from benchmarks.workload import BATCH_SIZE, LEAN, bench_config, sqs_batches
from local.function_output import captured_function_output

DEFAULT_PARALLEL_CALLS = 5


@dataclass(frozen=True)
class BatchLatency:
    one_call_seconds: float
    by_parallel_calls: dict[int, float]  # maxParallelCalls -> median batch seconds
    naive_seconds: float
    latency_seconds: float
    missing_tasks: int

    @property
    def handler_seconds(self) -> float:
        """With maxParallelCalls = the batch size: every record in flight at once."""
        return self.by_parallel_calls[BATCH_SIZE]

    @property
    def default_parallel_seconds(self) -> float:
        return self.by_parallel_calls[DEFAULT_PARALLEL_CALLS]

    @property
    def ratio(self) -> float:
        return self.handler_seconds / self.one_call_seconds


def median_batch_seconds(invoke: Callable[[dict[str, Any]], Any], batches: list[dict[str, Any]]) -> float:
    """The median wall time of the batches but the first two (they warm the connections)."""
    samples = []
    for batch in batches:
        started = time.perf_counter()
        response = invoke(batch)
        samples.append(time.perf_counter() - started)
        if response.get("batchItemFailures"):
            raise RuntimeError(f"a batch-latency batch failed: {response}")
    return statistics.median(samples[2:])


def handler_batch_seconds(
    aws: MotoProcess, emulator: EmulatorProcess, mapping_file: Path, parallel: int, repeat: int
) -> float:
    aws.reset()
    config = bench_config(LEAN, mapping_file, maxParallelCalls=parallel)
    pipeline, _ = provision(aws, emulator.endpoint_url, config)
    invoke = handler_invoker(pipeline.dependencies)
    batches = sqs_batches(repeat + 2, f"latency-{parallel}")
    with open(os.devnull, "w") as sink, captured_function_output(sink):
        return median_batch_seconds(lambda batch: invoke(batch, pipeline.new_context()), batches)


def measure_batch_latency(
    aws: MotoProcess, emulator: EmulatorProcess, mapping_file: Path, *, latency: float, repeat: int
) -> BatchLatency:
    one_call = round_trip_seconds(emulator, aws, latency, calls=repeat)  # sets the latency, no quota
    emulator.set_faults(emulator_faults(latency=latency, quota=None, burst=1))
    before = emulator.created()
    repeats = {1: 3, DEFAULT_PARALLEL_CALLS: repeat, BATCH_SIZE: repeat}
    by_parallel = {
        parallel: handler_batch_seconds(aws, emulator, mapping_file, parallel, times)
        for parallel, times in repeats.items()
    }
    naive = NaiveTaskCreator(naive_client(aws.endpoint_url, emulator.endpoint_url))
    naive_batches = sqs_batches(max(repeat // 3, 3) + 2, "latency-naive")
    naive_seconds = median_batch_seconds(lambda batch: naive(batch, None), naive_batches)
    expected = (sum(times + 2 for times in repeats.values()) + len(naive_batches)) * BATCH_SIZE
    missing = expected - (emulator.created() - before)
    return BatchLatency(one_call, by_parallel, naive_seconds, latency, missing)
