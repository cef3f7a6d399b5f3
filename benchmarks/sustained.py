"""Figures 1 and 2: the sustained rate at Connect's quota, and the billed function time per task.

A backlog of ``events`` new orders waits on the stack's ingest queue (moto); the emulator's
StartTaskContact quota is ``quota`` requests per second with a burst of ``burst``, and every call takes
``latency`` seconds. Two containers (the stack's ``maxConcurrency``), each polled by its own
event-source loop (``local.event_source``, as ``tests/integration/chaos_support.py`` drains), run either
the real function (each container its own function, built by ``build_dependencies`` from the stack's
environment, with the stack's rate budget) or the naive peer (``benchmarks.naive``). Measured: tasks
created per second of the drain, the emulator's throttles, the DLQ (every message in it is caused by
throttling: no other fault is injected and every event is valid), the time to drain, and each
invocation's duration, billed as Lambda bills it (per millisecond, rounded up).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.deployment import ContainerRate, container, handler_invoker, provision
from benchmarks.naive import NaiveTaskCreator, naive_client
from benchmarks.peers import EmulatorProcess, MotoProcess
from benchmarks.workload import (
    FLEET_RATE_CONTEXT_KEY,
    LEDGER,
    UNLIMITED_FLEET_RATE,
    bench_config,
    order_events,
)
from local.event_source import Invoker, SqsEventSource
from local.function_output import captured_function_output
from local.lambda_context import LocalLambdaContext
from local.redrive import inspect_queue
from tests.integration.chaos_support import drain_concurrently, send_in_order

HANDLER = "handler"
NAIVE = "naive"
CEILING_EVENTS = 300


@dataclass(frozen=True)
class Published:
    """One event as ``send_in_order`` publishes it."""

    key: str
    body: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SustainedRun:
    """What one peer did with the backlog."""

    peer: str
    events: int
    tasks: int
    calls: int
    throttles: int
    dead_letters: int
    dead_letter_types: Mapping[str, int]
    drain_seconds: float
    invocations: int
    billed_ms: int
    drain_error: str | None
    rate: ContainerRate | None

    @property
    def tasks_per_second(self) -> float:
        return self.tasks / self.drain_seconds if self.drain_seconds else 0.0

    @property
    def billed_seconds_per_task(self) -> float:
        return self.billed_ms / 1000 / self.tasks if self.tasks else math.inf


class BilledInvocations:
    """Wraps invokers and adds up their invocations' durations, as Lambda bills them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.durations: list[float] = []

    def wrap(self, invoke: Invoker) -> Invoker:
        def timed(event: dict[str, Any], context: LocalLambdaContext) -> Any:
            started = time.perf_counter()
            try:
                return invoke(event, context)
            finally:
                elapsed = time.perf_counter() - started
                with self._lock:
                    self.durations.append(elapsed)

        return timed

    @property
    def billed_ms(self) -> int:
        with self._lock:
            return sum(math.ceil(duration * 1000) for duration in self.durations)


def emulator_faults(*, latency: float, quota: float | None, burst: int) -> dict[str, Any]:
    faults: dict[str, Any] = {"latency": {"kind": "fixed", "seconds": latency}}
    if quota is not None:
        faults["rate_limit"] = {"requests_per_second": quota, "burst": burst}
    return faults


def run_sustained(
    aws: MotoProcess,
    emulator: EmulatorProcess,
    peer: str,
    *,
    events: int,
    quota: float | None,
    burst: int,
    latency: float,
    mapping_file: Path,
) -> SustainedRun:
    """Drain a backlog of ``events`` through two containers of ``peer`` (HANDLER or NAIVE); ``quota``
    None: no quota (the harness's own ceiling)."""
    aws.reset()
    emulator.reset()
    emulator.set_faults(emulator_faults(latency=latency, quota=quota, burst=burst))
    fleet_rate = quota if quota is not None else UNLIMITED_FLEET_RATE
    config = bench_config(LEDGER, mapping_file, **{FLEET_RATE_CONTEXT_KEY: fleet_rate})
    pipeline, rate = provision(
        aws, emulator.endpoint_url, config, fleet_rate=fleet_rate if peer == HANDLER else None
    )
    invokers: list[Invoker]
    if peer == HANDLER:
        others = [container(pipeline, aws, emulator.endpoint_url) for _ in range(config.max_concurrency - 1)]
        invokers = [handler_invoker(deps) for deps in [pipeline.dependencies, *others]]
    else:
        invokers = [
            NaiveTaskCreator(naive_client(aws.endpoint_url, emulator.endpoint_url))
            for _ in range(config.max_concurrency)
        ]
    backlog = [Published(event["id"], json.dumps(event)) for event in order_events(events, f"{peer}-{quota}")]
    send_in_order(aws, pipeline, backlog)
    billed = BilledInvocations()
    sources = [
        SqsEventSource(
            aws.sqs(), pipeline.event_source.mapping, billed.wrap(invoke), new_context=pipeline.new_context
        )
        for invoke in invokers
    ]
    timeout = 120 + 4 * events / (quota or 20)
    with open(os.devnull, "w") as sink, captured_function_output(sink):
        started = time.monotonic()
        error = drain_concurrently(sources, timeout)
        seconds = time.monotonic() - started
    counters = emulator.counters()
    dead = inspect_queue(aws.sqs(), pipeline.topology.dead_letter_queue.url, limit=events * 2)
    return SustainedRun(
        peer=peer,
        events=events,
        tasks=int(counters["created"]),
        calls=int(counters["calls"]),
        throttles=int(counters["throttles"]),
        dead_letters=len(dead),
        dead_letter_types=Counter(message.attribute("ErrorType") or "(redrive policy)" for message in dead),
        drain_seconds=seconds,
        invocations=len(billed.durations),
        billed_ms=billed.billed_ms,
        drain_error=error,
        rate=rate if peer == HANDLER else None,
    )


def round_trip_seconds(emulator: EmulatorProcess, aws: MotoProcess, latency: float, calls: int = 20) -> float:
    """The median StartTaskContact round trip at ``latency`` (no quota), from a warm naive client."""
    emulator.reset()
    emulator.set_faults(emulator_faults(latency=latency, quota=None, burst=1))
    creator = NaiveTaskCreator(naive_client(aws.endpoint_url, emulator.endpoint_url))
    samples = []
    for index, event in enumerate(order_events(calls + 3, "round-trip")):
        started = time.perf_counter()
        creator.start_task(event)
        if index >= 3:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)
