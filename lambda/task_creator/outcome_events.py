"""Outcome events: what became of each upstream event, as EventBridge events. Pure: values in, values out.

One event per outcome: per rule, what it did to its task (``Task Created``, ``Task Duplicate Skipped``,
``Task Updated``, ``Task Rescheduled``, ``Task Completed``), and per dead-lettered record one
``Task Dead-Lettered`` with its ``ErrorType`` and cleaned ``ErrorMessage``. The detail carries identifiers
only (schema version ``OUTCOME_SCHEMA_VERSION``, ``docs/outcome-events.schema.json``), never task content.
Delivery is at least once: consumers deduplicate on (``eventId``, ``rule``, ``action``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from task_creator.records import CreatedTask

OUTCOME_SCHEMA_VERSION = "1"
# An ErrorMessage lists every reason; a handful of rules' worth is enough for a consumer to act on (the
# DLQ message keeps them all).
ERROR_MESSAGE_MAX_CHARS = 2_000
DEAD_LETTER_ACTION = "dead-letter"


class DetailType(Enum):
    CREATED = "Task Created"
    DUPLICATE_SKIPPED = "Task Duplicate Skipped"
    UPDATED = "Task Updated"
    RESCHEDULED = "Task Rescheduled"
    COMPLETED = "Task Completed"
    DEAD_LETTERED = "Task Dead-Lettered"


# A rule outcome's ``applied`` value (rule_runner.RESULTS' keys) -> the detail-type announcing it.
_ANNOUNCED_AS: Mapping[str, DetailType] = {
    "created": DetailType.CREATED,
    "duplicate": DetailType.DUPLICATE_SKIPPED,
    "late-create-stopped": DetailType.COMPLETED,
    "updated": DetailType.UPDATED,
    "rescheduled": DetailType.RESCHEDULED,
    "completed": DetailType.COMPLETED,
    "completion-recorded": DetailType.COMPLETED,
    "stale-skipped": DetailType.DUPLICATE_SKIPPED,
    "completed-skipped": DetailType.DUPLICATE_SKIPPED,
}


@dataclass(frozen=True)
class EventRef:
    """The upstream event an outcome is about: its id, and its source and detail-type when it could be
    read (a malformed record has neither; its id is the message's)."""

    event_id: str
    source: str | None = None
    detail_type: str | None = None
    replay_name: str | None = None


@dataclass(frozen=True)
class OutcomeEvent:
    detail_type: DetailType
    detail: Mapping[str, Any] = field(default_factory=dict)

    def entry(self, *, source: str, event_bus: str) -> dict[str, Any]:
        """The PutEvents request entry."""
        return {
            "Source": source,
            "DetailType": self.detail_type.value,
            "Detail": json.dumps(self.detail, separators=(",", ":"), ensure_ascii=False),
            "EventBusName": event_bus,
        }


def task_outcome(event: EventRef, task: CreatedTask) -> OutcomeEvent:
    """What one rule did for ``event``. A repeat (an earlier attempt of the same message did it, and may
    not have announced it) is announced as what was done; a duplicate from another delivery as skipped."""
    applied = task.applied
    if task.duplicate and not task.repeated and applied == "created":
        applied = "duplicate"
    detail = {
        **_event_fields(event),
        "rule": task.rule,
        "action": task.action,
        "applied": applied,
        "contactId": task.contact_id or None,
        "clientToken": task.client_token,
        "instanceId": task.instance_id,
        "taskKeyHash": task.task_key_hash,
    }
    return OutcomeEvent(_ANNOUNCED_AS[applied], _without_nulls(detail))


def dead_letter_outcome(event: EventRef, *, rules: str, error_type: str, error_message: str) -> OutcomeEvent:
    """The record was dead-lettered: ``rules`` is the failed rules, comma-separated ("" for a record that
    failed as a whole: unreadable, unmatched); ``error_message`` is already cleaned of quoted values."""
    detail = {
        **_event_fields(event),
        "rule": rules or None,
        "action": DEAD_LETTER_ACTION,
        "applied": "dead-lettered",
        "errorType": error_type,
        "errorMessage": _shortened(error_message),
    }
    return OutcomeEvent(DetailType.DEAD_LETTERED, _without_nulls(detail))


def _event_fields(event: EventRef) -> dict[str, Any]:
    return {
        "version": OUTCOME_SCHEMA_VERSION,
        "eventId": event.event_id,
        "eventSource": event.source,
        "eventDetailType": event.detail_type,
        "replayName": event.replay_name or None,
    }


def _shortened(text: str) -> str:
    if len(text) <= ERROR_MESSAGE_MAX_CHARS:
        return text
    return text[: ERROR_MESSAGE_MAX_CHARS - 1] + "…"


def _without_nulls(detail: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in detail.items() if value is not None}
