"""The CDK stack's topology, provisioned on embedded AWS from the same configuration and mapping file.

What ``infra/`` deploys, resource by resource: the bus (created only when ``createEventBus``), the bus
rules with the patterns ``plan_bus_rules(mapping, outcome_source=...)`` derives (as many as
EventBridge's pattern size limit requires; never the function's own outcome events), each targeting
the standard ingest queue (always: no fixed message group anywhere),
the standard ingest queue and its DLQ, with ``fifo`` also the FIFO ingest queue and its FIFO DLQ (for
producers' own message groups), each ingest queue's redrive policy (its DLQ after the function's
attempt budget plus the backstop), the queues' sizes, the ledger table (Powertools schema:
partition key ``id``, TTL attribute ``expiration``), and with ``archiveDays`` the bus's archive. With
``outcomeEvents``, what a consumer of the outcome events would add, offline only: a rule on the outcome
source delivering them to a queue (``local.topology_outcomes``). Names, numbers and the
ledger schema come from ``infra.stack_values``, which the stack's constructs read too; so does the
function's timeout, derived from the same configuration and the mapping's rule count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.config import TaskCreatorConfig
from infra.event_pattern import BusRuleError, archive_event_pattern, plan_bus_rules
from infra.stack_values import (
    BUS_DELIVERY_MAX_EVENT_AGE,
    BUS_DELIVERY_RETRY_ATTEMPTS,
    BUS_RULE_DESCRIPTION,
    DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES,
    DLQ_RETENTION,
    INGEST_MAX_MESSAGE_SIZE_BYTES,
    INGEST_RETENTION,
    LEDGER_PARTITION_KEY,
    LEDGER_TTL_ATTRIBUTE,
    QueueNames,
    function_timeout_seconds,
    ingest_visibility_timeout_seconds,
    redrive_max_receive_count,
    whole_seconds,
)
from local.aws import EmbeddedAws
from local.identifiers import LOCAL_ACCOUNT_ID, LOCAL_REGION
from local.topology_outcomes import (
    ArchiveRef,
    OutcomeRoute,
    outcome_queue_attributes,
    outcome_queue_name,
    provision_archive,
    provision_outcome_route,
)
from task_creator.mapping.rules import TaskMapping


@dataclass(frozen=True)
class QueueRef:
    url: str
    arn: str
    name: str


@dataclass(frozen=True)
class IngestLaneRef:
    """One ingest queue and its DLQ."""

    queue: QueueRef
    dead_letter_queue: QueueRef

    @property
    def fifo(self) -> bool:
        return self.queue.name.endswith(".fifo")


@dataclass(frozen=True)
class BusRuleRef:
    """One bus rule: its name, its event pattern and its ARN."""

    name: str
    event_pattern: dict[str, Any]
    arn: str = ""


@dataclass(frozen=True)
class Topology:
    """Where one deployment's resources are on embedded AWS."""

    config: TaskCreatorConfig
    event_bus_name: str
    bus_rules: tuple[BusRuleRef, ...]  # every one targets the standard ingest queue
    event_pattern: dict[str, Any]  # what the bus rules forward together, as one pattern (for previews)
    ingest_queue: QueueRef  # the standard one: the bus rule's target
    dead_letter_queue: QueueRef  # the standard one: also the bus target's DLQ
    fifo_ingest_queue: QueueRef | None  # only with fifo: producers' own message groups
    fifo_dead_letter_queue: QueueRef | None
    ledger_table: str | None
    function_timeout_seconds: int
    visibility_timeout_seconds: int
    redrive_max_receive_count: int
    outcomes: OutcomeRoute | None = None  # with outcomeEvents: where they can be read offline
    archive: ArchiveRef | None = None  # with archiveDays > 0

    @property
    def bus_rule_arns(self) -> list[str]:
        """What a replay's Destination.FilterArns names: the bus rules, nothing else on the bus."""
        return [rule.arn for rule in self.bus_rules]

    @property
    def rule_name(self) -> str:
        """The first bus rule's name (the only one, unless the mapping needs several)."""
        return self.bus_rules[0].name

    @property
    def lanes(self) -> list[IngestLaneRef]:
        """Every ingest queue with its DLQ, the standard one first."""
        lanes = [IngestLaneRef(self.ingest_queue, self.dead_letter_queue)]
        if self.fifo_ingest_queue is not None and self.fifo_dead_letter_queue is not None:
            lanes.append(IngestLaneRef(self.fifo_ingest_queue, self.fifo_dead_letter_queue))
        return lanes

    @property
    def dead_letter_queues(self) -> list[QueueRef]:
        return [lane.dead_letter_queue for lane in self.lanes]


def provision_topology(
    aws: EmbeddedAws,
    config: TaskCreatorConfig,
    mapping: TaskMapping,
    *,
    visibility_timeout_seconds: int | None = None,
) -> Topology:
    """Create the stack's resources for ``config``; ``visibility_timeout_seconds`` overrides the stack's
    (tests use 1 s so that a failed record comes back quickly). BusRuleError, as synth refuses it, for a
    mapping whose bus rules cannot be deployed."""
    plan = plan_bus_rules(mapping, outcome_source=config.published_outcome_source)
    if plan.problems:
        raise BusRuleError(plan.problems)
    prefix = config.stack_name
    names = QueueNames.for_stack(prefix, fifo=config.fifo)
    timeout = function_timeout_seconds(
        config, rule_count=len(mapping.rules), lifecycle=mapping.has_lifecycle_rules
    )
    visibility = visibility_timeout_seconds or ingest_visibility_timeout_seconds(
        timeout, config.max_batching_window_seconds
    )
    redrive_after = redrive_max_receive_count(config.max_receive_count)
    standard = _create_lane(
        aws, names.ingest, names.dead_letter, fifo=False, visibility=visibility, redrive_after=redrive_after
    )
    fifo_lane = None
    if names.fifo_ingest is not None and names.fifo_dead_letter is not None:
        fifo_lane = _create_lane(
            aws,
            names.fifo_ingest,
            names.fifo_dead_letter,
            fifo=True,
            visibility=visibility,
            redrive_after=redrive_after,
        )
    if config.create_event_bus:
        aws.events().create_event_bus(Name=config.event_bus_name)
    bus_rules = tuple(
        _create_bus_rule(
            aws,
            config,
            BusRuleRef(name=f"{prefix}-bus-rule" + (f"-{index + 1}" if index else ""), event_pattern=pattern),
            target=standard.queue,
            dead_letters=standard.dead_letter_queue,
        )
        for index, pattern in enumerate(plan.patterns)
    )
    return Topology(
        config=config,
        event_bus_name=config.event_bus_name,
        bus_rules=bus_rules,
        event_pattern=plan.union,
        ingest_queue=standard.queue,
        dead_letter_queue=standard.dead_letter_queue,
        fifo_ingest_queue=fifo_lane.queue if fifo_lane else None,
        fifo_dead_letter_queue=fifo_lane.dead_letter_queue if fifo_lane else None,
        ledger_table=_create_ledger_table(aws, f"{prefix}-ledger") if config.idempotency else None,
        function_timeout_seconds=timeout,
        visibility_timeout_seconds=visibility,
        redrive_max_receive_count=redrive_after,
        outcomes=_outcome_route(aws, config) if config.outcome_events else None,
        archive=provision_archive(aws, config, archive_event_pattern(plan))
        if config.archive_days > 0
        else None,
    )


def _outcome_route(aws: EmbeddedAws, config: TaskCreatorConfig) -> OutcomeRoute:
    queue = _create_queue(aws, outcome_queue_name(config.stack_name), outcome_queue_attributes())
    return provision_outcome_route(aws, config, queue_url=queue.url, queue_arn=queue.arn)


def _create_lane(
    aws: EmbeddedAws,
    ingest_name: str,
    dead_letter_name: str,
    *,
    fifo: bool,
    visibility: int,
    redrive_after: int,
) -> IngestLaneRef:
    dead_letter_queue = _create_dead_letter_queue(aws, dead_letter_name, ingest_name, fifo=fifo)
    ingest_queue = _create_queue(
        aws,
        ingest_name,
        {
            "MessageRetentionPeriod": str(whole_seconds(INGEST_RETENTION)),
            "VisibilityTimeout": str(visibility),
            "MaximumMessageSize": str(INGEST_MAX_MESSAGE_SIZE_BYTES),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_queue.arn, "maxReceiveCount": redrive_after}
            ),
            **_fifo_attributes(fifo, content_based_deduplication=True),
        },
    )
    return IngestLaneRef(queue=ingest_queue, dead_letter_queue=dead_letter_queue)


def _create_dead_letter_queue(aws: EmbeddedAws, name: str, ingest_name: str, *, fifo: bool) -> QueueRef:
    ingest_arn = _queue_arn(ingest_name)
    return _create_queue(
        aws,
        name,
        {
            "MessageRetentionPeriod": str(whole_seconds(DLQ_RETENTION)),
            "MaximumMessageSize": str(DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES),
            "SqsManagedSseEnabled": "true",
            "RedriveAllowPolicy": json.dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [ingest_arn]}
            ),
            **_fifo_attributes(fifo, content_based_deduplication=False),
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
    rule: BusRuleRef,
    *,
    target: QueueRef,
    dead_letters: QueueRef,
) -> BusRuleRef:
    events = aws.events()
    created = events.put_rule(
        Name=rule.name,
        EventBusName=config.event_bus_name,
        EventPattern=json.dumps(rule.event_pattern),
        State="ENABLED",
        Description=BUS_RULE_DESCRIPTION,
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
    events.put_targets(Rule=rule.name, EventBusName=config.event_bus_name, Targets=[rule_target])  # type: ignore[list-item]
    return BusRuleRef(name=rule.name, event_pattern=rule.event_pattern, arn=created["RuleArn"])


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
