"""The six figures of issue 11, each a ratio against its goal, with the naive peer's beside it."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.batch_latency import BatchLatency
from benchmarks.cold_start import ColdStart
from benchmarks.hot_path import HotPath
from benchmarks.memory import Memory
from benchmarks.sustained import SustainedRun

RATE_GOAL = 0.95
COST_GOAL = 0.5  # of maxConcurrency / Q
HOT_PATH_GOAL = 1.3
COLD_START_GOAL = 1.3
BATCH_LATENCY_GOAL = 1.2
MEMORY_GROWTH_GOAL_MB = 1.0


@dataclass(frozen=True)
class Figure:
    number: int
    name: str
    value: str
    goal: str
    met: bool
    naive: str
    details: tuple[str, ...] = ()

    def render(self) -> str:
        verdict = "met" if self.met else "NOT MET"
        head = f"{self.number}. {self.name:<15} {self.value:<10} (goal {self.goal}) {verdict}"
        head += f"   naive: {self.naive}"
        return "\n".join([head, *(f"   {line}" for line in self.details)])


def _missing(*missing: int) -> list[str]:
    """A figure whose runs did not create every task they should have measured something else."""
    total = sum(missing)
    return [f"INVALID: {total} tasks the runs should have created were not created"] if total else []


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.0f} s"


def _dead_letters(run: SustainedRun) -> str:
    if not run.dead_letters:
        return "0 dead letters"
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(run.dead_letter_types.items()))
    return f"{run.dead_letters} dead letters ({kinds})"


def sustained_rate(handler: SustainedRun, naive: SustainedRun, ceiling: SustainedRun, quota: float) -> Figure:
    ratio = handler.tasks_per_second / quota
    rate = handler.rate
    per_container = (
        f"each container {rate.calls_per_second:g} calls/s (CONNECT_CALLS_PER_SECOND, set by {rate.set_by})"
        if rate is not None and rate.calls_per_second is not None
        else "no per-container rate set"
    )
    details = [
        f"handler: {handler.tasks_per_second:.1f} tasks/s at Q = {quota:g}, {handler.throttles} throttles, "
        f"{_dead_letters(handler)}, {handler.tasks}/{handler.events} tasks in "
        f"{handler.drain_seconds:.0f} s; {per_container}",
        f"naive:   {naive.tasks_per_second:.1f} tasks/s, {naive.throttles} throttles, "
        f"{_dead_letters(naive)}, {naive.tasks}/{naive.events} tasks in {naive.drain_seconds:.0f} s",
        f"harness ceiling (same setup, no quota, {ceiling.events} events): "
        f"{ceiling.tasks_per_second:.0f} tasks/s",
    ]
    for run in (handler, naive, ceiling):
        if run.drain_error:
            details.append(f"{run.peer}: the drain stopped early: {run.drain_error}")
    if ceiling.tasks_per_second < 1.2 * quota:
        details.append("the harness itself caps the rate near Q: this figure measures the harness too")
    return Figure(
        1,
        "sustained rate",
        f"{ratio:.2f} Q",
        f">= {RATE_GOAL} Q, 0 dead letters",
        ratio >= RATE_GOAL and handler.dead_letters == 0 and handler.tasks == handler.events,
        f"{naive.tasks_per_second / quota:.2f} Q, {naive.throttles} throttles, {_dead_letters(naive)}, "
        f"drained in {naive.drain_seconds:.0f} s",
        tuple(details),
    )


def cost(
    handler: SustainedRun,
    naive: SustainedRun,
    *,
    quota: float,
    containers: int,
    round_trip: float,
    parallel: int,
) -> Figure:
    budget = containers / quota  # seconds per task when every container is busy all the time
    ratio = handler.billed_seconds_per_task / budget
    naive_ratio = naive.billed_seconds_per_task / budget
    floor = round_trip / parallel
    return Figure(
        2,
        "cost",
        f"{ratio:.2f}",
        f"<= {COST_GOAL} and below naive",
        ratio <= COST_GOAL and ratio < naive_ratio,
        f"{naive_ratio:.2f} ({_ms(naive.billed_seconds_per_task)} per task)",
        (
            f"billed {_ms(handler.billed_seconds_per_task)} per task ({handler.billed_ms / 1000:.0f} s over "
            f"{handler.invocations} invocations) vs maxConcurrency/Q = {_ms(budget)}; "
            f"floor {floor / budget:.2f} ({_ms(floor)} = one {_ms(round_trip)} round trip / {parallel} "
            f"parallel calls)",
        ),
    )


def hot_path(lean: HotPath, ledger: HotPath) -> Figure:
    details = [
        f"CPU per record: handler {lean.handler_cpu_ms:.2f} ms, naive {lean.naive_cpu_ms:.2f} ms "
        f"({lean.records} records each, idempotency off: one StartTaskContact per record either way)",
        f"with the ledger (the stack's default): {ledger.handler_cpu_ms:.2f} ms "
        f"({ledger.handler_cpu_ms / ledger.naive_cpu_ms:.2f}x naive): + PutItem and UpdateItem per record",
    ]
    if lean.failures or ledger.failures:
        details.append(f"INVALID: {lean.failures + ledger.failures} records failed")
    details += _missing(lean.missing_tasks, ledger.missing_tasks)
    return Figure(
        3,
        "hot path",
        f"{lean.ratio:.2f}x",
        f"<= {HOT_PATH_GOAL}x",
        lean.ratio <= HOT_PATH_GOAL and not lean.failures and not lean.missing_tasks,
        f"1.00x ({lean.naive_cpu_ms:.2f} ms)",
        tuple(details),
    )


def cold_start(lean: ColdStart, ledger: ColdStart) -> Figure:
    return Figure(
        4,
        "cold start",
        f"{lean.ratio:.2f}x",
        f"<= {COLD_START_GOAL}x",
        lean.ratio <= COLD_START_GOAL and not lean.missing_tasks,
        f"1.00x ({_ms(lean.baseline_seconds)}: import boto3 + client + call)",
        (
            f"handler from the asset as deployed (no bytecode): {_ms(lean.handler_seconds)}; the same asset "
            f"with its bytecode compiled: {_ms(lean.compiled_seconds)} "
            f"({lean.compiled_seconds / lean.baseline_seconds:.2f}x); first batch of one record",
            f"with the ledger: {_ms(ledger.handler_seconds)} as deployed "
            f"({ledger.ratio:.2f}x), {_ms(ledger.compiled_seconds)} compiled; medians of {lean.runs} runs",
            *_missing(lean.missing_tasks, ledger.missing_tasks),
        ),
    )


def batch_latency(latency: BatchLatency) -> Figure:
    one = latency.one_call_seconds
    return Figure(
        5,
        "batch latency",
        f"{latency.ratio:.2f}x",
        f"<= {BATCH_LATENCY_GOAL}x",
        latency.ratio <= BATCH_LATENCY_GOAL and not latency.missing_tasks,
        f"{latency.naive_seconds / one:.2f}x ({_ms(latency.naive_seconds)}, one call after another)",
        (
            f"batch of 10 at {_ms(latency.latency_seconds)} Connect latency: {_ms(latency.handler_seconds)} "
            f"with maxParallelCalls 10, {_ms(latency.default_parallel_seconds)} with the default 5 "
            f"({latency.default_parallel_seconds / one:.2f}x); one call {_ms(one)}",
            *_missing(latency.missing_tasks),
        ),
    )


def memory(ledger: Memory, lean: Memory, naive: Memory) -> Figure:
    fifth = ledger.events // 5
    return Figure(
        6,
        "memory",
        f"{ledger.growth_mb:+.1f} MB",
        f"no growth, <= {MEMORY_GROWTH_GOAL_MB:g} MB from {fifth:,} to {ledger.events:,} events",
        ledger.growth_mb <= MEMORY_GROWTH_GOAL_MB and not ledger.failures and not ledger.missing_tasks,
        f"{naive.growth_mb:+.1f} MB, peak {naive.peak_mb:.0f} MB",
        (
            f"peak RSS {ledger.peak_mb:.0f} MB over {ledger.events:,} events in one container (the stack's "
            f"default, with the ledger); RSS {ledger.rss_at(fifth):.1f} MB at {fifth:,}, "
            f"{ledger.rss_at(ledger.events):.1f} MB at {ledger.events:,}",
            f"without the ledger: peak {lean.peak_mb:.0f} MB, {lean.growth_mb:+.1f} MB from {fifth:,} to "
            f"{lean.events:,}",
            *_missing(ledger.missing_tasks, lean.missing_tasks, naive.missing_tasks),
        ),
    )
