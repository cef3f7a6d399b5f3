"""Measure what the design claims: concurrency within a batch, planning cost, cold-start imports.

    .venv/bin/python -m benchmarks.run [--repeat N] [--chaos-events N]

Connect is the project's emulator on loopback with a fixed latency (the real API answers in ~50-150 ms),
reached by the production boto3 client; nothing leaves the machine. Figures are wall-clock medians,
except the chaos run's (one seeded run of ``benchmarks.chaos``; ``--chaos-events 0`` skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks.chaos import DEFAULT_EVENTS as CHAOS_EVENTS
from benchmarks.chaos import bench_chaos, print_report
from local.connect_emulator import ConnectEmulator, EmulatorConfig, FaultConfig, FixedLatency
from local.lambda_context import LocalLambdaContext
from task_creator.adapters.connect import ConnectTasks, make_connect_client
from task_creator.dependencies import AWS_CLIENT_CONFIG, AwsClients, Dependencies, build_dependencies
from task_creator.handler import lambda_handler
from task_creator.mapping.envelope import event_from_eventbridge, event_from_sqs_record
from task_creator.mapping.planning import PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from task_creator.settings import Settings
from tests.support import create_rules_only

ROOT = Path(__file__).resolve().parent.parent
CONNECT_LATENCY_SECONDS = 0.1
BATCH_SIZE = 10


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def batch_event(run: int) -> dict[str, Any]:
    template = json.loads((ROOT / "events" / "eventbridge-order-delayed.json").read_text())
    records = []
    for index in range(BATCH_SIZE):
        event = {
            **template,
            "id": f"bench-{run}-{index}",
            "detail": {**template["detail"], "orderId": f"B-{run}-{index}"},
        }
        records.append(
            {
                "messageId": f"m-{run}-{index}",
                "receiptHandle": "rh",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763906700000"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:task-creator-ingest",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def time_batches(deps: Dependencies, repeat: int) -> float:
    """Median wall time of one batch through the real handler; every batch carries new orders."""
    runs = iter(range(10_000))
    return median_seconds(
        lambda: lambda_handler(
            batch_event(next(runs)), cast(LambdaContext, LocalLambdaContext()), dependencies=deps
        ),
        repeat,
    )


def bench_batch_concurrency(repeat: int) -> list[tuple[int, float]]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    config = EmulatorConfig(faults=FaultConfig(latency=FixedLatency(CONNECT_LATENCY_SECONDS)))
    results = []
    with ConnectEmulator(config) as emulator:
        os.environ["AWS_ENDPOINT_URL_CONNECT"] = emulator.endpoint_url
        for parallel in (1, 5, 10):
            settings = Settings(
                connect_instance_id="11111111-2222-3333-4444-555555555555",
                contact_flow_id="66666666-7777-8888-9999-000000000000",
                max_parallel_calls=parallel,
                token_namespace=f"bench-{parallel}",
            )
            clients = AwsClients(
                connect=ConnectTasks(make_connect_client(AWS_CLIENT_CONFIG, max_pool_connections=parallel)),
                sqs=boto3.client("sqs", endpoint_url="http://127.0.0.1:9"),  # unused: nothing fails
                dynamodb=lambda: boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9"),
            )
            deps = build_dependencies(settings, clients=clients, mapping=create_rules_only())
            seconds = time_batches(deps, repeat)
            results.append((parallel, seconds))
    return results


def bench_planning(repeat: int) -> list[tuple[str, float]]:
    mapping = load_mapping(ROOT / "lambda" / "mapping.json")
    context = PlanningContext(TaskDefaults("i", "f"), "bench")
    direct = json.loads((ROOT / "events" / "eventbridge-order-delayed.json").read_text())
    raw = json.loads((ROOT / "events" / "sqs-raw-payloads.json").read_text())["Records"][0]
    cases: dict[str, Callable[[], object]] = {
        f"EventBridge event, {len(mapping.rules)} rules, 1 match": lambda: plan_event(
            event_from_eventbridge(direct), mapping, context
        ),
        "raw SQS record (parse + plan)": lambda: plan_event(event_from_sqs_record(raw), mapping, context),
    }
    loops = 2_000
    return [(name, median_seconds(repeated(action, loops), repeat) / loops) for name, action in cases.items()]


def repeated(action: Callable[[], object], times: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(times):
            action()

    return run


def bench_cold_imports(repeat: int) -> list[tuple[str, float]]:
    probes = {
        "import task_creator.handler (tracing off)": "import task_creator.handler",
        "+ Powertools Tracer() when tracing is on": (
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chaos-events", type=int, default=CHAOS_EVENTS, help="0: no chaos run")
    arguments = parser.parse_args()
    repeat = arguments.repeat
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {repeat} runs\n")
    print(
        f"Batch of {BATCH_SIZE} records, Connect latency {CONNECT_LATENCY_SECONDS * 1000:.0f} ms (emulator)"
    )
    print("| MAX_PARALLEL_CALLS | batch wall time |\n| ---: | ---: |")
    for parallel, seconds in bench_batch_concurrency(repeat):
        print(f"| {parallel} | {seconds * 1000:.0f} ms |")
    print("\nPlanning (match + render + limits + token), pure code")
    print("| case | per event |\n| --- | ---: |")
    for name, seconds in bench_planning(repeat):
        print(f"| {name} | {seconds * 1e6:.0f} µs |")
    print("\nCold-start imports (fresh interpreter)")
    print("| what | time |\n| --- | ---: |")
    for name, seconds in bench_cold_imports(repeat):
        print(f"| {name} | {seconds * 1000:.0f} ms |")
    if arguments.chaos_events > 0:
        print()
        print_report(bench_chaos(arguments.chaos_events))


if __name__ == "__main__":
    main()
