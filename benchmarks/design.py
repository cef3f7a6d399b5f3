"""The design's own figures, after the six: planning cost (pure code) and what tracing adds to imports.

The batch concurrency table (``MAX_PARALLEL_CALLS`` 1, 5, 10) comes from figure 5's measurement
(``benchmarks.batch_latency``); the chaos run from ``benchmarks.chaos``.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.peers import ROOT
from task_creator.mapping.envelope import event_from_eventbridge, event_from_sqs_record
from task_creator.mapping.planning import PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from tests.support import SHIPPED_MAPPING_FILE, load_event, load_record


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def repeated(action: Callable[[], object], times: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(times):
            action()

    return run


def bench_planning(repeat: int) -> list[tuple[str, float]]:
    """Seconds per event of match + render + limits + token against the shipped mapping."""
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    context = PlanningContext(TaskDefaults("i", "f"), "bench")
    direct = load_event("eventbridge-order-delayed.json")
    raw = load_record("sqs-raw-payloads.json")
    cases: dict[str, Callable[[], object]] = {
        f"EventBridge event, {len(mapping.rules)} rules, 1 match": lambda: plan_event(
            event_from_eventbridge(direct), mapping, context
        ),
        "raw SQS record (parse + plan)": lambda: plan_event(event_from_sqs_record(raw), mapping, context),
    }
    loops = 2_000
    return [(name, median_seconds(repeated(action, loops), repeat) / loops) for name, action in cases.items()]


def bench_cold_imports(repeat: int) -> list[tuple[str, float]]:
    """Seconds to import the handler in a fresh interpreter, and what the Tracer adds when on."""
    probes = {
        "import task_creator.handler (tracing off)": "import task_creator.handler",
        "import task_creator.handler + Powertools Tracer() (tracing on)": (
            "import task_creator.handler, os; os.environ.update(AWS_LAMBDA_FUNCTION_NAME='bench',"
            " POWERTOOLS_TRACE_DISABLED='false'); from aws_lambda_powertools import Tracer; Tracer()"
        ),
    }
    results = []
    for name, statement in probes.items():
        code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
        samples = []
        for _ in range(repeat):
            output = subprocess.run(
                [sys.executable, "-c", code],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT / "lambda",
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            ).stdout
            samples.append(float(output.strip().splitlines()[-1]))
        results.append((name, statistics.median(samples)))
    return results


def print_design(repeat: int, concurrency: dict[int, float], latency_ms: float) -> None:
    print(f"Batch of 10 records, Connect latency {latency_ms:.0f} ms (figure 5's runs)")
    print("| MAX_PARALLEL_CALLS | batch wall time |\n| ---: | ---: |")
    for parallel, seconds in sorted(concurrency.items()):
        print(f"| {parallel} | {seconds * 1000:.0f} ms |")
    print("\nPlanning (match + render + limits + token), pure code")
    print("| case | per event |\n| --- | ---: |")
    for name, seconds in bench_planning(repeat):
        print(f"| {name} | {seconds * 1e6:.0f} µs |")
    print("\nHandler imports (fresh interpreter, the repository's lambda/, no bytecode written)")
    print("| what | time |\n| --- | ---: |")
    for name, seconds in bench_cold_imports(repeat):
        print(f"| {name} | {seconds * 1000:.0f} ms |")


def machine() -> str:
    """nproc, CPU model, Python version, load average: what the figures ran on."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}, load average {load}"
