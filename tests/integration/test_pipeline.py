"""The whole pipeline offline: bus rule -> ingest queue -> event source loop -> the real handler ->
the Connect emulator | the DLQ, on moto. Each test publishes the way production traffic arrives and
asserts what a user would see: the request Connect received, the DLQ message."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator, RateLimit
from local.event_source import SqsEventSource
from local.event_source import drain as drain_sources
from local.function_output import OutcomeRecorder
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline
from task_creator.mapping.token import client_token
from task_creator.observability import Outcome
from tests.integration.pipeline_support import (
    DRAIN_TIMEOUT_SECONDS,
    dead_letters,
    drain,
    put_event,
    sample,
    send_fifo_message,
    send_message,
    task_names,
)

PipelineFactory = Callable[..., LocalPipeline]


def test_eventbridge_event_becomes_exactly_one_task_with_the_expected_request(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    pipeline = make_pipeline()
    event = sample("eventbridge-payment-failed.json")

    put_event(embedded_aws, pipeline, event)
    drain(pipeline)

    (task,) = connect_emulator.tasks()
    event_time = int(datetime(2026, 11, 23, 14, 7, 30, tzinfo=UTC).timestamp())  # the event's "time"
    assert task.request == {
        "InstanceId": LOCAL_INSTANCE_ID,
        "ContactFlowId": LOCAL_CONTACT_FLOW_ID,
        "Name": "Payment PAY-7781 failed",
        "Description": "card_declined: retry or contact the customer.",
        "Attributes": {"paymentId": "PAY-7781", "amount": "129.95"},
        "References": {
            "Amount": {"Type": "NUMBER", "Value": "129.95"},
            "Failed at": {"Type": "DATE", "Value": str(event_time)},
            "Payment": {"Type": "STRING", "Value": "PAY-7781"},
        },
        # The rule's eventId is the payment id: the token does not depend on the id EventBridge assigned.
        "ClientToken": client_token(pipeline.config.token_namespace, "payment-failed", "PAY-7781"),
    }
    assert dead_letters(embedded_aws, pipeline) == []


def test_redelivered_message_creates_no_second_task(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    pipeline = make_pipeline()
    crashes = iter([True])

    def crash_after_the_handler_once(event: dict[str, Any], context: LocalLambdaContext) -> Any:
        response = pipeline.invoke(event, context)
        if next(crashes, False):
            raise TimeoutError("the invocation timed out after the task was created")
        return response

    event_source = SqsEventSource(
        embedded_aws.sqs(), pipeline.event_source.mapping, crash_after_the_handler_once
    )
    send_message(embedded_aws, pipeline, json.dumps(sample("eventbridge-payment-failed.json")))

    report = drain_sources([event_source], timeout_seconds=DRAIN_TIMEOUT_SECONDS)

    assert (report.received, report.deleted) == (2, 1)  # the same message, received twice
    assert task_names(connect_emulator.tasks()) == ["Payment PAY-7781 failed"]
    assert [o.outcome for o in function_outcomes.outcomes()] == [Outcome.CREATED, Outcome.DUPLICATE]
    assert dead_letters(embedded_aws, pipeline) == []


def test_event_delivered_twice_with_the_same_id_creates_one_task(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    pipeline = make_pipeline()
    # Rule stock-low has no eventId: the identity is the event's id, here the SNS MessageId.
    notification = sample("sqs-sns-notification.json")["Records"][0]["body"]

    send_message(embedded_aws, pipeline, notification)
    send_message(embedded_aws, pipeline, notification)
    drain(pipeline)

    assert task_names(connect_emulator.tasks()) == ["Restock SKU-88-RED at LIS-1"]


def test_republished_event_creates_no_second_task(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    pipeline = make_pipeline()
    event = sample("eventbridge-order-delayed.json")  # rule order-delayed: eventId = detail.orderId

    first_id = put_event(embedded_aws, pipeline, event)
    drain(pipeline)
    second_id = put_event(embedded_aws, pipeline, event)
    drain(pipeline)

    assert first_id != second_id  # EventBridge gave the re-published event a new id
    assert task_names(connect_emulator.tasks()) == ["Order ORD-1001 is delayed"]
    (duplicate,) = function_outcomes.outcomes()[1:]
    assert (duplicate.outcome, duplicate.event_id) == (Outcome.DUPLICATE, second_id)
    assert connect_emulator.counters().calls == 1  # the ledger answered; Connect was not called again


def test_poison_record_lands_in_the_dlq_with_its_reason_and_body_unchanged(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    pipeline = make_pipeline()
    body = sample("sqs-poison-records.json")["Records"][0]["body"]  # not JSON

    message_id = send_message(embedded_aws, pipeline, body)
    drain(pipeline)

    (letter,) = dead_letters(embedded_aws, pipeline)
    assert letter.body == body
    assert letter.error_type == "MalformedEvent"
    assert "not valid JSON" in (letter.error_message or "")
    assert letter.attribute("EventId") == message_id
    assert letter.attribute("SourceArn") == pipeline.topology.ingest_queue.arn
    assert connect_emulator.tasks() == []
    assert pipeline.event_source.depth().empty


def test_throttled_connect_still_creates_every_task_and_dead_letters_nothing(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    pipeline = make_pipeline()
    connect_emulator.set_faults(
        dataclasses.replace(connect_emulator.faults, rate_limit=RateLimit(requests_per_second=5, burst=1))
    )
    event = sample("eventbridge-order-delayed.json")
    order_ids = [f"ORD-T{index}" for index in range(10)]
    for order_id in order_ids:  # one batch of 10, run 5 at a time: far above 5 calls per second, burst 1
        put_event(embedded_aws, pipeline, {**event, "detail": {**event["detail"], "orderId": order_id}})

    drain(pipeline)

    assert sorted(task_names(connect_emulator.tasks())) == sorted(f"Order {o} is delayed" for o in order_ids)
    assert connect_emulator.counters().throttles > 0
    assert dead_letters(embedded_aws, pipeline) == []


def test_transient_failure_that_never_clears_is_dead_lettered_with_its_reason_on_the_last_attempt(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    pipeline = make_pipeline(maxReceiveCount=2)
    connect_emulator.set_faults(dataclasses.replace(connect_emulator.faults, active_task_quota=0))
    body = json.dumps(sample("eventbridge-payment-failed.json"))

    send_message(embedded_aws, pipeline, body)
    drain(pipeline)

    (letter,) = dead_letters(embedded_aws, pipeline)
    assert letter.body == body
    assert letter.error_type == "RetriesExhausted"  # by the function, with its reason, not by SQS's redrive
    assert "ServiceQuotaExceededException" in (letter.error_message or "")
    assert letter.attribute("EventId") == json.loads(body)["id"]
    outcomes = [(o.outcome, o.error_type) for o in function_outcomes.outcomes() if o.error_type]
    assert outcomes == [
        (Outcome.RETRY, "ServiceQuotaExceededException"),
        (Outcome.DEAD_LETTER, "ServiceQuotaExceededException"),
    ]
    assert connect_emulator.tasks() == []


def test_fifo_order_is_kept_within_a_message_group(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    pipeline = make_pipeline(fifo=True, stackName="Shipping")
    connect_emulator.set_faults(
        dataclasses.replace(connect_emulator.faults, rate_limit=RateLimit(requests_per_second=4, burst=1))
    )
    template = sample("eventbridge-order-delayed.json")
    updates = [("SHP-1", 1), ("SHP-2", 1), ("SHP-1", 2), ("SHP-1", 3), ("SHP-2", 2), ("SHP-1", 4)]
    for shipment, sequence in updates:
        event = {
            **template,
            "id": f"{shipment}-{sequence}",
            "source": "acme.shipping",
            "detail-type": "ShipmentDelayed",
            "detail": {"shipmentId": shipment, "status": "delayed", "carrier": "UPS", "sequence": sequence},
        }
        send_fifo_message(
            embedded_aws,
            pipeline,
            json.dumps(event),
            MessageGroupId=shipment,
            MessageDeduplicationId=event["id"],
        )

    drain(pipeline)

    created = [
        (task.request["Attributes"]["shipmentId"], int(task.request["Attributes"]["sequence"]))
        for task in connect_emulator.tasks()
    ]
    assert [seq for shipment, seq in created if shipment == "SHP-1"] == [1, 2, 3, 4]
    assert [seq for shipment, seq in created if shipment == "SHP-2"] == [1, 2]
    assert connect_emulator.counters().throttles > 0
    assert dead_letters(embedded_aws, pipeline) == []
