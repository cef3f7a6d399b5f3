"""The function's outcome events, as a queue subscribed to them receives them.

With outcome events on, the function publishes one EventBridge event per outcome (``source`` = the
deployment's outcome source, ``detail-type`` ``Task Created``, ``Task Duplicate Skipped``, ...,
``detail`` identifiers only: ``docs/outcome-events.md`` and its JSON Schema). The stack publishes them and
leaves subscribing to consumers; the offline runtime subscribes a queue to them (``local.topology``:
a bus rule on the outcome source delivering to ``<stack>-outcomes``) so that the demo and
``python -m local outcomes`` can show them. Such a queue holds whole EventBridge events as message
bodies; this module reads them, leaving them in the queue.

Delivery is at least once: a consumer deduplicates on (detail.eventId, detail.rule, detail.action), and
the outcomes of a replay, whose events have new ids, on (detail.clientToken, detail.action).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local.redrive import inspect_queue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TASK_CREATED = "Task Created"
TASK_DUPLICATE_SKIPPED = "Task Duplicate Skipped"
TASK_UPDATED = "Task Updated"
TASK_RESCHEDULED = "Task Rescheduled"
TASK_COMPLETED = "Task Completed"
TASK_DEAD_LETTERED = "Task Dead-Lettered"
DETAIL_TYPES = (
    TASK_CREATED,
    TASK_DUPLICATE_SKIPPED,
    TASK_UPDATED,
    TASK_RESCHEDULED,
    TASK_COMPLETED,
    TASK_DEAD_LETTERED,
)
# The outcomes that changed something in Connect (or recorded a completion): another delivery of the same
# event (a re-publish, a redrive, a replay) must announce none of them, only Task Duplicate Skipped.
APPLIED_DETAIL_TYPES = frozenset({TASK_CREATED, TASK_UPDATED, TASK_RESCHEDULED, TASK_COMPLETED})


@dataclass(frozen=True)
class OutcomeEvent:
    """One outcome event: its envelope's id, source and detail-type, and the identifiers of its detail."""

    id: str  # the outcome event's own id (EventBridge's)
    source: str
    detail_type: str
    detail: Mapping[str, Any]

    def field(self, name: str) -> str | None:
        value = self.detail.get(name)
        return None if value is None or value == "" else str(value)

    @property
    def event_id(self) -> str | None:
        """The upstream event's identity, as the function saw it."""
        return self.field("eventId")

    @property
    def rule(self) -> str | None:
        return self.field("rule")

    @property
    def action(self) -> str | None:
        return self.field("action")

    @property
    def contact_id(self) -> str | None:
        return self.field("contactId")

    @property
    def error_type(self) -> str | None:
        return self.field("errorType")

    @property
    def replay_name(self) -> str | None:
        return self.field("replayName")

    def row(self) -> tuple[str, str, str, str]:
        """(detail-type, rule, eventId, contactId or errorType): one line of a listing."""
        outcome = self.contact_id or self.error_type or "-"
        replayed = f" (replay {self.replay_name})" if self.replay_name else ""
        return (self.detail_type, self.rule or "-", self.event_id or "-", outcome + replayed)


def outcome_event(body: str) -> OutcomeEvent | None:
    """The outcome event a message body holds (an EventBridge event); None for anything else."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("detail"), dict):
        return None
    return OutcomeEvent(
        id=str(document.get("id", "")),
        source=str(document.get("source", "")),
        detail_type=str(document.get("detail-type", "")),
        detail=document["detail"],
    )


def read_outcome_events(sqs: SQSClient, queue_url: str, *, limit: int = 1000) -> list[OutcomeEvent]:
    """The outcome events in the queue (up to ``limit``), left in place; other messages are skipped."""
    return [
        event
        for message in inspect_queue(sqs, queue_url, limit=limit)
        if (event := outcome_event(message.body)) is not None
    ]


def count_by_detail_type(events: Iterable[OutcomeEvent]) -> list[tuple[str, int]]:
    """(detail-type, count), in the order of ``DETAIL_TYPES``, then any other detail-type by name."""
    counts = Counter(event.detail_type for event in events)
    order = {detail_type: index for index, detail_type in enumerate(DETAIL_TYPES)}
    return sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


OUTCOME_HEADERS = ("DETAIL-TYPE", "RULE", "EVENT ID", "CONTACT ID / ERROR TYPE")


def outcome_lines(events: Sequence[OutcomeEvent], *, indent: str = "") -> list[str]:
    """A table: a header, then one line per event (detail-type, rule, eventId, contactId or errorType)."""
    rows = [OUTCOME_HEADERS, *(event.row() for event in events)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(OUTCOME_HEADERS) - 1)]
    return [
        indent + "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
