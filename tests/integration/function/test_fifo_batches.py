"""FIFO batches: order within a message group, and no healthy record dead-lettered for its head."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest

from task_creator.errors import ConnectUnavailable
from task_creator.handler import lambda_handler
from tests.integration.function.conftest import (
    FunctionUnderTest,
    LambdaContext,
    received_as_lambda_record,
    sample,
)

pytestmark = pytest.mark.integration

MAX_RECEIVES = 3


def order(order_id: str) -> str:
    event = sample("eventbridge-order-delayed.json")
    event["id"] = f"event-{order_id}"
    event["detail"]["orderId"] = order_id
    return json.dumps(event)


def run_event_source(
    function: FunctionUnderTest, queue_url: str, context: LambdaContext, *, sent: list[str], rounds: int
) -> int:
    """What Lambda's event source does with a FIFO queue (one message group here): receive, invoke,
    delete what succeeded. ``sent``: the message ids, in the order they were sent."""
    undeleted = list(sent)
    arn = function.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    dependencies = function.build(
        max_receive_count=MAX_RECEIVES, retry_base_delay_seconds=1, retry_max_delay_seconds=1
    )
    invocations = 0
    for _ in range(rounds):
        messages = function.sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=1,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            if _queue_is_empty(function, queue_url):
                return invocations
            time.sleep(0.5)
            continue
        messages = _as_fifo_delivers(function, queue_url, messages, undeleted)
        if not messages:
            time.sleep(0.5)
            continue
        records = [received_as_lambda_record(message, arn) for message in messages]
        response = lambda_handler({"Records": records}, context, dependencies=dependencies)
        invocations += 1
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for record in records:
            if record["messageId"] not in failed:
                function.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
                undeleted.remove(record["messageId"])
    return invocations


def _as_fifo_delivers(
    function: FunctionUnderTest, queue_url: str, messages: list[dict[str, Any]], undeleted: list[str]
) -> list[dict[str, Any]]:
    """What SQS FIFO returns and moto does not enforce: a message group's messages in order, and none of
    them while an earlier one of the group is in flight (moto hands out a later one alone)."""
    received = {message["MessageId"] for message in messages}
    deliverable = []
    for message in sorted(messages, key=lambda m: undeleted.index(m["MessageId"])):
        earlier = undeleted[: undeleted.index(message["MessageId"])]
        if any(message_id not in received for message_id in earlier):
            function.sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            deliverable.append(message)
    return deliverable


def _queue_is_empty(function: FunctionUnderTest, queue_url: str) -> bool:
    counts = function.sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(count) == 0 for count in counts.values())


def test_a_head_that_never_recovers_is_dead_lettered_alone_and_its_followers_then_run_in_order(
    function: FunctionUnderTest, context: LambdaContext
):
    queue_url = function.sqs.create_queue(
        QueueName="orders.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    sent = [
        function.sqs.send_message(
            QueueUrl=queue_url, MessageBody=order(order_id), MessageGroupId="customer-42"
        )["MessageId"]
        for order_id in ("HEAD-1", "NEXT-2", "NEXT-3")
    ]

    def head_always_fails(request: Mapping[str, Any]) -> None:
        if request["Attributes"]["orderId"] == "HEAD-1":
            raise ConnectUnavailable("InternalServiceException", "Connect had a bad day")

    function.connect.intercept = head_always_fails

    run_event_source(function, queue_url, context, sent=sent, rounds=40)

    letters = function.dead_letters()
    assert [json.loads(letter["Body"])["detail"]["orderId"] for letter in letters] == ["HEAD-1"]
    assert letters[0]["MessageAttributes"]["ErrorType"]["StringValue"] == "RetriesExhausted"
    assert [request["Attributes"]["orderId"] for request in function.connect.requests] == ["NEXT-2", "NEXT-3"]
    assert _queue_is_empty(function, queue_url)


def test_a_fifo_record_is_dead_lettered_to_the_fifo_dlq_in_its_message_group(
    function: FunctionUnderTest, context: LambdaContext
):
    fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    queue_url = function.sqs.create_queue(QueueName="orders.fifo", Attributes=fifo)["QueueUrl"]
    fifo_dlq_url = function.sqs.create_queue(QueueName="orders-dlq.fifo", Attributes=fifo)["QueueUrl"]
    function.sqs.send_message(QueueUrl=queue_url, MessageBody="not json", MessageGroupId="customer-42")
    arn = function.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    (message,) = function.sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"])["Messages"]

    response = lambda_handler(
        {"Records": [received_as_lambda_record(message, arn)]},
        context,
        dependencies=function.build(fifo_dlq_url=fifo_dlq_url),
    )

    assert response == {"batchItemFailures": []}
    assert function.dead_letters() == []  # not the standard DLQ
    (letter,) = function.sqs.receive_message(
        QueueUrl=fifo_dlq_url, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert letter["Body"] == "not json"
    assert letter["Attributes"]["MessageGroupId"] == "customer-42"
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "MalformedEvent"
