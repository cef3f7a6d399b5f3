"""Event files as users hand them to the CLI: Lambda-shaped invocations, or bare payloads.

A bare payload (any JSON that is neither an SQS batch nor an EventBridge event) is read the way the
function reads a raw SQS message body: ``source`` and ``detail-type`` come from the message attributes
of those names (``--source`` / ``--detail-type`` here; default ``"sqs"`` / ``""``), and its id is the
message id, here a stable one derived from the payload so the ClientTokens are stable across runs.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.cli.errors import UsageError
from task_creator.errors import MalformedEvent, PermanentFailure
from task_creator.mapping.envelope import (
    CanonicalEvent,
    InvocationKind,
    event_from_eventbridge,
    event_from_sqs_record,
    invocation_kind,
)

BARE_PAYLOAD_ARN = "arn:aws:sqs:us-east-1:123456789012:bare-payload"
_PAYLOAD_ID_NAMESPACE = uuid.UUID("5f0c1d7e-9a4b-4c3e-8f21-7d6a2b9e4c10")


@dataclass(frozen=True)
class EventInput:
    """One event of a file: read into the canonical event, or the reason the function would reject it."""

    label: str
    event: CanonicalEvent | None = None
    error: PermanentFailure | None = None


def read_json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def lambda_invocation_kind(document: Any) -> InvocationKind | None:
    """The invocation's kind, or None for a bare payload."""
    try:
        return invocation_kind(document)
    except MalformedEvent:
        return None


def events_in(
    document: Any, *, source: str | None = None, detail_type: str | None = None
) -> list[EventInput]:
    """Every event in a file, read as the function reads it."""
    kind = lambda_invocation_kind(document)
    if kind is InvocationKind.EVENTBRIDGE:
        if source is not None or detail_type is not None:
            raise UsageError("--source and --detail-type apply to bare payloads, not to an EventBridge event")
        return [_read("EventBridge event", lambda: event_from_eventbridge(document))]
    if kind is not None:
        if source is not None or detail_type is not None:
            raise UsageError("--source and --detail-type apply to bare payloads, not to an SQS batch")
        return [
            _read(
                f"SQS record {index} ({record.get('messageId')})", lambda r=record: event_from_sqs_record(r)
            )
            for index, record in enumerate(document["Records"])
        ]
    record = bare_payload_record(document, source=source, detail_type=detail_type)
    return [
        _read(
            f"bare payload (read as SQS message {record['messageId']})", lambda: event_from_sqs_record(record)
        )
    ]


def bare_payload_record(payload: Any, *, source: str | None, detail_type: str | None) -> dict[str, Any]:
    """The SQS record the function would receive for ``payload`` sent as a raw message body."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    attributes = {
        name: {"stringValue": value, "dataType": "String"}
        for name, value in (("source", source), ("detail-type", detail_type))
        if value is not None
    }
    return {
        "messageId": str(uuid.uuid5(_PAYLOAD_ID_NAMESPACE, body)),
        "body": body,
        "attributes": {},
        "messageAttributes": attributes,
        "eventSource": "aws:sqs",
        "eventSourceARN": BARE_PAYLOAD_ARN,
    }


def _read(label: str, read: Any) -> EventInput:
    try:
        return EventInput(label=label, event=read())
    except PermanentFailure as error:
        return EventInput(label=label, error=error)
