"""The DLQ adapter on moto SQS: what lands in the DLQ, how the DLQ's MaximumMessageSize is learned, and
how a failure is reported. moto does not count attribute bytes: the sizes are checked here with SQS's rule
(``message_bytes``), which tests/unit/test_dead_letter_attributes.py covers in depth."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from task_creator.adapters.dead_letter_attributes import (
    DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES,
    SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE,
    AttributeValue,
    DeadLetterReason,
    message_bytes,
)
from task_creator.adapters.dead_letters import DeadLetter, DeadLetterQueue
from task_creator.errors import DeadLetterUnavailable

DLQ_MAX = 262_144
INGEST_MAX = DLQ_MAX - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES
FAILED_AT = datetime(2026, 11, 23, 15, 4, 5, 123456, tzinfo=UTC)
EVENT_ID = "5a1c3a8e-3f0b-4a57-9d3e-2b8e0f6c1d2a"


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def dlq_url(sqs: Any) -> str:
    created = sqs.create_queue(QueueName="task-creator-dlq", Attributes={"MaximumMessageSize": str(DLQ_MAX)})
    url: str = created["QueueUrl"]
    return url


@pytest.fixture
def ingest_url(sqs: Any) -> str:
    created = sqs.create_queue(
        QueueName="task-creator-ingest", Attributes={"MaximumMessageSize": str(INGEST_MAX)}
    )
    url: str = created["QueueUrl"]
    return url


def calls_to(client: Any, operation: str) -> list[str]:
    """Every ``operation`` the client sends, recorded through botocore's own event hooks."""
    seen: list[str] = []
    client.meta.events.register(f"before-call.sqs.{operation}", lambda **_: seen.append(operation))
    return seen


def letter(body: str, *, event_id: str = EVENT_ID, **overrides: Any) -> DeadLetter:
    reason = DeadLetterReason(
        error_type="MappingError",
        error_message="[order-delayed] Name: rendered empty",
        rule="order-delayed",
        event_id=event_id,
        source_arn="arn:aws:sqs:us-east-1:123456789012:task-creator-ingest",
        failed_at=FAILED_AT,
    )
    return DeadLetter(body=body, reason=reason, **overrides)


def received_as_lambda_attributes(message: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }


def the_one_message(sqs: Any, queue_url: str) -> dict[str, Any]:
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    assert len(messages) == 1
    message: dict[str, Any] = messages[0]
    return message


def strings(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_a_dead_letter_carries_the_body_unchanged_and_why_it_failed(sqs: Any, dlq_url: str):
    attributes = {"source": {"stringValue": "com.example.orders", "dataType": "String"}}
    DeadLetterQueue(sqs, dlq_url).send(letter('{"order": "ORD-1"}', original_attributes=attributes))

    message = the_one_message(sqs, dlq_url)

    assert message["Body"] == '{"order": "ORD-1"}'
    assert strings(message) == {
        "ErrorType": "MappingError",
        "ErrorMessage": "[order-delayed] Name: rendered empty",
        "Rule": "order-delayed",
        "EventId": EVENT_ID,
        "SourceArn": "arn:aws:sqs:us-east-1:123456789012:task-creator-ingest",
        "FailedAt": "2026-11-23T15:04:05.123456Z",
        "source": "com.example.orders",
    }


def test_a_full_ingest_message_with_ten_attributes_still_dead_letters_within_the_dlq_maximum(
    sqs: Any, dlq_url: str, ingest_url: str
):
    originals = {"source": "com.example.orders", "detail-type": "OrderDelayed"} | {
        f"trace{index}": "t" * 300 for index in range(8)
    }
    attributes: dict[str, AttributeValue] = {
        name: {"DataType": "String", "StringValue": value} for name, value in originals.items()
    }
    body = "x" * (INGEST_MAX - message_bytes("", attributes))  # exactly the ingest queue's maximum
    sqs.send_message(QueueUrl=ingest_url, MessageBody=body, MessageAttributes=attributes)
    record = the_one_message(sqs, ingest_url)

    DeadLetterQueue(sqs, dlq_url).send(
        letter(record["Body"], original_attributes=received_as_lambda_attributes(record))
    )

    message = the_one_message(sqs, dlq_url)
    assert message["Body"] == body
    assert message_bytes(message["Body"], message["MessageAttributes"]) <= DLQ_MAX
    assert len(message["MessageAttributes"]) == 10
    found = strings(message)
    assert found["source"] == "com.example.orders"
    assert found["detail-type"] == "OrderDelayed"
    assert found["EventId"] == EVENT_ID
    dropped = found["DroppedAttributes"].split(",")
    assert len(dropped) == 4
    assert set(dropped) | (set(found) & set(originals)) == set(originals)


def test_a_body_over_the_dlq_maximum_is_refused_and_nothing_is_sent(sqs: Any, dlq_url: str):
    with pytest.raises(DeadLetterUnavailable, match="MaximumMessageSize of 262144 bytes") as raised:
        DeadLetterQueue(sqs, dlq_url).send(letter("Alice's order " * 20_000))

    assert "Alice" not in raised.value.message
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq_url)


def test_the_dlq_maximum_is_read_once_and_shared_by_every_thread(sqs: Any, dlq_url: str):
    reads = calls_to(sqs, "GetQueueAttributes")
    queue = DeadLetterQueue(sqs, dlq_url)
    barrier = threading.Barrier(8)
    seen: list[int] = []

    def learn() -> None:
        barrier.wait()
        seen.append(queue.maximum_message_size())

    threads = [threading.Thread(target=learn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.send(letter("{}"))
    queue.send(letter("{}", event_id="another"))

    assert seen == [DLQ_MAX] * 8
    assert reads == ["GetQueueAttributes"]


def test_a_given_maximum_is_used_without_asking_sqs(sqs: Any, dlq_url: str):
    reads = calls_to(sqs, "GetQueueAttributes")
    queue = DeadLetterQueue(sqs, dlq_url, maximum_message_size=4096)

    with pytest.raises(DeadLetterUnavailable, match="MaximumMessageSize of 4096 bytes"):
        queue.send(letter("x" * 5000))

    assert queue.maximum_message_size() == 4096
    assert reads == []


def test_a_maximum_that_sqs_would_refuse_is_refused_at_construction(sqs: Any, dlq_url: str):
    with pytest.raises(ValueError, match="MaximumMessageSize"):
        DeadLetterQueue(sqs, dlq_url, maximum_message_size=100)


def test_an_unreadable_maximum_falls_back_to_the_sqs_default_once():
    client = boto3.client("sqs", region_name="us-east-1")
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/task-creator-dlq"
    stubber = Stubber(client)
    stubber.add_client_error("get_queue_attributes", service_error_code="AccessDenied", http_status_code=403)
    stubber.add_response("send_message", {"MessageId": "m-1"})
    stubber.add_response("send_message", {"MessageId": "m-2"})
    queue = DeadLetterQueue(client, url)

    with stubber:
        assert queue.send(letter("{}")) == "m-1"
        assert queue.send(letter("{}", event_id="another")) == "m-2"  # no second read
    stubber.assert_no_pending_responses()
    assert queue.maximum_message_size() == SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE


def test_a_failed_write_names_the_aws_error_code_and_nothing_else(sqs: Any):
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-dlq"
    queue = DeadLetterQueue(sqs, missing, maximum_message_size=DLQ_MAX)

    with pytest.raises(DeadLetterUnavailable) as raised:
        queue.send(letter('{"customer": "Alice"}'))

    assert raised.value.message == "could not write to the DLQ: AWS.SimpleQueueService.NonExistentQueue"
    assert "Alice" not in raised.value.message


def test_a_fifo_dlq_keeps_the_group_and_deduplicates_on_the_record(sqs: Any):
    url = sqs.create_queue(QueueName="task-creator-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    queue = DeadLetterQueue(sqs, url)

    queue.send(letter("{}", message_group_id="orders", deduplication_key="msg-1"))
    queue.send(letter("{}", message_group_id="orders", deduplication_key="msg-1"))  # same record again

    message = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"], MessageAttributeNames=["All"]
    )["Messages"]
    assert len(message) == 1
    assert message[0]["Attributes"]["MessageGroupId"] == "orders"
