"""A seeded chaos run of the offline pipeline, shared by ``test_chaos.py`` and ``benchmarks/chaos.py``.

    report = run_chaos(events=300, seed=7)
    assert report.problems() == {name: [] for name in chaos_report.CHECKS}
    print(report.summary())

What it does: provisions one standard deployment (moto + the Connect emulator) whose function has a
generous attempt budget (``MAX_RECEIVE_COUNT``, context ``maxReceiveCount``; the ingest queue's redrive
policy sits above it), renders ``events`` events from the samples in ``events/`` and
``events/payloads/`` with unique ids (a share of them poison), publishes them to the ingest queue in a
seeded random order (a share of the good ones twice: duplicate publishes), and drains the queue through
the event-source loop, one poller per container (two: the stack's ``maxConcurrency``, each container a
function with its own clients and ledger), while faults are injected:

- the emulator throttles (``ThrottlingException``) and fails (``InternalServiceException``) calls, and
  loses the answer of calls that created a task (a 500, or the connection closed before any response);
- the invoker wrapped around the real handler discards some invocations' batch responses after the
  handler ran (always including the first invocation that had a poison record), so the event-source
  loop treats them as failed and deletes nothing.

Then it reads back what a user would see (the tasks Connect holds, the DLQ, the function's logged
outcomes) and checks it against what was published: every good event has exactly its tasks (one per
matching rule and ClientToken), and the DLQ holds exactly the poison records, each once, with its reason
attributes and its body unchanged. Expected ClientTokens come from the function's own planning
(``plan_event``, what ``python -m local render`` previews), applied to each message as it was sent.

Seeded: the events, their order, the duplicates and every fault draw follow from ``seed``. Which call
meets which fault also depends on thread scheduling, so two runs are alike, not identical; the checks
hold for any interleaving.

This module provisions and drives the run; the pieces are ``chaos_events`` (the events and the tasks
they should become), ``chaos_faults`` (the fault rates and the invoker that loses responses) and
``chaos_report`` (the figures and the checks).
"""

from __future__ import annotations

import io
import json
import random
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO, cast

from infra.config import TaskCreatorConfig
from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from local.event_source import EventSourceMapping, Invoker, SqsEventSource, drain
from local.function_output import OutcomeRecorder, captured_function_output
from local.identifiers import LOCAL_CONNECT_REQUESTS_PER_SECOND, LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline, PipelineOptions, build_function
from local.redrive import inspect_queue
from task_creator.dependencies import Dependencies
from task_creator.handler import lambda_handler
from task_creator.observability import Outcome
from tests.integration.chaos_events import ChaosEvent, HarnessError, chaos_events, expected_tasks
from tests.integration.chaos_faults import ChaosFaults, ChaosInvoker
from tests.integration.chaos_report import ChaosReport

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

CHAOS_STACK_NAME = "TaskCreatorChaos"
# The function's attempt budget: far above what the injected faults can cost a good record (each receive
# fails with well under 20 % probability), so no good record is ever dead-lettered as RetriesExhausted.
CHAOS_ATTEMPT_BUDGET = 30
# The function's backoff is 1 s (its minimum). The ingest queue's visibility timeout is short, so that the
# records of an invocation whose response was lost come back soon, but longer than any invocation takes
# (as the stack's, 6x the function timeout, is): a record is not delivered again while an invocation
# still works on it, which is not a fault this run means to inject (the harness check says so if it
# happens). A record the function itself put back (backoff) may come back while its invocation finishes
# the others: that is as on AWS.
# How long a run may take to drain before it is reported as not draining: a guard against a pipeline that
# never settles, not a performance figure (draining stops as soon as the queues are empty; a run takes
# ~20 s on an idle two-core machine, ~80 s with both cores busy elsewhere, and CI machines vary).
CHAOS_DRAIN_TIMEOUT_SECONDS = 180.0
CHAOS_OPTIONS = PipelineOptions(
    visibility_timeout_seconds=5, retry_base_delay_seconds=1, retry_max_delay_seconds=1
)


def chaos_config(
    attempt_budget: int = CHAOS_ATTEMPT_BUDGET, *, mapping_file: Path | None = None
) -> TaskCreatorConfig:
    """The chaos deployment: standard queue, the local Connect ids, and ``mapping_file`` (default: the
    shipped mapping)."""
    context: dict[str, Any] = {
        "connectInstanceId": LOCAL_INSTANCE_ID,
        "contactFlowId": LOCAL_CONTACT_FLOW_ID,
        "stackName": CHAOS_STACK_NAME,
        "maxReceiveCount": attempt_budget,
        "connectRequestsPerSecond": LOCAL_CONNECT_REQUESTS_PER_SECOND,
    }
    if mapping_file is not None:
        context["mappingFile"] = str(mapping_file)
    return TaskCreatorConfig.from_context(context.get)


def run_chaos(
    events: int = 300,
    seed: int = 7,
    *,
    faults: ChaosFaults | None = None,
    aws: EmbeddedAws | None = None,
    emulator: ConnectEmulator | None = None,
    attempt_budget: int = CHAOS_ATTEMPT_BUDGET,
    options: PipelineOptions = CHAOS_OPTIONS,
    timeout_seconds: float = CHAOS_DRAIN_TIMEOUT_SECONDS,
    log_stream: TextIO | None = None,
) -> ChaosReport:
    """Run the chaos scenario (see the module docstring) and report. ``aws`` and ``emulator`` are reset
    and used when given (the emulator's faults are restored afterwards), else started for the run; the
    function's logs go to ``log_stream`` (default: kept in memory and dropped)."""
    faults = faults or ChaosFaults()
    with ExitStack() as stack:
        if aws is None:
            aws = stack.enter_context(EmbeddedAws())
        else:
            aws.reset()
        if emulator is None:
            emulator = stack.enter_context(ConnectEmulator())
        else:
            emulator.reset()
            stack.callback(emulator.reset)
        emulator.set_faults(faults.emulator_faults(seed))
        recorder = stack.enter_context(captured_function_output(log_stream or io.StringIO()))
        return _run(
            count=events,
            seed=seed,
            faults=faults,
            aws=aws,
            emulator=emulator,
            recorder=recorder,
            attempt_budget=attempt_budget,
            options=options,
            timeout_seconds=timeout_seconds,
        )


def _run(
    *,
    count: int,
    seed: int,
    faults: ChaosFaults,
    aws: EmbeddedAws,
    emulator: ConnectEmulator,
    recorder: OutcomeRecorder,
    attempt_budget: int,
    options: PipelineOptions,
    timeout_seconds: float,
) -> ChaosReport:
    pipeline = LocalPipeline.provision(aws, emulator.endpoint_url, chaos_config(attempt_budget), options)
    redrive_count = check_attempt_budget(aws, pipeline, attempt_budget)
    events = chaos_events(count, seed, faults)
    mapping = pipeline.event_source.mapping
    invokers = container_invokers(pipeline, aws, emulator)

    started = time.monotonic()
    message_ids = publish(aws, pipeline, events, random.Random(f"{seed}:order"))
    poison_ids = {message_id for event in events if event.poison for message_id in message_ids[event.key]}
    invoker, drain_error = drain_containers(
        aws,
        pipeline,
        mapping,
        invokers,
        faults,
        seed=seed,
        lose_first=poison_ids,
        timeout_seconds=timeout_seconds,
    )
    wall_seconds = time.monotonic() - started

    outcomes = recorder.outcomes()
    return ChaosReport(
        seed=seed,
        events=events,
        message_ids=message_ids,
        expected_tasks=expected_tasks(pipeline, events, message_ids),
        tasks=emulator.tasks(),
        counters=emulator.counters(),
        dead_letters=inspect_queue(aws.sqs(), pipeline.topology.dead_letter_queue.url, limit=100_000),
        outcomes=Counter(outcome.outcome.value for outcome in outcomes),
        retries_by_error_type=Counter(
            str(outcome.error_type) for outcome in outcomes if outcome.outcome is Outcome.RETRY
        ),
        invoker=invoker,
        containers=len(invokers),
        wall_seconds=wall_seconds,
        attempt_budget=attempt_budget,
        redrive_max_receive_count=redrive_count,
        visibility_timeout_seconds=mapping.visibility_timeout_seconds or 0,
        drain_error=drain_error,
    )


def check_attempt_budget(aws: EmbeddedAws, pipeline: LocalPipeline, attempt_budget: int) -> int:
    """The function's MAX_RECEIVE_COUNT is the budget and the queue's redrive sits above it."""
    if pipeline.environment.get("MAX_RECEIVE_COUNT") != str(attempt_budget):
        raise HarnessError(
            f"the function's MAX_RECEIVE_COUNT is {pipeline.environment.get('MAX_RECEIVE_COUNT')!r}, "
            f"not the chaos budget {attempt_budget}"
        )
    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=pipeline.topology.ingest_queue.url, AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    redrive = int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])
    if redrive <= attempt_budget:
        raise HarnessError(f"the ingest queue redrives after {redrive} receives, not above {attempt_budget}")
    return redrive


class Publishable(Protocol):
    """What ``send_in_order`` needs of an event: its key (unique per distinct event) and its message."""

    @property
    def key(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def attributes(self) -> Mapping[str, MessageAttributeValueTypeDef]: ...


def publish(
    aws: EmbeddedAws, pipeline: LocalPipeline, events: Sequence[ChaosEvent], rng: random.Random
) -> dict[str, list[str]]:
    """Send every copy of every event to the ingest queue in a shuffled order; the message ids per event."""
    copies = [event for event in events for _ in range(event.copies)]
    rng.shuffle(copies)
    return send_in_order(aws, pipeline, copies)


def send_in_order(
    aws: EmbeddedAws, pipeline: LocalPipeline, copies: Sequence[Publishable]
) -> dict[str, list[str]]:
    """Send ``copies`` to the ingest queue in this order (ten a call); the message ids per event key."""
    message_ids: dict[str, list[str]] = {}
    sqs = aws.sqs()
    for chunk in _chunks(copies, 10):
        entries = [
            {"Id": str(index), "MessageBody": event.body, "MessageAttributes": dict(event.attributes)}
            for index, event in enumerate(chunk)
        ]
        response = sqs.send_message_batch(QueueUrl=pipeline.topology.ingest_queue.url, Entries=entries)  # type: ignore[arg-type]
        if response.get("Failed"):
            raise HarnessError(f"SendMessageBatch refused messages: {response['Failed']}")
        for entry in response["Successful"]:
            message_ids.setdefault(chunk[int(entry["Id"])].key, []).append(entry["MessageId"])
    return message_ids


def _chunks(items: Sequence[Publishable], size: int) -> Iterator[Sequence[Publishable]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def container_invokers(pipeline: LocalPipeline, aws: EmbeddedAws, emulator: ConnectEmulator) -> list[Invoker]:
    """One invoker per concurrent Lambda container the stack allows (``maxConcurrency`` of the event
    source mapping): the pipeline's own function, plus functions built the same way, each with its own
    collaborators (clients, ledger, metrics), as separate containers have."""
    invokers: list[Invoker] = [pipeline.invoke]
    for _ in range(pipeline.config.max_concurrency - 1):
        dependencies = build_function(pipeline.environment, aws.endpoint_url, emulator.endpoint_url)
        invokers.append(_handler_with(dependencies))
    return invokers


def _handler_with(dependencies: Dependencies) -> Invoker:
    def invoke(event: dict[str, Any], context: LocalLambdaContext) -> Any:
        return lambda_handler(event, cast("LambdaContext", context), dependencies=dependencies)

    return invoke


def drain_concurrently(sources: Sequence[SqsEventSource], timeout_seconds: float) -> str | None:
    """Each source polled by its own thread (one per container) until the queue is empty; the first
    DrainTimeout's message, if any."""
    with ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="chaos-container") as pool:
        futures = [pool.submit(drain, [source], timeout_seconds=timeout_seconds) for source in sources]
    errors = [str(future.exception()) for future in futures if future.exception() is not None]
    return errors[0] if errors else None


def drain_containers(
    aws: EmbeddedAws,
    pipeline: LocalPipeline,
    mapping: EventSourceMapping,
    invokers: list[Invoker],
    faults: ChaosFaults,
    *,
    seed: int,
    lose_first: Collection[str],
    timeout_seconds: float,
) -> tuple[ChaosInvoker, str | None]:
    """Drain the ingest queue with one event source per container, losing some batch responses (always
    the first of an invocation holding one of ``lose_first``); the invoker, and why draining stopped
    early (None when the queues emptied)."""
    invoker = ChaosInvoker(
        lost_response_rate=faults.lost_batch_responses,
        seed=seed,
        always_lose_first=frozenset(lose_first) if faults.lost_batch_responses else frozenset(),
    )
    sources = [
        SqsEventSource(aws.sqs(), mapping, invoker.wrap(invoke), new_context=pipeline.new_context)
        for invoke in invokers
    ]
    return invoker, drain_concurrently(sources, timeout_seconds)
