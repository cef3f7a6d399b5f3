"""Where events wait: the ingest queues, their dead-letter queues, and the event bus rules.

- Standard ingest queue, always: where the bus rule delivers (the full event as the body) and where
  producers send raw payloads. SQS-managed SSE, TLS enforced, a redrive policy to its DLQ.
- FIFO ingest queue, with ``fifo=true``: for producers that send their own ``MessageGroupId`` (one group
  per entity: an order, a shipment) to keep per-entity order. The bus never delivers here: a bus
  target on a FIFO queue needs one fixed group, which would serialise every event into a single group.
- Each ingest queue has its own DLQ (a FIFO queue's DLQ must be FIFO): SSE, TLS enforced, 14-day
  retention, a redrive-allow policy naming its ingest queue so that a fixed deployment can move its
  messages back (``aws sqs start-message-move-task``). The standard DLQ is also the bus target's DLQ
  and the function's asynchronous on-failure destination (both need a standard queue).
- Redrive: the function dead-letters a record itself on its last attempt (``MAX_RECEIVE_COUNT``); the
  ingest queues' redrive policy sits a few receives above that, a backstop for crashes and timeouts.
- Sizes: the DLQs take SQS's largest message; the ingest queues take that minus the room the function's
  dead-letter attributes need, so a message that entered can always be dead-lettered.
- Who may send (resource policy): the bus rules (``aws:SourceArn``) to the standard queue and its DLQ, and
  the listed ``producerPrincipals`` to every ingest queue. As for any SQS queue, principals of the
  queue's own account whose IAM policies allow ``sqs:SendMessage`` on it may send too (within an account,
  an identity policy alone is enough); only plain HTTP is denied to everyone.

SQS-managed encryption (not a customer managed key) keeps producers simple: EventBridge and producers
in other accounts need no KMS permissions to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    BUS_RULE_DESCRIPTION,
    DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES,
    DLQ_RETENTION,
    INGEST_MAX_MESSAGE_SIZE_BYTES,
    INGEST_RETENTION,
    QueueNames,
    whole_seconds,
)

EVENTS_PRINCIPAL = "events.amazonaws.com"
PRODUCER_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")


@dataclass(frozen=True)
class IngestLane:
    """One ingest queue and the DLQ its redrive policy (and the function) dead-letter to."""

    queue: sqs.Queue
    dead_letter_queue: sqs.Queue

    @property
    def fifo(self) -> bool:
        return bool(self.queue.fifo)


class IngestQueues(Construct):
    """The standard ingest queue and its DLQ, and with ``fifo`` the FIFO ingest queue and its FIFO DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        fifo: bool,
        visibility_timeout: Duration,
        redrive_max_receive_count: int,
        producer_principals: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        names = QueueNames.for_stack(name_prefix, fifo=fifo)
        self.standard = self._lane(
            "",
            ingest_name=names.ingest,
            dead_letter_name=names.dead_letter,
            fifo=False,
            visibility_timeout=visibility_timeout,
            redrive_max_receive_count=redrive_max_receive_count,
        )
        self.fifo_lane: IngestLane | None = None
        if names.fifo_ingest is not None and names.fifo_dead_letter is not None:
            self.fifo_lane = self._lane(
                "Fifo",
                ingest_name=names.fifo_ingest,
                dead_letter_name=names.fifo_dead_letter,
                fifo=True,
                visibility_timeout=visibility_timeout,
                redrive_max_receive_count=redrive_max_receive_count,
            )
        for queue in self.ingest_queues:
            for index, arn in enumerate(producer_principals):
                queue.add_to_resource_policy(
                    iam.PolicyStatement(
                        sid=f"AllowProducer{index}",
                        principals=[iam.ArnPrincipal(arn)],
                        actions=list(PRODUCER_ACTIONS),
                        resources=[queue.queue_arn],
                    )
                )

    def _lane(
        self,
        prefix: str,
        *,
        ingest_name: str,
        dead_letter_name: str,
        fifo: bool,
        visibility_timeout: Duration,
        redrive_max_receive_count: int,
    ) -> IngestLane:
        # The DLQ's redrive-allow policy names the ingest queue by ARN; building that ARN from the
        # queue's name (instead of a reference) avoids a circular dependency between the two queues.
        ingest_arn = Stack.of(self).format_arn(service="sqs", resource=ingest_name)
        dead_letter_queue = sqs.Queue(
            self,
            f"{prefix}DeadLetterQueue",
            queue_name=dead_letter_name,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_duration(DLQ_RETENTION),
            max_message_size_bytes=DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES,
            redrive_allow_policy=sqs.RedriveAllowPolicy(
                redrive_permission=sqs.RedrivePermission.BY_QUEUE,
                source_queues=[sqs.Queue.from_queue_arn(self, f"{prefix}IngestQueueByName", ingest_arn)],
            ),
        )
        queue = sqs.Queue(
            self,
            f"{prefix}IngestQueue",
            queue_name=ingest_name,
            fifo=fifo or None,
            content_based_deduplication=True if fifo else None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=_duration(INGEST_RETENTION),
            visibility_timeout=visibility_timeout,
            max_message_size_bytes=INGEST_MAX_MESSAGE_SIZE_BYTES,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dead_letter_queue, max_receive_count=redrive_max_receive_count
            ),
        )
        return IngestLane(queue=queue, dead_letter_queue=dead_letter_queue)

    @property
    def queue(self) -> sqs.Queue:
        """The standard ingest queue (the bus rule's target)."""
        return self.standard.queue

    @property
    def dead_letter_queue(self) -> sqs.Queue:
        """The standard DLQ: also the bus target's DLQ and the async on-failure destination."""
        return self.standard.dead_letter_queue

    @property
    def lanes(self) -> list[IngestLane]:
        """Every ingest queue with its DLQ, the standard one first."""
        return [self.standard] if self.fifo_lane is None else [self.standard, self.fifo_lane]

    @property
    def ingest_queues(self) -> list[sqs.Queue]:
        return [lane.queue for lane in self.lanes]

    @property
    def dead_letter_queues(self) -> list[sqs.Queue]:
        return [lane.dead_letter_queue for lane in self.lanes]


class BusRules(Construct):
    """The EventBridge rules that forward the events some mapping rule could match to the standard
    ingest queue (always the standard one: see the module's docstring), one per pattern of the plan
    (``infra.event_pattern.plan_bus_rules``): as many as EventBridge's pattern size limit requires."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        event_patterns: Sequence[dict[str, Any]],
        queues: IngestQueues,
    ) -> None:
        super().__init__(scope, construct_id)
        # L1 on purpose: the L2 EventPattern cannot express "$or", and each pattern must be exactly what
        # plan_bus_rules() derived (the offline runtime provisions the same ones). The first rule keeps
        # the construct path of the single rule this stack used to create, so its logical id is stable.
        self.rules = [
            self._rule(
                "Resource" if index == 0 else f"Resource{index + 1}",
                bus=bus,
                event_pattern=pattern,
                queues=queues,
                position=(index + 1, len(event_patterns)),
            )
            for index, pattern in enumerate(event_patterns)
        ]
        for queue in (queues.queue, queues.dead_letter_queue):
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowBusRuleToSend",
                    principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": self._source_arns()}},
                )
            )

    def _rule(
        self,
        construct_id: str,
        *,
        bus: events.IEventBus,
        event_pattern: dict[str, Any],
        queues: IngestQueues,
        position: tuple[int, int],
    ) -> events.CfnRule:
        number, total = position
        suffix = "" if total == 1 else f" ({number} of {total})"
        return events.CfnRule(
            self,
            construct_id,
            description=f"{BUS_RULE_DESCRIPTION}{suffix}",
            event_bus_name=bus.event_bus_name,
            event_pattern=event_pattern,
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="IngestQueue",
                    arn=queues.queue.queue_arn,
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                        arn=queues.dead_letter_queue.queue_arn
                    ),
                    retry_policy=events.CfnRule.RetryPolicyProperty(
                        maximum_retry_attempts=BUS_DELIVERY_RETRY_ATTEMPTS,
                        maximum_event_age_in_seconds=whole_seconds(BUS_DELIVERY_MAX_EVENT_AGE),
                    ),
                )
            ],
        )

    def _source_arns(self) -> str | list[str]:
        arns = self.rule_arns
        return arns[0] if len(arns) == 1 else arns

    @property
    def rule_arns(self) -> list[str]:
        return [rule.attr_arn for rule in self.rules]


def _duration(value: timedelta) -> Duration:
    return Duration.seconds(whole_seconds(value))
