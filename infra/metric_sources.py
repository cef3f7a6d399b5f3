"""The metrics the alarms and the dashboard read: the function's custom (EMF) metrics by name, and the
queues' SQS metrics, each with the period and statistic both use.

The function's custom metrics (``task_creator.observability.Metric``) are read as totals: the EMF
namespace and the ``service`` dimension only, summed over the period.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs

from infra.ingest import IngestLane

PERIOD = Duration.minutes(5)
# The function's custom metrics, as the dashboard groups them.
# RateDeferrals (rules sent back to wait for the container's share of the Connect quota) are not
# failures: they are graphed with the tasks.
TASK_METRICS = ("TasksCreated", "DuplicatesSkipped", "SchedulesStartedLate", "RateDeferrals")
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
# Emitted only with outcomeEvents: events put on the outcome bus, and those PutEvents failed or refused.
OUTCOME_EVENTS_PUBLISHED = "OutcomeEventsPublished"
OUTCOME_EVENTS_FAILED = "OutcomeEventsFailed"
OUTCOME_METRICS = (OUTCOME_EVENTS_PUBLISHED, OUTCOME_EVENTS_FAILED)


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


def lane_names(lane: IngestLane) -> tuple[str, str]:
    """The construct-id prefix and the label of a lane's alarms and graphs: ("", "standard") or
    ("Fifo", "FIFO"); the standard lane keeps unprefixed ids, so its alarms keep their names."""
    return ("Fifo", "FIFO") if lane.fifo else ("", "standard")


def queue_depth(queue: sqs.IQueue, *, label: str | None = None) -> cloudwatch.Metric:
    """Messages visible in ``queue``, the most seen in each minute (a single message must count)."""
    return queue.metric_approximate_number_of_messages_visible(
        period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM, label=label
    )


def oldest_message_age(queue: sqs.IQueue, period: Duration, *, label: str | None = None) -> cloudwatch.Metric:
    """The age of ``queue``'s oldest message (seconds), the most seen in each period."""
    return queue.metric_approximate_age_of_oldest_message(
        period=period, statistic=cloudwatch.Stats.MAXIMUM, label=label
    )
