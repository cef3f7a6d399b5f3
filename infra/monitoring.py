"""Alarms and the alarm topic (docs/operations.md says what to do when each one fires); the dashboard is
infra/dashboard.py, the metrics both read infra/metric_sources.py.

Alarms watch the totals of the function's custom metrics (dimension ``service`` only), the queues and
the function itself. Every DLQ has two: one on its first message, one on its oldest message's age, which
fires while a week of the DLQ's retention is left; every ingest queue has one on its backlog's age. With
``outcomeEvents``, one fires on the first outcome event the function failed to publish. They notify an
SNS topic encrypted with a customer managed key (CloudWatch can only publish to an encrypted topic whose
key policy lets it use the key), with an optional e-mail subscription.

The lifecycle metrics count follow-ups applied or skipped, outcomes rather than failures (a follow-up
that fails is counted and dead-lettered like any other), so they have no alarm.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.dashboard import task_creator_dashboard
from infra.ingest import IngestQueues
from infra.metric_sources import (
    LIFECYCLE_METRICS,
    OUTCOME_EVENTS_FAILED,
    PERIOD,
    MetricSource,
    lane_names,
    oldest_message_age,
    queue_depth,
)
from infra.stack_values import DEAD_LETTER_AGE_ALARM, whole_seconds

__all__ = ["LIFECYCLE_METRICS", "MetricSource", "Monitoring"]

OLDEST_MESSAGE_AGE_ALARM = Duration.minutes(15)
THROTTLED_PERIODS = 3  # Connect throttling is normal in bursts; alarm when it lasts 15 minutes
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


class Monitoring(Construct):
    """The alarm topic, the alarms and the dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.Function,
        queues: IngestQueues,
        metrics: MetricSource,
        alarm_email: str | None,
        lifecycle: bool,
        outcome_events: bool,
    ) -> None:
        """``lifecycle``: the mapping has lifecycle rules, so the dashboard graphs their metrics too;
        ``outcome_events``: the function publishes outcome events, so their failures alarm."""
        super().__init__(scope, construct_id)
        self.topic = self._alarm_topic(alarm_email)
        self.alarms = self._alarms(function, queues, metrics, outcome_events=outcome_events)
        action = cloudwatch_actions.SnsAction(self.topic)
        for alarm in self.alarms.values():
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        self.dashboard = task_creator_dashboard(
            self,
            function=function,
            queues=queues,
            metrics=metrics,
            alarms=list(self.alarms.values()),
            lifecycle=lifecycle,
            outcome_events=outcome_events,
        )

    def _alarm_topic(self, alarm_email: str | None) -> sns.Topic:
        stack = Stack.of(self)
        alarm_arn_prefix = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}"
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the Task Creator alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # it protects notifications only, never stored data
            pending_window=Duration.days(7),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseTheKey",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsAlarmsToPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": f"{alarm_arn_prefix}:alarm:*"},
                },
            )
        )
        if alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        return topic

    def _alarms(
        self, function: lambda_.Function, queues: IngestQueues, metrics: MetricSource, *, outcome_events: bool
    ) -> dict[str, cloudwatch.Alarm]:
        def alarm(
            name: str, metric: cloudwatch.IMetric, threshold: float, description: str, periods: int = 1
        ) -> cloudwatch.Alarm:
            return cloudwatch.Alarm(
                self,
                name,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )

        alarms: dict[str, cloudwatch.Alarm] = {}
        for lane in queues.lanes:
            prefix, kind = lane_names(lane)
            alarms[f"{prefix}DeadLetterQueueNotEmpty"] = alarm(
                f"{prefix}DeadLetterQueueNotEmpty",
                queue_depth(lane.dead_letter_queue),
                1,
                f"Messages are waiting in the {kind} DLQ: read their ErrorType/ErrorMessage (none: the "
                "redrive backstop moved it after a crash or timeout), fix, then redrive (docs/operations.md)",
            )
            alarms[f"{prefix}DeadLetterQueueMessagesAging"] = alarm(
                f"{prefix}DeadLetterQueueMessagesAging",
                oldest_message_age(lane.dead_letter_queue, PERIOD),
                whole_seconds(DEAD_LETTER_AGE_ALARM),
                f"The oldest message in the {kind} DLQ has waited {DEAD_LETTER_AGE_ALARM.days} days: "
                "redrive or delete it before the 14-day retention drops it (docs/operations.md)",
            )
            alarms[f"{prefix}IngestBacklogTooOld"] = alarm(
                f"{prefix}IngestBacklogTooOld",
                oldest_message_age(lane.queue, PERIOD),
                OLDEST_MESSAGE_AGE_ALARM.to_seconds(),
                f"The oldest message in the {kind} ingest queue has waited 15 minutes: the function is "
                "failing, throttled or too slow for the offered load",
            )
        alarms |= {
            "FunctionErrors": alarm(
                "FunctionErrors",
                function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                1,
                "The function raised (cold-start configuration error, timeout, or a bug): see its logs",
            ),
            "FunctionThrottles": alarm(
                "FunctionThrottles",
                function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                1,
                "Lambda throttled the function: the account's concurrency is exhausted",
            ),
            "ConnectThrottling": alarm(
                "ConnectThrottling",
                metrics.total("Throttles"),
                1,
                "Amazon Connect has been throttling the function's calls (StartTaskContact, and the "
                "lifecycle rules' calls) for 15 minutes: lower connectCallsPerSecond/maxConcurrency or "
                "raise the Connect quota",
                periods=THROTTLED_PERIODS,
            ),
            "PermanentFailures": alarm(
                "PermanentFailures",
                metrics.total("PermanentFailures"),
                1,
                "Events were dead-lettered at once (mapping error, limit violation or Connect rejection)",
            ),
        }
        if outcome_events:
            alarms[OUTCOME_EVENTS_FAILED] = alarm(
                OUTCOME_EVENTS_FAILED,
                metrics.total(OUTCOME_EVENTS_FAILED),
                1,
                "The function could not put outcome events on the outcome bus (PutEvents failed, or "
                "refused entries): their records are retried like any transient failure, and dead-lettered "
                "when the attempts run out; check the bus, the role's events:PutEvents and the logs",
            )
        return alarms
