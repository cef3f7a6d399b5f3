"""What the creator takes and gives: how a record arrived, and what became of its event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from task_creator.lifecycle import LifecycleCalls
from task_creator.mapping.render import TaskDefaults

if TYPE_CHECKING:
    from task_creator.outcome_events import OutcomeEvent


class TaskStarter(Protocol):
    def start_task(self, request: Mapping[str, Any]) -> str: ...


class ConnectCalls(TaskStarter, LifecycleCalls, Protocol):
    """Everything the function asks of Amazon Connect (adapters.connect.ConnectTasks in production)."""


# A deferred record is sent back to its queue as a new message (so the deferral costs no receive); these
# message attributes carry what the new message must keep of the old one.
PRIOR_ATTEMPTS_ATTRIBUTE = "TaskCreatorAttempts"  # receives of earlier messages that were attempts
DELIVERY_ID_ATTRIBUTE = "TaskCreatorDeliveryId"  # the first message's id: whose work the ledger holds


@dataclass(frozen=True)
class Delivery:
    """How a record arrived: what the DLQ keeps and what a retry needs. ``prior_attempts``: attempts
    made under earlier messages of a deferred record; ``original_id``: the first message's id."""

    body: str
    message_id: str
    source_arn: str
    message_attributes: Mapping[str, Any] = field(default_factory=dict)
    receipt_handle: str | None = None
    receive_count: int = 1
    message_group_id: str | None = None
    prior_attempts: int = 0
    original_id: str | None = None

    @property
    def attempt_number(self) -> int:
        """Which attempt this receive is: deferrals, which are not attempts, are not counted."""
        return self.prior_attempts + self.receive_count

    @property
    def delivery_id(self) -> str:
        """Who the ledger says did a task: the first message of the record, across deferrals."""
        return self.original_id or self.message_id

    @property
    def fifo(self) -> bool:
        """From a FIFO queue: only a ``.fifo`` ARN says so (fair queues set MessageGroupId too)."""
        return self.source_arn.endswith(".fifo")

    @property
    def deferrable(self) -> bool:
        """A standard queue's record can be sent back with a delay; a FIFO one would lose its place."""
        return bool(self.receipt_handle) and not self.fifo


@dataclass(frozen=True)
class CreatedTask:
    """One rule's outcome: the task it created (or found), or what its follow-up did to the key's task
    (``action`` update/reschedule/complete, ``applied`` e.g. "updated", "stale-skipped").

    ``repeated``: an earlier attempt of the same message did this already (found in the ledger or the
    registry as its own), so its outcome is announced again as what that attempt did."""

    rule: str
    client_token: str
    contact_id: str
    duplicate: bool
    action: str = "create"
    applied: str = "created"
    repeated: bool = False
    instance_id: str | None = None
    task_key_hash: str | None = None


@dataclass(frozen=True)
class EventReport:
    """What became of one event: the tasks it has, and whether it was dead-lettered or ignored.
    ``outcomes``: the outcome events of a done record, for the caller to publish; ``deferred_seconds``:
    the record was not attempted (no call slot, throttled, out of time) and is to be deferred."""

    event_id: str
    tasks: tuple[CreatedTask, ...] = ()
    dead_letter_reason: str | None = None
    ignored: bool = False
    outcomes: tuple[OutcomeEvent, ...] = ()
    deferred_seconds: float | None = None  # to be sent back to its queue with this delay

    def as_dict(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "tasks": [
                {
                    "rule": t.rule,
                    "contactId": t.contact_id,
                    "clientToken": t.client_token,
                    "duplicate": t.duplicate,
                    "action": t.action,
                    "applied": t.applied,
                }
                for t in self.tasks
            ],
            "deadLettered": self.dead_letter_reason,
            "ignored": self.ignored,
        }


@dataclass(frozen=True)
class PlanningSettings:
    defaults: TaskDefaults
    token_namespace: str
    schedule_window: timedelta
