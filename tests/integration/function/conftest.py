"""The function wired to moto SQS/DynamoDB and a recording Connect fake, as the handler tests use it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext
from moto import mock_aws

from task_creator.adapters.connect import StopOutcome
from task_creator.dependencies import AwsClients, Dependencies, build_dependencies
from task_creator.errors import ConnectUnavailable, TaskCreatorError
from task_creator.mapping.rules import TaskMapping
from task_creator.observability import logger
from task_creator.settings import Settings

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
FLOW_ID = "66666666-7777-8888-9999-000000000000"
INGEST_QUEUE = "task-creator-ingest"


def sample(name: str) -> Any:
    """An invocation from events/, exactly as AWS delivers it."""
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


class LambdaContext(PowertoolsLambdaContext):
    """The context Lambda passes, with a settable remaining time."""

    def __init__(self, remaining_millis: int = 300_000) -> None:
        self._function_name = "task-creator"
        self._function_version = "$LATEST"
        self._invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:task-creator"
        self._memory_limit_in_mb = 512
        self._aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
        self._log_group_name = "/aws/lambda/task-creator"
        self._log_stream_name = "2026/11/23/[$LATEST]abcdef"
        self.remaining_millis = remaining_millis

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return self.remaining_millis


@dataclass
class RecordingConnect:
    """Stands in for Amazon Connect: records every request; ``failures`` are raised first, in order."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[TaskCreatorError] = field(default_factory=list)
    fail_always: TaskCreatorError | None = None
    intercept: Callable[[Mapping[str, Any]], None] | None = None  # may raise, or wait, before Connect answers

    def start_task(self, request: Mapping[str, Any]) -> str:
        if self.intercept is not None:
            self.intercept(request)
        if self.fail_always is not None:
            raise self.fail_always
        if self.failures:
            raise self.failures.pop(0)
        self.requests.append(dict(request))
        return f"contact-{len(self.requests):03d}"

    def by_rule_name(self) -> list[str]:
        return [request["Name"] for request in self.requests]

    # The task lifecycle: every call recorded as (operation, contact id, what was sent).
    lifecycle_calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def update_task(self, instance_id: str, contact_id: str, fields: Mapping[str, Any]) -> None:
        self._lifecycle("UpdateContact", contact_id, dict(fields))

    def update_task_attributes(
        self, instance_id: str, contact_id: str, attributes: Mapping[str, str]
    ) -> None:
        self._lifecycle("UpdateContactAttributes", contact_id, dict(attributes))

    def reschedule_task(self, instance_id: str, contact_id: str, scheduled_time: datetime) -> None:
        self._lifecycle("UpdateContactSchedule", contact_id, scheduled_time)

    lost_stop_answers: int = 0  # StopContact calls that take effect and then fail as a lost answer would
    stopped: set[str] = field(default_factory=set)

    def stop_task(
        self, instance_id: str, contact_id: str, *, disconnect_reason: str | None = None
    ) -> StopOutcome:
        self._lifecycle("StopContact", contact_id, disconnect_reason)
        ended_before = contact_id in self.stopped
        self.stopped.add(contact_id)
        if self.lost_stop_answers:
            self.lost_stop_answers -= 1
            raise ConnectUnavailable("InternalServiceException", "the answer was lost")
        return StopOutcome.ALREADY_STOPPED if ended_before else StopOutcome.STOPPED

    def stop_calls(self) -> list[str]:
        return [contact_id for operation, contact_id, _ in self.lifecycle_calls if operation == "StopContact"]

    def _lifecycle(self, operation: str, contact_id: str, sent: Any) -> None:
        if self.fail_always is not None:
            raise self.fail_always
        self.lifecycle_calls.append((operation, contact_id, sent))


@dataclass
class FunctionUnderTest:
    sqs: Any
    dynamodb: Any
    connect: RecordingConnect
    dlq_url: str
    ingest_url: str
    ledger_table: str
    build: Callable[..., Dependencies]

    def dead_letters(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
            messages += batch


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def function(monkeypatch: pytest.MonkeyPatch) -> Iterator[FunctionUnderTest]:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "TaskCreatorTests")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dlq_url = sqs.create_queue(QueueName="task-creator-dlq")["QueueUrl"]
        ingest_url = sqs.create_queue(QueueName=INGEST_QUEUE)["QueueUrl"]
        dynamodb.create_table(
            TableName="task-creator-ledger",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        connect = RecordingConnect()

        def build(
            *,
            idempotency: bool = True,
            mapping: TaskMapping | None = None,
            clock: Callable[[], datetime] | None = None,
            events: Any = None,
            **settings: Any,
        ) -> Dependencies:
            values: dict[str, Any] = {
                "connect_instance_id": INSTANCE_ID,
                "contact_flow_id": FLOW_ID,
                "dlq_url": dlq_url,
                "idempotency_table": "task-creator-ledger" if idempotency else None,
                "token_namespace": "tests",
                **settings,
            }
            return build_dependencies(
                Settings(**values),
                clients=AwsClients(
                    connect=connect,
                    sqs=sqs,
                    dynamodb=lambda: dynamodb,
                    events=lambda: events or boto3.client("events", region_name="us-east-1"),
                ),
                mapping=mapping,
                clock=clock,
            )

        yield FunctionUnderTest(
            sqs=sqs,
            dynamodb=dynamodb,
            connect=connect,
            dlq_url=dlq_url,
            ingest_url=ingest_url,
            ledger_table="task-creator-ledger",
            build=build,
        )


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the function logs during the test, formatted exactly as in Lambda (JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    python_logger = logging.getLogger(logger.name)
    python_logger.addHandler(handler)
    yield stream
    python_logger.removeHandler(handler)


def received_as_lambda_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """A message from ReceiveMessage in the shape the Lambda SQS event source delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def receive_batch(function: FunctionUnderTest, bodies: list[str]) -> dict[str, Any]:
    """Send ``bodies`` to the ingest queue, receive them, and return the Lambda-shaped SQS event."""
    for body in bodies:
        function.sqs.send_message(QueueUrl=function.ingest_url, MessageBody=body)
    arn = function.sqs.get_queue_attributes(QueueUrl=function.ingest_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    messages = function.sqs.receive_message(
        QueueUrl=function.ingest_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        VisibilityTimeout=30,
    )["Messages"]
    return {"Records": [received_as_lambda_record(message, arn) for message in messages]}
