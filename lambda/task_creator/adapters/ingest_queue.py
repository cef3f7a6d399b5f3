"""The ingest queue, beyond what the event source mapping does: backoff, deferral, deleting dead letters.

A transiently failed message stays invisible longer before its retry (``delay_retry``); a message written
to the DLQ is deleted at once (``delete``), so a later timeout in the same invocation cannot redeliver it
and dead-letter it twice. A deferred message (never attempted: no call slot, throttled) is sent again as
a new message with a delay (``send_again``), so that waiting costs no receive of the attempt budget nor
of the redrive backstop; the caller reports the old one done. All are best effort and never raise for
AWS errors.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


SQS_MAX_MESSAGE_ATTRIBUTES = 10
SQS_MAX_DELAY_SECONDS = 900
SEND_BATCH_MAX_ENTRIES = 10


@dataclass(frozen=True)
class MessageAgain:
    """A message to send again: its body and attributes as the Lambda event gave them, the attributes to
    set on top, and the delay."""

    message_id: str
    body: str
    attributes: Mapping[str, Any]
    extra_attributes: Mapping[str, str]
    delay_seconds: int


class IngestQueue:
    """Extends a message's visibility so throttled messages wait instead of hammering Connect, and deletes
    messages already dead-lettered. Queue URLs are looked up from the record's ARN once and cached."""

    def __init__(self, client: SQSClient) -> None:
        self._client = client
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def delay_retry(self, source_arn: str, receipt_handle: str, delay_seconds: int) -> bool:
        """Best effort: on failure the message simply comes back after its normal visibility timeout."""
        try:
            self._client.change_message_visibility(
                QueueUrl=self._queue_url(source_arn),
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=delay_seconds,
            )
        except (ClientError, BotoCoreError, ValueError):
            return False
        return True

    def delete(self, source_arn: str, receipt_handle: str) -> bool:
        """Best effort: on failure the message comes back after its visibility timeout, and a message already
        in the DLQ may then be dead-lettered a second time."""
        try:
            self._client.delete_message(QueueUrl=self._queue_url(source_arn), ReceiptHandle=receipt_handle)
        except (ClientError, BotoCoreError, ValueError):
            return False
        return True

    def send_again(self, source_arn: str, messages: Sequence[MessageAgain]) -> set[str]:
        """Send each message to its queue again, delayed; the ids of those not sent (too many attributes
        to add ours, or refused): the caller retries them the ordinary way."""
        failed: set[str] = set()
        entries = []
        for index, message in enumerate(messages):
            attributes = _sendable(message.attributes, message.extra_attributes)
            if attributes is None:
                failed.add(message.message_id)
                continue
            delay = min(max(message.delay_seconds, 0), SQS_MAX_DELAY_SECONDS)
            entries.append(
                {
                    "Id": str(index),
                    "MessageBody": message.body,
                    "MessageAttributes": attributes,
                    "DelaySeconds": delay,
                }
            )
        for start in range(0, len(entries), SEND_BATCH_MAX_ENTRIES):
            chunk = entries[start : start + SEND_BATCH_MAX_ENTRIES]
            try:
                response = self._client.send_message_batch(
                    QueueUrl=self._queue_url(source_arn),
                    Entries=chunk,  # type: ignore[arg-type]
                )
                refused = {entry["Id"] for entry in response.get("Failed", [])}
            except (ClientError, BotoCoreError, ValueError):
                refused = {str(entry["Id"]) for entry in chunk}
            failed.update(messages[int(entry_id)].message_id for entry_id in refused)
        return failed

    def _queue_url(self, source_arn: str) -> str:
        with self._lock:
            cached = self._urls.get(source_arn)
        if cached:
            return cached
        parts = source_arn.split(":")
        if len(parts) < 6:
            raise ValueError(f"not an SQS queue ARN: {source_arn!r}")
        url = self._client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        with self._lock:
            self._urls[source_arn] = url
        return url


def _sendable(attributes: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
    """The Lambda event's message attributes in SendMessage's shape, with ``extra`` set (as strings);
    None when that would make more than SQS's 10 or an attribute cannot be read back."""
    sendable: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if name in extra or not isinstance(value, Mapping):
            continue
        data_type = str(value.get("dataType") or "String")
        if isinstance(value.get("stringValue"), str):
            sendable[name] = {"DataType": data_type, "StringValue": value["stringValue"]}
        elif isinstance(value.get("binaryValue"), str):
            try:
                binary = base64.b64decode(value["binaryValue"], validate=True)
            except (binascii.Error, ValueError):
                return None
            sendable[name] = {"DataType": data_type, "BinaryValue": binary}
        else:
            return None
    for name, text in extra.items():
        sendable[name] = {"DataType": "String", "StringValue": text}
    return sendable if len(sendable) <= SQS_MAX_MESSAGE_ATTRIBUTES else None
