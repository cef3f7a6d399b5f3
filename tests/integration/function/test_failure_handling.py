"""What happens to a record when something fails: retried (transient) or dead-lettered (permanent)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from task_creator.errors import ConnectRejected, ConnectThrottled, ConnectUnavailable, TransientFailure
from task_creator.handler import lambda_handler
from tests.integration.function.conftest import (
    FunctionUnderTest,
    LambdaContext,
    receive_batch,
    received_as_lambda_record,
    sample,
)


def order_event(order_id: str, *, tier: str = "standard") -> str:
    event = sample("eventbridge-order-delayed.json")
    event["id"] = f"event-{order_id}"
    event["detail"]["orderId"] = order_id
    event["detail"]["customer"]["tier"] = tier
    return json.dumps(event)


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def dead_letter_attributes(function: FunctionUnderTest) -> list[dict[str, str]]:
    return [
        {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
        for message in function.dead_letters()
    ]


def test_transient_failure_reports_only_that_record(function: FunctionUnderTest, context: LambdaContext):
    def fails_a1(request: Mapping[str, Any]) -> None:
        if request["Attributes"]["orderId"] == "A-1":
            raise ConnectUnavailable("InternalServiceException", "try again")

    function.connect.intercept = fails_a1
    event = receive_batch(function, [order_event("A-1"), order_event("A-2")])
    a1 = next(r["messageId"] for r in event["Records"] if "A-1" in r["body"])

    response = lambda_handler(event, context, dependencies=function.build())

    assert failed_ids(response) == [a1]
    assert [r["Attributes"]["orderId"] for r in function.connect.requests] == ["A-2"]
    assert function.dead_letters() == []


def test_transient_failure_extends_visibility_for_backoff(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "boom")
    event = receive_batch(function, [order_event("B-1")])
    function.sqs.change_message_visibility(
        QueueUrl=function.ingest_url, ReceiptHandle=event["Records"][0]["receiptHandle"], VisibilityTimeout=0
    )

    lambda_handler(event, context, dependencies=function.build())

    # Back-off made the message invisible again instead of letting it reappear at once.
    visible = function.sqs.receive_message(QueueUrl=function.ingest_url, WaitTimeSeconds=0).get(
        "Messages", []
    )
    assert visible == []


def test_a_batch_in_which_every_record_failed_is_answered_not_raised(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "try again")
    event = receive_batch(function, [order_event("C-1"), order_event("C-2"), order_event("C-3")])

    response = lambda_handler(event, context, dependencies=function.build())

    assert sorted(failed_ids(response)) == sorted(r["messageId"] for r in event["Records"])


def test_connect_rejection_goes_to_the_dlq_at_once(function: FunctionUnderTest, context: LambdaContext):
    function.connect.fail_always = ConnectRejected("ResourceNotFoundException", "Contact flow not found")
    event = receive_batch(function, [order_event("D-1")])

    response = lambda_handler(event, context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    [letter] = dead_letter_attributes(function)
    assert letter["ErrorType"] == "ResourceNotFoundException"
    assert letter["Rule"] == "order-delayed"
    assert letter["EventId"] == "event-D-1"


def test_dlq_write_failure_keeps_the_record_on_its_queue(function: FunctionUnderTest, context: LambdaContext):
    deps = function.build(dlq_url=function.dlq_url.replace("task-creator-dlq", "no-such-queue"))
    event = sample("sqs-poison-records.json")

    response = lambda_handler(event, context, dependencies=deps)

    assert sorted(failed_ids(response)) == sorted(r["messageId"] for r in event["Records"])


def test_fan_out_retry_creates_only_the_missing_task(function: FunctionUnderTest, context: LambdaContext):
    deps = function.build()
    vip_order = order_event("E-1", tier="vip")
    # order-delayed succeeds, vip-escalation fails transiently: the record is retried as a whole.
    calls = {"vip": 0}

    def fails_the_first_escalation(request: Mapping[str, Any]) -> None:
        if request["Name"].startswith("Escalate") and calls["vip"] == 0:
            calls["vip"] += 1
            raise ConnectUnavailable("InternalServiceException", "try again")

    function.connect.intercept = fails_the_first_escalation
    first = lambda_handler(receive_batch(function, [vip_order]), context, dependencies=deps)
    assert len(first["batchItemFailures"]) == 1
    function.sqs.purge_queue(QueueUrl=function.ingest_url)

    second = lambda_handler(receive_batch(function, [vip_order]), context, dependencies=deps)

    assert second == {"batchItemFailures": []}
    assert sorted(function.connect.by_rule_name()) == ["Escalate: VIP order E-1", "Order E-1 is delayed"]


def test_fifo_failure_holds_back_only_its_message_group(function: FunctionUnderTest, context: LambdaContext):
    function.connect.failures = [ConnectThrottled("ThrottlingException: Rate exceeded")]
    event = sample("sqs-fifo-batch.json")

    response = lambda_handler(event, context, dependencies=function.build())

    shp1 = [r["messageId"] for r in event["Records"] if r["attributes"]["MessageGroupId"] == "SHP-1"]
    assert sorted(failed_ids(response)) == sorted(shp1)
    assert function.connect.by_rule_name() == ["Shipment SHP-2: damaged"]


def test_direct_invocation_raises_on_transient_failure_so_lambda_retries(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "boom")

    with pytest.raises(TransientFailure):
        lambda_handler(sample("eventbridge-order-delayed.json"), context, dependencies=function.build())


def test_direct_invocation_dead_letters_a_permanent_failure_and_returns(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectRejected("InvalidParameterException", "bad")
    event = sample("eventbridge-order-delayed.json")

    result = lambda_handler(event, context, dependencies=function.build())

    assert result["deadLettered"].startswith("InvalidParameterException")
    [message] = function.dead_letters()
    assert json.loads(message["Body"]) == event


def test_a_record_with_no_call_slot_soon_is_sent_back_delayed_to_its_slot_not_waited_for(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build(connect_calls_per_second=0.01)  # the second token comes 100 s later
    event = receive_batch(function, [order_event("F-1"), order_event("F-2")])

    response = lambda_handler(event, context, dependencies=deps)

    assert len(function.connect.requests) == 1
    assert response == {"batchItemFailures": []}  # the old message is done: its copy waits delayed
    assert queue_counts(function) == {"visible": 0, "delayed": 1}


def test_a_record_deferred_for_its_slot_never_touches_the_ledger(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build(connect_calls_per_second=0.01, max_parallel_calls=1)  # the next token: 100 s
    ledger_calls: list[str] = []
    function.dynamodb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: ledger_calls.append(model.name)
    )
    event = receive_batch(function, [order_event("F-5"), order_event("F-6")])

    lambda_handler(event, context, dependencies=deps)

    assert len(function.connect.requests) == 1
    assert queue_counts(function) == {"visible": 0, "delayed": 1}
    # One claim (PutItem), the created record's; none released (DeleteItem): the deferred one made none.
    assert (ledger_calls.count("PutItem"), ledger_calls.count("DeleteItem")) == (1, 0)


def test_a_follow_up_applied_before_takes_no_call_slot_from_the_records_that_need_one(
    function: FunctionUnderTest, context: LambdaContext
):
    rescheduled = json.dumps(sample("eventbridge-order-delivery-rescheduled.json"))
    applied = function.build()
    lambda_handler(receive_batch(function, [order_event("ORD-1001")]), context, dependencies=applied)
    lambda_handler(receive_batch(function, [rescheduled]), context, dependencies=applied)
    calls_before = len(function.connect.lifecycle_calls)
    # One call slot, then the next in 100 s; the records run one at a time, the replayed update first.
    deps = function.build(connect_calls_per_second=0.01, max_parallel_calls=1)
    event = receive_batch(function, [rescheduled, order_event("F-7")])

    response = lambda_handler(event, context, dependencies=deps)

    assert response == {"batchItemFailures": []}
    assert len(function.connect.lifecycle_calls) == calls_before  # the update again: nothing to call
    assert len(function.connect.requests) == 2  # so F-7 had the slot, and was not deferred
    assert queue_counts(function) == {"visible": 0, "delayed": 0}


def test_a_throttled_record_is_sent_back_as_a_new_message_that_keeps_its_identity_and_attempts(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.failures = [ConnectThrottled("ThrottlingException: Rate exceeded")]
    deps = function.build(retry_base_delay_seconds=1)
    event = receive_batch(function, [order_event("F-3")])
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"  # two attempts before this one

    response = lambda_handler(event, context, dependencies=deps)

    assert response == {"batchItemFailures": []}
    assert function.dead_letters() == []
    (again,) = receive_when_due(function)
    assert again["Body"] == event["Records"][0]["body"]
    assert {name: value["StringValue"] for name, value in again["MessageAttributes"].items()} == {
        "TaskCreatorAttempts": "2",  # the throttled receive was not an attempt
        "TaskCreatorDeliveryId": event["Records"][0]["messageId"],
        "EventId": "event-F-3",
    }
    assert again["Attributes"]["ApproximateReceiveCount"] == "1"


def test_a_record_deferred_on_its_last_receive_is_not_dead_lettered_but_its_attempts_still_count(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build(retry_base_delay_seconds=1, max_receive_count=3)
    function.connect.failures = [ConnectThrottled("ThrottlingException: Rate exceeded")]
    event = receive_batch(function, [order_event("F-4")])
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"
    assert lambda_handler(event, context, dependencies=deps) == {"batchItemFailures": []}
    assert function.dead_letters() == []
    (again,) = receive_when_due(function)
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "try again")

    queue_arn = event["Records"][0]["eventSourceARN"]
    lambda_handler({"Records": [received_as_lambda_record(again, queue_arn)]}, context, dependencies=deps)

    (letter,) = function.dead_letters()  # 2 attempts before + this one = the budget of 3
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "RetriesExhausted"


def test_a_deferred_record_and_the_original_it_came_from_reach_the_dlq_once_between_them(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build(retry_base_delay_seconds=1)
    event = receive_batch(function, [order_event("F-7")])
    function.connect.failures = [ConnectThrottled("ThrottlingException: Rate exceeded")]
    assert lambda_handler(event, context, dependencies=deps) == {"batchItemFailures": []}  # a copy, delayed
    # The batch response is lost: the event source deletes nothing, and the original comes back.
    function.connect.fail_always = ConnectRejected("InvalidParameterException", "bad reference")
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    lambda_handler(event, context, dependencies=deps)
    (letter,) = function.dead_letters()  # taken off the DLQ: what comes after is counted alone
    (copy,) = receive_when_due(function)

    queue_arn = event["Records"][0]["eventSourceARN"]
    lambda_handler({"Records": [received_as_lambda_record(copy, queue_arn)]}, context, dependencies=deps)

    assert function.dead_letters() == []  # the copy failed the same way: not dead-lettered again
    assert letter["Body"] == event["Records"][0]["body"]
    assert queue_counts(function) == {"visible": 0, "delayed": 0}  # and it is off the queue


def test_records_of_a_standard_batch_run_concurrently(function: FunctionUnderTest, context: LambdaContext):
    parallel = 5
    barrier = threading.Barrier(parallel, timeout=10)

    def meets_the_others(request: Mapping[str, Any]) -> None:
        barrier.wait()  # breaks (and the record fails) unless `parallel` calls are in flight together

    function.connect.intercept = meets_the_others
    event = receive_batch(function, [order_event(f"G-{i}") for i in range(parallel)])

    response = lambda_handler(event, context, dependencies=function.build(max_parallel_calls=parallel))

    assert response == {"batchItemFailures": []}
    assert len(function.connect.requests) == parallel


def test_redriven_raw_payload_creates_only_the_task_that_failed(
    function: FunctionUnderTest, context: LambdaContext, tmp_path: Path
):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "rules": [
                    {"name": "first", "match": {"source": ["sqs"]}, "task": {"Name": "first {{ detail.n }}"}},
                    {
                        "name": "second",
                        "match": {"source": ["sqs"]},
                        "task": {"Name": "second {{ detail.n }}"},
                    },
                ]
            }
        )
    )
    deps = function.build(mapping_file=mapping)
    calls = {"second": 0}

    def rejects_the_second_rule_once(request: Mapping[str, Any]) -> None:
        if request["Name"].startswith("second") and calls["second"] == 0:
            calls["second"] += 1
            raise ConnectRejected("ResourceNotFoundException", "Contact flow not found")

    function.connect.intercept = rejects_the_second_rule_once
    lambda_handler(receive_batch(function, ['{"n": 1}']), context, dependencies=deps)
    [letter] = function.dead_letters()

    # After the fix, an operator moves the message back: same body and attributes, a new messageId.
    function.sqs.purge_queue(QueueUrl=function.ingest_url)
    function.sqs.send_message(
        QueueUrl=function.ingest_url,
        MessageBody=letter["Body"],
        MessageAttributes=letter["MessageAttributes"],
    )
    event = receive_batch(function, [])
    response = lambda_handler(event, context, dependencies=deps)

    assert response == {"batchItemFailures": []}
    assert function.connect.by_rule_name() == ["first 1", "second 1"]


def test_records_left_when_the_invocation_is_about_to_time_out_are_retried_not_started(
    function: FunctionUnderTest, context: LambdaContext
):
    context.remaining_millis = 1_000  # less than the safety margin: no time to call Connect
    event = receive_batch(function, [order_event("H-1"), order_event("H-2")])

    response = lambda_handler(event, context, dependencies=function.build())

    assert response == {"batchItemFailures": []}  # both sent back for the next invocation, delayed
    assert function.connect.requests == []
    assert queue_counts(function) == {"visible": 0, "delayed": 2}


def test_a_dlq_that_cannot_be_written_counts_the_failure_and_a_transient_dlq_failure(
    function: FunctionUnderTest, context: LambdaContext, capsys: pytest.CaptureFixture[str]
):
    deps = function.build(dlq_url=None)

    lambda_handler(sample("sqs-poison-records.json"), context, dependencies=deps)

    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    totals = next(blob for blob in metrics if "rule" not in blob)
    assert totals["PermanentFailures"] == [3.0]  # every failure is counted, on every attempt
    assert totals["TransientFailures"] == [3.0]  # and the DLQ write that failed for each


def queue_counts(function: FunctionUnderTest) -> dict[str, int]:
    """The ingest queue's messages, beside those the test received (in flight): visible and delayed."""
    attributes = function.sqs.get_queue_attributes(
        QueueUrl=function.ingest_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return {
        "visible": int(attributes["ApproximateNumberOfMessages"]),
        "delayed": int(attributes["ApproximateNumberOfMessagesDelayed"]),
    }


def receive_when_due(function: FunctionUnderTest, *, within_seconds: float = 5) -> list[dict[str, Any]]:
    """The messages sent back to the ingest queue, once their delay has passed."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        messages = function.sqs.receive_message(
            QueueUrl=function.ingest_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if messages:
            return list(messages)
    return []
