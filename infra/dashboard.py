"""The dashboard: the totals of every custom metric the function emits, the queues and the function.

The lifecycle metrics get their own row only for a mapping with lifecycle rules, the outcome events'
only with ``outcomeEvents``: a deployment graphs what it can emit.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.ingest import IngestQueues
from infra.metric_sources import (
    FAILURE_METRICS,
    LIFECYCLE_METRICS,
    OUTCOME_METRICS,
    TASK_METRICS,
    MetricSource,
    lane_names,
    oldest_message_age,
    queue_depth,
)
from infra.stack_values import DEAD_LETTER_AGE_ALARM, whole_seconds


def task_creator_dashboard(
    scope: Construct,
    *,
    function: lambda_.Function,
    queues: IngestQueues,
    metrics: MetricSource,
    alarms: Sequence[cloudwatch.IAlarm],
    lifecycle: bool,
    outcome_events: bool,
) -> cloudwatch.Dashboard:
    """The dashboard (construct id ``Dashboard`` under ``scope``), rows top to bottom: tasks and failures;
    lifecycle follow-ups (``lifecycle``); outcome events (``outcome_events``); queues and alarms; the
    function."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard", default_interval=Duration.hours(3))
    dashboard.add_widgets(
        cloudwatch.GraphWidget(title="Tasks", left=[metrics.total(name) for name in TASK_METRICS], width=12),
        cloudwatch.GraphWidget(
            title="Failures", left=[metrics.total(name) for name in FAILURE_METRICS], width=12
        ),
    )
    rows = (
        (lifecycle, "Task lifecycle: follow-ups applied and skipped", LIFECYCLE_METRICS),
        (
            outcome_events,
            "Outcome events on EventBridge: published, and failed (retried with their record)",
            OUTCOME_METRICS,
        ),
    )
    for wanted, title, names in rows:
        if wanted:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(title=title, left=[metrics.total(name) for name in names], width=24)
            )
    dashboard.add_widgets(
        *_queue_widgets(queues), cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=6)
    )
    dashboard.add_widgets(*_function_widgets(function))
    return dashboard


def _queue_widgets(queues: IngestQueues) -> list[cloudwatch.IWidget]:
    minute = Duration.minutes(1)
    return [
        cloudwatch.GraphWidget(
            title="Dead-letter queues: depth",
            left=[queue_depth(lane.dead_letter_queue, label=lane_names(lane)[1]) for lane in queues.lanes],
            width=6,
        ),
        cloudwatch.GraphWidget(
            title="Dead-letter queues: oldest message age (s)",
            left=[
                oldest_message_age(lane.dead_letter_queue, minute, label=lane_names(lane)[1])
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
            left=[oldest_message_age(lane.queue, minute, label=lane_names(lane)[1]) for lane in queues.lanes],
            right=[queue_depth(lane.queue, label=lane_names(lane)[1]) for lane in queues.lanes],
            width=6,
        ),
    ]


def _function_widgets(function: lambda_.Function) -> list[cloudwatch.IWidget]:
    return [
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
    ]
