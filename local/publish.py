"""The samples in ``events/``, published the way each would really arrive.

A sample is a Lambda invocation as AWS delivers it; offline, its content has to enter the pipeline at
the start, not at the handler:
- an EventBridge event (a direct invocation, or the body of an SQS record that is an EventBridge
  envelope) is published with ``PutEvents`` on the deployment's bus, and reaches the ingest queue only if
  the bus rule forwards it (EventBridge gives it a new event id, as it would in production);
- a raw payload or an SNS notification is sent with ``SendMessage`` to the ingest queue, body unchanged,
  with its message attributes;
- a record of a FIFO batch is sent to the FIFO ingest queue with its message group and deduplication id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from task_creator.adapters.dead_letters import send_message_attributes
from task_creator.errors import MalformedEvent
from task_creator.mapping.envelope import (
    InvocationKind,
    invocation_kind,
    looks_like_envelope,
    looks_like_sns_notification,
)
from task_creator.mapping.patterns import EventPattern

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient


class Route(Enum):
    """How a message enters the pipeline."""

    BUS = "PutEvents"
    QUEUE = "SendMessage"
    FIFO_QUEUE = "SendMessage (FIFO)"


@dataclass(frozen=True)
class SampleMessage:
    """One message of a sample file, and how it arrives."""

    origin: str  # "<file>#<record>"
    route: Route
    body: str  # the EventBridge event for BUS, the SQS message body otherwise
    message_attributes: Mapping[str, Any] = field(default_factory=dict)
    message_group_id: str | None = None
    deduplication_id: str | None = None

    def envelope(self) -> dict[str, Any]:
        """The EventBridge event (BUS messages only)."""
        event: dict[str, Any] = json.loads(self.body)
        return event


class SampleError(ValueError):
    """A sample file is not a Lambda-shaped invocation this runtime can publish."""


def sample_messages(path: Path) -> list[SampleMessage]:
    """Every message of one Lambda-shaped sample file, with its route."""
    try:
        invocation = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SampleError(f"{path}: cannot read a JSON invocation ({error})") from None
    try:
        kind = invocation_kind(invocation)
    except MalformedEvent:
        raise SampleError(
            f"{path}: neither an SQS batch nor an EventBridge event (a bare payload?)"
        ) from None
    if kind is InvocationKind.EVENTBRIDGE:
        return [SampleMessage(origin=path.name, route=Route.BUS, body=json.dumps(invocation))]
    return [
        _record_message(record, f"{path.name}#{index}") for index, record in enumerate(invocation["Records"])
    ]


def _record_message(record: Mapping[str, Any], origin: str) -> SampleMessage:
    attributes = record.get("attributes") or {}
    body = str(record.get("body", ""))
    message_attributes = send_message_attributes(record.get("messageAttributes") or {})
    if "MessageGroupId" in attributes or str(record.get("eventSourceARN", "")).endswith(".fifo"):
        return SampleMessage(
            origin=origin,
            route=Route.FIFO_QUEUE,
            body=body,
            message_attributes=message_attributes,
            message_group_id=str(attributes.get("MessageGroupId") or "default"),
            deduplication_id=attributes.get("MessageDeduplicationId"),
        )
    if _is_eventbridge_envelope(_json_or_none(body)):
        return SampleMessage(origin=origin, route=Route.BUS, body=body)
    return SampleMessage(origin=origin, route=Route.QUEUE, body=body, message_attributes=message_attributes)


def _is_eventbridge_envelope(value: Any) -> bool:
    """The function reads this body as an EventBridge event (an SNS notification is read first)."""
    return looks_like_envelope(value) and not looks_like_sns_notification(value)


@dataclass(frozen=True)
class Destination:
    """Where one deployment takes messages in."""

    event_bus_name: str
    bus_pattern: Mapping[str, Any]
    queue_url: str


@dataclass(frozen=True)
class Publication:
    """What became of one published message at the door."""

    message: SampleMessage
    message_id: str  # EventBridge's event id, or SQS's message id
    forwarded: bool  # False: the bus rule does not forward it (no mapping rule could match it)


class Publisher:
    """Publishes sample messages to a standard deployment (bus and queue) and a FIFO ingest queue."""

    def __init__(
        self,
        events: EventBridgeClient,
        sqs: SQSClient,
        *,
        standard: Destination,
        fifo_queue_url: str | None = None,
    ) -> None:
        self._events = events
        self._sqs = sqs
        self._standard = standard
        self._bus_rule = EventPattern.compile(standard.bus_pattern)
        self._fifo_queue_url = fifo_queue_url

    def publish(self, messages: Sequence[SampleMessage]) -> list[Publication]:
        return [self.publish_one(message) for message in messages]

    def publish_one(self, message: SampleMessage) -> Publication:
        if message.route is Route.BUS:
            return self._put_event(message)
        if message.route is Route.FIFO_QUEUE:
            if self._fifo_queue_url is None:
                raise SampleError(f"{message.origin}: a FIFO record, but no FIFO ingest queue is provisioned")
            return self._send(message, self._fifo_queue_url)
        return self._send(message, self._standard.queue_url)

    def _put_event(self, message: SampleMessage) -> Publication:
        event = message.envelope()
        entry: dict[str, Any] = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": list(event.get("resources") or []),
            "EventBusName": self._standard.event_bus_name,
        }
        if event.get("time"):
            entry["Time"] = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
        response = self._events.put_events(Entries=[entry])  # type: ignore[list-item]
        result = response["Entries"][0]
        if "EventId" not in result:
            raise SampleError(f"{message.origin}: PutEvents refused it: {result.get('ErrorMessage')}")
        return Publication(
            message=message, message_id=result["EventId"], forwarded=self._bus_rule.matches(event)
        )

    def _send(self, message: SampleMessage, queue_url: str) -> Publication:
        request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message.body}
        if message.message_attributes:
            request["MessageAttributes"] = dict(message.message_attributes)
        if message.message_group_id is not None:
            request["MessageGroupId"] = message.message_group_id
        if message.deduplication_id is not None:
            request["MessageDeduplicationId"] = message.deduplication_id
        response = self._sqs.send_message(**request)
        return Publication(message=message, message_id=response["MessageId"], forwarded=True)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
