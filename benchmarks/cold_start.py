"""Figure 4, the cold start: a fresh interpreter importing the handler and serving its first batch,
against a fresh interpreter doing ``import boto3``, one client and one call; and ``-X importtime``.

The handler runs from the function's real asset (``infra.bundling.build_asset``: the pinned
dependencies and the package at its root), first on the path, as on Lambda. The asset carries no
bytecode (the bundler strips ``__pycache__`` and installs with ``--no-compile``) and Lambda's
``/var/task`` is read-only, so every cold start compiles every module it imports: the child runs with
``PYTHONDONTWRITEBYTECODE`` so that this stays true run after run. The same asset with its bytecode
compiled (``compileall``) is measured beside it. The baseline's boto3 is the environment's, compiled, as
the Lambda runtime's own boto3 is.

Each is a new process with the function's environment (the stack's, aimed at the emulator and moto),
its stdout (logs, EMF) to /dev/null. The time is the parent's, from spawning the process to reading the
line the child writes to stderr once the batch is answered: interpreter start, imports, init, the first
batch. Lambda's own runtime start (the bootstrap) is the same for both and in neither. Runs alternate;
medians.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.peers import EmulatorProcess
from benchmarks.workload import order_events, sqs_batch
from local.aws import offline_environment

# What a Lambda init does with this handler: import it, then the first invocation builds the
# collaborators from the environment (``container_dependencies``) and runs the batch.
HANDLER_CHILD = """
import json, os, sys
from task_creator.handler import lambda_handler

class Context:
    function_name = "task-creator-cold"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:task-creator-cold"
    aws_request_id = "cold-start"
    log_group_name = "/aws/lambda/task-creator-cold"
    log_stream_name = "cold"
    def get_remaining_time_in_millis(self):  # the deployment's function timeout, as at invoke
        return int(float(sys.argv[2]) * 1000)

response = lambda_handler(json.loads(sys.argv[1]), Context())
os.write(2, ("served " + json.dumps(response) + "\\n").encode())
"""
BASELINE_CHILD = """
import json, os, sys
import boto3
client = boto3.client("connect")
event = json.loads(json.loads(sys.argv[1])["Records"][0]["body"])
client.start_task_contact(
    InstanceId=os.environ["CONNECT_INSTANCE_ID"], ContactFlowId=os.environ["CONNECT_CONTACT_FLOW_ID"],
    Name="Order %s is delayed" % event["detail"]["orderId"], ClientToken=event["id"],
)
os.write(2, b"served {}\\n")
"""
IMPORTTIME_STATEMENT = "import task_creator.handler"


@dataclass(frozen=True)
class ColdStart:
    handler_seconds: float  # from the asset as deployed (no bytecode)
    compiled_seconds: float  # from the same asset with its bytecode
    baseline_seconds: float
    runs: int
    missing_tasks: int

    @property
    def ratio(self) -> float:
        return self.handler_seconds / self.baseline_seconds


@dataclass(frozen=True)
class Assets:
    """The function's asset twice: as the bundler builds it, and with its bytecode compiled."""

    as_deployed: Path
    compiled: Path


def build_assets(directory: Path, mapping_file: Path) -> Assets:
    from infra.bundling import LAMBDA_PLATFORM, AssetSources, build_asset  # noqa: PLC0415 - imports CDK

    assets = Assets(directory / "asset", directory / "asset-compiled")
    sources = AssetSources(mapping_file=mapping_file)
    for target in (assets.as_deployed, assets.compiled):
        build_asset(target, sources, LAMBDA_PLATFORM)
    compileall.compile_dir(
        assets.compiled,
        quiet=1,
        workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return assets


def cold_environment(
    function_environment: Mapping[str, str], aws_url: str, connect_url: str, python_path: Path | None
) -> dict[str, str]:
    """A child's environment: this process's, the offline endpoints, the function's variables, and
    ``python_path`` first on the path (None: nothing but the interpreter's own)."""
    environment = {**os.environ}
    for name, value in offline_environment(aws_url, connect_url).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    environment.update(function_environment)
    environment.update(POWERTOOLS_LOG_LEVEL="INFO", PYTHONDONTWRITEBYTECODE="1")
    environment.pop("PYTHONPATH", None)
    if python_path is not None:
        environment["PYTHONPATH"] = str(python_path)
    for variable in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        environment.pop(variable, None)
    return environment


def time_child(code: str, arguments: list[str], environment: Mapping[str, str], cwd: Path) -> float:
    """Seconds from spawning ``python -c code *arguments`` to its "served" line on stderr."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, *arguments],
        cwd=cwd,
        env=dict(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    line = child.stderr.readline()
    elapsed = time.perf_counter() - started
    rest = child.stderr.read()
    child.wait(timeout=60)
    if not line.startswith("served") or json.loads(line.split(" ", 1)[1]).get("batchItemFailures"):
        raise RuntimeError(f"the cold-start child did not serve its batch: {line}{rest}")
    return elapsed


def measure_cold_start(
    assets: Assets, spec: Mapping[str, Any], emulator: EmulatorProcess, *, runs: int, records: int = 1
) -> ColdStart:
    """Median seconds of each variant over ``runs`` alternating runs (one more run first, dropped: it
    warms the OS's file cache), the deployment's environment from ``spec`` (``hot_path.child_spec``)."""
    function_environment, aws_url, connect_url = spec["environment"], spec["aws"], spec["connect"]
    before = emulator.created()
    variants = {
        "handler": (HANDLER_CHILD, assets.as_deployed),
        "compiled": (HANDLER_CHILD, assets.compiled),
        "baseline": (BASELINE_CHILD, None),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for run in range(runs + 1):
        for name, (code, path) in variants.items():
            key = f"cold-{name}-{run}-{time.time_ns()}"  # new orders: no ClientToken seen before
            batch = json.dumps(sqs_batch(list(order_events(records, key)), key))
            environment = cold_environment(function_environment, aws_url, connect_url, path)
            arguments = [batch, str(spec["timeout"])]
            elapsed = time_child(code, arguments, environment, path or Path(tempfile.gettempdir()))
            if run:
                seconds[name].append(elapsed)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    expected = (runs + 1) * (2 * records + 1)  # the baseline makes one call
    missing = expected - (emulator.created() - before)
    return ColdStart(medians["handler"], medians["compiled"], medians["baseline"], runs, missing)


def import_times(asset: Path, function_environment: Mapping[str, str]) -> list[tuple[str, float, float]]:
    """``python -X importtime -c "import task_creator.handler"`` from ``asset``: every module, by self
    time (name, self ms, cumulative ms); the second of two runs."""
    environment = cold_environment(function_environment, "http://127.0.0.1:9", "http://127.0.0.1:9", asset)
    report = ""
    for _ in range(2):
        report = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", IMPORTTIME_STATEMENT],
            cwd=asset,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
    return parse_import_times(report)


def parse_import_times(report: str) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    for line in report.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((name, int(self_us) / 1000, int(cumulative_us) / 1000))
    return sorted(rows, key=lambda row: row[1], reverse=True)
