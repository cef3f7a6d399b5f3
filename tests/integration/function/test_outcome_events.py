"""Outcome events through the real handler on moto EventBridge: every outcome reaches the bus at least
once with its ContactId or its reason; a failed PutEvents (or a failed entry) retries the record, whose
retry creates nothing and announces what its first attempt did; the function's own events are ignored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from task_creator.dependencies import Dependencies
from task_creator.handler import lambda_handler
from task_creator.mapping.rules import parse_mapping
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext, receive_batch, sample
from tests.integration.function.outcome_support import (
    OUTCOME_SOURCE,
    SENSITIVE,
    FlakyEvents,
    OutcomeInbox,
    by_type,
    outcome_settings,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def inbox(function: FunctionUnderTest) -> OutcomeInbox:
    return OutcomeInbox(function)


def attempted_twice(batch: dict[str, Any], context: LambdaContext, deps: Dependencies) -> tuple[Any, Any]:
    """The batch handled, then its retry: the same messages, received once more."""
    first = lambda_handler(batch, context, dependencies=deps)
    for record in batch["Records"]:
        attributes = record["attributes"]
        attributes["ApproximateReceiveCount"] = str(int(attributes["ApproximateReceiveCount"]) + 1)
    return first, lambda_handler(batch, context, dependencies=deps)


def late_creates_announced(inbox: OutcomeInbox) -> list[str]:
    """The ``applied`` of each Task Completed a create rule announced."""
    completed = by_type(inbox.received()).get("Task Completed", [])
    return [o["detail"]["applied"] for o in completed if o["detail"]["action"] == "create"]


def test_every_created_task_is_announced_with_its_contact_id_and_identifiers_only(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(**outcome_settings())
    batch = sample("sqs-eventbridge-batch.json")

    response = lambda_handler(batch, context, dependencies=deps)

    assert response == {"batchItemFailures": []}
    created = by_type(inbox.received())["Task Created"]
    assert len(created) == len(function.connect.requests) > 0
    tokens = {request["ClientToken"] for request in function.connect.requests}
    assert {outcome["detail"]["clientToken"] for outcome in created} == tokens
    for outcome in created:
        detail = outcome["detail"]
        assert outcome["source"] == OUTCOME_SOURCE
        assert detail["version"] == "1"
        assert detail["action"] == "create"
        assert detail["contactId"].startswith("contact-")
        assert detail["instanceId"] == function.connect.requests[0]["InstanceId"]
        assert all(detail[name] for name in ("eventSource", "eventDetailType", "eventId", "rule"))
        assert not set(SENSITIVE) & set(detail)
    texts = json.dumps([outcome["detail"] for outcome in created])
    for request in function.connect.requests:
        assert request["Name"] not in texts


def test_a_dead_lettered_record_is_announced_with_its_reason_before_its_dead_letter(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(**outcome_settings())

    lambda_handler(receive_batch(function, ["not json"]), context, dependencies=deps)

    (dead_lettered,) = by_type(inbox.received())["Task Dead-Lettered"]
    assert dead_lettered["detail"]["errorType"] == "MalformedEvent"
    assert "not valid JSON" in dead_lettered["detail"]["errorMessage"]
    assert [m["Body"] for m in function.dead_letters()] == ["not json"]


def test_a_failed_entry_retries_its_record_which_creates_nothing_new_and_announces_its_task(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    first_entry_fails = FlakyEvents(lambda call, entry: "InternalFailure" if call == 1 else None)
    deps = function.build(events=first_entry_fails, **outcome_settings())
    order = json.dumps(sample("eventbridge-order-delayed.json"))
    event = receive_batch(function, [order])

    first = lambda_handler(event, context, dependencies=deps)
    created_first = len(function.connect.requests)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = "2"
    second = lambda_handler(event, context, dependencies=deps)

    assert first == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert second == {"batchItemFailures": []}
    assert len(function.connect.requests) == created_first  # the retry created nothing
    announced = inbox.received()
    created = by_type(announced)["Task Created"]
    assert {o["detail"]["clientToken"] for o in created} == {
        r["ClientToken"] for r in function.connect.requests
    }
    assert "Task Duplicate Skipped" not in by_type(announced)  # its own retry, not a duplicate


def test_a_failed_put_events_call_leaves_a_poison_record_on_its_queue_without_a_dead_letter(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(events=FlakyEvents(lambda call, entry: "call"), **outcome_settings())
    event = receive_batch(function, ["not json"])

    response = lambda_handler(event, context, dependencies=deps)

    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert function.dead_letters() == []


def test_another_delivery_of_the_same_event_is_announced_as_a_duplicate(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(**outcome_settings())
    order = json.dumps(sample("eventbridge-order-delayed.json"))

    lambda_handler(receive_batch(function, [order]), context, dependencies=deps)
    created = len(function.connect.requests)
    lambda_handler(receive_batch(function, [order]), context, dependencies=deps)

    announced = by_type(inbox.received())
    assert len(function.connect.requests) == created
    assert len(announced["Task Duplicate Skipped"]) == len(announced["Task Created"]) == created
    assert {o["detail"]["contactId"] for o in announced["Task Duplicate Skipped"]} == {
        o["detail"]["contactId"] for o in announced["Task Created"]
    }


def test_the_functions_own_outcome_events_are_ignored_whatever_the_mapping_says(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    catch_all = parse_mapping(
        {"rules": [{"name": "anything", "match": {"source": [{"prefix": ""}]}, "task": {"Name": "n"}}]}
    )
    deps = function.build(mapping=catch_all, **outcome_settings())
    own = {
        "version": "0",
        "id": "own-1",
        "source": OUTCOME_SOURCE,
        "detail-type": "Task Created",
        "time": "2026-11-23T15:00:00Z",
        "detail": {"version": "1", "eventId": "e", "rule": "anything", "action": "create"},
    }

    response = lambda_handler(receive_batch(function, [json.dumps(own)]), context, dependencies=deps)

    assert response == {"batchItemFailures": []}
    assert function.connect.requests == []
    assert inbox.received() == []


def test_a_follow_up_whose_outcome_was_not_accepted_is_announced_on_its_retry_without_a_second_update(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    second_call_fails = FlakyEvents(lambda call, entry: "InternalFailure" if call == 2 else None)
    deps = function.build(events=second_call_fails, **outcome_settings())
    delayed = json.dumps(sample("eventbridge-order-delayed.json"))
    rescheduled = receive_batch(function, [json.dumps(sample("eventbridge-order-delivery-rescheduled.json"))])
    lambda_handler(receive_batch(function, [delayed]), context, dependencies=deps)

    first, second = attempted_twice(rescheduled, context, deps)

    assert len(first["batchItemFailures"]) == 1
    assert second == {"batchItemFailures": []}
    updates = [call for call in function.connect.lifecycle_calls if call[0].startswith("UpdateContact")]
    assert len({call[0] for call in updates}) == len(updates)  # each Connect call made once
    (updated,) = by_type(inbox.received())["Task Updated"]
    assert updated["detail"]["action"] == "update"
    assert updated["detail"]["taskKeyHash"]


def test_another_delivery_of_a_late_create_is_announced_as_a_duplicate_and_stops_nothing(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(**outcome_settings())
    delayed = json.dumps(sample("eventbridge-order-delayed.json"))
    lambda_handler(
        receive_batch(function, [json.dumps(sample("eventbridge-order-delivered.json"))]),
        context,
        dependencies=deps,
    )
    lambda_handler(receive_batch(function, [delayed]), context, dependencies=deps)  # created, then stopped
    (stopped,) = function.connect.stop_calls()

    again = lambda_handler(receive_batch(function, [delayed]), context, dependencies=deps)  # e.g. a replay

    assert again == {"batchItemFailures": []}
    assert function.connect.stop_calls() == [stopped]
    announced = by_type(inbox.received())
    assert [o["detail"]["applied"] for o in announced["Task Completed"]] == [
        "completion-recorded",
        "late-create-stopped",
    ]
    (duplicate,) = announced["Task Duplicate Skipped"]
    assert (duplicate["detail"]["action"], duplicate["detail"]["contactId"]) == ("create", stopped)


def test_a_late_create_whose_outcome_was_not_accepted_is_announced_on_its_retry_without_a_second_stop(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    second_call_fails = FlakyEvents(lambda call, entry: "InternalFailure" if call == 2 else None)
    deps = function.build(events=second_call_fails, **outcome_settings())
    delivered = receive_batch(function, [json.dumps(sample("eventbridge-order-delivered.json"))])
    lambda_handler(delivered, context, dependencies=deps)
    delayed = receive_batch(function, [json.dumps(sample("eventbridge-order-delayed.json"))])

    first, second = attempted_twice(delayed, context, deps)

    assert len(first["batchItemFailures"]) == 1
    assert second == {"batchItemFailures": []}
    assert len(function.connect.stop_calls()) == 1
    assert late_creates_announced(inbox) == ["late-create-stopped"]


def test_a_late_create_whose_stop_answer_was_lost_is_stopped_on_its_retry_and_announced_once(
    function: FunctionUnderTest, inbox: OutcomeInbox, context: LambdaContext
) -> None:
    deps = function.build(**outcome_settings())
    delivered = receive_batch(function, [json.dumps(sample("eventbridge-order-delivered.json"))])
    lambda_handler(delivered, context, dependencies=deps)
    delayed = receive_batch(function, [json.dumps(sample("eventbridge-order-delayed.json"))])
    function.connect.lost_stop_answers = 1  # the task stops, and the function never hears so

    first, second = attempted_twice(delayed, context, deps)

    assert len(first["batchItemFailures"]) == 1
    assert second == {"batchItemFailures": []}
    assert len(function.connect.requests) == 1
    assert len(set(function.connect.stop_calls())) == 1  # the same task, asked twice: its answer was lost
    assert late_creates_announced(inbox) == ["late-create-stopped"]
