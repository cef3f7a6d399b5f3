"""The only code that writes to the DLQ: the original body, unchanged, and why it failed.

Message attributes: ErrorType, ErrorMessage (never task content), Rule, EventId, SourceArn, FailedAt,
plus the original message attributes (``source`` and ``detail-type`` first) within SQS's limit of 10,
so a message moved back to the ingest queue after a fix is read exactly as it was the first time.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from task_creator.errors import DeadLetterUnavailable, clip
from task_creator.mapping.envelope import EVENT_ID_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

SQS_MAX_MESSAGE_ATTRIBUTES = 10
MAX_ERROR_MESSAGE_CHARS = 1024
NO_VALUE = "-"
PRESERVED_FIRST = ("source", "detail-type")
DEFAULT_FIFO_GROUP = "task-creator"


@dataclass(frozen=True)
class DeadLetter:
    """A record that failed for good, and everything an operator needs to fix and redrive it."""

    body: str
    error_type: str
    error_message: str
    rule: str
    event_id: str
    source_arn: str
    failed_at: datetime
    original_attributes: Mapping[str, Any] = field(default_factory=dict)
    message_group_id: str | None = None
    deduplication_key: str | None = None

    def message_attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        ours: dict[str, MessageAttributeValueTypeDef] = {
            "ErrorType": _string(self.error_type),
            "ErrorMessage": _string(clip(self.error_message, MAX_ERROR_MESSAGE_CHARS)),
            "Rule": _string(self.rule),
            EVENT_ID_ATTRIBUTE: _string(self.event_id),
            "SourceArn": _string(self.source_arn),
            "FailedAt": _string(self.failed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        }
        originals = send_message_attributes(self.original_attributes)
        for name in _preserved_order(originals):
            if len(ours) == SQS_MAX_MESSAGE_ATTRIBUTES:
                break
            ours.setdefault(name, originals[name])
        return ours


class DeadLetterQueue:
    """Sends dead letters; raises DeadLetterUnavailable so the caller keeps the record on its queue."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url
        self.is_fifo = queue_url.endswith(".fifo")

    def send(self, letter: DeadLetter) -> str:
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MessageBody": letter.body,
            "MessageAttributes": letter.message_attributes(),
        }
        if self.is_fifo:
            request["MessageGroupId"] = letter.message_group_id or DEFAULT_FIFO_GROUP
            dedup_source = letter.deduplication_key or letter.event_id
            request["MessageDeduplicationId"] = hashlib.sha256(dedup_source.encode("utf-8")).hexdigest()
        try:
            response = self._client.send_message(**request)
        except (ClientError, BotoCoreError) as error:
            raise DeadLetterUnavailable(f"could not write to the DLQ: {type(error).__name__}") from None
        return response["MessageId"]


def _preserved_order(attributes: Mapping[str, Any]) -> list[str]:
    first = [name for name in PRESERVED_FIRST if name in attributes]
    return first + sorted(name for name in attributes if name not in PRESERVED_FIRST)


def send_message_attributes(lambda_attributes: Mapping[str, Any]) -> dict[str, MessageAttributeValueTypeDef]:
    """A record's message attributes as Lambda delivers them -> SendMessage's ``MessageAttributes``."""
    converted = {name: _from_lambda_attribute(value) for name, value in lambda_attributes.items()}
    return {name: value for name, value in converted.items() if value is not None}


def _from_lambda_attribute(value: Any) -> MessageAttributeValueTypeDef | None:
    """Lambda's record shape (stringValue/binaryValue, base64) -> SendMessage's shape."""
    if not isinstance(value, Mapping):
        return None
    data_type = str(value.get("dataType") or value.get("DataType") or "String")
    string_value = value.get("stringValue", value.get("StringValue"))
    if isinstance(string_value, str) and string_value:
        return {"DataType": data_type, "StringValue": string_value}
    binary_value = value.get("binaryValue", value.get("BinaryValue"))
    if isinstance(binary_value, str) and binary_value:
        return {"DataType": data_type, "BinaryValue": base64.b64decode(binary_value)}
    if isinstance(binary_value, bytes) and binary_value:
        return {"DataType": data_type, "BinaryValue": binary_value}
    return None


def _string(value: str) -> MessageAttributeValueTypeDef:
    return {"DataType": "String", "StringValue": value or NO_VALUE}
