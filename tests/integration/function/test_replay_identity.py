"""A replay creates nothing new: events published to a bus, archived, turned into tasks, then replayed
from the archive (moto gives each replayed event a new id and adds replay-name, as EventBridge's replay
re-sends the event); every replayed event is the same event to the function, so each task gets exactly
one "Task Duplicate Skipped" and Connect receives nothing more."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from task_creator.handler import lambda_handler
from task_creator.mapping.rules import parse_mapping
from tests.integration.function.conftest import (
    FunctionUnderTest,
    LambdaContext,
    received_as_lambda_record,
    sample,
)
from tests.integration.function.outcome_support import (
    OutcomeInbox,
    by_type,
    outcome_settings,
)

pytestmark = pytest.mark.integration

INGEST_BUS = "orders"


def bus_to_ingest_queue(function: FunctionUnderTest) -> tuple[Any, str, str]:
    events = boto3.client("events", region_name="us-east-1")
    bus_arn = events.create_event_bus(Name=INGEST_BUS)["EventBusArn"]
    queue_arn = function.sqs.get_queue_attributes(QueueUrl=function.ingest_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    pattern = json.dumps({"source": ["acme.orders", "acme.payments"]})
    events.put_rule(Name="ingest", EventBusName=INGEST_BUS, EventPattern=pattern)
    events.put_targets(Rule="ingest", EventBusName=INGEST_BUS, Targets=[{"Id": "ingest", "Arn": queue_arn}])
    archive = events.create_archive(ArchiveName="ingest", EventSourceArn=bus_arn, EventPattern=pattern)
    return events, archive["ArchiveArn"], queue_arn


def delivered(function: FunctionUnderTest, queue_arn: str, count: int) -> dict[str, Any]:
    """The ``count`` messages the bus rule delivered, as one Lambda batch."""
    messages: list[dict[str, Any]] = []
    for _ in range(10):
        messages += function.sqs.receive_message(
            QueueUrl=function.ingest_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            VisibilityTimeout=30,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if len(messages) >= count:
            break
    return {"Records": [received_as_lambda_record(message, queue_arn) for message in messages]}


def test_replaying_the_window_creates_no_new_task_and_reports_each_as_a_duplicate(
    function: FunctionUnderTest, context: LambdaContext
) -> None:
    inbox = OutcomeInbox(function)
    events, archive_arn, queue_arn = bus_to_ingest_queue(function)
    # One rule with an eventId, one without: the default identity must survive the replay too.
    mapping = parse_mapping(
        {
            "rules": [
                {
                    "name": "order-delayed",
                    "match": {"source": ["acme.orders"]},
                    "eventId": "{{ detail.orderId }}",
                    "task": {"Name": "Order {{ detail.orderId }} is delayed"},
                },
                {
                    "name": "payment-failed",
                    "match": {"source": ["acme.payments"]},
                    "task": {"Name": "Payment"},
                },
            ]
        }
    )
    deps = function.build(mapping=mapping, **outcome_settings())
    started = datetime(2026, 11, 23, tzinfo=UTC)  # the samples' day
    for name in ("eventbridge-order-delayed.json", "eventbridge-payment-failed.json"):
        live = sample(name)
        events.put_events(
            Entries=[
                {
                    "Source": live["source"],
                    "DetailType": live["detail-type"],
                    "Detail": json.dumps(live["detail"]),
                    # Its own time, as producers set it: moto stamps an event without one separately for
                    # each target and for its archive, which differ across a second's boundary.
                    "Time": datetime.fromisoformat(live["time"]),
                    "EventBusName": INGEST_BUS,
                }
            ]
        )
    first = delivered(function, queue_arn, 2)
    assert lambda_handler(first, context, dependencies=deps) == {"batchItemFailures": []}
    created = by_type(inbox.received())["Task Created"]
    tasks_before = list(function.connect.requests)
    assert len(created) == len(tasks_before) > 0

    events.start_replay(
        ReplayName="recover-window",
        EventSourceArn=archive_arn,
        EventStartTime=started,
        EventEndTime=datetime.now(UTC) + timedelta(minutes=1),
        Destination={"Arn": events.describe_event_bus(Name=INGEST_BUS)["Arn"]},
    )
    replayed = delivered(function, queue_arn, 2)
    bodies = [json.loads(record["body"]) for record in replayed["Records"]]
    assert len(bodies) == len(first["Records"])
    assert all(body.get("replay-name") == "recover-window" for body in bodies)
    assert {body["id"] for body in bodies}.isdisjoint(json.loads(r["body"])["id"] for r in first["Records"])

    assert lambda_handler(replayed, context, dependencies=deps) == {"batchItemFailures": []}

    assert function.connect.requests == tasks_before
    announced = by_type(inbox.received())
    assert set(announced) == {"Task Duplicate Skipped"}
    skipped = announced["Task Duplicate Skipped"]
    assert sorted(o["detail"]["contactId"] for o in skipped) == sorted(
        o["detail"]["contactId"] for o in created
    )
    assert all(o["detail"]["replayName"] == "recover-window" for o in skipped)
