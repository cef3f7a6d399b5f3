"""What the emulated Connect instance remembers: tasks, client tokens, linked chains and counters.

One lock guards everything, so "is this token known, is there quota, create" is atomic under the ~10
concurrent clients the pipeline and benchmarks use. Inspection returns frozen snapshots.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from local.connect_emulator.errors import EmulatorError, ServiceQuotaExceeded, UnknownContact

LATENCY_FAULT = "Latency"


@dataclass(frozen=True)
class TaskRecord:
    """One created task: the request exactly as received, and what the emulator made of it."""

    contact_id: str
    instance_id: str
    client_token: str
    client_token_generated: bool
    request: Mapping[str, Any]
    created_at: datetime
    completed_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.completed_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ContactId": self.contact_id,
            "InstanceId": self.instance_id,
            "ClientToken": self.client_token,
            "ClientTokenGenerated": self.client_token_generated,
            "Status": "ACTIVE" if self.active else "COMPLETED",
            "CreatedTime": self.created_at.isoformat(),
            "CompletedTime": None if self.completed_at is None else self.completed_at.isoformat(),
            "Request": copy.deepcopy(dict(self.request)),
        }


@dataclass(frozen=True)
class Counters:
    """Totals since the last reset. Every call ends as created, duplicate or one rejection, so
    `calls == created + duplicates + sum(rejections.values())`. `throttles` counts calls refused by the
    rate quota (injected ThrottlingExceptions are in `injected_faults`); `injected_faults` counts
    injected errors by type and delayed calls under "Latency"; `lost_responses` counts, by kind, the
    created tasks whose answer was lost (they are in `created` too: the task exists)."""

    calls: int = 0
    created: int = 0
    duplicates: int = 0
    throttles: int = 0
    completed: int = 0
    active: int = 0
    rejections: Mapping[str, int] = field(default_factory=dict)
    rejections_by_rule: Mapping[str, int] = field(default_factory=dict)
    injected_faults: Mapping[str, int] = field(default_factory=dict)
    injected_latency_seconds: float = 0.0
    lost_responses: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "created": self.created,
            "duplicates": self.duplicates,
            "throttles": self.throttles,
            "completed": self.completed,
            "active": self.active,
            "rejections": dict(self.rejections),
            "rejections_by_rule": dict(self.rejections_by_rule),
            "injected_faults": dict(self.injected_faults),
            "injected_latency_seconds": self.injected_latency_seconds,
            "lost_responses": dict(self.lost_responses),
        }


@dataclass(frozen=True)
class CreateOutcome:
    contact_id: str
    duplicate: bool


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
        self._rejections: Counter[str] = Counter()
        self._rejections_by_rule: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._injected_latency = 0.0
        self._lost_responses: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._clear()

    def record_call(self) -> None:
        with self._lock:
            self._counts["calls"] += 1

    def record_rejection(self, error: EmulatorError) -> None:
        with self._lock:
            self._rejections[error.error_type] += 1
            self._rejections_by_rule[error.rule] += 1
            if error.rule == "rate_limit":
                self._counts["throttles"] += 1
            if error.rule == "injected_error":
                self._injected[error.error_type] += 1

    def record_latency(self, seconds: float) -> None:
        with self._lock:
            self._injected[LATENCY_FAULT] += 1
            self._injected_latency += seconds

    def record_lost_response(self, kind: str) -> None:
        with self._lock:
            self._lost_responses[kind] += 1

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
                return CreateOutcome(existing, duplicate=True)
            chain_root = self._admit_into_chain(request.get("PreviousContactId"))
            self._admit_under_active_quota(active_task_quota)
            contact_id = str(uuid.uuid4())
            self._tasks[contact_id] = TaskRecord(
                contact_id=contact_id,
                instance_id=instance_id,
                client_token=token,
                client_token_generated=client_token is None,
                request=MappingProxyType(copy.deepcopy(dict(request))),
                created_at=datetime.fromtimestamp(now, UTC),
            )
            self._contacts_by_token[(instance_id, token)] = contact_id
            self._chain_root[contact_id] = chain_root or contact_id
            if chain_root is not None:
                self._linked_in_chain[chain_root] += 1
            self._active += 1
            self._counts["created"] += 1
            return CreateOutcome(contact_id, duplicate=False)

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

    def complete(self, contact_id: str, *, now: float) -> TaskRecord:
        """Mark a task completed, freeing its active-task quota slot (completing twice is a no-op)."""
        with self._lock:
            task = self._tasks.get(contact_id)
            if task is None:
                raise UnknownContact(contact_id)
            if task.active:
                task = replace(task, completed_at=datetime.fromtimestamp(now, UTC))
                self._tasks[contact_id] = task
                self._active -= 1
                self._counts["completed"] += 1
            return task

    def tasks(self) -> list[TaskRecord]:
        with self._lock:
            return list(self._tasks.values())

    def counters(self) -> Counters:
        with self._lock:
            return Counters(
                calls=self._counts["calls"],
                created=self._counts["created"],
                duplicates=self._counts["duplicates"],
                throttles=self._counts["throttles"],
                completed=self._counts["completed"],
                active=self._active,
                rejections=MappingProxyType(dict(self._rejections)),
                rejections_by_rule=MappingProxyType(dict(self._rejections_by_rule)),
                injected_faults=MappingProxyType(dict(self._injected)),
                injected_latency_seconds=self._injected_latency,
                lost_responses=MappingProxyType(dict(self._lost_responses)),
            )
