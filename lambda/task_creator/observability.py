"""Logging and metrics. Logs carry the event id, rule, ClientToken, ContactId and outcome; never task content.

Metrics (EMF, Count): TasksCreated, DuplicatesSkipped, PermanentFailures, TransientFailures, Throttles,
SchedulesStartedLate (a task sent without its ScheduledTime, which had passed), RetriesExhausted (records
the function dead-lettered on their last attempt), the lifecycle's (TasksUpdated, TasksRescheduled,
TasksCompleted, ...), and OutcomeEventsPublished / OutcomeEventsFailed (outcome events EventBridge
accepted / did not accept), RateDeferrals (rules sent back to wait for a slot in the container's share of
the Connect quota: not failures).
Each is emitted twice per invocation: with the ``service`` dimension only (totals, what alarms watch) and
with ``service`` + ``rule``.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections import Counter
from enum import Enum
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from task_creator.errors import TaskCreatorError
from task_creator.settings import DEFAULT_SERVICE_NAME

logger = Logger(service=os.getenv("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE_NAME)

NO_RULE = "-"


class Metric(Enum):
    TASKS_CREATED = "TasksCreated"
    DUPLICATES_SKIPPED = "DuplicatesSkipped"
    PERMANENT_FAILURES = "PermanentFailures"
    TRANSIENT_FAILURES = "TransientFailures"
    THROTTLES = "Throttles"
    SCHEDULES_STARTED_LATE = "SchedulesStartedLate"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    TASKS_UPDATED = "TasksUpdated"
    TASKS_RESCHEDULED = "TasksRescheduled"
    TASKS_COMPLETED = "TasksCompleted"
    COMPLETIONS_RECORDED = "CompletionsRecordedBeforeCreate"
    STALE_EVENTS_SKIPPED = "StaleEventsSkipped"
    COMPLETED_TASK_EVENTS_SKIPPED = "CompletedTaskEventsSkipped"
    LATE_CREATES_STOPPED = "LateCreatesStopped"
    RATE_DEFERRALS = "RateDeferrals"
    OUTCOME_EVENTS_PUBLISHED = "OutcomeEventsPublished"
    OUTCOME_EVENTS_FAILED = "OutcomeEventsFailed"


class Outcome(Enum):
    """The ``outcome`` key of the function's log lines (the offline runtime's report reads them)."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD_LETTER = "dead-letter"
    IGNORED = "ignored"
    UPDATED = "updated"
    RESCHEDULED = "rescheduled"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class TaskMetrics:
    """Counts per (metric, rule) during an invocation, thread-safe; ``flush`` writes them as EMF."""

    def __init__(self, *, namespace: str, service: str) -> None:
        self.namespace = namespace
        self.service = service
        self._counts: Counter[tuple[Metric, str]] = Counter()
        self._lock = threading.Lock()

    def count(self, metric: Metric, rule: str | None, value: int = 1) -> None:
        with self._lock:
            self._counts[(metric, rule or NO_RULE)] += value

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        totals: Counter[Metric] = Counter()
        by_rule: dict[str, Counter[Metric]] = {}
        for (metric, rule), value in counts.items():
            totals[metric] += value
            by_rule.setdefault(rule, Counter())[metric] += value
        self._emit(totals, rule=None)
        for rule, rule_counts in sorted(by_rule.items()):
            self._emit(rule_counts, rule=rule)

    def _emit(self, counts: Counter[Metric], *, rule: str | None) -> None:
        emf = EphemeralMetrics(namespace=self.namespace, service=self.service)
        if rule is not None:
            emf.add_dimension(name="rule", value=rule)
        for metric, value in counts.items():
            emf.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
        emf.flush_metrics()


def log_outcome(
    event_id: str,
    rule: str,
    outcome: Outcome,
    message: str,
    *,
    level: str = "info",
    **fields: Any,
) -> None:
    extra = {"correlation_id": event_id, "event_id": event_id, "rule": rule or None, "outcome": outcome.value}
    getattr(logger, level)(message, extra={**extra, **fields})


def log_failure(event_id: str, rule: str, outcome: Outcome, error: TaskCreatorError, *, failure: str) -> None:
    message = "dead-lettered" if outcome is Outcome.DEAD_LETTER else "will retry"
    log_outcome(
        event_id,
        rule,
        outcome,
        f"{failure} failure; {message}",
        level="warning",
        failure=failure,
        error_type=error.error_type,
        error=error.message,
    )


def log_unexpected(event_id: str, rule: str, error: BaseException) -> None:
    """An exception no code path expected: its type and where it was raised, never its message (which
    may quote the event)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    logger.error(
        "unexpected exception",
        extra={
            "correlation_id": event_id,
            "event_id": event_id,
            "rule": rule or None,
            "exception_type": type(error).__name__,
            "raised_at": where,
        },
    )
