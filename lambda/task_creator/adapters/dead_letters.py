"""The only code that writes to the DLQ: the original body, unchanged, and why it failed.

Message attributes (fitted to SQS's limits by ``dead_letter_attributes``): ErrorType, ErrorMessage (never
task content) and EventId always; the record's original attributes (``source`` and ``detail-type`` kept
longest), so a message moved back to the ingest queue after a fix is read exactly as it was the first
time; Rule, SourceArn and FailedAt as room allows; DroppedAttributes naming any original left out.

The DLQ's MaximumMessageSize is passed in (``maximum_message_size=``) or read once with
GetQueueAttributes (needs ``sqs:GetQueueAttributes`` on the DLQ) and cached for the container's life;
when it cannot be read, SQS's documented default (1,048,576 bytes) is assumed, and remembered.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from task_creator.adapters.dead_letter_attributes import (
    DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES,
    MAX_ERROR_MESSAGE_CHARS,
    NO_VALUE,
    PRESERVED_FIRST,
    SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE,
    SQS_MAX_MESSAGE_ATTRIBUTES,
    AttributeValue,
    DeadLetterReason,
    FittedAttributes,
    fit_attributes,
    from_lambda_attributes,
    validate_maximum_message_size,
)
from task_creator.errors import DeadLetterUnavailable
from task_creator.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

__all__ = [
    "DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES",
    "DEFAULT_FIFO_GROUP",
    "MAX_ERROR_MESSAGE_CHARS",
    "NO_VALUE",
    "PRESERVED_FIRST",
    "SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE",
    "SQS_MAX_MESSAGE_ATTRIBUTES",
    "DeadLetter",
    "DeadLetterQueue",
    "send_message_attributes",
]

DEFAULT_FIFO_GROUP = "task-creator"


@dataclass(frozen=True)
class DeadLetter:
    """A record that failed for good, and everything an operator needs to fix and redrive it."""

    body: str
    reason: DeadLetterReason
    original_attributes: Mapping[str, Any] = field(default_factory=dict)
    message_group_id: str | None = None
    deduplication_key: str | None = None

    def fitted_attributes(
        self, maximum_message_size: int = SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE
    ) -> FittedAttributes:
        """Our attributes and the original ones within SQS's limits; raises DeadLetterUnavailable if
        even the body with the required attributes exceeds ``maximum_message_size``."""
        return fit_attributes(
            self.body,
            self.reason,
            from_lambda_attributes(self.original_attributes),
            maximum_message_size=maximum_message_size,
        )

    def message_attributes(
        self, maximum_message_size: int = SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE
    ) -> dict[str, MessageAttributeValueTypeDef]:
        """SendMessage's ``MessageAttributes`` for this letter on a DLQ of ``maximum_message_size``."""
        return _send_shape(self.fitted_attributes(maximum_message_size).attributes)


class DeadLetterQueue:
    """Sends dead letters; raises DeadLetterUnavailable so the caller keeps the record on its queue."""

    def __init__(self, client: SQSClient, queue_url: str, *, maximum_message_size: int | None = None) -> None:
        self._client = client
        self.queue_url = queue_url
        self.is_fifo = queue_url.endswith(".fifo")
        self._maximum_message_size = (
            validate_maximum_message_size(maximum_message_size) if maximum_message_size is not None else None
        )
        self._lock = threading.Lock()

    def maximum_message_size(self) -> int:
        """The DLQ's MaximumMessageSize: given, or read once (thread-safe) and cached."""
        with self._lock:
            if self._maximum_message_size is None:
                self._maximum_message_size = self._read_maximum_message_size()
            return self._maximum_message_size

    def send(self, letter: DeadLetter) -> str:
        """Write ``letter``; return the DLQ's MessageId. Raises DeadLetterUnavailable."""
        request: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MessageBody": letter.body,
            "MessageAttributes": letter.message_attributes(self.maximum_message_size()),
        }
        if self.is_fifo:
            request["MessageGroupId"] = letter.message_group_id or DEFAULT_FIFO_GROUP
            dedup_source = letter.deduplication_key or letter.reason.event_id
            request["MessageDeduplicationId"] = hashlib.sha256(dedup_source.encode("utf-8")).hexdigest()
        try:
            response = self._client.send_message(**request)
        except (ClientError, BotoCoreError) as error:
            raise DeadLetterUnavailable(f"could not write to the DLQ: {_error_name(error)}") from None
        return response["MessageId"]

    def _read_maximum_message_size(self) -> int:
        try:
            attributes = self._client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["MaximumMessageSize"]
            )["Attributes"]
            return validate_maximum_message_size(int(attributes["MaximumMessageSize"]))
        except (ClientError, BotoCoreError, KeyError, ValueError) as error:
            logger.warning(
                "DLQ MaximumMessageSize unreadable: assuming the SQS default",
                extra={
                    "error_type": _error_name(error),
                    "maximum_message_size": SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE,
                },
            )
            return SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE


def send_message_attributes(lambda_attributes: Mapping[str, Any]) -> dict[str, MessageAttributeValueTypeDef]:
    """A record's message attributes as Lambda delivers them -> SendMessage's ``MessageAttributes``."""
    return _send_shape(from_lambda_attributes(lambda_attributes))


def _send_shape(attributes: Mapping[str, AttributeValue]) -> dict[str, MessageAttributeValueTypeDef]:
    return {name: _send_value(value) for name, value in attributes.items()}


def _send_value(value: AttributeValue) -> MessageAttributeValueTypeDef:
    if "BinaryValue" in value:
        return {"DataType": value["DataType"], "BinaryValue": value["BinaryValue"]}
    return {"DataType": value["DataType"], "StringValue": value.get("StringValue") or NO_VALUE}


def _error_name(error: Exception) -> str:
    """The AWS error code or the exception's class: never the message, which may quote values."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__
