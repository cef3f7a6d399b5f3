"""The ingest-queue adapter on moto SQS: a dead-lettered message is deleted at once, best effort."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from task_creator.adapters.ingest_queue import IngestQueue

QUEUE = "task-creator-ingest"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queue(sqs: Any) -> tuple[str, str]:
    """The ingest queue's URL and ARN (the ARN is what a Lambda record names its source by)."""
    url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def calls_to(client: Any, operation: str) -> list[str]:
    seen: list[str] = []
    client.meta.events.register(f"before-call.sqs.{operation}", lambda **_: seen.append(operation))
    return seen


def counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def receive_one(sqs: Any, url: str) -> dict[str, Any]:
    sqs.send_message(QueueUrl=url, MessageBody='{"order": "ORD-1"}')
    received: list[dict[str, Any]] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    (message,) = received
    return message


def test_a_dead_lettered_message_deleted_through_the_adapter_is_gone(sqs: Any, queue: tuple[str, str]):
    url, arn = queue
    message = receive_one(sqs, url)
    assert counts(sqs, url) == (0, 1)  # in flight: it would come back after its visibility timeout

    assert IngestQueue(sqs).delete(arn, message["ReceiptHandle"]) is True

    assert counts(sqs, url) == (0, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)  # past the 1 s timeout


def test_delete_reuses_the_queue_url_learned_for_backoff(sqs: Any, queue: tuple[str, str]):
    url, arn = queue
    lookups = calls_to(sqs, "GetQueueUrl")
    ingest = IngestQueue(sqs)
    first, second = receive_one(sqs, url), receive_one(sqs, url)

    assert ingest.delay_retry(arn, first["ReceiptHandle"], 30) is True
    assert ingest.delete(arn, first["ReceiptHandle"]) is True
    assert ingest.delete(arn, second["ReceiptHandle"]) is True

    assert lookups == ["GetQueueUrl"]
    assert counts(sqs, url) == (0, 0)


@pytest.mark.parametrize(
    ("source_arn", "receipt_handle"),
    [
        ("not-an-arn", "handle"),  # not a queue ARN
        ("arn:aws:sqs:us-east-1:123456789012:no-such-queue", "handle"),  # GetQueueUrl fails
        (None, "not-a-receipt-handle"),  # DeleteMessage refuses the handle
    ],
)
def test_a_failed_delete_returns_false_and_never_raises(
    sqs: Any, queue: tuple[str, str], source_arn: str | None, receipt_handle: str
):
    _, arn = queue
    assert IngestQueue(sqs).delete(source_arn or arn, receipt_handle) is False
