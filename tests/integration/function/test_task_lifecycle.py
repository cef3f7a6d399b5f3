"""Follow-up events update, reschedule and complete the task of their key, in every arrival order."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from task_creator.errors import SettingsError
from task_creator.handler import lambda_handler
from task_creator.mapping.rules import TaskMapping, parse_mapping
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext, receive_batch

pytestmark = pytest.mark.integration

MAX_RECEIVES = 5


def lifecycle_mapping() -> TaskMapping:
    order = {"source": ["acme.orders"]}
    key = "order:{{ detail.orderId }}"
    return parse_mapping(
        {
            "rules": [
                {
                    "name": "order-delayed",
                    "match": {**order, "detail-type": ["OrderDelayed"]},
                    "eventId": "{{ detail.orderId }}",
                    "taskKey": key,
                    "task": {"Name": "Order {{ detail.orderId }} is delayed"},
                },
                {
                    "name": "order-rescheduled",
                    "action": "update",
                    "match": {**order, "detail-type": ["OrderDeliveryRescheduled"]},
                    "taskKey": key,
                    "task": {
                        "Description": "Delivery moved to {{ detail.deliveryDate }}",
                        "Attributes": {"deliveryDate": "{{ detail.deliveryDate }}"},
                    },
                },
                {
                    "name": "order-delivered",
                    "action": "complete",
                    "match": {**order, "detail-type": ["OrderDelivered"]},
                    "taskKey": key,
                },
            ]
        }
    )


def order_event(kind: str, minute: int, order_id: str = "ORD-1", **detail: Any) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": f"{kind}-{order_id}-{minute}",
            "source": "acme.orders",
            "detail-type": kind,
            "account": "123456789012",
            "time": f"2026-11-23T14:{minute:02d}:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"orderId": order_id, **detail},
        }
    )


CREATE = order_event("OrderDelayed", 0)
UPDATE = order_event("OrderDeliveryRescheduled", 10, deliveryDate="2026-11-26")
COMPLETE = order_event("OrderDelivered", 20)


def deliver(function: FunctionUnderTest, context: LambdaContext, bodies: list[str]) -> list[dict[str, Any]]:
    """Deliver ``bodies`` one record at a time, in order, retrying what fails (as SQS would, with the
    receive count climbing) after the rest; returns the DLQ messages."""
    dependencies = function.build(mapping=lifecycle_mapping(), max_receive_count=MAX_RECEIVES)
    pending = [(body, 1) for body in bodies]
    while pending:
        body, receive = pending.pop(0)
        event = receive_batch(function, [body])
        for record in event["Records"]:
            record["attributes"]["ApproximateReceiveCount"] = str(receive)
        response = lambda_handler(event, context, dependencies=dependencies)
        if response["batchItemFailures"]:
            assert receive < MAX_RECEIVES, "a failed record must be dead-lettered on its last receive"
            pending.append((body, receive + 1))
        for record in event["Records"]:  # done with this receive, as the event source would be
            function.sqs.delete_message(QueueUrl=function.ingest_url, ReceiptHandle=record["receiptHandle"])
    return function.dead_letters()


def calls(function: FunctionUnderTest, operation: str) -> list[tuple[str, Any]]:
    return [(contact, sent) for name, contact, sent in function.connect.lifecycle_calls if name == operation]


def test_in_order_the_task_is_created_updated_and_completed(
    function: FunctionUnderTest, context: LambdaContext
):
    dead = deliver(function, context, [CREATE, UPDATE, COMPLETE])

    assert dead == []
    (created,) = function.connect.requests
    assert created["Name"] == "Order ORD-1 is delayed"
    contact = "contact-001"
    assert calls(function, "UpdateContact") == [(contact, {"Description": "Delivery moved to 2026-11-26"})]
    assert calls(function, "UpdateContactAttributes") == [(contact, {"deliveryDate": "2026-11-26"})]
    assert calls(function, "StopContact") == [(contact, None)]


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["create", "update", "complete"])), ids="-".join
)
def test_every_arrival_order_ends_with_no_open_task_and_nothing_applied_after_completion(
    function: FunctionUnderTest, context: LambdaContext, order: tuple[str, ...]
):
    bodies = {"create": CREATE, "update": UPDATE, "complete": COMPLETE}

    dead = deliver(function, context, [bodies[step] for step in order])

    assert dead == []
    created = {f"contact-{n:03d}" for n in range(1, len(function.connect.requests) + 1)}
    stopped = {contact for contact, _ in calls(function, "StopContact")}
    assert created <= stopped  # the complete closed every task the create opened, whatever came first
    operations = [name for name, _, _ in function.connect.lifecycle_calls]
    if "StopContact" in operations:
        assert "UpdateContact" not in operations[operations.index("StopContact") + 1 :]
    if order.index("create") < order.index("complete"):
        assert len(function.connect.requests) == 1  # in-order end state: the task existed, then closed


def test_the_same_follow_up_applied_twice_changes_nothing_the_second_time(
    function: FunctionUnderTest, context: LambdaContext
):
    dead = deliver(function, context, [CREATE, UPDATE, UPDATE])

    assert dead == []
    assert len(calls(function, "UpdateContact")) == 1


def test_an_update_older_than_the_last_applied_is_skipped(
    function: FunctionUnderTest, context: LambdaContext
):
    older = order_event("OrderDeliveryRescheduled", 5, deliveryDate="2026-11-25")

    dead = deliver(function, context, [CREATE, UPDATE, older])

    assert dead == []
    assert calls(function, "UpdateContact") == [
        ("contact-001", {"Description": "Delivery moved to 2026-11-26"})
    ]


def test_an_update_whose_task_never_comes_is_dead_lettered_as_no_task_for_key(
    function: FunctionUnderTest, context: LambdaContext
):
    (letter,) = deliver(function, context, [UPDATE])

    assert function.connect.lifecycle_calls == []
    assert letter["Body"] == UPDATE
    assert letter["MessageAttributes"]["ErrorType"]["StringValue"] == "NoTaskForKey"
    assert letter["MessageAttributes"]["Rule"]["StringValue"] == "order-rescheduled"


def test_lifecycle_rules_without_the_ledger_table_refuse_to_start(function: FunctionUnderTest):
    with pytest.raises(SettingsError, match="IDEMPOTENCY_TABLE"):
        function.build(mapping=lifecycle_mapping(), idempotency=False)


def test_no_update_reaches_a_task_whose_stop_answer_was_lost_until_the_complete_settles_it(
    function: FunctionUnderTest, context: LambdaContext
):
    dependencies = function.build(mapping=lifecycle_mapping(), max_receive_count=MAX_RECEIVES)

    def once(body: str) -> dict[str, Any]:
        event = receive_batch(function, [body])
        response: dict[str, Any] = lambda_handler(event, context, dependencies=dependencies)
        for record in event["Records"]:
            function.sqs.delete_message(QueueUrl=function.ingest_url, ReceiptHandle=record["receiptHandle"])
        return response

    once(CREATE)
    function.connect.lost_stop_answers = 1  # the task stops; the function is told it failed
    assert once(COMPLETE)["batchItemFailures"]
    assert once(UPDATE)["batchItemFailures"]  # waits: the stop's outcome is not known yet
    assert once(COMPLETE) == {"batchItemFailures": []}
    assert once(UPDATE) == {"batchItemFailures": []}  # now skipped: the task is completed

    assert calls(function, "UpdateContact") == []
    assert calls(function, "UpdateContactAttributes") == []
    assert function.dead_letters() == []
