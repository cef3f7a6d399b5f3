"""One rule's work for one event, done once: create its task, or apply its follow-up to the key's task.

Per rule, in this order: "is this token done already?" (the in-flight tasks of this container, then the
ledger), and only then the checks that depend on the clock (``ScheduledTime``) and the Connect call. A
create with a ``taskKey`` registers its task; a follow-up goes through ``lifecycle``. Every outcome is
logged (with the task key's hash, never the key) and counted, per rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta

from task_creator.adapters.ledger import TaskLedger
from task_creator.errors import ConnectThrottled, InvocationDeadline, LifecycleUnavailable
from task_creator.in_flight import InFlightTasks
from task_creator.lifecycle import Applied, TaskLifecycle, event_stamp
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.planning import PlannedTask
from task_creator.mapping.schedule import schedule_request
from task_creator.observability import Metric, Outcome, TaskMetrics, log_outcome
from task_creator.rate_limit import TokenBucket
from task_creator.records import CreatedTask, TaskStarter

LATE_CREATE = "late-create-stopped"  # a create whose key was completed first: created, then stopped
# What each rule outcome logs and counts ("applied" values: lifecycle.Applied, plus the create's).
RESULTS: dict[str, tuple[Outcome, Metric]] = {
    "created": (Outcome.CREATED, Metric.TASKS_CREATED),
    "duplicate": (Outcome.DUPLICATE, Metric.DUPLICATES_SKIPPED),
    LATE_CREATE: (Outcome.COMPLETED, Metric.LATE_CREATES_STOPPED),
    Applied.UPDATED.value: (Outcome.UPDATED, Metric.TASKS_UPDATED),
    Applied.RESCHEDULED.value: (Outcome.RESCHEDULED, Metric.TASKS_RESCHEDULED),
    Applied.COMPLETED.value: (Outcome.COMPLETED, Metric.TASKS_COMPLETED),
    Applied.COMPLETION_RECORDED.value: (Outcome.COMPLETED, Metric.COMPLETIONS_RECORDED),
    Applied.STALE_SKIPPED.value: (Outcome.SKIPPED, Metric.STALE_EVENTS_SKIPPED),
    Applied.COMPLETED_SKIPPED.value: (Outcome.SKIPPED, Metric.COMPLETED_TASK_EVENTS_SKIPPED),
}
APPLIED_CHANGES = frozenset(
    {Applied.UPDATED, Applied.RESCHEDULED, Applied.COMPLETED, Applied.COMPLETION_RECORDED}
)


class RuleRunner:
    def __init__(
        self,
        *,
        connect: TaskStarter,
        metrics: TaskMetrics,
        ledger: TaskLedger | None,
        lifecycle: TaskLifecycle | None,
        limiter: TokenBucket | None,
        clock: Callable[[], datetime],
        schedule_window: timedelta,
    ) -> None:
        self.connect = connect
        self.metrics = metrics
        self.ledger = ledger
        self.lifecycle = lifecycle
        self.limiter = limiter
        self.clock = clock
        self.schedule_window = schedule_window
        self.in_flight = InFlightTasks()

    def run(self, task: PlannedTask, event: CanonicalEvent, deadline: float) -> CreatedTask:
        """The rule's work, done once: a token already in flight here waits for it; a create is skipped
        by the ledger when done before, and only a new task is checked against the clock and sent."""
        claim = self.in_flight.claim(task.client_token)
        if not claim.leader:
            contact_id = self._wait_for(claim.future, deadline)
            applied = "created" if task.action == "create" else "duplicate"
            return self._report(
                task, CreatedTask(task.rule, task.client_token, contact_id, True, task.action, applied)
            )
        try:
            outcome = self._do(task, event, deadline)
        except BaseException as error:
            self.in_flight.settle(task.client_token, contact_id=None, error=error)
            raise
        self.in_flight.settle(task.client_token, contact_id=outcome.contact_id, error=None)
        return self._report(task, outcome)

    def _do(self, task: PlannedTask, event: CanonicalEvent, deadline: float) -> CreatedTask:
        if task.action != "create":
            return self._follow_up(task, event, deadline)
        lifecycle = self.lifecycle if task.task_key else None
        if lifecycle is None:
            contact_id, duplicate = self._create_once(task, deadline)
            return CreatedTask(task.rule, task.client_token, contact_id, duplicate)
        stamp = event_stamp(event.time, event.id)
        with lifecycle.holding(task):
            contact_id, duplicate = self._create_once(task, deadline)
            if lifecycle.register(task, contact_id, stamp):
                # Its complete came first: the task is created (or found, if an earlier answer was lost)
                # and stopped at once, so nothing stays open.
                return CreatedTask(task.rule, task.client_token, contact_id, duplicate, "create", LATE_CREATE)
        return CreatedTask(task.rule, task.client_token, contact_id, duplicate)

    def _follow_up(self, task: PlannedTask, event: CanonicalEvent, deadline: float) -> CreatedTask:
        if self.lifecycle is None:
            raise LifecycleUnavailable("lifecycle rules need the ledger table (IDEMPOTENCY_TABLE)")
        stamp = event_stamp(event.time, event.id)
        self._take_rate_token(deadline)
        try:
            with self.lifecycle.holding(task):
                done = self.lifecycle.apply(task, stamp)
        except ConnectThrottled:
            self.metrics.count(Metric.THROTTLES, task.rule)
            raise
        skipped = done.applied not in APPLIED_CHANGES
        contact_id = done.contact_id or ""
        return CreatedTask(task.rule, task.client_token, contact_id, skipped, task.action, done.applied.value)

    def _report(self, task: PlannedTask, outcome: CreatedTask) -> CreatedTask:
        applied = "duplicate" if outcome.duplicate and outcome.applied == "created" else outcome.applied
        log_outcome_of, metric = RESULTS[applied]
        self.metrics.count(metric, task.rule)
        key_hash = self.lifecycle.key_hash(task) if self.lifecycle is not None and task.task_key else None
        log_outcome(
            task.event_id,
            task.rule,
            log_outcome_of,
            f"{outcome.action}: {applied}",
            client_token=task.client_token,
            contact_id=outcome.contact_id or None,
            action=outcome.action,
            task_key_hash=key_hash,
        )
        return outcome

    def _create_once(self, task: PlannedTask, deadline: float) -> tuple[str, bool]:
        started_late = False

        def create() -> str:
            nonlocal started_late
            scheduled = schedule_request(
                task.request,
                now=self.clock(),
                window=self.schedule_window,
                past=task.past_scheduled_time,
            )
            started_late = scheduled.started_late
            self._take_rate_token(deadline)
            try:
                return self.connect.start_task(scheduled.request)
            except ConnectThrottled:
                self.metrics.count(Metric.THROTTLES, task.rule)
                raise

        if self.ledger is not None:
            entry = self.ledger.start_once(task.client_token, create)
            contact_id, duplicate = entry.contact_id, entry.duplicate
        else:
            contact_id, duplicate = create(), False
        if started_late:
            self.metrics.count(Metric.SCHEDULES_STARTED_LATE, task.rule)
            log_outcome(
                task.event_id,
                task.rule,
                Outcome.CREATED,
                "ScheduledTime had passed: the task was started now, without it",
                client_token=task.client_token,
                level="warning",
            )
        return contact_id, duplicate

    def _wait_for(self, future: Future[str], deadline: float) -> str:
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise InvocationDeadline("the same task is still being created in this invocation") from None

    def _take_rate_token(self, deadline: float) -> None:
        if self.limiter is None:
            return
        if not self.limiter.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise ConnectThrottled("local Connect rate limit: no call slot before the invocation deadline")
