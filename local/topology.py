"""The CDK stack's topology, provisioned on embedded AWS from the same configuration and mapping file.

What ``infra/`` deploys, resource by resource: the bus (created only when ``createEventBus``), the bus
rule with the pattern ``bus_event_pattern(mapping)`` targeting the ingest queue (FIFO: one message
group), the ingest queue with its redrive policy (DLQ after ``maxReceiveCount`` receives), the DLQ, the
standard delivery DLQ of a FIFO deployment, and the ledger table (Powertools schema: partition key
``id``, TTL attribute ``expiration``). Names, numbers and the ledger schema come from
``infra.stack_values``, which the stack's constructs read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.config import TaskCreatorConfig
from infra.event_pattern import PatternMapping, bus_event_pattern
from infra.stack_values import (
    BUS_DELIVERY_MAX_EVENT_AGE,
    BUS_DELIVERY_RETRY_ATTEMPTS,
    DLQ_RETENTION,
    FIFO_MESSAGE_GROUP,
    INGEST_RETENTION,
    LEDGER_PARTITION_KEY,
    LEDGER_TTL_ATTRIBUTE,
    QueueNames,
    ingest_visibility_timeout_seconds,
    whole_seconds,
)
from local.aws import EmbeddedAws
from local.identifiers import LOCAL_ACCOUNT_ID, LOCAL_REGION


@dataclass(frozen=True)
class QueueRef:
    url: str
    arn: str
    name: str


@dataclass(frozen=True)
class Topology:
    """Where one deployment's resources are on embedded AWS."""

    config: TaskCreatorConfig
    event_bus_name: str
    rule_name: str
    event_pattern: dict[str, Any]
    ingest_queue: QueueRef
    dead_letter_queue: QueueRef
    delivery_dead_letter_queue: QueueRef
    ledger_table: str | None
    visibility_timeout_seconds: int


def provision_topology(
    aws: EmbeddedAws,
    config: TaskCreatorConfig,
    mapping: PatternMapping,
    *,
    visibility_timeout_seconds: int | None = None,
) -> Topology:
    """Create the stack's resources for ``config``; ``visibility_timeout_seconds`` overrides the stack's
    (tests use 1 s so that a failed record comes back quickly)."""
    prefix = config.stack_name
    names = QueueNames.for_stack(prefix, fifo=config.fifo)
    visibility = visibility_timeout_seconds or ingest_visibility_timeout_seconds(
        config.max_batching_window_seconds
    )
    dead_letter_queue = _create_dead_letter_queue(aws, names.dead_letter, names.ingest, config)
    ingest_queue = _create_queue(
        aws,
        names.ingest,
        {
            "MessageRetentionPeriod": str(whole_seconds(INGEST_RETENTION)),
            "VisibilityTimeout": str(visibility),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_queue.arn, "maxReceiveCount": config.max_receive_count}
            ),
            **_fifo_attributes(config.fifo, content_based_deduplication=True),
        },
    )
    delivery_dead_letter_queue = dead_letter_queue
    if names.delivery_dead_letter is not None:
        delivery_dead_letter_queue = _create_queue(
            aws,
            names.delivery_dead_letter,
            {"MessageRetentionPeriod": str(whole_seconds(DLQ_RETENTION)), "SqsManagedSseEnabled": "true"},
        )
    rule_name = f"{prefix}-bus-rule"
    event_pattern = bus_event_pattern(mapping)
    _create_bus_rule(
        aws, config, rule_name, event_pattern, target=ingest_queue, dead_letters=delivery_dead_letter_queue
    )
    return Topology(
        config=config,
        event_bus_name=config.event_bus_name,
        rule_name=rule_name,
        event_pattern=event_pattern,
        ingest_queue=ingest_queue,
        dead_letter_queue=dead_letter_queue,
        delivery_dead_letter_queue=delivery_dead_letter_queue,
        ledger_table=_create_ledger_table(aws, f"{prefix}-ledger") if config.idempotency else None,
        visibility_timeout_seconds=visibility,
    )


def _create_dead_letter_queue(
    aws: EmbeddedAws, name: str, ingest_name: str, config: TaskCreatorConfig
) -> QueueRef:
    ingest_arn = _queue_arn(ingest_name)
    return _create_queue(
        aws,
        name,
        {
            "MessageRetentionPeriod": str(whole_seconds(DLQ_RETENTION)),
            "SqsManagedSseEnabled": "true",
            "RedriveAllowPolicy": json.dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [ingest_arn]}
            ),
            **_fifo_attributes(config.fifo, content_based_deduplication=False),
        },
    )


def _fifo_attributes(fifo: bool, *, content_based_deduplication: bool) -> dict[str, str]:
    if not fifo:
        return {}
    attributes = {"FifoQueue": "true"}
    if content_based_deduplication:
        attributes["ContentBasedDeduplication"] = "true"
    return attributes


def _create_queue(aws: EmbeddedAws, name: str, attributes: dict[str, str]) -> QueueRef:
    sqs = aws.sqs()
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueRef(url=url, arn=arn, name=name)


def _queue_arn(name: str) -> str:
    """An SQS ARN from the queue's name, as the stack builds it (the queue may not exist yet)."""
    return f"arn:aws:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{name}"


def _create_bus_rule(
    aws: EmbeddedAws,
    config: TaskCreatorConfig,
    rule_name: str,
    event_pattern: dict[str, Any],
    *,
    target: QueueRef,
    dead_letters: QueueRef,
) -> None:
    events = aws.events()
    if config.create_event_bus:
        events.create_event_bus(Name=config.event_bus_name)
    events.put_rule(
        Name=rule_name,
        EventBusName=config.event_bus_name,
        EventPattern=json.dumps(event_pattern),
        State="ENABLED",
        Description="Forwards the events the Task Creator mapping rules can match to the ingest queue",
    )
    rule_target: dict[str, Any] = {
        "Id": "IngestQueue",
        "Arn": target.arn,
        "DeadLetterConfig": {"Arn": dead_letters.arn},
        "RetryPolicy": {
            "MaximumRetryAttempts": BUS_DELIVERY_RETRY_ATTEMPTS,
            "MaximumEventAgeInSeconds": whole_seconds(BUS_DELIVERY_MAX_EVENT_AGE),
        },
    }
    if config.fifo:
        rule_target["SqsParameters"] = {"MessageGroupId": FIFO_MESSAGE_GROUP}
    events.put_targets(Rule=rule_name, EventBusName=config.event_bus_name, Targets=[rule_target])  # type: ignore[list-item]


def _create_ledger_table(aws: EmbeddedAws, name: str) -> str:
    dynamodb = aws.dynamodb()
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": LEDGER_PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": LEDGER_PARTITION_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": LEDGER_TTL_ATTRIBUTE}
    )
    return name
