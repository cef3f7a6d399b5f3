"""The event source loop behaves like Lambda's SQS event source mapping: the event it builds, what it
deletes after a partial batch response, and what it leaves for SQS to redeliver."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from mypy_boto3_sqs import SQSClient
from mypy_boto3_sqs.literals import QueueAttributeNameType

from infra.stack_values import FUNCTION_TIMEOUT_SECONDS
from local.aws import EmbeddedAws
from local.event_source import DrainTimeout, EventSourceMapping, SqsEventSource, drain
from local.identifiers import LOCAL_REGION
from local.lambda_context import LocalLambdaContext


class RecordingFunction:
    """Records each event; answers with ``responses`` in turn (then all-succeeded)."""

    def __init__(self, *responses: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[LocalLambdaContext] = []
        self._responses = list(responses)

    def __call__(self, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        response = self._responses.pop(0) if self._responses else {"batchItemFailures": []}
        if isinstance(response, Exception):
            raise response
        return response

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for event in self.events for record in event["Records"]]


def failures(*message_ids: str) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in message_ids]}


@pytest.fixture
def sqs(embedded_aws: EmbeddedAws) -> SQSClient:
    return embedded_aws.sqs()


def make_queue(sqs: SQSClient, name: str, *, visibility_timeout: int = 1) -> EventSourceMapping:
    attributes: dict[QueueAttributeNameType, str] = {"VisibilityTimeout": str(visibility_timeout)}
    if name.endswith(".fifo"):
        attributes["FifoQueue"] = "true"
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return EventSourceMapping(queue_url=url, queue_arn=arn, batch_size=10, visibility_timeout_seconds=1)


def test_records_are_shaped_as_lambda_delivers_them(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "ingest")
    body = json.dumps({"requestId": "CB-1"})
    message_id = sqs.send_message(
        QueueUrl=mapping.queue_url,
        MessageBody=body,
        MessageAttributes={
            "source": {"DataType": "String", "StringValue": "crm.legacy"},
            "priority": {"DataType": "Number", "StringValue": "3"},
        },
    )["MessageId"]
    function = RecordingFunction()

    SqsEventSource(sqs, mapping, function).poll_once()

    (record,) = function.records
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert (record["messageId"], record["body"]) == (message_id, body)
    assert record["md5OfBody"] == hashlib.md5(body.encode()).hexdigest()
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        mapping.queue_arn,
        LOCAL_REGION,
    )
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"] == {
        "source": {
            "stringValue": "crm.legacy",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "priority": {
            "stringValue": "3",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
    }


def test_fifo_records_carry_their_message_group_and_sequence(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "ingest.fifo")
    sqs.send_message(
        QueueUrl=mapping.queue_url, MessageBody="{}", MessageGroupId="SHP-1", MessageDeduplicationId="d-1"
    )
    function = RecordingFunction()

    SqsEventSource(sqs, mapping, function).poll_once()

    (record,) = function.records
    assert record["eventSourceARN"].endswith(".fifo")
    assert record["attributes"]["MessageGroupId"] == "SHP-1"
    assert record["attributes"]["MessageDeduplicationId"] == "d-1"
    assert "SequenceNumber" in record["attributes"]


def test_each_invocation_gets_a_fresh_lambda_context(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "ingest")
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=body)
    function = RecordingFunction()
    source = SqsEventSource(
        sqs, EventSourceMapping(mapping.queue_url, mapping.queue_arn, batch_size=1), function
    )

    source.poll_once()
    source.poll_once()

    first, second = function.contexts
    assert first.aws_request_id != second.aws_request_id
    assert 0 < first.get_remaining_time_in_millis() <= FUNCTION_TIMEOUT_SECONDS * 1000


def test_only_records_missing_from_batch_item_failures_are_deleted(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "ingest")
    ids = [sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=body)["MessageId"] for body in "abc"]
    function = RecordingFunction(failures(ids[1]))
    source = SqsEventSource(sqs, mapping, function)

    result = source.poll_once()

    assert result is not None
    assert (result.received, result.deleted, result.failed) == (3, 2, 1)
    assert source.depth().in_flight == 1

    report = drain([source], timeout_seconds=10)  # the failed record comes back after its visibility

    assert report.received == 1
    (retried,) = function.events[1]["Records"]
    assert (retried["messageId"], retried["attributes"]["ApproximateReceiveCount"]) == (ids[1], "2")
    assert source.depth().empty


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(
            {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}, id="unknown-identifier"
        ),
        pytest.param({"batchItemFailures": [{"itemIdentifier": ""}]}, id="empty-identifier"),
        pytest.param("not an object", id="not-an-object"),
        pytest.param(TimeoutError("Task timed out after 30.00 seconds"), id="invocation-raised"),
    ],
)
def test_an_invalid_response_or_a_failed_invocation_fails_the_whole_batch(
    sqs: SQSClient, response: Any
) -> None:
    mapping = make_queue(sqs, "ingest")
    for body in "ab":
        sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=body)
    source = SqsEventSource(sqs, mapping, RecordingFunction(response))

    result = source.poll_once()

    assert result is not None
    assert (result.deleted, result.failed) == (0, 2)
    assert result.invocation_error
    assert source.depth().in_flight == 2


def test_drain_gives_up_after_its_timeout_and_says_what_is_left(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "stuck", visibility_timeout=60)
    sqs.send_message(QueueUrl=mapping.queue_url, MessageBody="never succeeds")
    stuck = EventSourceMapping(mapping.queue_url, mapping.queue_arn, visibility_timeout_seconds=60)
    source = SqsEventSource(sqs, stuck, RecordingFunction(RuntimeError("the function fails")))
    ticks = iter(float(second) for second in range(1000))

    with pytest.raises(DrainTimeout, match=r"within 5 s \(stuck: 0 waiting, 1 in flight"):
        drain([source], timeout_seconds=5, clock=lambda: next(ticks), sleep=lambda _: None)


class FakeTime:
    """A clock that moves only when the event source sleeps; ``on_sleep`` runs at each sleep."""

    def __init__(self, on_sleep: Any) -> None:
        self.now = 0.0
        self._on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self._on_sleep(self.now)


def windowed(mapping: EventSourceMapping, seconds: float, batch_size: int = 10) -> EventSourceMapping:
    return EventSourceMapping(
        mapping.queue_url,
        mapping.queue_arn,
        batch_size=batch_size,
        visibility_timeout_seconds=1,
        maximum_batching_window_seconds=seconds,
    )


def test_a_batching_window_gathers_messages_that_arrive_within_it_into_one_batch(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "windowed")
    sqs.send_message(QueueUrl=mapping.queue_url, MessageBody="first")
    sleeps: list[float] = []

    def later(now: float) -> None:
        sleeps.append(now)
        if len(sleeps) in (1, 10):  # 0.05 s and 0.5 s after the first message: inside the 1 s window
            sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=f"after sleep {len(sleeps)}")

    time = FakeTime(later)
    function = RecordingFunction()
    source = SqsEventSource(sqs, windowed(mapping, 1.0), function, clock=time.clock, sleep=time.sleep)

    source.poll_once()

    assert len(function.events) == 1
    assert [record["body"] for record in function.records] == ["first", "after sleep 1", "after sleep 10"]
    assert time.now == pytest.approx(1.0)  # the batch was not full: it waited the whole window


def test_a_batch_that_fills_within_its_window_is_invoked_at_once(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "fills")
    for index in range(12):
        sqs.send_message(QueueUrl=mapping.queue_url, MessageBody=f"m{index}")
    time = FakeTime(lambda _: None)
    function = RecordingFunction()
    source = SqsEventSource(
        sqs, windowed(mapping, 5.0, batch_size=12), function, clock=time.clock, sleep=time.sleep
    )

    source.poll_once()

    assert [len(event["Records"]) for event in function.events] == [12]  # two receives: 10 at most a call
    assert time.now == 0.0


def test_without_a_window_a_batch_is_what_one_receive_gives(sqs: SQSClient) -> None:
    mapping = make_queue(sqs, "unwindowed")
    sqs.send_message(QueueUrl=mapping.queue_url, MessageBody="first")
    time = FakeTime(lambda now: sqs.send_message(QueueUrl=mapping.queue_url, MessageBody="late"))
    function = RecordingFunction()
    source = SqsEventSource(sqs, mapping, function, clock=time.clock, sleep=time.sleep)

    source.poll_once()

    assert [record["body"] for record in function.records] == ["first"]
