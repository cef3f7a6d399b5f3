"""Where events wait: the ingest queue, its dead-letter queue, and the event bus rule that feeds them.

- Ingest queue (standard or FIFO): SQS-managed SSE, TLS enforced, redrive to the DLQ after
  ``maxReceiveCount`` receives; only EventBridge (for this rule) and the listed producers may send.
- DLQ: SSE, TLS enforced, 14-day retention, a redrive-allow policy naming the ingest queue, so a fixed
  deployment can move its messages back (``aws sqs start-message-move-task``).
- Delivery DLQ: where EventBridge puts events it could not deliver to the ingest queue and where the
  function's asynchronous invocations go when they fail for good. EventBridge and Lambda destinations
  need a standard queue, so with ``fifo=true`` this is a separate standard queue; otherwise it is the DLQ.
- Bus rule: its pattern is ``bus_event_pattern(mapping)``, the target is the ingest queue (the full event
  as the body), with a retry policy and the delivery DLQ.

SQS-managed encryption (not a customer managed key) keeps producers simple: EventBridge and producers
in other accounts need no KMS permissions to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.stack_values import (
    BUS_DELIVERY_MAX_EVENT_AGE,
    BUS_DELIVERY_RETRY_ATTEMPTS,
    DLQ_RETENTION,
    FIFO_MESSAGE_GROUP,
    INGEST_RETENTION,
    QueueNames,
    whole_seconds,
)

EVENTS_PRINCIPAL = "events.amazonaws.com"


class IngestQueues(Construct):
    """The ingest queue, its DLQ and (FIFO only) the standard delivery DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        fifo: bool,
        visibility_timeout: Duration,
        max_receive_count: int,
        producer_principals: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        names = QueueNames.for_stack(name_prefix, fifo=fifo)
        # The DLQ's redrive-allow policy names the ingest queue by ARN; building that ARN from the
        # queue's name (instead of a reference) avoids a circular dependency between the two queues.
        ingest_arn = Stack.of(self).format_arn(service="sqs", resource=names.ingest)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=names.dead_letter,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_duration(DLQ_RETENTION),
            redrive_allow_policy=sqs.RedriveAllowPolicy(
                redrive_permission=sqs.RedrivePermission.BY_QUEUE,
                source_queues=[sqs.Queue.from_queue_arn(self, "IngestQueueByName", ingest_arn)],
            ),
        )
        self.queue = sqs.Queue(
            self,
            "IngestQueue",
            queue_name=names.ingest,
            fifo=fifo or None,
            content_based_deduplication=True if fifo else None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_duration(INGEST_RETENTION),
            visibility_timeout=visibility_timeout,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=max_receive_count
            ),
        )
        self.delivery_dead_letter_queue = self.dead_letter_queue
        if names.delivery_dead_letter is not None:
            self.delivery_dead_letter_queue = sqs.Queue(
                self,
                "DeliveryDeadLetterQueue",
                queue_name=names.delivery_dead_letter,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=_duration(DLQ_RETENTION),
            )
        for index, arn in enumerate(producer_principals):
            self.queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"AllowProducer{index}",
                    principals=[iam.ArnPrincipal(arn)],
                    actions=["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                    resources=[self.queue.queue_arn],
                )
            )

    @property
    def fifo(self) -> bool:
        return bool(self.queue.fifo)

    @property
    def has_separate_delivery_queue(self) -> bool:
        return self.delivery_dead_letter_queue is not self.dead_letter_queue

    @property
    def dead_letter_queues(self) -> list[sqs.Queue]:
        """The DLQ, and the delivery DLQ when it is a separate queue (FIFO)."""
        if self.has_separate_delivery_queue:
            return [self.dead_letter_queue, self.delivery_dead_letter_queue]
        return [self.dead_letter_queue]


class BusRule(Construct):
    """The EventBridge rule that forwards the events some mapping rule could match to the ingest queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        event_pattern: dict[str, Any],
        queues: IngestQueues,
    ) -> None:
        super().__init__(scope, construct_id)
        # L1 on purpose: the L2 EventPattern cannot express "$or", and the pattern must be exactly
        # what bus_event_pattern() derived (the offline runtime provisions the same one).
        self.rule = events.CfnRule(
            self,
            "Resource",
            description="Forwards the events the Task Creator mapping rules can match to the ingest queue",
            event_bus_name=bus.event_bus_name,
            event_pattern=event_pattern,
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="IngestQueue",
                    arn=queues.queue.queue_arn,
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                        arn=queues.delivery_dead_letter_queue.queue_arn
                    ),
                    retry_policy=events.CfnRule.RetryPolicyProperty(
                        maximum_retry_attempts=BUS_DELIVERY_RETRY_ATTEMPTS,
                        maximum_event_age_in_seconds=whole_seconds(BUS_DELIVERY_MAX_EVENT_AGE),
                    ),
                    sqs_parameters=(
                        events.CfnRule.SqsParametersProperty(message_group_id=FIFO_MESSAGE_GROUP)
                        if queues.fifo
                        else None
                    ),
                )
            ],
        )
        for queue in (queues.queue, queues.delivery_dead_letter_queue):
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowBusRuleToSend",
                    principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": self.rule.attr_arn}},
                )
            )

    @property
    def rule_arn(self) -> str:
        return self.rule.attr_arn


def _duration(value: timedelta) -> Duration:
    return Duration.seconds(whole_seconds(value))
