"""Every sample in events/ through the real handler: the requests Connect received, the batch response,
and the DLQ messages a user would see."""

from __future__ import annotations

import io
import json
from typing import Any

from task_creator.handler import lambda_handler
from tests.integration.function.conftest import (
    FLOW_ID,
    INSTANCE_ID,
    FunctionUnderTest,
    LambdaContext,
    sample,
)
from tests.support import create_rules_only


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_direct_eventbridge_event_creates_the_rendered_task(
    function: FunctionUnderTest, context: LambdaContext
):
    result = lambda_handler(sample("eventbridge-order-delayed.json"), context, dependencies=function.build())

    [request] = function.connect.requests
    assert request == {
        "InstanceId": INSTANCE_ID,
        "ContactFlowId": FLOW_ID,
        "Name": "Order ORD-1001 is delayed",
        "Description": "Carrier missed the pickup window",
        "Attributes": {"orderId": "ORD-1001", "customer": "CUST-42", "priority": "high", "delayDays": "2"},
        "References": {
            "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/ORD-1001"},
            "Customer email": {"Type": "EMAIL", "Value": "jane.doe@example.com"},
        },
        "ClientToken": request["ClientToken"],
    }
    assert request["ClientToken"].startswith("tc1-")
    assert result == {
        "eventId": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "tasks": [
            {
                "rule": "order-delayed",
                "contactId": "contact-001",
                "clientToken": request["ClientToken"],
                "duplicate": False,
                "action": "create",
                "applied": "created",
            }
        ],
        "deadLettered": None,
        "ignored": False,
    }


def test_sqs_batch_of_eventbridge_envelopes_fans_out_and_reports_no_failures(
    function: FunctionUnderTest, context: LambdaContext
):
    response = lambda_handler(sample("sqs-eventbridge-batch.json"), context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    assert sorted(function.connect.by_rule_name()) == [
        "Escalate: VIP order ORD-2002",
        "Order ORD-1001 is delayed",
        "Order ORD-2002 is delayed",
        "Payment PAY-7781 failed",
    ]
    payment = next(r for r in function.connect.requests if r["Name"].startswith("Payment"))
    assert payment["References"]["Failed at"] == {"Type": "DATE", "Value": "1795442850"}
    assert payment["References"]["Amount"] == {"Type": "NUMBER", "Value": "129.95"}
    vip = next(r for r in function.connect.requests if r["Name"].startswith("Escalate"))
    assert vip["SegmentAttributes"] == {"connect:Subtype": {"ValueString": "connect:Guide"}}
    assert function.dead_letters() == []


def test_raw_payloads_take_source_and_detail_type_from_message_attributes(
    function: FunctionUnderTest, context: LambdaContext
):
    response = lambda_handler(sample("sqs-raw-payloads.json"), context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    callback, ticket = sorted(function.connect.requests, key=lambda r: r["Name"])
    assert callback["Name"] == "Call back Ana Silva"
    assert callback["Attributes"] == {"phone": "+351912345678", "requestId": "CB-5521"}
    assert ticket["Name"] == "Refund not received"
    assert ticket["References"] == {
        "Ticket": {"Type": "URL", "Value": "https://support.example.com/tickets/T-98231"}
    }


def test_sns_wrapped_record_is_unwrapped(function: FunctionUnderTest, context: LambdaContext):
    response = lambda_handler(sample("sqs-sns-notification.json"), context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    [request] = function.connect.requests
    assert request["Name"] == "Restock SKU-88-RED at LIS-1"
    assert request["Description"] == "Only 3 left (threshold 10)."


def test_fifo_batch_creates_tasks_in_order(function: FunctionUnderTest, context: LambdaContext):
    response = lambda_handler(sample("sqs-fifo-batch.json"), context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    assert function.connect.by_rule_name() == [
        "Shipment SHP-1: delayed",
        "Shipment SHP-1: lost",
        "Shipment SHP-2: damaged",
    ]


def test_poison_records_go_to_the_dlq_with_body_unchanged_and_the_reason(
    function: FunctionUnderTest, context: LambdaContext
):
    event = sample("sqs-poison-records.json")

    response = lambda_handler(event, context, dependencies=function.build())

    assert response == {"batchItemFailures": []}
    assert function.connect.requests == []
    letters = {attributes(m)["EventId"]: m for m in function.dead_letters()}
    bodies = {record["messageId"]: record["body"] for record in event["Records"]}
    not_json = letters["d0000001-0000-4000-8000-000000000001"]
    assert not_json["Body"] == bodies["d0000001-0000-4000-8000-000000000001"]
    assert attributes(not_json)["ErrorType"] == "MalformedEvent"
    assert "not valid JSON" in attributes(not_json)["ErrorMessage"]
    unmatched = letters["7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"]
    assert unmatched["Body"] == bodies["d0000002-0000-4000-8000-000000000002"]
    assert attributes(unmatched)["ErrorType"] == "UnmatchedEvent"
    empty_name = letters["d0000003-0000-4000-8000-000000000003"]
    assert empty_name["Body"] == bodies["d0000003-0000-4000-8000-000000000003"]
    assert attributes(empty_name) | {"FailedAt": "-"} == {
        "ErrorType": "MappingError",
        "ErrorMessage": "[support-ticket] Name rendered empty for this event",
        "Rule": "support-ticket",
        "EventId": "d0000003-0000-4000-8000-000000000003",
        "SourceArn": "arn:aws:sqs:us-east-1:123456789012:task-creator-ingest",
        "FailedAt": "-",
    }


def test_redelivered_batch_creates_no_second_task(function: FunctionUnderTest, context: LambdaContext):
    deps = function.build()
    event = sample("sqs-eventbridge-batch.json")

    lambda_handler(event, context, dependencies=deps)
    again = lambda_handler(event, context, dependencies=deps)

    assert again == {"batchItemFailures": []}
    assert len(function.connect.requests) == 4


def test_replayed_eventbridge_event_reports_the_stored_contact_id(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build()
    first = lambda_handler(sample("eventbridge-order-delayed.json"), context, dependencies=deps)
    replay = lambda_handler(sample("eventbridge-order-delayed.json"), context, dependencies=deps)

    assert len(function.connect.requests) == 1
    assert replay["tasks"] == [{**first["tasks"][0], "duplicate": True}]


def test_the_same_order_through_sqs_reuses_the_client_token_of_the_direct_event(
    function: FunctionUnderTest, context: LambdaContext
):
    lambda_handler(
        sample("eventbridge-order-delayed.json"),
        context,
        dependencies=function.build(idempotency=False, mapping=create_rules_only()),
    )
    lambda_handler(
        sample("sqs-eventbridge-batch.json"),
        context,
        dependencies=function.build(idempotency=False, mapping=create_rules_only()),
    )

    tokens = [r["ClientToken"] for r in function.connect.requests if r["Name"] == "Order ORD-1001 is delayed"]
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]


def test_logs_never_carry_task_content(
    function: FunctionUnderTest, context: LambdaContext, log_output: io.StringIO
):
    lambda_handler(sample("sqs-eventbridge-batch.json"), context, dependencies=function.build())
    lambda_handler(sample("sqs-poison-records.json"), context, dependencies=function.build())

    output = log_output.getvalue()
    assert '"client_token":"tc1-' in output
    assert '"contact_id":"contact-001"' in output
    assert '"correlation_id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718"' in output  # the event id
    for request in function.connect.requests:
        references = [reference["Value"] for reference in request.get("References", {}).values()]
        content = [
            request["Name"],
            request["Description"],
            *request.get("Attributes", {}).values(),
            *references,
        ]
        for sensitive in (value for value in content if len(value) >= 5):  # "2" is in every timestamp
            assert sensitive not in output, sensitive
    assert "someone@example.com" not in output  # a poison record's payload


def test_metrics_count_tasks_per_rule_and_in_total(
    function: FunctionUnderTest, context: LambdaContext, capsys: Any
):
    lambda_handler(sample("sqs-eventbridge-batch.json"), context, dependencies=function.build())

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    totals = next(b for b in blobs if "rule" not in b)
    assert totals["TasksCreated"] == [4.0]
    per_rule = {b["rule"]: b["TasksCreated"] for b in blobs if "rule" in b}
    assert per_rule == {"order-delayed": [2.0], "payment-failed": [1.0], "vip-escalation": [1.0]}
    assert all(b["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TaskCreator" for b in blobs)


def test_consecutive_batches_in_one_container_both_succeed_on_its_collaborators(
    function: FunctionUnderTest, context: LambdaContext
):
    deps = function.build(idempotency=False, mapping=create_rules_only())

    first = lambda_handler(sample("sqs-eventbridge-batch.json"), context, dependencies=deps)
    second = lambda_handler(sample("sqs-raw-payloads.json"), context, dependencies=deps)

    assert first == second == {"batchItemFailures": []}
    assert len(function.connect.requests) == 6
