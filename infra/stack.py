"""The Task Creator stack: validates the mapping and the function's settings, wires the constructs,
acknowledges the cdk-nag findings the design causes on purpose (infra/acknowledgements.py), and exports
what operators need (and what ``python -m local replay`` reads: ``ArchiveArn``, ``IngestRuleArns``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, Fn, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.acknowledgements import DesignFindings, acknowledge_design_findings
from infra.archive import IngestArchive
from infra.config import DeploymentConfigError, TaskCreatorConfig
from infra.connect_permissions import (
    ConnectGrant,
    LifecycleGrant,
    PermissionProblem,
    lifecycle_grants,
    start_task_grant,
)
from infra.event_pattern import BusRulePlan, archive_event_pattern, plan_bus_rules, unconstrained_rules
from infra.function import TaskCreatorFunction
from infra.function_settings import check_function_settings
from infra.ingest import BusRules, IngestQueues
from infra.ledger import IdempotencyLedger
from infra.mapping_source import has_placeholder, load_deployment_mapping
from infra.monitoring import MetricSource, Monitoring
from infra.stack_values import (
    METRICS_NAMESPACE,
    function_timeout_seconds,
    ingest_visibility_timeout_seconds,
    redrive_max_receive_count,
)
from task_creator.mapping.rules import TaskMapping


class TaskCreatorStack(Stack):
    """Bus rule -> standard ingest queue (and, with fifo, a FIFO ingest queue for producers' own message
    groups) -> function -> Amazon Connect, with a DLQ per ingest queue, ledger, alarms and dashboard;
    with outcomeEvents the function publishes its outcomes to EventBridge, with archiveDays the ingest
    bus keeps what the bus rules forward for replay."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: TaskCreatorConfig, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Task Creator: turns upstream events into Amazon Connect tasks",
            **kwargs,
        )
        mapping = load_deployment_mapping(config.mapping_file)
        check_function_settings(config, mapping)
        self.config = config
        self.connect_grant = _connect_grant(config, mapping)
        self.lifecycle_grants = lifecycle_grants(config.connect_instance_id, mapping.rules)
        self.bus_rule_plan = _bus_rule_plan(config, mapping)
        self.function_timeout_seconds = function_timeout_seconds(
            config, rule_count=len(mapping.rules), lifecycle=mapping.has_lifecycle_rules
        )
        self.queues = IngestQueues(
            self,
            "Ingest",
            name_prefix=config.stack_name,
            fifo=config.fifo,
            visibility_timeout=Duration.seconds(
                ingest_visibility_timeout_seconds(
                    self.function_timeout_seconds, config.max_batching_window_seconds
                )
            ),
            redrive_max_receive_count=redrive_max_receive_count(config.max_receive_count),
            producer_principals=config.producer_principals,
        )
        self.bus = (
            events.EventBus(self, "EventBus", event_bus_name=config.event_bus_name)
            if config.create_event_bus
            else events.EventBus.from_event_bus_name(self, "EventBus", config.event_bus_name)
        )
        self.bus_rules = BusRules(
            self, "BusRule", bus=self.bus, event_patterns=self.bus_rule_plan.patterns, queues=self.queues
        )
        self._warn_about_unconstrained_rules(mapping)
        self._warn_about_overlapping_bus_rules()
        self.archive = (
            IngestArchive(
                self,
                "Archive",
                bus=self.bus,
                event_pattern=archive_event_pattern(self.bus_rule_plan),
                retention_days=config.archive_days,
            )
            if config.archive_days > 0
            else None
        )
        self.ledger = IdempotencyLedger(self, "Ledger") if config.idempotency else None
        self.task_function = TaskCreatorFunction(
            self,
            "TaskCreator",
            config=config,
            queues=self.queues,
            connect_grant=self.connect_grant,
            ledger_table_name=self.ledger.table.table_name if self.ledger else None,
            timeout_seconds=self.function_timeout_seconds,
        )
        if self.ledger is not None:
            self.ledger.grant_item_access(self.task_function.function)
        self._grant_lifecycle_actions()
        self.outcome_bus = self._grant_outcome_publishing()
        self._warn_about_archive_without_ledger()
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            function=self.task_function.function,
            queues=self.queues,
            metrics=MetricSource(namespace=METRICS_NAMESPACE, service=config.stack_name),
            alarm_email=config.alarm_email,
            lifecycle=mapping.has_lifecycle_rules,
            outcome_events=config.outcome_events,
        )
        self._outputs()
        acknowledge_design_findings(
            DesignFindings(
                role=self.task_function.role,
                function=self.task_function.function,
                queues=self.queues,
                alarm_topic=self.monitoring.topic,
                connect_grant=self.connect_grant,
                lifecycle_grants=self.lifecycle_grants,
                tracing=config.tracing,
                alarm_email=config.alarm_email is not None,
            )
        )

    def _grant_lifecycle_actions(self) -> None:
        """One statement per lifecycle action the mapping uses, with only the Connect actions its rules
        call, on the function's instance's contacts (infra/connect_permissions.py)."""
        for grant in self.lifecycle_grants:
            self.task_function.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid=_lifecycle_sid(grant),
                    actions=list(grant.connect_actions),
                    resources=[f"arn:{self.partition}:connect:{self.region}:{self.account}:{grant.resource}"],
                )
            )

    def _grant_outcome_publishing(self) -> events.IEventBus | None:
        """With outcomeEvents: ``events:PutEvents`` on the outcome bus only (the ingest bus unless
        ``outcomeEventBus`` names another); the bus the function publishes to, None without."""
        if not self.config.outcome_events:
            return None
        bus = (
            self.bus
            if self.config.outcomes_on_ingest_bus
            else events.EventBus.from_event_bus_name(
                self, "OutcomeEventBus", self.config.outcome_event_bus_name
            )
        )
        bus.grant_put_events_to(self.task_function.role)
        return bus

    def _warn_about_archive_without_ledger(self) -> None:
        if self.archive is not None and self.ledger is None:
            Annotations.of(self.archive).add_warning_v2(
                "TaskCreator:ArchiveWithoutLedger",
                "archiveDays keeps events for replay but idempotency=false leaves out the ledger, which is "
                "what makes a replay create nothing new: a replayed event relies on Amazon Connect's own "
                "ClientToken check alone (pass -c idempotency=true, or -c archiveDays=0)",
            )

    def _warn_about_unconstrained_rules(self, mapping: TaskMapping) -> None:
        for rule_name in unconstrained_rules(mapping):
            Annotations.of(self.bus_rules).add_warning_v2(
                "TaskCreator:UnconstrainedRule",
                f"mapping rule {rule_name!r} constrains neither source nor detail-type: the bus rules "
                f"forward every event on bus {self.config.event_bus_name!r} but the function's own "
                "(Amazon Connect's, and its outcome events); the function handles those no rule matches as "
                "the mapping's 'unmatched' setting says",
            )

    def _warn_about_overlapping_bus_rules(self) -> None:
        if self.bus_rule_plan.overlapping:
            Annotations.of(self.bus_rules).add_warning_v2(
                "TaskCreator:OverlappingBusRules",
                f"the mapping needs {len(self.bus_rule_plan.patterns)} bus rules and some events can match "
                "two of them: EventBridge delivers such an event once per rule, and the function's "
                "ClientToken makes the second delivery a duplicate (no second task)",
            )

    def _outputs(self) -> None:
        CfnOutput(self, "IngestQueueUrl", value=self.queues.queue.queue_url)
        CfnOutput(self, "IngestQueueArn", value=self.queues.queue.queue_arn)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.queues.dead_letter_queue.queue_url)
        if self.queues.fifo_lane is not None:
            CfnOutput(self, "FifoIngestQueueUrl", value=self.queues.fifo_lane.queue.queue_url)
            CfnOutput(self, "FifoIngestQueueArn", value=self.queues.fifo_lane.queue.queue_arn)
            CfnOutput(self, "FifoDeadLetterQueueUrl", value=self.queues.fifo_lane.dead_letter_queue.queue_url)
        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        CfnOutput(self, "FunctionName", value=self.task_function.function_name)
        CfnOutput(self, "FunctionLogGroupName", value=self.task_function.log_group.log_group_name)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        if self.ledger is not None:
            CfnOutput(self, "LedgerTableName", value=self.ledger.table.table_name)
        # What a replay needs: the archive, and the rules it may deliver to (StartReplay FilterArns).
        CfnOutput(self, "IngestRuleArns", value=Fn.join(",", self.bus_rules.rule_arns))
        if self.archive is not None:
            CfnOutput(self, "ArchiveArn", value=self.archive.archive_arn)
        if self.outcome_bus is not None:
            CfnOutput(self, "OutcomeEventBusName", value=self.outcome_bus.event_bus_name)
            CfnOutput(self, "OutcomeSource", value=self.config.outcome_source)


def _bus_rule_plan(config: TaskCreatorConfig, mapping: TaskMapping) -> BusRulePlan:
    """The bus rules the mapping needs, none forwarding the function's own events (Connect's, and its
    outcome events); DeploymentConfigError, one line per problem, when they cannot be built."""
    plan = plan_bus_rules(mapping, outcome_source=config.published_outcome_source)
    if plan.problems:
        raise DeploymentConfigError([f"mappingFile {config.mapping_file}: {each}" for each in plan.problems])
    return plan


def _lifecycle_sid(grant: LifecycleGrant) -> str:
    """The statement id: ``UpdateTasks``, ``RescheduleTasks``, ``CompleteTasks``."""
    return f"{grant.action.capitalize()}Tasks"


def _connect_grant(config: TaskCreatorConfig, mapping: TaskMapping) -> ConnectGrant:
    try:
        return start_task_grant(
            config.connect_instance_id, config.contact_flow_id, mapping.rules, has_placeholder=has_placeholder
        )
    except PermissionProblem as problem:
        raise DeploymentConfigError([f"mappingFile {config.mapping_file}: {problem}"]) from None
