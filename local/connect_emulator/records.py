"""What inspection returns: frozen snapshots of tasks (request, current state, history) and counters.

The JSON forms are the `/_emulator/tasks` and `/_emulator/counters` documents. They may show task
content (names, attributes, references): the emulator is a local test tool, not a production log.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEDULED, ACTIVE, STOPPED, COMPLETED = "SCHEDULED", "ACTIVE", "STOPPED", "COMPLETED"
EMULATOR_COMPLETE = "EmulatorComplete"  # the admin route that ends a task as an agent would


@dataclass(frozen=True)
class HistoryEntry:
    """One operation that changed a task: which, when, and the fields it wrote (their values are in
    the task's current state). `via_contact_id` names the task the call was made on, when the change
    reached this one through their linked-task chain (UpdateContactAttributes)."""

    operation: str
    time: datetime
    fields: tuple[str, ...]
    via_contact_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "Operation": self.operation,
            "Time": self.time.isoformat(),
            "Fields": list(self.fields),
            "ViaContactId": self.via_contact_id,
        }


@dataclass(frozen=True)
class ContactState:
    """A task's current content, as the lifecycle operations left it."""

    name: str
    description: str | None
    attributes: Mapping[str, str]
    references: Mapping[str, Mapping[str, str]]
    segment_attributes: Mapping[str, Any]
    scheduled_time: datetime | None
    last_updated_at: datetime
    disconnect_reason: str | None = None
    ended_by: str | None = None  # StopContact, or EMULATOR_COMPLETE

    @classmethod
    def from_request(
        cls, request: Mapping[str, Any], *, now: datetime, inherited_attributes: Mapping[str, str]
    ) -> ContactState:
        scheduled = request.get("ScheduledTime")
        return cls(
            name=request["Name"],
            description=request.get("Description"),
            attributes={**inherited_attributes, **request.get("Attributes", {})},
            references=copy.deepcopy(dict(request.get("References", {}))),
            segment_attributes=copy.deepcopy(dict(request.get("SegmentAttributes", {}))),
            scheduled_time=None if scheduled is None else datetime.fromtimestamp(scheduled, UTC),
            last_updated_at=now,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Description": self.description,
            "Attributes": dict(self.attributes),
            "References": copy.deepcopy(dict(self.references)),
            "SegmentAttributes": copy.deepcopy(dict(self.segment_attributes)),
            "ScheduledTime": None if self.scheduled_time is None else self.scheduled_time.isoformat(),
            "LastUpdateTime": self.last_updated_at.isoformat(),
            "DisconnectReason": self.disconnect_reason,
        }


@dataclass(frozen=True)
class TaskRecord:
    """One created task: the request exactly as received, its current state, and every operation that
    changed it, oldest first (the first is its StartTaskContact)."""

    contact_id: str
    instance_id: str
    client_token: str
    client_token_generated: bool
    request: Mapping[str, Any]
    created_at: datetime
    completed_at: datetime | None = None  # when it ended: StopContact or the emulator's complete route
    contact: ContactState | None = None  # None only for records built by hand: read `state`
    history: tuple[HistoryEntry, ...] = ()

    @property
    def active(self) -> bool:
        return self.completed_at is None

    @property
    def state(self) -> ContactState:
        if self.contact is not None:
            return self.contact
        return ContactState.from_request(self.request, now=self.created_at, inherited_attributes={})

    def status_at(self, now: datetime) -> str:
        """SCHEDULED (its flow has not started yet), ACTIVE, STOPPED (StopContact) or COMPLETED."""
        state = self.state
        if self.completed_at is not None:
            return STOPPED if state.ended_by == "StopContact" else COMPLETED
        if state.scheduled_time is not None and state.scheduled_time > now:
            return SCHEDULED
        return ACTIVE

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        """`now` (default: the wall clock) decides whether a scheduled task has started."""
        current = self.state.to_json()
        current["State"] = self.status_at(now or datetime.now(UTC))
        current["DisconnectTime"] = None if self.completed_at is None else self.completed_at.isoformat()
        return {
            "ContactId": self.contact_id,
            "InstanceId": self.instance_id,
            "ClientToken": self.client_token,
            "ClientTokenGenerated": self.client_token_generated,
            "Status": "ACTIVE" if self.active else "COMPLETED",
            "CreatedTime": self.created_at.isoformat(),
            "CompletedTime": None if self.completed_at is None else self.completed_at.isoformat(),
            "Request": copy.deepcopy(dict(self.request)),
            "Contact": current,
            "History": [entry.to_json() for entry in self.history],
        }


@dataclass(frozen=True)
class OperationCounters:
    """One operation's totals: every call ends as succeeded or one rejection, so
    `calls == succeeded + sum(rejections.values())`. For StartTaskContact `succeeded` is created plus
    duplicates; a call whose answer was lost took effect and is in `succeeded` (and `lost_responses`)."""

    calls: int = 0
    succeeded: int = 0
    throttles: int = 0
    rejections: Mapping[str, int] = field(default_factory=dict)
    rejections_by_rule: Mapping[str, int] = field(default_factory=dict)
    injected_faults: Mapping[str, int] = field(default_factory=dict)
    injected_latency_seconds: float = 0.0
    lost_responses: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "succeeded": self.succeeded,
            "throttles": self.throttles,
            "rejections": dict(self.rejections),
            "rejections_by_rule": dict(self.rejections_by_rule),
            "injected_faults": dict(self.injected_faults),
            "injected_latency_seconds": self.injected_latency_seconds,
            "lost_responses": dict(self.lost_responses),
        }


@dataclass(frozen=True)
class Counters:
    """Totals since the last reset. The top-level call figures are StartTaskContact's, as they were
    before the emulator had other operations: every such call ends as created, duplicate or one
    rejection, so `calls == created + duplicates + sum(rejections.values())`. `throttles` counts calls
    refused by the rate quota (injected ThrottlingExceptions are in `injected_faults`); `injected_faults`
    counts injected errors by type and delayed calls under "Latency"; `lost_responses` counts, by kind,
    the created tasks whose answer was lost (they are in `created` too: the task exists). `completed`
    and `active` count tasks however they ended (StopContact or the complete route). `operations` has
    the same figures for every emulated operation, StartTaskContact included."""

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
    operations: Mapping[str, OperationCounters] = field(default_factory=dict)

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
            "operations": {name: counters.to_json() for name, counters in self.operations.items()},
        }
