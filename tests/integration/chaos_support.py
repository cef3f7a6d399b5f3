"""A seeded chaos run of the offline pipeline, shared by ``test_chaos.py`` and ``benchmarks/chaos.py``.

    report = run_chaos(events=300, seed=7)
    assert report.problems() == {name: [] for name in CHECKS}
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
"""

from __future__ import annotations

import copy
import functools
import io
import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO, cast

from infra.config import TaskCreatorConfig
from local.aws import EmbeddedAws
from local.connect_emulator import CONNECTION_DROPPED, ConnectEmulator, Counters, FaultConfig, TaskRecord
from local.event_source import Invoker, SqsEventSource, drain, lambda_message_attribute
from local.function_output import OutcomeRecorder, captured_function_output
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID, LOCAL_REGION
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline, PipelineOptions, build_function
from local.redrive import QueueMessage, inspect_queue
from task_creator.dependencies import Dependencies
from task_creator.handler import lambda_handler
from task_creator.mapping.envelope import event_from_sqs_record
from task_creator.mapping.planning import PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.observability import Outcome
from tests.support import EVENTS_DIR

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
CHAOS_OPTIONS = PipelineOptions(
    visibility_timeout_seconds=5, retry_base_delay_seconds=1, retry_max_delay_seconds=1
)
CHECKS = ("lost_events", "duplicate_tasks", "dead_letter_set", "dead_letter_reasons", "harness")


class HarnessError(RuntimeError):
    """The chaos run itself is set up wrong (not a finding about the function)."""


class InvocationResponseLost(RuntimeError):
    """Raised by the chaos invoker after the handler ran: its batch response never reaches the loop."""


@dataclass(frozen=True)
class ChaosFaults:
    """What goes wrong, as probabilities. The emulator's rates are per StartTaskContact call (the lost
    answers per call that created a task); ``lost_batch_responses`` per invocation;
    ``duplicate_publishes`` per good event; ``poison`` is the share of events that can never succeed."""

    throttles: float = 0.12
    server_errors: float = 0.08
    lost_after_create: float = 0.04  # a 500 after the task was created
    dropped_after_create: float = 0.04  # the connection closed after the task was created
    lost_batch_responses: float = 0.1
    duplicate_publishes: float = 0.1
    poison: float = 0.1

    def emulator_faults(self, seed: int) -> FaultConfig:
        return FaultConfig(
            error_rates={
                "ThrottlingException": self.throttles,
                "InternalServiceException": self.server_errors,
            },
            lost_response_rates={
                "InternalServiceException": self.lost_after_create,
                CONNECTION_DROPPED: self.dropped_after_create,
            },
            seed=seed,
        )


# --- the events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaosEvent:
    """One distinct event: the message body and attributes it is sent with, and what should become of it.
    A good event expects one task per rule in ``rules``; a poison one a dead letter typed as one of
    ``dead_letter_types``, whose EventId is ``event_id`` (None: the SQS message id)."""

    key: str
    kind: str
    body: str
    attributes: Mapping[str, MessageAttributeValueTypeDef] = field(default_factory=dict)
    rules: frozenset[str] = frozenset()
    dead_letter_types: frozenset[str] = frozenset()
    event_id: str | None = None
    copies: int = 1

    @property
    def poison(self) -> bool:
        return bool(self.dead_letter_types)


@functools.cache
def _sample_text(name: str) -> str:
    return (EVENTS_DIR / name).read_text(encoding="utf-8")


def _sample(name: str) -> Any:
    return json.loads(_sample_text(name))


def _sample_body(name: str, index: int) -> Any:
    return json.loads(_sample(name)["Records"][index]["body"])


def _string_attributes(**values: str) -> dict[str, MessageAttributeValueTypeDef]:
    return {name.replace("_", "-"): {"DataType": "String", "StringValue": v} for name, v in values.items()}


def _envelope(template: Any, rng: random.Random) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(template)
    event["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return event


def _order(key: str, rng: random.Random, *, vip: bool = False, email: str | None = None) -> dict[str, Any]:
    template = (
        _sample_body("sqs-eventbridge-batch.json", 2) if vip else _sample("eventbridge-order-delayed.json")
    )
    event = _envelope(template, rng)
    event["detail"]["orderId"] = key
    event["detail"]["customer"]["id"] = f"C-{key}"
    event["detail"]["customer"]["email"] = email or f"{key.lower()}@example.com"
    return event


def order_delayed(key: str, rng: random.Random) -> ChaosEvent:
    return ChaosEvent(key, "order-delayed", json.dumps(_order(key, rng)), rules=frozenset({"order-delayed"}))


def vip_order_delayed(key: str, rng: random.Random) -> ChaosEvent:
    body = json.dumps(_order(key, rng, vip=True))
    return ChaosEvent(key, "vip-order-delayed", body, rules=frozenset({"order-delayed", "vip-escalation"}))


def payment_failed(key: str, rng: random.Random) -> ChaosEvent:
    event = _envelope(_sample("eventbridge-payment-failed.json"), rng)
    event["detail"]["paymentId"] = key
    return ChaosEvent(key, "payment-failed", json.dumps(event), rules=frozenset({"payment-failed"}))


def callback_request(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample("payloads/callback-request.json"), "requestId": key, "customerName": f"Client {key}"}
    return ChaosEvent(
        key,
        "callback-request",
        json.dumps(payload),
        attributes=_string_attributes(source="crm.legacy", detail_type="CallbackRequested"),
        rules=frozenset({"callback-request"}),
    )


def support_ticket(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample_body("sqs-raw-payloads.json", 1), "ticketId": key, "subject": f"Ticket {key}"}
    return ChaosEvent(key, "support-ticket", json.dumps(payload), rules=frozenset({"support-ticket"}))


def stock_low(key: str, rng: random.Random) -> ChaosEvent:
    notification = _sample_body("sqs-sns-notification.json", 0)
    message = {**json.loads(notification["Message"]), "sku": key}
    notification.update(MessageId=str(uuid.UUID(int=rng.getrandbits(128))), Message=json.dumps(message))
    return ChaosEvent(key, "stock-low", json.dumps(notification), rules=frozenset({"stock-low"}))


def not_json(key: str, rng: random.Random) -> ChaosEvent:
    """A body cut off mid-object, as in the poison sample."""
    sample = _sample("sqs-poison-records.json")["Records"][0]["body"]
    body = sample.replace("ORD-1", key)
    return ChaosEvent(key, "not-json", body, dead_letter_types=_types("MalformedEvent"))


def not_an_object(key: str, rng: random.Random) -> ChaosEvent:
    return ChaosEvent(key, "not-an-object", json.dumps([key, 1]), dead_letter_types=_types("MalformedEvent"))


def unmatched(key: str, rng: random.Random) -> ChaosEvent:
    event = _envelope(_sample_body("sqs-poison-records.json", 1), rng)
    event["detail"]["subscriber"] = key
    return ChaosEvent(
        key, "unmatched", json.dumps(event), dead_letter_types=_types("UnmatchedEvent"), event_id=event["id"]
    )


def name_renders_empty(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample_body("sqs-poison-records.json", 2), "ticketId": key}  # a ticket with no subject
    return ChaosEvent(
        key, "name-renders-empty", json.dumps(payload), dead_letter_types=_types("MappingError")
    )


def rejected_by_connect(key: str, rng: random.Random) -> ChaosEvent:
    """An EMAIL reference Connect refuses (the function may catch it first, as a limit)."""
    event = _order(key, rng, email=f"not-an-email-{key}")
    return ChaosEvent(
        key,
        "rejected-by-connect",
        json.dumps(event),
        dead_letter_types=_types("InvalidParameterException", "LimitViolation"),
        event_id=event["id"],
    )


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


EventMaker = Callable[[str, random.Random], ChaosEvent]
GOOD_KINDS: Mapping[EventMaker, int] = {  # kind -> weight
    order_delayed: 3,
    vip_order_delayed: 1,
    payment_failed: 2,
    callback_request: 2,
    support_ticket: 2,
    stock_low: 2,
}
POISON_KINDS: Sequence[EventMaker] = (
    not_json,
    not_an_object,
    unmatched,
    name_renders_empty,
    rejected_by_connect,
)


def chaos_events(count: int, seed: int, faults: ChaosFaults) -> list[ChaosEvent]:
    """``count`` distinct events: every poison kind at least once (when ``faults.poison`` > 0), the rest
    good, weighted by kind; a share of the good ones is to be published twice."""
    rng = random.Random(f"{seed}:events")
    poison_count = min(count, max(len(POISON_KINDS), round(count * faults.poison))) if faults.poison else 0
    makers = [POISON_KINDS[index % len(POISON_KINDS)] for index in range(poison_count)]
    makers += rng.choices(list(GOOD_KINDS), weights=list(GOOD_KINDS.values()), k=count - poison_count)
    events = []
    for index, make in enumerate(makers):
        event = make(f"CX{seed}-{index:05d}", rng)
        if not event.poison and rng.random() < faults.duplicate_publishes:
            event = replace(event, copies=2)
        events.append(event)
    return events


# --- the invoker: responses lost after the handler ran -----------------------------------------------


class ChaosInvoker:
    """Runs the real handler; discards the response of a seeded share of invocations afterwards (the
    event-source loop then deletes nothing), and always that of the first invocation given a record of
    ``always_lose_first`` (e.g. the poison records: their dead letter is written, then the response is
    lost), so every run covers it. Records what each invocation was given. One instance serves every
    container (``wrap`` one invoker per container); thread-safe."""

    def __init__(
        self, *, lost_response_rate: float, seed: int, always_lose_first: AbstractSet[str] = frozenset()
    ) -> None:
        self._rate = lost_response_rate
        self._always_lose_first = always_lose_first
        self._rng = random.Random(f"{seed}:lost-batch-responses")
        self._lock = threading.Lock()
        self.invocations = 0
        self.lost_responses = 0
        self.receive_counts: dict[str, int] = {}  # messageId -> highest ApproximateReceiveCount seen
        self.handler_errors: list[str] = []  # what the handler itself raised
        self.lost_message_ids: set[str] = set()  # the records of the invocations whose response was lost
        self.slowest_invocation_seconds = 0.0

    def wrap(self, invoke: Invoker) -> Invoker:
        def chaos_invoke(event: dict[str, Any], context: LocalLambdaContext) -> Any:
            return self._invoke(invoke, event, context)

        return chaos_invoke

    def _invoke(self, invoke: Invoker, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        records = event.get("Records", [])
        message_ids = [record["messageId"] for record in records]
        with self._lock:
            self.invocations += 1
            for record in records:
                count = int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))
                message_id = record["messageId"]
                self.receive_counts[message_id] = max(count, self.receive_counts.get(message_id, 0))
        started = time.monotonic()
        try:
            response = invoke(event, context)
        except Exception as error:
            with self._lock:
                self.handler_errors.append(f"{type(error).__name__}: {error}")
            raise
        finally:
            with self._lock:
                self.slowest_invocation_seconds = max(
                    self.slowest_invocation_seconds, time.monotonic() - started
                )
        with self._lock:
            lost = self._rng.random() < self._rate
            if self._always_lose_first and not lost and self._always_lose_first & set(message_ids):
                lost, self._always_lose_first = True, frozenset()
            if lost:
                self.lost_responses += 1
                self.lost_message_ids.update(record["messageId"] for record in records)
        if lost:
            raise InvocationResponseLost("the invocation's batch response was lost after the handler ran")
        return response


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


# --- the report ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedTask:
    key: str
    kind: str
    rule: str
    client_token: str


@dataclass
class ChaosReport:
    """What a chaos run published, what came of it, the figures, and every problem found."""

    seed: int
    events: list[ChaosEvent]
    message_ids: dict[str, list[str]]  # event key -> the SQS message id of each copy
    expected_tasks: dict[str, ExpectedTask]  # ClientToken -> the task it stands for
    tasks: list[TaskRecord]
    counters: Counters
    dead_letters: list[QueueMessage]
    outcomes: Counter[str]
    retries_by_error_type: Counter[str]
    invoker: ChaosInvoker
    containers: int
    wall_seconds: float
    attempt_budget: int
    redrive_max_receive_count: int
    visibility_timeout_seconds: int
    drain_error: str | None = None

    # figures --------------------------------------------------------------------------------------
    @property
    def good_events(self) -> int:
        return sum(not event.poison for event in self.events)

    @property
    def poison_events(self) -> int:
        return sum(event.poison for event in self.events)

    @property
    def duplicate_publishes(self) -> int:
        return sum(event.copies - 1 for event in self.events)

    @property
    def published_messages(self) -> int:
        return sum(event.copies for event in self.events)

    @property
    def connect_calls(self) -> int:
        return self.counters.calls

    @property
    def calls_per_task(self) -> float:
        return self.connect_calls / len(self.tasks) if self.tasks else float("nan")

    @property
    def ledger_duplicates(self) -> int:
        """Tasks the ledger already knew: the Connect call was skipped."""
        return self.outcomes[Outcome.DUPLICATE.value]

    @property
    def connect_duplicates(self) -> int:
        """Calls Connect answered with an existing task (a repeated ClientToken)."""
        return self.counters.duplicates

    @property
    def max_receive_count_seen(self) -> int:
        return max(self.invoker.receive_counts.values(), default=0)

    @property
    def poison_in_lost_batches(self) -> int:
        """Poison records whose dead letter was written by an invocation whose response was then lost."""
        lost = self.invoker.lost_message_ids
        return sum(
            any(message_id in lost for message_id in self.message_ids.get(event.key, []))
            for event in self.events
            if event.poison
        )

    @property
    def records_received_more_than_once(self) -> int:
        return sum(count > 1 for count in self.invoker.receive_counts.values())

    def figures(self) -> dict[str, Any]:
        injected = self.counters.injected_faults
        lost = self.counters.lost_responses
        return {
            "events": len(self.events),
            "good events": self.good_events,
            "poison events": self.poison_events,
            "duplicate publishes": self.duplicate_publishes,
            "messages published": self.published_messages,
            "concurrent containers": self.containers,
            "invocations": self.invoker.invocations,
            "batch responses lost": self.invoker.lost_responses,
            "poison records in a lost batch response": self.poison_in_lost_batches,
            "records received more than once": self.records_received_more_than_once,
            "highest receive count": self.max_receive_count_seen,
            "slowest invocation (s)": round(self.invoker.slowest_invocation_seconds, 1),
            "attempt budget (MAX_RECEIVE_COUNT)": self.attempt_budget,
            "redrive maxReceiveCount": self.redrive_max_receive_count,
            "Connect calls": self.connect_calls,
            "tasks expected": len(self.expected_tasks),
            "tasks": len(self.tasks),
            "calls per task": round(self.calls_per_task, 3),
            "throttles injected": injected.get("ThrottlingException", 0),
            "5xx injected": injected.get("InternalServiceException", 0),
            "answers lost after creation (500)": lost.get("InternalServiceException", 0),
            "answers lost after creation (dropped)": lost.get(CONNECTION_DROPPED, 0),
            "duplicates suppressed by the ledger": self.ledger_duplicates,
            "duplicates suppressed by Connect (ClientToken)": self.connect_duplicates,
            "retries by error type": dict(sorted(self.retries_by_error_type.items())),
            "DLQ messages": len(self.dead_letters),
            "wall time (s)": round(self.wall_seconds, 1),
        }

    def summary(self) -> str:
        """One ``name: value`` line per figure, then the problems found per check."""
        lines = [f"{name}: {value}" for name, value in self.figures().items()]
        for check, problems in self.problems().items():
            lines.append(f"problems ({check}): {len(problems)}")
            lines += [f"  - {problem}" for problem in problems[:10]]
            if len(problems) > 10:
                lines.append(f"  ... and {len(problems) - 10} more")
        return "\n".join(lines)

    # checks ---------------------------------------------------------------------------------------
    def problems(self) -> dict[str, list[str]]:
        """Every check in ``CHECKS`` with what it found wrong (an empty list: it holds)."""
        return {
            "lost_events": self._lost_events(),
            "duplicate_tasks": self._duplicate_tasks(),
            "dead_letter_set": self._dead_letter_set(),
            "dead_letter_reasons": self._dead_letter_reasons(),
            "harness": self._harness(),
        }

    def _events_by_key(self) -> dict[str, ChaosEvent]:
        return {event.key: event for event in self.events}

    def _lost_events(self) -> list[str]:
        """Every good event has a task for each of its rules."""
        created = {task.client_token for task in self.tasks}
        problems = [
            f"{expected.key} ({expected.kind}) rule {expected.rule}: no task in Connect"
            for token, expected in self.expected_tasks.items()
            if token not in created
        ]
        if self.drain_error:
            problems.append(f"the queue did not drain: {self.drain_error}")
        return problems

    def _duplicate_tasks(self) -> list[str]:
        """One task per ClientToken and per (event, rule); no task Connect got that no event asked for."""
        per_token = Counter(task.client_token for task in self.tasks)
        problems = [
            f"{expected.key} ({expected.kind}) rule {expected.rule}: {per_token[token]} tasks"
            for token, expected in self.expected_tasks.items()
            if per_token[token] > 1
        ]
        per_event_rule = Counter(
            (self.expected_tasks[task.client_token].key, self.expected_tasks[task.client_token].rule)
            for task in self.tasks
            if task.client_token in self.expected_tasks
        )
        problems += [
            f"{key} rule {rule}: {count} tasks for one (event, rule)"
            for (key, rule), count in per_event_rule.items()
            if count > 1 and not any(p.startswith(f"{key} ") for p in problems)
        ]
        for task in self.tasks:
            expected = self.expected_tasks.get(task.client_token)
            if expected is None:
                problems.append(
                    f"task {task.contact_id} has a ClientToken no event should produce "
                    f"({task.client_token}, Name {task.request.get('Name')!r})"
                )
            elif expected.key not in str(task.request.get("Name", "")):
                problems.append(
                    f"task {task.contact_id} for {expected.key} rule {expected.rule} has Name "
                    f"{task.request.get('Name')!r}, which does not name its event"
                )
        return problems

    def _dead_letter_set(self) -> list[str]:
        """The DLQ holds exactly the poison records, each once."""
        by_body = {event.body: event for event in self.events}
        seen: Counter[str] = Counter()
        problems: list[str] = []
        for message in self.dead_letters:
            event = by_body.get(message.body)
            if event is None:
                owner = self._event_of(message)
                what = f"poison {owner.key} ({owner.kind}) with its body changed" if owner else "unknown body"
                problems.append(f"DLQ message {message.message_id}: {what} ({_reason(message)})")
            elif not event.poison:
                problems.append(f"good event {event.key} ({event.kind}) dead-lettered: {_reason(message)}")
            else:
                seen[event.key] += 1
        for event in self.events:
            if event.poison and seen[event.key] == 0:
                problems.append(f"poison {event.key} ({event.kind}) is not in the DLQ")
            elif seen[event.key] > 1:
                problems.append(f"poison {event.key} ({event.kind}) is in the DLQ {seen[event.key]} times")
        return problems

    def _dead_letter_reasons(self) -> list[str]:
        """Each dead letter says why (ErrorType as expected for its kind, ErrorMessage, EventId)."""
        by_body = {event.body: event for event in self.events}
        problems: list[str] = []
        for message in self.dead_letters:
            event = by_body.get(message.body) or self._event_of(message)
            label = (
                f"DLQ message for {event.key} ({event.kind})"
                if event
                else f"DLQ message {message.message_id}"
            )
            for name in ("ErrorType", "ErrorMessage", "EventId"):
                if not (message.attribute(name) or "").strip():
                    problems.append(f"{label} lacks {name}")
            if event is None or not event.poison:
                continue
            if message.error_type and message.error_type not in event.dead_letter_types:
                problems.append(
                    f"{label} has ErrorType {message.error_type} (expected "
                    f"{' or '.join(sorted(event.dead_letter_types))}): {message.error_message!r}"
                )
            expected_ids = [event.event_id] if event.event_id else self.message_ids.get(event.key, [])
            event_id = message.attribute("EventId")
            if event_id and event_id not in expected_ids:
                problems.append(f"{label} has EventId {event_id!r}, expected {' or '.join(expected_ids)}")
        return problems

    def _harness(self) -> list[str]:
        """The run was set up as intended: no handler exception, no record near its attempt budget."""
        problems = [f"the handler raised {error}" for error in self.invoker.handler_errors]
        if self.invoker.slowest_invocation_seconds >= self.visibility_timeout_seconds:
            problems.append(
                f"an invocation took {self.invoker.slowest_invocation_seconds:.1f} s, longer than the "
                f"visibility timeout ({self.visibility_timeout_seconds} s): its records may have been "
                "delivered again while it still worked on them"
            )
        if self.max_receive_count_seen >= self.attempt_budget:
            problems.append(
                f"a record was received {self.max_receive_count_seen} times: the attempt budget "
                f"({self.attempt_budget}) is too small for these faults"
            )
        return problems

    def _event_of(self, message: QueueMessage) -> ChaosEvent | None:
        """The event a dead letter came from, by its EventId (for a body that no longer matches)."""
        event_id = message.attribute("EventId")
        for event in self.events:
            if event_id and (event_id == event.event_id or event_id in self.message_ids.get(event.key, [])):
                return event
        return None


def _reason(message: QueueMessage) -> str:
    return f"ErrorType={message.error_type!r}, ErrorMessage={message.error_message!r}"


# --- the run -------------------------------------------------------------------------------------------


def chaos_config(attempt_budget: int = CHAOS_ATTEMPT_BUDGET) -> TaskCreatorConfig:
    """The chaos deployment: standard queue, the shipped mapping, the local Connect ids."""
    context = {
        "connectInstanceId": LOCAL_INSTANCE_ID,
        "contactFlowId": LOCAL_CONTACT_FLOW_ID,
        "stackName": CHAOS_STACK_NAME,
        "maxReceiveCount": attempt_budget,
    }
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
    timeout_seconds: float = 50.0,
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
    redrive_count = _check_attempt_budget(aws, pipeline, attempt_budget)
    events = chaos_events(count, seed, faults)
    mapping = pipeline.event_source.mapping
    invokers = container_invokers(pipeline, aws, emulator)

    started = time.monotonic()
    message_ids = publish(aws, pipeline, events, random.Random(f"{seed}:order"))
    poison_ids = {message_id for event in events if event.poison for message_id in message_ids[event.key]}
    invoker = ChaosInvoker(
        lost_response_rate=faults.lost_batch_responses,
        seed=seed,
        always_lose_first=poison_ids if faults.lost_batch_responses else frozenset(),
    )
    sources = [
        SqsEventSource(aws.sqs(), mapping, invoker.wrap(invoke), new_context=pipeline.new_context)
        for invoke in invokers
    ]
    drain_error = drain_concurrently(sources, timeout_seconds)
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
        containers=len(sources),
        wall_seconds=wall_seconds,
        attempt_budget=attempt_budget,
        redrive_max_receive_count=redrive_count,
        visibility_timeout_seconds=mapping.visibility_timeout_seconds or 0,
        drain_error=drain_error,
    )


def _check_attempt_budget(aws: EmbeddedAws, pipeline: LocalPipeline, attempt_budget: int) -> int:
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


def publish(
    aws: EmbeddedAws, pipeline: LocalPipeline, events: Sequence[ChaosEvent], rng: random.Random
) -> dict[str, list[str]]:
    """Send every copy of every event to the ingest queue in a shuffled order; the message ids per event."""
    copies = [event for event in events for _ in range(event.copies)]
    rng.shuffle(copies)
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


def expected_tasks(
    pipeline: LocalPipeline, events: Sequence[ChaosEvent], message_ids: Mapping[str, list[str]]
) -> dict[str, ExpectedTask]:
    """ClientToken -> task, for every good event, planned by the function's own code from each copy as
    it was sent (both copies of a duplicate publish must plan the same tokens)."""
    settings = pipeline.dependencies.settings
    context = PlanningContext(
        defaults=TaskDefaults(
            instance_id=settings.connect_instance_id, contact_flow_id=settings.contact_flow_id
        ),
        token_namespace=settings.token_namespace,
    )
    queue = pipeline.topology.ingest_queue
    expected: dict[str, ExpectedTask] = {}
    for event in events:
        if event.poison:
            continue
        plans = []
        for message_id in message_ids[event.key]:
            record = {
                "messageId": message_id,
                "body": event.body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {
                    name: lambda_message_attribute(value) for name, value in event.attributes.items()
                },
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.arn,
                "awsRegion": LOCAL_REGION,
            }
            plan = plan_event(event_from_sqs_record(record), pipeline.mapping, context)
            plans.append({task.rule: task.client_token for task in plan.tasks})
            if plan.failures or set(plan.matched_rules) != event.rules:
                raise HarnessError(
                    f"{event.key} ({event.kind}) does not plan as its rules {sorted(event.rules)}"
                )
        if any(plan != plans[0] for plan in plans):
            raise HarnessError(f"the copies of {event.key} ({event.kind}) plan different ClientTokens")
        for rule, token in plans[0].items():
            expected[token] = ExpectedTask(key=event.key, kind=event.kind, rule=rule, client_token=token)
    return expected


def _chunks(items: Sequence[ChaosEvent], size: int) -> Iterator[Sequence[ChaosEvent]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
