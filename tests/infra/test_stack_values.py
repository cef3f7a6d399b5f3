"""infra.stack_values: the numbers, names and function environment shared by the stack and local/."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest

from infra.config import DeploymentConfigError, TaskCreatorConfig
from infra.paths import REPO_ROOT
from infra.stack_values import (
    CONTEXT_KEY_OF_VARIABLE,
    DEAD_LETTER_AGE_ALARM,
    DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES,
    DLQ_RETENTION,
    IDEMPOTENCY_EXPIRY,
    INGEST_MAX_MESSAGE_SIZE_BYTES,
    INGEST_RETENTION,
    MAX_ARCHIVE_DAYS,
    MAX_ATTEMPT_BUDGET,
    SQS_MAX_RECEIVE_COUNT,
    QueueNames,
    function_environment,
    function_timeout_seconds,
    idempotency_expiry,
    ingest_visibility_timeout_seconds,
    redrive_max_receive_count,
)
from task_creator import time_budget
from task_creator.adapters.dead_letter_attributes import DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES

pytestmark = pytest.mark.unit

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"


def config(**context: Any) -> TaskCreatorConfig:
    return TaskCreatorConfig.from_context({"connectInstanceId": INSTANCE_ID, **context}.get)


def test_module_imports_no_cdk_so_the_offline_runtime_can_use_it() -> None:
    probe = (
        "import sys, infra.stack_values, local.topology, local.pipeline, local.lambda_context; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'constructs', 'jsii'))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "[]"


def test_queue_names_follow_the_stack_name_and_fifo_adds_a_fifo_pair() -> None:
    assert QueueNames.for_stack("Orders", fifo=False) == QueueNames(
        ingest="Orders-ingest", dead_letter="Orders-dlq", fifo_ingest=None, fifo_dead_letter=None
    )
    assert QueueNames.for_stack("Orders", fifo=True) == QueueNames(
        ingest="Orders-ingest",
        dead_letter="Orders-dlq",
        fifo_ingest="Orders-ingest.fifo",
        fifo_dead_letter="Orders-dlq.fifo",
    )


def test_function_timeout_is_derived_from_batch_fan_out_parallelism_and_the_call_budget() -> None:
    # cdk.json's defaults with 7 rules: 10 records x 7 tasks, 5 calls at once, each waiting at most
    # MAX_SLOT_WAIT_SECONDS for its slot; then the margin for a keyed rule's calls and the batch's end.
    margin = time_budget.deadline_margin_seconds(lifecycle=True)
    assert function_timeout_seconds(config(), rule_count=7) == 5 + 14 * (0.5 + 0.5) + margin == 216
    assert function_timeout_seconds(config(), rule_count=7) == time_budget.function_timeout_seconds(
        batch_size=10, tasks_per_event=7, max_parallel_calls=5, calls_per_second=1
    )
    # Records are deferred rather than waited for: the rate does not stretch a standard batch.
    assert function_timeout_seconds(config(connectCallsPerSecond="0.1"), rule_count=7) == 216
    assert function_timeout_seconds(config(), rule_count=7, lifecycle=False) < 216
    assert function_timeout_seconds(
        config(batchSize="10000", maxBatchingWindowSeconds="1"), rule_count=9
    ) == (time_budget.LAMBDA_MAX_TIMEOUT_SECONDS)


def test_fifo_function_timeout_also_covers_a_full_batch_run_in_order_at_the_containers_rate() -> None:
    # fifo: 2 event sources x maxConcurrency 2 = 4 containers sharing 2 requests/s: 0.5 each.
    margin = time_budget.deadline_margin_seconds(lifecycle=True)
    assert config(fifo="true").container_calls_per_second == 0.5
    assert function_timeout_seconds(config(fifo="true"), rule_count=7) == 5 + 70 * 0.5 + 70 / 0.5 + margin
    assert function_timeout_seconds(config(fifo="true", connectCallsPerSecond="1"), rule_count=7) == (
        5 + 70 * 0.5 + 70 / 1 + margin
    )


def test_each_container_gets_its_share_of_the_stacks_connect_requests_per_second() -> None:
    assert config().container_calls_per_second == 2 / 2  # Connect's default quota, maxConcurrency 2
    assert config(connectRequestsPerSecond="20", maxConcurrency="4").container_calls_per_second == 5
    assert (
        config(connectRequestsPerSecond="20", maxConcurrency="4", fifo="true").container_calls_per_second
        == 2.5
    )
    assert config(connectRequestsPerSecond="20", connectCallsPerSecond="3").container_calls_per_second == 3


def test_visibility_timeout_is_six_function_timeouts_plus_the_batching_window() -> None:
    assert ingest_visibility_timeout_seconds(69, 0) == 414
    assert ingest_visibility_timeout_seconds(69, 5) == 419


def test_redrive_backstop_sits_above_the_functions_attempt_budget_within_sqs_limits() -> None:
    assert redrive_max_receive_count(5) == 8
    assert all(redrive_max_receive_count(budget) > budget for budget in (1, 5, MAX_ATTEMPT_BUDGET))
    assert redrive_max_receive_count(MAX_ATTEMPT_BUDGET) == SQS_MAX_RECEIVE_COUNT
    with pytest.raises(
        DeploymentConfigError, match=rf"maxReceiveCount must be a whole number from 1 to {MAX_ATTEMPT_BUDGET}"
    ):
        config(maxReceiveCount=str(MAX_ATTEMPT_BUDGET + 1))


def test_dlq_has_room_for_the_dead_letter_attributes_of_the_largest_ingest_message() -> None:
    assert DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES == 1_048_576  # SQS's maximum
    assert (
        INGEST_MAX_MESSAGE_SIZE_BYTES + DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES
        == DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES
    )


def test_dlq_age_alarm_fires_before_any_dead_letter_expires() -> None:
    # A message the redrive policy moved keeps its enqueue time: it may have spent the ingest queue's
    # whole retention there before its DLQ age started counting.
    assert DEAD_LETTER_AGE_ALARM.days == 7
    assert DEAD_LETTER_AGE_ALARM < DLQ_RETENTION - INGEST_RETENTION


@pytest.mark.parametrize(
    ("archive_days", "expiry_days"),
    [
        ("0", 21),  # no archive: the DLQ's 14 days + 7 to replay
        ("7", 21),  # cdk.json's archive fits in the DLQ's window already
        ("14", 21),
        ("15", 22),
        ("30", 37),  # raised to fit: the archive's 30 days + 7 to replay
        (str(MAX_ARCHIVE_DAYS), 3650),  # the longest expiry the function accepts
    ],
)
def test_ledger_expiry_is_raised_to_outlive_the_archive(archive_days: str, expiry_days: int) -> None:
    deployment = config(archiveDays=archive_days)
    environment = function_environment(deployment, dlq_url="dlq", ledger_table_name="ledger")

    assert idempotency_expiry(deployment) == timedelta(days=expiry_days)
    assert environment["IDEMPOTENCY_EXPIRY_DAYS"] == str(expiry_days)
    assert idempotency_expiry(deployment) >= max(DLQ_RETENTION, timedelta(days=int(archive_days)))
    assert idempotency_expiry(config()) == IDEMPOTENCY_EXPIRY  # the constant is cdk.json's defaults'


def test_environment_carries_the_deployment_settings() -> None:
    environment = function_environment(
        config(contactFlowId="flow-1", stackName="Orders", logLevel="debug"),
        dlq_url="https://sqs/dlq",
        ledger_table_name="ledger",
    )

    assert environment == {
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "CONNECT_CONTACT_FLOW_ID": "flow-1",
        "DLQ_URL": "https://sqs/dlq",
        "IDEMPOTENCY_TABLE": "ledger",
        "IDEMPOTENCY_EXPIRY_DAYS": "21",
        "MAX_PARALLEL_CALLS": "5",
        "CONNECT_CALLS_PER_SECOND": "1",
        "MAX_RECEIVE_COUNT": "5",
        "TOKEN_NAMESPACE": "Orders",
        "POWERTOOLS_SERVICE_NAME": "Orders",
        "POWERTOOLS_METRICS_NAMESPACE": "TaskCreator",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "OUTCOME_EVENT_BUS": "default",  # the ingest bus
        "OUTCOME_SOURCE": "Orders.outcomes",  # "<stackName>.outcomes"
    }


def test_environment_names_the_outcome_bus_and_source_the_context_gives() -> None:
    environment = function_environment(
        config(outcomeEventBus="task-outcomes", outcomeSource="acme.task-outcomes"),
        dlq_url="dlq",
        ledger_table_name=None,
    )

    assert (environment["OUTCOME_EVENT_BUS"], environment["OUTCOME_SOURCE"]) == (
        "task-outcomes",
        "acme.task-outcomes",
    )


def test_environment_leaves_out_what_the_deployment_does_not_have() -> None:
    environment = function_environment(
        config(tracing="false", connectCallsPerSecond="0.5", outcomeEvents="false"),
        dlq_url="dlq",
        ledger_table_name=None,
    )

    assert "CONNECT_CONTACT_FLOW_ID" not in environment
    assert "IDEMPOTENCY_TABLE" not in environment
    assert "IDEMPOTENCY_EXPIRY_DAYS" not in environment
    assert "OUTCOME_EVENT_BUS" not in environment  # the function publishes no outcome events
    assert "OUTCOME_SOURCE" not in environment
    assert "FIFO_DLQ_URL" not in environment
    assert "RETRY_BASE_DELAY_SECONDS" not in environment  # the stack keeps the function's own backoff
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environment["CONNECT_CALLS_PER_SECOND"] == "0.5"


def test_environment_gives_the_attempt_budget_and_the_fifo_dlq() -> None:
    environment = function_environment(
        config(fifo="true", maxReceiveCount="7"),
        dlq_url="https://sqs/dlq",
        fifo_dlq_url="https://sqs/dlq.fifo",
        ledger_table_name=None,
    )

    assert environment["MAX_RECEIVE_COUNT"] == "7"
    assert (environment["DLQ_URL"], environment["FIFO_DLQ_URL"]) == (
        "https://sqs/dlq",
        "https://sqs/dlq.fifo",
    )


def test_every_variable_the_stack_sets_is_traced_to_its_context_key_or_to_the_stack() -> None:
    environment = function_environment(
        config(contactFlowId="flow-1", connectCallsPerSecond="2", fifo="true"),
        dlq_url="dlq",
        fifo_dlq_url="dlq.fifo",
        ledger_table_name="ledger",
    )

    assert set(environment) == set(CONTEXT_KEY_OF_VARIABLE)
    assert CONTEXT_KEY_OF_VARIABLE["MAX_RECEIVE_COUNT"] == "maxReceiveCount"
    assert CONTEXT_KEY_OF_VARIABLE["IDEMPOTENCY_EXPIRY_DAYS"] == "archiveDays"  # derived from it
