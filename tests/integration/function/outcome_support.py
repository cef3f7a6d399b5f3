"""What a consumer of outcome events sees on moto EventBridge, and an EventBridge that fails on demand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # dev-only, no stubs pinned

from tests.integration.function.conftest import FunctionUnderTest

OUTCOME_SCHEMA = Draft202012Validator(
    json.loads(
        (Path(__file__).parents[3] / "docs" / "outcome-events.schema.json").read_text(encoding="utf-8")
    )
)
OUTCOME_BUS = "outcomes"
OUTCOME_SOURCE = "tests.outcomes"
SENSITIVE = ("Name", "Description", "Attributes", "References", "SegmentAttributes")


class OutcomeInbox:
    """A rule on the outcome source delivering to a queue: what a consumer of outcome events sees."""

    def __init__(self, function: FunctionUnderTest) -> None:
        self.sqs = function.sqs
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name=OUTCOME_BUS)
        self.url = self.sqs.create_queue(QueueName="outcome-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="outcomes", EventBusName=OUTCOME_BUS, EventPattern=json.dumps({"source": [OUTCOME_SOURCE]})
        )
        events.put_targets(Rule="outcomes", EventBusName=OUTCOME_BUS, Targets=[{"Id": "inbox", "Arn": arn}])

    def received(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                events.append(json.loads(message["Body"]))
        for event in events:  # every outcome as documented
            assert [error.message for error in OUTCOME_SCHEMA.iter_errors(event)] == []
        return events


class FlakyEvents:
    """EventBridge at the adapter boundary: moto's, except that ``fail`` decides each entry's fate."""

    def __init__(self, fail: Callable[[int, dict[str, Any]], str | None]) -> None:
        self.real: Any = boto3.client("events", region_name="us-east-1")
        self.fail = fail
        self.calls = 0

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        results: list[dict[str, Any]] = []
        for entry in Entries:
            code = self.fail(self.calls, entry)
            if code == "call":
                raise self.real.exceptions.InternalException(
                    {"Error": {"Code": "InternalException", "Message": "x"}}, "PutEvents"
                )
            if code:
                results.append({"ErrorCode": code, "ErrorMessage": "failed"})
            else:
                results.extend(self.real.put_events(Entries=[entry])["Entries"])
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def outcome_settings(**extra: Any) -> dict[str, Any]:
    return {"outcome_event_bus": OUTCOME_BUS, "outcome_source": OUTCOME_SOURCE, **extra}


def by_type(outcomes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome["detail-type"], []).append(outcome)
    return grouped
