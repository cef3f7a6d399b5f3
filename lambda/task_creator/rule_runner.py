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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from task_creator.adapters.ledger import LedgerEntry, TaskLedger
from task_creator.errors import ConnectThrottled, InvocationDeadline, LifecycleUnavailable, RateDeferred
from task_creator.in_flight import InFlightTasks
from task_creator.lifecycle import Applied, Registration, TaskLifecycle, event_stamp
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.planning import PlannedTask
from task_creator.mapping.schedule import schedule_request
from task_creator.observability import Metric, Outcome, TaskMetrics, log_outcome
from task_creator.rate_limit import MAX_SLOT_WAIT_SECONDS, TokenBucket
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

    def run(
        self,
        task: PlannedTask,
        event: CanonicalEvent,
        deadline: float,
        *,
        delivery_id: str = "",
        may_defer: bool = False,
    ) -> CreatedTask:
        """The rule's work, done once: a token already in flight here waits for it; a create is skipped
        by the ledger when done before, and only a new task is checked against the clock and sent.
        ``delivery_id`` (the message's id) tells a retry of this message from another delivery;
        ``may_defer``: with no call slot within ``MAX_SLOT_WAIT_SECONDS``, raise RateDeferred rather than
        wait (the record can be sent back to its queue with a delay)."""
        claim = self.in_flight.claim(task.client_token)
        if not claim.leader:
            contact_id = self._wait_for(claim.future, deadline)
            applied = "created" if task.action == "create" else "duplicate"
            return self._report(
                task, CreatedTask(task.rule, task.client_token, contact_id, True, task.action, applied)
            )
        try:
            outcome = self._do(task, event, _Slot(deadline, may_defer), delivery_id)
        except BaseException as error:
            self.in_flight.settle(task.client_token, contact_id=None, error=error)
            raise
        self.in_flight.settle(task.client_token, contact_id=outcome.contact_id, error=None)
        return self._report(task, outcome)

    def _do(self, task: PlannedTask, event: CanonicalEvent, slot: _Slot, delivery_id: str) -> CreatedTask:
        if task.action != "create":
            return self._follow_up(task, event, slot, delivery_id)
        lifecycle = self.lifecycle if task.task_key else None
        if self.ledger is not None:
            # A create deferred for its slot would have claimed and released its ledger entry (and its
            # key) for nothing: two DynamoDB calls per deferral. Defer before touching them.
            self._defer_unless_slot_soon(slot)
        if lifecycle is None:
            created = self._create_once(task, slot, delivery_id)
            return self._created(task, created, delivery_id)
        # The stamp names the event by its ClientToken (identity and rule): a replayed event, which has a
        # new id, is still the same event again.
        stamp = event_stamp(event.time, task.client_token, delivery_id)
        with lifecycle.holding(task):
            created = self._create_once(task, slot, delivery_id)
            registration = lifecycle.register(task, created.contact_id, stamp)
        return self._created(task, created, delivery_id, registration=registration)

    def _created(
        self,
        task: PlannedTask,
        entry: LedgerEntry,
        delivery_id: str,
        *,
        registration: Registration = Registration.OPEN,
    ) -> CreatedTask:
        """A create's outcome; ``repeated`` when the ledger's task is this message's own (an earlier
        attempt created it, and its outcome may never have been announced). A create whose key was
        completed first is a late create, stopped at once (found, if an earlier answer was lost); one
        that finds its task stopped before is a duplicate, unless it is that earlier attempt's retry."""
        instance_id = task.request.get("InstanceId")
        own = entry.duplicate and bool(delivery_id) and entry.delivery_id == delivery_id
        late = registration is Registration.STOPPED or (
            registration is Registration.STOPPED_BEFORE and (own or not entry.duplicate)
        )
        applied = LATE_CREATE if late else "created"
        return CreatedTask(
            task.rule,
            task.client_token,
            entry.contact_id,
            entry.duplicate,
            "create",
            applied,
            repeated=own,
            instance_id=instance_id if isinstance(instance_id, str) else None,
        )

    def _follow_up(
        self, task: PlannedTask, event: CanonicalEvent, slot: _Slot, delivery_id: str
    ) -> CreatedTask:
        if self.lifecycle is None:
            raise LifecycleUnavailable("lifecycle rules need the ledger table (IDEMPOTENCY_TABLE)")
        stamp = event_stamp(event.time, task.client_token, delivery_id)
        # As for a create: defer before touching the registry when no slot is near, and take the slot only
        # for a Connect call, so a follow-up applied before (a redelivery, a replay) costs none.
        self._defer_unless_slot_soon(slot)
        try:
            with self.lifecycle.holding(task):
                done = self.lifecycle.apply(task, stamp, before_connect=lambda: self._take_rate_token(slot))
        except ConnectThrottled as throttled:
            self._throttled(task, throttled)
            raise
        skipped = done.repeated or done.applied not in APPLIED_CHANGES
        return CreatedTask(
            task.rule,
            task.client_token,
            done.contact_id or "",
            skipped,
            task.action,
            done.applied.value,
            repeated=done.repeated,
            instance_id=self.lifecycle.instance_id,
        )

    def _report(self, task: PlannedTask, outcome: CreatedTask) -> CreatedTask:
        """Log and count the rule's outcome (a repeat counts as a duplicate), with the key's hash."""
        applied = outcome.applied
        if outcome.duplicate and (applied == "created" or outcome.repeated):
            applied = "duplicate"
        log_outcome_of, metric = RESULTS[applied]
        self.metrics.count(metric, task.rule)
        key_hash = self.lifecycle.key_hash(task) if self.lifecycle is not None and task.task_key else None
        log_outcome(
            task.event_id,
            task.rule,
            log_outcome_of,
            f"{outcome.action}: {applied}"
            + (" (an earlier attempt of this message did it)" if outcome.repeated else ""),
            client_token=task.client_token,
            contact_id=outcome.contact_id or None,
            action=outcome.action,
            task_key_hash=key_hash,
        )
        return replace(outcome, task_key_hash=key_hash)

    def _create_once(self, task: PlannedTask, slot: _Slot, delivery_id: str) -> LedgerEntry:
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
            self._take_rate_token(slot)
            try:
                return self.connect.start_task(scheduled.request)
            except ConnectThrottled as throttled:
                self._throttled(task, throttled)
                raise

        if self.ledger is not None:
            entry = self.ledger.start_once(task.client_token, create, delivery_id=delivery_id)
        else:
            entry = LedgerEntry(contact_id=create(), duplicate=False)
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
        return entry

    def _wait_for(self, future: Future[str], deadline: float) -> str:
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise InvocationDeadline("the same task is still being created in this invocation") from None

    def _take_rate_token(self, slot: _Slot) -> None:
        """A call slot in this container's share of the Connect quota: waited for at most
        MAX_SLOT_WAIT_SECONDS when the record may be deferred (else RateDeferred, with when to come
        back), else until the invocation's deadline."""
        if self.limiter is None:
            return
        if slot.may_defer:
            if self.limiter.acquire(timeout=slot.deferrable_wait()):
                return
            raise self._deferred(self.limiter)
        if not self.limiter.acquire(timeout=slot.remaining()):
            raise ConnectThrottled("local Connect rate limit: no call slot before the invocation deadline")

    def _defer_unless_slot_soon(self, slot: _Slot) -> None:
        """RateDeferred now when ``_take_rate_token`` would defer: no slot within its bound."""
        if self.limiter is None or not slot.may_defer:
            return
        if not self.limiter.available_within(slot.deferrable_wait()):
            raise self._deferred(self.limiter)

    @staticmethod
    def _deferred(limiter: TokenBucket) -> RateDeferred:
        return RateDeferred(
            "no Connect call slot in this container's share of the quota soon enough",
            retry_after_seconds=limiter.deferral_seconds(),
        )

    def _throttled(self, task: PlannedTask, throttled: ConnectThrottled) -> None:
        """Connect throttled the call: count it, slow this container down (AIMD), and say when a slot is
        expected, for the record's deferral."""
        self.metrics.count(Metric.THROTTLES, task.rule)
        if self.limiter is not None:
            self.limiter.throttled()
            throttled.retry_after_seconds = self.limiter.deferral_seconds()


@dataclass(frozen=True)
class _Slot:
    """How a rule's Connect call gets its slot: by the invocation's deadline, and may it be deferred."""

    deadline: float
    may_defer: bool

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def deferrable_wait(self) -> float:
        """The longest a record that may be deferred waits for its slot."""
        return min(MAX_SLOT_WAIT_SECONDS, self.remaining())
