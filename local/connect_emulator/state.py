"""What the emulated Connect instance remembers: tasks, client tokens, linked chains and counters.

One lock guards everything, so "is this token known, is there quota, create" and "find the task, check
the lifecycle rule, write" are atomic under the ~10 concurrent clients the pipeline and benchmarks use.
Inspection returns frozen snapshots (`records.py`).
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from local.connect_emulator import lifecycle
from local.connect_emulator.errors import (
    EmulatorError,
    ResourceNotFound,
    ServiceQuotaExceeded,
    UnknownContact,
)
from local.connect_emulator.operations import (
    DESCRIBE_CONTACT,
    EMULATED_OPERATIONS,
    START_TASK_CONTACT,
    STOP_CONTACT,
    UPDATE_CONTACT,
    UPDATE_CONTACT_ATTRIBUTES,
    UPDATE_CONTACT_SCHEDULE,
)
from local.connect_emulator.records import (
    EMULATOR_COMPLETE,
    ContactState,
    Counters,
    HistoryEntry,
    OperationCounters,
    TaskRecord,
)

__all__ = ["Counters", "CreateOutcome", "TaskRecord", "TaskStore"]

LATENCY_FAULT = "Latency"
Change = Callable[[TaskRecord], tuple[ContactState, tuple[str, ...]]]


@dataclass(frozen=True)
class CreateOutcome:
    contact_id: str
    duplicate: bool


@dataclass
class _Tally:
    """One operation's running totals (mutable; read under the store's lock)."""

    calls: int = 0
    succeeded: int = 0
    throttles: int = 0
    latency_seconds: float = 0.0
    rejections: Counter[str] = field(default_factory=Counter)
    rejections_by_rule: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    lost_responses: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> OperationCounters:
        return OperationCounters(
            calls=self.calls,
            succeeded=self.succeeded,
            throttles=self.throttles,
            rejections=MappingProxyType(dict(self.rejections)),
            rejections_by_rule=MappingProxyType(dict(self.rejections_by_rule)),
            injected_faults=MappingProxyType(dict(self.injected)),
            injected_latency_seconds=self.latency_seconds,
            lost_responses=MappingProxyType(dict(self.lost_responses)),
        )


class TaskStore:
    def __init__(self, *, max_linked_tasks: int) -> None:
        self._max_linked_tasks = max_linked_tasks
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._tasks: dict[str, TaskRecord] = {}
        self._contacts_by_token: dict[tuple[str, str], str] = {}
        self._chain_root: dict[str, str] = {}
        self._linked_in_chain: Counter[str] = Counter()
        self._active = 0
        self._counts: Counter[str] = Counter()
        self._tallies = {name: _Tally() for name in EMULATED_OPERATIONS}

    def reset(self) -> None:
        with self._lock:
            self._clear()

    # accounting -------------------------------------------------------------------------------------
    def record_call(self, operation: str = START_TASK_CONTACT) -> None:
        with self._lock:
            self._tallies[operation].calls += 1

    def record_rejection(self, error: EmulatorError, operation: str = START_TASK_CONTACT) -> None:
        with self._lock:
            tally = self._tallies[operation]
            tally.rejections[error.error_type] += 1
            tally.rejections_by_rule[error.rule] += 1
            if error.rule == "rate_limit":
                tally.throttles += 1
            if error.rule == "injected_error":
                tally.injected[error.error_type] += 1

    def record_latency(self, seconds: float, operation: str = START_TASK_CONTACT) -> None:
        with self._lock:
            tally = self._tallies[operation]
            tally.injected[LATENCY_FAULT] += 1
            tally.latency_seconds += seconds

    def record_lost_response(self, kind: str, operation: str = START_TASK_CONTACT) -> None:
        with self._lock:
            self._tallies[operation].lost_responses[kind] += 1

    # StartTaskContact -------------------------------------------------------------------------------
    def create(
        self,
        request: Mapping[str, Any],
        *,
        client_token: str | None,
        now: float,
        active_task_quota: int | None,
    ) -> CreateOutcome:
        """The ContactId for this request: the existing one if its ClientToken was seen on this instance
        (nothing created), else a new task. Raises ServiceQuotaExceeded when a quota is full."""
        instance_id: str = request["InstanceId"]
        token = client_token if client_token is not None else str(uuid.uuid4())
        with self._lock:
            existing = self._contacts_by_token.get((instance_id, token))
            if existing is not None:
                self._counts["duplicates"] += 1
                self._tallies[START_TASK_CONTACT].succeeded += 1
                return CreateOutcome(existing, duplicate=True)
            chain_root = self._admit_into_chain(request.get("PreviousContactId"))
            self._admit_under_active_quota(active_task_quota)
            contact_id = str(uuid.uuid4())
            created_at = datetime.fromtimestamp(now, UTC)
            self._tasks[contact_id] = TaskRecord(
                contact_id=contact_id,
                instance_id=instance_id,
                client_token=token,
                client_token_generated=client_token is None,
                request=MappingProxyType(copy.deepcopy(dict(request))),
                created_at=created_at,
                contact=ContactState.from_request(
                    request, now=created_at, inherited_attributes=self._related_attributes(request)
                ),
                history=(HistoryEntry(START_TASK_CONTACT, created_at, tuple(sorted(request))),),
            )
            self._contacts_by_token[(instance_id, token)] = contact_id
            self._chain_root[contact_id] = chain_root or contact_id
            if chain_root is not None:
                self._linked_in_chain[chain_root] += 1
            self._active += 1
            self._counts["created"] += 1
            self._tallies[START_TASK_CONTACT].succeeded += 1
            return CreateOutcome(contact_id, duplicate=False)

    def _related_attributes(self, request: Mapping[str, Any]) -> Mapping[str, str]:
        """RelatedContactId "copies contact attributes from the related task contact to the new contact"
        (when the emulator knows it: it may be a voice or chat contact)."""
        related = self._tasks.get(request.get("RelatedContactId") or "")
        if related is None or related.instance_id != request["InstanceId"]:
            return {}
        return dict(related.state.attributes)

    def _admit_into_chain(self, previous_contact_id: str | None) -> str | None:
        """The root of the chain the new task joins (None: it starts its own)."""
        if not previous_contact_id:
            return None
        root = self._chain_root.get(previous_contact_id, previous_contact_id)
        if self._linked_in_chain[root] >= self._max_linked_tasks:
            raise ServiceQuotaExceeded(
                f"PreviousContactId: the linked-task chain already holds {self._max_linked_tasks} tasks, "
                "the maximum per chain",
                rule="linked_task_chain",
            )
        return root

    def _admit_under_active_quota(self, quota: int | None) -> None:
        if quota is not None and self._active >= quota:
            raise ServiceQuotaExceeded(
                f"The active-task limit of {quota} concurrent tasks is reached; complete a task first",
                rule="active_task_quota",
            )

    # the lifecycle ----------------------------------------------------------------------------------
    def update_contact(self, request: Mapping[str, Any], *, now: float) -> TaskRecord:
        moment = datetime.fromtimestamp(now, UTC)
        return self._change(
            UPDATE_CONTACT,
            request,
            "ContactId",
            lambda task: lifecycle.updated_contact(task, request, moment),
        )

    def update_schedule(self, request: Mapping[str, Any], *, now: float) -> TaskRecord:
        moment = datetime.fromtimestamp(now, UTC)
        return self._change(
            UPDATE_CONTACT_SCHEDULE,
            request,
            "ContactId",
            lambda task: lifecycle.rescheduled(task, request["ScheduledTime"], moment),
        )

    def stop(self, request: Mapping[str, Any], *, now: float) -> TaskRecord:
        moment = datetime.fromtimestamp(now, UTC)
        return self._change(
            STOP_CONTACT, request, "ContactId", lambda task: lifecycle.stopped(task, request, moment)
        )

    def update_attributes(self, request: Mapping[str, Any], *, now: float) -> list[TaskRecord]:
        """Merge the attributes into the task's, and into every task of its linked-task chain (all or
        none: a chain member that would exceed the size limit rejects the call)."""
        moment = datetime.fromtimestamp(now, UTC)
        with self._lock:
            target = self._find(request["InstanceId"], request["InitialContactId"], "InitialContactId")
            root = self._chain_root.get(target.contact_id, target.contact_id)
            chain = [
                task
                for task in self._tasks.values()
                if task.instance_id == target.instance_id
                and self._chain_root.get(task.contact_id, task.contact_id) == root
            ]
            changes = [
                (task, lifecycle.updated_attributes(task, request["Attributes"], moment)) for task in chain
            ]
            updated = []
            for task, (state, written) in changes:
                via = None if task.contact_id == target.contact_id else target.contact_id
                entry = HistoryEntry(UPDATE_CONTACT_ATTRIBUTES, moment, written, via_contact_id=via)
                updated.append(self._write(task, state, entry))
            self._tallies[UPDATE_CONTACT_ATTRIBUTES].succeeded += 1
            return updated

    def describe(self, instance_id: str, contact_id: str) -> TaskRecord:
        with self._lock:
            task = self._find(instance_id, contact_id, "ContactId")
            self._tallies[DESCRIBE_CONTACT].succeeded += 1
            return task

    def complete(self, contact_id: str, *, now: float) -> TaskRecord:
        """Mark a task completed as an agent would, freeing its active-task quota slot (completing an
        ended task is a no-op)."""
        moment = datetime.fromtimestamp(now, UTC)
        with self._lock:
            task = self._tasks.get(contact_id)
            if task is None:
                raise UnknownContact(contact_id)
            if task.active:
                state = replace(
                    task.state,
                    disconnect_reason="AGENT_DISCONNECT",
                    ended_by=EMULATOR_COMPLETE,
                    last_updated_at=moment,
                )
                entry = HistoryEntry(EMULATOR_COMPLETE, moment, ("State", "DisconnectReason"))
                task = self._write(task, state, entry, ends=True)
            return task

    def _change(
        self, operation: str, request: Mapping[str, Any], id_member: str, change: Change
    ) -> TaskRecord:
        with self._lock:
            task = self._find(request["InstanceId"], request[id_member], id_member)
            state, written = change(task)
            ends = operation == STOP_CONTACT
            updated = self._write(
                task, state, HistoryEntry(operation, state.last_updated_at, written), ends=ends
            )
            self._tallies[operation].succeeded += 1
            return updated

    def _find(self, instance_id: str, contact_id: str, id_member: str) -> TaskRecord:
        task = self._tasks.get(contact_id)
        if task is None or task.instance_id != instance_id:
            raise ResourceNotFound(
                f"{id_member} {contact_id} does not exist in instance {instance_id}", rule="contact_not_found"
            )
        return task

    def _write(
        self, task: TaskRecord, state: ContactState, entry: HistoryEntry, *, ends: bool = False
    ) -> TaskRecord:
        ended_now = ends and task.active
        updated = replace(
            task,
            contact=state,
            history=(*task.history, entry),
            completed_at=entry.time if ended_now else task.completed_at,
        )
        self._tasks[task.contact_id] = updated
        if ended_now:
            self._active -= 1
            self._counts["completed"] += 1
        return updated

    # inspection -------------------------------------------------------------------------------------
    def tasks(self) -> list[TaskRecord]:
        with self._lock:
            return list(self._tasks.values())

    def task(self, contact_id: str) -> TaskRecord:
        with self._lock:
            task = self._tasks.get(contact_id)
            if task is None:
                raise UnknownContact(contact_id)
            return task

    def counters(self) -> Counters:
        with self._lock:
            start = self._tallies[START_TASK_CONTACT].snapshot()
            return Counters(
                calls=start.calls,
                created=self._counts["created"],
                duplicates=self._counts["duplicates"],
                throttles=start.throttles,
                completed=self._counts["completed"],
                active=self._active,
                rejections=start.rejections,
                rejections_by_rule=start.rejections_by_rule,
                injected_faults=start.injected_faults,
                injected_latency_seconds=start.injected_latency_seconds,
                lost_responses=start.lost_responses,
                operations=MappingProxyType(
                    {name: tally.snapshot() for name, tally in self._tallies.items()}
                ),
            )
