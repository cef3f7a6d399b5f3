"""Alarms, the alarm topic and the dashboard (docs/operations.md says what to do when each one fires).

Alarms watch the totals of the function's custom metrics (dimension ``service`` only), the queues and
the function itself. Every DLQ has two: one on its first message, one on its oldest message's age, which
fires while a week of the DLQ's retention is left; every ingest queue has one on its backlog's age. They
notify an SNS topic encrypted with a customer managed key (CloudWatch can only publish to an encrypted
topic whose key policy lets it use the key), with an optional e-mail subscription.

The dashboard graphs the totals of every custom metric the function emits; the lifecycle ones only for
a mapping with lifecycle rules. Those count follow-ups applied or skipped, outcomes rather than failures
(a follow-up that fails is counted and dead-lettered like any other), so they have no alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.ingest import IngestLane, IngestQueues
from infra.stack_values import DEAD_LETTER_AGE_ALARM, whole_seconds

PERIOD = Duration.minutes(5)
OLDEST_MESSAGE_AGE_ALARM = Duration.minutes(15)
THROTTLED_PERIODS = 3  # Connect throttling is normal in bursts; alarm when it lasts 15 minutes
# The function's custom metrics (task_creator.observability.Metric), as the dashboard groups them.
TASK_METRICS = ("TasksCreated", "DuplicatesSkipped", "SchedulesStartedLate")
FAILURE_METRICS = ("PermanentFailures", "TransientFailures", "Throttles", "RetriesExhausted")
LIFECYCLE_METRICS = (
    "TasksUpdated",
    "TasksRescheduled",
    "TasksCompleted",
    "CompletionsRecordedBeforeCreate",
    "StaleEventsSkipped",
    "CompletedTaskEventsSkipped",
    "LateCreatesStopped",
)
CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"


@dataclass(frozen=True)
class MetricSource:
    """Where the function's custom metrics are: the EMF namespace and the ``service`` dimension."""

    namespace: str
    service: str

    def total(self, name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=name,
            dimensions_map={"service": self.service},
            statistic=cloudwatch.Stats.SUM,
            period=PERIOD,
        )


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
    ) -> None:
        """``lifecycle``: the mapping has lifecycle rules, so the dashboard graphs their metrics too."""
        super().__init__(scope, construct_id)
        self.topic = self._alarm_topic(alarm_email)
        self.alarms = self._alarms(function, queues, metrics)
        action = cloudwatch_actions.SnsAction(self.topic)
        for alarm in self.alarms.values():
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        self.dashboard = self._dashboard(function, queues, metrics, lifecycle=lifecycle)

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
        self, function: lambda_.Function, queues: IngestQueues, metrics: MetricSource
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
            prefix, kind = _lane_names(lane)
            alarms[f"{prefix}DeadLetterQueueNotEmpty"] = alarm(
                f"{prefix}DeadLetterQueueNotEmpty",
                _queue_depth(lane.dead_letter_queue),
                1,
                f"Messages are waiting in the {kind} DLQ: read their ErrorType/ErrorMessage (none: the "
                "redrive backstop moved it after a crash or timeout), fix, then redrive (docs/operations.md)",
            )
            alarms[f"{prefix}DeadLetterQueueMessagesAging"] = alarm(
                f"{prefix}DeadLetterQueueMessagesAging",
                _oldest_message_age(lane.dead_letter_queue, PERIOD),
                whole_seconds(DEAD_LETTER_AGE_ALARM),
                f"The oldest message in the {kind} DLQ has waited {DEAD_LETTER_AGE_ALARM.days} days: "
                "redrive or delete it before the 14-day retention drops it (docs/operations.md)",
            )
            alarms[f"{prefix}IngestBacklogTooOld"] = alarm(
                f"{prefix}IngestBacklogTooOld",
                _oldest_message_age(lane.queue, PERIOD),
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
        return alarms

    def _dashboard(
        self, function: lambda_.Function, queues: IngestQueues, metrics: MetricSource, *, lifecycle: bool
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Tasks",
                left=[metrics.total(name) for name in TASK_METRICS],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Failures",
                left=[metrics.total(name) for name in FAILURE_METRICS],
                width=12,
            ),
        )
        if lifecycle:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Task lifecycle: follow-ups applied and skipped",
                    left=[metrics.total(name) for name in LIFECYCLE_METRICS],
                    width=24,
                )
            )
        minute = Duration.minutes(1)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Dead-letter queues: depth",
                left=[
                    _queue_depth(lane.dead_letter_queue, label=_lane_names(lane)[1]) for lane in queues.lanes
                ],
                width=6,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queues: oldest message age (s)",
                left=[
                    _oldest_message_age(lane.dead_letter_queue, minute, label=_lane_names(lane)[1])
                    for lane in queues.lanes
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=whole_seconds(DEAD_LETTER_AGE_ALARM),
                        label=f"alarm: {DEAD_LETTER_AGE_ALARM.days} days",
                    )
                ],
                width=6,
            ),
            cloudwatch.GraphWidget(
                title="Ingest queues: oldest message age (s) and depth",
                left=[
                    _oldest_message_age(lane.queue, minute, label=_lane_names(lane)[1])
                    for lane in queues.lanes
                ],
                right=[_queue_depth(lane.queue, label=_lane_names(lane)[1]) for lane in queues.lanes],
                width=6,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=6),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function duration (ms)",
                left=[function.metric_duration(statistic=stat) for stat in ("p50", "p99", "Maximum")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function concurrency",
                left=[function.metric("ConcurrentExecutions", statistic=cloudwatch.Stats.MAXIMUM)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function invocations, errors, throttles",
                left=[function.metric_invocations(), function.metric_errors(), function.metric_throttles()],
                width=8,
            ),
        )
        return dashboard


def _lane_names(lane: IngestLane) -> tuple[str, str]:
    """The construct-id prefix and the label of a lane's alarms and graphs: ("", "standard") or
    ("Fifo", "FIFO"); the standard lane keeps unprefixed ids, so its alarms keep their names."""
    return ("Fifo", "FIFO") if lane.fifo else ("", "standard")


def _queue_depth(queue: sqs.IQueue, *, label: str | None = None) -> cloudwatch.Metric:
    """Messages visible in ``queue``, the most seen in each minute (a single message must count)."""
    return queue.metric_approximate_number_of_messages_visible(
        period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM, label=label
    )


def _oldest_message_age(
    queue: sqs.IQueue, period: Duration, *, label: str | None = None
) -> cloudwatch.Metric:
    """The age of ``queue``'s oldest message (seconds), the most seen in each period."""
    return queue.metric_approximate_age_of_oldest_message(
        period=period, statistic=cloudwatch.Stats.MAXIMUM, label=label
    )
