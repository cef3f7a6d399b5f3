"""The lifecycle chaos run: duplicates and reordering of creates, updates and completes, under faults.

    report = run_lifecycle_chaos(items=80, seed=7)
    assert not any(report.problems().values()), report.summary()

What it does: writes its own mapping (``chaos_lifecycle_events.lifecycle_mapping``: create, update,
complete, keyed by item) and provisions the chaos deployment of ``chaos_support`` with it (two
containers, backoff from 1 s doubling up to 4 s, an attempt budget, ``maxReceiveCount``, large enough
for an update that arrives long before its create to be retried until the create is in); plans
``items`` items (a create, one or two updates at distinct times, most with a complete), publishes
every copy of every event in a seeded random order (a share twice), and drains the queue under the
run's faults: the emulator's throttles, 5xx and lost answers, on every operation (StartTaskContact,
UpdateContact, UpdateContactAttributes, StopContact, DescribeContact), and batch responses lost after
the handler ran (always including the first invocation given a complete). No poison: the DLQ must stay empty.

Then every distinct event is replayed, as EventBridge's replay re-sends an archived event (a new ``id``,
``replay-name`` added), shuffled, under the same faults: nothing may be created, applied or called again.

:class:`~tests.integration.chaos_lifecycle_report.LifecycleReport` checks the end state each item must
reach whatever the order, from the emulator's tasks and their history, and what the replay did.
"""

from __future__ import annotations

import io
import json
import logging
import random
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from local.event_source import Invoker
from local.function_output import captured_function_output
from local.pipeline import LocalPipeline, PipelineOptions
from local.redrive import QueueMessage, inspect_queue
from task_creator.adapters.task_registry import RegisteredTask
from task_creator.observability import logger as function_logger
from tests.integration.chaos_events import HarnessError
from tests.integration.chaos_faults import ChaosFaults
from tests.integration.chaos_lifecycle_events import (
    LifecycleEvent,
    LifecycleItem,
    Reorderings,
    lifecycle_items,
    lifecycle_mapping,
    publication_order,
)
from tests.integration.chaos_lifecycle_evidence import FunctionStep
from tests.integration.chaos_lifecycle_report import LifecycleReport, ReplayPhase
from tests.integration.chaos_support import (
    CHAOS_DRAIN_TIMEOUT_SECONDS,
    CHAOS_OPTIONS,
    chaos_config,
    check_attempt_budget,
    container_invokers,
    drain_containers,
    send_in_order,
)

# An update published before its create is retried (NoTaskForKey) every few seconds until the create is in;
# the create may be among the last messages of the run and meet faults itself, so the budget is twice
# the existing run's. The harness check says so if a record came near it.
LIFECYCLE_ATTEMPT_BUDGET = 60
# An update waiting for its create is retried with backoff, exponential from 1 s up to 4 s, as the
# stack's is (10 s up to 900 s), rather than the flat 1 s of the other run. The flat 1 s starved the run
# on a loaded machine: moto hands out visible messages in the order they were sent, so the ~55 waiting
# updates, published early and visible again every second, took most of every batch and the creates
# published last came late (CI, stop 13). With a CPU hog on both cores the run now drains in ~43 s (the
# flat 1 s had 102 messages left after 45 s); idle, in ~31 s instead of ~37 s, with half the retries.
LIFECYCLE_OPTIONS = replace(CHAOS_OPTIONS, retry_max_delay_seconds=4)
# No poison in this variant; the other rates as in the existing run, a few more duplicates.
LIFECYCLE_FAULTS = ChaosFaults(poison=0.0, duplicate_publishes=0.15)
REPLAY_NAME = "lifecycle-chaos-replay"


class FunctionSteps(logging.Handler):
    """Keeps what the function logged about each event, in order (its message says what a follow-up
    did: ``update: stale-skipped``, ``complete: completion-recorded``, ``create: late-create-stopped``)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._steps: list[FunctionStep] = []
        self._steps_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        outcome = getattr(record, "outcome", None)
        if outcome is None:
            return
        step = FunctionStep(
            at=record.created,
            event_id=str(getattr(record, "event_id", "") or ""),
            outcome=str(outcome),
            message=record.getMessage(),
            error_type=_text(record, "error_type"),
            contact_id=_text(record, "contact_id"),
        )
        with self._steps_lock:
            self._steps.append(step)

    def steps(self) -> list[FunctionStep]:
        with self._steps_lock:
            return list(self._steps)


def run_lifecycle_chaos(
    items: int = 80,
    seed: int = 7,
    *,
    faults: ChaosFaults = LIFECYCLE_FAULTS,
    aws: EmbeddedAws | None = None,
    emulator: ConnectEmulator | None = None,
    attempt_budget: int = LIFECYCLE_ATTEMPT_BUDGET,
    options: PipelineOptions = LIFECYCLE_OPTIONS,
    timeout_seconds: float = CHAOS_DRAIN_TIMEOUT_SECONDS,
    log_stream: TextIO | None = None,
) -> LifecycleReport:
    """Run the lifecycle scenario (see the module docstring) and report. ``aws`` and ``emulator`` are
    used when given, else started for the run; either is reset first (the emulator's faults are restored
    afterwards)."""
    with ExitStack() as stack:
        if aws is None:
            aws = stack.enter_context(EmbeddedAws())
        aws.reset()  # moto's state is the process's: a new server still holds an earlier run's resources
        if emulator is None:
            emulator = stack.enter_context(ConnectEmulator())
        else:
            emulator.reset()
            stack.callback(emulator.reset)
        emulator.set_faults(faults.emulator_faults(seed))
        mapping_file = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "lifecycle.mapping.json"
        mapping_file.write_text(json.dumps(lifecycle_mapping(), indent=2), encoding="utf-8")
        stack.enter_context(captured_function_output(log_stream or io.StringIO()))
        steps = FunctionSteps()
        std_logger = logging.getLogger(function_logger.name)
        std_logger.addHandler(steps)
        stack.callback(std_logger.removeHandler, steps)
        plan = lifecycle_items(items, seed, duplicate_share=faults.duplicate_publishes)
        pipeline = LocalPipeline.provision(
            aws, emulator.endpoint_url, chaos_config(attempt_budget, mapping_file=mapping_file), options
        )
        return _run(
            plan=plan,
            seed=seed,
            faults=faults,
            aws=aws,
            emulator=emulator,
            pipeline=pipeline,
            steps=steps,
            attempt_budget=attempt_budget,
            timeout_seconds=timeout_seconds,
        )


def _run(
    *,
    plan: list[LifecycleItem],
    seed: int,
    faults: ChaosFaults,
    aws: EmbeddedAws,
    emulator: ConnectEmulator,
    pipeline: LocalPipeline,
    steps: FunctionSteps,
    attempt_budget: int,
    timeout_seconds: float,
) -> LifecycleReport:
    redrive_count = check_attempt_budget(aws, pipeline, attempt_budget)
    mapping = pipeline.event_source.mapping
    invokers = container_invokers(pipeline, aws, emulator)
    order = publication_order(plan, random.Random(f"{seed}:lifecycle-order"))

    started, started_at = time.monotonic(), time.time()
    message_ids = send_in_order(aws, pipeline, order)
    completes = {
        message_id for item in plan if item.completes for message_id in message_ids[item.events[-1].key]
    }
    invoker, drain_error = drain_containers(
        aws,
        pipeline,
        mapping,
        invokers,
        faults,
        seed=seed,
        lose_first=completes,
        timeout_seconds=timeout_seconds,
    )
    wall_seconds = time.monotonic() - started
    # The run's end state, before the replay (which may recover what the run dead-lettered).
    tasks, counters, chaos_steps = emulator.tasks(), emulator.counters(), steps.steps()
    registry = registered_keys(pipeline, plan)
    dead_letters = _dead_letters(aws, pipeline)
    replay = _replay_every_event(
        plan,
        dead_letters_before=len(dead_letters),
        seed=seed,
        faults=faults,
        aws=aws,
        emulator=emulator,
        pipeline=pipeline,
        invokers=invokers,
        steps=steps,
        timeout_seconds=timeout_seconds,
    )

    return LifecycleReport(
        seed=seed,
        items=plan,
        order=order,
        reorderings=Reorderings.of(plan, order),
        message_ids=message_ids,
        tasks=tasks,
        counters=counters,
        dead_letters=dead_letters,
        steps=chaos_steps,
        registry=registry,
        started_at=started_at,
        invoker=invoker,
        containers=len(invokers),
        wall_seconds=wall_seconds,
        attempt_budget=attempt_budget,
        redrive_max_receive_count=redrive_count,
        visibility_timeout_seconds=mapping.visibility_timeout_seconds or 0,
        drain_error=drain_error,
        replay=replay,
    )


def _replay_every_event(
    plan: list[LifecycleItem],
    *,
    dead_letters_before: int,
    seed: int,
    faults: ChaosFaults,
    aws: EmbeddedAws,
    emulator: ConnectEmulator,
    pipeline: LocalPipeline,
    invokers: list[Invoker],
    steps: FunctionSteps,
    timeout_seconds: float,
) -> ReplayPhase:
    """Every distinct event once more, as replayed from an archive, shuffled; drained under the faults."""
    rng = random.Random(f"{seed}:lifecycle-replay")
    copies = [replayed(event, rng) for item in plan for event in item.events]
    rng.shuffle(copies)
    calls_before = {name: c.calls for name, c in emulator.counters().operations.items()}
    steps_before = len(steps.steps())
    started = time.monotonic()
    send_in_order(aws, pipeline, copies)
    _, drain_error = drain_containers(
        aws,
        pipeline,
        pipeline.event_source.mapping,
        invokers,
        faults,
        seed=seed + 1,
        lose_first=(),
        timeout_seconds=timeout_seconds,
    )
    calls = {name: c.calls - calls_before.get(name, 0) for name, c in emulator.counters().operations.items()}
    return ReplayPhase(
        events=len(copies),
        replayed_from={copy.event_id: copy.key for copy in copies},
        connect_calls=calls,
        steps=steps.steps()[steps_before:],
        dead_letters=len(_dead_letters(aws, pipeline)) - dead_letters_before,
        wall_seconds=time.monotonic() - started,
        drain_error=drain_error,
    )


def _dead_letters(aws: EmbeddedAws, pipeline: LocalPipeline) -> list[QueueMessage]:
    return inspect_queue(aws.sqs(), pipeline.topology.dead_letter_queue.url, limit=100_000)


def replayed(event: LifecycleEvent, rng: random.Random) -> LifecycleEvent:
    """``event`` as EventBridge's replay re-sends it: a new ``id``, and ``replay-name``."""
    envelope = json.loads(event.body)
    envelope["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    envelope["replay-name"] = REPLAY_NAME
    return replace(event, event_id=envelope["id"], body=json.dumps(envelope), copies=1)


def registered_keys(pipeline: LocalPipeline, plan: list[LifecycleItem]) -> dict[str, RegisteredTask | None]:
    """What the function's task registry (in the ledger table) holds for each item's key."""
    lifecycle = pipeline.dependencies.creator.rules.lifecycle
    if lifecycle is None:
        raise HarnessError("the lifecycle mapping gave the function no task registry")
    return {item.item: lifecycle.registry.get(item.task_key) for item in plan}


def _text(record: logging.LogRecord, name: str) -> str | None:
    value = getattr(record, name, None)
    return None if value is None else str(value)
