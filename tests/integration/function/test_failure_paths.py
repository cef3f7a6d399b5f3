"""Failure paths under real timing: already-done before still-valid, every failure recorded, the last
attempt dead-lettered by the function itself with its reason, dead-lettering once, honest batches."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from task_creator.errors import ConnectThrottled, ConnectUnavailable
from task_creator.handler import lambda_handler
from task_creator.mapping.rules import TaskMapping, load_mapping, parse_mapping
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext, receive_batch, sample
from tests.support import SHIPPED_MAPPING_FILE

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@dataclass
class SettableClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def vip_order(order_id: str, *, follow_up_at: datetime | None = None) -> str:
    event = sample("eventbridge-order-delayed.json")
    event["id"] = f"event-{order_id}"
    event["detail"]["orderId"] = order_id
    event["detail"]["customer"]["tier"] = "vip"
    if follow_up_at is not None:
        event["detail"]["followUpAt"] = follow_up_at.isoformat()
    return json.dumps(event)


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def attributes_of(message: Mapping[str, Any]) -> dict[str, str]:
    return {name: value.get("StringValue", "") for name, value in message["MessageAttributes"].items()}


def on_receive(event: dict[str, Any], count: int) -> dict[str, Any]:
    """The same records as SQS delivers them on their ``count``-th receive."""
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(count)
    return event


def fail_rule_once(function: FunctionUnderTest, has_field: str) -> None:
    """Connect fails the first request carrying ``has_field`` (vip-escalation sends SegmentAttributes)
    with a transient error (a throttle would defer the record instead: test_failure_handling)."""
    throttled: list[bool] = []

    def intercept(request: Mapping[str, Any]) -> None:
        if has_field in request and not throttled:
            throttled.append(True)
            raise ConnectUnavailable("InternalServiceException", "try again")

    function.connect.intercept = intercept


def ingest_depth(function: FunctionUnderTest) -> int:
    attributes = function.sqs.get_queue_attributes(
        QueueUrl=function.ingest_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


# --- 1. already done comes before still valid -------------------------------------------------------


def test_a_created_task_is_not_revalidated_when_its_retry_comes_after_the_follow_up_time(
    function: FunctionUnderTest, context: LambdaContext
):
    clock = SettableClock()
    fail_rule_once(function, "SegmentAttributes")
    event = receive_batch(function, [vip_order("V-1", follow_up_at=START + timedelta(seconds=30))])

    first = lambda_handler(event, context, dependencies=function.build(clock=clock))
    clock.now = START + timedelta(minutes=2)  # the retry comes after followUpAt
    second = lambda_handler(on_receive(event, 2), context, dependencies=function.build(clock=clock))

    assert len(failed_ids(first)) == 1
    assert second == {"batchItemFailures": []}
    assert sorted("SegmentAttributes" in r for r in function.connect.requests) == [False, True]
    assert function.dead_letters() == []


def emitted_totals(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The invocation's EMF totals (the ``service``-only metric line)."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return next(line for line in lines if "rule" not in line)


def test_a_passed_scheduled_time_starts_the_task_now_and_says_so(
    function: FunctionUnderTest, context: LambdaContext, log_output: Any, capsys: pytest.CaptureFixture[str]
):
    clock = SettableClock(now=START + timedelta(minutes=5))
    event = receive_batch(function, [vip_order("V-2", follow_up_at=START)])

    response = lambda_handler(event, context, dependencies=function.build(clock=clock))

    assert response == {"batchItemFailures": []}
    order_delayed = next(r for r in function.connect.requests if "References" in r)
    assert "ScheduledTime" not in order_delayed
    assert "ScheduledTime had passed" in log_output.getvalue()
    assert emitted_totals(capsys)["SchedulesStartedLate"] == [1.0]


def test_a_passed_scheduled_time_dead_letters_when_the_rule_says_so(
    function: FunctionUnderTest, context: LambdaContext
):
    document = json.loads(SHIPPED_MAPPING_FILE.read_text(encoding="utf-8"))
    for rule in document["rules"]:
        if rule.get("action", "create") == "create":
            rule["pastScheduledTime"] = "dead-letter"
    clock = SettableClock(now=START + timedelta(minutes=5))
    event = receive_batch(function, [vip_order("V-3", follow_up_at=START)])

    lambda_handler(event, context, dependencies=function.build(clock=clock, mapping=parse_mapping(document)))

    (letter,) = function.dead_letters()
    attributes = attributes_of(letter)
    assert attributes["ErrorType"] == "LimitViolation"
    assert attributes["Rule"] == "order-delayed"
    assert "ScheduledTime: is in the past" in attributes["ErrorMessage"]


# --- 2. every failure recorded, the last attempt dead-lettered with its reason ----------------------


def two_rule_mapping() -> TaskMapping:
    return parse_mapping(
        {
            "rules": [
                {
                    "name": "empty-name",
                    "match": {"source": ["acme.orders"]},
                    "task": {"Name": "{{ detail.nope }}"},
                },
                {
                    "name": "throttled",
                    "match": {"source": ["acme.orders"]},
                    "task": {"Name": "Order {{ detail.orderId }}"},
                },
            ]
        }
    )


def test_a_permanent_failure_beside_a_throttled_rule_is_logged_and_counted(
    function: FunctionUnderTest, context: LambdaContext, log_output: Any, capsys: pytest.CaptureFixture[str]
):
    function.connect.fail_always = ConnectThrottled("ThrottlingException: Rate exceeded")
    event = receive_batch(function, [vip_order("P-1")])

    response = lambda_handler(event, context, dependencies=function.build(mapping=two_rule_mapping()))

    assert failed_ids(response) == []  # deferred: sent back to its queue, since the throttle was no attempt
    assert function.dead_letters() == []
    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line.startswith("{")]
    failures = {(line.get("rule"), line.get("error_type")) for line in lines if line.get("failure")}
    assert failures == {("empty-name", "MappingError"), ("throttled", "ThrottlingException")}
    totals = emitted_totals(capsys)
    assert totals["PermanentFailures"] == [1.0]
    assert totals["TransientFailures"] == [1.0]


def test_a_record_failing_transiently_on_its_last_receive_is_dead_lettered_with_its_reason(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "Connect had a bad day")
    event = on_receive(receive_batch(function, [vip_order("R-1")]), 5)

    response = lambda_handler(event, context, dependencies=function.build(max_receive_count=5))

    assert response == {"batchItemFailures": []}
    (letter,) = function.dead_letters()
    attributes = attributes_of(letter)
    assert attributes["ErrorType"] == "RetriesExhausted"
    assert "InternalServiceException: Connect had a bad day" in attributes["ErrorMessage"]
    assert attributes["EventId"] == "event-R-1"
    assert attributes["Rule"] == "order-delayed,vip-escalation"
    assert letter["Body"] == event["Records"][0]["body"]


def test_before_its_last_receive_a_failing_record_is_retried(
    function: FunctionUnderTest, context: LambdaContext
):
    function.connect.fail_always = ConnectUnavailable("InternalServiceException", "Connect had a bad day")
    event = on_receive(receive_batch(function, [vip_order("R-2")]), 4)

    response = lambda_handler(event, context, dependencies=function.build(max_receive_count=5))

    assert len(failed_ids(response)) == 1
    assert function.dead_letters() == []


def test_a_raw_payload_dead_lettered_on_its_last_attempt_redrives_to_the_same_task(
    function: FunctionUnderTest, context: LambdaContext
):
    payload = json.dumps({"ticketId": "T-77", "subject": "Printer on fire"})

    def created_but_the_response_was_lost(request: Mapping[str, Any]) -> None:
        function.connect.requests.append(dict(request))
        raise ConnectUnavailable("InternalServiceException", "connection reset")

    function.connect.intercept = created_but_the_response_was_lost
    event = on_receive(receive_batch(function, [payload]), 3)
    lambda_handler(event, context, dependencies=function.build(max_receive_count=3))
    (letter,) = function.dead_letters()
    assert attributes_of(letter)["EventId"] == event["Records"][0]["messageId"]

    function.connect.intercept = None
    function.sqs.send_message(
        QueueUrl=function.ingest_url,
        MessageBody=letter["Body"],
        MessageAttributes=letter["MessageAttributes"],
    )
    redriven = receive_batch(function, [])
    assert redriven["Records"][0]["messageId"] != event["Records"][0]["messageId"]
    lambda_handler(redriven, context, dependencies=function.build(max_receive_count=3))

    tokens = {request["ClientToken"] for request in function.connect.requests}
    assert len(function.connect.requests) == 2
    assert len(tokens) == 1  # the redriven message asks Connect for the same task


def test_a_dead_lettered_record_is_deleted_from_its_queue_at_once(
    function: FunctionUnderTest, context: LambdaContext
):
    event = receive_batch(function, ["not json at all"])

    lambda_handler(event, context, dependencies=function.build())

    assert len(function.dead_letters()) == 1
    assert ingest_depth(function) == 0  # gone even before Lambda would delete it, so no second dead letter


def test_an_unexpected_exception_is_logged_with_its_type_and_retried(
    function: FunctionUnderTest, context: LambdaContext, log_output: Any
):
    def surprise(request: Mapping[str, Any]) -> None:
        raise KeyError("Order 42 for Alice")

    function.connect.intercept = surprise
    event = receive_batch(function, [vip_order("U-1")])

    response = lambda_handler(event, context, dependencies=function.build())

    assert len(failed_ids(response)) == 1
    output = log_output.getvalue()
    assert '"exception_type":"KeyError"' in output
    assert "Alice" not in output


# --- 4. honest batches --------------------------------------------------------------------------------


def test_two_records_for_the_same_task_in_one_batch_make_one_call(
    function: FunctionUnderTest, context: LambdaContext, log_output: Any
):
    def slow_connect(request: Mapping[str, Any]) -> None:
        time.sleep(0.2)  # long enough for the second record to ask for the same task meanwhile

    function.connect.intercept = slow_connect
    published_twice = vip_order("D-1")
    event = receive_batch(function, [published_twice, published_twice])

    response = lambda_handler(event, context, dependencies=function.build(max_parallel_calls=5))

    assert response == {"batchItemFailures": []}
    assert len(function.connect.requests) == 2  # order-delayed and vip-escalation, once each
    assert "LedgerUnavailable" not in log_output.getvalue()
    assert log_output.getvalue().count('"outcome":"duplicate"') == 2


def test_shipped_mapping_fans_a_vip_order_out_to_two_rules() -> None:
    """The scenarios above rely on it."""
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    envelope = json.loads(vip_order("X-1"))

    assert [rule.name for rule in mapping.matching_rules(envelope)] == ["order-delayed", "vip-escalation"]
