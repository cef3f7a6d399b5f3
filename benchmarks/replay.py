"""Recovering a window of events that had all been done: what the replay costs.

    PYTHONPATH=lambda .venv/bin/python -m benchmarks.replay [--orders 100] [--rate 4]

Offline: moto and the Connect emulator in this process, the shipped mapping, a deployment with outcome
events and its archive. Each order's story is published on the bus (its delay: a task; its delivery
rescheduled: an update; its delivery: a complete) and drained; then the archive's window is replayed onto
the bus rules with ``python -m local replay``'s own code and drained again. Every replayed event had been
done, so the replay should cost ledger and registry reads only: no Connect call, no rate-budget slot,
one ``Task Duplicate Skipped`` per event. The figures say whether it does, and how long it takes at
``--rate`` (``connectRequestsPerSecond``, split between the deployment's containers).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from local.function_output import captured_function_output
from local.outcome_events import APPLIED_DETAIL_TYPES, OutcomeEvent, read_outcome_events
from local.pipeline import LocalPipeline
from local.replay import ReplayWindow, follow_replay, start_replay
from local.replay_targets import describe_archive
from tests.integration.pipeline_support import FAST, deployment_config, put_event, sample

DEFAULT_ORDERS = 100
DEFAULT_RATE = 4.0
STORY = (  # one order's events, in the order they happened
    "eventbridge-order-delayed.json",
    "eventbridge-order-delivery-rescheduled.json",
    "eventbridge-order-delivered.json",
)
WINDOW_START = datetime(2026, 11, 23, tzinfo=UTC)  # the samples' first day
DRAIN_TIMEOUT_SECONDS = 900.0


@dataclass(frozen=True)
class ReplayFigures:
    orders: int
    rate: float
    events: int
    live_seconds: float
    live_connect_calls: int
    replay_seconds: float  # from StartReplay until the ingest queue is drained
    replay_connect_calls: dict[str, int]
    tasks_created_by_replay: int
    replay_outcomes: dict[str, int]  # outcome events of the replayed events, by detail-type

    @property
    def applied_again(self) -> int:
        return sum(count for kind, count in self.replay_outcomes.items() if kind in APPLIED_DETAIL_TYPES)

    def rows(self) -> list[tuple[str, str]]:
        calls = sum(self.replay_connect_calls.values())
        by_operation = ", ".join(f"{name} {count}" for name, count in self.replay_connect_calls.items())
        return [
            ("orders (events: create, update, complete)", f"{self.orders} ({self.events})"),
            ("connectRequestsPerSecond", f"{self.rate:g}"),
            ("live: wall time, Connect calls", f"{self.live_seconds:.1f} s, {self.live_connect_calls}"),
            ("replay: wall time (StartReplay to drained)", f"{self.replay_seconds:.1f} s"),
            ("replay: Connect calls", f"{calls}" + (f" ({by_operation})" if calls else "")),
            ("replay: tasks created", str(self.tasks_created_by_replay)),
            (
                "replay: outcome events",
                ", ".join(f"{k} {v}" for k, v in sorted(self.replay_outcomes.items())),
            ),
            ("replay: outcomes that changed something", str(self.applied_again)),
        ]


def bench_replay(orders: int = DEFAULT_ORDERS, rate: float = DEFAULT_RATE) -> ReplayFigures:
    with EmbeddedAws() as aws, ConnectEmulator() as emulator, captured_function_output(io.StringIO()):
        aws.reset()
        pipeline = LocalPipeline.provision(
            aws, emulator.endpoint_url, deployment_config(connectRequestsPerSecond=rate), FAST
        )
        started = time.monotonic()
        for name in STORY:  # each step of every order, then drained: no follow-up waits for its task
            for number in range(orders):
                put_event(aws, pipeline, _order_event(name, f"ORD-{number:05d}"))
            pipeline.drain(timeout_seconds=DRAIN_TIMEOUT_SECONDS)
        live_seconds = time.monotonic() - started
        live_calls = _calls(emulator)
        tasks_before = len(emulator.tasks())
        seen = {event.id for event in _outcomes(aws, pipeline)}

        started = time.monotonic()
        _replay_everything(aws, pipeline)
        pipeline.drain(timeout_seconds=DRAIN_TIMEOUT_SECONDS)
        replay_seconds = time.monotonic() - started
        calls = _calls(emulator)
        replayed = [event for event in _outcomes(aws, pipeline) if event.id not in seen]
        return ReplayFigures(
            orders=orders,
            rate=rate,
            events=orders * len(STORY),
            live_seconds=live_seconds,
            live_connect_calls=sum(live_calls.values()),
            replay_seconds=replay_seconds,
            replay_connect_calls={
                name: count - live_calls.get(name, 0)
                for name, count in calls.items()
                if count > live_calls.get(name, 0)
            },
            tasks_created_by_replay=len(emulator.tasks()) - tasks_before,
            replay_outcomes=dict(Counter(event.detail_type for event in replayed)),
        )


def _order_event(name: str, order_id: str) -> dict[str, Any]:
    event = sample(name)
    event["detail"] = json.loads(json.dumps(event["detail"]).replace("ORD-1001", order_id))
    return event


def _replay_everything(aws: EmbeddedAws, pipeline: LocalPipeline) -> None:
    topology = pipeline.topology
    if topology.archive is None:
        raise RuntimeError("the deployment has no archive (archiveDays)")
    events = aws.events()
    archive = describe_archive(events, topology.archive.name)
    window = ReplayWindow(start=WINDOW_START, end=datetime.now(UTC) + timedelta(seconds=1))
    start_replay(
        events, name="bench-replay", archive=archive, window=window, filter_arns=topology.bus_rule_arns
    )
    status = follow_replay(events, "bench-replay", poll_seconds=0.1)
    if status.state != "COMPLETED":
        raise RuntimeError(f"the replay ended {status.state}: {status.state_reason}")


def _calls(emulator: ConnectEmulator) -> dict[str, int]:
    return {name: op.calls for name, op in emulator.counters().operations.items() if op.calls}


def _outcomes(aws: EmbeddedAws, pipeline: LocalPipeline) -> list[OutcomeEvent]:
    outcomes = pipeline.topology.outcomes
    if outcomes is None:
        raise RuntimeError("the deployment publishes no outcome events (outcomeEvents)")
    return read_outcome_events(aws.sqs(), outcomes.queue_url)


def print_replay(figures: ReplayFigures) -> None:
    print("Replay of a window whose events had all been done")
    print("| figure | value |\n| --- | ---: |")
    for name, value in figures.rows():
        print(f"| {name} | {value} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help=f"default {DEFAULT_ORDERS}")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="connectRequestsPerSecond")
    arguments = parser.parse_args(argv)
    figures = bench_replay(arguments.orders, arguments.rate)
    print_replay(figures)
    clean = not figures.tasks_created_by_replay and not figures.applied_again
    return 0 if clean and not figures.replay_connect_calls else 1


if __name__ == "__main__":
    sys.exit(main())
