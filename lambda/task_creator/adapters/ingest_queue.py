"""The ingest queue, beyond what the event source mapping does: backoff, and deleting dead-lettered messages.

A transiently failed message stays invisible longer before its retry (``delay_retry``); a message written
to the DLQ is deleted at once (``delete``), so a later timeout in the same invocation cannot redeliver it
and dead-letter it twice. Both are best effort and never raise for AWS errors.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


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
