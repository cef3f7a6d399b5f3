"""Follow-up events: update, reschedule and complete the task of a key, in any arrival order.

The end state is the one in-order delivery gives, or the DLQ with a reason, never silently different:

- an update or reschedule for a key with no task yet fails transiently (``NoTaskForKey``): retried with
  backoff and, on its last attempt, dead-lettered as ``NoTaskForKey``;
- a complete for a key with no task yet is recorded; the late create then creates its task (through the
  ledger, so a create whose answer was lost does not make a second one) and stops it at once; another
  delivery of that create (or of the create of any completed task) finds its task stopped, and stops
  nothing: it is a duplicate;
- an update or reschedule older than the last event applied (by the event's ``time``), or the same
  event again, is skipped, logged and counted (``StaleEventsSkipped``);
- anything for a completed task is skipped, logged and counted (``CompletedTaskEventsSkipped``);
- an update or reschedule for a task whose StopContact was sent but not confirmed (its answer lost) waits
  (``TaskKeyBusy``, retried) until the complete's retry settles it: nothing reaches a stopped task.

One event at a time per key: the work on a key (a create and its registration, a follow-up's Connect
calls) is done under the key's lease in the registry; an event that finds it taken is retried
(``TaskKeyBusy``). Applying an update claims the event first (only a newer event can claim), then calls
Connect; a failed call gives the claim back so the retry can take it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from task_creator.adapters.connect import StopOutcome
from task_creator.adapters.task_registry import EventStamp, RegisteredTask, TaskRegistry
from task_creator.errors import MappingError, NoTaskForKey, PermanentFailure, TaskCreatorError, TaskKeyBusy
from task_creator.mapping.planning import PlannedTask
from task_creator.mapping.schedule import schedule_request
from task_creator.mapping.task_fields import UPDATE_CONTACT_FIELDS

# Longer than the calls made under a lease can take (a create, its registration, a stop: 4 worst cases
# of time_budget.AWS_CALL_BUDGET); a lease left by a crash frees itself after this.
LEASE_SECONDS = 60.0


class LifecycleCalls(Protocol):
    def update_task(self, instance_id: str, contact_id: str, fields: Mapping[str, Any]) -> None: ...

    def update_task_attributes(
        self, instance_id: str, contact_id: str, attributes: Mapping[str, str]
    ) -> None: ...

    def reschedule_task(self, instance_id: str, contact_id: str, scheduled_time: datetime) -> None: ...

    def stop_task(
        self, instance_id: str, contact_id: str, *, disconnect_reason: str | None = None
    ) -> StopOutcome: ...


class Applied(Enum):
    """What a follow-up did (the ``outcome`` of its log line)."""

    UPDATED = "updated"
    RESCHEDULED = "rescheduled"
    COMPLETED = "completed"
    COMPLETION_RECORDED = "completion-recorded"  # no task yet: its create will stop it
    STALE_SKIPPED = "stale-skipped"
    DUPLICATE = "duplicate"  # the same event again
    COMPLETED_SKIPPED = "completed-skipped"


class Registration(Enum):
    """What registering a created task under its key found."""

    OPEN = "open"  # the key's task is open (this one, or the one another create registered first)
    STOPPED = "stopped"  # the key was completed first: the task was stopped now
    STOPPED_BEFORE = "stopped-before"  # the key is completed and the task had been stopped already


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up did. ``repeated``: an earlier attempt of the same message did it already (its
    outcome was not announced, or the answer was lost), so it is reported as what that attempt did."""

    applied: Applied
    contact_id: str | None
    key_hash: str
    repeated: bool = False


def event_stamp(event_time: str, event_id: str, delivery_id: str = "") -> EventStamp:
    """The event's place in its task's history; lifecycle rules need a readable ``time``."""
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        raise MappingError("the event has no ISO-8601 time: follow-up events are ordered by it") from None
    if moment.tzinfo is None:
        raise MappingError("the event's time has no timezone: follow-up events are ordered by it")
    return EventStamp.of(moment, event_id, delivery_id)


class TaskLifecycle:
    def __init__(
        self,
        *,
        registry: TaskRegistry,
        connect: LifecycleCalls,
        instance_id: str,
        clock: Callable[[], datetime],
        schedule_window: Any,
    ) -> None:
        self.registry = registry
        self.connect = connect
        self.instance_id = instance_id
        self.clock = clock
        self.schedule_window = schedule_window

    def key_hash(self, task: PlannedTask) -> str:
        return self.registry.key_hash(_key(task))

    @contextmanager
    def holding(self, task: PlannedTask) -> Iterator[None]:
        """The key's lease for this event's work; TaskKeyBusy while another event holds it."""
        key, owner = _key(task), f"{task.client_token}:{uuid.uuid4().hex}"
        if not self.registry.acquire(key, owner, seconds=LEASE_SECONDS):
            raise TaskKeyBusy("another event for this task is being applied right now")
        try:
            yield
        finally:
            self.registry.release(key, owner)

    def register(self, task: PlannedTask, contact_id: str, stamp: EventStamp) -> Registration:
        """Register a created task under its key. A completed key's task is stopped at once, unless it is
        the key's recorded task: that one was stopped already (by its complete, or by an earlier delivery
        of this create), so another delivery of its create makes no Connect call."""
        key = _key(task)
        record = self.registry.register_created(key, contact_id=contact_id, rule=task.rule, stamp=stamp)
        if not record.completed:
            return Registration.OPEN
        if record.contact_id == contact_id:
            return Registration.STOPPED_BEFORE
        stopped = self.connect.stop_task(self.instance_id, contact_id)
        if record.contact_id is None:
            self.registry.record_stopped(key, contact_id=contact_id, rule=task.rule)
        return Registration.STOPPED_BEFORE if stopped == StopOutcome.ALREADY_STOPPED else Registration.STOPPED

    def apply(
        self, task: PlannedTask, stamp: EventStamp, *, before_connect: Callable[[], None] = lambda: None
    ) -> FollowUp:
        """Apply the follow-up to the key's task, or say why not. ``before_connect`` runs just before its
        first Connect call (the caller's call slot): a follow-up skipped or repeated makes none."""
        key = _key(task)
        key_hash = self.registry.key_hash(key)
        record = self.registry.get(key)
        if task.action == "complete":
            return self._complete(task, key, key_hash, record, stamp, before_connect=before_connect)
        if record is None or (record.contact_id is None and not record.completed):
            raise NoTaskForKey(f"no task is registered for this key yet (key hash {key_hash[:12]})")
        if record.completed:
            return FollowUp(Applied.COMPLETED_SKIPPED, record.contact_id, key_hash)
        if record.state == "stopping":
            raise TaskKeyBusy("the task is being completed: its StopContact's outcome is not known yet")
        assert record.contact_id is not None
        if not self.registry.claim_event(key, stamp):
            again = record.last_event_id == stamp.event_id and record.last_event_time == stamp.time
            if again and _same_delivery(record.last_delivery_id, stamp):
                return FollowUp(_APPLIED_BY[task.action], record.contact_id, key_hash, repeated=True)
            return FollowUp(
                Applied.DUPLICATE if again else Applied.STALE_SKIPPED, record.contact_id, key_hash
            )
        try:
            before_connect()
            applied = self._send(task, record.contact_id)
        except BaseException:
            self.registry.release_event(key, stamp, record)
            raise
        return FollowUp(applied, record.contact_id, key_hash)

    def _complete(
        self,
        task: PlannedTask,
        key: str,
        key_hash: str,
        record: RegisteredTask | None,
        stamp: EventStamp,
        *,
        before_connect: Callable[[], None],
    ) -> FollowUp:
        if record is not None and record.completed:
            if _same_delivery(record.completed_by, stamp):
                applied = Applied.COMPLETED if record.contact_id else Applied.COMPLETION_RECORDED
                return FollowUp(applied, record.contact_id, key_hash, repeated=True)
            return FollowUp(Applied.COMPLETED_SKIPPED, record.contact_id, key_hash)
        if record is None or record.contact_id is None:
            self.registry.mark_completed(key, stamp)
            return FollowUp(Applied.COMPLETION_RECORDED, None, key_hash)
        reason = (task.request.get("DisconnectReason") or {}).get("Code")
        before_connect()
        # Until the stop is known to have happened (or not), no update may reach the task: its answer
        # can be lost after the task stopped, and the complete's retry settles it.
        self.registry.mark_stopping(key)
        try:
            self.connect.stop_task(self.instance_id, record.contact_id, disconnect_reason=reason)
        except PermanentFailure:
            self.registry.reopen(key)
            raise
        self.registry.mark_completed(key, stamp)
        return FollowUp(Applied.COMPLETED, record.contact_id, key_hash)

    def _send(self, task: PlannedTask, contact_id: str) -> Applied:
        if task.action == "reschedule":
            scheduled = schedule_request(
                task.request, now=self.clock(), window=self.schedule_window, past=task.past_scheduled_time
            )
            # A reschedule rule dead-letters a passed time (there is no "start it now" for a scheduled
            # task), so schedule_request either raises or keeps the ScheduledTime.
            self.connect.reschedule_task(self.instance_id, contact_id, scheduled.request["ScheduledTime"])
            return Applied.RESCHEDULED
        fields = {name: value for name, value in task.request.items() if name in UPDATE_CONTACT_FIELDS}
        if fields:
            self.connect.update_task(self.instance_id, contact_id, fields)
        if task.request.get("Attributes"):
            self.connect.update_task_attributes(self.instance_id, contact_id, task.request["Attributes"])
        return Applied.UPDATED


_APPLIED_BY = {"update": Applied.UPDATED, "reschedule": Applied.RESCHEDULED}


def _same_delivery(recorded: str | None, stamp: EventStamp) -> bool:
    return bool(stamp.delivery_id) and recorded == stamp.delivery_id


def _key(task: PlannedTask) -> str:
    key: str | None = task.task_key
    if not key:
        raise TaskCreatorError(f"rule {task.rule!r} has no task key")  # the loader refuses such rules
    return key
