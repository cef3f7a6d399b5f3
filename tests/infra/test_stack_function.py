"""The function in the template: runtime, settings, event source, async failures, the ledger."""

from __future__ import annotations

from aws_cdk.assertions import Match

from infra.stack_values import FUNCTION_MEMORY_MB, IDEMPOTENCY_EXPIRY, function_timeout_seconds
from task_creator import time_budget
from task_creator.mapping.rules import load_mapping
from tests.infra.synthesis import (
    FLOW_ID,
    INSTANCE_ID,
    SynthesizedApp,
    get_att,
    json_key,
    statements_for,
)
from tests.support import SHIPPED_MAPPING_FILE


def test_function_runs_the_handler_on_arm64_with_the_newest_python(default_app: SynthesizedApp) -> None:
    default_app.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "task_creator.handler.lambda_handler",
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "MemorySize": FUNCTION_MEMORY_MB,
            "TracingConfig": {"Mode": "Active"},
        },
    )


def test_function_timeout_is_derived_from_the_batch_the_mapping_and_the_call_budget(
    default_app: SynthesizedApp, fifo_app: SynthesizedApp
) -> None:
    rules = len(load_mapping(SHIPPED_MAPPING_FILE).rules)
    _, function = default_app.only("AWS::Lambda::Function")

    assert function["Properties"]["Timeout"] == time_budget.function_timeout_seconds(
        batch_size=10, tasks_per_event=rules, max_parallel_calls=5, calls_per_second=1, lifecycle=True
    )
    assert function["Properties"]["Timeout"] == 222  # cdk.json's defaults, the shipped mapping's 10 rules
    _, fifo_function = fifo_app.only("AWS::Lambda::Function")
    # fifo: the larger of a standard batch and a FIFO batch run in order at each container's rate
    create_only = load_mapping(fifo_app.stack.config.mapping_file)  # its 7 create rules, no task keys
    assert fifo_function["Properties"]["Timeout"] == (
        function_timeout_seconds(fifo_app.stack.config, rule_count=len(create_only.rules), lifecycle=False)
    )


def test_function_environment_carries_the_core_settings(default_app: SynthesizedApp) -> None:
    stack = default_app.stack
    variables = default_app.properties_of(stack.task_function.function)["Environment"]["Variables"]
    assert stack.ledger is not None

    assert variables == {
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "CONNECT_CONTACT_FLOW_ID": FLOW_ID,
        "DLQ_URL": {"Ref": default_app.logical_id(stack.queues.dead_letter_queue)},
        "IDEMPOTENCY_TABLE": {"Ref": default_app.logical_id(stack.ledger.table)},
        "IDEMPOTENCY_EXPIRY_DAYS": "21",
        "MAX_PARALLEL_CALLS": "5",
        "CONNECT_CALLS_PER_SECOND": "1",
        "MAX_RECEIVE_COUNT": "5",
        "TOKEN_NAMESPACE": "TaskCreator",
        "POWERTOOLS_SERVICE_NAME": "TaskCreator",
        "POWERTOOLS_METRICS_NAMESPACE": "TaskCreator",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "OUTCOME_EVENT_BUS": "default",
        "OUTCOME_SOURCE": "TaskCreator.outcomes",
    }
    # DLQ retention plus a week to replay (cdk.json's 7-day archive fits within the DLQ's 14 days)
    assert IDEMPOTENCY_EXPIRY.days == 14 + 7


def test_function_logs_to_its_own_log_group_with_retention(default_app: SynthesizedApp) -> None:
    log_group_id, log_group = default_app.only("AWS::Logs::LogGroup")
    _, function = default_app.only("AWS::Lambda::Function")

    assert log_group["Properties"]["RetentionInDays"] == 30
    assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}


def test_sqs_event_source_reports_batch_item_failures_with_the_defaults(default_app: SynthesizedApp) -> None:
    default_app.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": get_att(default_app, default_app.stack.queues.queue),
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": Match.absent(),
            "ScalingConfig": {"MaximumConcurrency": 2},
        },
    )


def test_sqs_event_source_takes_batch_window_and_concurrency_from_context(
    selectors_app: SynthesizedApp,
) -> None:
    selectors_app.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 50,
            "MaximumBatchingWindowInSeconds": 5,
            "ScalingConfig": {"MaximumConcurrency": 4},
        },
    )


def test_fifo_adds_a_second_event_source_both_reporting_batch_item_failures(fifo_app: SynthesizedApp) -> None:
    queues = fifo_app.stack.queues
    assert queues.fifo_lane is not None
    mappings = fifo_app.resources("AWS::Lambda::EventSourceMapping").values()

    assert sorted(json_key(m["Properties"]["EventSourceArn"]) for m in mappings) == sorted(
        json_key(get_att(fifo_app, queue)) for queue in (queues.queue, queues.fifo_lane.queue)
    )
    for found in mappings:
        assert found["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert found["Properties"]["BatchSize"] == 10
        assert found["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}
        assert "MaximumBatchingWindowInSeconds" not in found["Properties"]


def test_function_knows_each_dlq_and_its_attempt_budget(fifo_app: SynthesizedApp) -> None:
    queues = fifo_app.stack.queues
    assert queues.fifo_lane is not None
    variables = fifo_app.properties_of(fifo_app.stack.task_function.function)["Environment"]["Variables"]

    assert variables["DLQ_URL"] == {"Ref": fifo_app.logical_id(queues.dead_letter_queue)}
    assert variables["FIFO_DLQ_URL"] == {"Ref": fifo_app.logical_id(queues.fifo_lane.dead_letter_queue)}
    assert variables["MAX_RECEIVE_COUNT"] == "5"


def test_async_invocation_failures_go_to_the_dlq_with_bounded_retries(default_app: SynthesizedApp) -> None:
    default_app.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "DestinationConfig": {
                "OnFailure": {"Destination": get_att(default_app, default_app.stack.queues.dead_letter_queue)}
            },
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 6 * 3600,
        },
    )


def test_ledger_table_is_on_demand_with_ttl_pitr_and_encryption(default_app: SynthesizedApp) -> None:
    default_app.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_without_idempotency_there_is_no_ledger_and_no_table_setting(fifo_app: SynthesizedApp) -> None:
    _, function = fifo_app.only("AWS::Lambda::Function")
    variables = function["Properties"]["Environment"]["Variables"]

    assert fifo_app.resources("AWS::DynamoDB::Table") == {}
    assert "IDEMPOTENCY_TABLE" not in variables
    assert not statements_for(fifo_app, "dynamodb:")
    assert (variables["CONNECT_CALLS_PER_SECOND"], variables["TOKEN_NAMESPACE"]) == ("2.5", "orders-prod")
    assert variables["POWERTOOLS_TRACE_DISABLED"] == "true"
