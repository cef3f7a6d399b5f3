"""Alarms, the alarm topic, the dashboard and the outputs in the template."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from infra.monitoring import LIFECYCLE_METRICS
from infra.stack_values import DEAD_LETTER_AGE_ALARM, whole_seconds
from task_creator.observability import Metric
from tests.infra.synthesis import (
    ALARM_EMAIL,
    SynthesizedApp,
    alarm,
    custom_metrics,
    dashboard_widgets,
    json_key,
)


def queue_name(app: SynthesizedApp, queue: Any) -> dict[str, Any]:
    return {"Fn::GetAtt": [app.logical_id(queue), "QueueName"]}


def test_dlq_depth_alarm_fires_on_the_first_message(default_app: SynthesizedApp) -> None:
    dlq_name = {
        "Fn::GetAtt": [default_app.logical_id(default_app.stack.queues.dead_letter_queue), "QueueName"]
    }
    found = alarm(default_app, "DeadLetterQueueNotEmpty")

    assert {
        key: found[key] for key in found if key not in ("AlarmActions", "OKActions", "AlarmDescription")
    } == {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "Dimensions": [{"Name": "QueueName", "Value": dlq_name}],
        "Statistic": "Maximum",
        "Period": 60,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
    }


def test_every_dlq_alarms_on_its_oldest_message_well_before_retention_drops_it(
    default_app: SynthesizedApp, fifo_app: SynthesizedApp
) -> None:
    expected = {
        "MetricName": "ApproximateAgeOfOldestMessage",
        "Namespace": "AWS/SQS",
        "Statistic": "Maximum",
        "Period": 300,
        "Threshold": whole_seconds(DEAD_LETTER_AGE_ALARM),
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
    }
    fifo_lane = fifo_app.stack.queues.fifo_lane
    assert fifo_lane is not None
    cases = [
        (default_app, "DeadLetterQueueMessagesAging", default_app.stack.queues.dead_letter_queue),
        (fifo_app, "DeadLetterQueueMessagesAging", fifo_app.stack.queues.dead_letter_queue),
        (fifo_app, "FifoDeadLetterQueueMessagesAging", fifo_lane.dead_letter_queue),
    ]

    for app, name, queue in cases:
        found = alarm(app, name)
        assert {key: found[key] for key in expected} == expected
        assert found["Dimensions"] == [{"Name": "QueueName", "Value": queue_name(app, queue)}]
        assert found["Threshold"] == 7 * 24 * 3600  # a week before the 14-day retention ends
        assert "redrive or delete" in found["AlarmDescription"]


def test_fifo_dlq_and_fifo_ingest_queue_have_their_own_depth_and_backlog_alarms(
    fifo_app: SynthesizedApp,
) -> None:
    fifo_lane = fifo_app.stack.queues.fifo_lane
    assert fifo_lane is not None

    depth = alarm(fifo_app, "FifoDeadLetterQueueNotEmpty")
    backlog = alarm(fifo_app, "FifoIngestBacklogTooOld")

    assert (depth["MetricName"], depth["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)
    assert depth["Dimensions"] == [
        {"Name": "QueueName", "Value": queue_name(fifo_app, fifo_lane.dead_letter_queue)}
    ]
    assert (backlog["MetricName"], backlog["Threshold"]) == ("ApproximateAgeOfOldestMessage", 900)
    assert backlog["Dimensions"] == [{"Name": "QueueName", "Value": queue_name(fifo_app, fifo_lane.queue)}]


def test_queue_age_function_and_custom_metric_alarms_exist(default_app: SynthesizedApp) -> None:
    age = alarm(default_app, "IngestBacklogTooOld")
    errors = alarm(default_app, "FunctionErrors")
    throttles = alarm(default_app, "FunctionThrottles")
    connect_throttling = alarm(default_app, "ConnectThrottling")
    permanent = alarm(default_app, "PermanentFailures")

    assert (age["MetricName"], age["Threshold"]) == ("ApproximateAgeOfOldestMessage", 900)
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert (throttles["Namespace"], throttles["MetricName"]) == ("AWS/Lambda", "Throttles")
    for custom, name in ((connect_throttling, "Throttles"), (permanent, "PermanentFailures")):
        assert (custom["Namespace"], custom["MetricName"]) == ("TaskCreator", name)
        assert custom["Dimensions"] == [{"Name": "service", "Value": "TaskCreator"}]  # totals, not per rule
    assert (connect_throttling["EvaluationPeriods"], connect_throttling["DatapointsToAlarm"]) == (3, 3)


def test_every_alarm_notifies_the_alarm_topic(default_app: SynthesizedApp, fifo_app: SynthesizedApp) -> None:
    # fifo: 3 more for the FIFO queue and its DLQ, 1 fewer without outcome events
    for app, count in ((default_app, 8), (fifo_app, 10)):
        topic_id, _ = app.only("AWS::SNS::Topic")
        alarms = app.resources("AWS::CloudWatch::Alarm").values()

        assert len(alarms) == count
        for found in alarms:
            assert found["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
            assert found["Properties"]["OKActions"] == [{"Ref": topic_id}]


def test_alarm_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(default_app: SynthesizedApp) -> None:
    key_id, key = default_app.only("AWS::KMS::Key")

    default_app.template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    )
    assert key["Properties"]["EnableKeyRotation"] is True
    key_statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in key_statements)
    default_app.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_alarm_email_subscribes_to_the_topic(fifo_app: SynthesizedApp, default_app: SynthesizedApp) -> None:
    fifo_app.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": ALARM_EMAIL}
    )
    assert default_app.resources("AWS::SNS::Subscription") == {}


def test_dashboard_shows_tasks_failures_queues_duration_and_concurrency(default_app: SynthesizedApp) -> None:
    _, dashboard = default_app.only("AWS::CloudWatch::Dashboard")
    body = json_key(dashboard["Properties"]["DashboardBody"])

    for shown in (
        "TasksCreated",
        "PermanentFailures",
        "TransientFailures",
        "Throttles",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Duration",
        "ConcurrentExecutions",
    ):
        assert shown in body, shown


def test_dashboard_graphs_the_total_of_every_metric_the_function_emits(
    default_app: SynthesizedApp, lifecycle_app: SynthesizedApp
) -> None:
    emitted = {metric.value for metric in Metric}
    for app, expected in ((lifecycle_app, emitted), (default_app, emitted)):  # the shipped mapping has both
        graphed = [m for widget in dashboard_widgets(app) for m in custom_metrics(widget)]

        assert sorted(m[1] for m in graphed) == sorted(expected)
        assert all(m[2:] == ["service", "TaskCreator", {"stat": "Sum"}] for m in graphed)  # totals


def test_lifecycle_metrics_have_their_own_dashboard_row_and_no_alarm(lifecycle_app: SynthesizedApp) -> None:
    widgets = dashboard_widgets(lifecycle_app)
    (widget,) = [w for w in widgets if w["properties"].get("title", "").startswith("Task lifecycle")]
    alarms = lifecycle_app.resources("AWS::CloudWatch::Alarm").values()
    alarmed = {found["Properties"].get("MetricName") for found in alarms}

    assert [m[1] for m in custom_metrics(widget)] == [
        "TasksUpdated",
        "TasksRescheduled",
        "TasksCompleted",
        "CompletionsRecordedBeforeCreate",
        "StaleEventsSkipped",
        "CompletedTaskEventsSkipped",
        "LateCreatesStopped",
    ]
    assert (widget["width"], widget["y"]) == (24, 6)  # right under the tasks and failures
    assert not alarmed & set(LIFECYCLE_METRICS)
    assert len(alarms) == 8  # the default deployment's alarms, no more


def test_dashboard_graphs_every_dlqs_oldest_message_against_the_alarm(fifo_app: SynthesizedApp) -> None:
    _, dashboard = fifo_app.only("AWS::CloudWatch::Dashboard")
    body = json_key(dashboard["Properties"]["DashboardBody"])
    fifo_lane = fifo_app.stack.queues.fifo_lane
    assert fifo_lane is not None

    assert "Dead-letter queues: oldest message age (s)" in body
    assert f"alarm: {DEAD_LETTER_AGE_ALARM.days} days" in body
    for queue in (fifo_app.stack.queues.dead_letter_queue, fifo_lane.dead_letter_queue, fifo_lane.queue):
        assert fifo_app.logical_id(queue) in body


def test_outputs_name_what_operators_need(default_app: SynthesizedApp, fifo_app: SynthesizedApp) -> None:
    wanted = {
        "IngestQueueUrl",
        "IngestQueueArn",
        "DeadLetterQueueUrl",
        "EventBusName",
        "FunctionName",
        "FunctionLogGroupName",
    }

    replay = {"ArchiveArn", "IngestRuleArns"}  # test_stack_archive.py
    outcomes = {"OutcomeSource", "OutcomeEventBusName"}  # test_stack_outcome_events.py
    default = {"LedgerTableName", "AlarmTopicArn", *replay, *outcomes}
    assert wanted | default == set(default_app.template_json["Outputs"])
    assert default_app.template_json["Outputs"]["EventBusName"] == {"Value": "default"}
    fifo_outputs = {"FifoIngestQueueUrl", "FifoIngestQueueArn", "FifoDeadLetterQueueUrl", "AlarmTopicArn"}
    # no ledger, no archive, no outcome events; the ingest rules are always there
    assert wanted | fifo_outputs | {"IngestRuleArns"} == set(fifo_app.template_json["Outputs"])
