"""The measured process of figures 3 and 6 and of the profile: one container, nothing else in it.

    python -m benchmarks.child SPEC.json RESULT.json      (run by ``benchmarks.hot_path`` / ``memory``)

The parent provisions the deployment on its peers (moto and the emulator, each a process of its own) and
writes the function's environment into SPEC; this process builds the function from it with its own
``build_dependencies`` (``local.pipeline.build_function``) and the naive peer with its own client, and
runs batches of new orders through them. Its stdout is the function's log stream (Powertools logs at
INFO and EMF metrics, as on Lambda); the parent sends it to /dev/null. The figures go to RESULT.

Modes: ``hot-path`` (CPU per record, handler and naive interleaved batch by batch, after a warm-up),
``profile`` (the handler, its records run inline (``InlineExecutor``), under the CPU sampler of
``benchmarks.sampler``, then under cProfile), ``memory`` (one
peer, RSS at checkpoints and the peak).
"""

from __future__ import annotations

import cProfile
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks.naive import NaiveTaskCreator, naive_client
from benchmarks.sampler import CpuSampler
from benchmarks.workload import BATCH_SIZE, sqs_batches
from local.lambda_context import LocalLambdaContext
from local.pipeline import build_function
from task_creator.dependencies import Dependencies
from task_creator.handler import lambda_handler

Peer = Callable[[dict[str, Any]], Any]
PAGE_BYTES = resource.getpagesize()


class InlineExecutor(Executor):
    """Runs each submitted call at once in the caller's thread. cProfile (``sys.monitoring`` since 3.12)
    cannot tell threads apart and the CPU sampler sees the main thread only, so the profile runs a
    batch's records one after another in the event loop's thread: every cost is the same, the thread
    pool's hand-offs aside."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


def handler_peer(spec: dict[str, Any]) -> tuple[Peer, Dependencies]:
    dependencies = build_function(spec["environment"], spec["aws"], spec["connect"])

    def invoke(event: dict[str, Any]) -> Any:
        context = LocalLambdaContext(function_name=spec["function_name"], timeout_seconds=spec["timeout"])
        return lambda_handler(event, cast("LambdaContext", context), dependencies=dependencies)

    return invoke, dependencies


def naive_peer(spec: dict[str, Any]) -> Peer:
    creator = NaiveTaskCreator(naive_client(spec["aws"], spec["connect"]))
    return lambda event: creator(event, None)


def failures(response: Any) -> int:
    return len(response.get("batchItemFailures") or []) if isinstance(response, dict) else BATCH_SIZE


def hot_path(spec: dict[str, Any]) -> dict[str, Any]:
    """CPU and wall time per record of each peer, on the same batches, interleaved."""
    handler, _ = handler_peer(spec)
    peers = {"handler": handler, "naive": naive_peer(spec)}
    warmup, measured = spec["warmup"], spec["batches"]
    batches = sqs_batches(warmup + measured, spec["prefix"])
    totals = {name: {"cpu": 0.0, "wall": 0.0, "records": 0, "failures": 0} for name in peers}
    for index, batch in enumerate(batches):
        for name, peer in peers.items():
            cpu, wall = time.process_time(), time.perf_counter()
            response = peer(batch)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if index >= warmup:
                total = totals[name]
                total["cpu"] += cpu
                total["wall"] += wall
                total["records"] += len(batch["Records"])
                total["failures"] += failures(response)
    return totals


def profile(spec: dict[str, Any]) -> dict[str, Any]:
    """The handler, its records inline (``InlineExecutor``): first under the CPU sampler (its samples
    are returned), then on new batches under cProfile (its stats go to ``spec["profile_file"]``)."""
    handler, dependencies = handler_peer(spec)
    dependencies.batch.executor = InlineExecutor()  # type: ignore[assignment]
    warmup, measured = spec["warmup"], spec["batches"]
    batches = sqs_batches(warmup + 2 * measured, spec["prefix"])
    for batch in batches[:warmup]:
        handler(batch)
    sampled, profiled = batches[warmup : warmup + measured], batches[warmup + measured :]
    failed = 0
    cpu = time.process_time()
    with CpuSampler() as sampler:
        for batch in sampled:
            failed += failures(handler(batch))
    cpu = time.process_time() - cpu
    profiler = cProfile.Profile()
    profiler.enable()
    for batch in profiled:
        failed += failures(handler(batch))
    profiler.disable()
    profiler.dump_stats(spec["profile_file"])
    return {
        "cpu": cpu,
        "records": sum(len(batch["Records"]) for batch in sampled),
        "failures": failed,
        "samples": [[list(map(list, stack)), count] for stack, count in sampler.samples.items()],
    }


def memory(spec: dict[str, Any]) -> dict[str, Any]:
    """RSS after every ``spec["every"]`` events (after a collection) and the peak, for one peer."""
    peer = handler_peer(spec)[0] if spec["peer"] == "handler" else naive_peer(spec)
    events = failed = 0
    checkpoints: dict[int, float] = {0: resident_mb()}
    for batch in range(spec["batches"]):
        events_batch = sqs_batches(1, f"{spec['prefix']}-{batch}")[0]
        failed += failures(peer(events_batch))
        events += len(events_batch["Records"])
        if events % spec["every"] == 0:
            gc.collect()
            checkpoints[events] = resident_mb()
    return {"checkpoints": checkpoints, "peak_mb": peak_mb(), "events": events, "failures": failed}


def resident_mb() -> float:
    """The process's resident set now (``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * PAGE_BYTES / 1024 / 1024


def peak_mb() -> float:
    """The process's peak resident set (``VmHWM``). Not ``ru_maxrss``: on Linux that keeps the parent's
    resident set from before the ``fork`` that started this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


MODES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "hot-path": hot_path,
    "profile": profile,
    "memory": memory,
}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = MODES[spec["mode"]](spec)
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
