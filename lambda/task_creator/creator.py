"""Runs one delivered event: plan its tasks, create each once, and carry out what ``decision`` says.

Per rule, in this order: identity and ClientToken (planning), then "is this token done already?" (the
in-flight tasks of this container, then the ledger), and only then the checks that depend on the clock
(``ScheduledTime``) and the Connect call. Every failure is logged and counted on every attempt. A record
is dead-lettered once: after the DLQ write succeeds its source message is deleted at once, so a timeout
later in the invocation cannot bring it back for a second dead letter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NoReturn

from task_creator.adapters.dead_letter_attributes import DeadLetterReason
from task_creator.adapters.dead_letters import DeadLetter, DeadLetterQueue
from task_creator.adapters.ingest_queue import IngestQueue
from task_creator.adapters.ledger import TaskLedger
from task_creator.backoff import RetryBackoff
from task_creator.decision import RETRIES_EXHAUSTED, Action, Attempt, Decision, decide
from task_creator.deferral import deferral_seconds, send_back
from task_creator.errors import (
    DeadLetterUnavailable,
    InvocationDeadline,
    MalformedEvent,
    OutcomePublishFailed,
    PermanentFailure,
    RateDeferred,
    TaskCreatorError,
    TransientFailure,
    UnexpectedError,
)
from task_creator.lifecycle import TaskLifecycle
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.planning import (
    EventPlan,
    PlanningContext,
    RuleFailure,
    plan_event,
    unmatched_error,
)
from task_creator.mapping.rules import TaskMapping
from task_creator.observability import Metric, Outcome, TaskMetrics, log_failure, log_outcome, log_unexpected
from task_creator.outcome_events import EventRef, OutcomeEvent, dead_letter_outcome, task_outcome
from task_creator.outcome_publisher import OutcomePublisher, PendingOutcomes
from task_creator.rate_limit import TokenBucket
from task_creator.records import (
    CreatedTask,
    Delivery,
    EventReport,
    PlanningSettings,
    TaskStarter,
)
from task_creator.rule_runner import RuleRunner


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
        fifo_dead_letters: DeadLetterQueue | None = None,
        ingest_queue: IngestQueue | None = None,
        limiter: TokenBucket | None = None,
        backoff: RetryBackoff | None = None,
        max_receive_count: int | None = None,
        lifecycle: TaskLifecycle | None = None,
        outcomes: OutcomePublisher | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.mapping = mapping
        self.planning = planning
        self.metrics = metrics
        self.ledger = ledger
        self.dead_letters = dead_letters
        self.fifo_dead_letters = fifo_dead_letters
        self.ingest_queue = ingest_queue
        self.backoff = backoff or RetryBackoff()
        self.max_receive_count = max_receive_count
        self.outcomes = outcomes
        self.clock = clock or _utc_now
        self.rng = rng or random.Random()
        self.rules = RuleRunner(
            connect=connect,
            metrics=metrics,
            ledger=ledger,
            lifecycle=lifecycle,
            limiter=limiter,
            clock=self.clock,
            schedule_window=planning.schedule_window,
        )

    def process(
        self, delivery: Delivery, read: Callable[[], CanonicalEvent], *, deadline: float
    ) -> EventReport:
        """Create the event's tasks. Raises TransientFailure (logged already) when the record must be
        retried; any other outcome returns. A done record's outcome events are returned for the caller to
        publish (``EventReport.outcomes``); a dead-lettered record's are published before its dead letter
        is written, since its source message is deleted right after."""
        attempt = Attempt(
            receive_count=delivery.attempt_number,
            max_receive_count=self.max_receive_count if delivery.receipt_handle else None,
        )
        unread = EventRef(delivery.message_id)
        try:
            event = read()
            if self.outcomes is not None and event.source == self.outcomes.source:
                log_outcome(event.id, "", Outcome.IGNORED, "the function's own outcome event; ignored")
                return EventReport(event_id=event.id, ignored=True)
            plan = self.plan(event)
        except PermanentFailure as error:
            return self._settle(delivery, unread, attempt, permanent=[RuleFailure("", error)])
        except Exception as error:
            unreadable = MalformedEvent(f"the event could not be read: {type(error).__name__}")
            log_unexpected(delivery.message_id, "", error)
            return self._settle(delivery, unread, attempt, permanent=[RuleFailure("", unreadable)])
        ref = EventRef(event.id, event.source, event.detail_type, event.replay_name or None)
        if plan.unmatched:
            if self.mapping.unmatched == "ignore":
                log_outcome(event.id, "", Outcome.IGNORED, "no rule matches; ignored")
                return EventReport(event_id=event.id, ignored=True)
            unmatched = [RuleFailure("", unmatched_error(event))]
            return self._settle(delivery, ref, attempt, permanent=unmatched)
        created, permanent, transient = self._start_all(plan, event, deadline, delivery)
        return self._settle(
            delivery,
            ref,
            attempt,
            created=created,
            permanent=[*plan.failures, *permanent],
            transient=transient,
        )

    def plan(self, event: CanonicalEvent) -> EventPlan:
        context = PlanningContext(
            defaults=self.planning.defaults, token_namespace=self.planning.token_namespace
        )
        return plan_event(event, self.mapping, context)

    # --- creating tasks ---------------------------------------------------------------------------

    def _start_all(
        self, plan: EventPlan, event: CanonicalEvent, deadline: float, delivery: Delivery
    ) -> tuple[list[CreatedTask], list[RuleFailure], list[RuleFailure]]:
        may_defer = delivery.deferrable and self.ingest_queue is not None
        created: list[CreatedTask] = []
        permanent: list[RuleFailure] = []
        transient: list[RuleFailure] = []
        for task in plan.tasks:
            try:
                if time.monotonic() > deadline:
                    # Too close to the invocation's timeout: a call cut off by it would fail the whole batch.
                    raise InvocationDeadline("no time left in this invocation to start the task")
                done = self.rules.run(
                    task, event, deadline, delivery_id=delivery.delivery_id, may_defer=may_defer
                )
                created.append(done)
            except PermanentFailure as error:
                error.rule = task.rule
                permanent.append(RuleFailure(rule=task.rule, error=error))
            except TransientFailure as error:
                error.rule = task.rule
                transient.append(RuleFailure(rule=task.rule, error=error))
            except Exception as error:
                log_unexpected(task.event_id, task.rule, error)
                surprise = UnexpectedError(f"{type(error).__name__} while starting the task", rule=task.rule)
                transient.append(RuleFailure(rule=task.rule, error=surprise))
        return created, permanent, transient

    # --- what happens to the record --------------------------------------------------------------

    def _settle(
        self,
        delivery: Delivery,
        ref: EventRef,
        attempt: Attempt,
        *,
        created: list[CreatedTask] | None = None,
        permanent: list[RuleFailure] | None = None,
        transient: list[RuleFailure] | None = None,
    ) -> EventReport:
        event_id = ref.event_id
        decision = decide(permanent=permanent or [], transient=transient or [], attempt=attempt)
        self._record_failures(event_id, decision, permanent or [], transient or [])
        tasks = tuple(created or ())
        outcomes = tuple(task_outcome(ref, task) for task in tasks) if self.outcomes else ()
        if decision.action is Action.DONE:
            return EventReport(event_id=event_id, tasks=tasks, outcomes=outcomes)
        if decision.deferred and delivery.deferrable and self.ingest_queue is not None:
            backoff = self.backoff.delay_seconds(delivery.attempt_number, self.rng)
            delay = deferral_seconds(decision, throttled_default=backoff)
            return EventReport(event_id=event_id, tasks=tasks, deferred_seconds=delay)
        if decision.action is Action.RETRY:
            self._retry_later(delivery, decision.reasons[0].error)
        if self.outcomes is not None:
            self._announce_dead_letter(delivery, ref, decision, outcomes)
        try:
            self._dead_letter(delivery, event_id, decision)
        except DeadLetterUnavailable as unavailable:
            self.metrics.count(Metric.TRANSIENT_FAILURES, None)
            log_failure(event_id, "", Outcome.RETRY, unavailable, failure="transient")
            self._retry_later(delivery, unavailable)
        return EventReport(
            event_id=event_id,
            tasks=tasks,
            dead_letter_reason=f"{decision.error_type}: {decision.error_message}",
        )

    def _record_failures(
        self,
        event_id: str,
        decision: Decision,
        permanent: list[RuleFailure],
        transient: list[RuleFailure],
    ) -> None:
        """Log and count every failure of this attempt, whatever happens to the record."""
        outcome = Outcome.DEAD_LETTER if decision.action is Action.DEAD_LETTER else Outcome.RETRY
        for failure in permanent:
            self.metrics.count(Metric.PERMANENT_FAILURES, failure.rule or None)
            log_failure(event_id, failure.rule, outcome, failure.error, failure="permanent")
        for failure in transient:
            if isinstance(failure.error, RateDeferred):  # waiting for a slot is not a failure
                self.metrics.count(Metric.RATE_DEFERRALS, failure.rule or None)
                continue
            self.metrics.count(Metric.TRANSIENT_FAILURES, failure.rule or None)
            log_failure(event_id, failure.rule, outcome, failure.error, failure="transient")
        if decision.error_type == RETRIES_EXHAUSTED:
            self.metrics.count(Metric.RETRIES_EXHAUSTED, None)

    def _announce_dead_letter(
        self, delivery: Delivery, ref: EventRef, decision: Decision, outcomes: tuple[OutcomeEvent, ...]
    ) -> None:
        """Publish the record's outcome events and its ``Task Dead-Lettered`` before the dead letter is
        written (its source message is deleted right after); not accepted: retry the record instead."""
        assert self.outcomes is not None
        dead_lettered = dead_letter_outcome(
            ref,
            rules=decision.failed_rules,
            error_type=decision.error_type or "PermanentFailure",
            error_message=decision.error_message,
        )
        try:
            self.outcomes.publish_or_raise(PendingOutcomes(ref.event_id, (*outcomes, dead_lettered)))
        except OutcomePublishFailed as error:
            self.metrics.count(Metric.TRANSIENT_FAILURES, None)
            log_failure(ref.event_id, "", Outcome.RETRY, error, failure="transient")
            self._retry_later(delivery, error)

    def retry_later(self, delivery: Delivery, error: TaskCreatorError) -> None:
        """Push the record's next attempt back (its outcome events were not published at the end of the
        batch); the batch then reports it as failed."""
        self.metrics.count(Metric.TRANSIENT_FAILURES, None)
        log_failure(delivery.message_id, "", Outcome.RETRY, error, failure="transient")
        self._delay(delivery)

    def _dead_letter(self, delivery: Delivery, event_id: str, decision: Decision) -> None:
        """The original body and the reason to the DLQ, then the source message deleted at once. With
        the ledger, once per delivery: a deferred record's copy and the original it came from (back
        because its batch response was lost) do not both reach the DLQ."""
        dead_letters = self._dead_letter_queue(delivery)
        letter = DeadLetter(
            body=delivery.body,
            reason=DeadLetterReason(
                error_type=decision.error_type or "PermanentFailure",
                error_message=decision.error_message,
                rule=decision.failed_rules,
                event_id=event_id,
                source_arn=delivery.source_arn,
                failed_at=self.clock(),
            ),
            original_attributes=delivery.message_attributes,
            message_group_id=delivery.message_group_id,
            deduplication_key=delivery.message_id,
        )
        if self.ledger is None:
            dead_letters.send(letter)
        elif not self.ledger.dead_letter_once(delivery.delivery_id, lambda: dead_letters.send(letter)):
            log_outcome(event_id, "", Outcome.DUPLICATE, "dead-lettered already (an earlier copy of it)")
        if self.ingest_queue is not None and delivery.receipt_handle:
            self.ingest_queue.delete(delivery.source_arn, delivery.receipt_handle)

    def _dead_letter_queue(self, delivery: Delivery) -> DeadLetterQueue:
        """A FIFO queue's records go to the FIFO DLQ (FIFO_DLQ_URL) when there is one, keeping their
        message group; everything else to DLQ_URL."""
        if delivery.fifo and self.fifo_dead_letters is not None:
            return self.fifo_dead_letters
        if self.dead_letters is None:
            raise DeadLetterUnavailable("DLQ_URL is not set: the record stays on its queue")
        return self.dead_letters

    def _retry_later(self, delivery: Delivery, error: TaskCreatorError) -> NoReturn:
        """Push the record's next attempt back, and raise so the batch reports it as failed."""
        self._delay(delivery)
        raise error

    def send_back(self, deferred: Sequence[tuple[Delivery, EventReport]]) -> list[Delivery]:
        """Send the deferred records back to their queues (``deferral.send_back``); those not sent."""
        if self.ingest_queue is None:
            return [delivery for delivery, _ in deferred]
        return send_back(self.ingest_queue, deferred)

    def _delay(self, delivery: Delivery) -> None:
        if self.ingest_queue is not None and delivery.receipt_handle:
            delay = self.backoff.delay_seconds(delivery.attempt_number, self.rng)
            self.ingest_queue.delay_retry(delivery.source_arn, delivery.receipt_handle, delay)


def _utc_now() -> datetime:
    return datetime.now(UTC)
