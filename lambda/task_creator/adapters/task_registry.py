"""The task registry: one durable record per task key, in the ledger's DynamoDB table.

A record holds the task's ContactId, the rule that created it, its state (``open`` or ``completed``) and
the time and id of the last event applied to it. It shares the idempotency ledger's table (partition key
``id``, TTL attribute ``expiration``) under its own key prefix (``<namespace>#task#<sha256 of the key>``),
so one deployment keeps one table, and the key itself (which may be built from task data) is never
stored. Every write is conditional, so concurrent invocations cannot undo each other:

- ``claim_event`` moves "last event applied" forward only, and only for an open task: an event older
  than the last one applied (or the same event again) claims nothing and is skipped by the caller;
- ``release_event`` gives a claim back when the Connect call it was for failed, so the retry can claim it;
- ``register_created`` records a new task, unless the key is completed already (its complete arrived
  first): the caller then stops the task at once and records it with ``record_stopped``, so a completed
  key's ContactId is always a task that was stopped (another delivery of its create stops nothing);
- ``mark_completed`` records the completion, also for a key with no task yet;
- ``acquire`` / ``release`` lease the key to one event at a time, held across the Connect calls, so two
  events for one task never interleave (a complete while an update is half applied, an older update's
  calls landing after a newer one's). A lease left by a crashed invocation expires by itself.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from task_creator.errors import LedgerUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# "stopping": a complete's StopContact was sent and its outcome is not known yet (its answer may have been
# lost after the task stopped); no update may reach the task until the complete is retried and settles.
TaskState = Literal["open", "stopping", "completed"]
_CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class RegisteredTask:
    contact_id: str | None  # None: a completion was recorded before any task existed
    rule: str | None
    state: TaskState
    last_event_time: str | None
    last_event_id: str | None
    last_delivery_id: str | None = None  # the message whose attempt applied the last event
    completed_by: str | None = None  # the message whose attempt completed the task

    @property
    def completed(self) -> bool:
        return self.state == "completed"


@dataclass(frozen=True)
class EventStamp:
    """An event's place in a task's history: its time (ISO-8601 UTC, comparable as text) and id."""

    time: str
    event_id: str
    delivery_id: str = ""  # the message (or direct invocation) this attempt came from

    @classmethod
    def of(cls, moment: datetime, event_id: str, delivery_id: str = "") -> EventStamp:
        return cls(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), event_id, delivery_id)


class TaskRegistry:
    def __init__(
        self, table_name: str, *, dynamodb_client: DynamoDBClient, key_prefix: str, expiry: timedelta
    ) -> None:
        self._client = dynamodb_client
        self._table = table_name
        self._prefix = f"{key_prefix}#task#"
        self._expiry = expiry

    def key_hash(self, task_key: str) -> str:
        """What logs and the table carry instead of the key itself."""
        return hashlib.sha256(task_key.encode("utf-8")).hexdigest()

    def get(self, task_key: str) -> RegisteredTask | None:
        item = self._call(
            "get_item", TableName=self._table, Key=self._key(task_key), ConsistentRead=True
        ).get("Item")
        return None if item is None or "state" not in item else _task(item)  # a lease alone: no task

    def acquire(self, task_key: str, owner: str, *, seconds: float) -> bool:
        """Lease the key to ``owner`` for ``seconds``; False while another owner holds it."""
        now = time.time()
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="SET lease_owner = :owner, lease_until = :until, expiration = :exp",
                ConditionExpression="attribute_not_exists(lease_until) OR lease_until < :now"
                " OR lease_owner = :owner",
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": f"{now + seconds:.3f}"},
                    ":now": {"N": f"{now:.3f}"},
                    ":exp": {"N": str(self._expires_at())},
                },
            )
        except _ConditionFailed:
            return False
        return True

    def release(self, task_key: str, owner: str) -> None:
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except _ConditionFailed:
            return

    def register_created(
        self, task_key: str, *, contact_id: str, rule: str, stamp: EventStamp
    ) -> RegisteredTask:
        """Record the new task; return the registry's record instead when the key has one: completed if
        the key was completed first (with no ContactId until the caller has stopped its task and called
        ``record_stopped``), or the first task's if another create registered the key before."""
        try:
            self._call(  # an update, not a put: the key's lease (held by the caller) stays
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="SET contact_id = :contact, #rule = :rule, #state = :open,"
                " last_event_time = :time, last_event_id = :id, expiration = :exp",
                ConditionExpression="attribute_not_exists(#state)",
                ExpressionAttributeNames={"#state": "state", "#rule": "rule"},
                ExpressionAttributeValues={
                    ":contact": {"S": contact_id},
                    ":rule": {"S": rule},
                    ":open": {"S": "open"},
                    ":time": {"S": stamp.time},
                    ":id": {"S": stamp.event_id},
                    ":exp": {"N": str(self._expires_at())},
                },
            )
        except _ConditionFailed:
            existing = self.get(task_key)
            if existing is not None:
                return existing
            return self.register_created(task_key, contact_id=contact_id, rule=rule, stamp=stamp)
        return RegisteredTask(contact_id, rule, "open", stamp.time, stamp.event_id)

    def record_stopped(self, task_key: str, *, contact_id: str, rule: str) -> None:
        """The task of a key completed before it existed has been stopped: it becomes the key's task (unless
        another stopped task became it first)."""
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="SET contact_id = :contact, #rule = :rule",
                ConditionExpression="#state = :completed AND attribute_not_exists(contact_id)",
                ExpressionAttributeNames={"#rule": "rule", "#state": "state"},
                ExpressionAttributeValues={
                    ":contact": {"S": contact_id},
                    ":rule": {"S": rule},
                    ":completed": {"S": "completed"},
                },
            )
        except _ConditionFailed:
            return

    def claim_event(self, task_key: str, stamp: EventStamp) -> bool:
        """Make ``stamp`` the last event applied to the open task; False when it is not newer than the
        last one (stale or the same event again) or the task is completed or unknown."""
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="SET last_event_time = :time, last_event_id = :id,"
                " last_delivery_id = :delivery, expiration = :exp",
                ConditionExpression="#state = :open AND (attribute_not_exists(last_event_time) "
                "OR last_event_time < :time)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":time": {"S": stamp.time},
                    ":id": {"S": stamp.event_id},
                    ":delivery": {"S": stamp.delivery_id},
                    ":open": {"S": "open"},
                    ":exp": {"N": str(self._expires_at())},
                },
            )
        except _ConditionFailed:
            return False
        return True

    def release_event(self, task_key: str, stamp: EventStamp, previous: RegisteredTask) -> None:
        """Undo ``claim_event(stamp)`` (its Connect call failed), if nothing newer claimed since."""
        values: dict[str, Any] = {":time": {"S": stamp.time}, ":id": {"S": stamp.event_id}}
        if previous.last_event_time is None:
            update = "REMOVE last_event_time, last_event_id"
        else:
            update = "SET last_event_time = :previous_time, last_event_id = :previous_id"
            values[":previous_time"] = {"S": previous.last_event_time}
            values[":previous_id"] = {"S": previous.last_event_id or ""}
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression=update,
                ConditionExpression="last_event_time = :time AND last_event_id = :id",
                ExpressionAttributeValues=values,
            )
        except _ConditionFailed:
            return

    def mark_stopping(self, task_key: str) -> None:
        """The open task's StopContact is about to be sent: from now on, until ``mark_completed`` (or
        ``reopen``), follow-ups must wait."""
        self._set_state(task_key, "stopping", only_from="open")

    def reopen(self, task_key: str) -> None:
        """The StopContact was refused for good: the task stays open."""
        self._set_state(task_key, "open", only_from="stopping")

    def _set_state(self, task_key: str, state: TaskState, *, only_from: TaskState) -> None:
        try:
            self._call(
                "update_item",
                TableName=self._table,
                Key=self._key(task_key),
                UpdateExpression="SET #state = :state",
                ConditionExpression="#state = :from",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":state": {"S": state}, ":from": {"S": only_from}},
            )
        except _ConditionFailed:
            return  # already past that state: nothing to change

    def mark_completed(self, task_key: str, stamp: EventStamp) -> None:
        """The key's task is completed (recorded even before the task exists: its create then stops it)."""
        self._call(
            "update_item",
            TableName=self._table,
            Key=self._key(task_key),
            UpdateExpression="SET #state = :completed, completed_at = :time, completed_by = :delivery,"
            " expiration = :exp",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":completed": {"S": "completed"},
                ":time": {"S": stamp.time},
                ":delivery": {"S": stamp.delivery_id},
                ":exp": {"N": str(self._expires_at())},
            },
        )

    def _key(self, task_key: str) -> dict[str, Any]:
        return {"id": {"S": self._prefix + self.key_hash(task_key)}}

    def _expires_at(self) -> int:
        return int(time.time() + self._expiry.total_seconds())

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
                raise _ConditionFailed from None
            raise LedgerUnavailable(f"task registry unavailable: {_code(error)}") from None
        except BotoCoreError as error:
            raise LedgerUnavailable(f"task registry unavailable: {type(error).__name__}") from None
        return response


class _ConditionFailed(Exception):
    """A conditional write found the record in another state: the caller decides what that means."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or type(error).__name__)


def _task(item: dict[str, Any]) -> RegisteredTask:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value is not None else None

    recorded = text("state")
    state: TaskState = (
        "completed" if recorded == "completed" else "stopping" if recorded == "stopping" else "open"
    )
    return RegisteredTask(
        contact_id=text("contact_id"),
        rule=text("rule"),
        state=state,
        last_event_time=text("last_event_time"),
        last_event_id=text("last_event_id"),
        last_delivery_id=text("last_delivery_id"),
        completed_by=text("completed_by"),
    )
