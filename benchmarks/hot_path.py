"""Figure 3, the hot path: CPU per record of the handler against the naive loop (``benchmarks.profiling``
says where the handler's goes).

Both run in one child process (``benchmarks.child``) on the same batches, interleaved batch by batch,
against the emulator with no latency in a process of its own, over keep-alive HTTP/1.1 connections with
``TCP_NODELAY`` on the emulator's sockets (botocore leaves Nagle on for its own, as it passes urllib3 no
socket options, but it sends each request in one write; moto's server gets ``TCP_NODELAY`` too). The
function has its production settings: the stack's environment, INFO logs, EMF metrics printed to its
stdout (/dev/null), outcome events published to EventBridge (moto). CPU is ``time.process_time`` of the
whole child: every thread, garbage collection included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.deployment import function_environment
from benchmarks.peers import ROOT, EmulatorProcess, MotoProcess, child_environment
from benchmarks.workload import BATCH_SIZE, bench_config
from local.lambda_context import LOCAL_FUNCTION_NAME
from local.pipeline import PipelineOptions


@dataclass(frozen=True)
class HotPath:
    handler_cpu_ms: float
    naive_cpu_ms: float
    handler_wall_ms: float
    naive_wall_ms: float
    records: int
    failures: int
    missing_tasks: int  # tasks the emulator should have created and did not

    @property
    def ratio(self) -> float:
        return self.handler_cpu_ms / self.naive_cpu_ms


def child_spec(
    aws: MotoProcess, emulator: EmulatorProcess, deployment: str, mapping_file: Path
) -> dict[str, Any]:
    """The environment of a deployment on these peers, for ``benchmarks.child`` (no latency, no quota)."""
    aws.reset()
    emulator.reset()
    emulator.set_faults({})
    config = bench_config(deployment, mapping_file)
    topology, environment, _ = function_environment(aws, config, PipelineOptions())
    return {
        "environment": environment,
        "aws": aws.endpoint_url,
        "connect": emulator.endpoint_url,
        "function_name": LOCAL_FUNCTION_NAME,
        "timeout": topology.function_timeout_seconds,
    }


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        spec_file, result_file = Path(directory, "spec.json"), Path(directory, "result.json")
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "benchmarks.child", str(spec_file), str(result_file)],
            cwd=ROOT,
            env=child_environment(POWERTOOLS_LOG_LEVEL="INFO"),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    return result


def measure_hot_path(
    spec: dict[str, Any], emulator: EmulatorProcess, *, batches: int, warmup: int = 20
) -> HotPath:
    before = emulator.created()
    totals = run_child({**spec, "mode": "hot-path", "batches": batches, "warmup": warmup, "prefix": "hot"})
    expected = 2 * (warmup + batches) * BATCH_SIZE  # both peers, every batch a new order each record
    handler, naive = totals["handler"], totals["naive"]
    return HotPath(
        handler_cpu_ms=handler["cpu"] / handler["records"] * 1000,
        naive_cpu_ms=naive["cpu"] / naive["records"] * 1000,
        handler_wall_ms=handler["wall"] / handler["records"] * 1000,
        naive_wall_ms=naive["wall"] / naive["records"] * 1000,
        records=handler["records"],
        failures=handler["failures"] + naive["failures"],
        missing_tasks=expected - (emulator.created() - before),
    )
