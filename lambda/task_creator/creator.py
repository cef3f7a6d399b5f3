"""Turns one delivered event into Connect tasks, and decides what happens to the record on failure.

- every matching rule's task is started (through the ledger when there is one, at most once per token);
- a transient failure anywhere: the record is retried (its visibility extended with backoff); tasks
  already created are not created twice on the retry (same ClientToken, ledger);
- otherwise a permanent failure anywhere: the original body goes to the DLQ with the reason, at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, Protocol

from task_creator.adapters.dead_letters import DeadLetter, DeadLetterQueue
from task_creator.adapters.ingest_queue import IngestQueue
from task_creator.adapters.ledger import TaskLedger
from task_creator.backoff import RetryBackoff
from task_creator.errors import (
    ConnectThrottled,
    DeadLetterUnavailable,
    InvocationDeadline,
    PermanentFailure,
    TaskCreatorError,
    TransientFailure,
    UnmatchedEvent,
)
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.planning import EventPlan, PlannedTask, PlanningContext, RuleFailure, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping
from task_creator.observability import Metric, Outcome, TaskMetrics, logger
from task_creator.rate_limit import TokenBucket


class TaskStarter(Protocol):
    def start_task(self, request: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class Delivery:
    """How a record arrived: what the DLQ keeps and what a retry needs."""

    body: str
    message_id: str
    source_arn: str
    message_attributes: Mapping[str, Any] = field(default_factory=dict)
    receipt_handle: str | None = None
    receive_count: int = 1
    message_group_id: str | None = None


@dataclass(frozen=True)
class CreatedTask:
    rule: str
    client_token: str
    contact_id: str
    duplicate: bool


@dataclass(frozen=True)
class EventReport:
    """What became of one event: the tasks it has, and whether it was dead-lettered or ignored."""

    event_id: str
    tasks: tuple[CreatedTask, ...] = ()
    dead_letter_reason: str | None = None
    ignored: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "tasks": [
                {
                    "rule": t.rule,
                    "contactId": t.contact_id,
                    "clientToken": t.client_token,
                    "duplicate": t.duplicate,
                }
                for t in self.tasks
            ],
            "deadLettered": self.dead_letter_reason,
            "ignored": self.ignored,
        }


@dataclass(frozen=True)
class PlanningSettings:
    defaults: TaskDefaults
    token_namespace: str
    schedule_window: timedelta


class TaskCreator:
    def __init__(
        self,
        *,
        mapping: TaskMapping,
        planning: PlanningSettings,
        connect: TaskStarter,
        metrics: TaskMetrics,
        ledger: TaskLedger | None = None,
        dead_letters: DeadLetterQueue | None = None,
        ingest_queue: IngestQueue | None = None,
        limiter: TokenBucket | None = None,
        backoff: RetryBackoff | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.mapping = mapping
        self.planning = planning
        self.connect = connect
        self.metrics = metrics
        self.ledger = ledger
        self.dead_letters = dead_letters
        self.ingest_queue = ingest_queue
        self.limiter = limiter
        self.backoff = backoff or RetryBackoff()
        self.clock = clock
        self.rng = rng or random.Random()

    def process(
        self, delivery: Delivery, read: Callable[[], CanonicalEvent], *, deadline: float
    ) -> EventReport:
        """Create the event's tasks. Raises TransientFailure when the record must be retried."""
        try:
            event = read()
        except PermanentFailure as error:
            return self._dead_letter(delivery, delivery.message_id, [RuleFailure(rule="", error=error)])
        plan = self.plan(event)
        if plan.unmatched:
            if self.mapping.unmatched == "ignore":
                logger.info(
                    "no rule matches; ignored",
                    extra={
                        "correlation_id": event.id,
                        "event_id": event.id,
                        "outcome": Outcome.IGNORED.value,
                    },
                )
                return EventReport(event_id=event.id, ignored=True)
            unmatched = UnmatchedEvent(
                f"no mapping rule matches source {event.source!r} detail-type {event.detail_type!r}"
            )
            return self._dead_letter(delivery, event.id, [RuleFailure(rule="", error=unmatched)])
        created, permanent, transient = self._start_all(plan, deadline)
        permanent = [*plan.failures, *permanent]
        if transient:
            self._retry_later(delivery, event.id, transient)
        if permanent:
            return self._dead_letter(delivery, event.id, permanent, created=created)
        return EventReport(event_id=event.id, tasks=tuple(created))

    def plan(self, event: CanonicalEvent) -> EventPlan:
        context = PlanningContext(
            defaults=self.planning.defaults,
            token_namespace=self.planning.token_namespace,
        )
        return plan_event(event, self.mapping, context)

    def _start_all(
        self, plan: EventPlan, deadline: float
    ) -> tuple[list[CreatedTask], list[RuleFailure], list[RuleFailure]]:
        created: list[CreatedTask] = []
        permanent: list[RuleFailure] = []
        transient: list[RuleFailure] = []
        for task in plan.tasks:
            try:
                if time.monotonic() > deadline:
                    # Too close to the invocation's timeout: a call cut off by it would fail the whole batch.
                    raise InvocationDeadline("no time left in this invocation to call Connect")
                created.append(self._start(task, deadline))
            except PermanentFailure as error:
                error.rule = task.rule
                permanent.append(RuleFailure(rule=task.rule, error=error))
            except TransientFailure as error:
                error.rule = task.rule
                transient.append(RuleFailure(rule=task.rule, error=error))
        return created, permanent, transient

    def _start(self, task: PlannedTask, deadline: float) -> CreatedTask:
        def call_connect(request: Mapping[str, Any]) -> str:
            self._take_rate_token(deadline)
            try:
                return self.connect.start_task(request)
            except ConnectThrottled:
                self.metrics.count(Metric.THROTTLES, task.rule)
                raise

        if self.ledger is not None:
            entry = self.ledger.start_once(task.client_token, task.request, call_connect)
            contact_id, duplicate = entry.contact_id, entry.duplicate
        else:
            contact_id, duplicate = call_connect(task.request), False
        self.metrics.count(Metric.DUPLICATES_SKIPPED if duplicate else Metric.TASKS_CREATED, task.rule)
        outcome = Outcome.DUPLICATE if duplicate else Outcome.CREATED
        logger.info(
            "duplicate skipped" if duplicate else "task created",
            extra={
                "correlation_id": task.event_id,
                "event_id": task.event_id,
                "rule": task.rule,
                "client_token": task.client_token,
                "contact_id": contact_id,
                "outcome": outcome.value,
            },
        )
        return CreatedTask(
            rule=task.rule, client_token=task.client_token, contact_id=contact_id, duplicate=duplicate
        )

    def _take_rate_token(self, deadline: float) -> None:
        if self.limiter is None:
            return
        if not self.limiter.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise ConnectThrottled("local Connect rate limit: no call slot before the invocation deadline")

    def _dead_letter(
        self,
        delivery: Delivery,
        event_id: str,
        failures: list[RuleFailure],
        *,
        created: list[CreatedTask] | None = None,
    ) -> EventReport:
        """Send the original body and the reason to the DLQ; if that fails, retry the record instead."""
        first = failures[0].error
        reason = "; ".join(f"[{f.rule}] {f.error.message}" if f.rule else f.error.message for f in failures)
        try:
            if self.dead_letters is None:
                raise DeadLetterUnavailable("DLQ_URL is not set: the record stays on its queue")
            self.dead_letters.send(
                DeadLetter(
                    body=delivery.body,
                    error_type=first.error_type,
                    error_message=reason,
                    rule=",".join(sorted({f.rule for f in failures if f.rule})),
                    event_id=event_id,
                    source_arn=delivery.source_arn,
                    failed_at=self.clock(),
                    original_attributes=delivery.message_attributes,
                    message_group_id=delivery.message_group_id,
                    deduplication_key=delivery.message_id,
                )
            )
        except DeadLetterUnavailable as unavailable:
            self._retry_later(delivery, event_id, [RuleFailure(rule="", error=unavailable)])
        for failure in failures:
            self.metrics.count(Metric.PERMANENT_FAILURES, failure.rule or None)
            self._log_outcome(event_id, failure.rule, Outcome.DEAD_LETTER, failure.error)
        return EventReport(
            event_id=event_id, tasks=tuple(created or ()), dead_letter_reason=f"{first.error_type}: {reason}"
        )

    def _retry_later(self, delivery: Delivery, event_id: str, failures: list[RuleFailure]) -> NoReturn:
        """Count and log the failures, push the record's next attempt back, and raise the first one."""
        for failure in failures:
            self.metrics.count(Metric.TRANSIENT_FAILURES, failure.rule or None)
            self._log_outcome(event_id, failure.rule, Outcome.RETRY, failure.error)
        if self.ingest_queue is not None and delivery.receipt_handle:
            delay = self.backoff.delay_seconds(delivery.receive_count, self.rng)
            self.ingest_queue.delay_retry(delivery.source_arn, delivery.receipt_handle, delay)
        raise failures[0].error

    def _log_outcome(self, event_id: str, rule: str, outcome: Outcome, error: TaskCreatorError) -> None:
        logger.warning(
            "dead-lettered" if outcome is Outcome.DEAD_LETTER else "will retry",
            extra={
                "correlation_id": event_id,
                "event_id": event_id,
                "rule": rule or None,
                "error_type": error.error_type,
                "error": error.message,
                "outcome": outcome.value,
            },
        )
